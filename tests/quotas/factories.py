"""factory_boy factories for quotas. Tenant-owned factories use ``all_tenants`` (via
``TenantOwnedFactory``) so they work outside a scope.

``jobs`` is a fixture (import ``jobs_fixture`` into a test module) that records the background jobs
the quota services schedule instead of writing them to the outbox: the tests check
exactly which job is scheduled with which arguments, whatever ``quotas/tasks.py`` holds.
"""

import datetime as dt
import re
from decimal import Decimal

import factory
import pytest
from django.db import transaction

from quotas.models import Metric, Quota, QuotaChange, QuotaTarget, Sale, SeasonalityProfile
from quotas.services import quota_metrics_note

from ..factories import MembershipFactory, TenantFactory, TenantOwnedFactory
from ..territories.factories import AccountFactory


class QuotaFactory(TenantOwnedFactory):
    class Meta:
        model = Quota
        skip_postgeneration_save = True

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    month = dt.date(2026, 3, 1)
    metric = Metric.REVENUE
    amount = Decimal("10000.00")

    @factory.post_generation
    def note_metric(quota, create, extracted, **kwargs):
        """As the services do: the organisation notes the metrics its quotas are on."""
        if create:
            with transaction.atomic():
                quota_metrics_note(quota.tenant, [quota.metric])


class QuotaTargetFactory(TenantOwnedFactory):
    class Meta:
        model = QuotaTarget

    quota = factory.SubFactory(QuotaFactory)
    tenant = factory.SelfAttribute("quota.tenant")
    granularity = QuotaTarget.Granularity.DAY
    start = factory.SelfAttribute("quota.month")
    end = factory.SelfAttribute("start")
    amount = Decimal("500.00")


class SaleFactory(TenantOwnedFactory):
    class Meta:
        model = Sale

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    account = factory.SubFactory(AccountFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = Decimal("1200.00")
    closed_on = dt.date(2026, 3, 10)
    external_id = factory.Sequence(lambda n: f"CRM-{n:06d}")


class QuotaChangeFactory(TenantOwnedFactory):
    class Meta:
        model = QuotaChange

    quota = factory.SubFactory(QuotaFactory)
    tenant = factory.SelfAttribute("quota.tenant")
    action = QuotaChange.Action.CREATED
    changes = factory.LazyFunction(lambda: {"amount": [None, "10000.00"]})


class SeasonalityProfileFactory(TenantOwnedFactory):
    class Meta:
        model = SeasonalityProfile

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Profile {n}")


# Imported by the test modules; named so the import does not shadow the fixture's name there.
@pytest.fixture(name="jobs")
def jobs_fixture(monkeypatch) -> list[tuple[str, dict]]:
    """The jobs the quota services schedule, as ``(task name, kwargs)``, in order."""
    recorded: list[tuple[str, dict]] = []

    def record(task, tenant, *args, **kwargs):
        assert not args, "quota jobs take keyword arguments"
        recorded.append((task, {"tenant_id": tenant.pk, **kwargs}))

    monkeypatch.setattr("quotas.services.quotas.enqueue_on_commit", record)
    monkeypatch.setattr("quotas.services.sales.enqueue_on_commit", record)
    monkeypatch.setattr("quotas.services.attainment.enqueue_on_commit", record)
    return recorded


# On PostgreSQL each statement carries the tenant wall's setting in front of it.
_ROW_SECURITY_PREFIX = re.compile(r"^SELECT set_config\([^;]*;\s*")


def statements(queries) -> list[str]:
    """The SQL of captured queries, without the row-security prefix (PostgreSQL)."""
    return [_ROW_SECURITY_PREFIX.sub("", query["sql"]) for query in queries.captured_queries]
