"""The daily plan under several PostgreSQL connections at once (SQLite has no row locks):
suggestions made at the same moment never add a line twice, and a task completed twice
at once logs one activity."""

import threading

import pytest
from celery._state import _set_task_join_will_block
from django.db import connection

from activities.models import Activity, ActivityType, PlanTask
from activities.services import plan as services
from spm.tenancy.context import tenant_context

from ..conftest import build_org
from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from .factories import PlanTaskFactory
from .plan_factories import book_for, revenue_target

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("jobs"),
]

THREADS = 6


@pytest.fixture(autouse=True)
def celery_join_flag():
    """Eager tasks may run in the threads; put Celery's process-wide flag back after."""
    yield
    _set_task_join_will_block(False)


def at_once(work) -> list:
    """Run ``work()`` in ``THREADS`` threads released together; their outcomes."""
    start = threading.Barrier(THREADS)
    outcomes: list = []

    def run():
        try:
            start.wait(timeout=10)
            outcomes.append(work())
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_suggestions_made_at_the_same_moment_add_each_line_once():
    org = build_org("acme")
    book_for(org)
    revenue_target(org, org.rep, target="500.00")
    today = org.tenant.today()

    def suggest():
        with tenant_context(org.tenant):
            return services.plan_suggest(tenant=org.tenant, member=org.rep, date=today).added

    outcomes = at_once(suggest)

    assert sorted(outcomes) == [0] * (THREADS - 1) + [5]
    tasks = PlanTask.all_tenants.filter(member=org.rep, date=today)
    assert tasks.filter(kind=PlanTask.Kind.ACCOUNT).count() == 5
    assert tasks.filter(kind=PlanTask.Kind.TARGET_GAP).count() == 1
    assert sorted(tasks.values_list("position", flat=True)) == list(range(6))


def test_a_task_completed_twice_at_once_logs_one_activity():
    org = build_org("acme")
    today = org.tenant.today()
    task = PlanTaskFactory(member=org.rep, date=today)
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    def complete():
        with tenant_context(org.tenant):
            services.plan_task_complete(
                tenant=org.tenant,
                actor=org.rep,
                task=task,
                log=True,
                type=call,
                duration_minutes=10,
            )
            return "done"

    outcomes = at_once(complete)

    assert sorted(outcomes) == ["ValidationError"] * (THREADS - 1) + ["done"]
    assert Activity.all_tenants.filter(member=org.rep).count() == 1
