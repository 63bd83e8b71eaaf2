"""Attainment, pace, projection (DESIGN 4.3) and achievability (DESIGN 4.2).

Each rule has a scalar form taking and returning ``Decimal`` (one quota on a page) and a
frame form over many quotas (the nightly job); both run the same exact integer code,
so they cannot disagree. Percentages and rates round half up to 0.01, ``projected`` to
the metric's unit; rounding is half away from zero, so a negative achieved amount (a
month of refunds) rounds like ``Decimal``'s ``ROUND_HALF_UP``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from .exact import div_round_half_up, exact_number, hundredths_array, power_of_ten_exponent
from .rolldown import METRIC_UNITS, metric_unit

DEFAULT_ACHIEVABILITY_MULTIPLE = Decimal("1.5")


def _hundredths_to_decimals(values: np.ndarray, exponent: int, known: np.ndarray) -> list:
    """Decimals of ``values`` counted in ``10**exponent``; ``None`` where not ``known``."""
    return [
        Decimal(f"{int(value)}E{exponent}") if is_known else None
        for value, is_known in zip(values, known, strict=True)
    ]


def _objects(values: np.ndarray) -> np.ndarray:
    """Python integers, exact at any size (these figures are few: one per quota)."""
    return np.asarray(values).astype(object)


# --- Attainment ---------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    attainment_pct: Decimal | None
    pace_pct: Decimal | None
    projected: Decimal | None


def attainment_frame(
    frame: pd.DataFrame, *, units: Mapping[str, Decimal] = METRIC_UNITS
) -> pd.DataFrame:
    """``attainment_pct``, ``pace_pct`` and ``projected`` for every row of ``frame``.

    ``frame`` has columns ``metric``, ``achieved``, ``effective_amount`` and
    ``expected_to_date`` (exact numbers, at most two decimal places); the result has the
    same index. Per row:

    - ``attainment_pct`` = achieved ÷ effective amount × 100, ``None`` when the
      effective amount is 0;
    - ``pace_pct`` = achieved ÷ expected_to_date × 100 and ``projected`` = effective
      amount × achieved ÷ expected_to_date, both ``None`` when expected_to_date is 0.
    """
    achieved = _objects(hundredths_array(frame["achieved"]))
    effective = _objects(hundredths_array(frame["effective_amount"]))
    expected = _objects(hundredths_array(frame["expected_to_date"]))
    if (effective < 0).any() or (expected < 0).any():
        raise ValueError("Effective amounts and expected amounts are never negative.")
    exponents = [power_of_ten_exponent(metric_unit(metric, units)) for metric in frame["metric"]]
    unit_in_hundredths = np.asarray([10 ** (exponent + 2) for exponent in exponents], object)

    has_effective = effective != 0
    has_expected = expected != 0
    safe_effective = np.where(has_effective, effective, 1)
    safe_expected = np.where(has_expected, expected, 1)
    # Percentages in hundredths of a percent: achieved × 10 000 ÷ base.
    attainment = div_round_half_up(achieved, 10_000, safe_effective)
    pace = div_round_half_up(achieved, 10_000, safe_expected)
    projected = div_round_half_up(achieved, effective, safe_expected * unit_in_hundredths)

    return pd.DataFrame(
        {
            "attainment_pct": _hundredths_to_decimals(attainment, -2, has_effective),
            "pace_pct": _hundredths_to_decimals(pace, -2, has_expected),
            "projected": [
                Decimal(f"{int(value)}E{exponent}") if known else None
                for value, exponent, known in zip(projected, exponents, has_expected, strict=True)
            ],
        },
        index=frame.index,
        dtype=object,
    )


def attainment(
    *,
    metric: str,
    achieved,
    effective_amount,
    expected_to_date,
    units: Mapping[str, Decimal] = METRIC_UNITS,
) -> Attainment:
    """The figures of ``attainment_frame`` for one quota."""
    row = attainment_frame(
        pd.DataFrame(
            {
                "metric": [metric],
                "achieved": [achieved],
                "effective_amount": [effective_amount],
                "expected_to_date": [expected_to_date],
            },
            dtype=object,
        ),
        units=units,
    ).iloc[0]
    return Attainment(row["attainment_pct"], row["pace_pct"], row["projected"])


# --- Achievability ------------------------------------------------------------------


@dataclass(frozen=True)
class Achievability:
    required_daily_rate: Decimal | None
    actual_daily_rate: Decimal | None
    ratio: Decimal | None
    flagged: bool


def achievability_frame(
    frame: pd.DataFrame, *, multiple=DEFAULT_ACHIEVABILITY_MULTIPLE
) -> pd.DataFrame:
    """Is each quota realistic next to what its member has done? (DESIGN 4.2)

    ``frame`` has columns ``effective_amount``, ``capacity_days`` (the quota month's),
    ``trailing_achieved`` and ``trailing_capacity_days`` (the member's achieved amount
    and capacity days over the trailing window, ``capacity.trailing_window``: 90 days).

    - ``required_daily_rate`` = effective amount ÷ capacity days of the month: the
      whole month's run-rate, not what is left ÷ the days left. Achievability judges the
      quota as set, so it is known before the month starts, is the same on every day
      of the month, and does not flip because of a slow week (that is what pace shows).
      ``None`` when the month has no capacity day (the quota already warns).
    - ``actual_daily_rate`` = trailing achieved ÷ trailing capacity days: a rate per day
      the member could sell, like the required one, so time off and holidays in the
      window do not make the history look weaker. ``None`` without a capacity day in the
      window (a new joiner has no history to compare with).
    - ``ratio`` = required ÷ actual, ``None`` when either is unknown or actual is 0.
    - ``flagged`` when required > ``multiple`` × actual, compared exactly (before
      rounding); never flagged when either rate is unknown or nothing is required.

    Rates and the ratio round half up to 0.01.
    """
    numerator, denominator = exact_number(multiple).as_integer_ratio()
    if numerator < 0:
        raise ValueError("The achievability multiple is 0 or more.")
    effective = _objects(hundredths_array(frame["effective_amount"]))
    achieved = _objects(hundredths_array(frame["trailing_achieved"]))
    days = _objects(_whole_numbers(frame["capacity_days"]))
    trailing_days = _objects(_whole_numbers(frame["trailing_capacity_days"]))

    has_days = days > 0
    has_history = trailing_days > 0
    safe_days = np.where(has_days, days, 1)
    safe_trailing_days = np.where(has_history, trailing_days, 1)
    required = div_round_half_up(effective, 1, safe_days)  # Hundredths per day.
    actual = div_round_half_up(achieved, 1, safe_trailing_days)
    # required ÷ actual = effective × trailing days ÷ (achieved × days), in hundredths.
    has_ratio = has_days & has_history & (achieved > 0)
    ratio = div_round_half_up(
        effective * safe_trailing_days * 100, 1, np.where(has_ratio, achieved * safe_days, 1)
    )
    flagged = (
        has_days
        & has_history
        & (effective > 0)
        & (effective * trailing_days * denominator > numerator * achieved * days)
    )
    return pd.DataFrame(
        {
            "required_daily_rate": _hundredths_to_decimals(required, -2, has_days),
            "actual_daily_rate": _hundredths_to_decimals(actual, -2, has_history),
            "ratio": _hundredths_to_decimals(ratio, -2, has_ratio),
            "flagged": flagged.astype(bool),
        },
        index=frame.index,
    )


def achievability(
    *,
    effective_amount,
    capacity_days: int,
    trailing_achieved,
    trailing_capacity_days: int,
    multiple=DEFAULT_ACHIEVABILITY_MULTIPLE,
) -> Achievability:
    """The figures of ``achievability_frame`` for one quota."""
    row = achievability_frame(
        pd.DataFrame(
            {
                "effective_amount": [effective_amount],
                "capacity_days": [capacity_days],
                "trailing_achieved": [trailing_achieved],
                "trailing_capacity_days": [trailing_capacity_days],
            },
            dtype=object,
        ),
        multiple=multiple,
    ).iloc[0]
    return Achievability(
        row["required_daily_rate"], row["actual_daily_rate"], row["ratio"], bool(row["flagged"])
    )


def _whole_numbers(values: Sequence) -> list[int]:
    numbers = []
    for value in values:
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise ValueError(f"A number of days is a whole number ≥ 0, not {value!r}.")
        numbers.append(int(value))
    return numbers
