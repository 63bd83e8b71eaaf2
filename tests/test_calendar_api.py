"""API for ``holidays`` and ``time-off``: roles, tenant isolation, bad input, query budgets."""

import datetime as dt

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from spm.calendars import api as calendars_api
from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import AuditEvent

from .factories import HolidayFactory, MembershipFactory, TimeOffFactory

D = dt.date
HOLIDAYS = "/api/v1/holidays/"
TIME_OFF = "/api/v1/time-off/"


def holiday_url(holiday) -> str:
    return f"{HOLIDAYS}{holiday.pk}/"


def time_off_url(time_off) -> str:
    return f"{TIME_OFF}{time_off.pk}/"


def persona(org, name):
    return getattr(org, name)


# --- Holidays -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_every_member_reads_the_organisations_holidays_as_a_paginated_list(
    org, other, api_for, role
):
    new_year = HolidayFactory(tenant=org.tenant, date=D(2026, 1, 1), name="New Year's Day")
    HolidayFactory(tenant=other.tenant, date=D(2026, 1, 6), name="Epiphany")
    response = api_for(persona(org, role)).get(HOLIDAYS)
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [{"id": new_year.pk, "date": "2026-01-01", "name": "New Year's Day"}],
    }


def test_holidays_need_authentication(org):
    assert APIClient().get(HOLIDAYS).status_code == 401


def test_holidays_filter_by_year(org, api_for):
    HolidayFactory(tenant=org.tenant, date=D(2025, 12, 25))
    in_2026 = HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25))
    response = api_for(org.rep).get(HOLIDAYS, {"year": 2026})
    assert [row["id"] for row in response.json()["results"]] == [in_2026.pk]


def test_holidays_filter_by_date_range_including_both_ends(org, api_for):
    before = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 2))
    first = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3))
    last = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 6))
    after = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 7))
    response = api_for(org.rep).get(HOLIDAYS, {"start": "2026-04-03", "end": "2026-04-06"})
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [first.pk, last.pk]
    assert before.pk not in ids and after.pk not in ids


@pytest.mark.parametrize("query", [{"year": "twenty"}, {"start": "2026-13-45"}])
def test_a_malformed_holiday_filter_is_a_400(org, api_for, query):
    response = api_for(org.rep).get(HOLIDAYS, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_an_admin_adds_a_holiday(org, api_for):
    response = api_for(org.admin).post(
        HOLIDAYS, {"date": "2026-05-01", "name": "Labour Day"}, format="json"
    )
    assert response.status_code == 201
    holiday = Holiday.all_tenants.get(tenant=org.tenant)
    assert response.json() == {"id": holiday.pk, "date": "2026-05-01", "name": "Labour Day"}
    assert AuditEvent.all_tenants.filter(
        tenant=org.tenant, action="holiday.created", actor=org.admin.user
    ).exists()


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_write_holidays(org, api_for, role):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 1, 1), name="New Year's Day")
    api = api_for(persona(org, role))
    assert api.post(HOLIDAYS, {"date": "2026-05-01", "name": "Mine"}).status_code == 403
    assert api.put(holiday_url(holiday), {"date": "2026-01-02", "name": "X"}).status_code == 403
    assert api.patch(holiday_url(holiday), {"name": "X"}).status_code == 403
    assert api.delete(holiday_url(holiday)).status_code == 403
    assert list(Holiday.all_tenants.values_list("date", "name")) == [
        (D(2026, 1, 1), "New Year's Day")
    ]


