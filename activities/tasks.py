"""Background jobs of activities: the daily plan's morning suggestions, the reminder to
log a work day and the managers' weekly digest of selling time.

Every job is idempotent (suggesting again adds nothing already suggested) and safe to
retry; ``tenant_task`` acknowledges late, so a worker killed mid-job leaves it to another.
"""

from __future__ import annotations

from celery.schedules import crontab
from django.db import OperationalError
from django.utils import timezone

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from .services.plan import plans_suggest_morning
from .services.reminders import nothing_logged_remind, weekly_digest_send

# Transient database errors (a deadlock victim, a dropped connection) are retried with
# backoff: suggesting again is harmless.
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}

# The morning's suggestions are made when it is this hour where the organisation is.
MORNING_HOUR = 6


# Beat runs this hourly, on the hour; each organisation plans in the one run where its
# local hour is ``MORNING_HOUR`` (any offset, half and three-quarter hours included, has
# exactly one such run a day; the hour repeated when clocks go back runs it twice, and
# the second run adds nothing).
@every_tenant(
    name="activities.tasks.morning_plans",
    entry="morning-plan-suggestions",
    schedule=crontab(minute=0),
)
@tenant_task(soft_time_limit=300, time_limit=360, **RETRY)
def morning_plans_for_tenant(tenant: Tenant, force: bool = False) -> dict | None:
    """At 06:00 in the organisation's time zone: suggest today's plan to every member
    employed today who works a territory (``plans_suggest_morning``)."""
    if not force and timezone.localtime().hour != MORNING_HOUR:
        return None
    done = plans_suggest_morning(tenant=tenant)
    return {"date": tenant.today().isoformat(), "added": done.added, "gaps": done.gaps}


# The beat job: one ``morning_plans_for_tenant`` per active organisation, hourly.
morning_plans = morning_plans_for_tenant.fan_out


# Reminders. Beat runs both hourly; each run does what is due where the organisation is and
# not done yet (the services record every reminder, so a run never sends one twice): the
# reminder to log from 18:00 on a work day, the digest from 08:00 on Monday. A run missed
# at 18:00 is made up at 19:00, and so on until midnight.
@every_tenant(
    name="activities.tasks.nothing_logged_reminders",
    entry="activities-nothing-logged-reminders",
    schedule=crontab(minute=5),
)
@tenant_task(soft_time_limit=300, time_limit=360, **RETRY)
def nothing_logged_reminders_for_tenant(tenant: Tenant) -> int:
    """Remind each rep and manager who logged nothing on today's work day (from 18:00)."""
    return nothing_logged_remind(tenant=tenant, now=timezone.now())


@every_tenant(
    name="activities.tasks.weekly_digests",
    entry="activities-weekly-digests",
    schedule=crontab(minute=10),
)
@tenant_task(soft_time_limit=300, time_limit=360, **RETRY)
def weekly_digests_for_tenant(tenant: Tenant) -> int:
    """Send each manager last week's selling time of their team (Monday, from 08:00)."""
    return weekly_digest_send(tenant=tenant, now=timezone.now())


nothing_logged_reminders = nothing_logged_reminders_for_tenant.fan_out
weekly_digests = weekly_digests_for_tenant.fan_out
