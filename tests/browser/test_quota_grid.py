"""A manager sets the team's quotas in the grid as in a spreadsheet — types, pastes a block
copied from one, sees the totals follow — and publishes them; the rep is notified, sees
today's target on "My quota" and acknowledges it (DESIGN 1's manager and rep journeys).

The grid judges achievability in the browser while the manager types; the last test
holds the script's figures to the server's (``quotas.rules``) cell by cell.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from quotas import rules
from quotas.models import Quota, QuotaTarget
from quotas.selectors.grid import fiscal_months, fiscal_year_of, quota_grid, tenant_calendar
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role

from ..factories import (
    PASSWORD,
    HolidayFactory,
    MembershipFactory,
    TenantFactory,
    TimeOffFactory,
    UserFactory,
)
from ..quotas.test_grid_views import make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = Axe().axe_script
PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)

# A block as a spreadsheet puts it on the clipboard: tab-separated cells, one line per row.
PASTED = "1,000.00\t2000\t3000\r\n4000\t5000\t6000\r\n"


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def paste(page: Page, selector: str, text: str) -> None:
    """Paste ``text`` into the input at ``selector`` as the browser does from the clipboard."""
    page.locator(selector).focus()
    page.locator(selector).evaluate(
        """(input, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            input.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true,
            }));
        }""",
        text,
    )


@pytest.fixture
def team():
    tenant = TenantFactory(slug="acme", name="Acme Ltd")
    admin = MembershipFactory(
        tenant=tenant, role=Role.ADMIN, user=UserFactory(email="admin@acme.test", name="Ada Admin")
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
    # Alex sold 9,000 over the last 90 days; Bea nothing (a quota is a stretch for her).
    make_sale(alex, Decimal("9000.00"), today - dt.timedelta(days=10))
    months = fiscal_months(tenant, fiscal_year_of(tenant, today))
    return {
        "tenant": tenant,
        "manager": manager,
        "alex": alex,
        "bea": bea,
        "months": months,
    }


def cell(member, month: dt.date) -> str:
    """The input of a member's month."""
    return f'td[data-key="{member.pk}:{month:%Y-%m}"] input.grid-input'


