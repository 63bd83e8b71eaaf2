"""Selling time: selling minutes ÷ all minutes, per day, ISO week or month, per member and
per team, against the organisation's ``selling_target_pct`` (DESIGN 4.5).

The arithmetic is pure (``selling_pct``, ``is_below_target``, ``team_total``):

- the ratio is a ``Decimal`` percentage rounded half up to 0.1, and ``None`` when nothing
  was logged (0 of 0 minutes is no ratio, not 0%);
- below target means a known ratio strictly under the target (exactly on it is met);
- a team's ratio is Σ selling minutes ÷ Σ all minutes of its members, never the mean of
  their ratios: a member who logged ten hours weighs ten times one who logged one.

The reads are one aggregate query (``GROUP BY member, date`` in SQL, with the selling
minutes summed beside all minutes through the activity type's category), whatever the
number of members and days; days are then grouped into weeks and months with pandas.
A period is clipped to the dates asked for: a week asked from a Wednesday starts on that
Wednesday, so every minute counted lies within the range.

**A team** is a manager's reporting tree, direct and indirect (an admin's: the whole
organisation). The manager is not a member of their own team, but when they log time
themselves their minutes count in the team's figures and they are listed beside their
reports: a manager who sells is part of the team's selling time, one who does not log
is not a zero that drags the figures down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.db.models.functions import Coalesce

from spm.calendars.selectors import month_bounds
from spm.tenancy.models import Tenant

from ..models import Activity, Category

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)
DEFAULT_TARGET_PCT = Decimal("90")
# Up to this many members are filtered with an ``IN`` list in SQL; beyond it, the whole
# organisation's rows for the dates are read and filtered in Python (SQLite caps bound
# parameters, and a list of thousands of ids makes a poor plan on PostgreSQL).
IN_LIST_LIMIT = 1_000
MAX_RANGE_DAYS = 366


class Grouping:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CHOICES = (DAY, WEEK, MONTH)


# --- The arithmetic ---------------------------------------------------------------------------


def selling_pct(selling_minutes: int, total_minutes: int) -> Decimal | None:
    """``selling ÷ total × 100`` rounded half up to 0.1; ``None`` when ``total`` is 0."""
    if total_minutes <= 0:
        return None
    exact = Decimal(int(selling_minutes)) * HUNDRED / Decimal(int(total_minutes))
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def is_below_target(pct: Decimal | None, target_pct: Decimal) -> bool:
    """A known ratio strictly under the target; no minutes is not "below"."""
    return pct is not None and pct < target_pct


def target_of(tenant: Tenant) -> Decimal:
    target = tenant.selling_target_pct
    return DEFAULT_TARGET_PCT if target is None else Decimal(target)


@dataclass(frozen=True)
class SellingTime:
    """Selling and all minutes of one member (``member_id``; ``None`` for a team) over one
    period, both ends included."""

    member_id: int | None
    period_start: dt.date
    period_end: dt.date
    selling_minutes: int
    total_minutes: int
    days_logged: int
    target_pct: Decimal

    @property
    def selling_pct(self) -> Decimal | None:
        return selling_pct(self.selling_minutes, self.total_minutes)

    @property
    def below_target(self) -> bool:
        return is_below_target(self.selling_pct, self.target_pct)

    @property
    def non_selling_minutes(self) -> int:
        return self.total_minutes - self.selling_minutes


def team_total(
    rows: Iterable[SellingTime], *, start: dt.date, end: dt.date, target_pct: Decimal
) -> SellingTime:
    """The team's figures over ``start``–``end``: Σ selling ÷ Σ all minutes of ``rows``
    (``days_logged`` counts person-days)."""
    rows = list(rows)
    return SellingTime(
        member_id=None,
        period_start=start,
        period_end=end,
        selling_minutes=sum(row.selling_minutes for row in rows),
        total_minutes=sum(row.total_minutes for row in rows),
        days_logged=sum(row.days_logged for row in rows),
        target_pct=target_pct,
    )


# --- Periods ----------------------------------------------------------------------------------


def period_of(day: dt.date, group: str) -> tuple[dt.date, dt.date]:
    """The day, ISO week (Monday to Sunday) or month holding ``day``."""
    if group == Grouping.DAY:
        return day, day
    if group == Grouping.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    if group == Grouping.MONTH:
        return month_bounds(day.year, day.month)
    raise ValueError(f"Unknown grouping {group!r}.")


def week_start(day: dt.date) -> dt.date:
    return period_of(day, Grouping.WEEK)[0]


# --- The query --------------------------------------------------------------------------------

COLUMNS = ["member_id", "date", "selling", "total"]


def daily_minutes(
    *, tenant: Tenant, start: dt.date, end: dt.date, member_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """One row per member and day with minutes logged from ``start`` to ``end``: columns
    ``member_id``, ``date`` (a ``datetime.date``), ``selling`` and ``total`` minutes. One
    query; ``member_ids`` ``None`` means everyone."""
    wanted = None if member_ids is None else {int(member_id) for member_id in member_ids}
    if end < start or wanted == set():
        return pd.DataFrame(columns=COLUMNS)
    activities = Activity.objects.filter(tenant=tenant, date__gte=start, date__lte=end)
    if wanted is not None and len(wanted) <= IN_LIST_LIMIT:
        activities = activities.filter(member_id__in=sorted(wanted))
    selling_only = Case(
        When(type__category=Category.SELLING, then=F("duration_minutes")),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        activities.order_by()
        .values("member_id", "date")
        .annotate(total=Sum("duration_minutes"), selling=Coalesce(Sum(selling_only), 0))
        .values_list("member_id", "date", "selling", "total")
    )
    records = [row for row in rows if wanted is None or row[0] in wanted]
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def group_minutes(
    frame: pd.DataFrame, *, group: str, start: dt.date, end: dt.date, by_member: bool = True
) -> list[tuple[int | None, dt.date, dt.date, int, int, int]]:
    """``daily_minutes`` grouped into periods (clipped to ``start``–``end``): tuples of
    ``(member_id or None, period_start, period_end, selling, total, days_logged)``, sorted
    by member then period. ``by_member=False`` sums the members (a team; ``days_logged``
    then counts person-days)."""
    frame = frame[(frame["date"] >= start) & (frame["date"] <= end)] if len(frame) else frame
    if not len(frame):
        return []
    frame = frame.assign(
        period=[period_of(day, group)[0] for day in frame["date"]],
        days=1,
    )
    keys = ["member_id", "period"] if by_member else ["period"]
    grouped = frame.groupby(keys, sort=True)[["selling", "total", "days"]].sum().reset_index()
    result = []
    for record in grouped.itertuples(index=False):
        first, last = period_of(record.period, group)
        result.append(
            (
                int(record.member_id) if by_member else None,
                max(first, start),
                min(last, end),
                int(record.selling),
                int(record.total),
                int(record.days),
            )
        )
    return result


def selling_time(
    *,
    tenant: Tenant,
    start: dt.date,
    end: dt.date,
    group: str = Grouping.DAY,
    member_ids: Iterable[int] | None = None,
) -> list[SellingTime]:
    """Each member's selling time per period from ``start`` to ``end`` (both included), for
    the periods in which they logged something; ``member_ids`` ``None`` means everyone.
    One query."""
    if group not in Grouping.CHOICES:
        raise ValueError(f"Unknown grouping {group!r}.")
    frame = daily_minutes(tenant=tenant, start=start, end=end, member_ids=member_ids)
    target = target_of(tenant)
    return [
        SellingTime(member_id, first, last, selling, total, days, target)
        for member_id, first, last, selling, total, days in group_minutes(
            frame, group=group, start=start, end=end
        )
    ]


def team_selling_time(
    *,
    tenant: Tenant,
    member_ids: Iterable[int] | None,
    start: dt.date,
    end: dt.date,
    group: str = Grouping.WEEK,
) -> list[SellingTime]:
    """The team's figures (Σ of ``member_ids``, ``None``: everyone) per period. One query."""
    frame = daily_minutes(tenant=tenant, start=start, end=end, member_ids=member_ids)
    target = target_of(tenant)
    return [
        SellingTime(None, first, last, selling, total, days, target)
        for _, first, last, selling, total, days in group_minutes(
            frame, group=group, start=start, end=end, by_member=False
        )
    ]


def by_member(rows: Sequence[SellingTime]) -> dict[int, SellingTime]:
    """Rows of one period keyed by member."""
    return {row.member_id: row for row in rows if row.member_id is not None}
