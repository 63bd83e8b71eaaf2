"""On PostgreSQL the attainment service computes its figures in SQL (``FIGURES_SQL``):
they must equal ``rules.attainment_frame``'s for any amounts, exactly, rounding included."""

from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quotas import metrics, rules
from quotas.services.attainment import FIGURES_SQL

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The SQL figures are PostgreSQL's."
)

MAX_CENTS = 99_999_999_999_999  # The largest amount a quota or a sale holds, in cents.


def cents(minimum=-MAX_CENTS):
    return st.integers(min_value=minimum, max_value=MAX_CENTS).map(
        lambda value: Decimal(value).scaleb(-2)
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    achieved=cents(),
    effective=cents(minimum=0),
    expected=cents(minimum=0),
    metric=st.sampled_from(["revenue", "deals"]),
)
@example(
    achieved=Decimal("0.01"), effective=Decimal("0.02"), expected=Decimal("3"), metric="revenue"
)
@example(
    achieved=Decimal("-0.05"), effective=Decimal("10"), expected=Decimal("0.10"), metric="deals"
)
@example(achieved=Decimal("1"), effective=Decimal("0"), expected=Decimal("0"), metric="revenue")
def test_the_sql_figures_are_the_rules_figures(db, achieved, effective, expected, metric):
    unit = rules.metric_unit(metric)
    frame = pd.DataFrame(
        {
            "metric": [metric],
            "achieved": [achieved],
            "effective_amount": [effective],
            "expected_to_date": [expected],
        },
        dtype=object,
    )
    wanted = rules.attainment_frame(frame).iloc[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {FIGURES_SQL} FROM (SELECT %s * 100 AS a, %s * 100 AS f, %s * 100 AS x, "
            "%s * 100 AS u) AS amounts",
            [achieved, effective, expected, unit],
        )
        attainment_pct, pace_pct, projected = cursor.fetchone()
    assert attainment_pct == wanted["attainment_pct"]
    assert pace_pct == wanted["pace_pct"]
    assert projected == wanted["projected"]


def test_teams_summed_in_sql_equal_the_metrics_own_figures(org, monkeypatch):
    """The statement sums each quota's team from the metrics' ``span_sql``; without it the
    figures come from the metrics' ``achieved`` (an array): both store the same rows."""
    import dataclasses
    import datetime as dt

    from quotas.models import Attainment, AttainmentSnapshot, Metric
    from quotas.services.attainment import attainment_compute
    from spm.tenancy.context import tenant_context

    from .compute_factories import roll_down
    from .factories import QuotaFactory, SaleFactory

    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    for member in (org.rep, org.manager, org.outsider_rep):
        for month in (march, april):
            QuotaFactory(member=member, month=month, amount=Decimal("9000.00"))
            QuotaFactory(member=member, month=month, metric=Metric.DEALS, amount=Decimal("4"))
    QuotaFactory(member=org.admin, month=march, amount=Decimal("30000.00"))
    roll_down(org.tenant)
    for day, amount, member in [
        (dt.date(2026, 3, 2), "1234.56", org.rep),
        (dt.date(2026, 3, 2), "10.01", org.rep),
        (dt.date(2026, 3, 9), "777.77", org.manager),
        (dt.date(2026, 4, 20), "5000.00", org.outsider_rep),  # After the as-of date.
        (dt.date(2026, 4, 1), "99.99", org.rep),
        (dt.date(2026, 2, 28), "50.00", org.rep),  # Before the months.
    ]:
        SaleFactory(member=member, closed_on=day, amount=Decimal(amount))

    def stored():
        return sorted(
            Attainment.all_tenants.values_list(
                "quota_id", "as_of", "achieved", "expected_to_date", "attainment_pct",
                "pace_pct", "projected",
            )
        ), sorted(AttainmentSnapshot.all_tenants.values_list("quota_id", "day", "achieved"))  # fmt: skip

    as_of = dt.date(2026, 4, 10)
    with tenant_context(org.tenant):
        attainment_compute(tenant=org.tenant, as_of=as_of, months=[march, april])
    in_sql = stored()
    assert {row[2] for row in in_sql[0]} >= {Decimal("1244.57"), Decimal("2022.34")}

    Attainment.all_tenants.all().delete()
    AttainmentSnapshot.all_tenants.all().delete()
    for name in (Metric.REVENUE, Metric.DEALS):
        source = metrics.get(name)
        monkeypatch.setitem(
            metrics.registry._sources, name, dataclasses.replace(source, span_sql=None)
        )
    with tenant_context(org.tenant):
        attainment_compute(tenant=org.tenant, as_of=as_of, months=[march, april])
    assert stored() == in_sql
