"""Read models of the quota pages: a quota's own page, "My quota" for any month, the whole
organisation's attainment, and the choices the pages offer.

Built on ``quotas.selectors.progress`` (the figures, the team, achievability) and read in a
fixed number of queries whatever the size of the team or the month:

- ``visible_quota(tenant=, viewer=, quota_id=)``: a quota the viewer may open, or ``None``
  (another organisation's, or someone's outside what they see: the page answers 404);
- ``quota_detail(tenant=, quota=, today=)``: the effective amount and why, the weekly
  rows, a month calendar of daily targets with holidays and time off, achievability,
  attainment so far and the change history;
- ``my_quota_month(tenant=, member=, month=, today=)``: ``my_quota_summary`` for any month
  (a past one is closed: no "today", nothing left to plan; a future one not started);
- ``quota_months(tenant=, member=)``: the months a member has quotas for;
- ``organisation_attainment(tenant=, month=, as_of=, metric=)``: ``team_attainment`` over
  everyone (an admin's "whole organisation");
- ``team_leads(tenant=, viewer=)``: whose team the viewer may choose on the team page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import visible_member_ids

from .. import metrics, rules
from ..models import Attainment, AttainmentSnapshot, Metric, Quota, QuotaChange, QuotaTarget
from .progress import (
    BUCKETS,
    CENT,
    IN_LIST_LIMIT,
    MyQuotaSummary,
    PacePoint,
    QuotaAchievability,
    ReportingLines,
    TeamAttainment,
    TeamRow,
    achievability_for,
    my_quota_summary,
    quota_key,
    team_attainment,
)

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (numerator * HUNDRED / denominator).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Who may open a quota ----------------------------------------------------------------------


def visible_quota(*, tenant: Tenant, viewer: Membership, quota_id: int) -> Quota | None:
    """The quota ``quota_id`` if ``viewer`` may open it: their own, anyone's in their
    reporting tree for a manager (their managers up the tree see it so), anyone's for an
    admin. ``None`` otherwise, another organisation's included."""
    quota = (
        Quota.objects.filter(tenant=tenant, pk=quota_id)
        .select_related("member__user", "published_by", "acknowledged_by")
        .first()
    )
    if quota is None:
        return None
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None and quota.member_id not in visible:
        return None
    return quota


