"""The activities API: who sees and writes what, tenant isolation (404 for every method),
logging one's own only, validation by field, the 24-hour day, optimistic locking (409
with the current activity), bulk all or nothing by index, filters and query budgets."""

import datetime as dt

import pytest

from activities.models import Activity, ActivityType
from spm.tenancy.context import across_tenants
from spm.tenancy.models import AuditEvent

from ..factories import MembershipFactory
from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import (
    ActivityFactory,
    activities_counted_fixture,  # noqa: F401 (a fixture)
)

ACTIVITIES = "/api/v1/activities/"
BULK = ACTIVITIES + "bulk/"
ROLES = ["admin", "manager", "rep"]
ATTAINMENT = "quotas.tasks.attainment_for_members"
STALE = "Someone changed this since you read it: reload and try again."

pytestmark = pytest.mark.usefixtures("jobs")


@pytest.fixture
def world(org, other):
    """March activities of the rep (the manager's report), the outsider rep, the manager
    and the admin; an account; another organisation's activity, type and account."""
    with across_tenants():  # Arranging both organisations' rows.
        call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")
        admin_type = ActivityType.all_tenants.get(tenant=org.tenant, name="Admin")
        account = AccountFactory(tenant=org.tenant, name="Acme Tools")
        rep = ActivityFactory(
            member=org.rep, type=call, account=account, date=dt.date(2026, 3, 2), notes="Intro"
        )
        outsider = ActivityFactory(member=org.outsider_rep, type=call, date=dt.date(2026, 3, 10))
        own = ActivityFactory(member=org.manager, type=admin_type, date=dt.date(2026, 3, 20))
        admins = ActivityFactory(member=org.admin, type=call, date=dt.date(2026, 4, 1))
        foreign_type = ActivityType.all_tenants.get(tenant=other.tenant, name="Call")
        foreign = ActivityFactory(member=other.rep, type=foreign_type, date=dt.date(2026, 3, 2))
        foreign_account = AccountFactory(tenant=other.tenant)
    return {
        "call": call,
        "admin_type": admin_type,
        "account": account,
        "rep": rep,
        "outsider": outsider,
        "own": own,
        "admins": admins,
        "foreign": foreign,
        "foreign_type": foreign_type,
        "foreign_account": foreign_account,
    }


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def fresh(activity) -> Activity:
    return Activity.all_tenants.get(pk=activity.pk)


def body(world, **values) -> dict:
    return {
        "type_id": world["call"].pk,
        "date": "2026-03-05",
        "duration_minutes": 45,
        "notes": "Demo booked",
        **values,
    }


def count(org) -> int:
    return Activity.all_tenants.filter(tenant=org.tenant).count()


# --- Reading ---------------------------------------------------------------------------


def test_an_activity_reads_with_its_ids_source_and_version(org, world, api_for):
    response = api_for(org.rep).get(f"{ACTIVITIES}{world['rep'].pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": world["rep"].pk,
        "member_id": org.rep.pk,
        "type_id": world["call"].pk,
        "account_id": world["account"].pk,
        "date": "2026-03-02",
        "duration_minutes": 30,
        "notes": "Intro",
        "source": "web",
        "version": 1,
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"rep", "outsider", "own", "admins"}),
        ("manager", {"rep", "own"}),
        ("rep", {"rep"}),
    ],
)
def test_each_role_lists_the_activities_it_may_see(org, world, api_for, role, expected):
    response = api_for(getattr(org, role)).get(ACTIVITIES)
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert ids(response) == {world[name].pk for name in expected}


def test_the_list_is_newest_day_first(org, world, api_for):
    dates = [row["date"] for row in api_for(org.admin).get(ACTIVITIES).json()["results"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_activity_is_404_for_every_role_and_method(org, world, api_for, role):
    api = api_for(getattr(org, role))
    url = f"{ACTIVITIES}{world['foreign'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"duration_minutes": 5}, format="json").status_code == 404
    assert api.put(url, body(world), format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert fresh(world["foreign"]).duration_minutes == 30


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_an_activity_outside_what_one_may_see_is_404(org, world, api_for, role):
    api = api_for(getattr(org, role))
    url = f"{ACTIVITIES}{world['outsider'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"duration_minutes": 5}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert fresh(world["outsider"]).duration_minutes == 30


def test_a_manager_reads_a_reports_activity_but_may_not_change_or_delete_it(org, world, api_for):
    api = api_for(org.manager)
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"duration_minutes": 5}, format="json").status_code == 403
    assert api.patch(url, {"duration_minutes": "x"}, format="json").status_code == 403
    assert api.put(url, body(world), format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert fresh(world["rep"]).duration_minutes == 30


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("start=2026-03-10", {"outsider", "own", "admins"}),
        ("end=2026-03-10", {"rep", "outsider"}),
        ("start=2026-03-02&end=2026-03-02", {"rep"}),
        ("start=2026-03-03&end=2026-03-19", {"outsider"}),
        ("member_id={outsider_rep}", {"outsider"}),
        ("type_id={admin_type}", {"own"}),
        ("account_id={account}", {"rep"}),
        ("member_id={outsider_rep}&start=2026-04-01", set()),
    ],
)
def test_activities_can_be_filtered(org, world, api_for, query, expected):
    query = query.format(
        outsider_rep=org.outsider_rep.pk,
        admin_type=world["admin_type"].pk,
        account=world["account"].pk,
    )
    response = api_for(org.admin).get(f"{ACTIVITIES}?{query}")
    assert response.status_code == 200
    assert ids(response) == {world[name].pk for name in expected}


