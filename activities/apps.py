from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from spm.tenancy.models import Tenant

        from . import metrics  # noqa: F401 (registers the activities metric with quotas)
        from .signals import give_new_tenant_default_types

        post_save.connect(
            give_new_tenant_default_types,
            sender=Tenant,
            dispatch_uid="activities-default-types-for-new-tenants",
        )
