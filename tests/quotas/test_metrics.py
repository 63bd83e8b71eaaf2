"""The metric registry: quotas' own sources (revenue, deals) and the plug-in point for an
app above quotas (activities)."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas import metrics
from quotas.models import Metric
from spm.tenancy.context import tenant_context

from .factories import SaleFactory

MARCH_1, MARCH_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def sale(member, amount: str, closed_on: dt.date):
    return SaleFactory(member=member, amount=Decimal(amount), closed_on=closed_on)


def achieved(org, metric: str, member_ids, start=MARCH_1, end=MARCH_31):
    with tenant_context(org.tenant):
        return metrics.get(metric).achieved(org.tenant, member_ids, start, end)


@pytest.fixture
def march_sales(org, other):
    sale(org.rep, "100.10", MARCH_1)  # Both ends of the range count.
    sale(org.rep, "200.20", MARCH_31)
    sale(org.rep, "999.00", dt.date(2026, 2, 28))  # Outside it.
    sale(org.rep, "999.00", dt.date(2026, 4, 1))
    sale(org.outsider_rep, "5.00", dt.date(2026, 3, 15))
    sale(other.rep, "777.00", dt.date(2026, 3, 15))  # Another organisation's.


def test_quotas_registers_revenue_and_deals_with_their_units():
    revenue, deals = metrics.get(Metric.REVENUE), metrics.get(Metric.DEALS)
    assert (revenue.label, revenue.unit) == ("Revenue", Decimal("0.01"))
    assert (deals.label, deals.unit) == ("Deals", Decimal("1"))


def test_revenue_is_each_members_own_sum_over_the_inclusive_range(org, other, march_sales):
    assert achieved(org, Metric.REVENUE, [org.rep.pk, org.outsider_rep.pk, org.manager.pk]) == {
        org.rep.pk: Decimal("300.30"),
        org.outsider_rep.pk: Decimal("5.00"),
    }


def test_deals_count_each_members_sales_over_the_inclusive_range(org, other, march_sales):
    assert achieved(org, Metric.DEALS, [org.rep.pk, org.outsider_rep.pk]) == {
        org.rep.pk: Decimal(2),
        org.outsider_rep.pk: Decimal(1),
    }


def test_another_organisations_members_are_never_counted(org, other, march_sales):
    assert achieved(org, Metric.REVENUE, [other.rep.pk]) == {}


def test_a_long_member_list_gives_the_same_figures(org, other, march_sales, monkeypatch):
    wanted = [org.rep.pk, org.manager.pk]
    short = achieved(org, Metric.REVENUE, wanted)
    monkeypatch.setattr(metrics, "IN_LIST_LIMIT", 1)  # Read all, keep the wanted in Python.

    assert achieved(org, Metric.REVENUE, wanted) == short == {org.rep.pk: Decimal("300.30")}


@pytest.mark.parametrize("metric", [Metric.REVENUE, Metric.DEALS])
def test_any_number_of_members_costs_one_query(org, metric, django_assert_num_queries):
    with django_assert_num_queries(1):
        achieved(org, metric, range(1, 3_000))


def test_an_empty_range_is_nothing_without_a_query(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert achieved(org, Metric.REVENUE, [org.rep.pk], MARCH_31, MARCH_1) == {}


def test_a_metric_without_a_source_is_none():
    assert metrics.get(Metric.ACTIVITIES) is None
    assert metrics.get("no-such-metric") is None
    # It still has a unit, so its quotas are rolled down.
    assert metrics.units()[Metric.ACTIVITIES] == Decimal("1")


def test_an_app_above_quotas_adds_its_metric_and_only_one_source_per_name():
    def count(tenant, member_ids, start, end):
        return {}

    source = metrics.MetricSource(Metric.ACTIVITIES, "Activities", Decimal("1"), count)
    metrics.register(source)
    try:
        assert metrics.get(Metric.ACTIVITIES) is source
        metrics.register(source)  # The same source again: harmless.
        with pytest.raises(ValueError, match="already has a data source"):
            metrics.register(metrics.MetricSource(Metric.ACTIVITIES, "Other", Decimal("1"), dict))
        assert Metric.ACTIVITIES in {s.name for s in metrics.registry}
    finally:
        metrics.registry.unregister(Metric.ACTIVITIES)
    assert metrics.get(Metric.ACTIVITIES) is None
