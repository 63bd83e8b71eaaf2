"""A manager's scorecard: do they lead by example (DESIGN 4.6)?

Three figures, read in a fixed number of queries whatever the size of the team:

- **Team at quota**: the share of the reps in their reporting tree (direct and indirect;
  members with reports of their own left out, as quotas' team page does) whose revenue
  attainment is at or above 100%, this month and last month, from quotas' stored
  ``Attainment`` through ``quotas.selectors.progress.team_attainment``.
- **Own action items on time**: of the items the manager owns that fell due in the last
  ``ON_TIME_DAYS`` days (up to yesterday; dropped items left out), the share done by
  their due date (the organisation's date of completion).
- **Reviews on time**: for the last closed review period (the cadence of the template in
  force today), the members of their reporting tree employed at the period's end, and
  how many of them had that period's review shared by the period's end plus
  ``REVIEW_GRACE_DAYS`` days.

Who sees a scorecard: the manager, anyone above them in their reporting line, and admins
(``scorecard_subject``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from quotas.models import Metric
from quotas.selectors.progress import ReportingLines, team_attainment
from spm.tenancy.models import Membership, Role, Tenant

from ..models import ActionItem, Cadence, Review, ReviewTemplate
from ..services.templates import period_of

ON_TIME_DAYS = 90
REVIEW_GRACE_DAYS = 14
CENT = Decimal("0.01")


def _share(count: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(count) * 100 / Decimal(total)).quantize(CENT, rounding=ROUND_HALF_UP)


def _previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class AtQuota:
    month: dt.date
    reps: int
    at_quota: int
    share: Decimal | None


@dataclass(frozen=True)
class Scorecard:
    manager: Membership
    today: dt.date
    this_month: AtQuota
    last_month: AtQuota
    items_due: int
    items_on_time: int
    items_share: Decimal | None
    items_since: dt.date
    period_start: dt.date
    period_end: dt.date
    review_deadline: dt.date
    reviews_due: int
    reviews_on_time: int
    reviews_share: Decimal | None
    late_or_missing: list[Membership]


def scorecard_subject(*, tenant: Tenant, viewer: Membership, member_id: int) -> Membership | None:
    """The member whose scorecard ``viewer`` asks for, or ``None`` (a 404) when it is not
    theirs to see: another organisation's, a rep's, or a manager who is neither the viewer
    nor below them. Reps are refused before this (a 403)."""
    subject = Membership.objects.filter(tenant=tenant, pk=member_id).select_related("user").first()
    if subject is None or subject.role == Role.REP:
        return None
    if viewer.role == Role.ADMIN or subject.pk == viewer.pk:
        return subject
    if viewer.role != Role.MANAGER:
        return None
    lines = ReportingLines.read(tenant)
    return subject if viewer.pk in lines.managers_above([subject.pk]) else None


def scorecard_choices(*, tenant: Tenant, viewer: Membership) -> list[Membership]:
    """The managers whose scorecard ``viewer`` may open: themselves and the managers below
    them; every manager and admin for an admin."""
    people = Membership.objects.filter(tenant=tenant, role__in=(Role.MANAGER, Role.ADMIN))
    people = list(people.select_related("user"))
    if viewer.role != Role.ADMIN:
        lines = ReportingLines.read(tenant)
        below = set(lines.team(viewer.pk))
        people = [person for person in people if person.pk in below]
    return sorted(people, key=lambda person: (person.pk != viewer.pk, person.name.lower()))


def _at_quota(tenant: Tenant, manager: Membership, month: dt.date, today: dt.date) -> AtQuota:
    # As of today: the stored figures, final for a closed month.
    team = team_attainment(
        tenant=tenant, manager=manager, month=month, as_of=today, metric=Metric.REVENUE
    )
    return AtQuota(month, team.reps, team.at_or_above_100, team.share_at_or_above_100)


def _cadence(tenant: Tenant, today: dt.date) -> str:
    template = (
        ReviewTemplate.objects.filter(tenant=tenant, active=True, effective_from__lte=today)
        .order_by("-effective_from", "-version", "pk")
        .first()
    )
    return template.cadence if template is not None else Cadence.QUARTERLY


def manager_scorecard(*, tenant: Tenant, manager: Membership) -> Scorecard:
    """``manager``'s scorecard as of today in the organisation's time zone."""
    today = tenant.today()
    month = today.replace(day=1)
    this_month = _at_quota(tenant, manager, month, today)
    last_month = _at_quota(tenant, manager, _previous_month(month), today)

    since = today - dt.timedelta(days=ON_TIME_DAYS)
    zone = tenant.zone
    due = on_time = 0
    for status, due_date, completed_at in (
        ActionItem.objects.filter(
            tenant=tenant, owner_id=manager.pk, due_date__gte=since, due_date__lt=today
        )
        .exclude(status=ActionItem.Status.DROPPED)
        .values_list("status", "due_date", "completed_at")
    ):
        due += 1
        if (
            status == ActionItem.Status.DONE
            and completed_at is not None
            and completed_at.astimezone(zone).date() <= due_date
        ):
            on_time += 1

    cadence = _cadence(tenant, today)
    current_start, _ = period_of(cadence, today)
    start, end = period_of(cadence, current_start - dt.timedelta(days=1))
    deadline = end + dt.timedelta(days=REVIEW_GRACE_DAYS)
    lines = ReportingLines.read(tenant)
    tree = set(lines.team(manager.pk)) - {manager.pk}
    members = [
        person
        for person in Membership.objects.filter(tenant=tenant, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=end))
        .select_related("user")
        if person.pk in tree
    ]
    shared = {
        member_id: shared_at
        for member_id, shared_at in Review.objects.filter(
            tenant=tenant,
            period_start=start,
            period_end=end,
            corrects__isnull=True,
            shared_at__isnull=False,
        ).values_list("member_id", "shared_at")
    }
    on_time_reviews, late = 0, []
    for person in members:
        shared_at = shared.get(person.pk)
        if shared_at is not None and shared_at.astimezone(zone).date() <= deadline:
            on_time_reviews += 1
        else:
            late.append(person)
    return Scorecard(
        manager=manager,
        today=today,
        this_month=this_month,
        last_month=last_month,
        items_due=due,
        items_on_time=on_time,
        items_share=_share(on_time, due),
        items_since=since,
        period_start=start,
        period_end=end,
        review_deadline=deadline,
        reviews_due=len(members),
        reviews_on_time=on_time_reviews,
        reviews_share=_share(on_time_reviews, len(members)),
        late_or_missing=sorted(late, key=lambda person: person.name.lower()),
    )
