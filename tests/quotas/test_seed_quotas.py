"""``seed_demo`` builds a year of quotas and sales, rolled down and computed, so that every
quota page is alive on first start; running it again adds nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.urls import reverse

from activities.models import Activity
from quotas.models import (
    Attainment,
    AttainmentSnapshot,
    Metric,
    Quota,
    QuotaChange,
    QuotaTarget,
    Sale,
)
from quotas.rules import month_bounds
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent, Membership, Tenant

from ..conftest import login

PASSWORD = "demo-password-1"
MODELS = [
    Quota, QuotaTarget, QuotaChange, Sale, Attainment, AttainmentSnapshot, Notification,
    AuditEvent,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model.all_tenants.count() for model in MODELS}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--password", PASSWORD, "--tenant", "initech")
    tenant = Tenant.objects.get(slug="initech")
    people = {
        member.user.email.split("@")[0]: member
        for member in Membership.all_tenants.filter(tenant=tenant).select_related("user")
    }
    return tenant, people


def test_seeding_twice_adds_no_quota_sale_or_figure(seeded):
    first = counts()
    call_command("seed_demo", "--password", PASSWORD, "--tenant", "initech")
    assert counts() == first
    assert first["Quota"] >= 150 and first["Sale"] >= 400


def test_every_rep_and_manager_has_a_published_rolled_down_quota_this_month(seeded):
    tenant, people = seeded
    month = tenant.today().replace(day=1)
    with tenant_context(tenant):
        quotas = Quota.objects.filter(tenant=tenant, month=month, metric=Metric.REVENUE)
        owners = set(quotas.values_list("member__user__email", flat=True))
        assert {f"{key}@initech.example" for key in people if key != "admin"} <= owners
        assert not quotas.filter(status=Quota.Status.DRAFT).exists()
        # Some still to acknowledge (the button), some acknowledged.
        assert quotas.filter(status=Quota.Status.PUBLISHED).exists()
        assert quotas.filter(status=Quota.Status.ACKNOWLEDGED).exists()
        assert not Quota.objects.filter(rolled_down_version__lt=F("version")).exists()
        assert Quota.objects.filter(metric=Metric.DEALS).exists()
        # A manager's quota is the team's number: the sum of their tree's.
        head = quotas.get(member=people["manager1"])
        reps = quotas.filter(member__role="rep").aggregate(total=Sum("effective_amount"))
        assert abs(head.amount - reps["total"]) <= 1000


def test_the_recent_joiners_are_prorated_and_ramping(seeded):
    tenant, people = seeded
    with tenant_context(tenant):
        for key in ("rep11", "rep12"):
            joiner = people[key]
            first = Quota.objects.get(
                member=joiner, month=joiner.start_date.replace(day=1), metric=Metric.REVENUE
            )
            assert first.ramp_pct == Decimal("50")
            assert first.effective_amount < first.amount * Decimal("0.5")  # Prorated too.
            assert not Quota.objects.filter(member=joiner, month__lt=first.month).exists()


def test_the_spread_runs_from_well_above_to_far_below(seeded):
    tenant, people = seeded
    last_month = (tenant.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with tenant_context(tenant):
        figures = {
            row.quota.member.user.email.split("@")[0]: row.attainment_pct
            for row in Attainment.objects.filter(
                tenant=tenant, quota__month__lte=last_month, quota__metric=Metric.REVENUE
            ).select_related("quota__member__user")
        }
        year = {}
        for key in ("rep1", "rep8"):
            member = people[key]
            achieved = Sale.objects.filter(member=member).aggregate(total=Sum("amount"))["total"]
            quota = Quota.objects.filter(
                member=member, metric=Metric.REVENUE, month__lte=tenant.today()
            ).aggregate(total=Sum("effective_amount"))["total"]
            year[key] = achieved / quota
        assert year["rep1"] > Decimal("1.15") and year["rep8"] < Decimal("0.7")
        assert figures  # Every month gone by has its final figures…
        month_end = month_bounds(last_month)[1]
        assert AttainmentSnapshot.objects.filter(day=month_end).exists()  # …and snapshots.
        assert AttainmentSnapshot.objects.filter(day=tenant.today()).exists()


def test_the_quota_pages_are_alive_on_the_seeded_organisation(seeded, client):
    tenant, people = seeded
    rep, manager, admin = people["rep1"], people["manager1"], people["admin"]

    login(client, rep)
    mine = client.get(reverse("quotas:mine"))
    assert mine.status_code == 200 and mine.context["summary"].quotas
    assert mine.context["summary"].primary.achieved is not None
    with tenant_context(tenant):
        own = Quota.objects.filter(member=rep).first()
    assert client.get(reverse("quotas:detail", args=[own.pk])).status_code == 200
    assert "card-my-quota" in client.get(reverse("home")).content.decode()

    login(client, manager)
    team = client.get(reverse("quotas:team"))
    assert team.status_code == 200
    assert len(team.context["rows"]) >= 12 and team.context["team"].reps >= 12
    assert team.context["team"].pace_series
    assert client.get(reverse("quotas:team_xlsx")).status_code == 200
    months = [
        f"{tenant.today().replace(day=1) - dt.timedelta(days=31 * n):%Y-%m}" for n in range(12)
    ]
    listed = sum(
        client.get(reverse("quotas:encroachment"), {"month": month}).context["total"]
        for month in months
    )
    with tenant_context(tenant):
        # A few of the sales and selling activities on accounts, not most.
        on_accounts = Sale.objects.count() + Activity.objects.filter(account__isnull=False).count()
        assert 0 < listed < on_accounts / 5

    login(client, admin)
    everyone = client.get(reverse("quotas:team"))
    assert everyone.context["team"].manager is None and len(everyone.context["rows"]) >= 14
