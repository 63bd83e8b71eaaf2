"""API authentication: tokens belong to one membership, sessions need CSRF for writes."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from spm.tenancy.models import ApiToken, Membership, Role
from spm.tenancy.services import api_token_issue

from .conftest import login
from .factories import MembershipFactory, UserFactory

ME_URL = "/api/v1/me/"
MEMBERS_URL = "/api/v1/members/"


def token_client(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def session_client(member: Membership, *, enforce_csrf: bool = False) -> APIClient:
    api = APIClient(enforce_csrf_checks=enforce_csrf)
    login(api, member)
    return api


def test_a_valid_token_authenticates_as_its_membership(org, api_for):
    response = api_for(org.rep).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["member_id"] == org.rep.pk


def test_an_unknown_token_is_401(org):
    response = token_client("not-a-real-key").get(ME_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_401(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    ApiToken.all_tenants.filter(membership=org.rep).update(revoked_at=timezone.now())

    response = token_client(key).get(ME_URL)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_the_token_of_an_ended_membership_is_401(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    yesterday = org.tenant.today() - dt.timedelta(days=1)
    Membership.all_tenants.filter(pk=org.rep.pk).update(end_date=yesterday)

    response = token_client(key).get(ME_URL)

    assert response.status_code == 401


def test_the_token_of_a_membership_ending_today_still_works(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    Membership.all_tenants.filter(pk=org.rep.pk).update(end_date=org.tenant.today())
    assert token_client(key).get(ME_URL).status_code == 200


def test_the_token_of_a_deactivated_user_is_401(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    org.rep.user.is_active = False
    org.rep.user.save(update_fields=["is_active"])
    assert token_client(key).get(ME_URL).status_code == 401


@pytest.mark.parametrize("url", [ME_URL, MEMBERS_URL, "/api/v1/"])
def test_anonymous_callers_are_refused(db, url):
    response = APIClient().get(url)
    assert response.status_code == 401


def test_a_signed_in_user_without_an_organisation_is_refused(db):
    api = APIClient()
    api.force_login(UserFactory(email="loner@example.com"))
    assert api.get(ME_URL).status_code == 403


def test_one_user_in_two_tenants_gets_each_tenants_data_per_token(org, other):
    # The acme admin is also a rep at globex.
    globex_rep = MembershipFactory(tenant=other.tenant, user=org.admin.user, role=Role.REP)
    acme_key = api_token_issue(tenant=org.tenant, actor=None, membership=org.admin)
    globex_key = api_token_issue(tenant=other.tenant, actor=None, membership=globex_rep)

    acme, globex = token_client(acme_key), token_client(globex_key)

    assert acme.get(ME_URL).json()["tenant"]["slug"] == "acme"
    assert acme.get(ME_URL).json()["role"] == "admin"
    assert globex.get(ME_URL).json()["tenant"]["slug"] == "globex"
    assert globex.get(ME_URL).json()["role"] == "rep"
    assert {row["id"] for row in globex.get(MEMBERS_URL).json()["results"]} == {globex_rep.pk}
    assert acme.get(MEMBERS_URL).json()["count"] == 4
    # The globex token cannot reach acme's people, although the same user is acme's admin.
    assert globex.get(f"{MEMBERS_URL}{org.rep.pk}/").status_code == 404
    assert (
        globex.patch(f"{MEMBERS_URL}{org.rep.pk}/", {"role": "manager"}, format="json").status_code
        == 403
    )


def test_the_token_decides_the_tenant_even_when_the_session_chose_another(org, other):
    globex_rep = MembershipFactory(tenant=other.tenant, user=org.admin.user, role=Role.REP)
    globex_key = api_token_issue(tenant=other.tenant, actor=None, membership=globex_rep)
    api = session_client(org.admin)  # The browser session works in acme, as its admin…
    api.credentials(HTTP_AUTHORIZATION=f"Token {globex_key}")  # …but the token is globex's.

    body = api.get(ME_URL).json()

    assert (body["tenant"]["slug"], body["role"], body["member_id"]) == (
        "globex",
        "rep",
        globex_rep.pk,
    )
    response = api.patch(f"{MEMBERS_URL}{org.rep.pk}/", {"role": "manager"}, format="json")
    assert response.status_code == 403
    assert Membership.all_tenants.get(pk=org.rep.pk).role == Role.REP


def test_session_auth_uses_the_membership_chosen_in_the_session(org, other):
    globex_rep = MembershipFactory(tenant=other.tenant, user=org.admin.user, role=Role.REP)

    assert session_client(org.admin).get(ME_URL).json()["tenant"]["slug"] == "acme"
    assert session_client(globex_rep).get(ME_URL).json()["tenant"]["slug"] == "globex"


def test_session_writes_without_a_csrf_token_are_refused(org):
    api = session_client(org.admin, enforce_csrf=True)

    response = api.patch(f"{MEMBERS_URL}{org.rep.pk}/", {"role": "manager"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Membership.all_tenants.get(pk=org.rep.pk).role == Role.REP


def test_session_writes_with_a_csrf_token_succeed(org):
    api = session_client(org.admin, enforce_csrf=True)
    secret = get_random_string(32)
    api.cookies["csrftoken"] = secret

    response = api.patch(
        f"{MEMBERS_URL}{org.rep.pk}/",
        {"role": "manager"},
        format="json",
        HTTP_X_CSRFTOKEN=secret,
    )

    assert response.status_code == 200
    assert Membership.all_tenants.get(pk=org.rep.pk).role == Role.MANAGER


def test_token_writes_need_no_csrf_token(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.admin)
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.patch(f"{MEMBERS_URL}{org.rep.pk}/", {"role": "manager"}, format="json")

    assert response.status_code == 200


def test_using_a_token_records_when_it_was_last_used(org):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    token_client(key).get(ME_URL)
    assert ApiToken.all_tenants.get(membership=org.rep).last_used_at is not None


def test_the_api_index_answers_members(org, api_for):
    response = api_for(org.rep).get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["members"].endswith(MEMBERS_URL)
