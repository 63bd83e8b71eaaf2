"""Review templates: the default every organisation starts with.

Invariants: a template version's criteria are fixed once a period it applies to has
started (edits make the next version, from the next period); weights are relative and
never negative; a metric criterion's thresholds rise from ``min_for_2`` to ``min_for_5``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from spm.inputs import EARLIEST_DATE
from spm.tenancy.models import Tenant

from ..models import Cadence, Criterion, ReviewTemplate

DEFAULT_NAME = "Sales performance"
# (label, metric, weight, thresholds for scores 2–5, guidance)
DEFAULT_CRITERIA = (
    ("Quota attainment", Criterion.Metric.ATTAINMENT, "40", ("70", "90", "110", "130"),
     "Achieved ÷ quota over the quarter's months."),
    ("Pace", Criterion.Metric.PACE, "10", ("80", "95", "105", "120"),
     "Achieved ÷ what the daily targets expected by the period's end."),
    ("Selling time", Criterion.Metric.SELLING_RATIO, "20", ("70", "80", "90", "95"),
     "Selling minutes ÷ all logged minutes; the organisation's target is the bar to meet."),
    ("Selling activities", Criterion.Metric.ACTIVITY_COUNT, "10", ("150", "250", "350", "450"),
     "Calls, emails, meetings, demos and proposals logged in the quarter."),
    ("Action items done on time", Criterion.Metric.ACTION_ITEMS_ON_TIME, "10",
     ("50", "70", "85", "100"), "Share of the action items due in the period done by their date."),
    ("Account planning", Criterion.Metric.MANUAL, "10", (None, None, None, None),
     "The reviewer's judgement of account plans and pipeline hygiene, discussed in the review."),
)  # fmt: skip


def review_template_create_default(*, tenant: Tenant) -> ReviewTemplate | None:
    """Give ``tenant`` the default quarterly template unless it has a template already;
    returns it (``None`` when it had one). It applies to every period, past ones too, so a
    manager can review last quarter on the first day."""
    if ReviewTemplate.objects.filter(tenant=tenant).exists():
        return None
    template = ReviewTemplate.objects.create(
        tenant=tenant,
        name=DEFAULT_NAME,
        cadence=Cadence.QUARTERLY,
        effective_from=EARLIEST_DATE,
    )
    Criterion.objects.bulk_create(
        Criterion(
            tenant=tenant,
            template=template,
            label=label,
            metric=metric,
            weight=Decimal(weight),
            position=position,
            guidance=guidance,
            **{
                f"min_for_{score}": None if value is None else Decimal(value)
                for score, value in zip((2, 3, 4, 5), thresholds, strict=True)
            },
        )
        for position, (label, metric, weight, thresholds, guidance) in enumerate(DEFAULT_CRITERIA)
    )
    return template


def period_of(cadence: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month or quarter holding ``day``, as (first day, last day)."""
    if cadence == Cadence.MONTHLY:
        first = day.replace(day=1)
    else:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    months = 1 if cadence == Cadence.MONTHLY else 3
    index = first.year * 12 + first.month - 1 + months
    following = dt.date(index // 12, index % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)
