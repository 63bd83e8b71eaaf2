"""Background jobs of the tenancy core."""

from celery import shared_task
from celery.schedules import crontab

from spm.celery import app

from .models import Tenant
from .outbox import outbox_sweep
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


@shared_task(name="spm.tenancy.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Send the background jobs still waiting (their broker was down after the commit)."""
    return outbox_sweep()


app.add_periodic_task(60.0, sweep_outbox.s(), name="sweep-outbox")
