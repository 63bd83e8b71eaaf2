"""Note on every existing organisation the metrics its quotas are set on
(``Tenant.quota_metrics``; from now on ``quotas.services`` adds each with its first quota)."""

from collections import defaultdict

from django.db import migrations


def note_quota_metrics(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Quota = apps.get_model("quotas", "Quota")
    metrics = defaultdict(set)
    pairs = Quota.objects.order_by().values_list("tenant_id", "metric").distinct()
    for tenant_id, metric in pairs:
        metrics[tenant_id].add(metric)
    for tenant_id, used in metrics.items():
        Tenant.objects.filter(pk=tenant_id).update(quota_metrics=sorted(used))


class Migration(migrations.Migration):
    dependencies = [
        ("quotas", "0001_initial"),
        ("tenancy", "0007_quota_metrics"),
    ]

    operations = [migrations.RunPython(note_quota_metrics, migrations.RunPython.noop)]
