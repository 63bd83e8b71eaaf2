"""Signing up in a real browser: a new organisation, email verification, the dashboard."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from spm.tenancy.models import Membership, Role, Tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRMATION_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
CHECK_YOUR_EMAIL = re.compile(r"(check|verify) your email", re.IGNORECASE)
# The first password field, not "Password (again)"; labels may end with a colon.
PASSWORD = re.compile(r"^Password:?$")


def test_someone_signs_up_verifies_their_email_and_lands_on_their_organisations_dashboard(
    page: Page, mailoutbox
):
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Organisation name").fill("Analytical Engines")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Email").fill("ada@engines.example")
    page.get_by_label(PASSWORD).fill("difference-engine-1843")
    page.get_by_label("Password (again)").fill("difference-engine-1843")
    page.get_by_role("button", name=re.compile(r"sign up|create", re.IGNORECASE)).click()

    expect(page.get_by_role("heading", name=CHECK_YOUR_EMAIL)).to_be_visible()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@engines.example"]
    link = CONFIRMATION_LINK.search(mailoutbox[0].body)
    assert link, mailoutbox[0].body

    page.goto(link.group(0))
    page.get_by_role("button", name=re.compile(r"confirm", re.IGNORECASE)).click()
    if "/accounts/login/" in page.url:
        page.get_by_label("Email").fill("ada@engines.example")
        page.get_by_label(PASSWORD).fill("difference-engine-1843")
        page.get_by_role("button", name=re.compile(r"sign in|log in", re.IGNORECASE)).click()

    expect(page).to_have_url(re.compile(re.escape(reverse("home")) + "$"))
    expect(page).to_have_title(re.compile(r"^Dashboard\b"))
    expect(page.get_by_role("main")).to_contain_text("Analytical Engines")

    tenant = Tenant.objects.get(name="Analytical Engines")
    assert tenant.timezone == "Europe/London"
    admin = Membership.all_tenants.get(tenant=tenant)
    assert (admin.user.email, admin.user.name, admin.role) == (
        "ada@engines.example",
        "Ada Lovelace",
        Role.ADMIN,
    )
