from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas"

    def ready(self) -> None:
        from spm.calendars.signals import calendar_changed

        from . import metrics  # noqa: F401 (registers revenue and deals)
        from .signals import roll_down_after_calendar_change

        calendar_changed.connect(
            roll_down_after_calendar_change, dispatch_uid="quotas-rolldown-on-calendar-change"
        )