def test_filtering_on_someone_one_may_not_see_lists_nothing(org, world, api_for):
    response = api_for(org.rep).get(f"{ACTIVITIES}?member_id={org.outsider_rep.pk}")
    assert ids(response) == set()


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-01",
        "start=yesterday",
        "end=0001-01-01",
        "start=9999-12-31",
        "member_id=1.5",
        "type_id=abc",
        "account_id=99999999999999999999",
        "start=2026-03-10&end=2026-03-01",
    ],
)
def test_a_malformed_filter_is_a_400(org, world, api_for, query):
    response = api_for(org.admin).get(f"{ACTIVITIES}?{query}")
    assert response.status_code == 400


def test_the_activity_list_costs_the_same_queries_for_5_and_50_activities(
    org, world, api_for, django_assert_max_num_queries
):
    api = api_for(org.manager)
    with across_tenants():
        for _ in range(3):
            ActivityFactory(member=org.rep, type=world["call"], account=world["account"])
    with django_assert_max_num_queries(10) as few:
        assert api.get(ACTIVITIES).json()["count"] == 5
    with across_tenants():
        for day in range(45):
            ActivityFactory(
                member=MembershipFactory(tenant=org.tenant, manager=org.manager),
                type=world["admin_type"],
                account=world["account"],
                date=dt.date(2026, 1, 1) + dt.timedelta(days=day),
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(ACTIVITIES)
    assert response.json()["count"] == 50
    assert len(response.json()["results"]) == 50


# --- Logging ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_logs_their_own_activity(org, world, api_for, jobs, activities_counted, role):
    member = getattr(org, role)
    response = api_for(member).post(
        ACTIVITIES, body(world, account_id=world["account"].pk), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["member_id"], data["source"], data["version"]) == (member.pk, "api", 1)
    made = fresh(Activity(pk=data["id"]))
    assert (made.tenant, made.member, made.type, made.account) == (
        org.tenant,
        member,
        world["call"],
        world["account"],
    )
    assert (made.date, made.duration_minutes, made.notes) == (
        dt.date(2026, 3, 5),
        45,
        "Demo booked",
    )
    assert [name for name, _ in jobs] == [ATTAINMENT]


def test_naming_oneself_as_member_is_fine(org, world, api_for):
    response = api_for(org.rep).post(ACTIVITIES, body(world, member_id=org.rep.pk), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("role", ROLES)
def test_logging_for_someone_else_is_403_for_every_role_admins_included(
    org, other, world, api_for, jobs, role
):
    api = api_for(getattr(org, role))
    before = count(org)
    for member in (org.rep, org.outsider_rep, other.rep):
        if member == getattr(org, role):
            continue
        response = api.post(ACTIVITIES, body(world, member_id=member.pk), format="json")
        assert response.status_code == 403
    assert count(org) == before
    assert jobs == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"type_id": None}, "type_id"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"duration_minutes": "half an hour"}, "duration_minutes"),
        ({"date": "03/05/2026"}, "date"),
        ({"date": "1900-01-01"}, "date"),
        ({"date": "2099-01-01"}, "date"),  # After today.
        ({"notes": "x" * 2001}, "notes"),
        ({"member_id": "me"}, "member_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_logged(
    org, world, api_for, jobs, values, field
):
    before = count(org)
    response = api_for(org.rep).post(ACTIVITIES, body(world, **values), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert count(org) == before
    assert jobs == []


def test_another_organisations_type_or_account_does_not_exist_here(org, world, api_for):
    api = api_for(org.rep)
    response = api.post(ACTIVITIES, body(world, type_id=world["foreign_type"].pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"type_id": ["Choose one of the organisation's activity types."]}
    response = api.post(
        ACTIVITIES, body(world, account_id=world["foreign_account"].pk), format="json"
    )
    assert response.json() == {"account_id": ["No such account in this organisation."]}


def test_a_retired_type_is_not_logged(org, world, api_for):
    with across_tenants():
        ActivityType.all_tenants.filter(pk=world["call"].pk).update(active=False)
    response = api_for(org.rep).post(ACTIVITIES, body(world), format="json")
    assert response.status_code == 400
    assert response.json() == {"type_id": ["The type “Call” is no longer in use."]}


def test_a_day_never_holds_more_than_24_hours(org, world, api_for):
    api = api_for(org.rep)
    day = "2026-03-02"  # The rep has 30 minutes there already.
    assert (
        api.post(
            ACTIVITIES, body(world, date=day, duration_minutes=1400), format="json"
        ).status_code
        == 201
    )
    response = api.post(ACTIVITIES, body(world, date=day, duration_minutes=11), format="json")
    assert response.status_code == 400
    assert "a day holds 24 hours" in response.json()["duration_minutes"][0]
    assert (
        api.post(ACTIVITIES, body(world, date=day, duration_minutes=10), format="json").status_code
        == 201
    )


def test_today_is_the_organisations_today(org, world, api_for):
    today = org.tenant.today()
    api = api_for(org.rep)
    ok = api.post(ACTIVITIES, body(world, date=today.isoformat()), format="json")
    assert ok.status_code == 201
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert api.post(ACTIVITIES, body(world, date=tomorrow), format="json").status_code == 400


# --- Changing and deleting -----------------------------------------------------------------


def test_the_rep_changes_their_activity_with_the_version_read(
    org, world, api_for, jobs, activities_counted
):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    response = api_for(org.rep).patch(
        url, {"duration_minutes": 50, "notes": "Longer", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["duration_minutes"], response.json()["version"]) == (50, 2)
    assert response.json()["account_id"] == world["account"].pk  # Left as it was.
    assert fresh(world["rep"]).notes == "Longer"
    assert [name for name, _ in jobs] == [ATTAINMENT]


def test_put_replaces_every_field_and_may_clear_the_account(org, world, api_for):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    response = api_for(org.rep).put(
        url, body(world, type_id=world["admin_type"].pk, account_id=None), format="json"
    )
    assert response.status_code == 200, response.json()
    changed = fresh(world["rep"])
    assert (changed.type, changed.account, changed.duration_minutes) == (
        world["admin_type"],
        None,
        45,
    )


def test_a_stale_version_is_a_409_with_the_activity_as_it_is_now(org, world, api_for):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    api = api_for(org.rep)
    assert api.patch(url, {"duration_minutes": 40, "version": 1}, format="json").status_code == 200
    response = api.patch(url, {"duration_minutes": 60, "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == STALE
    assert response.json()["current"]["duration_minutes"] == 40
    assert response.json()["current"]["version"] == 2
    assert api.delete(f"{url}?version=1").status_code == 409
    assert fresh(world["rep"]).duration_minutes == 40


def test_a_change_without_a_version_is_not_checked(org, world, api_for):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    response = api_for(org.rep).patch(url, {"duration_minutes": 10}, format="json")
    assert response.status_code == 200
    assert fresh(world["rep"]).version == 2


def test_a_change_is_checked_like_a_new_activity(org, world, api_for):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    api = api_for(org.rep)
    assert "duration_minutes" in api.patch(url, {"duration_minutes": 1441}, format="json").json()
    foreign = api.patch(url, {"type_id": world["foreign_type"].pk}, format="json")
    assert foreign.status_code == 400 and "type_id" in foreign.json()
    assert fresh(world["rep"]).version == 1


def test_an_activity_cannot_move_to_another_member(org, world, api_for):
    url = f"{ACTIVITIES}{world['rep'].pk}/"
    response = api_for(org.admin).patch(url, {"member_id": org.outsider_rep.pk}, format="json")
    assert response.status_code == 400
    assert "member_id" in response.json()
    assert fresh(world["rep"]).member == org.rep


def test_an_admin_corrects_and_deletes_anyones_activity(org, world, api_for):
    api = api_for(org.admin)
    url = f"{ACTIVITIES}{world['outsider'].pk}/"
    response = api.patch(url, {"duration_minutes": 20}, format="json")
    assert response.status_code == 200
    assert fresh(world["outsider"]).member == org.outsider_rep
    assert api.delete(f"{url}?version=2").status_code == 204
    assert not Activity.all_tenants.filter(pk=world["outsider"].pk).exists()
    assert AuditEvent.all_tenants.filter(tenant=org.tenant, action="activity.deleted").count() == 1


def test_a_rep_deletes_their_own_activity(org, world, api_for, jobs, activities_counted):
    response = api_for(org.rep).delete(
        f"{ACTIVITIES}{world['rep'].pk}/", {"version": 1}, format="json"
    )
    assert response.status_code == 204
    assert not Activity.all_tenants.filter(pk=world["rep"].pk).exists()
    assert [name for name, _ in jobs] == [ATTAINMENT]


@pytest.mark.parametrize("version", ["x", "-1", "1.5"])
def test_a_malformed_version_to_delete_is_a_400(org, world, api_for, version):
    response = api_for(org.rep).delete(f"{ACTIVITIES}{world['rep'].pk}/?version={version}")
    assert response.status_code == 400
    assert "version" in response.json()
    assert Activity.all_tenants.filter(pk=world["rep"].pk).exists()


# --- Bulk -------------------------------------------------------------------------------


def test_a_bulk_write_logs_every_activity_and_asks_for_attainment_once(
    org, world, api_for, jobs, activities_counted
):
    items = [body(world, date=f"2026-02-{day:02d}", duration_minutes=day) for day in range(1, 21)]
    response = api_for(org.rep).post(BULK, items, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 20
    assert [row["duration_minutes"] for row in response.json()["results"]] == list(range(1, 21))
    made = Activity.all_tenants.filter(tenant=org.tenant, date__month=2)
    assert made.count() == 20
    assert set(made.values_list("member_id", "source")) == {(org.rep.pk, "api")}
    assert [name for name, _ in jobs] == [ATTAINMENT]


def test_a_bulk_write_with_bad_items_logs_nothing_and_names_index_and_field(
    org, world, api_for, jobs
):
    api = api_for(org.rep)
    items = [
        body(world, date="2026-02-01"),
        body(world, date="someday"),
        body(world, date="2026-02-02", type_id=world["foreign_type"].pk),
        body(world, date="2026-02-03", duration_minutes=800),
        body(world, date="2026-02-03", duration_minutes=800),
    ]
    before = count(org)

    first = api.post(BULK, items, format="json")
    assert first.status_code == 400
    assert set(first.json()) == {"rows"}
    assert set(first.json()["rows"]) == {"1"} and "date" in first.json()["rows"]["1"]

    del items[1]
    second = api.post(BULK, items, format="json")
    assert second.status_code == 400
    rows = second.json()["rows"]
    assert set(rows) == {"1", "3"}
    assert rows["1"] == {"type_id": ["Choose one of the organisation's activity types."]}
    assert "a day holds 24 hours" in rows["3"]["duration_minutes"][0]
    assert count(org) == before
    assert jobs == []


@pytest.mark.parametrize("payload", [{}, [], "x", [1], [{"type_id": 1}], {"rows": []}])
def test_a_malformed_bulk_body_is_a_400(org, world, api_for, jobs, payload):
    before = count(org)
    response = api_for(org.rep).post(BULK, payload, format="json")
    assert response.status_code == 400
    assert count(org) == before


def test_a_bulk_write_is_capped(org, world, api_for, monkeypatch):
    monkeypatch.setattr("activities.api.MAX_BULK_ACTIVITIES", 2)
    items = [body(world) for _ in range(3)]
    response = api_for(org.rep).post(BULK, items, format="json")
    assert response.status_code == 400
    assert "At most 2" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize("role", ROLES)
def test_a_bulk_write_for_someone_else_is_403_and_logs_nothing(org, world, api_for, role):
    member = getattr(org, role)
    items = [body(world), body(world, member_id=org.outsider_rep.pk)]
    before = count(org)
    response = api_for(member).post(BULK, items, format="json")
    assert response.status_code == 403
    assert count(org) == before


def test_a_bulk_write_of_a_thousand_costs_a_bounded_number_of_queries(
    org, world, api_for, django_assert_max_num_queries
):
    items = [
        body(world, date=(dt.date(2026, 1, 1) + dt.timedelta(days=n % 300)).isoformat())
        for n in range(1_000)
    ]
    with django_assert_max_num_queries(30):
        response = api_for(org.rep).post(BULK, items, format="json")
    assert response.json()["created"] == 1_000


def test_the_schema_documents_the_409_of_a_change_and_of_a_deletion():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/v1/activities/{id}/"]
    patch = operations["patch"]["responses"]["409"]["content"]["application/json"]["schema"]
    assert patch["properties"]["current"]["allOf"] == [{"$ref": "#/components/schemas/Activity"}]
    delete = operations["delete"]["responses"]["409"]["content"]["application/json"]["schema"]
    conflict = schema["components"]["schemas"][delete["$ref"].rsplit("/", 1)[-1]]
    assert conflict["properties"]["current"]["allOf"] == [{"$ref": "#/components/schemas/Activity"}]
    assert "version" in {p["name"] for p in operations["delete"]["parameters"]}
