"""Properties of the quota engine over random calendars, members and quotas (DESIGN 4.1–4.3).

Each property is checked against a small reference written here with plain loops and
``Fraction`` (exact rationals), independent of the engine's arrays and integer tricks.
"""

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotas import rules

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Each example of these holds up to six quotas: half as many examples check more quotas.
MANY_SETTINGS = settings(SETTINGS, max_examples=100)
ONE_DAY = dt.timedelta(days=1)
METRICS = sorted(rules.METRIC_UNITS)


def half_up(value: Fraction) -> int:
    """Round half up (away from zero), as ``Decimal``'s ``ROUND_HALF_UP``."""
    rounded = floor(abs(value) + Fraction(1, 2))
    return -rounded if value < 0 else rounded


def month_last(month: dt.date) -> dt.date:
    return month.replace(day=_calendar.monthrange(month.year, month.month)[1])


# --- Strategies ---------------------------------------------------------------------

months = st.one_of(
    st.builds(dt.date, st.integers(2027, 2028), st.integers(1, 12), st.just(1)),
    st.builds(dt.date, st.integers(1970, 2100), st.integers(1, 12), st.just(1)),
)
weights = st.one_of(
    st.just(["0"] * 7),  # Every day weighs 0: the days weigh equally.
    st.lists(st.sampled_from(["0", "0.5", "1", "1.5", "2", "0.25"]), min_size=7, max_size=7),
    st.lists(st.sampled_from(["0", "1"]), min_size=7, max_size=7),
    # Many decimal places: large whole-number weights, the engine's exact fallback path.
    st.lists(
        st.decimals(0, 5, places=10, allow_nan=False, allow_infinity=False).map(str),
        min_size=7,
        max_size=7,
    ),
).map(lambda values: tuple(Decimal(value) for value in values))


def near(month: dt.date):
    """Dates around ``month``: employment and time off start before it or end after it."""
    return st.integers(-40, 70).map(lambda offset: month + offset * ONE_DAY)


@st.composite
def time_off_ranges(draw, month: dt.date):
    ranges = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(near(month))
        ranges.append((start, start + draw(st.integers(0, 25)) * ONE_DAY))
    return tuple(ranges)


@st.composite
def amounts(draw, metric: str) -> Decimal:
    unit = rules.METRIC_UNITS[metric]
    count = draw(
        st.one_of(
            st.just(0),
            st.integers(0, 60),
            st.integers(0, 10**6),
            st.integers(10**13, 10**14),  # Up to 10^12 in money.
        )
    )
    return Decimal(count) * unit


ramps = st.one_of(
    st.just(Decimal(100)),
    st.integers(0, 100).map(Decimal),
    st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False),
    # Many decimal places: large denominators, the engine's exact fallback path.
    st.decimals(0, 100, places=17, allow_nan=False, allow_infinity=False),
)


@st.composite
def quota_inputs(draw, key, month: dt.date | None = None) -> rules.QuotaInput:
    month = draw(months) if month is None else month
    metric = draw(st.sampled_from(METRICS))
    return rules.QuotaInput(
        key=key,
        month=month,
        metric=metric,
        amount=draw(amounts(metric)),
        ramp_pct=draw(ramps),
        start_date=draw(st.none() | near(month)),
        end_date=draw(st.none() | near(month)),
        time_off=draw(time_off_ranges(month)),
    )


@st.composite
def calendars(draw, months_in_use: list[dt.date]) -> rules.TenantCalendar:
    holidays = set()
    for month in months_in_use:
        holidays |= set(draw(st.lists(near(month), max_size=6)))
    return rules.TenantCalendar(
        work_week=frozenset(draw(st.sets(st.integers(1, 7)))),
        weekday_weights=draw(weights),
        holidays=frozenset(holidays),
        prorate_time_off=draw(st.booleans()),
    )


@st.composite
def one_quota(draw):
    quota = draw(quota_inputs("q"))
    return quota, draw(calendars([quota.month]))


@st.composite
def many_quotas(draw):
    base_months = draw(st.lists(months, min_size=1, max_size=3))
    count = draw(st.integers(1, 6))
    quotas = [
        draw(quota_inputs(number, draw(st.sampled_from(base_months)))) for number in range(count)
    ]
    return quotas, draw(calendars(base_months))


# --- The reference --------------------------------------------------------------------


