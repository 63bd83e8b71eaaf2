"""Background jobs of the tenancy core."""

from celery.schedules import crontab

from .models import Tenant
from .services import invitations_expire
from .tasks_base import every_tenant, tenant_task


@every_tenant(
    name="spm.tenancy.tasks.expire_invitations",
    entry="expire-invitations",
    schedule=crontab(minute=5),
)
@tenant_task()
def expire_tenant_invitations(tenant: Tenant) -> int:
    return invitations_expire(tenant=tenant)


# The beat job: one ``expire_tenant_invitations`` per active organisation.
expire_invitations = expire_tenant_invitations.fan_out
