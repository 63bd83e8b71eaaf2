"""Two overdue-reminder runs at once (a retry beside a slow first run) remind each owner
once; two completions of one item at once complete it once. PostgreSQL only (SQLite has
no row locks); CI runs these."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accountability.models import ActionItem
from accountability.services.action_item_reminders import overdue_remind_day
from accountability.services.action_items import action_item_complete
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context

from ..conftest import build_org
from ..territories.test_concurrency import celery_join_flag, race  # noqa: F401 (a fixture)
from .factories import ActionItemFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]

MONDAY = dt.date(2026, 3, 2)


def test_two_reminder_runs_at_once_remind_each_owner_once():
    org = build_org("twice")
    for owner in (org.rep, org.manager):
        ActionItemFactory(member=org.rep, owner=owner, due_date=dt.date(2026, 2, 20))
    sent = []

    def run():
        with tenant_context(org.tenant):
            sent.append(overdue_remind_day(tenant=org.tenant, day=MONDAY))

    outcomes = race(run, run)
    assert outcomes["second waited"] == "yes"
    assert sorted(sent) == [0, 2]
    assert Notification.all_tenants.filter(tenant=org.tenant).count() == 2


def test_two_completions_at_once_complete_once():
    org = build_org("done")
    item = ActionItemFactory(
        member=org.rep, owner=org.rep, due_date=org.tenant.today() + dt.timedelta(days=1)
    )
    results = []

    def run():
        with tenant_context(org.tenant):
            try:
                results.append(
                    action_item_complete(tenant=org.tenant, actor=org.rep, item=item).version
                )
            except ValidationError:
                results.append("refused")

    race(run, run)
    assert sorted(results, key=str) == [2, "refused"]
    assert ActionItem.all_tenants.get(pk=item.pk).version == 2
