"""Every organisation starts with the default review template; periods by cadence."""

import datetime as dt
from decimal import Decimal

import pytest

from accountability.models import Cadence, Criterion, ReviewTemplate
from accountability.services import period_of, review_template_create_default
from spm.tenancy.context import tenant_context


def test_a_new_organisation_has_the_default_template_once(org):
    with tenant_context(org.tenant):
        [template] = ReviewTemplate.objects.filter(tenant=org.tenant)
        assert (template.cadence, template.version) == (Cadence.QUARTERLY, 1)
        criteria = list(template.criteria.order_by("position"))
        assert [c.metric for c in criteria] == [
            "attainment",
            "pace",
            "selling_ratio",
            "activity_count",
            "action_items_on_time",
            "manual",
        ]
        assert sum(c.weight for c in criteria) == Decimal("100")
        for criterion in criteria:
            thresholds = criterion.thresholds
            if criterion.metric == Criterion.Metric.MANUAL:
                assert thresholds == [None] * 4
            else:
                assert thresholds == sorted(thresholds)
        assert review_template_create_default(tenant=org.tenant) is None


@pytest.mark.parametrize(
    ("cadence", "day", "period"),
    [
        (Cadence.MONTHLY, dt.date(2026, 2, 14), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        (Cadence.QUARTERLY, dt.date(2026, 2, 14), (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        (Cadence.QUARTERLY, dt.date(2026, 12, 31), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
        (Cadence.MONTHLY, dt.date(2024, 2, 29), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
    ],
)
def test_period_of(cadence, day, period):
    assert period_of(cadence, day) == period
