"""Effective amounts, daily and weekly targets for many quotas at once (DESIGN 4.2).

One call takes every quota of a tenant (thousands of members × months) and does the
work as array operations over all their days together: no Python loop per day, no
query. Money stays exact: amounts become whole numbers of the metric's unit (cents for
revenue) and every rounding is of an exact rational number (see ``exact``).
"""

import calendar as _calendar
import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from .capacity import (
    OPEN_END,
    OPEN_START,
    DateRange,
    TenantCalendar,
    dates_of,
    day_grid,
    day_number,
)
from .exact import (
    as_int_array,
    div_round_half_up,
    exact_number,
    hundredths,
    multiply,
    power_of_ten_exponent,
    to_decimals,
)

# The unit each metric is counted and rounded in. The quotas metric registry may pass
# its own mapping to ``rolldown``; units are powers of ten of at least 0.01.
METRIC_UNITS: Mapping[str, Decimal] = {
    "revenue": Decimal("0.01"),
    "deals": Decimal("1"),
    "activities": Decimal("1"),
}

QUOTA_COLUMNS = [
    "key",
    "metric",
    "unit",
    "tenant_work_days",
    "employed_work_days",
    "capacity_days",
    "effective_amount",
    "no_capacity",
]
DAILY_COLUMNS = ["key", "date", "amount"]
WEEKLY_COLUMNS = ["key", "start", "end", "amount"]


@dataclass(frozen=True)
class QuotaInput:
    """One quota and what its member's calendar says about its month.

    ``month`` is the first day of the month. ``amount`` (≥ 0, at most two decimal
    places) and ``ramp_pct`` (0–100) are exact numbers: ``Decimal``, ``int`` or a
    numeric string. ``time_off`` ranges include both ends and may reach outside the month.
    """

    key: Hashable
    month: dt.date
    metric: str
    amount: Decimal
    ramp_pct: Decimal = Decimal(100)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    time_off: tuple[DateRange, ...] = ()


@dataclass(frozen=True)
class Rolldown:
    """What ``rolldown`` computed, as three frames, rows in the order of the input quotas.

    - ``quotas``: ``key``, ``metric``, ``unit``, ``tenant_work_days``,
      ``employed_work_days``, ``capacity_days`` (ints), ``effective_amount`` (Decimal),
      ``no_capacity`` (bool);
    - ``daily``: ``key``, ``date`` (``datetime.date``), ``amount`` (Decimal), one row per
      capacity day, dates ascending within a quota;
    - ``weekly``: ``key``, ``start``, ``end`` (``datetime.date``), ``amount`` (Decimal),
      one row per ISO week holding a capacity day, clipped to the month.
    """

    quotas: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame

    def expected_to_date(self, as_of: dt.date) -> pd.Series:
        """Σ daily targets dated on or before ``as_of``, per quota key (DESIGN 4.3).

        A quota with no such day expects 0 in its unit (``0.00`` for revenue, ``0`` for
        counts).
        """
        zero = pd.Series(
            [unit * 0 for unit in self.quotas["unit"]],
            index=pd.Index(self.quotas["key"], tupleize_cols=False),
        )
        due = self.daily[self.daily["date"] <= as_of]
        sums = due.groupby("key", sort=False)["amount"].sum()
        expected = zero.copy()
        if len(sums):
            expected.loc[sums.index] = [
                total + zero_of_unit
                for total, zero_of_unit in zip(sums, zero.loc[sums.index], strict=True)
            ]
        expected.name = "expected_to_date"
        return expected


def metric_unit(metric: str, units: Mapping[str, Decimal] = METRIC_UNITS) -> Decimal:
    """The unit ``metric`` is counted and rounded in: 0.01 for revenue, 1 for counts."""
    try:
        return units[metric]
    except KeyError:
        raise ValueError(f"Unknown metric {metric!r}; expected one of {sorted(units)}.") from None


@dataclass(frozen=True)
class _Quotas:
    """The input quotas as arrays (day numbers, hundredths, exact ramp ratios)."""

    keys: pd.Index
    metrics: list[str]
    units: list[Decimal]
    exponent: np.ndarray  # Of the metric's unit: -2 for revenue, 0 for counts.
    first: np.ndarray
    length: np.ndarray
    start: np.ndarray
    end: np.ndarray
    amount: np.ndarray  # In hundredths.
    ramp_numerator: np.ndarray  # ramp_pct = numerator ÷ denominator.
    ramp_denominator: np.ndarray
    off_span: np.ndarray
    off_start: np.ndarray
    off_end: np.ndarray


