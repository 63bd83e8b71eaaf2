"""Reads for recognition: who made a month's quota club, streaks, the leaderboard and the
dashboard's "Recognition" card (DESIGN 4.6).

**Attainment for recognition is revenue attainment.** A member may carry several quotas
in a month (revenue, deals, activities); the quota club and the leaderboard rank by the
revenue quota alone, because revenue is the number the organisation is paid in and the
one every seller carries. A member without a revenue quota that month (or whose revenue
quota is still a draft, never given to them, or has an effective amount of 0) has no
attainment and is not ranked by it. Over a quarter or a year, attainment is
Σ achieved ÷ Σ effective amount of the member's revenue quotas in those months, never the
mean of monthly percentages: a big month weighs more than a small one.

**A streak** is the number of consecutive months, ending with a given month, in which the
member made the quota club (0 when they did not make it that month). The *current* streak
ends with the last closed month (the month before today's, in the organisation's time
zone): the running month has no club yet.

Every read here costs a fixed number of queries, whatever the number of members.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum

from activities.selectors.selling_time import daily_minutes, selling_pct, target_of
from quotas.models import Attainment, Metric, Quota
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids

from ..models import Recognition

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
CLUB_THRESHOLD = Decimal(100)
# The months a streak looks back over: enough for anyone's history, bounded so the read
# stays one small query.
STREAK_LOOKBACK_MONTHS = 120
LATEST_ON_CARD = 3


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CHOICES = (MONTH, QUARTER, YEAR)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(month: dt.date) -> str:
    return f"{month:%B %Y}"


def last_closed_month(tenant: Tenant) -> dt.date:
    """The month before today's, in the organisation's time zone."""
    return add_months(tenant.today().replace(day=1), -1)


def period_bounds(kind: str, at: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter or year holding ``at``, as (first day, last day)."""
    if kind == PeriodKind.MONTH:
        first, months = at.replace(day=1), 1
    elif kind == PeriodKind.QUARTER:
        first, months = dt.date(at.year, 3 * ((at.month - 1) // 3) + 1, 1), 3
    elif kind == PeriodKind.YEAR:
        first, months = dt.date(at.year, 1, 1), 12
    else:
        raise ValueError(f"Unknown period {kind!r}.")
    return first, add_months(first, months) - dt.timedelta(days=1)


def period_label(kind: str, first: dt.date) -> str:
    if kind == PeriodKind.MONTH:
        return month_label(first)
    if kind == PeriodKind.QUARTER:
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return str(first.year)


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _revenue_quotas(tenant: Tenant, first: dt.date, last: dt.date):
    """Revenue quotas given to their members (not drafts) in the months ``first``–``last``."""
    return Quota.objects.filter(
        tenant=tenant, metric=Metric.REVENUE, month__gte=first, month__lte=last
    ).exclude(status=Quota.Status.DRAFT)


# --- The quota club ----------------------------------------------------------------------------


def quota_club_qualifiers(*, tenant: Tenant, month: dt.date) -> dict[int, Decimal]:
    """Members whose stored revenue attainment for ``month`` is ≥ 100%, with it. One query."""
    month = month.replace(day=1)
    rows = Attainment.objects.filter(
        tenant=tenant,
        quota__in=_revenue_quotas(tenant, month, month),
        attainment_pct__gte=CLUB_THRESHOLD,
    ).values_list("quota__member_id", "attainment_pct")
    return {member_id: pct for member_id, pct in rows}


def quota_club_members(*, tenant: Tenant, month: dt.date) -> set[int]:
    """Who holds ``month``'s quota club already. One query."""
    return set(
        Recognition.objects.filter(
            tenant=tenant,
            kind=Recognition.Kind.QUOTA_CLUB,
            automatic=True,
            period_start=month.replace(day=1),
        ).values_list("member_id", flat=True)
    )


def streaks(*, tenant: Tenant, member_ids: Iterable[int] | None, month: dt.date) -> dict[int, int]:
    """Each member's streak ending with ``month`` (see the module); members without one are
    absent (a streak of 0). ``member_ids`` ``None`` means everyone. One query."""
    month = month.replace(day=1)
    clubs = Recognition.objects.filter(
        tenant=tenant,
        kind=Recognition.Kind.QUOTA_CLUB,
        automatic=True,
        period_start__lte=month,
        period_start__gt=add_months(month, -STREAK_LOOKBACK_MONTHS),
    )
    if member_ids is not None:
        clubs = clubs.filter(member_id__in=sorted({int(pk) for pk in member_ids}))
    months: dict[int, set[dt.date]] = defaultdict(set)
    for member_id, start in clubs.values_list("member_id", "period_start"):
        months[member_id].add(start)
    result = {}
    for member_id, held in months.items():
        count, current = 0, month
        while current in held:
            count += 1
            current = add_months(current, -1)
        if count:
            result[member_id] = count
    return result


# --- The leaderboard ---------------------------------------------------------------------------


@dataclass
class LeaderRow:
    member: Membership
    effective_amount: Decimal = Decimal("0")
    achieved: Decimal = Decimal("0")
    attainment_pct: Decimal | None = None
    selling_minutes: int = 0
    total_minutes: int = 0
    selling_pct: Decimal | None = None
    streak: int = 0
    rank: int | None = None  # By attainment; None when they had no revenue quota.


@dataclass
class Leaderboard:
    kind: str
    first: dt.date
    last: dt.date
    label: str
    streak_month: dt.date | None  # The month the streaks end with (None: none closed yet).
    club_month: dt.date
    rows: list[LeaderRow]
    by_attainment: list[LeaderRow] = field(default_factory=list)
    by_selling: list[LeaderRow] = field(default_factory=list)
    by_streak: list[LeaderRow] = field(default_factory=list)
    club: list[Recognition] = field(default_factory=list)
    given: list[Recognition] = field(default_factory=list)
    selling_target_pct: Decimal | None = None


def _ranked(rows: list[LeaderRow], value) -> list[LeaderRow]:
    """Rows with a value, best first, ties by name."""
    present = [row for row in rows if value(row) is not None and value(row) != 0]
    return sorted(present, key=lambda row: (-value(row), row.member.name.lower(), row.member.pk))


def leaderboard(*, tenant: Tenant, kind: str, at: dt.date) -> Leaderboard:
    """The organisation's leaderboard for the month, quarter or year holding ``at``:
    everyone who sells (reps and managers employed during the period), ranked by
    attainment, by selling ratio and by current streak; the quota club of the period's
    month (``at``'s) and the recognitions given in the period. Six queries."""
    first, last = period_bounds(kind, at)
    people = list(
        Membership.objects.filter(
            tenant=tenant, role__in=(Role.REP, Role.MANAGER), start_date__lte=last
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .select_related("user")
    )
    rows = {person.pk: LeaderRow(member=person) for person in people}

    figures = (
        _revenue_quotas(tenant, first, last)
        .order_by()
        .values("member_id")
        .annotate(effective=Sum("effective_amount"), achieved=Sum("attainments__achieved"))
    )
    for figure in figures:
        row = rows.get(figure["member_id"])
        if row is None:
            continue
        row.effective_amount = figure["effective"] or Decimal("0")
        row.achieved = figure["achieved"] or Decimal("0")
        row.attainment_pct = _percent(row.achieved, row.effective_amount)

    frame = daily_minutes(tenant=tenant, start=first, end=min(last, tenant.today()))
    if len(frame):
        sums = frame.groupby("member_id")[["selling", "total"]].sum()
        for member_id, record in sums.iterrows():
            row = rows.get(int(member_id))
            if row is not None:
                row.selling_minutes, row.total_minutes = int(record.selling), int(record.total)
                row.selling_pct = selling_pct(row.selling_minutes, row.total_minutes)

    closed = last_closed_month(tenant)
    streak_month = min(last.replace(day=1), closed) if first <= closed else None
    if streak_month is not None:
        for member_id, count in streaks(tenant=tenant, member_ids=None, month=streak_month).items():
            if member_id in rows:
                rows[member_id].streak = count

    ordered = sorted(rows.values(), key=lambda row: (row.member.name.lower(), row.member.pk))
    by_attainment = _ranked(ordered, lambda row: row.attainment_pct)
    for position, row in enumerate(by_attainment, start=1):
        row.rank = position
    club_month = at.replace(day=1)
    recognitions = (
        Recognition.objects.filter(tenant=tenant)
        .filter(
            Q(kind=Recognition.Kind.QUOTA_CLUB, automatic=True, period_start=club_month)
            | Q(automatic=False, period_start__lte=last, period_end__gte=first)
        )
        .select_related("member__user", "granted_by__user")
        .order_by("-created_at", "-pk")
    )
    club, given = [], []
    for recognition in recognitions:
        (club if recognition.automatic else given).append(recognition)
    club.sort(key=lambda recognition: recognition.member.name.lower())
    return Leaderboard(
        kind=kind,
        first=first,
        last=last,
        label=period_label(kind, first),
        streak_month=streak_month,
        club_month=club_month,
        rows=ordered,
        by_attainment=by_attainment,
        by_selling=_ranked(ordered, lambda row: row.selling_pct),
        by_streak=_ranked(ordered, lambda row: row.streak),
        club=club,
        given=given,
        selling_target_pct=target_of(tenant),
    )


# --- The dashboard card --------------------------------------------------------------------------


@dataclass
class RecognitionCard:
    latest: list[Recognition]
    streak: int
    streak_month: dt.date


def recognition_card(*, tenant: Tenant, viewer: Membership) -> RecognitionCard:
    """The viewer's latest recognitions and current streak. Two queries."""
    latest = list(
        Recognition.objects.filter(tenant=tenant, member=viewer)
        .select_related("granted_by__user")
        .order_by("-period_start", "-created_at", "-pk")[:LATEST_ON_CARD]
    )
    month = last_closed_month(tenant)
    streak = streaks(tenant=tenant, member_ids=[viewer.pk], month=month).get(viewer.pk, 0)
    return RecognitionCard(latest=latest, streak=streak, streak_month=month)


def givable_members(*, tenant: Tenant, viewer: Membership) -> list[Membership]:
    """Whom ``viewer`` may recognise: an admin anyone but themself, a manager their
    reporting tree, a rep nobody. Two queries at most."""
    if viewer.role == Role.ADMIN:
        members = Membership.objects.filter(tenant=tenant).exclude(pk=viewer.pk)
    elif viewer.role == Role.MANAGER:
        members = Membership.objects.filter(
            tenant=tenant, pk__in=sorted(report_ids(tenant=tenant, manager=viewer))
        )
    else:
        return []
    return sorted(members.select_related("user"), key=lambda m: (m.name.lower(), m.pk))
