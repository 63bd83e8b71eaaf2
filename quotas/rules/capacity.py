"""Who can sell on which day (DESIGN 4.1), for one member or thousands at once.

For a member and a span of days (usually a month), all ranges including both ends:

- **tenant work days**: the span's days on the tenant's work week that are not holidays;
- **employed work days**: the tenant work days within the member's employment
  (``start_date`` and ``end_date``, either of which may be open);
- **capacity days**: the employed work days not in the member's time off.

``capacity`` answers for one member with plain date lists; ``capacity_counts`` answers
for many spans at once with numpy, and the rolldown builds on the same day grid
(``day_grid``). Both read nothing from the database: the calendar comes in as a
``TenantCalendar``. (``spm.calendars.selectors`` computes the same lists from model
instances and queries; this module is its pure, vectorised counterpart.)
"""

import calendar as _calendar
import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import gcd, lcm

import numpy as np
import pandas as pd

from .exact import exact_number

DateRange = tuple[dt.date, dt.date]

ISO_WEEKDAYS = range(1, 8)  # Monday = 1 … Sunday = 7, as datetime.isoweekday().
ONE_DAY = dt.timedelta(days=1)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Stand-ins for an open employment start or end: far outside any date the app accepts.
OPEN_START = -(2**40)
OPEN_END = 2**40
# Achievability compares a quota with the member's rate over this many trailing days.
ACHIEVABILITY_WINDOW_DAYS = 90


@dataclass(frozen=True)
class TenantCalendar:
    """A tenant's calendar as the rules need it.

    ``work_week`` holds ISO weekdays (Monday = 1) and may be empty (then no day is a
    work day). ``weekday_weights`` are seven non-negative numbers, Monday first.
    """

    work_week: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    weekday_weights: tuple[Decimal, ...] = (Decimal(1),) * 7
    holidays: frozenset[dt.date] = frozenset()
    prorate_time_off: bool = False
    # Derived in __post_init__: the weights as small whole numbers, same ratios.
    integer_weights: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        work_week = frozenset(self.work_week)
        if any(isinstance(day, bool) or day not in ISO_WEEKDAYS for day in work_week):
            raise ValueError("The work week holds ISO weekdays, 1 (Monday) to 7 (Sunday).")
        weights = tuple(exact_number(weight) for weight in self.weekday_weights)
        if len(weights) != 7 or any(weight < 0 for weight in weights):
            raise ValueError("Weekday weights are seven numbers ≥ 0, Monday first.")
        object.__setattr__(self, "work_week", work_week)
        object.__setattr__(self, "weekday_weights", weights)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "integer_weights", _integer_weights(weights))

    def is_work_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.work_week and day not in self.holidays


def _integer_weights(weights: Sequence[Decimal]) -> tuple[int, ...]:
    """Whole numbers in the same ratios as ``weights``, as small as possible.

    Only ratios matter to the spread, so ``[1, 1, 1, 1, 0.5, 0, 0]`` becomes
    ``[2, 2, 2, 2, 1, 0, 0]`` and every later product stays small and exact.
    """
    fractions = [Fraction(weight) for weight in weights]
    scale = lcm(*(fraction.denominator for fraction in fractions))
    whole = [int(fraction * scale) for fraction in fractions]
    divisor = gcd(*whole) or 1
    return tuple(weight // divisor for weight in whole)


@dataclass(frozen=True)
class Capacity:
    """The three day lists of DESIGN 4.1 for one member and one span, each sorted."""

    tenant_work_days: tuple[dt.date, ...]
    employed_work_days: tuple[dt.date, ...]
    capacity_days: tuple[dt.date, ...]


def month_bounds(month: dt.date) -> DateRange:
    """The first and last day of ``month``'s month."""
    last = _calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


def trailing_window(before: dt.date, days: int = ACHIEVABILITY_WINDOW_DAYS) -> DateRange:
    """The ``days`` days that end the day before ``before``, both ends included."""
    return before - days * ONE_DAY, before - ONE_DAY


def capacity(
    calendar: TenantCalendar,
    *,
    first: dt.date,
    last: dt.date,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    time_off: Iterable[DateRange] = (),
) -> Capacity:
    """One member's tenant work days, employed work days and capacity days, ``first``–``last``.

    A plain loop over the days: the reference the vectorised ``capacity_counts`` and the
    rolldown agree with (the property tests hold them to it).
    """
    ranges = _checked_ranges(time_off)
    days = [first + n * ONE_DAY for n in range((last - first).days + 1)]
    work = tuple(day for day in days if calendar.is_work_day(day))
    employed = tuple(
        day
        for day in work
        if (start_date is None or day >= start_date) and (end_date is None or day <= end_date)
    )
    available = tuple(
        day for day in employed if not any(start <= day <= end for start, end in ranges)
    )
    return Capacity(work, employed, available)


def month_capacity(
    calendar: TenantCalendar,
    *,
    month: dt.date,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    time_off: Iterable[DateRange] = (),
) -> Capacity:
    """``capacity`` over ``month``'s month."""
    first, last = month_bounds(month)
    return capacity(
        calendar,
        first=first,
        last=last,
        start_date=start_date,
        end_date=end_date,
        time_off=time_off,
    )


def _checked_ranges(time_off: Iterable[DateRange]) -> list[DateRange]:
    ranges = [(start, end) for start, end in time_off]
    for start, end in ranges:
        if end < start:
            raise ValueError(f"Time off from {start} ends before it starts ({end}).")
    return ranges


# --- Many spans at once -------------------------------------------------------------


@dataclass(frozen=True)
class MemberSpan:
    """One member over ``first``–``last`` (inclusive), for ``capacity_counts``."""

    key: Hashable
    first: dt.date
    last: dt.date
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    time_off: tuple[DateRange, ...] = ()


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01, numpy's ``datetime64[D]`` integer."""
    return day.toordinal() - EPOCH_ORDINAL


def dates_of(day_numbers: np.ndarray) -> np.ndarray:
    """``datetime.date`` objects (an object array) for day numbers."""
    return np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]").astype(object)


