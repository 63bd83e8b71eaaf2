"""What the manager's quota grid shows: a reporting tree × the months of a fiscal year.

One metric at a time. The grid is read in a fixed number of queries whatever the size
of the team: the organisation's members (one), the year's quotas of the metric (one),
holidays and time off over the year and the trailing window (one each), the trailing
achieved figures (the metric's source; a few), and the seasonality profiles (one).

Beside each amount, the grid sends the browser what it needs to judge achievability
while the manager types (DESIGN 4.2): per month the tenant work days, and per member and
month the employed work days and capacity days (from the pure ``rules.capacity_counts``),
per member the achieved figure and capacity days of the trailing 90-day window. The
browser (``static/quotas/grid.js``) computes the effective amount and the flag exactly
as ``rules.rolldown`` and ``rules.achievability_frame`` do here; tests hold them equal.

A manager's own quota is their team's number; its trailing figure is their whole
reporting tree's, over the manager's own capacity days, as the team's attainment counts
everyone below them (DESIGN 4.3).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import Membership, Role, Tenant
from territories.tree import tree_order

from .. import metrics, rules
from ..models import UNIT, Metric, Quota, SeasonalityProfile

ZERO = Decimal("0")

# Years offered around the current fiscal year in the year selector.
YEARS_BEFORE, YEARS_AFTER = 2, 2


# --- Fiscal years -------------------------------------------------------------------


def fiscal_year_of(tenant: Tenant, day: dt.date) -> int:
    """The fiscal year holding ``day``, named by the calendar year it starts in."""
    start = tenant.fiscal_year_start_month
    return day.year if day.month >= start else day.year - 1


def fiscal_months(tenant: Tenant, year: int) -> list[dt.date]:
    """The first days of the twelve months of fiscal year ``year``, in order."""
    start = tenant.fiscal_year_start_month - 1
    return [dt.date(year + (start + n) // 12, (start + n) % 12 + 1, 1) for n in range(12)]


def fiscal_year_label(tenant: Tenant, year: int) -> str:
    """``2026`` for calendar years; ``FY 2026/27`` when the year starts in another month."""
    if tenant.fiscal_year_start_month == 1:
        return str(year)
    return f"FY {year}/{(year + 1) % 100:02d}"


def year_choices(tenant: Tenant) -> list[tuple[int, str]]:
    current = fiscal_year_of(tenant, tenant.today())
    return [
        (year, fiscal_year_label(tenant, year))
        for year in range(current - YEARS_BEFORE, current + YEARS_AFTER + 1)
    ]


def month_key(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def cell_key(member_id: int, month: dt.date) -> str:
    """How the page, the browser and the save view name one cell: ``"12:2026-04"``."""
    return f"{member_id}:{month_key(month)}"


# --- Who is in the grid -------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: str
    manager_id: int | None
    start_date: dt.date
    end_date: dt.date | None


@dataclass
class GridScope:
    """The members a viewer's grid shows and which of them the viewer may set.

    A manager sees their own row (their team's number, set by their manager: read-only)
    and their whole reporting tree below it (editable). An admin sees and sets
    everyone's. ``order`` is tree order with depths; ``children`` the direct reports
    shown under each row.
    """

    viewer: Membership
    people: dict[int, Person]
    order: list[tuple[int, int]]  # (member id, depth)
    children: dict[int, list[int]]
    editable: set[int]
    # Everyone's direct reports, shown or not: a team quota's figures count them all.
    reporting_lines: dict[int, list[int]] = field(default_factory=dict)

    @property
    def member_ids(self) -> list[int]:
        return [member_id for member_id, _ in self.order]

    def team(self, member_id: int) -> list[int]:
        """``member_id`` and everyone below them, direct and indirect, shown or not:
        whose figures a quota of ``member_id`` counts (DESIGN 4.3)."""
        found, stack, seen = [], [member_id], {member_id}
        while stack:
            current = stack.pop()
            found.append(current)
            for child in self.reporting_lines.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return found


def _employed_during(person: Person, first: dt.date, last: dt.date) -> bool:
    return person.start_date <= last and (person.end_date is None or person.end_date >= first)


def grid_scope(*, tenant: Tenant, viewer: Membership, months: list[dt.date]) -> GridScope:
    """The grid's members for ``viewer`` in one query (the organisation's reporting lines).

    Members employed at no time in ``months`` are left out, unless people still report to
    them (the tree keeps its shape). An admin sees everyone who
    sells or leads a team (an admin without reports and a quota is not a row); a
    manager, themselves and everyone below them; anybody else, nobody.
    """
    first, last = months[0], rules.month_bounds(months[-1])[1]
    everyone = {
        row["id"]: Person(
            id=row["id"],
            name=row["user__name"] or row["user__email"],
            email=row["user__email"],
            role=row["role"],
            manager_id=row["manager_id"],
            start_date=row["start_date"],
            end_date=row["end_date"],
        )
        for row in Membership.objects.filter(tenant=tenant).values(
            "id", "user__name", "user__email", "role", "manager_id", "start_date", "end_date"
        )
    }
    reporting_lines: dict[int, list[int]] = defaultdict(list)
    for person in everyone.values():
        if person.manager_id:
            reporting_lines[person.manager_id].append(person.id)
    has_reports = set(reporting_lines)

    if viewer.role == Role.ADMIN:
        root = None
        candidates = [
            person
            for person in everyone.values()
            if person.role != Role.ADMIN or person.id in has_reports
        ]
    elif viewer.role == Role.MANAGER:
        root = viewer.pk
        candidates = list(everyone.values())
    else:
        return GridScope(viewer, {}, [], {}, set(), dict(reporting_lines))

    walked = tree_order(
        candidates,
        key=lambda person: person.id,
        parent=lambda person: person.manager_id,
        sort_key=lambda person: (person.name.lower(), person.id),
        root=root,
    )
    if root is not None:
        walked = [(everyone[root], 0)] + [(person, depth + 1) for person, depth in walked]
    # A team lead who left while people still report to them stays, as their team's row.
    order = [
        (person.id, depth)
        for person, depth in walked
        if person.id == root or person.id in has_reports or _employed_during(person, first, last)
    ]
    shown = {member_id for member_id, _ in order}
    children: dict[int, list[int]] = defaultdict(list)
    for member_id, _ in order:
        manager_id = everyone[member_id].manager_id
        if manager_id in shown and member_id != root:
            children[manager_id].append(member_id)
    editable = shown - {viewer.pk} if viewer.role == Role.MANAGER else set(shown)
    return GridScope(
        viewer=viewer,
        people={member_id: everyone[member_id] for member_id in shown},
        order=order,
        children=dict(children),
        editable=editable,
        reporting_lines=dict(reporting_lines),
    )


# --- The calendar the browser needs -------------------------------------------------


@dataclass(frozen=True)
class Calendars:
    """Day counts per member and month, and per member over the trailing window."""

    tenant_work_days: dict[dt.date, int]
    employed_work_days: dict[tuple[int, dt.date], int]
    capacity_days: dict[tuple[int, dt.date], int]
    trailing_capacity_days: dict[int, int]
    trailing_window: tuple[dt.date, dt.date]


def tenant_calendar(*, tenant: Tenant, first: dt.date, last: dt.date) -> rules.TenantCalendar:
    """The tenant's calendar as the rules need it, with its holidays in ``first``–``last``."""
    holidays = Holiday.objects.filter(tenant=tenant, date__gte=first, date__lte=last)
    return rules.TenantCalendar(
        work_week=frozenset(tenant.work_week),
        weekday_weights=tuple(tenant.weights),
        holidays=frozenset(holidays.values_list("date", flat=True)),
        prorate_time_off=tenant.prorate_time_off,
    )


