"""The demo organisation: believable territories and accounts, and idempotent seeding.

The core seeds the people and the calendar and runs every app's registered seed step
(``spm.plugins.seed_steps``); territories' step builds the tree, accounts and rules.
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from spm import plugins
from spm.calendars.models import Holiday, TimeOff
from spm.demo.seed import SeededOrg
from spm.notifications.models import Notification
from spm.plugins import SeedStep
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent, Membership, Role, Tenant
from spm.users.models import User
from territories import demo
from territories.models import (
    Account,
    AccountAssignment,
    AssignmentRule,
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from territories.selectors import active_territory_members, territory_depths
from territories.services import assignment_rules_preview

PASSWORD = "demo-password-1"
LEAVES = {
    "Northeast": {"US"},
    "Southeast": {"US"},
    "Great Lakes": {"US"},
    "Pacific Northwest": {"US"},
    "California": {"US"},
    "Mountain": {"US"},
    "UK & Ireland": {"GB", "IE"},
    "DACH": {"DE", "AT", "CH"},
}
MODELS = [
    Tenant, User, Membership, Holiday, TimeOff, Territory, TerritoryMember, AssignmentRule,
    Account, AccountAssignment, Notification, AuditEvent,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {
        model.__name__: getattr(model, "all_tenants", model.objects).count() for model in MODELS
    }


@pytest.fixture
def seeded(db, capsys):
    call_command("seed_demo", "--password", PASSWORD)
    output = capsys.readouterr().out
    tenant = Tenant.objects.get(slug="acme")
    return tenant, output


def test_seeding_twice_changes_nothing(seeded, capsys):
    first = counts()
    call_command("seed_demo", "--password", PASSWORD)
    assert counts() == first
    assert first["Account"] >= 390


def test_it_prints_the_logins(seeded):
    _, output = seeded
    assert "admin@acme.example" in output
    assert "manager1@acme.example" in output
    assert "rep12@acme.example" in output
    assert PASSWORD in output


def test_the_territory_tree_has_regions_with_territories_and_one_owner_each(seeded):
    tenant, _ = seeded
    with tenant_context(tenant):
        territories = {t.name: t for t in Territory.objects.filter(tenant=tenant)}
        depths = territory_depths(tenant=tenant)
        regions = {name for name, t in territories.items() if t.parent_id is None}
        owners = Counter(
            link.territory.name
            for link in active_territory_members(tenant=tenant, on=tenant.today())
            if link.role == TerritoryRole.OWNER
        )
        overlays = TerritoryMember.objects.filter(tenant=tenant, role=TerritoryRole.OVERLAY)
        overlay_roles = {link.member.role for link in overlays.select_related("member")}
    assert regions == {"North America — East", "North America — West", "EMEA"}
    assert set(territories) - regions == set(LEAVES)
    assert all(depths[territories[name].pk] == 1 for name in LEAVES)
    assert owners == dict.fromkeys(LEAVES, 1)
    assert Role.MANAGER in overlay_roles


def test_accounts_look_real_and_sit_in_a_territory_of_their_country(seeded):
    tenant, _ = seeded
    with tenant_context(tenant):
        accounts = list(Account.objects.filter(tenant=tenant).select_related("territory"))
    assert 390 <= len(accounts) <= 420
    assert len({a.name for a in accounts}) == len(accounts)
    assert {a.external_id for a in accounts} >= {"ACC-00001", "ACC-00400"}
    assert {a.industry for a in accounts} == {
        "Software", "Manufacturing", "Healthcare", "Retail", "Financial Services",
        "Logistics", "Education", "Energy",
    }  # fmt: skip
    for account in accounts:
        assert Decimal("20000") <= account.annual_potential <= Decimal("2000000")
        assert account.annual_potential % 100 == 0
        assert account.postal_code and account.region
        if account.territory_id:
            assert account.country in LEAVES[account.territory.name]
    assert any(a.name.endswith("GmbH") for a in accounts)


def test_the_rules_place_most_accounts_and_leave_a_few_for_the_admin(seeded):
    tenant, _ = seeded
    with tenant_context(tenant):
        total = Account.objects.filter(tenant=tenant).count()
        unassigned = Account.objects.filter(tenant=tenant, territory__isnull=True)
        plan = assignment_rules_preview(tenant=tenant)
        placed_by_rules = AccountAssignment.objects.filter(
            tenant=tenant, source=AccountAssignment.Source.RULES
        ).count()
        unassigned_countries = set(unassigned.values_list("country", flat=True))
    assert placed_by_rules == total - unassigned.count()
    assert placed_by_rules >= 0.9 * total
    assert 3 <= unassigned.count() <= 20
    assert plan.moves == []  # Applying the rules again would move nothing…
    assert plan.conflicts  # …but some accounts are claimed by two territories.
    assert {"FR", "NL", "CA"} <= unassigned_countries


def test_owners_were_told_about_their_territories_and_accounts(seeded):
    tenant, _ = seeded
    rep1 = Membership.all_tenants.get(tenant=tenant, user__email="rep1@acme.example")
    kinds = set(Notification.all_tenants.filter(recipient=rep1).values_list("kind", flat=True))
    assert {"territory.added", "accounts.moved_in"} <= kinds


# --- The harness and its seed steps -----------------------------------------------


def test_territories_registers_its_seed_step():
    steps = [step for step in plugins.seed_steps if step.app_label == "territories"]
    assert steps == [SeedStep("territories", demo.seed_territories)]


@pytest.fixture
def fake_step():
    """A seed step registered for one test, recording what the harness gives it."""
    calls: list[dict] = []

    def run(*, org: SeededOrg) -> None:
        calls.append(
            {
                "org": org,
                # Scoped managers answer only inside the tenant's scope.
                "members": Membership.objects.filter(tenant=org.tenant).count(),
                "accounts": Account.objects.filter(tenant=org.tenant).count(),
                "in_transaction": connection.in_atomic_block,
            }
        )

    step = plugins.seed_steps.register(SeedStep("fake", run))
    try:
        yield calls
    finally:
        plugins.seed_steps.unregister(step)


def test_seed_demo_runs_every_registered_step_after_the_people_and_the_apps_before_it(
    db, fake_step
):
    call_command("seed_demo", "--password", PASSWORD)
    [call] = fake_step
    org = call["org"]
    assert org.tenant.slug == "acme"
    assert org.admin.user.email == "admin@acme.example"
    assert [m.user.email for m in org.managers] == [
        "manager1@acme.example",
        "manager2@acme.example",
    ]
    assert [m.user.email for m in org.reps] == [f"rep{n}@acme.example" for n in range(1, 13)]
    assert org.people["rep7"] == org.reps[6]
    assert call["members"] == 15
    assert call["accounts"] >= 390  # Territories' step, registered earlier, ran first.
    assert call["in_transaction"]


def test_a_failing_seed_step_leaves_nothing_behind(db):
    def fail(*, org: SeededOrg) -> None:
        raise RuntimeError("the demo step broke")

    step = plugins.seed_steps.register(SeedStep("broken", fail))
    try:
        with pytest.raises(RuntimeError):
            call_command("seed_demo", "--password", PASSWORD)
    finally:
        plugins.seed_steps.unregister(step)
    assert not Tenant.objects.filter(slug="acme").exists()
    assert not Account.all_tenants.exists()
    assert not User.objects.filter(email__endswith="@acme.example").exists()
