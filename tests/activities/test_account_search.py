"""The Day form's account picker (activities:account_search) and its encroachment warning
(activities:account_warning): the member's own accounts first, then any of the
organisation's by name or external id, at most ten, in two queries however many accounts
there are; the warning names the territory and its owner before saving."""

import pytest
from django.urls import reverse

from ..territories.factories import AccountFactory, TerritoryFactory
from .day_helpers import build_land, kind, land_fixture, today_fixture  # noqa: F401

SEARCH = reverse("activities:account_search")
WARNING = reverse("activities:account_warning")


def names(response) -> list[str]:
    return [option.account.name for option in response.context["options"]]


def test_own_accounts_come_first_then_any_account_by_name(org, client_for, today, land):
    AccountFactory(tenant=org.tenant, name="Freight Home Ltd", territory=land.west)

    response = client_for(org.rep).get(SEARCH, {"q": "freight"})

    assert names(response) == ["Freight Home Ltd", "Faraway Freight"]
    assert [o.own for o in response.context["options"]] == [True, False]
    text = response.content.decode()
    assert "My territories" in text and "Other accounts" in text


def test_an_account_is_found_by_its_external_id(org, client_for, today, land):
    response = client_for(org.rep).get(SEARCH, {"q": land.nowhere.external_id.lower()})
    assert names(response) == ["Nowhere Ltd"]


def test_without_a_search_the_members_own_accounts_are_offered(org, client_for, today, land):
    assert names(client_for(org.rep).get(SEARCH)) == ["Home Goods Inc"]
    # Someone in no territory is offered nothing until they type.
    assert names(client_for(org.outsider_rep).get(SEARCH)) == []


def test_nothing_found_says_so(org, client_for, today, land):
    response = client_for(org.rep).get(SEARCH, {"q": "zzz"})
    assert "No account matches “zzz”" in response.content.decode()


def test_another_organisations_accounts_are_never_offered(org, other, client_for, today, land):
    build_land(other)  # Globex has its own "Faraway Freight".
    response = client_for(org.rep).get(SEARCH, {"q": "Faraway"})
    assert [o.account.tenant_id for o in response.context["options"]] == [org.tenant.pk]


def test_a_member_outside_what_one_sees_is_a_404(org, other, client_for, today):
    assert client_for(org.rep).get(SEARCH, {"member": org.manager.pk}).status_code == 404
    assert client_for(org.manager).get(SEARCH, {"member": other.rep.pk}).status_code == 404


@pytest.mark.parametrize("count", [5, 60])
def test_at_most_ten_accounts_in_two_queries_whatever_their_number(
    org, client_for, today, land, count, django_assert_max_num_queries
):
    AccountFactory.create_batch(count, tenant=org.tenant, name="Acme Branch", territory=land.east)
    client = client_for(org.rep)
    client.get(SEARCH, {"q": "acme"})

    # The session, user and membership (3); the member's territories, the accounts.
    with django_assert_max_num_queries(5):
        response = client.get(SEARCH, {"q": "acme"})

    assert len(response.context["options"]) == min(count, 10)


# --- The warning before saving ---------------------------------------------------------------


def test_an_account_of_another_territory_is_warned_about_with_its_owner(
    org, client_for, today, land
):
    response = client_for(org.rep).get(
        WARNING, {"account": land.away.pk, "type": kind(org, "Call").pk, "date": "2026-03-16"}
    )
    assert (
        "Northeast — owned by Priya Raman: this will show as encroachment"
        in response.content.decode()
    )


def test_an_account_in_no_territory_is_warned_about_too(org, client_for, today, land):
    response = client_for(org.rep).get(WARNING, {"account": land.nowhere.pk})
    assert "Nowhere Ltd is in no territory: this will show as encroachment" in (
        response.content.decode()
    )


@pytest.mark.parametrize("case", ["own", "non_selling", "none", "foreign"])
def test_no_warning_when_it_would_not_be_encroachment(org, other, client_for, today, land, case):
    query = {
        "own": {"account": land.home.pk},
        "non_selling": {"account": land.away.pk, "type": kind(org, "Reporting").pk},
        "none": {},
        "foreign": {"account": build_land(other).away.pk},  # Not theirs to ask about.
    }[case]
    response = client_for(org.rep).get(WARNING, query)
    assert response.status_code == 200
    assert "encroachment" not in response.content.decode()
    assert response.context["warning"] is None


def test_a_territory_the_member_works_covers_the_ones_below_it(org, client_for, today, land):
    coast = TerritoryFactory(tenant=org.tenant, name="West Coast", parent=land.west)
    below = AccountFactory(tenant=org.tenant, name="Coastal Co", territory=coast)
    response = client_for(org.rep).get(WARNING, {"account": below.pk})
    assert response.context["warning"] is None
    assert names(client_for(org.rep).get(SEARCH)) == ["Coastal Co", "Home Goods Inc"]