# --- A quota's page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why the effective amount is what it is (DESIGN 4.2): amount × ramp × days.

    ``days`` are the employed work days (the capacity days when the organisation prorates
    time off) out of the month's ``work_days``. ``effective_amount`` is computed from the
    figures as they are now: while rolldown is pending it may differ from the stored one.
    """

    amount: Decimal
    ramp_pct: Decimal
    days: int
    work_days: int
    capacity_days: int
    basis: str  # "employed" or "capacity": what ``days`` counts.
    joined: dt.date | None  # Employment starts inside the month.
    left: dt.date | None  # Employment ends inside the month.
    time_off_days: int  # Employed work days taken off.
    effective_amount: Decimal

    @property
    def prorated(self) -> bool:
        return self.days != self.work_days


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    in_month: bool
    target: Decimal | None  # The stored daily target (None: no target row that day).
    work_day: bool  # On the work week and not a holiday.
    holiday: str  # The holiday's name, or "".
    time_off: str  # The reason ("Time off" without one), or "".
    employed: bool
    is_today: bool

    @property
    def weekend(self) -> bool:
        return not self.work_day and not self.holiday


@dataclass(frozen=True)
class ChangeLine:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    change: QuotaChange
    lines: list[ChangeLine]


@dataclass
class QuotaDetail:
    quota: Quota
    label: str
    unit: Decimal
    has_source: bool
    today: dt.date
    explanation: Explanation
    weeks: list[QuotaTarget]
    calendar: list[list[CalendarDay]]
    achievability: QuotaAchievability
    attainment: Attainment | None
    has_reports: bool  # The quota is a team's number: the whole tree counts.
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def daily_total(self) -> Decimal:
        return sum(
            (day.target for week in self.calendar for day in week if day.in_month and day.target),
            ZERO,
        )

    @property
    def weekly_total(self) -> Decimal:
        return sum((week.amount for week in self.weeks), ZERO)


FIELD_LABELS = {"amount": "Amount", "ramp_pct": "Ramp", "status": "Status"}
STATUS_LABELS = dict(Quota.Status.choices)


def _shown(field_name: str, value, unit: Decimal) -> str:
    """A history value as people read it: amounts grouped to the unit, ramps in %."""
    if value is None or value == "":
        return "—"
    if field_name == "status":
        return str(STATUS_LABELS.get(value, value))
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if field_name == "ramp_pct":
        return f"{number.normalize():f}%"
    if field_name == "amount":
        places = max(0, -unit.as_tuple().exponent)
        return f"{number.quantize(unit):,.{places}f}"
    return str(value)


def _history(tenant: Tenant, quota: Quota, unit: Decimal) -> list[HistoryEntry]:
    entries = []
    for change in QuotaChange.objects.filter(tenant=tenant, quota=quota).select_related(
        "changed_by"
    ):
        lines = [
            ChangeLine(
                FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                _shown(name, values[0] if values else None, unit),
                _shown(name, values[1] if len(values) > 1 else None, unit),
            )
            for name, values in sorted((change.changes or {}).items())
            if isinstance(values, list | tuple)
        ]
        entries.append(HistoryEntry(change, lines))
    return entries


def quota_detail(*, tenant: Tenant, quota: Quota, today: dt.date) -> QuotaDetail:
    """Everything a quota's page shows, in about a dozen queries (``quota`` comes with its
    member): the calendar of the month, the member's time off, the stored targets and
    attainment, the history, and achievability's few."""
    first, last = rules.month_bounds(quota.month)
    member = quota.member
    holidays = dict(
        Holiday.objects.filter(tenant=tenant, date__gte=first, date__lte=last).values_list(
            "date", "name"
        )
    )
    time_off = list(
        TimeOff.objects.filter(
            tenant=tenant, member_id=member.pk, start__lte=last, end__gte=first
        ).values_list("start", "end", "reason")
    )
    calendar = rules.TenantCalendar(
        work_week=frozenset(tenant.work_week),
        weekday_weights=tuple(tenant.weights),
        holidays=frozenset(holidays),
        prorate_time_off=tenant.prorate_time_off,
    )
    days = rules.month_capacity(
        calendar,
        month=first,
        start_date=member.start_date,
        end_date=member.end_date,
        time_off=[(start, end) for start, end, _ in time_off],
    )
    judged = achievability_for(tenant=tenant, quotas=[quota], today=today)[quota_key(quota)]
    basis = "capacity" if tenant.prorate_time_off else "employed"
    explanation = Explanation(
        amount=quota.amount,
        ramp_pct=quota.ramp_pct,
        days=len(days.capacity_days if tenant.prorate_time_off else days.employed_work_days),
        work_days=len(days.tenant_work_days),
        capacity_days=len(days.capacity_days),
        basis=basis,
        joined=member.start_date if first < member.start_date <= last else None,
        left=member.end_date
        if member.end_date is not None and first <= member.end_date < last
        else None,
        time_off_days=len(days.employed_work_days) - len(days.capacity_days),
        effective_amount=judged.effective_amount,
    )

    targets = list(QuotaTarget.objects.filter(tenant=tenant, quota=quota).order_by("start"))
    daily = {t.start: t.amount for t in targets if t.granularity == QuotaTarget.Granularity.DAY}
    weeks = [t for t in targets if t.granularity == QuotaTarget.Granularity.WEEK]

    def off_reason(day: dt.date) -> str:
        for start, end, reason in time_off:
            if start <= day <= end:
                return reason or "Time off"
        return ""

    grid: list[list[CalendarDay]] = []
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        week = []
        for _ in range(7):
            in_month = first <= day <= last
            week.append(
                CalendarDay(
                    day=day,
                    in_month=in_month,
                    target=daily.get(day) if in_month else None,
                    work_day=calendar.is_work_day(day),
                    holiday=holidays.get(day, "") if in_month else "",
                    time_off=off_reason(day) if in_month else "",
                    employed=member.is_employed_on(day),
                    is_today=day == today,
                )
            )
            day += dt.timedelta(days=1)
        grid.append(week)

    source = metrics.get(quota.metric)
    unit = metrics.units().get(quota.metric, CENT)
    return QuotaDetail(
        quota=quota,
        label=source.label if source is not None else quota.get_metric_display(),
        unit=unit,
        has_source=source is not None,
        today=today,
        explanation=explanation,
        weeks=weeks,
        calendar=grid,
        achievability=judged,
        attainment=Attainment.objects.filter(tenant=tenant, quota=quota).first(),
        has_reports=Membership.objects.filter(tenant=tenant, manager_id=member.pk).exists(),
        history=_history(tenant, quota, unit),
    )


