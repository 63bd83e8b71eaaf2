"""On PostgreSQL the attainment service computes its figures in SQL (``FIGURES_SQL``):
they must equal ``rules.attainment_frame``'s for any amounts, exactly, rounding included."""

from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quotas import rules
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
