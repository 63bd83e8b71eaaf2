"""Background jobs for territories."""

from celery.schedules import crontab

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from . import account_imports
from .models import IMPORT_TIME_LIMIT
from .services import account_imports_tidy, scheduled_assignments_apply


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


# An import of 100,000 rows takes well under a minute; the limit stops a run that hangs,
# and a run silent for longer than it is shown as stopped (``IMPORT_STALE_AFTER``). The
# soft limit comes first, so the run can record why it stopped.
@tenant_task(
    soft_time_limit=IMPORT_TIME_LIMIT.total_seconds() - 30,
    time_limit=IMPORT_TIME_LIMIT.total_seconds(),
)
def run_account_import(tenant: Tenant, import_id: int) -> str | None:
    return account_imports.account_import_run(tenant=tenant, import_id=import_id)


# Hourly: imports whose worker died are marked stopped within the hour after they go
# silent; uploaded files and old records are deleted when their time is up.
@every_tenant(
    name="territories.tasks.tidy_account_imports",
    entry="tidy-account-imports",
    schedule=crontab(minute=45),
)
@tenant_task()
def tidy_account_imports_for_tenant(tenant: Tenant) -> dict:
    result = account_imports_tidy(tenant=tenant)
    return {
        "stopped": result.stopped,
        "files_cleared": result.files_cleared,
        "deleted": result.deleted,
    }


tidy_account_imports = tidy_account_imports_for_tenant.fan_out
