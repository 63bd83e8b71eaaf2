"""``quotas.selectors.progress.day_targets``: a member's target on one day and what was
achieved that day, for many members in a fixed number of queries (the daily plan's gap)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotas.models import Metric, QuotaTarget
from quotas.selectors.progress import day_targets
from spm.tenancy.context import tenant_context

from .factories import QuotaFactory, QuotaTargetFactory, SaleFactory

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


def target(member, amount: str, *, day=DAY, metric=Metric.REVENUE):
    quota = QuotaFactory(member=member, month=day.replace(day=1), metric=metric)
    QuotaTargetFactory(
        quota=quota, granularity=QuotaTarget.Granularity.DAY, start=day, amount=Decimal(amount)
    )
    return quota


def test_the_days_target_less_what_was_sold_that_day(scope):
    target(scope.rep, "800.00")
    SaleFactory(member=scope.rep, closed_on=DAY, amount=Decimal("300.00"))
    SaleFactory(member=scope.rep, closed_on=DAY - dt.timedelta(days=1), amount=Decimal("900.00"))

    (row,) = day_targets(tenant=scope.tenant, member_ids=[scope.rep.pk], day=DAY).values()

    assert (row.target, row.achieved, row.gap) == (
        Decimal("800.00"),
        Decimal("300.00"),
        Decimal("500.00"),
    )


def test_the_gap_is_never_below_zero(scope):
    target(scope.rep, "100.00")
    SaleFactory(member=scope.rep, closed_on=DAY, amount=Decimal("250.00"))

    row = day_targets(tenant=scope.tenant, member_ids=[scope.rep.pk], day=DAY)[scope.rep.pk]

    assert row.gap == Decimal("0")


def test_a_managers_team_quota_counts_their_tree_that_day(scope):
    target(scope.manager, "1000.00")
    SaleFactory(member=scope.rep, closed_on=DAY, amount=Decimal("400.00"))
    SaleFactory(member=scope.outsider_rep, closed_on=DAY, amount=Decimal("999.00"))  # Not theirs.

    row = day_targets(tenant=scope.tenant, member_ids=[scope.manager.pk], day=DAY)[scope.manager.pk]

    assert row.achieved == Decimal("400.00")


def test_no_quota_or_no_day_row_leaves_the_member_out(scope):
    target(scope.rep, "100.00", day=DAY + dt.timedelta(days=1))  # Not a capacity day on DAY.

    found = day_targets(
        tenant=scope.tenant, member_ids=[scope.rep.pk, scope.outsider_rep.pk], day=DAY
    )

    assert found == {}


def test_many_members_cost_the_same_queries_as_one(scope):
    target(scope.rep, "100.00")
    with CaptureQueriesContext(connection) as one:
        day_targets(tenant=scope.tenant, member_ids=[scope.rep.pk], day=DAY)
    for member in (scope.manager, scope.outsider_rep, scope.admin):
        target(member, "100.00")
    members = [scope.rep.pk, scope.manager.pk, scope.outsider_rep.pk, scope.admin.pk]
    with CaptureQueriesContext(connection) as four:
        found = day_targets(tenant=scope.tenant, member_ids=members, day=DAY)

    assert len(found) == 4
    assert len(four.captured_queries) == len(one.captured_queries) == 4
