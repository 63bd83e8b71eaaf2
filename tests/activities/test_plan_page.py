"""The plan page (activities:plan) and its actions: who sees whose plan, working it
without JavaScript (forms post and redirect) and with htmx (the block comes back),
another organisation's tasks as 404s, the home card and the sidebar, query budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity, ActivityType, PlanTask

from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from .factories import PlanTaskFactory
from .plan_factories import book_for, revenue_target

PLAN = reverse("activities:plan")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def today(org, jobs):
    org.tenant.currency = "USD"
    org.tenant.save(update_fields=["currency"])
    return org.tenant.today()


def task_url(name: str, task) -> str:
    return reverse(f"activities:{name}", args=[task.pk])


def tasks_of(member, day):
    return list(PlanTask.all_tenants.filter(member=member, date=day).order_by("position", "pk"))


# --- Reading ----------------------------------------------------------------------------------


def test_the_rep_sees_the_gap_line_on_top_and_their_tasks_in_order(client_for, org, today):
    PlanTaskFactory(member=org.rep, date=today, title="Second", position=1)
    PlanTaskFactory(member=org.rep, date=today, title="First", position=0)
    PlanTaskFactory(
        member=org.rep,
        date=today,
        title="Close $500.00 today to stay on your revenue target",
        kind=PlanTask.Kind.TARGET_GAP,
        suggested=True,
        position=2,
    )

    page = client_for(org.rep).get(PLAN).content.decode()

    gap = page.index("Close $500.00 today")
    assert gap < page.index("First") < page.index("Second")
    assert "Complete and log" in page and "Move up" in page and 'draggable="true"' in page
    assert "0 of 3" in page


def test_a_day_is_chosen_with_date_and_a_bad_one_is_a_400(client_for, org, today):
    yesterday = today - dt.timedelta(days=1)
    PlanTaskFactory(member=org.rep, date=yesterday, title="Yesterday's call")
    client = client_for(org.rep)

    assert "Yesterday&#x27;s call" in client.get(PLAN, {"date": yesterday}).content.decode()
    assert "Yesterday&#x27;s call" not in client.get(PLAN).content.decode()
    assert client.get(PLAN, {"date": "soon"}).status_code == 400
    assert client.get(PLAN, {"date": "1800-01-01"}).status_code == 400


def test_a_manager_reads_their_reps_plan_without_its_forms(client_for, org, today):
    PlanTaskFactory(member=org.rep, date=today, title="Call Alder")

    page = client_for(org.manager).get(PLAN, {"member": org.rep.pk}).content.decode()

    assert "Call Alder" in page and "Read only" in page
    assert "Complete and log" not in page and "Add task" not in page


def test_a_manager_picks_whose_plan_among_their_tree_and_a_rep_has_no_choice(
    client_for, org, today
):
    page = client_for(org.manager).get(PLAN).content.decode()
    options = page.split('id="plan-member"')[1].split("</select>")[0]

    assert f'value="{org.rep.pk}"' in options and f'value="{org.manager.pk}"' in options
    assert f'value="{org.outsider_rep.pk}"' not in options
    assert 'id="plan-member"' not in client_for(org.rep).get(PLAN).content.decode()


@pytest.mark.parametrize(
    ("viewer", "whose", "status"),
    [
        ("manager", "outsider_rep", 404),  # Outside their reporting tree.
        ("rep", "outsider_rep", 404),
        ("rep", "manager", 404),
        ("admin", "outsider_rep", 200),
    ],
)
def test_whose_plan_one_may_read(client_for, org, today, viewer, whose, status):
    member = getattr(org, whose)
    answer = client_for(getattr(org, viewer)).get(PLAN, {"member": member.pk})
    assert answer.status_code == status


def test_another_organisations_member_is_a_404(client_for, org, other, today):
    answer = client_for(org.admin).get(PLAN, {"member": other.rep.pk})
    assert answer.status_code == 404


def test_the_page_reads_as_many_queries_for_30_tasks_as_for_3(client_for, org, today):
    book_for(org)
    client = client_for(org.rep)

    def count(n):
        PlanTask.all_tenants.filter(member=org.rep).delete()
        for i in range(n):
            PlanTaskFactory(member=org.rep, date=today, position=i, account=None)
        client.get(PLAN)  # Warm the session and the sidebar's caches.
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PLAN).status_code == 200
        return len(queries.captured_queries)

    assert count(3) == count(30)


# --- Working it without JavaScript ------------------------------------------------------------


def test_suggest_adds_the_days_accounts_and_gap_line_then_redirects(client_for, org, today):
    book_for(org)
    revenue_target(org, org.rep, target="900.00")

    answer = client_for(org.rep).post(
        reverse("activities:plan_suggest"), {"date": today.isoformat()}, follow=True
    )

    titles = [task.title for task in tasks_of(org.rep, today)]
    assert titles[0] == "Close $900.00 today to stay on your revenue target"
    assert titles[1:] == [f"Contact {n}" for n in ("Alder", "Cedar", "Birch", "Dogwood", "Elm")]
    assert "5 accounts suggested." in answer.content.decode()


def test_adding_a_task_by_hand(client_for, org, today):
    book = book_for(org)

    client_for(org.rep).post(
        reverse("activities:plan_add"),
        {
            "date": today.isoformat(),
            "title": "Send the proposal",
            "account": book.accounts["Elm"].pk,
        },
    )

    (task,) = tasks_of(org.rep, today)
    assert (task.title, task.account, task.suggested) == (
        "Send the proposal",
        book.accounts["Elm"],
        False,
    )


def test_a_blank_task_is_refused_with_a_message_and_nothing_is_added(client_for, org, today):
    client = client_for(org.rep)

    plain = client.post(
        reverse("activities:plan_add"), {"date": today.isoformat(), "title": " "}, follow=True
    )
    htmx = client.post(reverse("activities:plan_add"), {"title": ""}, **HTMX)

    assert "Say what the task is." in plain.content.decode()
    assert htmx.status_code == 400 and "Say what the task is." in htmx.content.decode()
    assert not PlanTask.all_tenants.exists()


def test_another_organisations_account_is_refused_when_adding(client_for, org, other, today):
    from ..territories.factories import AccountFactory

    foreign = AccountFactory(tenant=other.tenant)

    answer = client_for(org.rep).post(
        reverse("activities:plan_add"), {"title": "Call", "account": foreign.pk}, **HTMX
    )

    assert answer.status_code == 400 and "No such account" in answer.content.decode()
    assert not PlanTask.all_tenants.exists()


def test_complete_and_log_is_one_post(client_for, org, today):
    task = PlanTaskFactory(member=org.rep, date=today, title="Contact Alder")
    demo = ActivityType.all_tenants.get(tenant=org.tenant, name="Demo")

    answer = client_for(org.rep).post(
        task_url("plan_task_complete", task),
        {"log": "1", "type": demo.pk, "duration_minutes": "45"},
    )

    assert answer.status_code == 302
    task.refresh_from_db()
    activity = Activity.all_tenants.get()
    assert task.status == PlanTask.Status.DONE and task.activity == activity
    assert (activity.type, activity.duration_minutes, activity.date) == (demo, 45, today)


def test_the_complete_form_preselects_a_call_and_its_default_minutes(client_for, org, today):
    PlanTaskFactory(member=org.rep, date=today)
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    page = client_for(org.rep).get(PLAN).content.decode()

    assert f'value="{call.pk}" data-minutes="{call.default_duration}" selected' in page
    assert f'value="{call.default_duration}" class="plan-minutes"' in page


def test_a_bad_duration_leaves_the_task_open_and_says_why(client_for, org, today):
    task = PlanTaskFactory(member=org.rep, date=today)
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    answer = client_for(org.rep).post(
        task_url("plan_task_complete", task),
        {"log": "1", "type": call.pk, "duration_minutes": "0"},
        **HTMX,
    )

    assert answer.status_code == 400
    assert "Enter a whole number of minutes" in answer.content.decode()
    task.refresh_from_db()
    assert task.status == PlanTask.Status.OPEN and not Activity.all_tenants.exists()


def test_dismiss_reopen_and_done_without_logging(client_for, org, today):
    task = PlanTaskFactory(member=org.rep, date=today)
    client = client_for(org.rep)

    client.post(task_url("plan_task_dismiss", task))
    task.refresh_from_db()
    assert task.status == PlanTask.Status.DISMISSED
    client.post(task_url("plan_task_reopen", task))
    task.refresh_from_db()
    assert task.status == PlanTask.Status.OPEN
    answer = client.post(task_url("plan_task_complete", task), {"log": "0"}, **HTMX)
    task.refresh_from_db()
    assert task.status == PlanTask.Status.DONE and not Activity.all_tenants.exists()
    assert answer.status_code == 200 and 'id="plan"' in answer.content.decode()


def test_move_up_and_down_buttons_post_and_redirect(client_for, org, today):
    first = PlanTaskFactory(member=org.rep, date=today, position=0, title="First")
    PlanTaskFactory(member=org.rep, date=today, position=1, title="Second")
    client = client_for(org.rep)

    answer = client.post(task_url("plan_task_move", first), {"direction": "down"})

    assert answer.status_code == 302
    assert [t.title for t in tasks_of(org.rep, today)] == ["Second", "First"]
    assert client.post(task_url("plan_task_move", first), {"direction": "left"}).status_code == 400


def test_reorder_takes_the_new_order_and_answers_plan_js_with_204(client_for, org, today):
    a, b, c = (
        PlanTaskFactory(member=org.rep, date=today, position=n, title=t)
        for n, t in enumerate("ABC")
    )
    client = client_for(org.rep)

    answer = client.post(
        reverse("activities:plan_reorder"),
        {"date": today.isoformat(), "ids": [c.pk, a.pk, b.pk]},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    refused = client.post(
        reverse("activities:plan_reorder"),
        {"date": today.isoformat(), "ids": [c.pk, c.pk]},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert answer.status_code == 204 and refused.status_code == 400
    assert [t.title for t in tasks_of(org.rep, today)] == ["C", "A", "B"]


# --- Who may work a task ---------------------------------------------------------------------

ACTIONS = [
    ("plan_task_complete", {"log": "0"}),
    ("plan_task_dismiss", {}),
    ("plan_task_reopen", {}),
    ("plan_task_move", {"direction": "up"}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_who_sees_the_task_gets_a_403(
    client_for, org, today, action, data, role
):
    task = PlanTaskFactory(member=org.rep, date=today)

    answer = client_for(getattr(org, role)).post(task_url(action, task), data)

    assert answer.status_code == 403
    task.refresh_from_db()
    assert task.status == PlanTask.Status.OPEN


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_someone_elses_task_out_of_sight_or_another_organisations_is_a_404(
    client_for, org, other, today, action, data
):
    hidden = PlanTaskFactory(member=org.outsider_rep, date=today)
    foreign = PlanTaskFactory(member=other.rep, date=today)
    client = client_for(org.manager)

    assert client.post(task_url(action, hidden), data).status_code == 404
    assert client.post(task_url(action, foreign), data).status_code == 404
    assert client_for(org.admin).post(task_url(action, foreign), data).status_code == 404


# --- The sidebar and the home card -------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_everyone_has_my_plan_in_the_sidebar(client_for, org, today, role):
    page = client_for(getattr(org, role)).get(reverse("home")).content.decode()
    assert f'href="{PLAN}"' in page and "My plan" in page


def test_the_reps_home_card_says_how_many_are_done_and_the_next_task(client_for, org, today):
    for n, status in enumerate(["done", "done", "done", "open", "open", "open", "open", "open"]):
        PlanTaskFactory(member=org.rep, date=today, position=n, title=f"Task {n}", status=status)
    PlanTaskFactory(member=org.rep, date=today, position=9, status="dismissed")

    page = client_for(org.rep).get(reverse("home")).content.decode()

    assert "<strong>3 of 8</strong> done" in page
    assert "Next: <strong>Task 3</strong>" in page