def grid_calendars(
    *, tenant: Tenant, people: Iterable[Person], months: list[dt.date], today: dt.date
) -> tuple[rules.TenantCalendar, Calendars, dict[int, tuple[tuple[dt.date, dt.date], ...]]]:
    """Holidays and time off in two queries; every count from one vectorised call."""
    people = list(people)
    window = rules.trailing_window(today)
    first = min(window[0], months[0])
    last = max(window[1], rules.month_bounds(months[-1])[1])
    calendar = tenant_calendar(tenant=tenant, first=first, last=last)
    ids = {person.id for person in people}
    time_off: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for member_id, start, end in TimeOff.objects.filter(
        tenant=tenant, start__lte=last, end__gte=first
    ).values_list("member_id", "start", "end"):
        if member_id in ids:  # Filtered here: no IN list of thousands of ids.
            time_off[member_id].append((start, end))
    ranges = {person.id: tuple(time_off.get(person.id, ())) for person in people}

    spans = []
    for person in people:
        common = {
            "start_date": person.start_date,
            "end_date": person.end_date,
            "time_off": ranges[person.id],
        }
        for month in months:
            spans.append(
                rules.MemberSpan((person.id, month), month, rules.month_bounds(month)[1], **common)
            )
        spans.append(rules.MemberSpan((person.id, None), window[0], window[1], **common))
    counts = rules.capacity_counts(calendar, spans) if spans else pd.DataFrame()

    tenant_work_days: dict[dt.date, int] = {}
    employed: dict[tuple[int, dt.date], int] = {}
    capacity: dict[tuple[int, dt.date], int] = {}
    trailing: dict[int, int] = {}
    for key, work, employed_days, capacity_days in zip(
        counts.get("key", []),
        counts.get("tenant_work_days", []),
        counts.get("employed_work_days", []),
        counts.get("capacity_days", []),
        strict=True,
    ):
        member_id, month = key
        if month is None:
            trailing[member_id] = int(capacity_days)
        else:
            tenant_work_days[month] = int(work)
            employed[key] = int(employed_days)
            capacity[key] = int(capacity_days)
    if not people:  # Nobody to count for: the month counts alone.
        for span in rules.capacity_counts(
            calendar, [rules.MemberSpan(m, m, rules.month_bounds(m)[1]) for m in months]
        ).itertuples():
            tenant_work_days[span.key] = int(span.tenant_work_days)
    return (
        calendar,
        Calendars(tenant_work_days, employed, capacity, trailing, window),
        ranges,
    )


