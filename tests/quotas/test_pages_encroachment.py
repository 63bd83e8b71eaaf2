"""The encroachment list: a month's sales on accounts outside every territory their seller
worked on the close date, with the account's territory then; a manager's reporting tree,
an admin's whole organisation; reps and other organisations see nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from territories.models import AccountAssignment

from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory
from .page_factories import sale, today_fixture  # noqa: F401

ENCROACHMENT = reverse("quotas:encroachment")


@pytest.fixture
def patches(org, other, today):
    """The rep works West; the outsider rep works East. In March the rep sold on West
    (fine), on East (encroaching) and on an account in no territory; the outsider sold
    on West. Globex's sales encroach too, and must never show."""
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=dt.date(2026, 1, 1))
    TerritoryMemberFactory(territory=east, member=org.outsider_rep, start_date=dt.date(2026, 1, 1))
    home = AccountFactory(tenant=org.tenant, name="Home Goods Inc", territory=west)
    away = AccountFactory(tenant=org.tenant, name="Faraway Freight", territory=east)
    nowhere = AccountFactory(tenant=org.tenant, name="Nowhere Ltd")
    sales = {
        "home": sale(org.rep, "1000.00", dt.date(2026, 3, 3), account=home),
        "away": sale(org.rep, "2500.00", dt.date(2026, 3, 4), account=away),
        "nowhere": sale(org.rep, "700.00", dt.date(2026, 3, 5), account=nowhere),
        "outsider": sale(org.outsider_rep, "900.00", dt.date(2026, 3, 6), account=home),
        "february": sale(org.rep, "400.00", dt.date(2026, 2, 20), account=away),
    }
    their_west = TerritoryFactory(tenant=other.tenant, name="Globex West")
    theirs = AccountFactory(tenant=other.tenant, name="Globex Client", territory=their_west)
    sale(other.rep, "9999.00", dt.date(2026, 3, 4), account=theirs)
    return sales


def listed(response) -> list[str]:
    return [item.sale.external_id for item in response.context["page"].object_list]


def test_a_manager_sees_their_trees_sales_outside_its_territories(org, client_for, patches):
    response = client_for(org.manager).get(ENCROACHMENT)

    assert response.status_code == 200
    assert listed(response) == [patches["nowhere"].external_id, patches["away"].external_id]
    text = response.content.decode()
    assert "Faraway Freight" in text and "East" in text  # The account's territory then.
    assert "In no territory" in text
    assert "West" in text  # The seller's territory that day.
    assert "Home Goods Inc" not in text  # The rep's own patch.
    assert "Globex" not in text


def test_an_admin_sees_the_whole_organisation(org, client_for, patches):
    response = client_for(org.admin).get(ENCROACHMENT)

    assert patches["outsider"].external_id in listed(response)
    assert response.context["total"] == 3


def test_the_territory_is_the_one_the_account_was_in_on_the_close_date(org, client_for, patches):
    # The away account moved to West on 5 March: sold on the 4th, it was still East's.
    away = patches["away"].account
    west = patches["home"].account.territory
    AccountAssignment.all_tenants.create(
        tenant=org.tenant,
        account=away,
        from_territory=away.territory,
        to_territory=west,
        effective_date=dt.date(2026, 3, 5),
        changed_by=org.admin.user,
    )
    away.territory = west
    away.save()

    response = client_for(org.manager).get(ENCROACHMENT)

    item = next(i for i in response.context["page"] if i.sale == patches["away"])
    assert item.territory.name == "East"


def test_a_month_is_chosen(org, client_for, patches):
    response = client_for(org.manager).get(ENCROACHMENT, {"month": "2026-02"})
    assert listed(response) == [patches["february"].external_id]
    assert client_for(org.manager).get(ENCROACHMENT, {"month": "2026-1"}).status_code == 400


def test_an_empty_month_says_so(org, client_for, patches):
    text = client_for(org.manager).get(ENCROACHMENT, {"month": "2025-11"}).content.decode()
    assert "No encroachment in November 2025" in text


def test_reps_may_not_open_it(org, client_for, patches):
    assert client_for(org.rep).get(ENCROACHMENT).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(ENCROACHMENT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