def _read(quotas: Sequence[QuotaInput], units: Mapping[str, Decimal]) -> _Quotas:
    """Check every quota and turn the lot into arrays, in one pass."""
    exponents = {metric: power_of_ten_exponent(unit) for metric, unit in units.items()}
    month_lengths: dict[tuple[int, int], int] = {}
    metrics, exponent, first, length, start, end = [], [], [], [], [], []
    amount, ramp_numerator, ramp_denominator = [], [], []
    off_span, off_start, off_end = [], [], []
    for position, quota in enumerate(quotas):
        if quota.metric not in exponents:
            metric_unit(quota.metric, units)  # Raises, naming the known metrics.
        if quota.month.day != 1:
            raise ValueError(f"Quota {quota.key!r}: a month is given by its first day.")
        year_month = (quota.month.year, quota.month.month)
        if year_month not in month_lengths:
            month_lengths[year_month] = _calendar.monthrange(*year_month)[1]
        quota_amount = hundredths(quota.amount)
        if quota_amount < 0:
            raise ValueError(f"Quota {quota.key!r}: the amount must be 0 or more.")
        ramp = exact_number(quota.ramp_pct)
        if not 0 <= ramp <= 100:
            raise ValueError(f"Quota {quota.key!r}: the ramp is between 0 and 100%.")
        numerator, denominator = ramp.as_integer_ratio()

        metrics.append(quota.metric)
        exponent.append(exponents[quota.metric])
        first.append(day_number(quota.month))
        length.append(month_lengths[year_month])
        start.append(OPEN_START if quota.start_date is None else day_number(quota.start_date))
        end.append(OPEN_END if quota.end_date is None else day_number(quota.end_date))
        amount.append(quota_amount)
        ramp_numerator.append(numerator)
        ramp_denominator.append(denominator)
        for range_start, range_end in quota.time_off:
            if range_end < range_start:
                raise ValueError(f"Quota {quota.key!r}: time off ends before it starts.")
            off_span.append(position)
            off_start.append(day_number(range_start))
            off_end.append(day_number(range_end))

    keys = pd.Index([quota.key for quota in quotas], tupleize_cols=False)
    if not keys.is_unique:
        raise ValueError("Each quota needs its own key.")
    ints = np.int64
    return _Quotas(
        keys=keys,
        metrics=metrics,
        units=[units[metric] for metric in metrics],
        exponent=np.asarray(exponent, dtype=ints),
        first=np.asarray(first, dtype=ints),
        length=np.asarray(length, dtype=ints),
        start=np.asarray(start, dtype=ints),
        end=np.asarray(end, dtype=ints),
        amount=as_int_array(amount),
        ramp_numerator=as_int_array(ramp_numerator),
        ramp_denominator=as_int_array(ramp_denominator),
        off_span=np.asarray(off_span, dtype=ints),
        off_start=np.asarray(off_start, dtype=ints),
        off_end=np.asarray(off_end, dtype=ints),
    )