# --- Trailing achieved figures ------------------------------------------------------


@dataclass(frozen=True)
class Trailing:
    """Each row's achieved figure over the trailing window (its tree's, for a team)."""

    has_source: bool
    achieved: dict[int, Decimal]


def trailing_achieved(
    *, tenant: Tenant, scope: GridScope, metric: str, window: tuple[dt.date, dt.date]
) -> Trailing:
    """Own figures from the metric's source in one call, summed over each row's team
    (as ``selectors.progress.achievability_for`` does)."""
    source = metrics.get(metric)
    if source is None:  # No app provides this metric's figures yet.
        return Trailing(False, {})
    teams = {member_id: scope.team(member_id) for member_id in scope.people}
    everyone = sorted({m for team in teams.values() for m in team})
    own = source.achieved(tenant, everyone, window[0], window[1])
    achieved = {
        member_id: sum((own.get(m, ZERO) for m in team), ZERO) for member_id, team in teams.items()
    }
    return Trailing(True, achieved)


# --- The grid -----------------------------------------------------------------------


@dataclass
class Cell:
    month: dt.date
    key: str
    quota_id: int | None = None
    amount: Decimal | None = None
    version: int | None = None
    status: str = ""
    ramp_pct: Decimal = Decimal("100")
    employed_work_days: int = 0
    capacity_days: int = 0
    effective_amount: Decimal | None = None
    flagged: bool = False
    ratio: Decimal | None = None
    allocated: Decimal | None = None  # Team rows: Σ of the direct reports' amounts.
    # Shown again after a plain form post with errors: what was typed, and why not saved.
    typed: str | None = None
    error: str = ""


@dataclass
class Row:
    person: Person
    depth: int
    parent_id: int | None
    is_team: bool
    editable: bool
    hidden: bool  # Inside a collapsed team.
    collapsed: bool  # A team row whose reps start hidden.
    cells: list[Cell]
    trailing_achieved: Decimal | None
    trailing_capacity_days: int
    total: Decimal = ZERO
    allocated_total: Decimal | None = None

    @property
    def member_id(self) -> int:
        return self.person.id

    @property
    def is_leaf(self) -> bool:
        return not self.is_team

    @property
    def draft_ids(self) -> list[int]:
        return [c.quota_id for c in self.cells if c.quota_id and c.status == "draft"]

    @property
    def flagged_months(self) -> int:
        return sum(1 for cell in self.cells if cell.flagged)


