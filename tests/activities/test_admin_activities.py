"""The activities admin: activity types (through the service, no delete once used),
activities (corrections and deletions through the services, a stale edit refused,
filters and search, no add page) and plan tasks (read only); isolation and roles."""

import datetime as dt

import pytest

from activities.models import Activity, ActivityType, PlanTask
from spm.tenancy.context import across_tenants
from spm.tenancy.models import AuditEvent

from ..admin_helpers import (
    Scoped,
    ScopedAdminChecks,
    autocomplete,
    listed_ids,
    messages_of,
    run_action,
    superuser_client_fixture,  # noqa: F401 (a fixture)
)
from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import (  # noqa: F401 (activities_counted_fixture is a fixture)
    ActivityFactory,
    ActivityTypeFactory,
    PlanTaskFactory,
    activities_counted_fixture,
)

TYPES = "/admin/activities/activitytype/"
ACTIVITIES = "/admin/activities/activity/"
TASKS = "/admin/activities/plantask/"
ATTAINMENT = "quotas.tasks.attainment_for_members"

pytestmark = pytest.mark.usefixtures("jobs")


def make_type(org):
    with across_tenants():
        return ActivityTypeFactory(tenant=org.tenant)


def make_activity(org):
    with across_tenants():
        call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")
        return ActivityFactory(member=org.rep, type=call, account=AccountFactory(tenant=org.tenant))


def make_task(org):
    with across_tenants():
        return PlanTaskFactory(member=org.rep)


class TestTheActivitiesAdminStaysInsideTheOrganisation(ScopedAdminChecks):
    SCOPED = {
        "activity type": Scoped(TYPES, make_type),
        "activity": Scoped(ACTIVITIES, make_activity),
        "plan task": Scoped(TASKS, make_task, has_delete_page=False),
    }


@pytest.mark.parametrize("url", [TYPES, ACTIVITIES, TASKS, ACTIVITIES + "import/"])
@pytest.mark.parametrize("role", ["manager", "rep"])
def test_members_without_the_admin_role_are_refused(org, client_for, url, role):
    assert client_for(getattr(org, role)).get(url).status_code == 403


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_members_without_the_admin_role_change_and_delete_nothing(org, client_for, role):
    activity = make_activity(org)
    client = client_for(getattr(org, role))
    url = f"{ACTIVITIES}{activity.pk}/"
    assert (
        client.post(url + "change/", activity_form(activity, duration_minutes="5")).status_code
        == 403
    )
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert Activity.all_tenants.get(pk=activity.pk).duration_minutes == 30


# --- Activity types -----------------------------------------------------------------------


def type_form(**values) -> dict:
    return {"name": "Site visit", "category": "selling", "default_duration": "90",
            "active": "on", "position": "10", **values}  # fmt: skip


def test_an_admin_adds_a_type_through_the_service(org, client_for):
    response = client_for(org.admin).post(TYPES + "add/", type_form(name="  Site visit "))
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = ActivityType.all_tenants.get(tenant=org.tenant, name="Site visit")
    assert (made.default_duration, made.position, made.active) == (90, 10, True)
    assert AuditEvent.all_tenants.filter(
        tenant=org.tenant, action="activity_type.created", actor=org.admin.user
    ).exists()


@pytest.mark.parametrize("name", ["call", "CALL"])
def test_a_name_taken_regardless_of_case_is_a_form_error(org, client_for, name):
    response = client_for(org.admin).post(TYPES + "add/", type_form(name=name))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        f"There is already an activity type called “{name}”."
    ]
    assert ActivityType.all_tenants.filter(tenant=org.tenant).count() == 10


def test_a_bad_duration_is_a_form_error_and_nothing_is_saved(org, client_for):
    response = client_for(org.admin).post(TYPES + "add/", type_form(default_duration="2000"))
    assert response.status_code == 200
    assert "default_duration" in response.context["adminform"].form.errors
    assert not ActivityType.all_tenants.filter(name="Site visit").exists()


