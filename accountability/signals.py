"""Receivers connected in ``AccountabilityConfig.ready``."""

from spm.tenancy.context import tenant_context

from .services import review_template_create_default


def give_new_tenant_default_template(sender, instance, created: bool, raw: bool = False, **kwargs):
    """Every organisation starts with the default review template, however it is created
    (fixtures, ``raw``, bring their own)."""
    if created and not raw:
        with tenant_context(instance):
            review_template_create_default(tenant=instance)
