"""A review in a real browser: the manager opens Reviews, starts a rep's review in one
click, sees the evidence beside each criterion, sets the scores from the keyboard (arrow
keys within a criterion, "Use suggested scores"), watches the overall score follow, and
shares it; the rep opens My reviews and acknowledges it with a comment. axe finds no
serious or critical violation on the editor, My reviews and How I'm reviewed."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accountability.models import Review, ReviewScore
from accountability.selectors.reviews import one_decimal
from spm.tenancy.models import Role

from ..activities.factories import ActivityFactory
from ..factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = Axe().axe_script
PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def serious_violations(page: Page) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    violations = page.evaluate("() => axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:4]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def world():
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
    rep = MembershipFactory(
        tenant=tenant, manager=manager, user=UserFactory(email="alex@acme.test", name="Alex Rep")
    )
    # Some selling activities this period: the evidence the review shows.
    for _ in range(3):
        ActivityFactory(member=rep, date=tenant.today(), duration_minutes=60)
    return tenant, manager, rep


def test_a_manager_reviews_a_rep_who_acknowledges_it(page: Page, world):
    rep = world[2]
    log_in(page, "manager@acme.test")
    page.get_by_role("link", name="Reviews", exact=True).click()
    expect(page.get_by_role("heading", name="Reviews", level=1)).to_be_visible()
    due = page.locator("[data-due]")
    expect(due.get_by_role("row", name=re.compile("Alex Rep"))).to_be_visible()
    page.get_by_role("button", name="Start the review of Alex Rep").click()

    # The editor: evidence beside each criterion, thresholds in words.
    expect(page.get_by_role("heading", name="Review of Alex Rep")).to_be_visible()
    activities = page.locator("fieldset", has_text="Selling activities")
    expect(activities.locator("[data-evidence]")).to_have_text("3 selling activities")
    expect(activities).to_contain_text("Meets: 250–350 selling activities")
    expect(page.locator("[data-overall]")).to_have_text("–")
    assert serious_violations(page) == []

    # Keyboard: into the first criterion's buttons, arrow keys pick a score, Tab moves on.
    first = page.locator("fieldset[data-criterion]").first
    first.get_by_role("radio", name=re.compile("^1")).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(first.get_by_role("radio", name=re.compile("^4"))).to_be_checked()
    expect(page.locator("[data-overall]")).to_have_text("4.0")
    page.keyboard.press("Tab")
    expect(first.get_by_role("textbox")).to_be_focused()
    page.keyboard.type("Ahead of plan")
    page.keyboard.press("Tab")
    second = page.locator("fieldset[data-criterion]").nth(1)
    page.keyboard.press("ArrowRight")  # Focus lands on the first button; the arrow picks 2.
    expect(second.get_by_role("radio", name=re.compile("^2"))).to_be_checked()
    # Suggested scores fill the others where the data suggests one.
    page.get_by_role("button", name="Use suggested scores").click()
    # The manual criterion has no suggestion: scored by hand.
    manual = page.locator("fieldset", has_text="Account planning")
    manual.get_by_role("radio", name=re.compile("^3")).check()
    for fieldset in page.locator("fieldset[data-criterion]").all():
        if fieldset.locator("input:checked").count() == 0:
            fieldset.get_by_role("radio", name=re.compile("^3")).check()
    overall = page.locator("[data-overall]").inner_text()
    assert re.fullmatch(r"\d\.\d", overall)
    page.get_by_label("Summary").fill("A steady quarter.")
    page.get_by_role("button", name="Save and share with Alex Rep").click()
    expect(page.get_by_text("Shared with Alex Rep")).to_be_visible()
    review = Review.all_tenants.get(member=rep)
    assert review.status == "shared"
    assert one_decimal(review.overall_score) == overall  # The server agrees with the page.
    note = ReviewScore.all_tenants.get(review=review, criterion__position=0)
    assert (note.final_score, note.note) == (4, "Ahead of plan")

    # The rep: My reviews, the review, acknowledged with a comment.
    log_out(page)
    log_in(page, "alex@acme.test")
    expect(page.get_by_role("heading", name="A review to acknowledge")).to_be_visible()
    page.get_by_role("link", name="My reviews", exact=True).first.click()
    assert serious_violations(page) == []
    page.get_by_label("Your comment (optional)").fill("Thanks, agreed.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("You acknowledged your review.")).to_be_visible()
    review.refresh_from_db()
    assert (review.status, review.member_comment) == ("acknowledged", "Thanks, agreed.")
    page.get_by_role("link", name="Open the review").click()
    expect(page.locator("[data-member-comment]")).to_have_text("Thanks, agreed.")
    assert page.locator("input[type=radio]").count() == 0
    page.goto("/accountability/criteria/")
    expect(page.get_by_text("Meets: 90–110% of quota")).to_be_visible()
    assert serious_violations(page) == []


def test_the_editor_fits_a_phone(page: Page, world):
    rep = world[2]
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "manager@acme.test")
    page.goto("/accountability/reviews/")
    page.get_by_role("button", name="Start the review of Alex Rep").click()
    expect(page.locator("fieldset[data-criterion]")).to_have_count(6)
    assert Review.all_tenants.filter(member=rep).exists()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the editor is {width} pixels wide on a 390-pixel screen"
    assert serious_violations(page) == []
