"""Emailing notifications in the background, with retries while the mail server is away."""

import datetime as dt

from celery.schedules import crontab

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from .services import notifications_email, notifications_email_pending

# An email task retries for about an hour (1, 2, 4 … 600 s between tries) before the
# periodic sweep below takes over what is left.
RETRY = {
    "autoretry_for": (ConnectionError, OSError),  # smtplib's errors are OSErrors.
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}
# What the sweep leaves to the task still retrying.
SWEEP_AFTER = dt.timedelta(minutes=15)


@tenant_task(**RETRY)
def email_notifications(tenant: Tenant, notification_ids: list[int]) -> int:
    return notifications_email(tenant=tenant, notification_ids=notification_ids)


@every_tenant(
    name="spm.notifications.tasks.email_waiting_notifications",
    entry="email-waiting-notifications",
    schedule=crontab(minute="*/10"),
)
@tenant_task(**RETRY)
def email_waiting_notifications_for_tenant(tenant: Tenant) -> int:
    return notifications_email_pending(tenant=tenant, older_than=SWEEP_AFTER)