# --- My quota, any month ------------------------------------------------------------------------


def quota_months(*, tenant: Tenant, member: Membership) -> list[dt.date]:
    """The months ``member`` has a quota for, newest first (one query)."""
    return list(
        Quota.objects.filter(tenant=tenant, member_id=member.pk)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )


def my_quota_month(
    *, tenant: Tenant, member: Membership, month: dt.date, today: dt.date
) -> MyQuotaSummary:
    """``my_quota_summary`` for ``month``, whichever it is (four queries).

    The current month is exactly ``my_quota_summary``. A past month is over: its figures
    are the month's final ones, with no target today and no capacity day left to plan
    (``needed_per_day`` is ``None``). A month to come has not started: nothing is achieved
    yet, everything is left, spread over all its capacity days.
    """
    month = month.replace(day=1)
    current = today.replace(day=1)
    if month == current:
        return my_quota_summary(tenant=tenant, member=member, today=today)
    first, last = rules.month_bounds(month)
    if month < current:
        summary = my_quota_summary(tenant=tenant, member=member, today=last)
        quotas = [
            replace(progress, today_target=None, remaining_capacity_days=0, needed_per_day=None)
            for progress in summary.quotas
        ]
    else:
        summary = my_quota_summary(tenant=tenant, member=member, today=first)
        quotas = []
        for progress in summary.quotas:
            left = progress.left if progress.left is not None else progress.effective_amount
            days = progress.remaining_capacity_days
            quotas.append(
                replace(
                    progress,
                    today_target=None,
                    left=left,
                    needed_per_day=(left / days).quantize(CENT, rounding=ROUND_HALF_UP)
                    if days
                    else None,
                )
            )
    return MyQuotaSummary(member=member, month=month, today=today, quotas=quotas)


# --- The whole organisation ---------------------------------------------------------------------


def organisation_attainment(
    *, tenant: Tenant, month: dt.date, as_of: dt.date, metric: str = Metric.REVENUE
) -> TeamAttainment:
    """``team_attainment`` over everyone with a quota for ``month`` and ``metric``: what an
    admin sees for "the whole organisation" (``manager`` is ``None``). Same rules: team
    quotas (of people with reports) are listed but left out of the shares, the
    distribution and the pace. A fixed number of queries, whatever the organisation's size.
    """
    month = month.replace(day=1)
    lines = ReportingLines.read(tenant)
    quotas = sorted(
        Quota.objects.filter(tenant=tenant, month=month, metric=metric).select_related(
            "member__user"
        ),
        key=lambda quota: (quota.member.name.lower(), quota.pk),
    )
    has_source = metrics.get(metric) is not None
    today = tenant.today()
    figures: dict[int, Attainment | AttainmentSnapshot] = {}
    if has_source and quotas:
        # Read by month and metric rather than an ``IN`` list of every quota's id.
        if as_of >= today:
            stored = Attainment.objects.filter(
                tenant=tenant, quota__month=month, quota__metric=metric
            )
        else:
            stored = AttainmentSnapshot.objects.filter(
                tenant=tenant, quota__month=month, quota__metric=metric, day=as_of
            )
        figures = {row.quota_id: row for row in stored}
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
        manager=None,
        month=month,
        as_of=as_of,
        metric=metric,
        has_source=has_source,
        rows=rows,
        reps=len(individual),
        at_or_above_100=at_100,
        share_at_or_above_100=_percent(Decimal(at_100), Decimal(len(individual))),
        on_pace=on_pace,
        share_on_pace=_percent(Decimal(on_pace), Decimal(paced)),
        distribution=distribution,
        pace_series=_pace(tenant, individual_ids, month) if individual_ids else [],
    )