def test_a_manager_types_and_pastes_quotas_and_publishes_them_the_rep_acknowledges(
    page: Page, browser, live_server, team
):
    alex, bea, months = team["alex"], team["bea"], team["months"]
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, team["manager"].user.email)
    page.get_by_role("link", name="Quotas").click()
    expect(page.get_by_role("heading", name="Quotas", level=1)).to_be_visible()
    status = page.locator("#grid-status")

    # Typing: the row total follows each keystroke; Tab saves and moves right.
    page.locator(cell(alex, months[0])).click()
    page.keyboard.type("12000")
    expect(page.locator(f"#row-{alex.pk} [data-total-value]")).to_have_text("12,000.00")
    page.keyboard.press("Tab")
    expect(page.locator(cell(alex, months[1]))).to_be_focused()
    expect(status).to_have_text("Saved 1 cell.")
    expect(page.locator(cell(alex, months[0]))).to_have_value("12000.00")

    # Enter saves and moves down; the arrow keys move too.
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(page.locator(cell(bea, months[1]))).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator(cell(alex, months[1]))).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator(cell(alex, months[2]))).to_be_focused()
    expect(status).to_have_text("Saved 1 cell.")

    # A block pasted from a spreadsheet fills the cells it covers and saves them at once.
    paste(page, cell(alex, months[2]), PASTED)
    expect(status).to_have_text("Saved 6 cells.")
    expect(page.locator(cell(alex, months[2]))).to_have_value("1000.00")
    expect(page.locator(cell(bea, months[4]))).to_have_value("6000.00")
    expect(page.locator(f"#row-{alex.pk} [data-total-value]")).to_have_text("18,500.00")
    expect(page.locator(f"#row-{bea.pk} [data-total-value]")).to_have_text("15,000.00")
    expect(page.locator('[data-column-total="2"]')).to_have_text("5,000.00")
    expect(page.locator("tfoot [data-grid-grand]")).to_have_text("33,500.00")
    # The manager's own row shows their team's number beside what is allocated.
    own = page.locator(f"#row-{team['manager'].pk}")
    expect(own.locator("[data-allocated-total]")).to_have_text("33,500.00")

    # Bad input is refused inline and changes nothing.
    page.locator(cell(bea, months[0])).click()
    page.keyboard.type("-5")
    page.keyboard.press("Enter")
    expect(page.locator(f'td[data-key="{bea.pk}:{months[0]:%Y-%m}"] .grid-note')).to_have_text(
        "Enter an amount of 0 or more."
    )
    page.keyboard.press("ArrowUp")
    page.locator(cell(bea, months[0])).press("Escape")

    stored = {
        (q.member_id, q.month): q.amount for q in Quota.all_tenants.filter(tenant=team["tenant"])
    }
    assert stored[(alex.pk, months[0])] == Decimal("12000.00")
    assert stored[(bea.pk, months[4])] == Decimal("6000.00")
    assert (bea.pk, months[0]) not in stored
    assert len(stored) == 8

    # This month's quota, which the rep works to today (typed above if among those months).
    this_month = team["tenant"].today().replace(day=1)
    if this_month not in months[:5]:
        page.locator(cell(alex, this_month)).fill("4400")
        page.locator(cell(alex, this_month)).press("Enter")
        expect(status).to_have_text("Saved 1 cell.")

    # Publish every draft of the view: the reps are told.
    page.get_by_role("button", name=re.compile(r"Publish every draft")).click()
    expect(page.locator(".messages")).to_contain_text(
        re.compile(r"Published (8|9) quotas; 2 people were notified\.")
    )
    assert set(
        Quota.all_tenants.filter(tenant=team["tenant"]).values_list("status", flat=True)
    ) == {Quota.Status.PUBLISHED}

    # The rep follows the notification to "My quota", sees today's target and agrees.
    rep_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    rep_page = rep_context.new_page()
    try:
        log_in(rep_page, alex.user.email)
        rep_page.goto("/notifications/")
        rep_page.get_by_role("link", name=re.compile(r"Your quotas for .* are published")).click()
        expect(rep_page).to_have_url(re.compile(r"/quotas/mine/"))
        quota = Quota.all_tenants.get(member=alex, month=this_month)
        today = team["tenant"].today()
        target = QuotaTarget.all_tenants.filter(quota=quota, granularity="day", start=today)
        shown = rep_page.locator("[data-today-target]")
        if target.exists():
            expect(shown).to_have_text(re.compile(f"{target.get().amount:,.2f}"))
        else:  # A weekend or a holiday: not one of the rep's capacity days.
            expect(rep_page.get_by_text("No target today")).to_be_visible()
        rep_page.get_by_role("button", name="Acknowledge quota").first.click()
        expect(
            rep_page.get_by_text(re.compile("You acknowledged this quota")).first
        ).to_be_visible()
        quota.refresh_from_db()
        assert quota.status == Quota.Status.ACKNOWLEDGED
        assert quota.acknowledged_by == alex.user
    finally:
        rep_context.close()