def reference(quota: rules.QuotaInput, calendar: rules.TenantCalendar) -> dict:
    """DESIGN 4.1–4.2 for one quota, with loops and exact rationals."""
    first, last = quota.month, month_last(quota.month)
    month_days = [first + n * ONE_DAY for n in range((last - first).days + 1)]
    work = [
        day
        for day in month_days
        if day.isoweekday() in calendar.work_week and day not in calendar.holidays
    ]
    employed = [
        day
        for day in work
        if (quota.start_date is None or day >= quota.start_date)
        and (quota.end_date is None or day <= quota.end_date)
    ]
    available = [
        day for day in employed if not any(start <= day <= end for start, end in quota.time_off)
    ]
    unit = Fraction(rules.METRIC_UNITS[quota.metric])
    numerator = len(available) if calendar.prorate_time_off else len(employed)
    effective = (
        half_up(
            Fraction(quota.amount) * Fraction(quota.ramp_pct) / 100 * numerator / len(work) / unit
        )
        if work
        else 0
    )
    day_weights = [Fraction(calendar.weekday_weights[day.isoweekday() - 1]) for day in available]
    if not any(day_weights):
        day_weights = [Fraction(1)] * len(available)
    return {
        "tenant_work_days": len(work),
        "employed_work_days": len(employed),
        "capacity_days": available,
        "effective_units": effective,
        "weights": day_weights,
        "unit": unit,
    }


def units_of(amount: Decimal, unit: Fraction) -> int:
    """A Decimal amount as a whole number of units, checking it is one."""
    value = Fraction(amount) / unit
    assert value.denominator == 1, amount
    return value.numerator


@dataclass
class QuotaRows:
    quota: dict
    daily: list[tuple]  # (date, amount)
    weekly: list[tuple]  # (start, end, amount)


def rows_by_key(result: rules.Rolldown) -> dict:
    """Each quota's row, daily rows and weekly rows, as plain Python values."""
    quotas, daily, weekly = result.quotas, result.daily, result.weekly
    columns = [quotas[name].tolist() for name in rules.QUOTA_COLUMNS]
    rows = {
        values[0]: QuotaRows(dict(zip(rules.QUOTA_COLUMNS, values, strict=True)), [], [])
        for values in zip(*columns, strict=True)
    }
    for key, *day in zip(*(daily[name].tolist() for name in rules.DAILY_COLUMNS), strict=True):
        rows[key].daily.append(tuple(day))
    for key, *week in zip(*(weekly[name].tolist() for name in rules.WEEKLY_COLUMNS), strict=True):
        rows[key].weekly.append(tuple(week))
    return rows


# --- Rolldown properties ----------------------------------------------------------------


def check_against_reference(rows: QuotaRows, quota: rules.QuotaInput, calendar) -> None:
    expected = reference(quota, calendar)
    unit = expected["unit"]
    row = rows.quota

    # Capacity and the effective amount, in the metric's unit (and its number of places).
    assert row["tenant_work_days"] == expected["tenant_work_days"]
    assert row["employed_work_days"] == expected["employed_work_days"]
    assert row["capacity_days"] == len(expected["capacity_days"])
    effective = units_of(row["effective_amount"], unit)
    assert effective == expected["effective_units"]
    assert row["effective_amount"].as_tuple().exponent == (-2 if unit == Fraction(1, 100) else 0)
    assert bool(row["no_capacity"]) == (not expected["capacity_days"])

    # One daily row per capacity day and none on any other day; none at all without one.
    assert [date for date, _ in rows.daily] == expected["capacity_days"]
    if row["no_capacity"]:
        assert rows.daily == [] and rows.weekly == []
        return

    targets = [units_of(amount, unit) for _, amount in rows.daily]
    assert all(target >= 0 for target in targets)
    assert sum(targets) == effective
    day_weights = expected["weights"]
    total_weight = sum(day_weights)
    running_weight = Fraction(0)
    running_total = 0
    for target, weight in zip(targets, day_weights, strict=True):
        exact_share = effective * weight / total_weight
        assert abs(target - exact_share) < 1  # Within one unit of its exact share.
        running_weight += weight
        running_total += target
        assert running_total == half_up(effective * running_weight / total_weight)

    # Weekly rows: one per ISO week holding a capacity day, clipped to the month.
    first, last = quota.month, month_last(quota.month)
    weeks: dict[dt.date, list[int]] = {}
    for day, target in zip(expected["capacity_days"], targets, strict=True):
        weeks.setdefault(day - (day.isoweekday() - 1) * ONE_DAY, []).append(target)
    assert [(start, end, units_of(amount, unit)) for start, end, amount in rows.weekly] == [
        (max(monday, first), min(monday + 6 * ONE_DAY, last), sum(week_targets))
        for monday, week_targets in weeks.items()
    ]
    assert all(first <= start <= end <= last for start, end, _ in rows.weekly)
    assert sum(units_of(amount, unit) for _, _, amount in rows.weekly) == effective


