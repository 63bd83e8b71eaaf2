"""The 24-hour day under two PostgreSQL connections at once (SQLite has no row locks):
two requests logging for the same member and day never add up to more than 24 hours."""

import datetime as dt
import threading

import pytest
from celery._state import _set_task_join_will_block
from django.db import connection, transaction
from django.db.models import Sum
from rest_framework.test import APIClient

from activities.models import Activity, ActivityType
from spm.tenancy.services import api_token_issue

from ..conftest import build_org
from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("jobs"),
]

ACTIVITIES = "/api/v1/activities/"
DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def celery_join_flag():
    """Eager tasks run in both threads; Celery guards ``result.get()`` with a process-wide
    flag that two threads can leave set. Put it back for the tests that follow."""
    yield
    _set_task_join_will_block(False)


@pytest.fixture
def rep_api():
    """An organisation, the token of its rep and the ``Call`` type's id."""
    org = build_org("race")
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    call = ActivityType.all_tenants.get(tenant=org.tenant, name="Call")

    def post(minutes: int, path: str = ACTIVITIES, many: int = 0, change: int = 0):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        item = {"type_id": call.pk, "date": DAY.isoformat(), "duration_minutes": minutes}
        if change:
            return api.patch(f"{ACTIVITIES}{change}/", item, format="json").status_code
        payload = [item] * many if many else item
        return api.post(path, payload, format="json").status_code

    return org, post


def day_total(org) -> int:
    minutes = Activity.all_tenants.filter(tenant=org.tenant, member=org.rep, date=DAY).aggregate(
        total=Sum("duration_minutes")
    )["total"]
    return minutes or 0


def race(first, second) -> dict[str, object]:
    """Run ``first`` (a request, in its own thread and connection) inside a transaction
    held open after it answered, start ``second`` in another thread, check that it waits
    for the first's row lock, then let the first commit. Returns each one's status."""
    first_done, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def run(name, request, hold):
        try:
            with transaction.atomic():
                outcomes[name] = request()
                if hold:
                    first_done.set()
                    release_first.wait(timeout=10)
        finally:
            first_done.set()
            connection.close()

    one = threading.Thread(target=run, args=("first", first, True))
    two = threading.Thread(target=run, args=("second", second, False))
    one.start()
    first_done.wait(timeout=10)
    two.start()
    two.join(timeout=1)
    outcomes["second waited"] = two.is_alive()
    release_first.set()
    one.join(timeout=10)
    two.join(timeout=10)
    return outcomes


def test_two_requests_of_800_minutes_for_one_day_one_succeeds_and_the_day_holds(rep_api):
    org, post = rep_api

    outcomes = race(lambda: post(800), lambda: post(800))

    assert outcomes == {"first": 201, "second": 400, "second waited": True}
    assert day_total(org) == 800


def test_a_single_request_and_a_bulk_request_for_one_day_serialise_too(rep_api):
    org, post = rep_api

    outcomes = race(lambda: post(700), lambda: post(400, path=ACTIVITIES + "bulk/", many=2))

    assert outcomes == {"first": 201, "second": 400, "second waited": True}
    assert day_total(org) == 700


def test_a_change_and_a_new_activity_for_one_day_serialise(rep_api):
    org, post = rep_api
    assert post(100) == 201
    existing = Activity.all_tenants.get(tenant=org.tenant, member=org.rep)

    outcomes = race(lambda: post(900, change=existing.pk), lambda: post(600))

    assert outcomes == {"first": 200, "second": 400, "second waited": True}
    assert day_total(org) == 900


def test_many_requests_at_once_never_fill_a_day_past_24_hours(rep_api):
    """No request is held open here: eight threads post at the same moment."""
    org, post = rep_api
    start = threading.Barrier(8)
    statuses: list[int] = []

    def run():
        try:
            start.wait(timeout=10)
            statuses.append(post(300))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201] * 4 + [400] * 4  # 4 × 300 = 1,200; a fifth is 1,500.
    assert day_total(org) == 1_200
