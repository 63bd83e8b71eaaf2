"""Give every existing organisation the default review template (new ones get it when
they are created: ``accountability.signals``)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

# The default as it was when this migration was written (a migration must not follow later
# edits of ``accountability.services.templates``).
CRITERIA = (
    ("Quota attainment", "attainment", "40", ("70", "90", "110", "130"),
     "Achieved ÷ quota over the quarter's months."),
    ("Pace", "pace", "10", ("80", "95", "105", "120"),
     "Achieved ÷ what the daily targets expected by the period's end."),
    ("Selling time", "selling_ratio", "20", ("70", "80", "90", "95"),
     "Selling minutes ÷ all logged minutes; the organisation's target is the bar to meet."),
    ("Selling activities", "activity_count", "10", ("150", "250", "350", "450"),
     "Calls, emails, meetings, demos and proposals logged in the quarter."),
    ("Action items done on time", "action_items_on_time", "10", ("50", "70", "85", "100"),
     "Share of the action items due in the period done by their date."),
    ("Account planning", "manual", "10", (None, None, None, None),
     "The reviewer's judgement of account plans and pipeline hygiene, discussed in the review."),
)  # fmt: skip


def add_default_template(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    ReviewTemplate = apps.get_model("accountability", "ReviewTemplate")
    Criterion = apps.get_model("accountability", "Criterion")
    with_template = set(ReviewTemplate.objects.values_list("tenant_id", flat=True))
    for tenant_id in Tenant.objects.exclude(pk__in=with_template).values_list("pk", flat=True):
        template = ReviewTemplate.objects.create(
            tenant_id=tenant_id,
            name="Sales performance",
            cadence="quarterly",
            effective_from=dt.date(1970, 1, 1),
        )
        Criterion.objects.bulk_create(
            Criterion(
                tenant_id=tenant_id,
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
            for position, (label, metric, weight, thresholds, guidance) in enumerate(CRITERIA)
        )


class Migration(migrations.Migration):
    dependencies = [("accountability", "0001_initial")]

    operations = [migrations.RunPython(add_default_template, migrations.RunPython.noop)]
