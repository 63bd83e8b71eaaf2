"""Two month closes at once (a retry beside a slow first run) grant and tell each member
once: the second waits for the first's lock on the organisation, then finds everyone
granted. PostgreSQL only (SQLite has no row locks); CI runs these."""

import pytest
from django.db import connection

from accountability.models import Recognition
from accountability.services import quota_club_close
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context

from ..conftest import build_org
from ..territories.test_concurrency import celery_join_flag, race  # noqa: F401 (a fixture)
from .recognition_helpers import MARCH, attained

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_closes_at_once_grant_each_member_once():
    org = build_org("twice")
    attained(org.rep, "120.00")
    attained(org.manager, "100.00")
    granted = []

    def run():
        with tenant_context(org.tenant):
            granted.append(len(quota_club_close(tenant=org.tenant, month=MARCH)))

    outcomes = race(run, run)

    assert outcomes == {"first": "saved", "second": "saved", "second waited": "yes"}
    assert sorted(granted) == [0, 2]
    assert Recognition.all_tenants.filter(tenant=org.tenant).count() == 2
    assert Notification.all_tenants.filter(tenant=org.tenant).count() == 2
