"""Recognition: the month's quota club, granted automatically, and recognitions given by a
manager or an admin (DESIGN 4.6).

Invariants:

- **Quota club.** ``quota_club_close`` grants a month's "Quota club" to every member whose
  stored revenue attainment for that month is ≥ 100% (revenue decides; a member's deals
  or activities quotas do not: see ``accountability.selectors.recognition``). The
  caller computes the month's final attainment first (the month-close job does). It is
  idempotent: one automatic recognition per member, kind and period (a partial unique
  constraint in the database); a second close adds and notifies nobody. Closing takes
  the organisation's row lock first, so two closes at once grant each member once. A
  member granted the club keeps it if a late sale correction lowers the month afterwards:
  recognition, once told, is not taken back.
- **Given recognitions.** ``recognition_give``: an admin recognises anyone but
  themself, a manager the members of their reporting tree (direct and indirect); a rep
  gives none (``PermissionDenied``). A title and a reason are required. The period is
  the current month in the organisation's time zone.
- **Month close.** ``month_close`` is the hourly job's body: on the 1st of a month, from
  ``MONTH_CLOSE_HOUR`` (midnight) to ``MONTH_CLOSE_LAST_HOUR`` in the organisation's time
  zone, it computes the month just ended's final attainment (quotas'
  ``attainment_compute`` as of its last day), then closes its quota club. Every run in
  that window does so (a run missed at midnight is made up an hour later); only the first
  grants and notifies, the others find everyone granted already.
- Every new recognition notifies its member, in the app and by email, in the same
  transaction, and writes an audit row.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from quotas.services.attainment import attainment_compute
from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids
from spm.tenancy.services import audit

from ..models import Recognition
from ..selectors.recognition import (
    add_months,
    month_label,
    quota_club_members,
    quota_club_qualifiers,
)

MONTH_CLOSE_HOUR = 0
MONTH_CLOSE_LAST_HOUR = 5
QUOTA_CLUB_TITLE = "Quota club"
QUOTA_CLUB_KIND = "accountability.quota_club"
RECOGNITION_KIND = "accountability.recognition"
MAX_TITLE = 100
MAX_REASON = 2000
NOT_YOURS_TO_GIVE = "Only managers and admins give recognitions."
OUTSIDE_TEAM = "You can recognise only the members of your team."


def _lock_tenant(tenant: Tenant) -> None:
    """Serialise the closes of one organisation (see the module's docstring)."""
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))


def _leaderboard_url(month: dt.date) -> str:
    return f"{reverse('accountability:leaderboard')}?period=month&at={month:%Y-%m}"


def quota_club_close(*, tenant: Tenant, month: dt.date, tell: bool = True) -> list[Recognition]:
    """Grant ``month``'s quota club to everyone at ≥ 100% who does not hold it yet and tell
    them (``tell=False``: history written after the fact, e.g. the demo's past months, is
    not news); returns the new recognitions (empty when there is nobody new)."""
    first = month.replace(day=1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    with transaction.atomic():
        _lock_tenant(tenant)
        qualifiers = quota_club_qualifiers(tenant=tenant, month=first)
        new = sorted(set(qualifiers) - quota_club_members(tenant=tenant, month=first))
        if not new:
            return []
        members = Membership.objects.filter(tenant=tenant, pk__in=new).select_related("user")
        people = {member.pk: member for member in members}
        created = Recognition.objects.bulk_create(
            [
                Recognition(
                    tenant=tenant,
                    member=people[member_id],
                    kind=Recognition.Kind.QUOTA_CLUB,
                    title=QUOTA_CLUB_TITLE,
                    period_start=first,
                    period_end=last,
                    reason=f"{qualifiers[member_id]}% of the revenue quota.",
                    automatic=True,
                )
                for member_id in new
            ]
        )
        notify(
            tenant=tenant,
            messages=[]
            if not tell
            else [
                Message(
                    recipient=recognition.member,
                    kind=QUOTA_CLUB_KIND,
                    title=f"You made the quota club for {month_label(first)}",
                    body=(
                        f"You reached {qualifiers[recognition.member_id]}% of your revenue "
                        f"quota in {month_label(first)}. Congratulations!"
                    ),
                    url=_leaderboard_url(first),
                )
                for recognition in created
            ],
        )
        audit(
            tenant=tenant,
            actor=None,
            action="recognition.quota_club",
            obj=tenant,
            data={"month": f"{first:%Y-%m}", "members": new},
        )
    return created


def month_to_close(*, tenant: Tenant, now: dt.datetime) -> dt.date | None:
    """The month the hourly job closes at ``now`` (an aware datetime): the month just
    ended, early on the 1st where the organisation is; ``None`` at any other time."""
    if now.tzinfo is None:
        raise ValueError("Pass an aware datetime.")
    local = now.astimezone(tenant.zone)
    if local.day != 1 or not MONTH_CLOSE_HOUR <= local.hour <= MONTH_CLOSE_LAST_HOUR:
        return None
    return add_months(local.date(), -1)


def month_close(*, tenant: Tenant, month: dt.date) -> list[Recognition]:
    """Compute ``month``'s final attainment, then close its quota club."""
    first = month.replace(day=1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    attainment_compute(tenant=tenant, as_of=last, months=[first])
    return quota_club_close(tenant=tenant, month=first)


def may_give(actor: Membership, member: Membership) -> bool:
    """Whether ``actor`` may recognise ``member`` (see the module's docstring)."""
    if actor.pk == member.pk or actor.tenant_id != member.tenant_id:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MANAGER:
        return member.pk in report_ids(tenant=actor.tenant, manager=actor)
    return False


def recognition_give(
    *, tenant: Tenant, actor: Membership, member: Membership, title: str, reason: str
) -> Recognition:
    """``actor`` recognises ``member`` for the current month with ``title`` and ``reason``;
    the member is told. ``PermissionDenied`` for a rep; ``ValidationError`` (by field:
    ``member``, ``title``, ``reason``) for anything else that is wrong, and nothing is
    written."""
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied(NOT_YOURS_TO_GIVE)
    title, reason = (title or "").strip(), (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if member.tenant_id != tenant.pk or not may_give(actor, member):
        errors["member"] = [OUTSIDE_TEAM]
    if not title:
        errors["title"] = ["Give the recognition a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"Keep the title to {MAX_TITLE} characters."]
    if not reason:
        errors["reason"] = ["Say what it is for: a reason is required."]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"Keep the reason to {MAX_REASON} characters."]
    if errors:
        raise ValidationError(errors)
    first = tenant.today().replace(day=1)
    with transaction.atomic():
        recognition = Recognition.objects.create(
            tenant=tenant,
            member=member,
            kind=Recognition.Kind.KUDOS,
            title=title,
            period_start=first,
            period_end=add_months(first, 1) - dt.timedelta(days=1),
            reason=reason,
            granted_by=actor,
            automatic=False,
        )
        notify(
            tenant=tenant,
            messages=[
                Message(
                    recipient=member,
                    kind=RECOGNITION_KIND,
                    title=f"{actor.name} recognised you: {title}",
                    body=reason,
                    url=_leaderboard_url(first),
                )
            ],
        )
        audit(
            tenant=tenant,
            actor=actor.user,
            action="recognition.give",
            obj=recognition,
            data={"member": member.pk, "title": title},
        )
    return recognition
