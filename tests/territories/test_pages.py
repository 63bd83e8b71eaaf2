"""The territory pages outside the admin: "My territories" and the balance report."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from ..factories import MembershipFactory
from .factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

MINE = reverse("territories:mine")
BALANCE = reverse("territories:balance")
LONG_AGO = dt.date(2020, 1, 1)


def download(response) -> str:
    """The text of a CSV download (streamed, like every export)."""
    return b"".join(response.streaming_content).decode()


def account_names(response) -> list[str]:
    return [account.name for account in response.context["page"].object_list]


@pytest.fixture
def rep_world(org, other):
    """The org rep owns West and is an overlay of North; East belongs to someone else.

    The other organisation has a territory and accounts with names that would match
    every search below, so a leak would show.
    """
    west = TerritoryFactory(tenant=org.tenant, name="West")
    north = TerritoryFactory(tenant=org.tenant, name="North")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    TerritoryMemberFactory(territory=west, member=org.rep, role="owner", start_date=LONG_AGO)
    TerritoryMemberFactory(territory=north, member=org.rep, role="overlay", start_date=LONG_AGO)
    TerritoryMemberFactory(
        territory=east, member=org.outsider_rep, role="owner", start_date=LONG_AGO
    )
    AccountFactory(
        tenant=org.tenant,
        territory=west,
        name="Bravo Logistics",
        external_id="W-1",
        industry="Logistics",
        postal_code="10115",
        annual_potential=Decimal("250000.00"),
    )
    AccountFactory(
        tenant=org.tenant,
        territory=west,
        name="Alpha Health",
        external_id="W-2",
        industry="Healthcare",
        postal_code="20095",
        annual_potential=Decimal("90000.50"),
    )
    AccountFactory(
        tenant=org.tenant,
        territory=north,
        name="Charlie Retail",
        external_id="N-1",
        industry="Retail",
        postal_code="80331",
        annual_potential=Decimal("120000.00"),
    )
    AccountFactory(tenant=org.tenant, territory=east, name="Echo Logistics", external_id="E-1")
    AccountFactory(tenant=org.tenant, territory=None, name="Unassigned Logistics")
    foreign = TerritoryFactory(tenant=other.tenant, name="West")
    TerritoryMemberFactory(territory=foreign, member=other.rep, start_date=LONG_AGO)
    AccountFactory(
        tenant=other.tenant, territory=foreign, name="Alpha Logistics Globex", external_id="W-1"
    )
    return {"west": west, "north": north, "east": east, "foreign": foreign}


# --- My territories: access -------------------------------------------------------------


def test_my_territories_sends_visitors_to_the_login_page(client):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_my_territories_is_refused_to_a_user_without_an_organisation(client, db):
    from ..factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(MINE).status_code == 403


# --- My territories: content -------------------------------------------------------------


def test_a_rep_sees_the_territories_they_work_today_with_role_counts_and_potential(
    org, rep_world, client_for
):
    response = client_for(org.rep).get(MINE)
    assert response.status_code == 200
    rows = {row["territory"].name: row for row in response.context["territories"]}
    assert set(rows) == {"West", "North"}
    assert rows["West"]["link"].role == "owner"
    assert rows["North"]["link"].role == "overlay"
    assert rows["West"]["account_count"] == 2
    assert rows["West"]["total_potential"] == Decimal("340000.50")
    assert response.context["total_accounts"] == 3
    assert response.context["total_potential"] == Decimal("460000.50")
    content = response.content.decode()
    assert "EUR 340,000.50" in content  # money in the organisation's currency
    assert "Overlay" in content


def test_a_rep_sees_only_the_accounts_of_their_own_territories(org, rep_world, client_for):
    response = client_for(org.rep).get(MINE)
    assert account_names(response) == ["Alpha Health", "Bravo Logistics", "Charlie Retail"]
    content = response.content.decode()
    assert "Echo Logistics" not in content  # another rep's territory
    assert "Unassigned Logistics" not in content
    assert "Globex" not in content  # another organisation


def test_territories_that_ended_or_have_not_started_are_not_shown(org, client_for):
    today = org.tenant.today()
    ended = TerritoryFactory(tenant=org.tenant, name="Old South")
    future = TerritoryFactory(tenant=org.tenant, name="New South")
    TerritoryMemberFactory(
        territory=ended,
        member=org.rep,
        start_date=LONG_AGO,
        end_date=today - dt.timedelta(days=1),
    )
    TerritoryMemberFactory(
        territory=future, member=org.rep, start_date=today + dt.timedelta(days=1)
    )
    AccountFactory(tenant=org.tenant, territory=ended, name="Gone Corp")
    response = client_for(org.rep).get(MINE)
    assert response.context["territories"] == []
    assert "Gone Corp" not in response.content.decode()
    assert "not working any territory today" in response.content.decode()


def test_an_admin_without_territories_is_pointed_to_the_admin_site(org, rep_world, client_for):
    response = client_for(org.admin).get(MINE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "not working any territory today" in content
    assert 'href="/admin/' in content
    # An admin's "my" page lists their own territories' accounts, not the whole organisation.
    assert "Echo Logistics" not in content


def test_a_manager_without_territories_is_pointed_to_the_balance_report(org, client_for):
    response = client_for(org.manager).get(MINE)
    assert response.status_code == 200
    assert f'href="{BALANCE}"' in response.content.decode()


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("alpha", ["Alpha Health"]),  # name, any case
        ("w-1", ["Bravo Logistics"]),  # external id
        ("803", ["Charlie Retail"]),  # postal code prefix
        ("logist", ["Bravo Logistics"]),  # industry (and name), only own territories
        ("no such thing", []),
    ],
)
def test_accounts_can_be_searched_by_name_external_id_postal_code_and_industry(
    org, rep_world, client_for, search, expected
):
    response = client_for(org.rep).get(MINE, {"q": search})
    assert response.status_code == 200
    assert account_names(response) == expected


def test_a_search_with_no_match_explains_what_to_try(org, rep_world, client_for):
    response = client_for(org.rep).get(MINE, {"q": "zzz"})
    assert "No account matches" in response.content.decode()


def test_a_very_long_search_is_cut_short_rather_than_refused(org, rep_world, client_for):
    response = client_for(org.rep).get(MINE, {"q": "a" * 5000})
    assert response.status_code == 200
    assert len(response.context["query"].search) == 100


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alpha Health", "Bravo Logistics", "Charlie Retail"]),
        ("-name", ["Charlie Retail", "Bravo Logistics", "Alpha Health"]),
        ("potential", ["Alpha Health", "Charlie Retail", "Bravo Logistics"]),
        ("-potential", ["Bravo Logistics", "Charlie Retail", "Alpha Health"]),
        ("industry", ["Alpha Health", "Bravo Logistics", "Charlie Retail"]),
        ("territory", ["Charlie Retail", "Alpha Health", "Bravo Logistics"]),
        ("-territory", ["Bravo Logistics", "Alpha Health", "Charlie Retail"]),
    ],
)
def test_accounts_sort_by_the_whitelisted_keys(org, rep_world, client_for, sort, expected):
    response = client_for(org.rep).get(MINE, {"sort": sort})
    assert account_names(response) == expected


@pytest.mark.parametrize(
    "sort", ["password", "-tenant__name", "territory__members__member", "--name", "", "1;drop"]
)
def test_an_unknown_sort_key_falls_back_to_name(org, rep_world, client_for, sort):
    response = client_for(org.rep).get(MINE, {"sort": sort})
    assert response.status_code == 200
    assert response.context["query"].sort_param == "name"
    assert account_names(response) == ["Alpha Health", "Bravo Logistics", "Charlie Retail"]


def test_clicking_the_sorted_column_again_reverses_it(org, rep_world, client_for):
    response = client_for(org.rep).get(MINE, {"sort": "name", "q": "a"})
    content = response.content.decode()
    assert 'href="?sort=-name&amp;q=a"' in content
    assert 'aria-sort="ascending"' in content


def test_accounts_can_be_filtered_to_one_of_my_territories(org, rep_world, client_for):
    response = client_for(org.rep).get(MINE, {"territory": rep_world["north"].pk})
    assert account_names(response) == ["Charlie Retail"]


@pytest.mark.parametrize("which", ["east", "foreign"])
def test_filtering_by_a_territory_that_is_not_mine_is_404(org, rep_world, client_for, which):
    """Another rep's territory, or another organisation's with the same name."""
    response = client_for(org.rep).get(MINE, {"territory": rep_world[which].pk})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "999999"])
def test_a_malformed_territory_filter_is_404_not_a_crash(org, rep_world, client_for, value):
    assert client_for(org.rep).get(MINE, {"territory": value}).status_code == 404


def test_accounts_are_paginated_by_fifty(org, client_for):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=LONG_AGO)
    for number in range(60):
        AccountFactory(tenant=org.tenant, territory=west, name=f"Account {number:03d}")
    client = client_for(org.rep)
    first = client.get(MINE)
    assert len(account_names(first)) == 50
    assert "1–50 of 60 accounts" in first.content.decode()
    second = client.get(MINE, {"page": 2})
    assert account_names(second)[0] == "Account 050"
    assert len(account_names(second)) == 10
    # A page that does not exist shows the nearest one instead of an error.
    assert client.get(MINE, {"page": "zzz"}).status_code == 200
    assert len(account_names(client.get(MINE, {"page": 99}))) == 10


def test_an_htmx_request_gets_only_the_accounts_table(org, rep_world, client_for):
    response = client_for(org.rep).get(
        MINE, {"q": "alpha"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="accounts-table"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Alpha Health" in content
    assert "Bravo Logistics" not in content
    # The form's hidden sort field follows the table's sort.
    assert 'id="account-sort"' in content
    assert 'hx-swap-oob="true"' in content


def test_the_search_form_works_without_javascript_and_with_htmx(org, rep_world, client_for):
    content = client_for(org.rep).get(MINE).content.decode()
    assert 'method="get"' in content
    assert f'hx-get="{MINE}"' in content
    assert 'hx-target="#accounts-table"' in content
    assert 'hx-push-url="true"' in content


def test_my_territories_has_a_query_budget_that_does_not_grow_with_accounts(
    org, client_for, django_assert_max_num_queries
):
    client = client_for(org.rep)
    for number in range(4):
        territory = TerritoryFactory(tenant=org.tenant, name=f"T{number}")
        TerritoryMemberFactory(territory=territory, member=org.rep, start_date=LONG_AGO)
        for _ in range(15):
            AccountFactory(tenant=org.tenant, territory=territory)
    # Session, user, memberships; links, territory stats, count, page; the unread count.
    with django_assert_max_num_queries(9):
        response = client.get(MINE, {"sort": "territory", "q": "Account"})
    assert len(account_names(response)) == 50


# --- Balance report ----------------------------------------------------------------------


@pytest.fixture
def balance_world(org, other):
    """Mean potential per owner is 100,000: North +30%, South +20%, West -50%.

    East has accounts but no owner (and is not part of the mean); North's overlay does
    not count as an owner.
    """

    def owned(name: str, potential: str, owners: int = 1):
        territory = TerritoryFactory(tenant=org.tenant, name=name)
        for _ in range(owners):
            TerritoryMemberFactory(
                territory=territory,
                member=MembershipFactory(tenant=org.tenant),
                start_date=LONG_AGO,
            )
        AccountFactory(tenant=org.tenant, territory=territory, annual_potential=Decimal(potential))
        return territory

    north = owned("North", "130000.00")
    TerritoryMemberFactory(territory=north, member=org.rep, role="overlay", start_date=LONG_AGO)
    owned("South", "120000.00")
    owned("West", "50000.00")
    owned("East", "999999.00", owners=0)
    foreign = TerritoryFactory(tenant=other.tenant, name="Globex Central")
    TerritoryMemberFactory(territory=foreign, member=other.rep, start_date=LONG_AGO)
    AccountFactory(tenant=other.tenant, territory=foreign, annual_potential=Decimal("7777777"))


def statuses(response) -> dict[str, str]:
    return {item["row"].territory.name: item["status"] for item in response.context["report"]}


def test_the_balance_report_sends_visitors_to_the_login_page(client):
    response = client.get(BALANCE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_reps_may_not_open_the_balance_report(org, client_for):
    assert client_for(org.rep).get(BALANCE).status_code == 403
    assert client_for(org.rep).get(BALANCE, {"format": "csv"}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_open_the_balance_report(org, balance_world, client_for, role):
    assert client_for(getattr(org, role)).get(BALANCE).status_code == 200


def test_territories_more_than_25_percent_from_the_mean_are_flagged(org, balance_world, client_for):
    response = client_for(org.manager).get(BALANCE)
    assert response.context["mean"] == Decimal("100000.00")
    assert statuses(response) == {
        "East": "no_owner",
        "North": "over",  # +30%
        "South": "balanced",  # +20%
        "West": "under",  # -50%
    }
    rows = {item["row"].territory.name: item["row"] for item in response.context["report"]}
    assert rows["North"].deviation_pct == Decimal("30.0")
    assert rows["North"].flagged is True
    assert rows["South"].deviation_pct == Decimal("20.0")
    assert rows["South"].flagged is False
    assert rows["East"].potential_per_owner is None
    assert len(rows["North"].owners) == 1  # the overlay is not an owner
    content = response.content.decode()
    assert "Over-loaded" in content
    assert "Under-loaded" in content
    assert "No owner" in content
    assert "+30.0%" in content


def test_potential_per_owner_divides_by_the_number_of_owners(org, client_for):
    """Two owners on one date cannot share a territory, but one owner may end as another starts."""
    today = org.tenant.today()
    shared = TerritoryFactory(tenant=org.tenant, name="Shared")
    TerritoryMemberFactory(
        territory=shared, member=org.rep, start_date=LONG_AGO, end_date=today - dt.timedelta(1)
    )
    TerritoryMemberFactory(territory=shared, member=org.outsider_rep, start_date=today)
    AccountFactory(tenant=org.tenant, territory=shared, annual_potential=Decimal("80000"))
    response = client_for(org.admin).get(BALANCE)
    (item,) = response.context["report"]
    assert [owner.pk for owner in item["row"].owners] == [org.outsider_rep.pk]
    assert item["row"].potential_per_owner == Decimal("80000.00")


def test_the_balance_report_explains_the_mean_and_the_rule(org, balance_world, client_for):
    content = client_for(org.admin).get(BALANCE).content.decode()
    assert "Mean potential per owner" in content
    assert "more than 25% away from the mean" in content
    assert "EUR 125,000.00" in content  # upper bound
    assert "EUR 75,000.00" in content  # lower bound


def test_the_balance_report_never_shows_another_organisations_territories(
    org, other, balance_world, client_for
):
    response = client_for(org.admin).get(BALANCE)
    assert "Globex Central" not in response.content.decode()
    assert "Globex Central" not in statuses(response)
    csv_text = download(client_for(org.admin).get(BALANCE, {"format": "csv"}))
    assert "Globex Central" not in csv_text
    assert "7777777" not in csv_text


def test_the_chart_uses_the_vendored_chart_library_and_json_data(org, balance_world, client_for):
    response = client_for(org.manager).get(BALANCE)
    content = response.content.decode()
    assert '<script id="balance-chart-data" type="application/json">' in content
    assert f"{settings.STATIC_URL}vendor/chart.js/chart.umd.min.js" in content
    assert f"{settings.STATIC_URL}js/territories-balance.js" in content
    assert finders.find("vendor/chart.js/chart.umd.min.js")
    assert finders.find("js/territories-balance.js")
    assert "cdn" not in content.lower()
    chart = response.context["chart"]
    # Only territories with an owner are charted, in the table's order; money as strings.
    assert chart["labels"] == ["North", "South", "West"]
    assert chart["values"] == ["130000.00", "120000.00", "50000.00"]
    assert chart["flagged"] == [True, False, True]
    assert chart["mean"] == "100000.00"


def test_the_balance_report_downloads_as_csv(org, balance_world, client_for):
    response = client_for(org.manager).get(BALANCE, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download(response))))
    by_name = {row["territory"]: row for row in rows}
    assert set(by_name) == {"East", "North", "South", "West"}
    assert by_name["North"]["total_potential"] == "130000.00"
    assert by_name["North"]["potential_per_owner"] == "130000.00"
    assert by_name["North"]["deviation_pct"] == "30.0"
    assert by_name["North"]["status"] == "Over-loaded"
    assert by_name["West"]["status"] == "Under-loaded"
    assert by_name["South"]["status"] == "Within range"
    assert by_name["East"]["status"] == "No owner"
    assert by_name["East"]["potential_per_owner"] == ""


def test_csv_cells_that_look_like_formulas_are_neutralised(org, client_for):
    TerritoryFactory(tenant=org.tenant, name='=HYPERLINK("http://x")')
    text = download(client_for(org.admin).get(BALANCE, {"format": "csv"}))
    assert "'=HYPERLINK" in text


def test_an_unknown_format_shows_the_page(org, balance_world, client_for):
    response = client_for(org.admin).get(BALANCE, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_sub_territories_follow_their_parent(org, client_for):
    emea = TerritoryFactory(tenant=org.tenant, name="EMEA")
    TerritoryFactory(tenant=org.tenant, name="Alps", parent=emea)
    TerritoryFactory(tenant=org.tenant, name="Zulu")
    response = client_for(org.admin).get(BALANCE)
    order = [(item["row"].territory.name, item["row"].depth) for item in response.context["report"]]
    assert order == [("EMEA", 0), ("Alps", 1), ("Zulu", 0)]


def test_the_balance_report_without_territories_has_a_helpful_empty_state(org, client_for):
    content = client_for(org.admin).get(BALANCE).content.decode()
    assert "No active territories yet" in content
    assert 'href="/admin/' in content


def test_the_balance_report_has_a_query_budget_that_does_not_grow_with_territories(
    org, client_for, django_assert_max_num_queries
):
    for number in range(20):
        territory = TerritoryFactory(tenant=org.tenant, name=f"T{number:02d}")
        TerritoryMemberFactory(
            territory=territory,
            member=MembershipFactory(tenant=org.tenant),
            start_date=LONG_AGO,
        )
        for _ in range(3):
            AccountFactory(tenant=org.tenant, territory=territory)
    client = client_for(org.manager)
    # Session, user, memberships; depths, territories with stats, owners; the unread count.
    with django_assert_max_num_queries(7):
        response = client.get(BALANCE)
    assert len(response.context["report"]) == 20
    with django_assert_max_num_queries(6):
        client.get(BALANCE, {"format": "csv"})
