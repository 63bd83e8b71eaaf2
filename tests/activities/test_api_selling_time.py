"""The selling-time API: rows per day, week or month; who sees whose (reps themselves,
managers their tree, admins everyone); another member or organisation is a 404; bad
dates, groups and ranges are 400s naming the field; pagination and a query budget."""

import datetime as dt

import pytest

from activities.models import ActivityType
from spm.tenancy.models import Tenant

from ..factories import MembershipFactory
from .factories import ActivityFactory

URL = "/api/v1/selling-time/"
MONDAY = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 3, 18)
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(Tenant, "today", lambda self: TODAY)
    return TODAY


def log(member, day, *, selling=0, other=0):
    def kind(name):
        return ActivityType.all_tenants.get(tenant=member.tenant, name=name)

    if selling:
        ActivityFactory(member=member, type=kind("Call"), date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=kind("Admin"), date=day, duration_minutes=other)


@pytest.fixture
def world(org, other):
    log(org.rep, MONDAY, selling=45, other=15)
    log(org.rep, MONDAY + dt.timedelta(days=1), selling=60)
    log(org.manager, MONDAY, selling=30)
    log(org.outsider_rep, MONDAY, other=60)
    log(other.rep, MONDAY, selling=600)
    return org


def members(response) -> set[int]:
    return {row["member_id"] for row in response.json()["results"]}


def test_a_row_holds_the_minutes_the_ratio_and_the_target(world, api_for):
    response = api_for(world.rep).get(URL, MARCH)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["previous"] is None
    assert body["results"][0] == {
        "member_id": world.rep.pk,
        "period_start": "2026-03-02",
        "period_end": "2026-03-02",
        "selling_minutes": 45,
        "total_minutes": 60,
        "selling_pct": "75.0",
        "target_pct": "90.00",
        "below_target": True,
    }
    assert body["results"][1]["selling_pct"] == "100.0"
    assert body["results"][1]["below_target"] is False


def test_weeks_and_months_group_the_days(world, api_for):
    week = api_for(world.rep).get(URL, {**MARCH, "group": "week"}).json()["results"]
    assert [(r["period_start"], r["period_end"], r["selling_minutes"]) for r in week] == [
        ("2026-03-02", "2026-03-08", 105)
    ]
    assert week[0]["total_minutes"] == 120 and week[0]["selling_pct"] == "87.5"
    month = api_for(world.rep).get(URL, {"start": "2026-02-15", "group": "month"}).json()
    assert [(r["period_start"], r["period_end"]) for r in month["results"]] == [
        ("2026-03-01", "2026-03-18")  # Clipped to the range: today is the default end.
    ]


def test_the_default_range_is_this_month_up_to_today(world, api_for):
    log(world.rep, dt.date(2026, 2, 27), selling=30)
    response = api_for(world.rep).get(URL)
    assert [row["period_start"] for row in response.json()["results"]] == [
        "2026-03-02",
        "2026-03-03",
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep", {"rep"}),
        ("manager", {"rep", "manager"}),
        ("admin", {"rep", "manager", "outsider_rep"}),
    ],
)
def test_each_role_sees_whom_it_may(world, api_for, role, expected):
    response = api_for(getattr(world, role)).get(URL, MARCH)
    assert response.status_code == 200
    assert members(response) == {getattr(world, name).pk for name in expected}


def test_a_manager_sees_indirect_reports(world, api_for):
    lead = MembershipFactory(tenant=world.tenant, role="manager", manager=world.manager)
    indirect = MembershipFactory(tenant=world.tenant, manager=lead)
    log(indirect, MONDAY, selling=10)
    response = api_for(world.manager).get(URL, {**MARCH, "member_id": indirect.pk})
    assert members(response) == {indirect.pk}


@pytest.mark.parametrize(
    ("role", "whom"),
    [
        ("rep", "manager"),
        ("rep", "outsider_rep"),
        ("manager", "outsider_rep"),
        ("manager", "admin"),
    ],
)
def test_a_member_outside_ones_view_is_a_404(world, api_for, role, whom):
    response = api_for(getattr(world, role)).get(
        URL, {**MARCH, "member_id": getattr(world, whom).pk}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_another_organisations_member_is_a_404(world, other, api_for, role):
    response = api_for(getattr(world, role)).get(URL, {**MARCH, "member_id": other.rep.pk})
    assert response.status_code == 404
    response = api_for(getattr(world, role)).get(URL, {**MARCH, "member_id": 2**62})
    assert response.status_code == 404


def test_one_member_chosen_by_an_admin(world, api_for):
    response = api_for(world.admin).get(URL, {**MARCH, "member_id": world.outsider_rep.pk})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["selling_pct"] == "0.0" and row["below_target"] is True


def test_another_organisations_minutes_are_never_listed(world, other, api_for):
    response = api_for(other.admin).get(URL, MARCH)
    assert members(response) == {other.rep.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "1900-01-01", "end": "1900-02-01"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-09"}, "end"),
        ({"start": "2025-01-01", "end": "2026-01-02"}, "end"),  # 367 days.
        ({"group": "year"}, "group"),
        ({"member_id": "abc"}, "member_id"),
        ({"member_id": "0"}, "member_id"),
        ({"member_id": str(2**64)}, "member_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, api_for, query, field):
    response = api_for(world.admin).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]


def test_a_range_of_366_days_is_accepted(world, api_for):
    response = api_for(world.admin).get(URL, {"start": "2025-03-18", "end": "2026-03-18"})
    assert response.status_code == 200


def test_anonymous_callers_are_refused(world, client):
    assert client.get(URL).status_code in (401, 403)


def test_rows_are_paginated(world, api_for):
    for n in range(60):
        log(world.rep, dt.date(2025, 12, 1) + dt.timedelta(days=n), selling=10)
    response = api_for(world.rep).get(URL, {"start": "2025-12-01", "end": "2026-03-31"})
    body = response.json()
    assert body["count"] == 62 and len(body["results"]) == 50 and body["next"]
    second = api_for(world.rep).get(body["next"]).json()
    assert len(second["results"]) == 12


@pytest.mark.parametrize("size", [5, 50])
def test_the_query_count_does_not_grow_with_the_team(
    world, api_for, size, django_assert_max_num_queries
):
    for n in range(size):
        rep = MembershipFactory(tenant=world.tenant, manager=world.manager)
        log(rep, MONDAY + dt.timedelta(days=n % 5), selling=20, other=n + 1)
    api = api_for(world.manager)
    # Token, membership and tenant, the reporting lines, the minutes (and a count for
    # the pagination's page, which is a list).
    with django_assert_max_num_queries(6):
        response = api.get(URL, {**MARCH, "group": "week"})
    assert response.json()["count"] == size + 2
