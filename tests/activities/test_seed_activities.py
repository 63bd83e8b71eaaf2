"""``seed_demo`` gives the demo organisation three months of logged days (reps differ in
selling ratio, a few below target, some encroachment), an activities quota for a few
reps and today's plans; running it again adds nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum

from activities.models import Activity, Category, PlanTask
from quotas.models import Attainment, Metric, Quota
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant
from territories.models import TerritoryMember

TENANT = "initech"


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--password", "demo-password-1", "--tenant", TENANT)
    tenant = Tenant.objects.get(slug=TENANT)
    with tenant_context(tenant):
        yield tenant


def ratios(tenant) -> dict[str, float]:
    rows = (
        Activity.objects.filter(tenant=tenant)
        .values("member__user__email")
        .annotate(
            total=Sum("duration_minutes"),
            selling=Sum("duration_minutes", filter=Q(type__category=Category.SELLING)),
        )
    )
    return {r["member__user__email"].split("@")[0]: r["selling"] / r["total"] for r in rows}


def test_three_months_of_days_for_every_rep_and_manager(seeded):
    today = seeded.today()
    members = Membership.objects.filter(tenant=seeded, role__in=[Role.REP, Role.MANAGER])
    logged = Activity.objects.filter(tenant=seeded)
    assert set(logged.values_list("member_id", flat=True)) == set(
        members.values_list("pk", flat=True)
    )
    first = logged.order_by("date").values_list("date", flat=True)[0]
    assert today - dt.timedelta(days=95) <= first <= today - dt.timedelta(days=85)
    assert not logged.filter(date__gt=today).exists()
    # No day holds more than 24 hours, and a full day is about a working day.
    days = logged.values("member_id", "date").annotate(total=Sum("duration_minutes"))
    assert max(day["total"] for day in days) <= 9 * 60


def test_reps_differ_in_selling_ratio_and_a_few_are_below_target(seeded):
    shares = ratios(seeded)
    target = float(seeded.selling_target_pct) / 100
    below = {login for login, share in shares.items() if share < target}
    assert {"rep8", "rep10", "manager1"} <= below
    assert {"rep1", "rep2", "rep5"}.isdisjoint(below)
    assert max(shares.values()) - min(shares.values()) > 0.2


def test_some_selling_activities_are_on_another_territorys_account(seeded):
    territories = {}
    for member_id, territory_id in TerritoryMember.objects.filter(tenant=seeded).values_list(
        "member_id", "territory_id"
    ):
        territories.setdefault(member_id, set()).add(territory_id)
    on_accounts = Activity.objects.filter(tenant=seeded, account__isnull=False).values_list(
        "member_id", "account__territory_id"
    )
    outside = [m for m, t in on_accounts if m in territories and t not in territories[m]]
    assert 0 < len(outside) < 0.1 * len(on_accounts)


def test_a_few_reps_have_an_activities_quota_with_attainment(seeded):
    quotas = Quota.objects.filter(tenant=seeded, metric=Metric.ACTIVITIES)
    assert quotas.count() == 3
    assert Attainment.objects.filter(quota__in=quotas, achieved__gt=0).count() == 3


def test_every_rep_has_a_plan_for_today(seeded):
    reps = Membership.objects.filter(tenant=seeded, role=Role.REP)
    planned = set(
        PlanTask.objects.filter(tenant=seeded, date=seeded.today()).values_list(
            "member_id", flat=True
        )
    )
    with_territory = set(
        TerritoryMember.objects.filter(tenant=seeded).values_list("member_id", flat=True)
    )
    assert set(reps.values_list("pk", flat=True)) & with_territory <= planned


def test_seeding_again_adds_nothing(seeded):
    before = (Activity.all_tenants.count(), PlanTask.all_tenants.count(), Quota.all_tenants.count())
    call_command("seed_demo", "--password", "demo-password-1", "--tenant", TENANT)
    assert (
        Activity.all_tenants.count(),
        PlanTask.all_tenants.count(),
        Quota.all_tenants.count(),
    ) == before
