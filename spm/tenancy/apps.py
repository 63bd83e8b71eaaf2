from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenancyConfig(AppConfig):
    name = "spm.tenancy"
    label = "tenancy"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, rls  # noqa: F401 (checks registers itself)

        rls.connect()
        # After every migrate (all apps' tables exist by then): each tenant table gets its
        # row-level security policy, so a future app's tables are walled without a step.
        post_migrate.connect(rls.apply_after_migrate, sender=self, dispatch_uid="spm-rls-policies")


class SpmAdminConfig(admin_apps.AdminConfig):
    """Replaces the default admin site with one that tenant admins can use."""

    default = False

    default_site = "spm.tenancy.admin_base.SpmAdminSite"
