"""Background jobs for territories."""

from celery import shared_task

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import tenant_task

from .services import scheduled_assignments_apply


@tenant_task()
def apply_scheduled_assignments_for_tenant(tenant: Tenant) -> int:
    return scheduled_assignments_apply(tenant=tenant)


@shared_task(name="territories.tasks.apply_scheduled_assignments")
def apply_scheduled_assignments() -> int:
    """Beat job: each organisation's scheduled account moves whose date has come."""
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        apply_scheduled_assignments_for_tenant.delay(tenant_id)
    return len(tenant_ids)
