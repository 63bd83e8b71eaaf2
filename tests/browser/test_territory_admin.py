"""An admin assigns accounts to a territory in the Django admin and finds them there."""

import re

import pytest
from playwright.sync_api import Page, expect

from spm.tenancy.models import Role
from territories.models import Account, AccountAssignment

from ..factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory
from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD_LABEL = re.compile(r"^Password:?$")


def test_an_admin_assigns_accounts_to_a_territory_and_sees_them_in_it(page: Page):
    tenant = TenantFactory(slug="acme", name="Acme Ltd")
    admin = MembershipFactory(
        tenant=tenant, role=Role.ADMIN, user=UserFactory(email="admin@acme.test", name="Ada Admin")
    )
    west = TerritoryFactory(tenant=tenant, name="West")
    coast = TerritoryFactory(tenant=tenant, name="West Coast", parent=west)
    TerritoryMemberFactory(territory=coast, member=MembershipFactory(tenant=tenant))
    acme = AccountFactory(tenant=tenant, name="Acme Tools")
    bolt = AccountFactory(tenant=tenant, name="Bolt Ltd")
    AccountFactory(tenant=tenant, name="Crane Co")
    foreign = AccountFactory(tenant=TenantFactory(slug="globex"), name="Globex Foreign")

    page.goto("/accounts/login/?next=/admin/territories/account/")
    page.get_by_label("Email").fill(admin.user.email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"log in|sign in", re.IGNORECASE)).click()

    expect(page).to_have_url(re.compile(r"/admin/territories/account/$"))
    expect(page.get_by_role("link", name="Crane Co")).to_be_visible()
    expect(page.get_by_text("Globex Foreign")).to_have_count(0)

    for account in (acme, bolt):
        page.locator(f'input.action-select[value="{account.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("assign_to_territory")
    page.get_by_role("button", name="Go").first.click()

    expect(page.get_by_role("heading", name="Assign accounts to a territory")).to_be_visible()
    expect(page.get_by_text("2 accounts")).to_be_visible()
    choices = page.get_by_label("Move to").locator("option").all_inner_texts()
    assert [choice.strip() for choice in choices] == [
        "Choose a territory…",
        "West",
        "West Coast",
        "— remove from territory —",
    ]
    page.get_by_label("Move to").select_option(str(coast.pk))
    expect(page.get_by_label("Effective date")).to_have_value(tenant.today().isoformat())
    page.get_by_role("button", name="Move accounts").click()

    expect(page).to_have_url(re.compile(r"/admin/territories/account/$"))
    expect(page.locator(".messagelist")).to_contain_text("2 accounts moved to West Coast.")

    page.goto("/admin/territories/territory/")
    row = page.locator("#result_list tbody tr", has_text="West Coast")
    row.get_by_role("link", name="2", exact=True).click()

    expect(page).to_have_url(re.compile(rf"\?territory={coast.pk}$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Acme Tools")).to_contain_text("West Coast")
    expect(rows.filter(has_text="Bolt Ltd")).to_contain_text("West Coast")

    placed = set(Account.all_tenants.filter(territory=coast).values_list("name", flat=True))
    assert placed == {"Acme Tools", "Bolt Ltd"}
    assert AccountAssignment.all_tenants.filter(to_territory=coast).count() == 2
    assert Account.all_tenants.get(pk=foreign.pk).territory_id is None