@SETTINGS
@given(one_quota())
def test_one_quota_rolls_down_by_the_rules(drawn):
    quota, calendar = drawn

    result = rules.rolldown([quota], calendar)

    assert list(result.quotas.columns) == rules.QUOTA_COLUMNS
    assert list(result.daily.columns) == rules.DAILY_COLUMNS
    assert list(result.weekly.columns) == rules.WEEKLY_COLUMNS
    check_against_reference(rows_by_key(result)[quota.key], quota, calendar)


@MANY_SETTINGS
@given(many_quotas())
def test_many_quotas_at_once_give_each_quota_what_it_gets_alone(drawn):
    quotas, calendar = drawn

    together = rules.rolldown(quotas, calendar)

    assert list(together.quotas["key"]) == [quota.key for quota in quotas]
    rows = rows_by_key(together)
    for quota in quotas:
        check_against_reference(rows[quota.key], quota, calendar)
        assert rows[quota.key] == rows_by_key(rules.rolldown([quota], calendar))[quota.key]


@MANY_SETTINGS
@given(many_quotas())
def test_rolling_down_twice_gives_identical_frames(drawn):
    quotas, calendar = drawn

    first, second = rules.rolldown(quotas, calendar), rules.rolldown(quotas, calendar)

    pd.testing.assert_frame_equal(first.quotas, second.quotas)
    pd.testing.assert_frame_equal(first.daily, second.daily)
    pd.testing.assert_frame_equal(first.weekly, second.weekly)


@MANY_SETTINGS
@given(many_quotas(), st.integers(-5, 40))
def test_expected_to_date_sums_the_daily_targets_up_to_the_as_of_date(drawn, offset):
    quotas, calendar = drawn
    as_of = quotas[0].month + offset * ONE_DAY
    result = rules.rolldown(quotas, calendar)

    expected_to_date = result.expected_to_date(as_of)

    rows = rows_by_key(result)
    for quota in quotas:
        unit = Fraction(rules.METRIC_UNITS[quota.metric])
        due = sum(units_of(amount, unit) for date, amount in rows[quota.key].daily if date <= as_of)
        assert units_of(expected_to_date[quota.key], unit) == due
        assert (
            expected_to_date[quota.key].as_tuple().exponent
            == rows[quota.key].quota["effective_amount"].as_tuple().exponent
        )


# --- Capacity ---------------------------------------------------------------------------


@st.composite
def member_spans(draw):
    month = draw(months)
    spans = []
    for number in range(draw(st.integers(1, 4))):
        first = draw(near(month))
        spans.append(
            rules.MemberSpan(
                key=f"member {number}",
                first=first,
                last=first + draw(st.integers(0, 120)) * ONE_DAY,
                start_date=draw(st.none() | near(month)),
                end_date=draw(st.none() | near(month)),
                time_off=draw(time_off_ranges(month)),
            )
        )
    return spans, draw(calendars([month]))


@SETTINGS
@given(member_spans())
def test_capacity_counts_agree_with_one_member_at_a_time(drawn):
    spans, calendar = drawn

    counts = rules.capacity_counts(calendar, spans).set_index("key")

    for span in spans:
        one = rules.capacity(
            calendar,
            first=span.first,
            last=span.last,
            start_date=span.start_date,
            end_date=span.end_date,
            time_off=span.time_off,
        )
        days = [span.first + n * ONE_DAY for n in range((span.last - span.first).days + 1)]
        work = [
            d for d in days if d.isoweekday() in calendar.work_week and d not in calendar.holidays
        ]
        assert list(one.tenant_work_days) == work
        assert set(one.capacity_days) <= set(one.employed_work_days) <= set(work)
        assert counts.loc[span.key].to_dict() == {
            "tenant_work_days": len(one.tenant_work_days),
            "employed_work_days": len(one.employed_work_days),
            "capacity_days": len(one.capacity_days),
        }


