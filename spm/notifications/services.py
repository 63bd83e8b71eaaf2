"""Notifying people: an in-app row each, and an email sent by a background task."""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.tasks_base import enqueue_on_commit

from .models import Notification

logger = logging.getLogger(__name__)

# At most this many waiting emails per organisation and sweep.
EMAIL_SWEEP_BATCH = 500

# The task that emails stored notifications (``tasks.email_notifications``), by name.
EMAIL_TASK = "spm.notifications.tasks.email_notifications"


@dataclass(frozen=True)
class Message:
    recipient: Membership
    kind: str
    title: str
    body: str = ""
    url: str = ""


def notify(
    *, tenant: Tenant, messages: Iterable[Message], email: bool = True
) -> list[Notification]:
    """Store one notification per message in bulk and, on commit, email them.

    Messages for members of another tenant are a programming error and raise.
    """
    rows = []
    for message in messages:
        if message.recipient.tenant_id != tenant.pk:
            raise ValueError("A notification's recipient must belong to the tenant.")
        rows.append(
            Notification(
                tenant=tenant,
                recipient=message.recipient,
                kind=message.kind,
                title=message.title[:200],
                body=message.body,
                url=message.url,
            )
        )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    if email:
        ids = [row.pk for row in created]  # PostgreSQL and SQLite return ids.
        enqueue_on_commit(EMAIL_TASK, tenant, ids)
    return created


# Refusals that concern one message alone (its address or headers), not the mail server.
PERMANENT_FAILURES = (BadHeaderError, ValueError, smtplib.SMTPRecipientsRefused)


def _email_message(*, tenant: Tenant, notification: Notification, connection) -> EmailMessage:
    base_url = getattr(settings, "SPM_BASE_URL", "").rstrip("/")
    link = f"\n\n{base_url}{notification.url}" if notification.url else ""
    return EmailMessage(
        subject=f"[SPM] {notification.title}",
        body=f"{notification.body}{link}\n\n— {tenant.name} on SPM",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.user.email],
        connection=connection,
    )


def notifications_email(*, tenant: Tenant, notification_ids: list[int]) -> int:
    """Email the given notifications that were not emailed yet; returns how many were sent.

    Each notification is marked emailed only once its email is sent, under a row lock
    (SKIP LOCKED) so that two workers never send the same one. A message that can never
    be sent (a bad header, a refused address) is marked failed and the others go on. A
    mail server that refuses or cannot be reached raises after marking what was sent, so
    the task retries the rest with backoff (and the periodic sweep catches anything left).
    """
    sent = 0
    with get_connection() as connection:
        for notification_id in sorted(set(notification_ids)):
            with transaction.atomic():
                notification = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("recipient__user")
                    .filter(
                        tenant=tenant,
                        pk=notification_id,
                        emailed_at__isnull=True,
                        email_failed_at__isnull=True,
                    )
                    .first()
                )
                if notification is None:
                    continue  # Sent already, failed for good, or another worker has it.
                try:
                    _email_message(
                        tenant=tenant, notification=notification, connection=connection
                    ).send()
                except PERMANENT_FAILURES as error:
                    logger.warning("Notification %s cannot be emailed: %s", notification.pk, error)
                    notification.email_failed_at = timezone.now()
                    notification.email_error = str(error)[:300]
                    notification.save(update_fields=["email_failed_at", "email_error"])
                    continue
                notification.emailed_at = timezone.now()
                notification.save(update_fields=["emailed_at"])
                sent += 1
    return sent


def notifications_email_pending(*, tenant: Tenant, older_than: dt.timedelta) -> int:
    """Email every notification still waiting after ``older_than`` (its task gave up while
    the mail server was away). Idempotent; returns how many were sent."""
    waiting = list(
        Notification.objects.filter(
            tenant=tenant,
            emailed_at__isnull=True,
            email_failed_at__isnull=True,
            created_at__lte=timezone.now() - older_than,
        ).values_list("pk", flat=True)[:EMAIL_SWEEP_BATCH]
    )
    return notifications_email(tenant=tenant, notification_ids=waiting) if waiting else 0


def notifications_mark_read(*, tenant: Tenant, recipient: Membership, ids: list[int] | None) -> int:
    """Mark the recipient's notifications read (all of them when ``ids`` is None)."""
    unread = Notification.objects.filter(tenant=tenant, recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