def iso_weekdays(day_numbers: np.ndarray) -> np.ndarray:
    """ISO weekday (Monday = 1) of each day number; 1970-01-01 was a Thursday."""
    return (day_numbers + 3) % 7 + 1


@dataclass(frozen=True)
class DayGrid:
    """Every day of every span, spans one after the other, as parallel arrays.

    ``span`` is the span's position, ``day`` the day number; the three masks say whether
    the day is a tenant work day, an employed work day and a capacity day. ``offsets``
    is where each span's rows start (spans are never empty).
    """

    offsets: np.ndarray
    span: np.ndarray
    day: np.ndarray
    weekday: np.ndarray
    work: np.ndarray
    employed: np.ndarray
    available: np.ndarray

    def count(self, mask: np.ndarray) -> np.ndarray:
        """How many rows of each span ``mask`` holds."""
        if len(self.offsets) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(mask.astype(np.int64), self.offsets)


def day_grid(
    calendar: TenantCalendar,
    *,
    first: np.ndarray,
    length: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    off_span: np.ndarray,
    off_start: np.ndarray,
    off_end: np.ndarray,
) -> DayGrid:
    """Lay out every day of every span and mark its work, employment and time off.

    Inputs are day numbers: span ``i`` covers ``first[i]`` and the ``length[i] - 1`` days
    after it (``length ≥ 1``), employment runs ``start[i]``–``end[i]``; time-off range
    ``j`` belongs to span ``off_span[j]`` and runs ``off_start[j]``–``off_end[j]``.
    The work is a handful of array operations over all days, whatever the number of spans.
    """
    count = len(first)
    total = int(length.sum())
    offsets = np.zeros(count, dtype=np.int64)
    np.cumsum(length[:-1], out=offsets[1:])
    span = np.repeat(np.arange(count, dtype=np.int64), length)
    day = np.repeat(first - offsets, length) + np.arange(total, dtype=np.int64)
    weekday = iso_weekdays(day)

    on_work_week = np.zeros(8, dtype=bool)
    on_work_week[list(calendar.work_week)] = True
    holidays = np.array(sorted(day_number(holiday) for holiday in calendar.holidays), np.int64)
    work = on_work_week[weekday] & ~np.isin(day, holidays)
    employed = work & (day >= np.repeat(start, length)) & (day <= np.repeat(end, length))

    # Time off: +1 where a range (clipped to its span) starts, -1 after it ends; a running
    # sum above 0 marks the days off. Ranges of one span never reach another's rows.
    span_last = first + length - 1
    clipped_start = np.maximum(off_start, first[off_span])
    clipped_end = np.minimum(off_end, span_last[off_span])
    inside = clipped_start <= clipped_end
    base = offsets[off_span[inside]] - first[off_span[inside]]
    changes = np.bincount(base + clipped_start[inside], minlength=total + 1)
    changes -= np.bincount(base + clipped_end[inside] + 1, minlength=total + 1)
    off = np.cumsum(changes[:total]) > 0

    return DayGrid(offsets, span, day, weekday, work, employed, employed & ~off)


def capacity_counts(calendar: TenantCalendar, spans: Sequence[MemberSpan]) -> pd.DataFrame:
    """Columns ``key``, ``tenant_work_days``, ``employed_work_days``, ``capacity_days``:
    the number of each kind of day in every span, one row per span in input order.
    (The trailing 90-day capacity of thousands of members, for achievability.)"""
    first, length, start, end = [], [], [], []
    off_span, off_start, off_end = [], [], []
    for position, member in enumerate(spans):
        if member.last < member.first:
            raise ValueError(f"The span of {member.key!r} ends before it starts.")
        first.append(day_number(member.first))
        length.append((member.last - member.first).days + 1)
        start.append(OPEN_START if member.start_date is None else day_number(member.start_date))
        end.append(OPEN_END if member.end_date is None else day_number(member.end_date))
        for range_start, range_end in _checked_ranges(member.time_off):
            off_span.append(position)
            off_start.append(day_number(range_start))
            off_end.append(day_number(range_end))
    grid = day_grid(
        calendar,
        first=np.asarray(first, dtype=np.int64),
        length=np.asarray(length, dtype=np.int64),
        start=np.asarray(start, dtype=np.int64),
        end=np.asarray(end, dtype=np.int64),
        off_span=np.asarray(off_span, dtype=np.int64),
        off_start=np.asarray(off_start, dtype=np.int64),
        off_end=np.asarray(off_end, dtype=np.int64),
    )
    return pd.DataFrame(
        {
            "key": pd.Index([member.key for member in spans], tupleize_cols=False),
            "tenant_work_days": grid.count(grid.work),
            "employed_work_days": grid.count(grid.employed),
            "capacity_days": grid.count(grid.available),
        }
    )
