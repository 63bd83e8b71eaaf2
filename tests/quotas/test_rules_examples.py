"""Every worked example of ../shared/examples/rolldown.json (DESIGN 4.1–4.3), exactly.

Each case gives a tenant calendar, a member, one quota and the expected effective
amount, daily and weekly rows; some add sales and an as-of date with the expected
attainment figures. Amounts are compared as the strings the file holds, so ``434.78``
must come out as ``Decimal('434.78')`` and a count as ``Decimal('3')``.
"""

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from quotas import rules

EXAMPLES = Path(__file__).resolve().parent / "examples" / "rolldown.json"
CASES = json.loads(EXAMPLES.read_text())["cases"]
ATTAINMENT_CASES = [case for case in CASES if "attainment" in case]


def day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def month_of(case: dict) -> dt.date:
    year, month = case["quota"]["month"].split("-")
    return dt.date(int(year), int(month), 1)


def calendar_of(case: dict) -> rules.TenantCalendar:
    tenant = case["tenant"]
    return rules.TenantCalendar(
        work_week=frozenset(tenant["work_week"]),
        weekday_weights=tuple(Decimal(weight) for weight in tenant["weekday_weights"]),
        holidays=frozenset(day(holiday) for holiday in tenant["holidays"]),
        prorate_time_off=tenant["prorate_time_off"],
    )


def quota_of(case: dict, key=None) -> rules.QuotaInput:
    member, quota = case["member"], case["quota"]
    return rules.QuotaInput(
        key=case["name"] if key is None else key,
        month=month_of(case),
        metric=quota["metric"],
        amount=Decimal(quota["amount"]),
        ramp_pct=Decimal(quota["ramp_pct"]),
        start_date=day(member["start_date"]),
        end_date=day(member["end_date"]),
        time_off=tuple((day(start), day(end)) for start, end in member["time_off"]),
    )


def rows_as_text(result: rules.Rolldown, key) -> dict:
    """The result for one quota in the file's shape: strings all the way."""
    quota = result.quotas.set_index("key").loc[key]
    daily = result.daily[result.daily["key"] == key]
    weekly = result.weekly[result.weekly["key"] == key]
    return {
        "effective_amount": str(quota["effective_amount"]),
        "no_capacity": bool(quota["no_capacity"]),
        "daily": [
            [date.isoformat(), str(amount)] for date, amount in daily[["date", "amount"]].values
        ],
        "weekly": [
            [start.isoformat(), end.isoformat(), str(amount)]
            for start, end, amount in weekly[["start", "end", "amount"]].values
        ],
    }


def expected_of(case: dict) -> dict:
    expected = case["expected"]
    return {name: expected[name] for name in ("effective_amount", "no_capacity", "daily", "weekly")}


def test_the_examples_file_holds_the_fifteen_worked_cases():
    assert len(CASES) == 15
    assert len({case["name"] for case in CASES}) == len(CASES)
    assert len(ATTAINMENT_CASES) == 3


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_it_rolls_the_quota_down_exactly_as_the_worked_example(case):
    result = rules.rolldown([quota_of(case)], calendar_of(case))

    assert rows_as_text(result, case["name"]) == expected_of(case)


def _cases_by_calendar() -> list[list[dict]]:
    groups: defaultdict[str, list[dict]] = defaultdict(list)
    for case in CASES:
        groups[json.dumps(case["tenant"], sort_keys=True)].append(case)
    return [group for group in groups.values() if len(group) > 1]


CALENDAR_GROUPS = _cases_by_calendar()


def test_several_examples_share_a_calendar():
    # Guards the next test against finding no group to roll down together.
    assert sum(len(group) for group in CALENDAR_GROUPS) >= 8


@pytest.mark.parametrize(
    "group", CALENDAR_GROUPS, ids=[" + ".join(c["name"] for c in g) for g in CALENDAR_GROUPS]
)
def test_rolling_the_examples_down_together_gives_each_its_own_rows(group):
    result = rules.rolldown(
        [quota_of(case, key=number) for number, case in enumerate(group)], calendar_of(group[0])
    )

    for number, case in enumerate(group):
        assert rows_as_text(result, number) == expected_of(case), case["name"]


def achieved_of(case: dict) -> Decimal:
    """The member's sales in the quota's month up to as-of: their sum for revenue, their
    count for deals (DESIGN 4.3)."""
    month, as_of = month_of(case), day(case["attainment"]["as_of"])
    counted = [
        Decimal(amount)
        for closed_on, amount in case["attainment"]["sales"]
        if day(closed_on).replace(day=1) == month and day(closed_on) <= as_of
    ]
    if case["quota"]["metric"] == "revenue":
        return sum(counted, Decimal("0.00"))
    return Decimal(len(counted))


def figures_as_text(figures) -> dict:
    return {
        name: None if getattr(figures, name) is None else str(getattr(figures, name))
        for name in ("attainment_pct", "pace_pct", "projected")
    }


@pytest.mark.parametrize("case", ATTAINMENT_CASES, ids=[case["name"] for case in ATTAINMENT_CASES])
def test_it_computes_attainment_pace_and_projection_as_the_worked_example(case):
    expected = case["attainment"]["expected"]
    result = rules.rolldown([quota_of(case)], calendar_of(case))
    achieved = achieved_of(case)
    expected_to_date = result.expected_to_date(day(case["attainment"]["as_of"]))[case["name"]]

    figures = rules.attainment(
        metric=case["quota"]["metric"],
        achieved=achieved,
        effective_amount=result.quotas["effective_amount"].iloc[0],
        expected_to_date=expected_to_date,
    )

    assert str(achieved) == expected["achieved"]
    assert str(expected_to_date) == expected["expected_to_date"]
    assert figures_as_text(figures) == {
        name: expected[name] for name in ("attainment_pct", "pace_pct", "projected")
    }


def test_the_attainment_frame_gives_every_example_its_figures_at_once():
    frame = pd.DataFrame(
        {
            "metric": [case["quota"]["metric"] for case in ATTAINMENT_CASES],
            "achieved": [case["attainment"]["expected"]["achieved"] for case in ATTAINMENT_CASES],
            "effective_amount": [case["expected"]["effective_amount"] for case in ATTAINMENT_CASES],
            "expected_to_date": [
                case["attainment"]["expected"]["expected_to_date"] for case in ATTAINMENT_CASES
            ],
        },
        index=[case["name"] for case in ATTAINMENT_CASES],
    )

    figures = rules.attainment_frame(frame)

    for case in ATTAINMENT_CASES:
        row = figures.loc[case["name"]]
        assert {
            name: None if row[name] is None else str(row[name])
            for name in ("attainment_pct", "pace_pct", "projected")
        } == {name: case["attainment"]["expected"][name] for name in row.index}


SHARED_EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples" / "rolldown.json"


@pytest.mark.skipif(
    not SHARED_EXAMPLES.exists(), reason="The design's folder is not beside the project."
)
def test_the_projects_copy_of_the_worked_examples_is_the_designs():
    """The examples live in the repository so a bare checkout tests them; the copy must
    not drift from the design's file when that is at hand."""
    assert json.loads(EXAMPLES.read_text()) == json.loads(SHARED_EXAMPLES.read_text())
