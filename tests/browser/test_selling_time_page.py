"""The team's selling time in a real browser: the manager sees the home card, follows it to
the page, reads the headline, sorts the table by the selling ratio, opens the chart's
table and downloads the CSV; axe finds no serious or critical violation, on a laptop and
on a phone, and the page is never wider than the screen."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from activities.models import ActivityType
from spm.tenancy.models import Role

from ..activities.factories import ActivityFactory
from ..conftest import build_org
from ..factories import MembershipFactory, UserFactory
from .test_quota_journey import VIEWPORTS, axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log(member, day, *, selling=0, other=0):
    def kind(name):
        return ActivityType.all_tenants.get(tenant=member.tenant, name=name)

    if selling:
        ActivityFactory(member=member, type=kind("Meeting"), date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=kind("Reporting"), date=day, duration_minutes=other)


@pytest.fixture
def team():
    org = build_org("sellers")
    today = org.tenant.today()
    monday = today - dt.timedelta(days=today.weekday())
    busy = MembershipFactory(
        tenant=org.tenant,
        role=Role.REP,
        manager=org.manager,
        user=UserFactory(email="busy@sellers.test", name="Ada Busy"),
    )
    org.rep.user.name = "Zed Slow"
    org.rep.user.save(update_fields=["name"])
    log(org.rep, today, selling=120, other=120)  # 50 %: below target.
    log(busy, today, selling=285, other=15)  # 95 %.
    for weeks_back in range(1, 6):
        day = monday - dt.timedelta(weeks=weeks_back)
        log(busy, day, selling=200 + 10 * weeks_back, other=40)
    return org


def test_the_manager_reads_sorts_and_downloads_the_teams_selling_time(page: Page, team):
    log_in(page, team.manager.user.email)
    card = page.locator("section", has=page.locator("#card-selling-time"))
    expect(card).to_contain_text("Zed Slow")
    page.get_by_role("link", name="Selling time").first.click()
    expect(page.get_by_role("heading", name="Selling time", level=1)).to_be_visible()
    expect(page.locator("[data-below]")).to_have_text("1")
    rows = page.locator("[data-team-table] tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_role("link", name="Selling ratio").click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_contain_text("Zed Slow")
    expect(rows.first).to_contain_text("Below target")
    page.get_by_role("link", name="Selling ratio").click()
    expect(rows.first).to_contain_text("Ada Busy")

    page.get_by_text("The chart's figures, week by week").click()
    expect(page.locator("[data-trend-table] tbody tr")).to_have_count(12)
    expect(page.locator("svg.chart-svg polyline")).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("member,email,month,hours")
    assert len(lines) == 3

    for width, height in VIEWPORTS.values():
        page.set_viewport_size({"width": width, "height": height})
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