@SETTINGS
@given(one_quota())
def test_month_capacity_gives_the_days_the_rolldown_counts(drawn):
    quota, calendar = drawn

    days = rules.month_capacity(
        calendar,
        month=quota.month,
        start_date=quota.start_date,
        end_date=quota.end_date,
        time_off=quota.time_off,
    )
    rows = rows_by_key(rules.rolldown([quota], calendar))[quota.key]
    row = rows.quota

    assert list(days.capacity_days) == [date for date, _ in rows.daily]
    assert (len(days.tenant_work_days), len(days.employed_work_days)) == (
        row["tenant_work_days"],
        row["employed_work_days"],
    )


# --- Attainment and achievability -----------------------------------------------------


@st.composite
def attainment_inputs(draw):
    metric = draw(st.sampled_from(METRICS))
    unit = rules.METRIC_UNITS[metric]
    sizes = st.one_of(st.just(0), st.integers(0, 1000), st.integers(0, 10**14))
    return {
        "metric": metric,
        "achieved": Decimal(draw(sizes | st.integers(-1000, 0))) * unit,
        "effective_amount": Decimal(draw(sizes)) * unit,
        "expected_to_date": Decimal(draw(sizes)) * unit,
    }


def hundredths_or_none(value: Decimal | None) -> int | None:
    if value is None:
        return None
    assert value.as_tuple().exponent == -2
    return int(value * 100)


@SETTINGS
@given(st.lists(attainment_inputs(), min_size=1, max_size=5))
def test_attainment_pace_and_projection_follow_the_rules(rows):
    frame = rules.attainment_frame(pd.DataFrame(rows))

    for position, row in enumerate(rows):
        achieved = Fraction(row["achieved"])
        effective = Fraction(row["effective_amount"])
        expected = Fraction(row["expected_to_date"])
        unit = Fraction(rules.METRIC_UNITS[row["metric"]])
        figures = rules.attainment(**row)

        assert figures == rules.Attainment(*frame.iloc[position])
        assert hundredths_or_none(figures.attainment_pct) == (
            half_up(achieved / effective * 100 * 100) if effective else None
        )
        assert hundredths_or_none(figures.pace_pct) == (
            half_up(achieved / expected * 100 * 100) if expected else None
        )
        if expected:
            assert Fraction(figures.projected) / unit == half_up(
                effective * achieved / expected / unit
            )
        else:
            assert figures.projected is None


@st.composite
def achievability_inputs(draw):
    unit = rules.METRIC_UNITS[draw(st.sampled_from(METRICS))]
    sizes = st.one_of(st.just(0), st.integers(0, 1000), st.integers(0, 10**14))
    return {
        "effective_amount": Decimal(draw(sizes)) * unit,
        "capacity_days": draw(st.integers(0, 31)),
        "trailing_achieved": Decimal(draw(sizes)) * unit,
        "trailing_capacity_days": draw(st.integers(0, 90)),
    }


@SETTINGS
@given(
    st.lists(achievability_inputs(), min_size=1, max_size=5),
    st.sampled_from([Decimal("1.5"), Decimal("1"), Decimal("2.25"), Decimal("0")]),
)
def test_achievability_flags_quotas_above_the_multiple_of_the_trailing_rate(rows, multiple):
    frame = rules.achievability_frame(pd.DataFrame(rows), multiple=multiple)

    for position, row in enumerate(rows):
        effective = Fraction(row["effective_amount"])
        achieved = Fraction(row["trailing_achieved"])
        days, trailing_days = row["capacity_days"], row["trailing_capacity_days"]
        figures = rules.achievability(**row, multiple=multiple)

        assert figures == rules.Achievability(*frame.iloc[position])
        required = effective / days if days else None
        actual = achieved / trailing_days if trailing_days else None
        assert hundredths_or_none(figures.required_daily_rate) == (
            None if required is None else half_up(required * 100)
        )
        assert hundredths_or_none(figures.actual_daily_rate) == (
            None if actual is None else half_up(actual * 100)
        )
        assert hundredths_or_none(figures.ratio) == (
            half_up(required / actual * 100) if required is not None and actual else None
        )
        assert figures.flagged == (
            required is not None
            and actual is not None
            and required > 0
            and required > Fraction(multiple) * actual
        )


@SETTINGS
@given(months, st.integers(0, 27))
def test_the_trailing_window_is_the_ninety_days_before_the_given_day(month, offset):
    before = month + offset * ONE_DAY

    start, end = rules.trailing_window(before)

    assert end == before - ONE_DAY
    assert (end - start).days + 1 == rules.ACHIEVABILITY_WINDOW_DAYS == 90
