"""The activity types API: every member reads, admins add and change through the service
(names unique regardless of case), nothing is deleted, another organisation's type is 404."""

import pytest

from activities.models import ActivityType
from spm.tenancy.context import across_tenants
from spm.tenancy.models import AuditEvent

from .factories import ActivityTypeFactory

TYPES = "/api/v1/activity-types/"
ROLES = ["admin", "manager", "rep"]


@pytest.fixture
def world(org, other):
    with across_tenants():
        retired = ActivityTypeFactory(tenant=org.tenant, name="Fax", active=False, position=99)
        foreign = ActivityType.all_tenants.get(tenant=other.tenant, name="Call")
        call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")
    return {"retired": retired, "foreign": foreign, "call": call}


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def fresh(activity_type) -> ActivityType:
    return ActivityType.all_tenants.get(pk=activity_type.pk)


@pytest.mark.parametrize("role", ROLES)
def test_every_member_lists_the_types_in_use_in_button_order(org, world, api_for, role):
    response = api_for(getattr(org, role)).get(TYPES)
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert names(response)[:3] == ["Call", "Email", "Meeting"]
    assert "Fax" not in names(response)
    assert response.json()["count"] == 10


def test_active_all_lists_the_retired_types_too_and_false_only_them(org, world, api_for):
    api = api_for(org.rep)
    assert "Fax" in names(api.get(f"{TYPES}?active=all"))
    assert api.get(f"{TYPES}?active=all").json()["count"] == 11
    assert names(api.get(f"{TYPES}?active=false")) == ["Fax"]
    assert api.get(f"{TYPES}?active=maybe").status_code == 400


def test_a_type_reads_with_its_fields_even_when_retired(org, world, api_for):
    response = api_for(org.rep).get(f"{TYPES}{world['retired'].pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": world["retired"].pk,
        "name": "Fax",
        "category": "selling",
        "default_duration": 30,
        "active": False,
        "position": 99,
    }


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_type_is_404_for_every_role(org, world, api_for, role):
    api = api_for(getattr(org, role))
    url = f"{TYPES}{world['foreign'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "Mine"}, format="json").status_code in (403, 404)
    assert fresh(world["foreign"]).name == "Call"


def test_another_organisations_type_is_404_for_an_admins_change_too(org, world, api_for):
    url = f"{TYPES}{world['foreign'].pk}/"
    assert api_for(org.admin).patch(url, {"name": "Mine"}, format="json").status_code == 404
    assert api_for(org.admin).put(url, {"name": "Mine"}, format="json").status_code == 404


def test_an_admin_adds_a_type_through_the_service(org, world, api_for):
    response = api_for(org.admin).post(
        TYPES,
        {"name": "  Site visit ", "category": "selling", "default_duration": 90},
        format="json",
    )
    assert response.status_code == 201, response.json()
    made = ActivityType.all_tenants.get(pk=response.json()["id"])
    assert (made.tenant, made.name, made.default_duration, made.active) == (
        org.tenant,
        "Site visit",
        90,
        True,
    )
    assert AuditEvent.all_tenants.filter(tenant=org.tenant, action="activity_type.created").exists()


@pytest.mark.parametrize("name", ["call", "CALL", " Call "])
def test_a_name_taken_regardless_of_case_is_a_400_with_the_services_message(
    org, world, api_for, name
):
    response = api_for(org.admin).post(TYPES, {"name": name, "category": "selling"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "name": [f"There is already an activity type called “{name.strip()}”."]
    }
    assert ActivityType.all_tenants.filter(tenant=org.tenant).count() == 11


def test_a_name_another_organisation_uses_is_free_here(org, other, world, api_for):
    body = {"name": "Site visit", "category": "selling"}
    assert api_for(other.admin).post(TYPES, body, format="json").status_code == 201
    assert api_for(org.admin).post(TYPES, body, format="json").status_code == 201


def test_renaming_a_type_to_a_name_taken_is_a_400(org, world, api_for):
    url = f"{TYPES}{world['retired'].pk}/"
    response = api_for(org.admin).patch(url, {"name": "call"}, format="json")
    assert response.status_code == 400
    assert fresh(world["retired"]).name == "Fax"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "category": "selling"}, "name"),
        ({"name": "X" * 61, "category": "selling"}, "name"),
        ({"name": "Lunch", "category": "eating"}, "category"),
        ({"name": "Lunch", "category": "selling", "default_duration": 0}, "default_duration"),
        ({"name": "Lunch", "category": "selling", "default_duration": 1441}, "default_duration"),
        ({"name": "Lunch", "category": "selling", "position": -1}, "position"),
        ({"category": "selling"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_added(org, world, api_for, body, field):
    response = api_for(org.admin).post(TYPES, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ActivityType.all_tenants.filter(tenant=org.tenant).count() == 11


def test_an_admin_renames_retires_and_brings_back_a_type(org, world, api_for):
    api = api_for(org.admin)
    url = f"{TYPES}{world['call'].pk}/"
    response = api.patch(url, {"name": "Phone call", "active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["active"]) == ("Phone call", False)
    assert api.patch(url, {"active": True}, format="json").json()["active"] is True
    put = api.put(url, {"name": "Call", "category": "non_selling"}, format="json")
    assert put.status_code == 200
    assert (fresh(world["call"]).name, fresh(world["call"]).category) == ("Call", "non_selling")
    assert (
        AuditEvent.all_tenants.filter(tenant=org.tenant, action="activity_type.changed").count()
        == 3
    )


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_add_or_change_types(org, world, api_for, role):
    api = api_for(getattr(org, role))
    assert (
        api.post(TYPES, {"name": "Lunch", "category": "selling"}, format="json").status_code == 403
    )
    url = f"{TYPES}{world['call'].pk}/"
    assert api.patch(url, {"name": "Lunch"}, format="json").status_code == 403
    assert fresh(world["call"]).name == "Call"


@pytest.mark.parametrize("role", ROLES)
def test_no_one_deletes_a_type(org, world, api_for, role):
    response = api_for(getattr(org, role)).delete(f"{TYPES}{world['call'].pk}/")
    assert response.status_code == 405
    assert "active" in response.json()["detail"]
    assert ActivityType.all_tenants.filter(pk=world["call"].pk).exists()


def test_the_type_list_costs_the_same_queries_for_many_types(
    org, world, api_for, django_assert_max_num_queries
):
    api = api_for(org.rep)
    with django_assert_max_num_queries(10) as few:
        api.get(TYPES)
    with across_tenants():
        ActivityTypeFactory.create_batch(30, tenant=org.tenant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(TYPES)
    assert response.json()["count"] == 40
