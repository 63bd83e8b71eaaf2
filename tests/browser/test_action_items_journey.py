"""Action items in a real browser: the rep sees an overdue item on their home page, opens
"My action items" from the sidebar and marks it done in one click, in place, without a
reload; the manager adds an item about the rep that they owe themselves, and the rep sees
it under what others owe them. The page fits a phone."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from accountability.models import ActionItem

from ..accountability.factories import ActionItemFactory
from ..conftest import build_org
from ..factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)


@pytest.fixture
def org():
    org = build_org("acme")
    today = org.tenant.today()
    ActionItemFactory(member=org.rep, owner=org.rep, created_by=org.manager,
                      title="Update the forecast", due_date=today - dt.timedelta(days=2))  # fmt: skip
    return org


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_the_rep_marks_an_overdue_item_done_in_one_click(page, org):
    log_in(page, org.rep.user.email)
    card = page.locator("section", has=page.get_by_role("heading", name="Overdue action items"))
    expect(card).to_contain_text("Update the forecast")
    page.get_by_role("link", name="My action items").first.click()
    expect(page.get_by_role("heading", name="Overdue (1)")).to_be_visible()
    page.evaluate("() => { window.__stillHere = true; }")
    page.get_by_role("button", name="Done “Update the forecast”").click()
    expect(page.get_by_role("status")).to_contain_text("Done: “Update the forecast”.")
    expect(page.get_by_role("heading", name="Done recently (1)")).to_be_visible()
    assert page.evaluate("() => window.__stillHere") is True  # Swapped in place.
    assert ActionItem.all_tenants.get(title="Update the forecast").status == "done"


def test_the_manager_adds_an_item_they_owe_the_rep(page, org):
    log_in(page, org.manager.user.email)
    page.goto("/accountability/action-items/")
    page.get_by_label("What", exact=True).fill("Ride along on a demo")
    page.get_by_label("About", exact=True).select_option(label=org.rep.name)
    page.get_by_label("Who does it", exact=True).select_option(label=f"Me ({org.manager.name})")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Added “Ride along on a demo”.")).to_be_visible()
    item = ActionItem.all_tenants.get(title="Ride along on a demo")
    assert (item.member, item.owner) == (org.rep, org.manager)

    page.context.clear_cookies()
    log_in(page, org.rep.user.email)
    page.goto("/accountability/action-items/")
    owed = page.locator("section", has=page.get_by_role("heading", name="What others owe me"))
    expect(owed).to_contain_text("Ride along on a demo")
    expect(owed.get_by_role("button", name=re.compile("Done"))).to_have_count(0)


def test_the_page_fits_a_phone(page, org):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, org.rep.user.email)
    page.goto("/accountability/action-items/")
    expect(page.get_by_role("heading", name="My action items")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
