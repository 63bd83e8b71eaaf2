"""The ``activities`` metric: how many selling activities a member logged (DESIGN 4.5).

Registered with the quotas metric registry when the app is ready, so a quota on
``activities`` gets attainment like revenue does; the activity services ask quotas to
recompute after every change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from quotas import metrics
from quotas.models import UNIT, Metric
from spm.tenancy.models import Tenant

from .models import Activity, ActivityType, Category


def selling_activities_achieved(
    tenant: Tenant, member_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Decimal]:
    """Each member's number of selling activities dated ``start``–``end``: one GROUP BY
    (the whole organisation's when the list is long, filtered in Python)."""
    if end < start:
        return {}
    wanted = {int(member_id) for member_id in member_ids}
    rows = Activity.objects.filter(
        tenant=tenant, date__gte=start, date__lte=end, type__category=Category.SELLING
    )
    if len(wanted) <= metrics.IN_LIST_LIMIT:
        rows = rows.filter(member_id__in=sorted(wanted))
    return {
        member_id: Decimal(count)
        for member_id, count in rows.order_by()
        .values("member_id")
        .annotate(count=Count("id"))
        .values_list("member_id", "count")
        if member_id in wanted
    }


def selling_activities_span_sql() -> str:
    """The same counts per member, in SQL (see ``MetricSource.span_sql``)."""
    quote = connection.ops.quote_name
    return (
        f"SELECT a.member_id, COUNT(*) FROM {quote(Activity._meta.db_table)} a "
        f"JOIN {quote(ActivityType._meta.db_table)} t ON t.id = a.type_id "
        f"WHERE a.tenant_id = %(tenant)s AND t.category = '{Category.SELLING.value}' "
        "AND a.date BETWEEN %(start)s AND %(end)s GROUP BY a.member_id"
    )


ACTIVITIES = metrics.register(
    metrics.MetricSource(
        Metric.ACTIVITIES.value,
        "Activities",
        UNIT[Metric.ACTIVITIES],
        selling_activities_achieved,
        span_sql=selling_activities_span_sql,
    )
)
