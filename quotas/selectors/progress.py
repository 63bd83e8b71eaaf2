"""How quotas are going: the rep's own progress, a manager's team, achievability.

Read models for the pages (DESIGN 4.2, 4.3). Each function reads in a fixed number of
queries whatever the size of the team; figures come from the stored ``Attainment`` rows
and ``AttainmentSnapshot``\\ s (``quotas.services.attainment``), the stored targets
(rolldown), and for achievability from ``rules.achievability_frame`` over the metric
source's trailing 90-day figures.

- ``my_quota_summary(tenant=, member=, today=)``: the member's quotas of today's month;
- ``team_attainment(tenant=, manager=, month=, as_of=)``: a manager's reporting tree;
- ``achievability_for(tenant=, quotas=)``: required vs trailing daily rate per quota;
- ``day_targets(tenant=, member_ids=, day=, metric=)``: each member's target on one day
  and what was achieved that day (the daily plan's gap line).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import Sum

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import Membership, Tenant

from .. import metrics, rules
from ..models import Attainment, AttainmentSnapshot, Metric, Quota, QuotaTarget

ZERO = Decimal("0")
CENT = Decimal("0.01")
# Attainment distribution buckets: (label, lower bound included, upper bound excluded).
BUCKETS = (
    ("< 25%", None, Decimal(25)),
    ("25–50%", Decimal(25), Decimal(50)),
    ("50–75%", Decimal(50), Decimal(75)),
    ("75–100%", Decimal(75), Decimal(100)),
    ("100–125%", Decimal(100), Decimal(125)),
    ("≥ 125%", Decimal(125), None),
)
# Members above which a query reads the organisation's rows and filters in Python: an
# ``IN`` list of thousands of ids makes a poor plan (and SQLite caps parameters).
IN_LIST_LIMIT = 1_000


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (numerator * 100 / denominator).quantize(CENT, rounding=ROUND_HALF_UP)


def _share(count: int, total: int) -> Decimal | None:
    return _percent(Decimal(count), Decimal(total)) if total else None


# --- Reporting lines -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingLines:
    """The organisation's reporting lines, read in one query, walked in memory."""

    manager_of: dict[int, int]
    children: dict[int, list[int]]

    @classmethod
    def read(cls, tenant: Tenant) -> ReportingLines:
        manager_of = dict(
            Membership.objects.filter(tenant=tenant, manager__isnull=False).values_list(
                "pk", "manager_id"
            )
        )
        children: dict[int, list[int]] = defaultdict(list)
        for member_id, manager_id in manager_of.items():
            children[manager_id].append(member_id)
        return cls(manager_of, dict(children))

    def managers_above(self, member_ids: Iterable[int]) -> set[int]:
        """Everyone above ``member_ids`` in the reporting lines, up to the top."""
        found: set[int] = set()
        for member_id in member_ids:
            current = self.manager_of.get(member_id)
            while current is not None and current not in found:
                found.add(current)
                current = self.manager_of.get(current)
        return found

    def team(self, member_id: int) -> list[int]:
        """``member_id`` and everyone below them, direct and indirect: whose figures a
        quota of ``member_id`` counts (DESIGN 4.3)."""
        found, stack, seen = [], [member_id], {member_id}
        while stack:
            current = stack.pop()
            found.append(current)
            for child in self.children.get(current, ()):
                if child not in seen:  # The services keep the tree a tree; be safe.
                    seen.add(child)
                    stack.append(child)
        return found

    def has_reports(self, member_id: int) -> bool:
        return bool(self.children.get(member_id))


# --- Achievability -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaAchievability:
    """DESIGN 4.2 for one quota. ``has_source`` is False when the metric has no data
    source: then nothing is known about the trailing rate and nothing is flagged."""

    effective_amount: Decimal
    capacity_days: int
    trailing_achieved: Decimal | None
    trailing_capacity_days: int
    required_daily_rate: Decimal | None
    actual_daily_rate: Decimal | None
    ratio: Decimal | None
    flagged: bool
    has_source: bool


