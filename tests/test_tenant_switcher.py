"""The tenant switcher: only one's own memberships, stored in the session, announced."""

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse

from spm.tenancy.middleware import SESSION_KEY
from spm.tenancy.models import Role

from .factories import MembershipFactory

SWITCH = reverse("tenancy:switch")


@pytest.fixture
def second_membership(org, other):
    """``org``'s admin also works in ``other`` as a rep."""
    return MembershipFactory(tenant=other.tenant, user=org.admin.user, role=Role.REP)


def test_switching_stores_the_membership_and_says_where_you_now_work(
    org, second_membership, client_for
):
    client = client_for(org.admin)
    response = client.post(SWITCH, {"membership_id": second_membership.pk})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session[SESSION_KEY] == second_membership.pk
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Now working in Globex Ltd."]
    home = client.get(reverse("home"))
    assert home.context["tenant"] == second_membership.tenant
    assert home.context["membership"] == second_membership


def test_switching_to_someone_elses_membership_is_404_and_changes_nothing(
    org, other, second_membership, client_for
):
    client = client_for(org.admin)
    response = client.post(SWITCH, {"membership_id": other.admin.pk})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == org.admin.pk


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_switching_to_a_missing_or_malformed_id_is_404(org, client_for, value):
    client = client_for(org.admin)
    assert client.post(SWITCH, {"membership_id": value}).status_code == 404
    assert client.session[SESSION_KEY] == org.admin.pk


def test_switching_needs_a_post(org, second_membership, client_for):
    client = client_for(org.admin)
    response = client.get(SWITCH, {"membership_id": second_membership.pk})
    assert response.status_code == 405
    assert client.session[SESSION_KEY] == org.admin.pk


def test_switching_requires_logging_in(client, second_membership):
    response = client.post(SWITCH, {"membership_id": second_membership.pk})
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_switching_from_htmx_tells_the_browser_where_to_go(org, second_membership, client_for):
    client = client_for(org.admin)
    response = client.post(
        SWITCH, {"membership_id": second_membership.pk}, headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Redirect"] == reverse("home")
    assert client.session[SESSION_KEY] == second_membership.pk


def test_switcher_lists_every_membership_when_there_are_several(org, second_membership):
    html = render_to_string(
        "tenancy/_switcher.html",
        {"memberships": [org.admin, second_membership], "membership": second_membership},
    )
    assert f'action="{SWITCH}"' in html
    assert f'<option value="{org.admin.pk}">Acme Ltd · Admin</option>' in html
    assert f'<option value="{second_membership.pk}" selected>Globex Ltd · Rep</option>' in html


def test_switcher_renders_nothing_with_a_single_membership(org):
    html = render_to_string(
        "tenancy/_switcher.html", {"memberships": [org.admin], "membership": org.admin}
    )
    assert html.strip() == ""
