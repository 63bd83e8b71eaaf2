"""``rolldown_quotas`` and ``compute_attainment``: the same services, run now, per
organisation or for all of them, printing what they did."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quotas.models import AttainmentSnapshot, Metric, QuotaTarget

from .compute_factories import attainment_of, stored_targets
from .factories import QuotaFactory, SaleFactory

MARCH = dt.date(2026, 3, 1)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_rolldown_quotas_rolls_down_one_organisation_and_says_how_much(org, other):
    ours = QuotaFactory(member=org.rep, month=MARCH, amount=Decimal("2200.00"))
    theirs = QuotaFactory(member=other.rep, month=MARCH)

    output = run("rolldown_quotas", "--tenant", "acme")

    assert output == (
        "acme: 1 quota rolled down (22 daily and 5 weekly targets, 0 without capacity); "
        "attainment of 1 quota recomputed.\n"
    )
    assert QuotaTarget.all_tenants.filter(quota=ours).count() == 27
    assert not QuotaTarget.all_tenants.filter(quota=theirs).exists()
    assert attainment_of(ours) is not None


def test_rolldown_quotas_without_a_tenant_does_every_active_organisation_idempotently(org, other):
    quotas = [
        QuotaFactory(member=org.rep, month=MARCH),
        QuotaFactory(member=other.rep, month=MARCH),
    ]
    dormant = QuotaFactory(member__tenant__slug="dormant", month=MARCH)
    dormant.tenant.is_active = False
    dormant.tenant.save()

    output = run("rolldown_quotas")
    first = stored_targets([q.pk for q in quotas])
    run("rolldown_quotas")

    assert [line.split(":")[0] for line in output.splitlines()] == ["acme", "globex"]
    assert stored_targets([q.pk for q in quotas]) == first
    assert not QuotaTarget.all_tenants.filter(quota=dormant).exists()


def test_compute_attainment_as_of_a_date_computes_that_month(org):
    march = QuotaFactory(member=org.rep, month=MARCH, amount=Decimal("2200.00"))
    QuotaFactory(member=org.rep, month=MARCH, metric=Metric.ACTIVITIES)
    SaleFactory(member=org.rep, closed_on=dt.date(2026, 3, 3), amount=Decimal("330.00"))
    run("rolldown_quotas", "--tenant", "acme")

    output = run("compute_attainment", "--tenant", "acme", "--as-of", "2026-03-16")

    assert output == (
        "acme: attainment of 1 quota as of 2026-03-16 (1 snapshot, 0 notified); "
        "1 skipped, no data source for activities.\n"
    )
    row = attainment_of(march)
    assert (row.achieved, row.expected_to_date, row.pace_pct) == (
        Decimal("330.00"),
        Decimal("1100.00"),
        Decimal("30.00"),
    )
    assert AttainmentSnapshot.all_tenants.filter(quota=march, day=dt.date(2026, 3, 16)).exists()


def test_compute_attainment_defaults_to_each_organisations_today(org, other):
    output = run("compute_attainment")
    assert f"acme: attainment of 0 quotas as of {org.tenant.today().isoformat()}" in output
    assert "globex: " in output


@pytest.mark.parametrize(
    "args",
    [
        ["rolldown_quotas", "--tenant", "nobody"],
        ["compute_attainment", "--tenant", "nobody"],
        ["compute_attainment", "--as-of", "16/03/2026"],
        ["compute_attainment", "--as-of", "2200-01-01"],
    ],
)
def test_a_bad_argument_is_a_clear_error(db, args):
    with pytest.raises(CommandError):
        run(*args)
