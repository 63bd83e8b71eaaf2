"""Signing up (which creates an organisation), email verification, password reset and
two-factor authentication, all through django-allauth in the product's layout."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from spm.tenancy.models import Membership, Role, Tenant
from spm.users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("account_signup")
LOGIN = reverse("account_login")


@pytest.fixture(autouse=True)
def fresh_cache():
    # allauth keeps rate limits and used one-time codes in the cache; tests start clean.
    cache.clear()
    yield
    cache.clear()


def signup_data(**changes) -> dict:
    data = {
        "name": "Olivia Owner",
        "organisation": "Initech Sales",
        "timezone": "Europe/Paris",
        "email": "olivia@initech.example",
        "password1": "target-hitter-2026",
        "password2": "target-hitter-2026",
    }
    data.update(changes)
    return data


def link_in(message, pattern: str) -> str:
    match = re.search(rf"http://testserver({pattern})", message.body)
    assert match, message.body
    return match.group(1)


def current_totp_code(secret: str) -> str:
    """What an authenticator app shows right now for ``secret``."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def assert_product_layout(response) -> None:
    html = response.content.decode()
    assert "css/app.css" in html, "allauth page does not extend the product's base.html"
    assert "Messages:" not in html  # allauth's bare default layout


# --- Signing up -------------------------------------------------------------------------


def test_the_signup_page_says_it_creates_a_new_organisation(client):
    response = client.get(SIGNUP)
    assert response.status_code == 200
    assert_product_layout(response)
    html = response.content.decode()
    assert "Create your organisation" in html
    assert "new organisation" in html
    assert "invitation" in html
    for field in ("organisation", "timezone", "name", "email", "password1", "password2"):
        assert f'name="{field}"' in html