QuotaKey = tuple[int, dt.date, str]  # (member id, month, metric): one quota.


def quota_key(quota: Quota) -> QuotaKey:
    return (quota.member_id, quota.month, quota.metric)


def achievability_for(
    *, tenant: Tenant, quotas: Iterable[Quota], today: dt.date | None = None
) -> dict[QuotaKey, QuotaAchievability]:
    """Achievability of each quota, keyed by ``quota_key`` (quotas need not be saved: the
    grid asks while the manager types).

    The required daily rate is the effective amount (computed here by ``rules.rolldown``
    from the quota's amount, ramp and the calendar, so an unsaved figure is judged too)
    over the month's capacity days; the actual rate is the member's achieved figure over
    the trailing 90 days before ``today`` (their team's, for a manager's quota, as their
    attainment counts) over their own capacity days in that window. Flagged above
    ``tenant.achievability_multiple`` (DESIGN 4.2). The same window for every month, as
    on the grid: the latest history is what a manager judges a quota against.

    Queries: members, reporting lines, holidays, time off, and one per metric: the same
    for 5 quotas or 5,000.
    """
    quotas = list(quotas)
    if not quotas:
        return {}
    today = today or tenant.today()
    window = rules.trailing_window(today)
    months = sorted({quota.month for quota in quotas})
    first = min(window[0], months[0])
    last = max(window[1], rules.month_bounds(months[-1])[1])
    member_ids = {quota.member_id for quota in quotas}
    lines = ReportingLines.read(tenant)
    teams = {member_id: lines.team(member_id) for member_id in member_ids}
    employment = dict(
        (pk, (start, end))
        for pk, start, end in _members(tenant, member_ids).values_list(
            "pk", "start_date", "end_date"
        )
        if pk in member_ids
    )
    calendar = _calendar(tenant, first, last)
    time_off = _time_off(tenant, member_ids, first, last)

    rolled = rules.rolldown(
        [
            rules.QuotaInput(
                key=position,
                month=quota.month,
                metric=quota.metric,
                amount=quota.amount,
                ramp_pct=quota.ramp_pct,
                start_date=employment[quota.member_id][0],
                end_date=employment[quota.member_id][1],
                time_off=time_off.get(quota.member_id, ()),
            )
            for position, quota in enumerate(quotas)
        ],
        calendar,
        units=metrics.units(),
    ).quotas
    trailing_days = {
        row.key: int(row.capacity_days)
        for row in rules.capacity_counts(
            calendar,
            [
                rules.MemberSpan(
                    member_id,
                    window[0],
                    window[1],
                    start_date=employment[member_id][0],
                    end_date=employment[member_id][1],
                    time_off=time_off.get(member_id, ()),
                )
                for member_id in sorted(member_ids)
            ],
        ).itertuples()
    }
    trailing: dict[str, dict[int, Decimal]] = {}
    for metric in sorted({quota.metric for quota in quotas}):
        source = metrics.get(metric)
        if source is None:
            continue
        everyone = sorted({m for member_id in member_ids for m in teams[member_id]})
        own = source.achieved(tenant, everyone, window[0], window[1])
        trailing[metric] = {
            member_id: sum((own.get(m, ZERO) for m in teams[member_id]), ZERO)
            for member_id in member_ids
        }

    frame = pd.DataFrame(
        {
            "effective_amount": rolled["effective_amount"].tolist(),
            "capacity_days": rolled["capacity_days"].tolist(),
            "trailing_achieved": [
                trailing.get(q.metric, {}).get(q.member_id, ZERO) for q in quotas
            ],
            "trailing_capacity_days": [
                trailing_days[q.member_id] if q.metric in trailing else 0 for q in quotas
            ],
        },
        dtype=object,
    )
    judged = rules.achievability_frame(frame, multiple=tenant.achievability_multiple)
    result = {}
    for position, quota in enumerate(quotas):
        has_source = quota.metric in trailing
        result[quota_key(quota)] = QuotaAchievability(
            effective_amount=frame["effective_amount"][position],
            capacity_days=int(frame["capacity_days"][position]),
            trailing_achieved=frame["trailing_achieved"][position] if has_source else None,
            trailing_capacity_days=int(trailing_days[quota.member_id]),
            required_daily_rate=judged["required_daily_rate"][position],
            actual_daily_rate=judged["actual_daily_rate"][position] if has_source else None,
            ratio=judged["ratio"][position],
            flagged=bool(judged["flagged"][position]),
            has_source=has_source,
        )
    return result