def rolldown(
    quotas: Sequence[QuotaInput],
    calendar: TenantCalendar,
    *,
    units: Mapping[str, Decimal] = METRIC_UNITS,
) -> Rolldown:
    """Effective amount, ``no_capacity``, daily and weekly targets of every quota.

    Rules (DESIGN 4.2), for a quota of a member and a month:

    - effective amount = amount × ramp_pct/100 × (employed work days ÷ tenant work
      days), or capacity days ÷ tenant work days when ``calendar.prorate_time_off``,
      rounded half up to the metric's unit; 0 when the month has no tenant work day;
    - ``no_capacity`` when the member has no capacity day in the month: the effective
      amount is still computed, and there are no daily or weekly rows;
    - daily targets, one per capacity day: with ``w`` the day's weekday weight (all
      weights 1 when every capacity day of the quota weighs 0), the running total after
      day ``k`` is ``effective × Σw(1..k) ÷ Σw(all)`` rounded half up to the unit, and
      the day's target is that total minus the previous one;
    - weekly targets: one row per ISO week holding a capacity day, from the later of its
      Monday and the 1st to the earlier of its Sunday and the month's last day, with the
      sum of its daily targets.

    Invariants: Σ daily = Σ weekly = effective amount exactly; every daily target is
    ≥ 0 and within one unit of its exact share; the same input gives the same output,
    and a quota's rows do not depend on which other quotas share the call.
    """
    data = _read(quotas, units)
    grid = day_grid(
        calendar,
        first=data.first,
        length=data.length,
        start=data.start,
        end=data.end,
        off_span=data.off_span,
        off_start=data.off_start,
        off_end=data.off_end,
    )
    tenant_work_days = grid.count(grid.work)
    employed_work_days = grid.count(grid.employed)
    capacity_days = grid.count(grid.available)

    # amount × (ramp_n ÷ ramp_d) ÷ 100 × (days ÷ work days), from hundredths to units.
    days = capacity_days if calendar.prorate_time_off else employed_work_days
    has_work_days = tenant_work_days > 0
    unit_in_hundredths = 10 ** (data.exponent + 2)
    effective = div_round_half_up(
        data.amount,
        multiply(data.ramp_numerator, days),
        multiply(
            data.ramp_denominator,
            100 * np.where(has_work_days, tenant_work_days, 1),
            unit_in_hundredths,
        ),
    )
    effective = np.where(has_work_days, effective, 0)

    quota_frame = pd.DataFrame(
        {
            "key": data.keys,
            "metric": data.metrics,
            "unit": pd.Series(data.units, dtype=object),
            "tenant_work_days": tenant_work_days,
            "employed_work_days": employed_work_days,
            "capacity_days": capacity_days,
            "effective_amount": to_decimals(effective, data.exponent),
            "no_capacity": capacity_days == 0,
        },
        columns=QUOTA_COLUMNS,
    )
    daily, weekly = _spread(calendar, data, grid, effective)
    return Rolldown(quotas=quota_frame, daily=daily, weekly=weekly)


def _spread(calendar, data: _Quotas, grid, effective: np.ndarray):
    """Daily and weekly frames: the running-total spread over every capacity day."""
    rows = np.flatnonzero(grid.available)
    quota = grid.span[rows]
    day = grid.day[rows]
    weekday = grid.weekday[rows]
    if len(rows) == 0:
        return (
            pd.DataFrame(columns=DAILY_COLUMNS),
            pd.DataFrame(columns=WEEKLY_COLUMNS),
        )

    starts_quota = np.ones(len(rows), dtype=bool)
    starts_quota[1:] = quota[1:] != quota[:-1]
    group_starts = np.flatnonzero(starts_quota)
    group = np.cumsum(starts_quota) - 1
    group_sizes = np.diff(np.append(group_starts, len(rows)))

    integer_weights = np.asarray(calendar.integer_weights, dtype=object)
    weight_dtype = np.int64 if max(calendar.integer_weights) < 2**31 else object
    weight = integer_weights.astype(weight_dtype)[weekday - 1]
    # A quota whose capacity days all weigh 0 spreads evenly instead.
    weightless = np.add.reduceat(weight, group_starts) == 0
    weight = np.where(weightless[group], 1, weight).astype(weight_dtype)
    total_weight = np.add.reduceat(weight, group_starts)
    running_weight = np.cumsum(weight)
    running_weight = running_weight - np.repeat(
        running_weight[group_starts] - weight[group_starts], group_sizes
    )

    running_total = div_round_half_up(
        effective[quota], running_weight, total_weight[group].astype(weight_dtype)
    )
    previous = np.empty_like(running_total)
    previous[0] = 0
    previous[1:] = running_total[:-1]
    previous[group_starts] = 0
    amount = running_total - previous

    exponent = data.exponent[quota]
    daily = pd.DataFrame(
        {
            "key": data.keys.take(quota),
            "date": dates_of(day),
            "amount": to_decimals(amount, exponent),
        },
        columns=DAILY_COLUMNS,
    )

    monday = day - (weekday - 1)
    starts_week = starts_quota.copy()
    starts_week[1:] |= monday[1:] != monday[:-1]
    week_starts = np.flatnonzero(starts_week)
    week_quota = quota[week_starts]
    month_first = data.first[week_quota]
    month_last = month_first + data.length[week_quota] - 1
    weekly = pd.DataFrame(
        {
            "key": data.keys.take(week_quota),
            "start": dates_of(np.maximum(monday[week_starts], month_first)),
            "end": dates_of(np.minimum(monday[week_starts] + 6, month_last)),
            "amount": to_decimals(np.add.reduceat(amount, week_starts), exponent[week_starts]),
        },
        columns=WEEKLY_COLUMNS,
    )
    return daily, weekly
