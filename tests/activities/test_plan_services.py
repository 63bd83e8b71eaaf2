"""The daily plan's services (activities.services.plan): suggestions ranked by potential ×
days since the last contact, the gap to today's revenue target, idempotence, adding,
reordering, completing with the activity logged in the same step, dismissing, reopening."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity, ActivityType, PlanTask
from activities.selectors.plan import NEVER_CONTACTED_DAYS, plan_card, suggestion_frame
from activities.services import plan as services
from spm.tenancy.context import tenant_context

from ..quotas.factories import (
    SaleFactory,
    jobs_fixture,  # noqa: F401 (a fixture)
)
from ..territories.factories import AccountFactory
from .factories import PlanTaskFactory
from .plan_factories import book_for, revenue_target


@pytest.fixture
def foreign(other):
    """Another organisation's account, plan task and book, made outside acme's scope."""
    return {
        "account": AccountFactory(tenant=other.tenant),
        "task": PlanTaskFactory(member=other.rep, date=other.tenant.today()),
        "book": book_for(other),
    }


@pytest.fixture
def scope(org, jobs):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def today(scope):
    scope.tenant.currency = "USD"
    scope.tenant.save(update_fields=["currency"])
    return scope.tenant.today()


def suggest(org, member=None, date=None):
    return services.plan_suggest(
        tenant=org.tenant, member=member or org.rep, date=date or org.tenant.today()
    )


def titles(org, member=None, date=None):
    return list(
        PlanTask.objects.filter(
            member=member or org.rep, date=date or org.tenant.today()
        ).values_list("title", flat=True)
    )


# --- Ranking --------------------------------------------------------------------------------


def test_accounts_rank_by_potential_times_days_since_anyones_last_contact(scope, today):
    book_for(scope)

    ranked = suggestion_frame(tenant=scope.tenant, member_ids=[scope.rep.pk], date=today)

    assert list(ranked["name"]) == ["Alder", "Cedar", "Birch", "Dogwood", "Elm"]
    assert list(ranked["days"]) == [NEVER_CONTACTED_DAYS, 30, 10, NEVER_CONTACTED_DAYS, 0]
    assert list(ranked["score"]) == [
        Decimal("365000.00"),
        Decimal("60000.00"),
        Decimal("50000.00"),
        Decimal("36500.00"),
        Decimal("0.00"),
    ]


def test_suggestions_are_stored_in_rank_order_with_their_scores(scope, today):
    book_for(scope)

    result = suggest(scope)

    tasks = list(PlanTask.objects.filter(member=scope.rep, date=today).order_by("position"))
    assert result.added == 5
    assert [task.title for task in tasks] == [
        "Contact Alder",
        "Contact Cedar",
        "Contact Birch",
        "Contact Dogwood",
        "Contact Elm",
    ]
    assert [task.position for task in tasks] == [0, 1, 2, 3, 4]
    assert tasks[0].score == Decimal("365000.00")
    assert all(task.suggested and task.kind == PlanTask.Kind.ACCOUNT for task in tasks)


def test_only_the_top_ten_are_suggested(scope, today):
    book = book_for(scope)
    for _ in range(8):
        AccountFactory(
            tenant=scope.tenant, territory=book.territory, annual_potential=Decimal("10.00")
        )

    suggest(scope)

    assert PlanTask.objects.filter(member=scope.rep, date=today).count() == 10
    assert "Contact Elm" not in titles(scope)  # Contacted today: 0, below the small ones.


def test_accounts_of_territories_the_member_no_longer_works_are_not_suggested(scope, today):
    book = book_for(scope)
    book.territory.members.update(end_date=today - dt.timedelta(days=1))

    assert suggest(scope).added == 0


def test_accounts_already_in_the_days_plan_are_not_suggested_again(scope, today):
    book = book_for(scope)
    PlanTaskFactory(member=scope.rep, date=today, account=book.accounts["Alder"], title="Alder")

    suggest(scope)

    assert "Contact Alder" not in titles(scope)
    assert len(titles(scope)) == 5  # Alder by hand and the four others.


# --- Idempotence ------------------------------------------------------------------------------


def test_suggesting_again_adds_nothing_new_and_keeps_what_the_member_did(scope, today):
    book_for(scope)
    revenue_target(scope, scope.rep, target="1250.00")
    suggest(scope)
    first = PlanTask.objects.get(member=scope.rep, date=today, title="Contact Alder")
    services.plan_task_dismiss(tenant=scope.tenant, actor=scope.rep, task=first)

    again = suggest(scope)

    assert again.added == 0
    assert PlanTask.objects.filter(member=scope.rep, date=today).count() == 6
    first.refresh_from_db()
    assert first.status == PlanTask.Status.DISMISSED


def test_suggesting_again_adds_an_account_new_to_the_top(scope, today):
    book = book_for(scope)
    suggest(scope)
    AccountFactory(
        tenant=scope.tenant,
        territory=book.territory,
        name="Fir",
        annual_potential=Decimal("9000.00"),
    )

    again = suggest(scope)

    assert again.added == 1
    fir = PlanTask.objects.get(member=scope.rep, date=today, title="Contact Fir")
    assert fir.position == 5  # After what was there.


def test_a_suggestion_run_reads_as_many_queries_for_three_members_as_for_one(scope, today):
    reps = [scope.rep, scope.outsider_rep, scope.manager]
    for rep in reps:
        book_for(scope, rep)
        revenue_target(scope, rep, target="100.00")
    with CaptureQueriesContext(connection) as one:
        services.plans_suggest(tenant=scope.tenant, member_ids=[scope.rep.pk], date=today)
    PlanTask.objects.all().delete()
    with CaptureQueriesContext(connection) as three:
        services.plans_suggest(tenant=scope.tenant, member_ids=[r.pk for r in reps], date=today)

    assert len(three.captured_queries) == len(one.captured_queries)
    assert PlanTask.objects.filter(date=today).count() == 3 * 6  # Five accounts and a gap.


# --- The gap line -------------------------------------------------------------------------------


def test_the_gap_line_says_what_remains_of_todays_revenue_target(scope, today):
    revenue_target(scope, scope.rep, target="2000.00", sold_today="750.00")

    result = suggest(scope)

    gap = PlanTask.objects.get(member=scope.rep, date=today, kind=PlanTask.Kind.TARGET_GAP)
    assert result.gaps == 1
    assert gap.title == "Close $1,250.00 today to stay on your revenue target"
    assert gap.suggested and gap.account is None


def test_suggesting_again_refreshes_the_gap_line_and_never_adds_a_second(scope, today):
    revenue_target(scope, scope.rep, target="2000.00", sold_today="750.00")
    suggest(scope)
    SaleFactory(member=scope.rep, closed_on=today, amount=Decimal("1000.00"))

    suggest(scope)

    gaps = PlanTask.objects.filter(member=scope.rep, date=today, kind=PlanTask.Kind.TARGET_GAP)
    assert [gap.title for gap in gaps] == ["Close $250.00 today to stay on your revenue target"]


def test_no_gap_line_when_today_has_no_target_or_the_target_is_met(scope, today):
    revenue_target(scope, scope.outsider_rep, target="500.00", sold_today="600.00")

    suggest(scope)  # The rep has no quota.
    suggest(scope, scope.outsider_rep)

    assert not PlanTask.objects.filter(kind=PlanTask.Kind.TARGET_GAP).exists()


def test_a_managers_gap_counts_their_teams_sales_today(scope, today):
    revenue_target(scope, scope.manager, target="1000.00", sold_today="100.00")
    SaleFactory(member=scope.rep, closed_on=today, amount=Decimal("400.00"))

    suggest(scope, scope.manager)

    assert titles(scope, scope.manager) == ["Close $500.00 today to stay on your revenue target"]


# --- Adding and reordering -----------------------------------------------------------------------


def test_a_task_added_by_hand_goes_last(scope, today):
    PlanTaskFactory(member=scope.rep, date=today, position=4)

    task = services.plan_task_add(
        tenant=scope.tenant, actor=scope.rep, member=scope.rep, date=today, title="  Call Jo  "
    )

    assert (task.title, task.position, task.suggested) == ("Call Jo", 5, False)
    assert task.kind == PlanTask.Kind.CUSTOM


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"date": "tomorrow"}, "date"),
        ({"date": dt.date(1900, 1, 1)}, "date"),
    ],
)
def test_a_bad_task_is_refused_by_field_and_nothing_is_added(scope, today, values, field):
    values = {"title": "Call Jo", "date": today, **values}

    with pytest.raises(ValidationError) as refused:
        services.plan_task_add(tenant=scope.tenant, actor=scope.rep, member=scope.rep, **values)

    assert field in refused.value.message_dict
    assert not PlanTask.objects.exists()


def test_another_organisations_account_is_refused(foreign, scope, today):

    with pytest.raises(ValidationError) as refused:
        services.plan_task_add(
            tenant=scope.tenant,
            actor=scope.rep,
            member=scope.rep,
            date=today,
            title="Call",
            account=foreign["account"],
        )

    assert "account" in refused.value.message_dict


@pytest.mark.parametrize("actor", ["manager", "admin", "outsider_rep"])
def test_nobody_adds_to_someone_elses_plan(scope, today, actor):
    with pytest.raises(PermissionDenied):
        services.plan_task_add(
            tenant=scope.tenant,
            actor=getattr(scope, actor),
            member=scope.rep,
            date=today,
            title="Do this",
        )


@pytest.fixture
def day_plan(scope, today):
    return [
        PlanTaskFactory(member=scope.rep, date=today, position=n, title=name)
        for n, name in enumerate(["A", "B", "C", "D"])
    ]


def order(org, today):
    return list(
        PlanTask.objects.filter(member=org.rep, date=today)
        .order_by("position")
        .values_list("title", flat=True)
    )


def test_reordering_puts_the_named_tasks_in_the_places_they_held(scope, today, day_plan):
    _a, b, _c, d = day_plan

    services.plan_tasks_reorder(
        tenant=scope.tenant, actor=scope.rep, member=scope.rep, date=today, ids=[d.pk, b.pk]
    )

    assert order(scope, today) == ["A", "D", "C", "B"]


def test_a_full_new_order_renumbers_the_day(scope, today, day_plan):
    a, b, c, d = day_plan

    services.plan_tasks_reorder(
        tenant=scope.tenant,
        actor=scope.rep,
        member=scope.rep,
        date=today,
        ids=[str(c.pk), a.pk, d.pk, b.pk],
    )

    assert order(scope, today) == ["C", "A", "D", "B"]
    assert sorted(PlanTask.objects.values_list("position", flat=True)) == [0, 1, 2, 3]


def test_moving_up_and_down_swaps_with_the_neighbouring_open_task(scope, today, day_plan):
    _a, b, c, _d = day_plan
    services.plan_task_dismiss(tenant=scope.tenant, actor=scope.rep, task=b)

    services.plan_task_move(tenant=scope.tenant, actor=scope.rep, task=c, offset=-1)
    assert order(scope, today) == ["C", "B", "A", "D"]  # Past the dismissed B.

    services.plan_task_move(tenant=scope.tenant, actor=scope.rep, task=c, offset=-1)
    assert order(scope, today) == ["C", "B", "A", "D"]  # At the top it stays.


@pytest.mark.parametrize("problem", ["done", "other_day", "someone_elses", "twice", "text"])
def test_reordering_anything_but_ones_open_tasks_of_the_day_changes_nothing(
    scope, today, day_plan, problem
):
    a, b, _c, _d = day_plan
    ids = {
        "done": lambda: [a.pk, b.pk],
        "other_day": lambda: [
            a.pk,
            PlanTaskFactory(member=scope.rep, date=today - dt.timedelta(days=1)).pk,
        ],
        "someone_elses": lambda: [a.pk, PlanTaskFactory(member=scope.manager, date=today).pk],
        "twice": lambda: [a.pk, a.pk],
        "text": lambda: [a.pk, "b"],
    }
    if problem == "done":
        services.plan_task_complete(tenant=scope.tenant, actor=scope.rep, task=b)

    with pytest.raises(ValidationError) as refused:
        services.plan_tasks_reorder(
            tenant=scope.tenant, actor=scope.rep, member=scope.rep, date=today, ids=ids[problem]()
        )

    assert "ids" in refused.value.message_dict
    assert order(scope, today) == ["A", "B", "C", "D"]


def test_a_manager_cannot_reorder_their_reps_plan(scope, today, day_plan):
    with pytest.raises(PermissionDenied):
        services.plan_tasks_reorder(
            tenant=scope.tenant,
            actor=scope.manager,
            member=scope.rep,
            date=today,
            ids=[day_plan[1].pk, day_plan[0].pk],
        )


# --- Completing, dismissing, reopening ---------------------------------------------------------


@pytest.fixture
def call(scope):
    return ActivityType.objects.get(tenant=scope.tenant, name="Call")


def test_completing_and_logging_makes_one_activity_linked_to_the_task(scope, today, call):
    account = AccountFactory(tenant=scope.tenant, name="Alder")
    task = PlanTaskFactory(member=scope.rep, date=today, account=account, title="Contact Alder")

    done = services.plan_task_complete(
        tenant=scope.tenant, actor=scope.rep, task=task, log=True, type=call, duration_minutes=20
    )

    activity = Activity.objects.get()
    assert done.status == PlanTask.Status.DONE and done.completed_at is not None
    assert done.activity == activity
    assert (activity.member, activity.type, activity.account) == (scope.rep, call, account)
    assert (activity.date, activity.duration_minutes, activity.notes) == (
        today,
        20,
        "Contact Alder",
    )


def test_logging_without_minutes_takes_the_types_usual_minutes(scope, today, call):
    task = PlanTaskFactory(member=scope.rep, date=today)

    done = services.plan_task_complete(
        tenant=scope.tenant, actor=scope.rep, task=task, log=True, type=call, duration_minutes=""
    )

    assert done.activity.duration_minutes == call.default_duration


def test_completing_without_logging_logs_nothing(scope, today):
    task = PlanTaskFactory(member=scope.rep, date=today)

    done = services.plan_task_complete(tenant=scope.tenant, actor=scope.rep, task=task)

    assert done.status == PlanTask.Status.DONE and done.activity is None
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "field"), [(0, "duration_minutes"), ("abc", "duration_minutes"), (30, "date")]
)
def test_a_bad_activity_leaves_the_task_open_and_logs_nothing(scope, today, call, minutes, field):
    day = today + dt.timedelta(days=1) if field == "date" else today  # Tomorrow's task.
    task = PlanTaskFactory(member=scope.rep, date=day)

    with pytest.raises(ValidationError) as refused:
        services.plan_task_complete(
            tenant=scope.tenant,
            actor=scope.rep,
            task=task,
            log=True,
            type=call,
            duration_minutes=minutes,
        )

    assert field in refused.value.message_dict
    task.refresh_from_db()
    assert task.status == PlanTask.Status.OPEN
    assert not Activity.objects.exists()


def test_logging_without_a_type_is_refused(scope, today):
    task = PlanTaskFactory(member=scope.rep, date=today)

    with pytest.raises(ValidationError) as refused:
        services.plan_task_complete(
            tenant=scope.tenant, actor=scope.rep, task=task, log=True, duration_minutes=10
        )

    assert "type" in refused.value.message_dict


def test_a_done_task_is_not_completed_twice(scope, today, call):
    task = PlanTaskFactory(member=scope.rep, date=today)
    services.plan_task_complete(
        tenant=scope.tenant, actor=scope.rep, task=task, log=True, type=call, duration_minutes=5
    )

    with pytest.raises(ValidationError):
        services.plan_task_complete(
            tenant=scope.tenant, actor=scope.rep, task=task, log=True, type=call, duration_minutes=5
        )

    assert Activity.objects.count() == 1


@pytest.mark.parametrize("actor", ["manager", "admin"])
def test_only_the_member_completes_their_task(scope, today, actor):
    task = PlanTaskFactory(member=scope.rep, date=today)

    with pytest.raises(PermissionDenied):
        services.plan_task_complete(tenant=scope.tenant, actor=getattr(scope, actor), task=task)


def test_another_organisations_task_does_not_exist(foreign, scope, today):
    task = foreign["task"]

    with pytest.raises(PlanTask.DoesNotExist):
        services.plan_task_dismiss(tenant=scope.tenant, actor=scope.rep, task=task)


def test_reopening_unlinks_the_activity_and_keeps_it(scope, today, call):
    task = PlanTaskFactory(member=scope.rep, date=today)
    services.plan_task_complete(
        tenant=scope.tenant, actor=scope.rep, task=task, log=True, type=call, duration_minutes=5
    )

    reopened = services.plan_task_reopen(tenant=scope.tenant, actor=scope.rep, task=task)

    assert reopened.status == PlanTask.Status.OPEN
    assert reopened.activity is None and reopened.completed_at is None
    assert Activity.objects.count() == 1


def test_a_suggestion_is_dismissed_not_deleted(scope, today):
    suggested = PlanTaskFactory(member=scope.rep, date=today, suggested=True)
    own = PlanTaskFactory(member=scope.rep, date=today)

    with pytest.raises(ValidationError):
        services.plan_task_delete(tenant=scope.tenant, actor=scope.rep, task=suggested)
    services.plan_task_delete(tenant=scope.tenant, actor=scope.rep, task=own)

    assert list(PlanTask.objects.all()) == [suggested]


def test_updating_moves_a_task_to_a_position_and_changes_its_title(scope, today, day_plan):
    _a, _b, _c, d = day_plan

    services.plan_task_update(tenant=scope.tenant, actor=scope.rep, task=d, position=0, title="Z")

    assert order(scope, today) == ["Z", "A", "B", "C"]


# --- The home card ----------------------------------------------------------------------------


def test_the_card_counts_done_of_kept_tasks_and_names_the_top_open_one(scope, today, day_plan):
    a, b, _c, _d = day_plan
    services.plan_task_complete(tenant=scope.tenant, actor=scope.rep, task=a)
    services.plan_task_dismiss(tenant=scope.tenant, actor=scope.rep, task=b)

    card = plan_card(tenant=scope.tenant, viewer=scope.rep)

    assert (card.done, card.total, card.top.title) == (1, 3, "C")


def test_the_morning_run_plans_for_employed_members_with_a_territory(foreign, scope, today):
    book_for(scope)
    left = scope.outsider_rep
    book_for(scope, left)
    left.end_date = today - dt.timedelta(days=1)
    left.save(update_fields=["end_date"])
    # ``foreign`` gave another organisation's rep a book: never planned here.

    result = services.plans_suggest_morning(tenant=scope.tenant)

    assert result.added == 5
    planned = set(PlanTask.all_tenants.filter(tenant=scope.tenant).values_list("member", flat=True))
    assert planned == {scope.rep.pk}
    foreign_rep = foreign["task"].member_id
    assert not PlanTask.all_tenants.filter(member_id=foreign_rep, suggested=True).exists()
