"""The quota engine: capacity, rolldown, attainment and achievability, pure and vectorised.

Plain functions over plain values and pandas frames: no model, no query, no clock. The
services read the calendar and the quotas, call ``rolldown`` once for thousands of
quotas, and write its frames in bulk (the shape of ``territories/rules.py``).

The rules (DESIGN 4.1–4.3), stated where they are implemented:

- ``capacity``: tenant work days, employed work days, capacity days of a member and a
  span of days, one member (``capacity``, ``month_capacity``) or many
  (``capacity_counts``);
- ``rolldown``: effective amount, the ``no_capacity`` warning, daily targets by
  running-total rounding and weekly targets per ISO week, for many quotas at once;
- ``attainment``: attainment, pace and projection; achievability against the trailing
  90-day rate;
- ``exact``: the integer arithmetic that keeps every figure exact (amounts are
  ``Decimal`` at the boundary, whole numbers of hundredths inside, never floats).
"""

from .attainment import (
    DEFAULT_ACHIEVABILITY_MULTIPLE,
    Achievability,
    Attainment,
    achievability,
    achievability_frame,
    attainment,
    attainment_frame,
)
from .capacity import (
    ACHIEVABILITY_WINDOW_DAYS,
    Capacity,
    MemberSpan,
    TenantCalendar,
    capacity,
    capacity_counts,
    month_bounds,
    month_capacity,
    trailing_window,
)
from .rolldown import (
    DAILY_COLUMNS,
    METRIC_UNITS,
    QUOTA_COLUMNS,
    WEEKLY_COLUMNS,
    QuotaInput,
    Rolldown,
    metric_unit,
    rolldown,
)

__all__ = [
    "ACHIEVABILITY_WINDOW_DAYS",
    "DAILY_COLUMNS",
    "DEFAULT_ACHIEVABILITY_MULTIPLE",
    "METRIC_UNITS",
    "QUOTA_COLUMNS",
    "WEEKLY_COLUMNS",
    "Achievability",
    "Attainment",
    "Capacity",
    "MemberSpan",
    "QuotaInput",
    "Rolldown",
    "TenantCalendar",
    "achievability",
    "achievability_frame",
    "attainment",
    "attainment_frame",
    "capacity",
    "capacity_counts",
    "metric_unit",
    "month_bounds",
    "month_capacity",
    "rolldown",
    "trailing_window",
]
