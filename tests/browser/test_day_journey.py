"""The rep's day in a real browser: three activities logged from the keyboard only, the
selling-time bar moving after each save without a reload, the encroachment warning before
saving on someone else's account; and the same page on a 390×844 phone, an activity logged
by touch, nothing wider than the screen and the buttons big enough for a finger."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from activities.models import Activity, ActivityType
from spm.tenancy.models import Role
from territories.models import Account

from ..activities.factories import ActivityFactory
from ..factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory
from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)
DAY = "/activities/day/"


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def rep():
    """A rep who works West (Home Goods Inc is theirs); Priya Raman owns Northeast, where
    Faraway Freight is."""
    tenant = TenantFactory(slug="acme", name="Acme Ltd")
    manager = MembershipFactory(tenant=tenant, role=Role.MANAGER, user=UserFactory(name="Mia"))
    rep = MembershipFactory(
        tenant=tenant, manager=manager, user=UserFactory(email="alex@acme.test", name="Alex Rep")
    )
    priya = MembershipFactory(tenant=tenant, user=UserFactory(name="Priya Raman"))
    west = TerritoryFactory(tenant=tenant, name="West")
    northeast = TerritoryFactory(tenant=tenant, name="Northeast")
    start = dt.date(2020, 1, 1)
    TerritoryMemberFactory(territory=west, member=rep, start_date=start)
    TerritoryMemberFactory(territory=northeast, member=priya, start_date=start)
    AccountFactory(tenant=tenant, name="Home Goods Inc", territory=west)
    AccountFactory(tenant=tenant, name="Faraway Freight", territory=northeast)
    return rep


def selling_pct(page: Page):
    return expect(page.locator("#day-bar [data-selling-pct]"))


def saved(page: Page, message: str) -> None:
    """Wait for the answer to a save: the new form in place and ready for keys."""
    expect(page.locator("#log-card .log-saved")).to_have_text(message)
    expect(page.locator("[data-log-form][data-ready]")).to_have_count(1)


def test_a_rep_logs_three_activities_from_the_keyboard_and_the_bar_moves(page: Page, rep):
    log_in(page, "alex@acme.test")
    page.goto(DAY)
    page.wait_for_load_state("networkidle")
    selling_pct(page).to_have_attribute("data-selling-pct", "")
    details = page.locator("[data-log-details]")
    expect(details).to_be_hidden()  # Closed until a type is picked.

    # 1: a call (the first type): its default minutes are typed over, Enter saves.
    page.keyboard.press("1")
    minutes = page.get_by_label("Minutes", exact=True)
    expect(minutes).to_be_focused()
    expect(minutes).to_have_value("15")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    saved(page, "Logged call, 30 min.")
    selling_pct(page).to_have_attribute("data-selling-pct", "100.0")
    expect(page.locator("#day-bar")).to_contain_text("30 min logged")

    # 2: reporting (the sixth type, not selling) with its default 30 minutes.
    page.keyboard.press("6")
    expect(page.get_by_label("Minutes", exact=True)).to_have_value("30")
    page.keyboard.press("Enter")
    saved(page, "Logged reporting, 30 min.")
    selling_pct(page).to_have_attribute("data-selling-pct", "50.0")

    # Esc closes the form; n opens it again on the type buttons.
    page.keyboard.press("4")
    expect(details).to_be_visible()
    expect(page.locator(".preset.is-default:visible")).to_have_text("45")  # Marked once.
    page.keyboard.press("Escape")
    expect(details).to_be_hidden()
    page.keyboard.press("n")
    expect(page.locator("input[name=type]:focus")).to_have_count(1)

    # 3: a demo (the fourth type, 45 minutes) on Faraway Freight, found by typing: the
    # form warns before saving that it is Priya's territory.
    page.keyboard.press("4")
    expect(page.get_by_label("Minutes", exact=True)).to_have_value("45")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Find an account")).to_be_focused()
    page.keyboard.type("Faraway")
    expect(page.locator("[data-encroachment-warning]")).to_have_text(
        "Northeast — owned by Priya Raman: this will show as encroachment"
    )
    page.keyboard.press("Enter")
    saved(page, "Logged demo, 45 min on Faraway Freight.")
    selling_pct(page).to_have_attribute("data-selling-pct", "71.4")  # 75 of 105 minutes.
    expect(page.locator("#day-bar")).to_contain_text("1 h 45 min logged")

    rows = page.locator("#day-list .day-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("Faraway Freight")
    expect(rows.nth(2)).to_contain_text("Northeast — owned by Priya Raman: shows as encroachment")
    assert [(a.type.name, a.duration_minutes) for a in Activity.all_tenants.order_by("pk")] == [
        ("Call", 30),
        ("Reporting", 30),
        ("Demo", 45),
    ]
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # No reload.


def test_on_a_phone_a_rep_logs_an_activity_by_touch_and_nothing_is_wider_than_the_screen(
    page: Page, rep
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alex@acme.test")
    page.goto(DAY)
    page.wait_for_load_state("networkidle")

    call = page.locator(".type-button", has_text="Call")
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    call.click()
    page.locator(".preset[data-minutes='60']").click()
    expect(page.get_by_label("Minutes", exact=True)).to_have_value("60")
    home = Account.all_tenants.get(name="Home Goods Inc")
    page.get_by_label("Account", exact=True).select_option(str(home.pk))
    expect(page.locator("[data-encroachment-warning]")).to_have_count(0)
    save = page.get_by_role("button", name="Save")
    assert save.bounding_box()["height"] >= 44
    save.click()

    selling_pct(page).to_have_attribute("data-selling-pct", "100.0")
    expect(page.locator("#day-list")).to_contain_text("Home Goods Inc")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(el => el.tagName + '.' + el.className)"""
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for button in page.locator(".day-row-actions .btn").all():
        assert button.bounding_box()["height"] >= 44

    # The row's edit form and the week fit the phone too.
    page.locator("#day-list").get_by_role("link", name="Edit").first.click()
    expect(page.locator("#day-list form")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_role("heading", name="My week")).to_be_visible()
    expect(page.locator(".week-day")).to_have_count(7)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_rep_changes_and_deletes_an_activity_in_its_row(page: Page, rep):
    call = ActivityType.all_tenants.get(tenant=rep.tenant, name="Call")
    reporting = ActivityType.all_tenants.get(tenant=rep.tenant, name="Reporting")
    today = rep.tenant.today()
    first = ActivityFactory(member=rep, type=call, date=today, duration_minutes=30)
    ActivityFactory(member=rep, type=reporting, date=today, duration_minutes=30)
    log_in(page, "alex@acme.test")
    page.goto(DAY)
    page.wait_for_load_state("networkidle")
    selling_pct(page).to_have_attribute("data-selling-pct", "50.0")

    row = page.locator(f"#activity-{first.pk}")
    row.get_by_role("link", name="Edit").click()
    minutes = row.get_by_label("Minutes")
    minutes.fill("90")
    row.get_by_label("Find an account").fill("Faraway")
    expect(row.locator("[data-encroachment-warning]")).to_contain_text("owned by Priya Raman")
    minutes.press("Enter")
    selling_pct(page).to_have_attribute("data-selling-pct", "75.0")  # 90 of 120 minutes.
    expect(row).to_contain_text("90 min")
    expect(row).to_contain_text("shows as encroachment")

    row.get_by_role("link", name="Delete").click()
    expect(row).to_contain_text("Delete call, 90 min on Faraway Freight?")
    row.get_by_role("link", name="Keep it").click()
    expect(row.get_by_role("link", name="Edit")).to_be_visible()
    row.get_by_role("link", name="Delete").click()
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(f"#activity-{first.pk}")).to_have_count(0)
    selling_pct(page).to_have_attribute("data-selling-pct", "0.0")
    assert not Activity.all_tenants.filter(pk=first.pk).exists()
