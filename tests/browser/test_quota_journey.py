"""The end of the quota journey in a real browser: the rep opens the app, sees today's target
on the home card and on "My quota", acknowledges the published quota in one click (no page
reload), and is shown the new figure instead when the manager changed it meanwhile; the
manager reads the team's attainment, sorts it and opens a rep's quota. axe finds no serious
or critical violation on these pages, with their charts, on a laptop and on a phone.

(``test_quota_grid.py`` drives the first half: the manager types, pastes and publishes.)
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from quotas.models import Quota, QuotaTarget
from quotas.services import quota_save, quotas_publish
from quotas.services.attainment import attainment_compute
from quotas.services.rolldown import quotas_roll_down
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory
from ..quotas.test_grid_views import make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = Axe().axe_script
PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    violations = page.evaluate("() => axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:4]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def world():
    """A manager, two reps and this month's published revenue quotas, with sales since
    the month began and over the last quarter; rolled down and computed."""
    tenant = TenantFactory(slug="acme", name="Acme Ltd")
    admin = MembershipFactory(
        tenant=tenant, role=Role.ADMIN, user=UserFactory(email="admin@acme.test", name="Ada")
    )
    manager = MembershipFactory(
        tenant=tenant,
        role=Role.MANAGER,
        manager=admin,
        user=UserFactory(email="manager@acme.test", name="Mia Manager"),
    )
    alex = MembershipFactory(
        tenant=tenant, manager=manager, user=UserFactory(email="alex@acme.test", name="Alex Rep")
    )
    bea = MembershipFactory(
        tenant=tenant, manager=manager, user=UserFactory(email="bea@acme.test", name="Bea Rep")
    )
    today = tenant.today()
    month = today.replace(day=1)
    for member, sold in ((alex, "9000.00"), (bea, "2500.00")):
        make_sale(member, Decimal(sold), month)
        make_sale(member, Decimal("15000.00"), today - dt.timedelta(days=40))
    with tenant_context(tenant):
        quotas = [
            quota_save(
                tenant=tenant,
                actor=manager,
                member=member,
                month=month,
                metric="revenue",
                amount=amount,
            )
            for member, amount in ((alex, "22000"), (bea, "18000"))
        ]
        quotas_publish(tenant=tenant, actor=manager, quota_ids=[q.pk for q in quotas])
        quotas_roll_down(tenant=tenant)
        attainment_compute(tenant=tenant, as_of=today)
    return {"tenant": tenant, "manager": manager, "alex": alex, "bea": bea, "quotas": quotas}


def todays_target(quota: Quota, today: dt.date) -> re.Pattern:
    """What the page shows as today's target: the stored one, or none on a day off."""
    target = QuotaTarget.all_tenants.filter(quota=quota, granularity="day", start=today).first()
    return re.compile(rf"^{target.amount:,.2f}$" if target else r"^(—|None today)$")


def test_the_rep_sees_todays_target_and_acknowledges_in_one_click(page: Page, world):
    tenant, alex = world["tenant"], world["alex"]
    quota = world["quotas"][0]
    today = tenant.today()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, alex.user.email)

    # The home page's card already says it.
    expect(page.locator("[data-card-today-target]")).to_have_text(todays_target(quota, today))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My quota").click()
    expect(page.get_by_role("heading", name="My quota", level=1)).to_be_visible()
    expect(page.locator("[data-today-target]")).to_have_text(todays_target(quota, today))
    expect(page.get_by_text("22,000.00").first).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Progress over the month"))).to_be_visible()

    # One click, answered in place (htmx): the page is not reloaded.
    page.evaluate("window.__stillHere = true")
    page.get_by_role("button", name="Acknowledge quota").click()
    expect(page.get_by_text("You acknowledged your")).to_be_visible()
    assert page.evaluate("window.__stillHere") is True
    expect(page.get_by_role("button", name="Acknowledge quota")).to_have_count(0)
    quota.refresh_from_db()
    assert quota.status == Quota.Status.ACKNOWLEDGED


def test_a_figure_changed_meanwhile_is_shown_before_it_is_agreed_to(page: Page, world):
    tenant, alex, manager = world["tenant"], world["alex"], world["manager"]
    quota = world["quotas"][0]
    log_in(page, alex.user.email)
    page.goto("/quotas/mine/")

    with tenant_context(tenant):  # The manager raises it while the page is open.
        quota_save(
            tenant=tenant,
            actor=manager,
            member=alex,
            month=quota.month,
            metric="revenue",
            amount="24000",
        )
    page.get_by_role("button", name="Acknowledge quota").click()
    expect(page.get_by_role("alert")).to_contain_text("it is now 24,000.00")
    quota.refresh_from_db()
    assert quota.status == Quota.Status.PUBLISHED

    page.get_by_role("button", name="Acknowledge quota").click()  # Now the new figure.
    expect(page.get_by_text("You acknowledged your")).to_be_visible()
    quota.refresh_from_db()
    assert quota.status == Quota.Status.ACKNOWLEDGED and quota.version == 2


def test_the_manager_reads_sorts_and_opens_the_teams_quotas(page: Page, world):
    alex, bea = world["alex"], world["bea"]
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, world["manager"].user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team attainment").click()

    expect(page.get_by_role("heading", name="Team attainment", level=1)).to_be_visible()
    expect(page.locator("[data-headline]")).to_have_text(re.compile(r"%$"))
    table = page.locator("[data-team-table]")
    expect(table.locator("tbody tr")).to_have_count(2)
    table.get_by_role("link", name=re.compile("^Attainment")).click()  # Largest first.
    expect(table.locator("tbody tr").first).to_have_attribute("data-member", str(alex.pk))
    table.get_by_role("link", name=re.compile("^Attainment")).click()  # Then reversed.
    expect(table.locator("tbody tr").first).to_have_attribute("data-member", str(bea.pk))

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")

    table.get_by_role("link", name="Alex Rep").click()
    expect(page.get_by_role("heading", name=re.compile("Revenue quota"), level=1)).to_be_visible()
    expect(page.locator("[data-why]")).to_contain_text("22,000.00 × 100% ramp")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_quota_pages_have_no_serious_accessibility_violation(page: Page, world, viewport):
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    quota = world["quotas"][0]
    found = {}
    log_in(page, world["alex"].user.email)
    for path in ("/", "/quotas/mine/", f"/quotas/{quota.pk}/"):
        page.goto(path)
        page.locator("details.chart-table").evaluate_all("all => all.forEach(d => d.open = true)")
        found[f"rep {path}"] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.context.clear_cookies()
    log_in(page, world["manager"].user.email)
    for path in ("/", "/quotas/team/", "/quotas/encroachment/", f"/quotas/{quota.pk}/"):
        page.goto(path)
        page.locator("details.chart-table").evaluate_all("all => all.forEach(d => d.open = true)")
        found[f"manager {path}"] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    assert {where: problems for where, problems in found.items() if problems} == {}
