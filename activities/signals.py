"""Receivers connected in ``ActivitiesConfig.ready``."""

from spm.tenancy.context import tenant_context

from .services import activity_types_create_defaults


def give_new_tenant_default_types(sender, instance, created: bool, raw: bool = False, **kwargs):
    """Every organisation starts with the default activity types (signup, the platform
    superuser, ``seed_demo``: any way it is created). Fixtures (``raw``) bring their own."""
    if created and not raw:
        with tenant_context(instance):
            activity_types_create_defaults(tenant=instance)
