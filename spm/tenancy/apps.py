from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenancyConfig(AppConfig):
    name = "spm.tenancy"
    label = "tenancy"
    verbose_name = "Organisation"


class SpmAdminConfig(admin_apps.AdminConfig):
    """Replaces the default admin site with one that tenant admins can use."""

    default = False

    default_site = "spm.tenancy.admin_base.SpmAdminSite"