def test_signing_up_creates_an_organisation_with_you_as_admin_and_sends_a_verification(client):
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="olivia@initech.example")
    assert user.name == "Olivia Owner"
    tenant = Tenant.objects.get(name="Initech Sales")
    assert (tenant.slug, tenant.timezone) == ("initech-sales", "Europe/Paris")
    membership = Membership.all_tenants.get(user=user)
    assert (membership.tenant, membership.role) == (tenant, Role.ADMIN)
    assert not EmailAddress.objects.get(user=user).verified
    [message] = mail.outbox
    assert message.to == ["olivia@initech.example"]
    assert "/accounts/confirm-email/" in message.body
    assert "_auth_user_id" not in client.session
    sent = client.get(response.url)
    assert "Check your email" in sent.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organisation": ""}, "organisation"),
        ({"name": ""}, "name"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"password2": "something-else-2026"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
    ],
)
def test_bad_signup_input_is_explained_and_creates_nothing(client, changes, field):
    response = client.post(SIGNUP, signup_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()
    assert not Tenant.objects.exists()
    assert mail.outbox == []


def test_signing_up_with_a_taken_email_creates_no_second_organisation(client, org):
    # The page does not reveal that the address is taken (no account enumeration);
    # the owner of the address is told by email instead.
    response = client.post(SIGNUP, signup_data(email="rep@acme.test"))
    assert response.status_code == 302
    assert not Tenant.objects.filter(name="Initech Sales").exists()
    assert User.objects.filter(email="rep@acme.test").count() == 1
    assert Membership.all_tenants.filter(user__email="rep@acme.test").count() == 1
    [message] = mail.outbox
    assert message.to == ["rep@acme.test"]


def test_login_before_verifying_the_email_is_not_allowed(client):
    client.post(SIGNUP, signup_data())
    client.logout()
    mail.outbox.clear()
    cache.clear()  # allauth waits a while before sending another link; do not wait here.
    response = client.post(
        LOGIN, {"login": "olivia@initech.example", "password": "target-hitter-2026"}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1  # A fresh verification link is sent.
    assert client.get(reverse("home")).status_code == 302


def test_confirming_the_email_then_logging_in_lands_on_home(client):
    client.post(SIGNUP, signup_data())
    confirm = link_in(mail.outbox[0], r"/accounts/confirm-email/[^/\s]+/")
    client.logout()
    page = client.get(confirm)
    assert page.status_code == 200
    assert_product_layout(page)
    client.post(confirm)
    assert EmailAddress.objects.get(email="olivia@initech.example").verified
    client.logout()

    response = client.post(
        LOGIN, {"login": "olivia@initech.example", "password": "target-hitter-2026"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["tenant"].name == "Initech Sales"
    assert home.context["membership"].role == Role.ADMIN


def test_the_login_page_uses_the_product_layout_and_explains_signup(client):
    response = client.get(LOGIN)
    assert_product_layout(response)
    html = response.content.decode()
    assert "Log in to SPM" in html
    assert "Create an organisation" in html


def test_a_wrong_password_is_refused_with_a_message(client, org):
    response = client.post(LOGIN, {"login": "rep@acme.test", "password": "wrong-password"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- Password reset ---------------------------------------------------------------------


def test_password_reset_sends_an_email_whose_link_sets_a_new_password(client, org):
    response = client.post(reverse("account_reset_password"), {"email": "rep@acme.test"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["rep@acme.test"]
    reset = link_in(message, r"/accounts/password/reset/key/[^/\s]+/")
    page = client.get(reset)
    assert page.status_code == 302  # allauth moves the key out of the address bar.
    form_page = client.get(page.url)
    assert form_page.status_code == 200
    assert_product_layout(form_page)
    done = client.post(
        page.url, {"password1": "brand-new-pass-99", "password2": "brand-new-pass-99"}
    )
    assert done.status_code == 302
    assert User.objects.get(email="rep@acme.test").check_password("brand-new-pass-99")

    client.logout()
    response = client.post(LOGIN, {"login": "rep@acme.test", "password": "brand-new-pass-99"})
    assert response.url == reverse("home")


def test_password_reset_for_an_unknown_address_sends_no_reset_link(client, org):
    client.post(reverse("account_reset_password"), {"email": "nobody@acme.test"})
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


# --- Two-factor authentication ----------------------------------------------------------


def test_a_rep_activates_an_authenticator_app_and_login_then_asks_for_the_code(
    client, org, settings
):
    # Accept the neighbouring 30-second step too, so a code computed just before a step
    # boundary still counts when the request lands just after it.
    settings.MFA_TOTP_TOLERANCE = 1
    response = client.post(LOGIN, {"login": "rep@acme.test", "password": PASSWORD})
    assert response.url == reverse("home")

    index = client.get(reverse("mfa_index"))
    assert index.status_code == 200
    assert_product_layout(index)
    assert "Authenticator App" in index.content.decode()

    # Adding an authenticator asks for the password again first.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302
    assert page.url.startswith(reverse("account_reauthenticate"))
    assert_product_layout(client.get(page.url))
    confirmed = client.post(page.url, {"password": PASSWORD})
    assert confirmed.url == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert_product_layout(page)
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user__email="rep@acme.test").exists()

    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(
        user__email="rep@acme.test", type=Authenticator.Type.TOTP
    ).exists()

    client.logout()
    response = client.post(LOGIN, {"login": "rep@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    challenge = client.get(response.url)
    assert_product_layout(challenge)

    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_totp_user_cannot_reach_the_admin_with_the_password_alone(client, db, settings):
    """The admin has no password-only login form: ``/admin/login/`` hands over to the
    application's login, which asks for the second factor."""
    from allauth.mfa.totp.internal.auth import TOTP

    superuser = UserFactory(email="root@platform.test", is_superuser=True, is_staff=True)
    superuser.set_password(PASSWORD)
    superuser.save()
    EmailAddress.objects.update_or_create(
        user=superuser, email=superuser.email, defaults={"verified": True, "primary": True}
    )
    TOTP.activate(superuser, "JBSWY3DPEHPK3PXP")

    for _ in range(3):  # However often the admin's own form is posted to.
        posted = client.post(
            "/admin/login/?next=/admin/", {"username": superuser.email, "password": PASSWORD}
        )
        assert posted.status_code == 302
        assert posted.url.startswith(reverse("account_login"))
        assert "_auth_user_id" not in client.session
    assert client.get("/admin/").url.startswith(reverse("account_login"))

    # The real login asks for the code and does not sign in yet.
    response = client.post(LOGIN, {"login": superuser.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