def _pace(tenant: Tenant, quota_ids: list[int], month: dt.date) -> list[PacePoint]:
    """The organisation's pace on each day with snapshots: Σ achieved ÷ Σ expected to date
    over the individual quotas (one aggregate; a long id list is filtered by month)."""
    last = rules.month_bounds(month)[1]
    snapshots = AttainmentSnapshot.objects.filter(tenant=tenant, day__gte=month, day__lte=last)
    if len(quota_ids) > IN_LIST_LIMIT:
        return _pace_in_python(snapshots.filter(quota__month=month), set(quota_ids))
    snapshots = snapshots.filter(quota_id__in=quota_ids)
    days = (
        snapshots.order_by("day")
        .values("day")
        .annotate(achieved=Sum("achieved"), expected=Sum("expected_to_date"))
        .values_list("day", "achieved", "expected")
    )
    return [
        PacePoint(day, achieved, expected, _percent(achieved, expected))
        for day, achieved, expected in days
    ]


def _pace_in_python(snapshots, wanted: set[int]) -> list[PacePoint]:
    totals: dict[dt.date, list[Decimal]] = {}
    for quota_id, day, achieved, expected in snapshots.values_list(
        "quota_id", "day", "achieved", "expected_to_date"
    ):
        if quota_id in wanted:
            pair = totals.setdefault(day, [ZERO, ZERO])
            pair[0] += achieved
            pair[1] += expected
    return [
        PacePoint(day, achieved, expected, _percent(achieved, expected))
        for day, (achieved, expected) in sorted(totals.items())
    ]


# --- Choices -----------------------------------------------------------------------------------


def team_leads(*, tenant: Tenant, viewer: Membership) -> list[Membership]:
    """The people with reports whose team ``viewer`` may look at: anyone's for an admin;
    a manager's own and those of the managers below them. Two queries."""
    lines = ReportingLines.read(tenant)
    leads = {member_id for member_id, reports in lines.children.items() if reports}
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None:
        leads &= visible
        if lines.has_reports(viewer.pk):
            leads.add(viewer.pk)
    people = Membership.objects.filter(tenant=tenant).select_related("user")
    if len(leads) <= IN_LIST_LIMIT:
        people = people.filter(pk__in=sorted(leads))
    return sorted((person for person in people if person.pk in leads), key=lambda p: p.name.lower())


# --- Dashboard cards -----------------------------------------------------------------------------


def my_quota_card(*, tenant: Tenant, viewer: Membership) -> MyQuotaSummary | None:
    """The home card of a rep (always: "no quota yet" is worth saying) and of a manager
    with a quota this month (their team's number). Four queries."""
    summary = my_quota_summary(tenant=tenant, member=viewer, today=tenant.today())
    if not summary.quotas and not viewer.is_rep:
        return None
    return summary


def team_card(*, tenant: Tenant, viewer: Membership) -> TeamAttainment:
    """A manager's team this month (the whole organisation for an admin), for the home
    card: the share at ≥ 100%, on pace, and the stretch quotas."""
    today = tenant.today()
    if viewer.is_admin:
        return organisation_attainment(tenant=tenant, month=today, as_of=today)
    return team_attainment(tenant=tenant, manager=viewer, month=today, as_of=today)
