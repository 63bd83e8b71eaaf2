"""Background jobs of the tenancy core."""

from celery import shared_task

from .models import Tenant
from .services import invitations_expire
from .tasks_base import tenant_task


@tenant_task()
def expire_tenant_invitations(tenant: Tenant) -> int:
    return invitations_expire(tenant=tenant)


@shared_task(name="spm.tenancy.tasks.expire_invitations")
def expire_invitations() -> int:
    """Beat job: fan out one scoped task per active organisation."""
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        expire_tenant_invitations.delay(tenant_id)
    return len(tenant_ids)
