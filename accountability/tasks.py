"""Background jobs of accountability. Every job is idempotent and safe to retry;
``tenant_task`` acknowledges late, so a worker killed mid-job leaves it to another."""

from __future__ import annotations

import datetime as dt

from celery.schedules import crontab
from django.db import OperationalError
from django.utils import timezone

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from .services.action_item_reminders import overdue_remind
from .services.recognition import month_close, month_to_close

# Transient database errors (a deadlock victim, a dropped connection) are retried with
# backoff: reminding again sends nothing twice.
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


# Overdue action items. Beat runs this hourly; each organisation is reminded from 09:00
# where it is, on its work days, once a day (``reminded_on``): a run missed at 09:00 is
# made up at 10:00, and so on until midnight.
@every_tenant(
    name="accountability.tasks.overdue_action_item_reminders",
    entry="accountability-overdue-action-items",
    schedule=crontab(minute=15),
)
@tenant_task(soft_time_limit=300, time_limit=360, **RETRY)
def overdue_action_item_reminders_for_tenant(tenant: Tenant) -> int:
    """Remind each owner of overdue action items (from 09:00 on a work day)."""
    return overdue_remind(tenant=tenant, now=timezone.now())


overdue_action_item_reminders = overdue_action_item_reminders_for_tenant.fan_out


# Month close. Beat runs this hourly; each organisation closes the month just ended early
# on the 1st where it is (``month_to_close``): its final attainment, then its quota club.
# Every run in that window closes; only the first grants and notifies anyone.
@every_tenant(
    name="accountability.tasks.month_close",
    entry="accountability-month-close",
    schedule=crontab(minute=5),
)
@tenant_task(soft_time_limit=600, time_limit=660, **RETRY)
def month_close_for_tenant(tenant: Tenant, month: str | None = None) -> dict | None:
    """Close the month just ended (``month``, "YYYY-MM", closes that one at any time)."""
    if month is None:
        first = month_to_close(tenant=tenant, now=timezone.now())
        if first is None:
            return None
    else:
        year, number = month.split("-")[:2]
        first = dt.date(int(year), int(number), 1)
    granted = month_close(tenant=tenant, month=first)
    return {"month": f"{first:%Y-%m}", "granted": len(granted)}


month_close_beat = month_close_for_tenant.fan_out
