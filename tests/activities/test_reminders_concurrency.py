"""Two reminder runs at once (a retry beside a slow first run) send each reminder once:
the second waits for the first's lock on the organisation and then finds its records.
PostgreSQL only (SQLite has no row locks); CI runs these."""

import datetime as dt

import pytest
from django.db import connection

from activities.models import Reminder
from activities.services.reminders import nothing_logged_remind_day, weekly_digest_send_week
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context

from ..conftest import build_org
from ..territories.test_concurrency import celery_join_flag, race  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]

MONDAY = dt.date(2026, 3, 2)


def test_two_runs_at_once_remind_each_member_once():
    org = build_org("twice")
    sent = []

    def run():
        with tenant_context(org.tenant):
            sent.append(nothing_logged_remind_day(tenant=org.tenant, day=MONDAY))

    outcomes = race(run, run)
    assert outcomes == {"first": "saved", "second": "saved", "second waited": "yes"}
    assert sorted(sent) == [0, 3]  # The rep, the outsider rep and the manager; once.
    assert Notification.all_tenants.filter(tenant=org.tenant).count() == 3
    assert Reminder.all_tenants.filter(tenant=org.tenant).count() == 3


def test_two_digest_runs_at_once_send_one_digest():
    org = build_org("digest")
    sent = []

    def run():
        with tenant_context(org.tenant):
            sent.append(
                weekly_digest_send_week(
                    tenant=org.tenant, week_start=MONDAY, today=MONDAY + dt.timedelta(days=7)
                )
            )

    race(run, run)
    assert sorted(sent) == [0, 1]  # The manager, whose team is the rep.
    assert Notification.all_tenants.filter(tenant=org.tenant, recipient=org.manager).count() == 1
