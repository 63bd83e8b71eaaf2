"""Background jobs for territories."""

from celery.schedules import crontab

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from .services import scheduled_assignments_apply


# Hourly, because each organisation's day starts at its own midnight; idempotent.
@every_tenant(
    name="territories.tasks.apply_scheduled_assignments",
    entry="apply-scheduled-account-moves",
    schedule=crontab(minute=15),
)
@tenant_task()
def apply_scheduled_assignments_for_tenant(tenant: Tenant) -> int:
    return scheduled_assignments_apply(tenant=tenant)


# The beat job: each organisation's scheduled account moves whose date has come.
apply_scheduled_assignments = apply_scheduled_assignments_for_tenant.fan_out