def test_an_admin_renames_and_moves_a_holiday(org, api_for):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Fri")
    api = api_for(org.admin)
    response = api.patch(holiday_url(holiday), {"name": "Good Friday"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": holiday.pk, "date": "2026-04-03", "name": "Good Friday"}
    response = api.put(
        holiday_url(holiday), {"date": "2026-04-06", "name": "Easter Monday"}, format="json"
    )
    assert response.status_code == 200
    holiday.refresh_from_db()
    assert (holiday.date, holiday.name) == (D(2026, 4, 6), "Easter Monday")


def test_an_admin_deletes_a_holiday(org, api_for):
    holiday = HolidayFactory(tenant=org.tenant)
    assert api_for(org.admin).delete(holiday_url(holiday)).status_code == 204
    assert not Holiday.all_tenants.filter(pk=holiday.pk).exists()


def test_a_second_holiday_on_a_date_is_a_400_naming_the_first(org, api_for):
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    response = api_for(org.admin).post(
        HOLIDAYS, {"date": "2026-12-25", "name": "Xmas"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"date": ["25 Dec 2026 is already a holiday: Christmas Day."]}
    assert Holiday.all_tenants.count() == 1


def test_moving_a_holiday_onto_another_is_a_400_and_changes_nothing(org, api_for):
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    boxing = HolidayFactory(tenant=org.tenant, date=D(2026, 12, 26), name="Boxing Day")
    response = api_for(org.admin).patch(holiday_url(boxing), {"date": "2026-12-25"}, format="json")
    assert response.status_code == 400
    assert "already a holiday" in response.json()["date"][0]
    boxing.refresh_from_db()
    assert boxing.date == D(2026, 12, 26)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-05-01", "name": ""}, "name"),
        ({"date": "next friday", "name": "Party"}, "date"),
        ({"name": "Party"}, "date"),
        ({"date": "2026-05-01", "name": "x" * 121}, "name"),
    ],
)
def test_bad_holiday_input_is_a_400_with_the_fields_message(org, api_for, body, field):
    response = api_for(org.admin).post(HOLIDAYS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Holiday.all_tenants.exists()


def test_another_tenants_holiday_is_404_for_every_method(org, other, api_for):
    holiday = HolidayFactory(tenant=other.tenant, date=D(2026, 1, 1), name="Theirs")
    api = api_for(org.admin)
    assert api.get(holiday_url(holiday)).status_code == 404
    assert api.put(holiday_url(holiday), {"date": "2026-01-02", "name": "X"}).status_code == 404
    assert api.patch(holiday_url(holiday), {"name": "X"}).status_code == 404
    assert api.delete(holiday_url(holiday)).status_code == 404
    holiday.refresh_from_db()
    assert (holiday.date, holiday.name) == (D(2026, 1, 1), "Theirs")


def test_the_holiday_list_stays_within_its_query_budget(
    org, api_for, django_assert_max_num_queries
):
    for day in range(1, 41):
        HolidayFactory(tenant=org.tenant, date=D(2026, 1, 1) + dt.timedelta(days=day * 3))
    api = api_for(org.rep)
    api.get(HOLIDAYS)  # Records the token's first use, which is not part of the budget.
    with django_assert_max_num_queries(4):
        response = api.get(HOLIDAYS)
    assert response.json()["count"] == 40


# --- Time off -----------------------------------------------------------------------


@pytest.fixture
def booked(org, other):
    """One time-off range for each person of ``org`` and one in ``other``."""
    return {
        "admin": TimeOffFactory(member=org.admin, start=D(2026, 3, 2), end=D(2026, 3, 3)),
        "manager": TimeOffFactory(member=org.manager, start=D(2026, 3, 9), end=D(2026, 3, 10)),
        "rep": TimeOffFactory(member=org.rep, start=D(2026, 3, 16), end=D(2026, 3, 20)),
        "outsider_rep": TimeOffFactory(
            member=org.outsider_rep, start=D(2026, 3, 23), end=D(2026, 3, 24)
        ),
        "other": TimeOffFactory(member=other.rep, start=D(2026, 3, 2), end=D(2026, 3, 6)),
    }


def listed_ids(response) -> set[int]:
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("admin", {"admin", "manager", "rep", "outsider_rep"}),
        ("manager", {"manager", "rep"}),
        ("rep", {"rep"}),
    ],
)
def test_time_off_lists_what_each_role_may_see(org, api_for, booked, role, visible):
    response = api_for(persona(org, role)).get(TIME_OFF)
    assert listed_ids(response) == {booked[name].pk for name in visible}


def test_time_off_rows_carry_the_contract_fields(org, api_for, booked):
    response = api_for(org.rep).get(TIME_OFF)
    assert response.json()["results"] == [
        {
            "id": booked["rep"].pk,
            "member_id": org.rep.pk,
            "start": "2026-03-16",
            "end": "2026-03-20",
            "reason": "Vacation",
        }
    ]


def test_time_off_filters_by_member_and_by_overlapping_dates(org, api_for, booked):
    api = api_for(org.admin)
    assert listed_ids(api.get(TIME_OFF, {"member_id": org.rep.pk})) == {booked["rep"].pk}
    # Ranges overlapping 10–16 Mar, both ends included: the manager's (9–10) and the rep's (16–20).
    overlapping = api.get(TIME_OFF, {"start": "2026-03-10", "end": "2026-03-16"})
    assert listed_ids(overlapping) == {booked["manager"].pk, booked["rep"].pk}