def _members(tenant: Tenant, member_ids: set[int]):
    members = Membership.objects.filter(tenant=tenant)
    if len(member_ids) <= IN_LIST_LIMIT:
        members = members.filter(pk__in=sorted(member_ids))
    return members


def _calendar(tenant: Tenant, first: dt.date, last: dt.date) -> rules.TenantCalendar:
    holidays = Holiday.objects.filter(tenant=tenant, date__gte=first, date__lte=last)
    return rules.TenantCalendar(
        work_week=frozenset(tenant.work_week),
        weekday_weights=tuple(tenant.weights),
        holidays=frozenset(holidays.values_list("date", flat=True)),
        prorate_time_off=tenant.prorate_time_off,
    )


def _time_off(
    tenant: Tenant, member_ids: set[int], first: dt.date, last: dt.date
) -> dict[int, tuple[tuple[dt.date, dt.date], ...]]:
    """Time off overlapping ``first``–``last`` per member, in one query (the tenant's
    ranges in the span, kept in Python: no ``IN`` list of thousands of ids)."""
    ranges: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for member_id, start, end in TimeOff.objects.filter(
        tenant=tenant, start__lte=last, end__gte=first
    ).values_list("member_id", "start", "end"):
        if member_id in member_ids:
            ranges[member_id].append((start, end))
    return {member_id: tuple(spans) for member_id, spans in ranges.items()}


# --- The rep's own progress -----------------------------------------------------------------


@dataclass(frozen=True)
class ProgressPoint:
    """One day of the month on the progress chart: the day's target, the cumulative
    target (what was expected by its end) and what was achieved by its end (``None``
    for days without a snapshot, e.g. the days to come)."""

    day: dt.date
    target: Decimal
    expected: Decimal
    achieved: Decimal | None


@dataclass
class QuotaProgress:
    """Where one quota of the month stands for its member."""

    quota: Quota
    label: str
    unit: Decimal
    has_source: bool  # False: "no data source" instead of figures.
    today_target: Decimal | None  # None when today is not a capacity day.
    effective_amount: Decimal
    achieved: Decimal | None
    expected_to_date: Decimal | None
    attainment_pct: Decimal | None
    pace_pct: Decimal | None
    projected: Decimal | None
    as_of: dt.date | None  # Of the stored figures; None before the first computation.
    left: Decimal | None  # What remains to reach the effective amount (never below 0).
    remaining_capacity_days: int  # Capacity days from today to the month's end.
    needed_per_day: Decimal | None  # left ÷ remaining capacity days, to 0.01.
    series: list[ProgressPoint] = field(default_factory=list)

    @property
    def no_capacity(self) -> bool:
        return self.quota.no_capacity

    @property
    def targets_pending(self) -> bool:
        return self.quota.targets_pending


@dataclass
class MyQuotaSummary:
    member: Membership
    month: dt.date
    today: dt.date
    quotas: list[QuotaProgress]  # One per metric of the month, revenue first.

    @property
    def primary(self) -> QuotaProgress | None:
        return self.quotas[0] if self.quotas else None


METRIC_ORDER = {metric: position for position, metric in enumerate(Metric.values)}


