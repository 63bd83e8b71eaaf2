"""The metric registry: where each metric's achieved figures come from (DESIGN 4.2, 4.3).

A quota is set on a metric (``Quota.metric``); attainment, achievability and the pages
ask the metric's ``MetricSource`` how much each member achieved over a span of days.
Quotas registers ``revenue`` (the sum of sale amounts) and ``deals`` (the number of
sales) below. An app above quotas adds its own metric from its ``plugin.py`` without
editing quotas, e.g. activities::

    from quotas import metrics

    metrics.register(
        metrics.MetricSource("activities", "Activities", Decimal("1"), selling_activity_counts)
    )

A metric with no registered source (``get`` returns ``None``) is still a valid quota
metric: the quota is accepted, rolled down and shown with "no data source" instead of
an attainment, until an app provides one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum

from spm.tenancy.models import Tenant

from .models import UNIT, Metric, Sale

# ``achieved(tenant, member_ids, start, end)``: each member's own figure from ``start``
# to ``end`` (both included), as ``{member_id: Decimal}``; members with nothing may be
# left out (they count 0). Called with positional arguments.
Achieved = Callable[[Tenant, list[int], dt.date, dt.date], dict[int, Decimal]]

# Above this many members a source reads the whole organisation's figures for the span
# and keeps the wanted members in Python: one GROUP BY over the span costs the same, and
# an ``IN`` list of thousands of ids makes a poor plan (and SQLite caps parameters).
IN_LIST_LIMIT = 1_000


@dataclass(frozen=True)
class MetricSource:
    """Where a metric's achieved figures come from.

    ``unit`` is the metric's step (0.01 for money, 1 for counts; a power of ten of at
    least 0.01). ``achieved`` must answer for any number of members in one or two
    queries, whatever the span: attainment calls it once per month for a whole
    organisation, achievability once per trailing window.
    """

    name: str
    label: str
    unit: Decimal
    achieved: Achieved
    # Optionally the same figures in SQL, for PostgreSQL's attainment to sum teams in one
    # statement: a function returning a SELECT of ``(member_id, amount)``, one row per
    # member, for ``%(tenant)s`` from ``%(start)s`` to ``%(end)s`` (both included).
    span_sql: Callable[[], str] | None = None


class MetricRegistry:
    """The metrics that have a data source, by name."""

    def __init__(self) -> None:
        self._sources: dict[str, MetricSource] = {}

    def register(self, source: MetricSource) -> MetricSource:
        """Add ``source`` (registering the same source again is harmless; another source
        under a taken name is a programming error)."""
        existing = self._sources.get(source.name)
        if existing is not None and existing != source:
            raise ValueError(f"The metric {source.name!r} already has a data source.")
        self._sources[source.name] = source
        return source

    def unregister(self, name: str) -> None:
        self._sources.pop(name, None)

    def get(self, name: str) -> MetricSource | None:
        """The source of ``name``, or ``None``: the metric has no data source (yet)."""
        return self._sources.get(name)

    def units(self) -> dict[str, Decimal]:
        """The unit of every metric a quota may have, registered or not."""
        return {**{str(metric): unit for metric, unit in UNIT.items()}, **self._units()}

    def _units(self) -> dict[str, Decimal]:
        return {name: source.unit for name, source in self._sources.items()}

    def __iter__(self) -> Iterator[MetricSource]:
        return iter(list(self._sources.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._sources


registry = MetricRegistry()


def register(source: MetricSource) -> MetricSource:
    return registry.register(source)


def get(name: str) -> MetricSource | None:
    return registry.get(name)


def units() -> dict[str, Decimal]:
    return registry.units()


# --- Quotas' own metrics: from sales ------------------------------------------------------


def _sales(tenant: Tenant, member_ids: Iterable[int], start: dt.date, end: dt.date):
    """The sales of ``member_ids`` closed from ``start`` to ``end``, grouped by member,
    and the set of wanted ids (to filter in Python when the list is long)."""
    wanted = {int(member_id) for member_id in member_ids}
    sales = Sale.objects.filter(tenant=tenant, closed_on__gte=start, closed_on__lte=end)
    if len(wanted) <= IN_LIST_LIMIT:
        sales = sales.filter(member_id__in=wanted)
    return sales.order_by().values("member_id"), wanted


def revenue_achieved(
    tenant: Tenant, member_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Decimal]:
    """Each member's sum of sale amounts closed ``start``–``end``: one GROUP BY."""
    if end < start:
        return {}
    grouped, wanted = _sales(tenant, member_ids, start, end)
    unit = UNIT[Metric.REVENUE]
    return {
        member_id: Decimal(total).quantize(unit)
        for member_id, total in grouped.annotate(total=Sum("amount")).values_list(
            "member_id", "total"
        )
        if member_id in wanted
    }


def deals_achieved(
    tenant: Tenant, member_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Decimal]:
    """Each member's number of sales closed ``start``–``end``: one GROUP BY."""
    if end < start:
        return {}
    grouped, wanted = _sales(tenant, member_ids, start, end)
    return {
        member_id: Decimal(count)
        for member_id, count in grouped.annotate(count=Count("id")).values_list(
            "member_id", "count"
        )
        if member_id in wanted
    }


def _sales_span_sql(aggregate: str) -> Callable[[], str]:
    def span_sql() -> str:
        return (
            f"SELECT member_id, {aggregate} "
            f"FROM {connection.ops.quote_name(Sale._meta.db_table)} "
            "WHERE tenant_id = %(tenant)s AND closed_on BETWEEN %(start)s AND %(end)s "
            "GROUP BY member_id"
        )

    return span_sql


REVENUE = register(
    MetricSource(
        Metric.REVENUE.value,
        "Revenue",
        UNIT[Metric.REVENUE],
        revenue_achieved,
        span_sql=_sales_span_sql("SUM(amount)"),
    )
)
DEALS = register(
    MetricSource(
        Metric.DEALS.value,
        "Deals",
        UNIT[Metric.DEALS],
        deals_achieved,
        span_sql=_sales_span_sql("COUNT(*)"),
    )
)