def test_filtering_by_a_member_outside_the_callers_view_lists_nothing(org, api_for, booked):
    assert listed_ids(api_for(org.rep).get(TIME_OFF, {"member_id": org.outsider_rep.pk})) == set()


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_another_tenants_time_off_is_404(org, api_for, booked, role):
    url = time_off_url(booked["other"])
    api = api_for(persona(org, role))
    assert api.get(url).status_code == 404
    if role != "rep":
        assert api.patch(url, {"reason": "x"}).status_code == 404
        assert api.delete(url).status_code == 404
    assert TimeOff.all_tenants.get(pk=booked["other"].pk).reason == "Vacation"


def test_time_off_outside_a_managers_tree_is_404(org, api_for, booked):
    url = time_off_url(booked["outsider_rep"])
    api = api_for(org.manager)
    assert api.get(url).status_code == 404
    assert (
        api.put(
            url, {"member_id": org.outsider_rep.pk, "start": "2026-03-23", "end": "2026-03-25"}
        ).status_code
        == 404
    )
    assert api.delete(url).status_code == 404
    assert TimeOff.all_tenants.filter(pk=booked["outsider_rep"].pk, end=D(2026, 3, 24)).exists()


def test_a_rep_cannot_see_another_reps_time_off(org, api_for, booked):
    assert api_for(org.rep).get(time_off_url(booked["outsider_rep"])).status_code == 404


def test_reps_may_not_write_time_off_even_their_own(org, api_for, booked):
    api = api_for(org.rep)
    own = time_off_url(booked["rep"])
    body = {"member_id": org.rep.pk, "start": "2026-04-01", "end": "2026-04-02"}
    assert api.post(TIME_OFF, body).status_code == 403
    assert api.patch(own, {"reason": "Changed"}).status_code == 403
    assert api.delete(own).status_code == 403
    assert TimeOff.all_tenants.filter(member=org.rep).count() == 1
    assert TimeOff.all_tenants.get(pk=booked["rep"].pk).reason == "Vacation"


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_a_manager_books_time_off_for_their_reports_and_themselves(org, api_for, who):
    member = persona(org, who)
    response = api_for(org.manager).post(
        TIME_OFF,
        {"member_id": member.pk, "start": "2026-04-01", "end": "2026-04-03", "reason": "Trip"},
        format="json",
    )
    assert response.status_code == 201
    time_off = TimeOff.all_tenants.get(member=member)
    assert response.json() == {
        "id": time_off.pk,
        "member_id": member.pk,
        "start": "2026-04-01",
        "end": "2026-04-03",
        "reason": "Trip",
    }
    assert AuditEvent.all_tenants.filter(action="time_off.created", actor=org.manager.user).exists()