@dataclass
class Grid:
    tenant: Tenant
    year: int
    year_label: str
    metric: str
    unit: Decimal
    months: list[dt.date]
    tenant_work_days: list[int]
    rows: list[Row]
    scope: GridScope
    multiple: Decimal
    prorate_time_off: bool
    has_source: bool
    trailing_window: tuple[dt.date, dt.date]
    column_totals: list[Decimal] = field(default_factory=list)
    column_flagged: list[int] = field(default_factory=list)  # Reps flagged per month.
    grand_total: Decimal = ZERO
    reps_counted: int = 0
    reps_achievable: int = 0
    profiles: list[SeasonalityProfile] = field(default_factory=list)

    @property
    def achievable_pct(self) -> int | None:
        if not self.reps_counted:
            return None
        return round(100 * self.reps_achievable / self.reps_counted)

    @property
    def draft_ids(self) -> list[int]:
        return [quota_id for row in self.rows if row.editable for quota_id in row.draft_ids]

    @property
    def columns(self) -> list[dict]:
        """Per month: its key, tenant work days, total and number of reps flagged."""
        return [
            {
                "month": month,
                "key": month_key(month),
                "tenant_work_days": work_days,
                "total": total,
                "flagged": flagged,
            }
            for month, work_days, total, flagged in zip(
                self.months,
                self.tenant_work_days,
                self.column_totals,
                self.column_flagged,
                strict=True,
            )
        ]

    @property
    def editable_rows(self) -> list[Row]:
        return [row for row in self.rows if row.editable]


def quotas_by_cell(
    *, tenant: Tenant, member_ids: Iterable[int], months: list[dt.date], metric: str
) -> dict[tuple[int, dt.date], Quota]:
    """The quotas of ``member_ids`` in ``months`` on ``metric``, in one query."""
    wanted = set(member_ids)
    quotas = Quota.objects.filter(
        tenant=tenant, metric=metric, month__gte=months[0], month__lte=months[-1]
    ).only("id", "member_id", "month", "amount", "version", "status", "ramp_pct")
    return {(q.member_id, q.month): q for q in quotas if q.member_id in wanted}


def quota_grid(
    *,
    tenant: Tenant,
    viewer: Membership,
    year: int,
    metric: str,
    expand_all: bool = False,
) -> Grid:
    """The whole grid for ``viewer``: rows, cells, achievability, totals, in fixed queries."""
    months = fiscal_months(tenant, year)
    today = tenant.today()
    scope = grid_scope(tenant=tenant, viewer=viewer, months=months)
    calendar, days, time_off = grid_calendars(
        tenant=tenant, people=scope.people.values(), months=months, today=today
    )
    quotas = quotas_by_cell(tenant=tenant, member_ids=scope.people, months=months, metric=metric)
    trailing = trailing_achieved(
        tenant=tenant, scope=scope, metric=metric, window=days.trailing_window
    )

    rows: list[Row] = []
    hidden_below: int | None = None  # The depth of the collapsed team being walked.
    for member_id, depth in scope.order:
        person = scope.people[member_id]
        is_team = bool(scope.children.get(member_id))
        if hidden_below is not None and depth <= hidden_below:
            hidden_below = None
        hidden = hidden_below is not None
        # A director sees each manager's team below them as one row that opens into
        # its reps; the viewer's own team (or, for an admin, the top of the tree) is open.
        collapsed = is_team and depth >= 1 and not expand_all
        if collapsed and hidden_below is None:
            hidden_below = depth
        cells = []
        for month in months:
            quota = quotas.get((member_id, month))
            cells.append(
                Cell(
                    month=month,
                    key=cell_key(member_id, month),
                    quota_id=quota.pk if quota else None,
                    amount=quota.amount if quota else None,
                    version=quota.version if quota else None,
                    status=quota.status if quota else "",
                    ramp_pct=quota.ramp_pct if quota else Decimal("100"),
                    employed_work_days=days.employed_work_days.get((member_id, month), 0),
                    capacity_days=days.capacity_days.get((member_id, month), 0),
                )
            )
        rows.append(
            Row(
                person=person,
                depth=depth,
                parent_id=person.manager_id if person.manager_id in scope.people else None,
                is_team=is_team,
                editable=member_id in scope.editable,
                hidden=hidden,
                collapsed=collapsed,
                cells=cells,
                trailing_achieved=trailing.achieved.get(member_id) if trailing.has_source else None,
                trailing_capacity_days=days.trailing_capacity_days.get(member_id, 0),
            )
        )

    grid = Grid(
        tenant=tenant,
        year=year,
        year_label=fiscal_year_label(tenant, year),
        metric=metric,
        unit=UNIT[Metric(metric)],
        months=months,
        tenant_work_days=[days.tenant_work_days.get(month, 0) for month in months],
        rows=rows,
        scope=scope,
        multiple=tenant.achievability_multiple,
        prorate_time_off=tenant.prorate_time_off,
        has_source=trailing.has_source,
        trailing_window=days.trailing_window,
        profiles=list(SeasonalityProfile.objects.filter(tenant=tenant).order_by("name")),
    )
    _judge(grid, calendar, time_off)
    add_totals(grid)
    return grid


