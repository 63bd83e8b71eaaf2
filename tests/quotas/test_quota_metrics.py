"""Which metrics an organisation sets quotas on (``Tenant.quota_metrics``), and what a
higher app's metric asks before scheduling attainment (``attainment_schedule(metric=)``)."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from quotas.models import Metric
from quotas.services import QuotaCell, attainment_schedule, quota_delete, quotas_save_many
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant

from .factories import QuotaFactory, jobs_fixture  # noqa: F401 (a fixture)

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
ATTAINMENT = "quotas.tasks.attainment_for_members"


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


def stored(tenant) -> list[str]:
    return Tenant.objects.get(pk=tenant.pk).quota_metrics


def cell(org, metric, month=MARCH, member=None) -> QuotaCell:
    return QuotaCell(
        member_id=(member or org.rep).pk, month=month, metric=metric, amount=Decimal("5")
    )


def test_the_first_quota_on_a_metric_notes_it_and_later_ones_change_nothing(scope, jobs):
    assert stored(scope.tenant) == [] == scope.tenant.quota_metrics
    quotas_save_many(tenant=scope.tenant, actor=scope.admin, cells=[cell(scope, "revenue")])
    assert stored(scope.tenant) == ["revenue"] == scope.tenant.quota_metrics

    with CaptureQueriesContext(connection) as queries:
        quotas_save_many(
            tenant=scope.tenant, actor=scope.admin, cells=[cell(scope, "revenue", APRIL)]
        )
    assert not [q for q in queries.captured_queries if '"tenancy_tenant"' in q["sql"]]

    quotas_save_many(
        tenant=scope.tenant,
        actor=scope.admin,
        cells=[cell(scope, Metric.ACTIVITIES), cell(scope, "deals", member=scope.manager)],
    )
    assert stored(scope.tenant) == ["activities", "deals", "revenue"]


def test_a_metric_stays_noted_when_its_last_quota_is_deleted(scope, jobs):
    (quota,) = quotas_save_many(
        tenant=scope.tenant, actor=scope.admin, cells=[cell(scope, Metric.ACTIVITIES)]
    )
    quota_delete(tenant=scope.tenant, actor=scope.admin, quota=quota)
    assert stored(scope.tenant) == ["activities"]


def test_a_quota_saved_with_a_stale_copy_of_the_organisation_keeps_the_others_notes(scope, jobs):
    stale = Tenant.objects.get(pk=scope.tenant.pk)
    quotas_save_many(tenant=scope.tenant, actor=scope.admin, cells=[cell(scope, "revenue")])
    quotas_save_many(tenant=stale, actor=scope.admin, cells=[cell(scope, "deals", APRIL)])
    assert stored(scope.tenant) == ["deals", "revenue"]


def test_a_metric_no_quota_was_ever_on_schedules_nothing_and_asks_nothing(scope, jobs):
    QuotaFactory(member=scope.rep, month=MARCH, metric=Metric.REVENUE)
    with CaptureQueriesContext(connection) as queries:
        attainment_schedule(
            tenant=scope.tenant,
            member_ids=[scope.rep.pk],
            days=[dt.date(2026, 3, 9)],
            metric=Metric.ACTIVITIES,
        )
    assert (jobs, len(queries)) == ([], 0)


def test_a_noted_metric_schedules_only_the_months_a_quota_is_on_in_one_query(scope, jobs):
    QuotaFactory(member=scope.manager, month=APRIL, metric=Metric.ACTIVITIES)
    with CaptureQueriesContext(connection) as queries:
        attainment_schedule(
            tenant=scope.tenant,
            member_ids=[scope.rep.pk, scope.rep.pk],
            days=[dt.date(2026, 3, 9), dt.date(2026, 4, 2), dt.date(2026, 4, 30)],
            metric=Metric.ACTIVITIES,
        )
        attainment_schedule(
            tenant=scope.tenant,
            member_ids=[scope.rep.pk],
            days=[dt.date(2026, 5, 1)],
            metric=Metric.ACTIVITIES,
        )
    assert len(queries) == 2
    assert jobs == [
        (
            ATTAINMENT,
            {"tenant_id": scope.tenant.pk, "member_ids": [scope.rep.pk], "months": ["2026-04"]},
        )
    ]


def test_without_a_metric_every_month_given_is_scheduled(scope, jobs):
    with CaptureQueriesContext(connection) as queries:
        attainment_schedule(
            tenant=scope.tenant,
            member_ids=[scope.manager.pk, scope.rep.pk],
            days=[dt.date(2026, 4, 2), dt.date(2026, 3, 9)],
        )
    assert len(queries) == 0
    assert jobs == [
        (
            ATTAINMENT,
            {
                "tenant_id": scope.tenant.pk,
                "member_ids": sorted([scope.manager.pk, scope.rep.pk]),
                "months": ["2026-03", "2026-04"],
            },
        )
    ]


def test_the_migration_notes_what_existing_quotas_are_on(org, other):
    QuotaFactory(member=org.rep, metric=Metric.ACTIVITIES)
    QuotaFactory(member=org.manager, metric=Metric.REVENUE)
    QuotaFactory(member=org.rep, month=APRIL, metric=Metric.REVENUE)
    Tenant.objects.filter(pk__in=[org.tenant.pk, other.tenant.pk]).update(quota_metrics=[])
    migration = importlib.import_module("quotas.migrations.0002_tenant_quota_metrics")

    state = MigrationLoader(connection).project_state(("quotas", "0002_tenant_quota_metrics"))

    migration.note_quota_metrics(state.apps, schema_editor=None)

    assert (stored(org.tenant), stored(other.tenant)) == (["activities", "revenue"], [])