def test_the_script_judges_achievability_exactly_as_the_server(page: Page, team):
    tenant, alex, bea, months = team["tenant"], team["alex"], team["bea"], team["months"]
    for month, amount in zip(months, ["6000.00", "150.00", "8800.00", "0.00"], strict=False):
        Quota.all_tenants.create(
            tenant=tenant, member=alex, month=month, metric="revenue", amount=Decimal(amount)
        )
    # Every input of the rule at once on Bea: a ramp, time off that prorates, a holiday,
    # weekday weights, and a first day in the middle of a month.
    tenant.prorate_time_off = True
    tenant.weekday_weights = ["1", "1", "1", "1", "0.5", "0", "0"]
    tenant.save()
    Membership.all_tenants.filter(pk=bea.pk).update(start_date=months[1] + dt.timedelta(days=9))
    make_sale(bea, Decimal("3333.33"), tenant.today() - dt.timedelta(days=2))
    HolidayFactory(tenant=tenant, date=months[2] + dt.timedelta(days=14))
    TimeOffFactory(
        member=bea, start=months[3] + dt.timedelta(days=3), end=months[3] + dt.timedelta(days=12)
    )
    for month, amount, ramp in [
        (months[1], "4000.00", "100"),
        (months[2], "7777.77", "50"),
        (months[3], "5000.00", "33.33"),
        (months[4], "12.34", "100"),
    ]:
        Quota.all_tenants.create(
            tenant=tenant,
            member=bea,
            month=month,
            metric="revenue",
            amount=Decimal(amount),
            ramp_pct=Decimal(ramp),
        )
    with tenant_context(tenant):
        expected = {
            cell.key: cell
            for row in quota_grid(
                tenant=tenant, viewer=team["manager"], year=months[0].year, metric="revenue"
            ).rows
            for cell in row.cells
        }
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, team["manager"].user.email)
    page.goto("/quotas/grid/")
    # On the page as loaded, every cell's effective amount, flag and ratio are the server's.
    judged = page.evaluate(
        """() => Array.from(document.querySelectorAll("td[data-key]")).map(td => ({
            key: td.dataset.key, script: window.quotaGrid.assess(td.dataset.key),
        }))"""
    )
    assert len(judged) == len(expected)
    for item in judged:
        server, script = expected[item["key"]], item["script"]
        assert script["flagged"] == server.flagged, item
        assert script["ratio"] == (None if server.ratio is None else str(server.ratio)), item
        if server.effective_amount is None:
            assert script["effective"] is None, item
        else:
            assert Decimal(script["effective"]) == server.effective_amount, item
    assert {cell.flagged for cell in expected.values()} == {True, False}
    assert expected[f"{bea.pk}:{months[3]:%Y-%m}"].effective_amount != Decimal("1666.50")

    # While typing, the script's figures match the rules for the same amounts and days.
    with tenant_context(tenant):
        grid = quota_grid(
            tenant=tenant, viewer=team["manager"], year=months[0].year, metric="revenue"
        )
        calendar = tenant_calendar(tenant=tenant, first=months[0], last=months[-1])
    time_off = {bea.pk: ((months[3] + dt.timedelta(days=3), months[3] + dt.timedelta(days=12)),)}
    for member, position in ((alex, 5), (bea, 3)):
        row = next(r for r in grid.rows if r.member_id == member.pk)
        target = row.cells[position]
        person = row.person
        for typed in ["1", "4500", "4500.01", "13091.50", "999999999.99", "0"]:
            page.locator(cell(member, target.month)).fill(typed)
            script = page.evaluate("key => window.quotaGrid.assess(key)", target.key)
            quota = rules.QuotaInput(
                "typed",
                target.month,
                "revenue",
                Decimal(typed),
                ramp_pct=target.ramp_pct,
                start_date=person.start_date,
                end_date=person.end_date,
                time_off=time_off.get(member.pk, ()),
            )
            effective = rules.rolldown([quota], calendar).quotas["effective_amount"].iloc[0]
            expected = rules.achievability(
                effective_amount=effective,
                capacity_days=target.capacity_days,
                trailing_achieved=row.trailing_achieved,
                trailing_capacity_days=row.trailing_capacity_days,
                multiple=tenant.achievability_multiple,
            )
            assert Decimal(script["effective"]) == effective, (member, typed)
            assert script["flagged"] == expected.flagged, (member, typed)
            ratio = None if expected.ratio is None else str(expected.ratio)
            assert script["ratio"] == ratio, (member, typed)
        page.locator(cell(member, target.month)).press("Escape")
    # Back as stored, the header's share of reps is the server's.
    expect(page.locator(".stat-value[data-grid-achievable]")).to_have_text(
        f"{grid.reps_achievable} of {grid.reps_counted}"
    )


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    violations = page.evaluate("() => axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:4]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_the_grid_is_accessible_with_flags_errors_and_a_stale_cell(page: Page, team, viewport):
    tenant, alex, bea, months = team["tenant"], team["alex"], team["bea"], team["months"]
    quota = Quota.all_tenants.create(
        tenant=tenant, member=alex, month=months[0], metric="revenue", amount=Decimal("9000")
    )
    lead = MembershipFactory(
        tenant=tenant, role=Role.MANAGER, manager=team["manager"], user=UserFactory(name="Lee")
    )
    MembershipFactory(tenant=tenant, manager=lead, user=UserFactory(name="Ray Rep"))
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    log_in(page, team["manager"].user.email)
    page.goto("/quotas/grid/")
    # Someone else changes Alex's first month meanwhile; the manager's edit is refused.
    Quota.all_tenants.filter(pk=quota.pk).update(amount=Decimal("9500"), version=2)
    page.locator(cell(alex, months[0])).fill("8000")
    page.locator(cell(alex, months[0])).press("Enter")
    note = page.locator(f'td[data-key="{alex.pk}:{months[0]:%Y-%m}"] .grid-note')
    expect(note).to_have_text("Changed by someone else: now 9,500.00. Yours (8000) was not saved.")
    expect(page.locator(cell(alex, months[0]))).to_have_value("9500.00")
    page.locator(cell(bea, months[1])).fill("abc")
    page.locator(cell(bea, months[1])).press("Enter")
    expect(page.locator(f'td[data-key="{bea.pk}:{months[1]:%Y-%m}"] .grid-note')).to_have_text(
        "Enter a number, e.g. 12500.00."
    )
    # Lee's team opens into Ray's row.
    toggle = page.get_by_role("button", name="Lee's team")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    ray = page.locator("tr", has_text="Ray Rep")
    expect(ray).to_be_hidden()
    toggle.click()
    expect(ray).to_be_visible()
    page.get_by_role("button", name="Close every team").click()
    expect(ray).to_be_hidden()
    expect(page.locator("tr", has_text="Alex Rep")).to_be_visible()
    page.get_by_role("button", name="Open every team").click()
    expect(ray).to_be_visible()
    assert axe_violations(page) == []
    # On a phone the grid scrolls sideways inside its own region, not the page.
    region = page.get_by_role("region", name=re.compile("Quota grid"))
    expect(region).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]