def _judge(grid: Grid, calendar: rules.TenantCalendar, time_off: dict[int, tuple]) -> None:
    """Effective amounts (``rules.rolldown``) and achievability (``rules.achievability_frame``)
    of every stored amount, in one vectorised call each."""
    placed = [(row, cell) for row in grid.rows for cell in row.cells if cell.amount is not None]
    if not placed:
        return
    inputs = [
        rules.QuotaInput(
            key=cell.key,
            month=cell.month,
            metric=grid.metric,
            amount=cell.amount,
            ramp_pct=cell.ramp_pct,
            start_date=row.person.start_date,
            end_date=row.person.end_date,
            time_off=time_off.get(row.member_id, ()),
        )
        for row, cell in placed
    ]
    effective = (
        rules.rolldown(inputs, calendar, units=metrics.units()).quotas["effective_amount"].tolist()
    )
    frame = pd.DataFrame(
        {
            "effective_amount": effective,
            "capacity_days": [cell.capacity_days for _, cell in placed],
            "trailing_achieved": [
                row.trailing_achieved if row.trailing_achieved is not None else ZERO
                for row, _ in placed
            ],
            "trailing_capacity_days": [
                row.trailing_capacity_days if row.trailing_achieved is not None else 0
                for row, _ in placed
            ],
        },
        dtype=object,
    )
    judged = rules.achievability_frame(frame, multiple=grid.multiple)
    for (_, cell), amount, flagged, ratio in zip(
        placed, effective, judged["flagged"], judged["ratio"], strict=True
    ):
        cell.effective_amount = amount
        cell.flagged = bool(flagged)
        cell.ratio = ratio


def add_totals(grid: Grid) -> None:
    """Row totals, each team's allocation (Σ of its direct reports' amounts), column
    totals over the individual contributors, and the share of reps whose quotas are
    achievable at their trailing rate."""
    by_member = {row.member_id: row for row in grid.rows}
    for row in grid.rows:
        row.total = sum((c.amount for c in row.cells if c.amount is not None), ZERO)
    for row in grid.rows:
        if not row.is_team:
            continue
        reports = [by_member[m] for m in grid.scope.children.get(row.member_id, ())]
        for position, cell in enumerate(row.cells):
            cell.allocated = sum((r.cells[position].amount or ZERO for r in reports), ZERO)
        row.allocated_total = sum((r.total for r in reports), ZERO)
    leaves = [row for row in grid.rows if row.is_leaf]
    grid.column_totals = [
        sum((row.cells[n].amount or ZERO for row in leaves), ZERO) for n in range(len(grid.months))
    ]
    grid.grand_total = sum(grid.column_totals, ZERO)
    grid.column_flagged = [
        sum(1 for row in leaves if row.cells[n].flagged) for n in range(len(grid.months))
    ]
    counted = [row for row in leaves if row.total > 0]
    grid.reps_counted = len(counted)
    grid.reps_achievable = sum(1 for row in counted if row.flagged_months == 0)
