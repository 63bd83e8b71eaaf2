"""The rep's morning in a real browser: "My plan" from the sidebar, Suggest fills the day
with the gap to today's target on top and the accounts worth contacting in rank order;
the rep reorders by keyboard (Alt+↓ on a focused task, the Move up button) and by drag and
drop, the order holds after a reload; "Complete and log" logs the activity with the chosen
type's default minutes in one click, in place, without a page reload. axe finds nothing
serious on the plan, on a laptop and on a phone, and the page is never wider than a phone.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from activities.models import Activity, PlanTask

from ..activities.plan_factories import book_for, revenue_target
from ..conftest import build_org
from ..factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = Axe().axe_script
PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)
# plan.js saving a new order (it answers 204).
SAVED = re.compile(r"/activities/plan/reorder/$")
RANKED = ["Contact Alder", "Contact Cedar", "Contact Birch", "Contact Dogwood", "Contact Elm"]


@pytest.fixture
def org():
    """acme's rep works a territory of five accounts (see ``book_for``) and has a revenue
    target of 1,250.00 today with 250.00 sold."""
    org = build_org("acme")
    org.tenant.currency = "USD"
    org.tenant.save(update_fields=["currency"])
    book_for(org)
    revenue_target(org, org.rep, target="1250.00", sold_today="250.00")
    return org


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_tasks(page: Page) -> list[str]:
    return [
        title.strip() for title in page.locator(".plan-list .plan-task-title").all_inner_texts()
    ]


def stored_order(org) -> list[str]:
    return list(
        PlanTask.all_tenants.filter(member=org.rep, kind="account")
        .order_by("position")
        .values_list("title", flat=True)
    )


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    violations = page.evaluate("() => axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:4]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def suggest(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My plan").click()
    expect(page.get_by_role("heading", name="My plan", level=1)).to_be_visible()
    page.get_by_role("button", name="Suggest").click()
    expect(page.get_by_text("5 accounts suggested.").first).to_be_visible()


def test_the_rep_reorders_the_suggested_plan_by_keyboard_and_by_drag_and_drop(page, org):
    page.set_viewport_size({"width": 1366, "height": 1600})  # The whole list in view.
    log_in(page, org.rep.user.email)
    suggest(page)

    expect(page.locator(".plan-gap")).to_contain_text(
        "Close $1,000.00 today to stay on your revenue target"
    )
    assert open_tasks(page) == RANKED

    # Alt+↓ on the focused first task moves it below the second; the focus stays on it.
    first = page.locator(".plan-task", has_text="Contact Alder")
    first.focus()
    with page.expect_response(SAVED):
        page.keyboard.press("Alt+ArrowDown")
    expect(page.locator(".plan-list .plan-task").nth(1)).to_contain_text("Contact Alder")
    expect(first).to_be_focused()
    expect(page.locator("[data-plan-live]")).to_contain_text("Contact Alder: position 2 of 5.")

    # The Move up button, pressed from the keyboard, moves Dogwood above Birch.
    move_up = page.get_by_role("button", name="Move up “Contact Dogwood”")
    move_up.focus()
    with page.expect_response(SAVED):
        page.keyboard.press("Enter")
    expect(page.locator(".plan-list .plan-task").nth(2)).to_contain_text("Contact Dogwood")

    # Drag and drop: Elm, the last, dropped on Cedar, the first, goes first.
    # Held by its title's corner (not a form control) and dropped on Cedar's: Chromium
    # ends a native drag on the second move over the target.
    elm = page.locator(".plan-task", has_text="Contact Elm")
    cedar = page.locator(".plan-task", has_text="Contact Cedar")
    elm.hover(position={"x": 12, "y": 12})
    page.mouse.down()
    cedar.hover(position={"x": 12, "y": 12})
    cedar.hover(position={"x": 16, "y": 14})
    with page.expect_response(SAVED):
        page.mouse.up()
    expected = [
        "Contact Elm",
        "Contact Cedar",
        "Contact Alder",
        "Contact Dogwood",
        "Contact Birch",
    ]
    expect(page.locator(".plan-list .plan-task").first).to_contain_text("Contact Elm")

    page.reload()
    assert open_tasks(page) == expected
    assert stored_order(org) == expected


def test_complete_and_log_is_one_click_without_a_reload(page, org):
    log_in(page, org.rep.user.email)
    suggest(page)
    page.evaluate("() => { window.__stillHere = true; }")

    task = page.locator(".plan-task", has_text="Contact Alder")
    kind = task.get_by_label("Type")
    minutes = task.get_by_label("Minutes")
    expect(kind).to_have_value(str(kind.locator("option", has_text="Call").get_attribute("value")))
    expect(minutes).to_have_value("15")  # A call's default.
    kind.select_option(label="Demo")
    expect(minutes).to_have_value("45")  # The demo's default, put in by choosing it.
    task.get_by_role("button", name="Complete and log “Contact Alder”").click()

    expect(page.locator(".plan-notice")).to_have_text(
        "Done: “Contact Alder”, and demo of 45 min logged."
    )
    closed = page.locator(".plan-closed-item", has_text="Contact Alder")
    expect(closed).to_contain_text("Demo, 45 min logged")
    assert page.evaluate("() => window.__stillHere") is True  # Swapped in place.
    assert "Contact Alder" not in open_tasks(page)
    expect(page.locator("[data-plan-count]")).to_contain_text("1 of 6")

    activity = PlanTask.all_tenants.get(title="Contact Alder").activity
    assert Activity.all_tenants.filter(type__name="Demo").get() == activity
    assert (activity.type.name, activity.duration_minutes, activity.account.name) == (
        "Demo",
        45,
        "Alder",
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_plan_is_accessible_and_fits_a_phone(page, org, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, org.rep.user.email)
    page.goto("/activities/plan/")
    page.get_by_role("button", name="Suggest").click()
    expect(page.locator(".plan-list .plan-task")).to_have_count(5)

    assert axe_violations(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