def my_quota_summary(*, tenant: Tenant, member: Membership, today: dt.date) -> MyQuotaSummary:
    """``member``'s quotas of the month holding ``today`` (the tenant's date): today's
    target, the month's figures, what is left and needed per remaining capacity day, and
    a daily series for the progress chart. Four queries, whatever the month holds."""
    month = today.replace(day=1)
    last = rules.month_bounds(month)[1]
    quotas = sorted(
        Quota.objects.filter(tenant=tenant, member_id=member.pk, month=month),
        key=lambda quota: (METRIC_ORDER.get(quota.metric, len(METRIC_ORDER)), quota.metric),
    )
    if not quotas:
        return MyQuotaSummary(member=member, month=month, today=today, quotas=[])
    ids = [quota.pk for quota in quotas]
    stored = {
        row.quota_id: row for row in Attainment.objects.filter(tenant=tenant, quota_id__in=ids)
    }
    targets: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for quota_id, start, amount in QuotaTarget.objects.filter(
        tenant=tenant, quota_id__in=ids, granularity=QuotaTarget.Granularity.DAY
    ).values_list("quota_id", "start", "amount"):
        targets[quota_id][start] = amount
    snapshots: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for quota_id, day, achieved in AttainmentSnapshot.objects.filter(
        tenant=tenant, quota_id__in=ids, day__gte=month, day__lte=last
    ).values_list("quota_id", "day", "achieved"):
        snapshots[quota_id][day] = achieved

    progress = [
        _quota_progress(quota, stored.get(quota.pk), targets[quota.pk], snapshots[quota.pk], today)
        for quota in quotas
    ]
    return MyQuotaSummary(member=member, month=month, today=today, quotas=progress)


def _quota_progress(
    quota: Quota,
    stored: Attainment | None,
    targets: dict[dt.date, Decimal],
    snapshots: dict[dt.date, Decimal],
    today: dt.date,
) -> QuotaProgress:
    source = metrics.get(quota.metric)
    unit = metrics.units().get(quota.metric, CENT)
    achieved = stored.achieved if stored is not None else None
    left = max(quota.effective_amount - achieved, ZERO) if achieved is not None else None
    remaining = sum(1 for day in targets if day >= today)
    needed = (
        (left / remaining).quantize(CENT, rounding=ROUND_HALF_UP)
        if left is not None and remaining
        else None
    )
    if stored is not None and stored.as_of >= today:
        snapshots = {**snapshots, today: stored.achieved}
    first, last = rules.month_bounds(quota.month)
    series, expected = [], ZERO
    day = first
    while day <= last:
        target = targets.get(day, ZERO)
        expected += target
        series.append(ProgressPoint(day, target, expected, snapshots.get(day)))
        day += dt.timedelta(days=1)
    return QuotaProgress(
        quota=quota,
        label=source.label if source is not None else quota.get_metric_display(),
        unit=unit,
        has_source=source is not None,
        today_target=targets.get(today),
        effective_amount=quota.effective_amount,
        achieved=achieved,
        expected_to_date=stored.expected_to_date if stored is not None else None,
        attainment_pct=stored.attainment_pct if stored is not None else None,
        pace_pct=stored.pace_pct if stored is not None else None,
        projected=stored.projected if stored is not None else None,
        as_of=stored.as_of if stored is not None else None,
        left=left,
        remaining_capacity_days=remaining,
        needed_per_day=needed,
        series=series,
    )


