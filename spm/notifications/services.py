"""Notifying people: an in-app row each, and an email sent by a background task."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.tasks_base import enqueue_on_commit

from .models import Notification

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


def notifications_email(*, tenant: Tenant, notification_ids: list[int]) -> int:
    """Email the given notifications that were not emailed yet. Idempotent; returns the count.

    Rows are claimed with a conditional update so that two workers never send the same email.
    """
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update()
            .filter(tenant=tenant, pk__in=notification_ids, emailed_at__isnull=True)
            .select_related("recipient__user")
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
    base_url = getattr(settings, "SPM_BASE_URL", "").rstrip("/")
    mails = []
    for notification in pending:
        link = f"\n\n{base_url}{notification.url}" if notification.url else ""
        mails.append(
            (
                f"[SPM] {notification.title}",
                f"{notification.body}{link}\n\n— {tenant.name} on SPM",
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.user.email],
            )
        )
    if mails:
        send_mass_mail(mails, fail_silently=False)
    return len(mails)


def notifications_mark_read(*, tenant: Tenant, recipient: Membership, ids: list[int] | None) -> int:
    """Mark the recipient's notifications read (all of them when ``ids`` is None)."""
    unread = Notification.objects.filter(tenant=tenant, recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