def test_an_admin_renames_and_retires_a_type(org, client_for):
    kind = make_type(org)
    response = client_for(org.admin).post(
        f"{TYPES}{kind.pk}/change/", type_form(name="Lunch", active="")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = ActivityType.all_tenants.get(pk=kind.pk)
    assert (stored.name, stored.active) == ("Lunch", False)
    assert AuditEvent.all_tenants.filter(action="activity_type.changed").count() == 1


def test_a_type_nobody_logged_is_deleted_but_a_used_one_is_kept(org, client_for):
    unused = make_type(org)
    used = make_activity(org).type
    client = client_for(org.admin)
    assert client.get(f"{TYPES}{used.pk}/delete/").status_code == 403
    assert client.post(f"{TYPES}{used.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{TYPES}{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not ActivityType.all_tenants.filter(pk=unused.pk).exists()
    assert ActivityType.all_tenants.filter(pk=used.pk).exists()
    assert AuditEvent.all_tenants.filter(action="activity_type.deleted").count() == 1


def test_the_type_list_offers_no_bulk_delete(org, client_for):
    kind = make_type(org)
    client = client_for(org.admin)
    run_action(client, TYPES, "delete_selected", [kind.pk])
    assert ActivityType.all_tenants.filter(pk=kind.pk).exists()


# --- Activities ---------------------------------------------------------------------------


def activity_form(activity, **values) -> dict:
    return {
        "type": str(activity.type_id),
        "account": str(activity.account_id or ""),
        "date": activity.date.isoformat(),
        "duration_minutes": str(activity.duration_minutes),
        "notes": activity.notes,
        "seen_version": str(activity.version),
        **values,
    }


def test_an_admin_corrects_a_reps_activity_through_the_service(
    org, client_for, jobs, activities_counted
):
    activity = make_activity(org)
    demo = ActivityType.all_tenants.get(tenant=org.tenant, name="Demo")
    response = client_for(org.admin).post(
        f"{ACTIVITIES}{activity.pk}/change/",
        activity_form(activity, type=str(demo.pk), duration_minutes="50", notes=" Fixed "),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Activity.all_tenants.get(pk=activity.pk)
    assert (stored.member, stored.type, stored.duration_minutes, stored.notes, stored.version) == (
        org.rep,
        demo,
        50,
        "Fixed",
        2,
    )
    assert {name for name, _ in jobs} == {ATTAINMENT}


def test_a_day_over_24_hours_is_a_form_error_and_nothing_is_saved(org, client_for):
    activity = make_activity(org)
    with across_tenants():
        ActivityFactory(
            member=org.rep, type=activity.type, date=activity.date, duration_minutes=1400
        )
    response = client_for(org.admin).post(
        f"{ACTIVITIES}{activity.pk}/change/", activity_form(activity, duration_minutes="41")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["duration_minutes"]
    assert "a day holds 24 hours" in errors[0]
    assert Activity.all_tenants.get(pk=activity.pk).duration_minutes == 30


def test_a_day_after_today_is_a_form_error(org, client_for):
    activity = make_activity(org)
    tomorrow = org.tenant.today() + dt.timedelta(days=1)
    response = client_for(org.admin).post(
        f"{ACTIVITIES}{activity.pk}/change/", activity_form(activity, date=tomorrow.isoformat())
    )
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert Activity.all_tenants.get(pk=activity.pk).date == activity.date


def test_a_change_made_meanwhile_is_not_overwritten(org, client_for):
    activity = make_activity(org)
    Activity.all_tenants.filter(pk=activity.pk).update(version=2, duration_minutes=45)
    response = client_for(org.admin).post(
        f"{ACTIVITIES}{activity.pk}/change/",
        activity_form(activity, duration_minutes="60", seen_version="1"),
    )
    assert response.status_code == 200
    assert "Someone changed this activity" in str(response.context["adminform"].form.errors)
    assert Activity.all_tenants.get(pk=activity.pk).duration_minutes == 45


def test_another_organisations_type_or_account_is_not_a_choice(org, other, client_for):
    activity = make_activity(org)
    foreign_type = ActivityType.all_tenants.get(tenant=other.tenant, name="Demo")
    with across_tenants():
        foreign_account = AccountFactory(tenant=other.tenant)
    client = client_for(org.admin)
    for values in ({"type": str(foreign_type.pk)}, {"account": str(foreign_account.pk)}):
        response = client.post(
            f"{ACTIVITIES}{activity.pk}/change/", activity_form(activity, **values)
        )
        assert response.status_code == 200
        assert set(values) <= set(response.context["adminform"].form.errors)
    assert autocomplete(client, "activities", "activity", "account") == {activity.account_id}
    assert Activity.all_tenants.get(pk=activity.pk).version == 1


def test_the_member_stays_and_there_is_no_add_page(org, client_for):
    activity = make_activity(org)
    client = client_for(org.admin)
    response = client.post(
        f"{ACTIVITIES}{activity.pk}/change/", activity_form(activity, member=str(org.admin.pk))
    )
    assert response.status_code == 302
    assert Activity.all_tenants.get(pk=activity.pk).member == org.rep
    assert client.get(ACTIVITIES + "add/").status_code == 403


def test_deleting_activities_goes_through_the_service(org, client_for, jobs, activities_counted):
    first, second, third = (make_activity(org) for _ in range(3))
    client = client_for(org.admin)
    assert client.post(f"{ACTIVITIES}{first.pk}/delete/", {"post": "yes"}).status_code == 302
    response = run_action(client, ACTIVITIES, "delete_selected", [second.pk, third.pk])
    assert response.status_code == 200  # The confirmation page.
    client.post(
        ACTIVITIES,
        {"action": "delete_selected", "_selected_action": [second.pk, third.pk], "post": "yes"},
    )
    assert not Activity.all_tenants.filter(tenant=org.tenant).exists()
    # Someone else's activities deleted by an admin are audited, one row each.
    assert AuditEvent.all_tenants.filter(action="activity.deleted").count() == 3
    assert {name for name, _ in jobs} == {ATTAINMENT}


@pytest.fixture
def logbook(org):
    with across_tenants():
        types = {
            name: ActivityType.all_tenants.get(tenant=org.tenant, name=name)
            for name in ("Call", "Training")
        }
        account = AccountFactory(tenant=org.tenant, name="Umbrella Corp")
        return {
            "call": ActivityFactory(
                member=org.rep, type=types["Call"], account=account, date=dt.date(2026, 3, 2)
            ),
            "training": ActivityFactory(
                member=org.outsider_rep,
                type=types["Training"],
                notes="Negotiation course",
                date=dt.date(2026, 3, 9),
            ),
            "types": types,
        }


def test_the_activity_list_filters_by_type_category_member_and_date(org, logbook, client_for):
    client = client_for(org.admin)
    call, training = logbook["call"].pk, logbook["training"].pk

    def listed(**query):
        return listed_ids(client.get(ACTIVITIES, query))

    assert listed() == {call, training}
    assert listed(type=logbook["types"]["Training"].pk) == {training}
    assert listed(type__category__exact="selling") == {call}
    assert listed(member=org.outsider_rep.pk) == {training}
    assert listed(date__gte="2026-03-05", date__lt="2026-03-31") == {training}


@pytest.mark.parametrize(
    ("term", "expected"),
    [("rep@acme.test", {"call"}), ("umbrella", {"call"}), ("negotiation", {"training"})],
)
def test_the_activity_list_searches_by_email_account_and_notes(
    org, logbook, client_for, term, expected
):
    response = client_for(org.admin).get(ACTIVITIES, {"q": term})
    assert listed_ids(response) == {logbook[name].pk for name in expected}


def test_the_member_filter_offers_only_the_organisations_people(org, other, client_for):
    make_activity(org)
    page = client_for(org.admin).get(ACTIVITIES).content.decode()
    assert org.outsider_rep.name in page
    assert f"member={other.rep.pk}" not in page


def test_the_platform_superuser_corrects_an_activity(org, superuser_client):
    activity = make_activity(org)
    response = superuser_client.post(
        f"{ACTIVITIES}{activity.pk}/change/", activity_form(activity, duration_minutes="25")
    )
    assert response.status_code == 302
    assert Activity.all_tenants.get(pk=activity.pk).duration_minutes == 25
    assert messages_of(response)


# --- Plan tasks ---------------------------------------------------------------------------


def test_plan_tasks_are_read_only(org, client_for):
    task = make_task(org)
    client = client_for(org.admin)
    assert client.get(f"{TASKS}{task.pk}/change/").status_code == 200
    response = client.post(f"{TASKS}{task.pk}/change/", {"title": "Changed"})
    assert response.status_code == 403
    assert client.get(TASKS + "add/").status_code == 403
    assert client.post(f"{TASKS}{task.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PlanTask.all_tenants.get(pk=task.pk).title == task.title


def test_the_activity_list_costs_the_same_queries_for_5_and_50_activities(
    org, logbook, client_for, django_assert_max_num_queries
):
    client = client_for(org.admin)
    with across_tenants():
        for _ in range(3):
            ActivityFactory(member=org.rep, type=logbook["types"]["Call"])
    with django_assert_max_num_queries(20) as few:
        assert client.get(ACTIVITIES).context["cl"].result_count == 5
    with across_tenants():
        for day in range(45):
            ActivityFactory(
                member=org.manager,
                type=logbook["types"]["Training"],
                account=AccountFactory(tenant=org.tenant),
                date=dt.date(2026, 1, 1) + dt.timedelta(days=day),
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(ACTIVITIES)
    assert response.context["cl"].result_count == 50
