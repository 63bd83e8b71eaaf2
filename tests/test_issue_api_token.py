"""``manage.py issue_api_token``: prints only the token, which then authenticates."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient, APIRequestFactory

from spm.tenancy.authentication import MembershipTokenAuthentication
from spm.tenancy.models import ApiToken, Membership

from .factories import UserFactory


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue()


def test_it_prints_only_the_token_and_the_token_authenticates_the_member(org, other):
    output = issue("--email", "rep@acme.test", "--tenant", "acme", "--name", "CRM sync")
    key = output.strip()
    assert output == key + "\n"
    assert key.startswith("spm_") and " " not in key

    token = ApiToken.all_tenants.get()
    assert (token.membership, token.tenant, token.name) == (org.rep, org.tenant, "CRM sync")
    assert token.digest != key  # Only the digest is stored.

    request = APIRequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Token {key}")
    user, auth = MembershipTokenAuthentication().authenticate(request)
    assert user == org.rep.user
    assert auth.membership == org.rep


def test_the_token_opens_the_api(org):
    key = issue("--email", "admin@acme.test", "--tenant", "acme").strip()
    api = APIClient()
    assert api.get(reverse("api-root")).status_code in (401, 403)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-root")).status_code == 200


def test_the_email_is_matched_without_regard_to_case(org):
    issue("--email", "  REP@Acme.TEST ", "--tenant", "acme")
    assert ApiToken.all_tenants.get().membership == org.rep


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--email", "ghost@acme.test", "--tenant", "acme"],
            "No user with the email 'ghost@acme.test'.",
        ),
        (
            ["--email", "rep@acme.test", "--tenant", "initech"],
            "No organisation with the slug 'initech'.",
        ),
        (
            ["--email", "rep@globex.test", "--tenant", "acme"],
            "rep@globex.test is not a member of 'acme'.",
        ),
    ],
)
def test_unknown_email_tenant_or_membership_is_a_clear_error(org, other, args, message):
    with pytest.raises(CommandError) as error:
        issue(*args)
    assert str(error.value) == message
    assert not ApiToken.all_tenants.exists()


def test_a_person_without_any_membership_is_refused(org):
    UserFactory(email="loner@example.com")
    with pytest.raises(CommandError) as error:
        issue("--email", "loner@example.com", "--tenant", "acme")
    assert str(error.value) == "loner@example.com is not a member of 'acme'."


def test_an_ended_membership_gets_no_token(org):
    Membership.all_tenants.filter(pk=org.rep.pk).update(
        end_date=org.tenant.today() - dt.timedelta(days=1)
    )
    with pytest.raises(CommandError, match="ended on"):
        issue("--email", "rep@acme.test", "--tenant", "acme")
    assert not ApiToken.all_tenants.exists()


def test_email_and_tenant_are_required(org):
    with pytest.raises(CommandError, match="--tenant"):
        issue("--email", "rep@acme.test")