def test_fill_right_copies_a_cell_to_the_rest_of_its_row(page: Page, team):
    alex, bea, months = team["alex"], team["bea"], team["months"]
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, team["manager"].user.email)
    page.goto("/quotas/grid/")
    page.locator(cell(alex, months[9])).fill("700")
    page.locator(cell(alex, months[9])).press("Control+r")
    expect(page.locator("#grid-status")).to_have_text("Saved 3 cells.")
    expect(page.locator(f"#row-{alex.pk} [data-total-value]")).to_have_text("2,100.00")
    # The toolbar's button does the same for the cell last chosen.
    page.locator(cell(bea, months[10])).fill("5")
    page.get_by_role("button", name="Fill right").click()
    # Leaving the cell saved it already; the button saves the rest of its row.
    page.wait_for_function("() => window.quotaGrid.pending() === 0")
    expect(page.locator("#grid-status")).to_have_text(re.compile(r"^Saved \d cells?\.$"))
    expect(page.locator(f"#row-{bea.pk} [data-total-value]")).to_have_text("10.00")
    bea_quotas = Quota.all_tenants.filter(tenant=team["tenant"], member=bea)
    amounts = dict(bea_quotas.values_list("month", "amount"))
    assert amounts == {months[10]: Decimal("5.00"), months[11]: Decimal("5.00")}