def test_a_manager_cannot_book_time_off_for_someone_outside_their_tree(org, api_for):
    response = api_for(org.manager).post(
        TIME_OFF,
        {"member_id": org.outsider_rep.pk, "start": "2026-04-01", "end": "2026-04-03"},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["member_id"][0]
    assert not TimeOff.all_tenants.exists()


def test_a_member_of_another_tenant_in_the_body_does_not_exist(org, other, api_for):
    response = api_for(org.admin).post(
        TIME_OFF,
        {"member_id": other.rep.pk, "start": "2026-04-01", "end": "2026-04-03"},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["member_id"][0]
    assert not TimeOff.all_tenants.exists()


def test_an_admin_books_time_off_for_anyone(org, api_for):
    response = api_for(org.admin).post(
        TIME_OFF,
        {"member_id": org.outsider_rep.pk, "start": "2026-04-01", "end": "2026-04-01"},
        format="json",
    )
    assert response.status_code == 201
    assert TimeOff.all_tenants.get(member=org.outsider_rep).reason == ""


def test_time_off_ending_before_it_starts_is_a_400(org, api_for):
    response = api_for(org.admin).post(
        TIME_OFF,
        {"member_id": org.rep.pk, "start": "2026-04-03", "end": "2026-04-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"end": ["The end date must be on or after the start date."]}
    assert not TimeOff.all_tenants.exists()


def test_overlapping_time_off_is_a_400_naming_the_booked_dates(org, api_for, booked):
    response = api_for(org.manager).post(
        TIME_OFF,
        {"member_id": org.rep.pk, "start": "2026-03-20", "end": "2026-03-27"},
        format="json",
    )
    assert response.status_code == 400
    [message] = response.json()["non_field_errors"]
    assert "from 16 Mar 2026 to 20 Mar 2026" in message
    assert TimeOff.all_tenants.filter(member=org.rep).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-04-01", "end": "2026-04-02"}, "member_id"),
        ({"member_id": "abc", "start": "2026-04-01", "end": "2026-04-02"}, "member_id"),
        ({"member_id": None, "start": "2026-04-01", "end": "2026-04-02"}, "member_id"),
        ({"start": "tomorrow", "end": "2026-04-02"}, "start"),
        ({"start": "2026-04-01"}, "end"),
        ({"start": "2026-04-01", "end": "2026-04-02", "reason": "r" * 201}, "reason"),
    ],
)
def test_bad_time_off_input_is_a_400_with_the_fields_message(org, api_for, body, field):
    body = {"member_id": org.rep.pk, **body} if field != "member_id" else body
    response = api_for(org.admin).post(TIME_OFF, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not TimeOff.all_tenants.exists()


def test_a_manager_changes_time_off_in_their_tree(org, api_for, booked):
    url = time_off_url(booked["rep"])
    response = api_for(org.manager).patch(url, {"end": "2026-03-23", "reason": "Longer"})
    assert response.status_code == 200
    assert response.json()["end"] == "2026-03-23"
    time_off = TimeOff.all_tenants.get(pk=booked["rep"].pk)
    assert (time_off.start, time_off.end, time_off.reason) == (
        D(2026, 3, 16),
        D(2026, 3, 23),
        "Longer",
    )


def test_a_full_update_of_time_off_replaces_its_dates(org, api_for, booked):
    response = api_for(org.admin).put(
        time_off_url(booked["rep"]),
        {"member_id": org.rep.pk, "start": "2026-05-04", "end": "2026-05-08", "reason": ""},
        format="json",
    )
    assert response.status_code == 200
    time_off = TimeOff.all_tenants.get(pk=booked["rep"].pk)
    assert (time_off.start, time_off.end, time_off.reason) == (D(2026, 5, 4), D(2026, 5, 8), "")


def test_time_off_cannot_move_to_another_member(org, api_for, booked):
    response = api_for(org.admin).patch(
        time_off_url(booked["rep"]), {"member_id": org.outsider_rep.pk}, format="json"
    )
    assert response.status_code == 400
    assert "cannot move to another member" in response.json()["member_id"][0]
    assert TimeOff.all_tenants.get(pk=booked["rep"].pk).member == org.rep


def test_an_update_making_time_off_overlap_is_a_400_and_changes_nothing(org, api_for, booked):
    later = TimeOffFactory(member=org.rep, start=D(2026, 4, 6), end=D(2026, 4, 10))
    response = api_for(org.admin).patch(time_off_url(later), {"start": "2026-03-20"})
    assert response.status_code == 400
    assert "16 Mar 2026 to 20 Mar 2026" in response.json()["non_field_errors"][0]
    later.refresh_from_db()
    assert later.start == D(2026, 4, 6)


def test_a_manager_deletes_time_off_in_their_tree(org, api_for, booked):
    assert api_for(org.manager).delete(time_off_url(booked["rep"])).status_code == 204
    assert not TimeOff.all_tenants.filter(pk=booked["rep"].pk).exists()


@pytest.mark.parametrize(("role", "budget"), [("admin", 4), ("manager", 5), ("rep", 4)])
def test_the_time_off_list_stays_within_its_query_budget(
    org, api_for, django_assert_max_num_queries, role, budget
):
    team = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(10)]
    for member in [*team, org.rep, org.outsider_rep]:
        for month in (3, 4, 5):
            TimeOffFactory(member=member, start=D(2026, month, 2), end=D(2026, month, 6))
    api = api_for(persona(org, role))
    api.get(TIME_OFF)  # Records the token's first use, which is not part of the budget.
    with django_assert_max_num_queries(budget):
        response = api.get(TIME_OFF)
    assert response.json()["count"] == {"admin": 36, "manager": 33, "rep": 3}[role]


# --- Schema -------------------------------------------------------------------------


def test_the_schema_documents_both_resources_without_warnings():
    router = DefaultRouter()
    calendars_api.register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular emitted warnings or errors"
    assert set(schema["paths"]) == {
        "/api/v1/holidays/",
        "/api/v1/holidays/{id}/",
        "/api/v1/time-off/",
        "/api/v1/time-off/{id}/",
    }
    holiday_params = {p["name"] for p in schema["paths"]["/api/v1/holidays/"]["get"]["parameters"]}
    assert {"year", "start", "end", "page"} <= holiday_params
    time_off_params = {p["name"] for p in schema["paths"]["/api/v1/time-off/"]["get"]["parameters"]}
    assert {"member_id", "start", "end", "page"} <= time_off_params
    time_off = schema["components"]["schemas"]["TimeOff"]["properties"]
    assert set(time_off) == {"id", "member_id", "start", "end", "reason"}
    assert time_off["member_id"]["type"] == "integer"