# --- A manager's team -------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    """One member of the reporting tree with a quota for the month and metric.

    ``is_team``: the member has reports, so the quota is their team's number; team rows
    are listed but left out of the headline shares and the distribution (their reps are
    in them already).
    """

    member: Membership
    quota: Quota
    is_team: bool
    has_source: bool
    achieved: Decimal | None
    expected_to_date: Decimal | None
    attainment_pct: Decimal | None
    pace_pct: Decimal | None
    projected: Decimal | None
    achievability: QuotaAchievability

    @property
    def flagged(self) -> bool:
        return self.achievability.flagged

    @property
    def required_daily_rate(self) -> Decimal | None:
        return self.achievability.required_daily_rate

    @property
    def actual_daily_rate(self) -> Decimal | None:
        return self.achievability.actual_daily_rate

    @property
    def on_pace(self) -> bool:
        return self.pace_pct is not None and self.pace_pct >= 100


@dataclass(frozen=True)
class PacePoint:
    day: dt.date
    achieved: Decimal
    expected_to_date: Decimal
    pace_pct: Decimal | None


@dataclass
class TeamAttainment:
    manager: Membership
    month: dt.date
    as_of: dt.date
    metric: str
    has_source: bool
    rows: list[TeamRow]
    reps: int  # Individual quotas counted in the shares (team rows left out).
    at_or_above_100: int
    share_at_or_above_100: Decimal | None  # The headline number, in %.
    on_pace: int
    share_on_pace: Decimal | None
    distribution: list[tuple[str, int]]
    pace_series: list[PacePoint]


def team_attainment(
    *,
    tenant: Tenant,
    manager: Membership,
    month: dt.date,
    as_of: dt.date,
    metric: str = Metric.REVENUE,
) -> TeamAttainment:
    """Attainment of everyone in ``manager``'s reporting tree (direct and indirect) for
    ``month`` and ``metric``: per-member rows with achievability, the share at ≥ 100%
    (the headline) and on pace, the distribution, and the team's pace over the month
    from the snapshots.

    Figures as of ``as_of``: the stored attainment when ``as_of`` is today or later, the
    snapshots of that day for an earlier date; achievability against the 90 days before
    it (or before today). A fixed number of queries (reporting
    lines, quotas with members, figures, snapshots, and achievability's few).
    """
    month = month.replace(day=1)
    lines = ReportingLines.read(tenant)
    tree = set(lines.team(manager.pk)) - {manager.pk}
    quotas = Quota.objects.filter(tenant=tenant, month=month, metric=metric).select_related(
        "member__user"
    )
    if len(tree) <= IN_LIST_LIMIT:
        quotas = quotas.filter(member_id__in=sorted(tree))
    quotas = sorted(
        (quota for quota in quotas if quota.member_id in tree),
        key=lambda quota: (quota.member.name.lower(), quota.pk),
    )
    has_source = metrics.get(metric) is not None
    ids = [quota.pk for quota in quotas]
    today = tenant.today()
    figures = _figures(tenant, ids, as_of, today) if has_source and ids else {}
    # Judged against the history before the day the view is as of.
    judged = achievability_for(tenant=tenant, quotas=quotas, today=min(as_of, today))

    rows = []
    for quota in quotas:
        stored = figures.get(quota.pk)
        rows.append(
            TeamRow(
                member=quota.member,
                quota=quota,
                is_team=lines.has_reports(quota.member_id),
                has_source=has_source,
                achieved=stored.achieved if stored else None,
                expected_to_date=stored.expected_to_date if stored else None,
                attainment_pct=stored.attainment_pct if stored else None,
                pace_pct=stored.pace_pct if stored else None,
                projected=stored.projected if stored else None,
                achievability=judged[quota_key(quota)],
            )
        )
    individual = [row for row in rows if not row.is_team and row.attainment_pct is not None]
    at_100 = sum(1 for row in individual if row.attainment_pct >= 100)
    on_pace = sum(1 for row in individual if row.on_pace)
    paced = sum(1 for row in individual if row.pace_pct is not None)
    distribution = [
        (
            label,
            sum(
                1
                for row in individual
                if (low is None or row.attainment_pct >= low)
                and (high is None or row.attainment_pct < high)
            ),
        )
        for label, low, high in BUCKETS
    ]
    individual_ids = [row.quota.pk for row in rows if not row.is_team]
    return TeamAttainment(
        manager=manager,
        month=month,
        as_of=as_of,
        metric=metric,
        has_source=has_source,
        rows=rows,
        reps=len(individual),
        at_or_above_100=at_100,
        share_at_or_above_100=_share(at_100, len(individual)),
        on_pace=on_pace,
        share_on_pace=_share(on_pace, paced),
        distribution=distribution,
        pace_series=_pace_series(tenant, individual_ids, month) if individual_ids else [],
    )


def _figures(tenant: Tenant, ids: list[int], as_of: dt.date, today: dt.date) -> dict:
    """The figures of each quota as of ``as_of``: stored rows for today, snapshots before."""
    if as_of >= today:
        rows = Attainment.objects.filter(tenant=tenant, quota_id__in=ids)
    else:
        rows = AttainmentSnapshot.objects.filter(tenant=tenant, quota_id__in=ids, day=as_of)
    return {row.quota_id: row for row in rows}


def _pace_series(tenant: Tenant, quota_ids: list[int], month: dt.date) -> list[PacePoint]:
    """The team's pace on each day with snapshots: Σ achieved ÷ Σ expected to date over
    its individual quotas (one aggregate)."""
    last = rules.month_bounds(month)[1]
    days = (
        AttainmentSnapshot.objects.filter(
            tenant=tenant, quota_id__in=quota_ids, day__gte=month, day__lte=last
        )
        .order_by("day")
        .values("day")
        .annotate(achieved=Sum("achieved"), expected=Sum("expected_to_date"))
        .values_list("day", "achieved", "expected")
    )
    return [
        PacePoint(day, achieved, expected, _percent(achieved, expected))
        for day, achieved, expected in days
    ]


# --- One day's target ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayTarget:
    """A member's daily target on one day for one metric, and what was achieved that day
    (their own figure for a rep, their reporting tree's for a manager's team quota, as
    attainment counts it). ``gap`` is what is still missing, never below 0."""

    member_id: int
    quota_id: int
    day: dt.date
    metric: str
    unit: Decimal
    target: Decimal
    achieved: Decimal
    has_source: bool

    @property
    def gap(self) -> Decimal:
        return max(self.target - self.achieved, ZERO)


def day_targets(
    *, tenant: Tenant, member_ids: Iterable[int], day: dt.date, metric: str = Metric.REVENUE
) -> dict[int, DayTarget]:
    """The daily target of each of ``member_ids`` on ``day`` for ``metric`` (from the
    stored ``QuotaTarget`` day rows of the month's quota) and what was achieved that day,
    keyed by member. Members without a quota of that month and metric, or for whom
    ``day`` is not a capacity day (no day row), are left out. A metric without a data
    source counts 0 achieved (``has_source`` False).

    Four queries, whatever the number of members: quotas, day rows, reporting lines and
    the metric's figures of the day.
    """
    wanted = {int(member_id) for member_id in member_ids}
    if not wanted:
        return {}
    quotas = Quota.objects.filter(tenant=tenant, month=day.replace(day=1), metric=metric)
    if len(wanted) <= IN_LIST_LIMIT:
        quotas = quotas.filter(member_id__in=sorted(wanted))
    quota_of = {
        quota_id: member_id
        for quota_id, member_id in quotas.values_list("pk", "member_id")
        if member_id in wanted
    }
    if not quota_of:
        return {}
    targets = dict(
        QuotaTarget.objects.filter(
            tenant=tenant,
            quota_id__in=sorted(quota_of),
            granularity=QuotaTarget.Granularity.DAY,
            start=day,
        ).values_list("quota_id", "amount")
    )
    if not targets:
        return {}
    source = metrics.get(metric)
    unit = metrics.units().get(metric, CENT)
    members = {quota_of[quota_id] for quota_id in targets}
    achieved: dict[int, Decimal] = {}
    if source is not None:
        lines = ReportingLines.read(tenant)
        teams = {member_id: lines.team(member_id) for member_id in members}
        everyone = sorted({m for team in teams.values() for m in team})
        own = source.achieved(tenant, everyone, day, day)
        achieved = {
            member_id: sum((own.get(m, ZERO) for m in team), ZERO)
            for member_id, team in teams.items()
        }
    return {
        quota_of[quota_id]: DayTarget(
            member_id=quota_of[quota_id],
            quota_id=quota_id,
            day=day,
            metric=metric,
            unit=unit,
            target=amount,
            achieved=achieved.get(quota_of[quota_id], ZERO),
            has_source=source is not None,
        )
        for quota_id, amount in targets.items()
    }
