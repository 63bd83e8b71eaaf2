"""Give every existing organisation the default activity types (new ones get them when
they are created: ``activities.signals``)."""

from django.db import migrations

# The defaults as they were when this migration was written (a migration must not follow
# later edits of ``activities.models.DEFAULT_TYPES``).
DEFAULT_TYPES = (
    ("Call", "selling", 15),
    ("Email", "selling", 10),
    ("Meeting", "selling", 60),
    ("Demo", "selling", 45),
    ("Proposal", "selling", 60),
    ("Reporting", "non_selling", 30),
    ("Admin", "non_selling", 30),
    ("Internal meeting", "non_selling", 30),
    ("Training", "non_selling", 60),
    ("Travel", "non_selling", 60),
)


def add_default_types(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    ActivityType = apps.get_model("activities", "ActivityType")
    rows = []
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        taken = {
            name.lower()
            for name in ActivityType.objects.filter(tenant_id=tenant_id).values_list(
                "name", flat=True
            )
        }
        rows += [
            ActivityType(
                tenant_id=tenant_id,
                name=name,
                category=category,
                default_duration=minutes,
                position=position,
            )
            for position, (name, category, minutes) in enumerate(DEFAULT_TYPES)
            if name.lower() not in taken
        ]
    ActivityType.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("tenancy", "0006_achievability_multiple"),
    ]

    operations = [migrations.RunPython(add_default_types, migrations.RunPython.noop)]
