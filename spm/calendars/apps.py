from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "spm.calendars"
    label = "calendars"
    verbose_name = "Calendars"
