from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "accountability"
    verbose_name = "Accountability"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from spm.tenancy.models import Tenant

        from .signals import give_new_tenant_default_template

        post_save.connect(
            give_new_tenant_default_template,
            sender=Tenant,
            dispatch_uid="accountability-default-template-for-new-tenants",
        )
