"""The ``tasks`` API (activities.api_tasks): what each role reads and works, another
organisation's tasks as 404s whatever the method, field errors that change nothing,
completing with the activity logged in one request, and query budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity, ActivityType, PlanTask

from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import PlanTaskFactory

TASKS = "/api/v1/tasks/"
FIELDS = {
    "id",
    "member_id",
    "date",
    "title",
    "kind",
    "account_id",
    "score",
    "position",
    "status",
    "suggested",
    "completed_at",
    "activity_id",
}


@pytest.fixture
def today(org, jobs):
    return org.tenant.today()


def detail(task, suffix=""):
    return f"{TASKS}{task.pk}/{suffix}"


# --- Reading ----------------------------------------------------------------------------------


def test_a_task_reads_with_the_contracts_fields(org, api_for, today):
    account = AccountFactory(tenant=org.tenant)
    task = PlanTaskFactory(
        member=org.rep, date=today, account=account, suggested=True, score="1200.50"
    )

    body = api_for(org.rep).get(detail(task)).json()

    assert set(body) == FIELDS
    assert body["member_id"] == org.rep.pk and body["account_id"] == account.pk
    assert body["date"] == today.isoformat() and body["score"] == "1200.50"
    assert body["status"] == "open" and body["activity_id"] is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep", {"rep"}),
        ("manager", {"rep", "manager"}),
        ("admin", {"rep", "manager", "outsider_rep", "admin"}),
    ],
)
def test_each_role_lists_the_plans_it_may_read(org, other, api_for, today, role, expected):
    owners = ("rep", "manager", "outsider_rep", "admin")
    made = {name: PlanTaskFactory(member=getattr(org, name), date=today).pk for name in owners}
    PlanTaskFactory(member=other.rep, date=today)

    body = api_for(getattr(org, role)).get(TASKS).json()

    assert body["count"] == len(expected)
    assert {row["id"] for row in body["results"]} == {made[name] for name in expected}


def test_the_list_filters_by_member_and_date(org, api_for, today):
    wanted = PlanTaskFactory(member=org.rep, date=today)
    PlanTaskFactory(member=org.rep, date=today - dt.timedelta(days=1))
    PlanTaskFactory(member=org.manager, date=today)
    api = api_for(org.manager)

    body = api.get(TASKS, {"member_id": org.rep.pk, "date": today.isoformat()}).json()

    assert [row["id"] for row in body["results"]] == [wanted.pk]
    assert api.get(TASKS, {"date": "someday"}).status_code == 400


def test_the_list_reads_as_many_queries_for_30_tasks_as_for_3(org, api_for, today):
    api = api_for(org.rep)

    def count(n):
        PlanTask.all_tenants.all().delete()
        for i in range(n):
            PlanTaskFactory(member=org.rep, date=today, position=i)
        api.get(TASKS)  # The token's first use is recorded once.
        with CaptureQueriesContext(connection) as queries:
            assert api.get(TASKS).status_code == 200
        return len(queries.captured_queries)

    assert count(3) == count(30)


# --- Writing one's own ---------------------------------------------------------------------------


def test_a_member_adds_a_task_to_their_own_plan(org, api_for, today):
    account = AccountFactory(tenant=org.tenant)

    answer = api_for(org.rep).post(
        TASKS,
        {"date": today.isoformat(), "title": "Send the quote", "account_id": account.pk},
        format="json",
    )

    assert answer.status_code == 201
    task = PlanTask.all_tenants.get()
    assert (task.member, task.title, task.account, task.suggested) == (
        org.rep,
        "Send the quote",
        account,
        False,
    )
    assert answer.json()["kind"] == "account"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"date": "2026-02-30"}, "date"),
        ({"account_id": 10**12}, "account_id"),
    ],
)
def test_a_bad_task_is_a_400_by_field_and_nothing_is_added(org, api_for, today, body, field):
    answer = api_for(org.rep).post(
        TASKS, {"date": today.isoformat(), "title": "Call", **body}, format="json"
    )

    assert answer.status_code == 400 and field in answer.json()
    assert not PlanTask.all_tenants.exists()


def test_another_organisations_account_does_not_exist(org, other, api_for, today):
    foreign = AccountFactory(tenant=other.tenant)

    answer = api_for(org.rep).post(
        TASKS, {"date": today.isoformat(), "title": "Call", "account_id": foreign.pk}
    )

    assert answer.status_code == 400 and "account_id" in answer.json()


def test_patch_changes_title_position_and_status(org, api_for, today):
    first = PlanTaskFactory(member=org.rep, date=today, position=0, title="First")
    second = PlanTaskFactory(member=org.rep, date=today, position=1, title="Second")
    api = api_for(org.rep)

    moved = api.patch(detail(second), {"position": 0, "title": "Now first"}, format="json")
    dismissed = api.patch(detail(first), {"status": "dismissed"}, format="json")

    assert moved.status_code == 200 and moved.json()["position"] == 0
    assert moved.json()["title"] == "Now first"
    assert dismissed.json()["status"] == "dismissed"
    first.refresh_from_db()
    assert first.position == 1


def test_a_bad_patch_is_a_400_and_changes_nothing(org, api_for, today):
    task = PlanTaskFactory(member=org.rep, date=today, title="Keep")
    api = api_for(org.rep)

    for body in ({"status": "finished"}, {"position": -1}, {"title": ""}):
        assert api.patch(detail(task), body, format="json").status_code == 400

    task.refresh_from_db()
    assert (task.title, task.status) == ("Keep", "open")


def test_complete_with_a_type_logs_the_activity_with_its_default_minutes(org, api_for, today):
    account = AccountFactory(tenant=org.tenant)
    task = PlanTaskFactory(member=org.rep, date=today, account=account, title="Contact X")
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    answer = api_for(org.rep).post(detail(task, "complete/"), {"type_id": call.pk}, format="json")

    assert answer.status_code == 200
    activity = Activity.all_tenants.get()
    assert answer.json()["activity_id"] == activity.pk and answer.json()["status"] == "done"
    assert (activity.duration_minutes, activity.account, activity.type) == (
        call.default_duration,
        account,
        call,
    )


def test_complete_without_a_type_logs_nothing(org, api_for, today):
    task = PlanTaskFactory(member=org.rep, date=today)

    answer = api_for(org.rep).post(detail(task, "complete/"), {}, format="json")

    assert answer.status_code == 200 and answer.json()["activity_id"] is None
    assert not Activity.all_tenants.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"duration_minutes": 0},
        {"duration_minutes": 1441},
        {"type_id": "abc"},
        {"duration_minutes": 20},  # Minutes without a type.
    ],
)
def test_a_bad_completion_is_a_400_and_the_task_stays_open(org, api_for, today, body):
    task = PlanTaskFactory(member=org.rep, date=today)
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")
    if "type_id" not in body and body != {"duration_minutes": 20}:
        body = {"type_id": call.pk, **body}

    answer = api_for(org.rep).post(detail(task, "complete/"), body, format="json")

    assert answer.status_code == 400
    task.refresh_from_db()
    assert task.status == "open" and not Activity.all_tenants.exists()


def test_completing_a_task_of_tomorrow_with_a_log_is_refused_by_date(org, api_for, today):
    task = PlanTaskFactory(member=org.rep, date=today + dt.timedelta(days=1))
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    answer = api_for(org.rep).post(detail(task, "complete/"), {"type_id": call.pk}, format="json")

    assert answer.status_code == 400 and "date" in answer.json()


def test_only_hand_added_tasks_are_deleted(org, api_for, today):
    own = PlanTaskFactory(member=org.rep, date=today)
    suggested = PlanTaskFactory(member=org.rep, date=today, suggested=True)
    api = api_for(org.rep)

    assert api.delete(detail(own)).status_code == 204
    assert api.delete(detail(suggested)).status_code == 400
    assert list(PlanTask.all_tenants.all()) == [suggested]


# --- Someone else's, another organisation's --------------------------------------------------

WRITES = [
    ("patch", "", {"title": "Mine now"}),
    ("delete", "", None),
    ("post", "complete/", {}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_readable_task_of_someone_else_is_a_403_to_work(
    org, api_for, today, method, suffix, body, role
):
    task = PlanTaskFactory(member=org.rep, date=today, title="Theirs")

    answer = getattr(api_for(getattr(org, role)), method)(detail(task, suffix), body, format="json")

    assert answer.status_code == 403
    task.refresh_from_db()
    assert (task.title, task.status) == ("Theirs", "open")


@pytest.mark.parametrize(("method", "suffix", "body"), [("get", "", None), *WRITES])
def test_a_task_out_of_sight_or_of_another_organisation_is_a_404(
    org, other, api_for, today, method, suffix, body
):
    hidden = PlanTaskFactory(member=org.outsider_rep, date=today)
    foreign = PlanTaskFactory(member=other.rep, date=today)

    for api, task in ((api_for(org.manager), hidden), (api_for(org.admin), foreign)):
        answer = getattr(api, method)(detail(task, suffix), body, format="json")
        assert answer.status_code == 404
    assert PlanTask.all_tenants.filter(status="open").count() == 2


def test_visitors_without_a_token_get_a_401():
    from rest_framework.test import APIClient

    assert APIClient().get(TASKS).status_code == 401
