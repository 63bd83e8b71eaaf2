"""The daily reminder of overdue action items: an in-app notification and an email.

Invariants:

- From ``REMINDER_HOUR`` (09:00) in the organisation's time zone, on its work days (its
  work week, not its holidays), every owner of an open item due before today (the
  organisation's date) gets one message listing all their overdue items. Owners no longer
  (or not yet) employed are not reminded.
- **Once a day, whatever runs.** The job runs hourly; the items reminded are marked with
  today's date (``reminded_on``) in the same transaction as the notifications, and an
  owner with any item marked today is not reminded again that day. A run takes the
  organisation's row lock first, so a retry beside a slow first run sends nothing twice.
- The time is passed in (``now``, an aware datetime): "today" is the organisation's date
  at that instant, which may differ from the date in UTC.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse

from spm.calendars.models import Holiday
from spm.calendars.services import readable_date
from spm.notifications.services import Message, notify
from spm.tenancy.models import Tenant

from ..models import ActionItem
from ..selectors.action_items import overdue_owners

REMINDER_HOUR = 9
OVERDUE_KIND = "accountability.action_items_overdue"


def _lock_tenant(tenant: Tenant) -> None:
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))


def is_work_day(*, tenant: Tenant, day: dt.date) -> bool:
    """On the organisation's work week and not one of its holidays (one query)."""
    if day.isoweekday() not in set(tenant.work_week):
        return False
    return not Holiday.objects.filter(tenant=tenant, date=day).exists()


def _message(owner, items: list[ActionItem], today: dt.date) -> Message:
    count = len(items)
    title = (
        f"Overdue action item: {items[0].title}" if count == 1 else f"{count} overdue action items"
    )
    lines = [f"{'This action item is' if count == 1 else 'These action items are'} overdue:"]
    for item in items:
        about = "" if item.member_id == owner.pk else f" (about {item.member.name})"
        lines.append(f"- {item.title}{about}, due {readable_date(item.due_date)}")
    lines.append("Mark them done in one click, or agree a new date.")
    return Message(
        recipient=owner,
        kind=OVERDUE_KIND,
        title=title,
        body="\n".join(lines),
        url=reverse("accountability:action_items"),
    )


def overdue_remind_day(*, tenant: Tenant, day: dt.date) -> int:
    """Remind every owner with items overdue on ``day`` not reminded that day (a work day;
    another day sends nothing). Returns how many owners were reminded."""
    if not is_work_day(tenant=tenant, day=day):
        return 0
    with transaction.atomic():
        _lock_tenant(tenant)
        due = overdue_owners(tenant=tenant, today=day)
        if not due:
            return 0
        ids = [item.pk for items in due.values() for item in items]
        ActionItem.objects.filter(tenant=tenant, pk__in=ids).update(reminded_on=day)
        notify(
            tenant=tenant,
            messages=[_message(owner, items, day) for owner, items in due.items()],
        )
    return len(due)


def overdue_remind(*, tenant: Tenant, now: dt.datetime) -> int:
    """The hourly job: from ``REMINDER_HOUR`` in the organisation's time zone, remind about
    today (its date there). Earlier in the day it does nothing; a run missed at 09:00 is
    made up by the next."""
    if now.tzinfo is None:
        raise ValueError("Pass an aware datetime.")
    local = now.astimezone(tenant.zone)
    if local.hour < REMINDER_HOUR:
        return 0
    return overdue_remind_day(tenant=tenant, day=local.date())
