"""The territories and accounts API: roles, tenant isolation, validation, filters, assign."""

import datetime as dt
from decimal import Decimal

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from spm.notifications.models import Notification
from territories.models import Account, AccountAssignment, Territory

from .factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

TERRITORIES = "/api/v1/territories/"
ACCOUNTS = "/api/v1/accounts/"
ASSIGN = "/api/v1/accounts/assign/"
ROLES = ["admin", "manager", "rep"]


def member(org, role: str):
    return getattr(org, role)


@pytest.fixture
def world(org, other):
    """Two territories in ``org`` (the rep owns East today), one in ``other``, accounts in each."""
    today = org.tenant.today()
    region = TerritoryFactory(tenant=org.tenant, name="North America")
    east = TerritoryFactory(tenant=org.tenant, name="East", parent=region)
    west = TerritoryFactory(tenant=org.tenant, name="West", parent=region)
    TerritoryMemberFactory(territory=east, member=org.rep, start_date=today - dt.timedelta(days=30))
    # The rep worked West once, but not any more: it is not theirs today.
    TerritoryMemberFactory(
        territory=west,
        member=org.rep,
        role="overlay",
        start_date=today - dt.timedelta(days=90),
        end_date=today - dt.timedelta(days=1),
    )
    boston = AccountFactory(
        tenant=org.tenant,
        name="Blue Harbor Logistics",
        external_id="ACC-1",
        territory=east,
        industry="Logistics",
        country="US",
        region="MA",
        postal_code="02110",
        annual_potential=Decimal("125000.50"),
    )
    seattle = AccountFactory(
        tenant=org.tenant,
        name="Summit Health",
        external_id="ACC-2",
        territory=west,
        industry="Healthcare",
        country="US",
        region="WA",
        postal_code="98101",
        annual_potential=Decimal("80000.00"),
    )
    berlin = AccountFactory(
        tenant=org.tenant,
        name="Northwind Foods GmbH",
        external_id="ACC-3",
        territory=None,
        industry="Retail",
        country="DE",
        region="BE",
        postal_code="10115",
        annual_potential=Decimal("40000.00"),
    )
    foreign_territory = TerritoryFactory(tenant=other.tenant, name="Elsewhere")
    foreign_account = AccountFactory(
        tenant=other.tenant, external_id="ACC-1", territory=foreign_territory
    )
    return {
        "region": region,
        "east": east,
        "west": west,
        "boston": boston,
        "seattle": seattle,
        "berlin": berlin,
        "foreign_territory": foreign_territory,
        "foreign_account": foreign_account,
    }


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


# --- Territories: reading ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_list_every_territory_with_depth_count_and_potential(
    org, world, api_for, role
):
    response = api_for(member(org, role)).get(TERRITORIES)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    rows = {row["name"]: row for row in body["results"]}
    assert rows["East"] == {
        "id": world["east"].pk,
        "name": "East",
        "parent_id": world["region"].pk,
        "active": True,
        "description": "",
        "depth": 1,
        "account_count": 1,
        "total_potential": "125000.50",
    }
    assert rows["North America"]["parent_id"] is None
    assert rows["North America"]["depth"] == 0
    assert rows["North America"]["total_potential"] == "0.00"


def test_a_rep_lists_only_the_territories_they_work_today(org, world, api_for):
    response = api_for(org.rep).get(TERRITORIES)
    assert response.status_code == 200
    assert names(response) == ["East"]


def test_a_rep_gets_404_for_a_territory_they_do_not_work(org, world, api_for):
    api = api_for(org.rep)
    assert api.get(f"{TERRITORIES}{world['east'].pk}/").status_code == 200
    assert api.get(f"{TERRITORIES}{world['west'].pk}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_another_tenants_territory_is_404_for_every_role(org, world, api_for, role):
    api = api_for(member(org, role))
    url = f"{TERRITORIES}{world['foreign_territory'].pk}/"
    assert api.get(url).status_code == 404
    assert names(api.get(TERRITORIES)).count("Elsewhere") == 0


def test_another_tenants_territory_is_404_to_an_admin_changing_it(org, world, api_for):
    url = f"{TERRITORIES}{world['foreign_territory'].pk}/"
    response = api_for(org.admin).patch(url, {"name": "Mine now"}, format="json")
    assert response.status_code == 404
    assert Territory.all_tenants.get(pk=world["foreign_territory"].pk).name == "Elsewhere"


def test_the_territory_list_needs_a_login(world, client):
    assert client.get(TERRITORIES).status_code in (401, 403)


def test_the_territory_list_costs_a_bounded_number_of_queries(
    org, world, api_for, django_assert_max_num_queries
):
    for number in range(30):
        territory = TerritoryFactory(
            tenant=org.tenant, name=f"Extra {number}", parent=world["east"]
        )
        AccountFactory(tenant=org.tenant, territory=territory)
    api = api_for(org.admin)
    with django_assert_max_num_queries(8):
        response = api.get(TERRITORIES)
    assert response.json()["count"] == 33


# --- Territories: writing ----------------------------------------------------------------


def test_an_admin_creates_a_territory_inside_a_parent(org, world, api_for):
    response = api_for(org.admin).post(
        TERRITORIES,
        {"name": "Mid-Atlantic", "parent_id": world["region"].pk, "description": "NY, NJ, PA"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Mid-Atlantic"
    assert body["parent_id"] == world["region"].pk
    assert body["depth"] == 1
    assert body["active"] is True
    assert body["account_count"] == 0
    created = Territory.all_tenants.get(pk=body["id"])
    assert created.tenant_id == org.tenant.pk
    assert created.description == "NY, NJ, PA"


def test_a_parent_from_another_tenant_does_not_exist_and_nothing_is_created(org, world, api_for):
    response = api_for(org.admin).post(
        TERRITORIES,
        {"name": "Sneaky", "parent_id": world["foreign_territory"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["parent_id"][0]
    assert not Territory.all_tenants.filter(name="Sneaky").exists()


@pytest.mark.parametrize("name", ["East", "east", " EAST "])
def test_a_duplicate_territory_name_in_any_case_is_a_400_on_the_name(org, world, api_for, name):
    response = api_for(org.admin).post(TERRITORIES, {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["name"] == ["A territory named “East” already exists."]
    assert Territory.all_tenants.filter(tenant=org.tenant, name__iexact="East").count() == 1


def test_renaming_a_territory_to_another_ones_name_in_any_case_is_a_400(org, world, api_for):
    other = Territory.all_tenants.get(tenant=org.tenant, name="West")
    response = api_for(org.admin).patch(
        f"{TERRITORIES}{other.pk}/", {"name": "eAST"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["name"] == ["A territory named “East” already exists."]
    other.refresh_from_db()
    assert other.name != "eAST"


def test_a_territory_may_change_the_case_of_its_own_name(org, world, api_for):
    east = Territory.all_tenants.get(tenant=org.tenant, name="East")
    response = api_for(org.admin).patch(f"{TERRITORIES}{east.pk}/", {"name": "EAST"}, format="json")
    assert response.status_code == 200
    east.refresh_from_db()
    assert east.name == "EAST"


def test_a_territory_cannot_move_inside_its_own_subtree(org, world, api_for):
    url = f"{TERRITORIES}{world['region'].pk}/"
    response = api_for(org.admin).patch(url, {"parent_id": world["east"].pk}, format="json")
    assert response.status_code == 400
    assert "inside itself" in response.json()["parent_id"][0]
    assert Territory.all_tenants.get(pk=world["region"].pk).parent_id is None


def test_a_territory_needs_a_name(org, world, api_for):
    response = api_for(org.admin).post(TERRITORIES, {"name": ""}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_an_admin_deactivates_a_territory_keeping_its_other_fields(org, world, api_for):
    url = f"{TERRITORIES}{world['east'].pk}/"
    response = api_for(org.admin).patch(url, {"active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False
    east = Territory.all_tenants.get(pk=world["east"].pk)
    assert (east.active, east.name, east.parent_id) == (False, "East", world["region"].pk)


def test_an_admin_replaces_a_territory_with_put(org, world, api_for):
    url = f"{TERRITORIES}{world['west'].pk}/"
    response = api_for(org.admin).put(
        url, {"name": "Pacific", "parent_id": None, "active": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    west = Territory.all_tenants.get(pk=world["west"].pk)
    assert (west.name, west.parent_id) == ("Pacific", None)
    assert response.json()["account_count"] == 1


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_create_or_change_territories(org, world, api_for, role):
    api = api_for(member(org, role))
    assert api.post(TERRITORIES, {"name": "Mine"}, format="json").status_code == 403
    url = f"{TERRITORIES}{world['east'].pk}/"
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 403
    assert not Territory.all_tenants.filter(name__in=["Mine", "Renamed"]).exists()


@pytest.mark.parametrize("role", ROLES)
def test_deleting_a_territory_is_not_allowed_for_anyone(org, world, api_for, role):
    api = api_for(member(org, role))
    response = api.delete(f"{TERRITORIES}{world['east'].pk}/")
    assert response.status_code == 405
    assert "active" in response.json()["detail"]
    assert api.delete(f"{TERRITORIES}{world['foreign_territory'].pk}/").status_code == 405
    assert Territory.all_tenants.filter(pk=world["east"].pk).exists()


# --- Accounts: reading ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_list_every_account_with_money_as_a_string(org, world, api_for, role):
    response = api_for(member(org, role)).get(ACCOUNTS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    row = next(r for r in body["results"] if r["external_id"] == "ACC-1")
    assert row == {
        "id": world["boston"].pk,
        "name": "Blue Harbor Logistics",
        "external_id": "ACC-1",
        "industry": "Logistics",
        "country": "US",
        "region": "MA",
        "postal_code": "02110",
        "annual_potential": "125000.50",
        "territory_id": world["east"].pk,
        "territory_name": "East",
    }


def test_a_rep_sees_only_the_accounts_of_their_territories(org, world, api_for):
    api = api_for(org.rep)
    assert names(api.get(ACCOUNTS)) == ["Blue Harbor Logistics"]
    assert api.get(f"{ACCOUNTS}{world['boston'].pk}/").status_code == 200
    assert api.get(f"{ACCOUNTS}{world['seattle'].pk}/").status_code == 404
    assert api.get(f"{ACCOUNTS}{world['berlin'].pk}/").status_code == 404


def test_a_rep_outside_every_territory_sees_no_accounts(org, world, api_for):
    assert api_for(org.outsider_rep).get(ACCOUNTS).json()["count"] == 0


@pytest.mark.parametrize("role", ROLES)
def test_another_tenants_account_is_404_for_every_role(org, world, api_for, role):
    api = api_for(member(org, role))
    assert api.get(f"{ACCOUNTS}{world['foreign_account'].pk}/").status_code == 404
    ids = [row["id"] for row in api.get(ACCOUNTS).json()["results"]]
    assert world["foreign_account"].pk not in ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("territory_id={east}", ["Blue Harbor Logistics"]),
        ("unassigned=true", ["Northwind Foods GmbH"]),
        ("unassigned=false", ["Blue Harbor Logistics", "Summit Health"]),
        ("search=harbor", ["Blue Harbor Logistics"]),
        ("search=ACC-2", ["Summit Health"]),
        ("search=981", ["Summit Health"]),
        # Postal codes match from their start: 98101 contains 101 but does not start with it.
        ("search=101", ["Northwind Foods GmbH"]),
        ("industry=healthcare", ["Summit Health"]),
        ("country=de", ["Northwind Foods GmbH"]),
        ("country=US&industry=Logistics", ["Blue Harbor Logistics"]),
        ("territory_id={foreign}", []),
    ],
)
def test_accounts_can_be_filtered(org, world, api_for, query, expected):
    query = query.format(east=world["east"].pk, foreign=world["foreign_territory"].pk)
    response = api_for(org.admin).get(f"{ACCOUNTS}?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_a_malformed_filter_is_a_400(org, world, api_for):
    response = api_for(org.admin).get(f"{ACCOUNTS}?territory_id=east")
    assert response.status_code == 400
    assert "territory_id" in response.json()


@pytest.mark.parametrize("role", ["admin", "rep"])
def test_the_account_list_costs_a_bounded_number_of_queries(
    org, world, api_for, role, django_assert_max_num_queries
):
    for number in range(40):
        AccountFactory(tenant=org.tenant, name=f"Extra {number}", territory=world["east"])
    api = api_for(member(org, role))
    with django_assert_max_num_queries(6):
        response = api.get(ACCOUNTS)
    assert response.json()["count"] == (43 if role == "admin" else 41)


# --- Accounts: writing ----------------------------------------------------------------


def new_account(**overrides) -> dict:
    return {
        "name": "Cedar Point Software Inc",
        "external_id": "ACC-9",
        "industry": "Software",
        "country": "us",
        "region": "NY",
        "postal_code": "10001",
        "annual_potential": "250000.00",
        **overrides,
    }


def test_an_admin_creates_an_account_in_a_territory_with_history_and_a_notice(org, world, api_for):
    response = api_for(org.admin).post(
        ACCOUNTS, new_account(territory_id=world["east"].pk), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["annual_potential"] == "250000.00"
    assert body["country"] == "US"
    assert body["territory_id"] == world["east"].pk
    account = Account.all_tenants.get(pk=body["id"])
    assert account.tenant_id == org.tenant.pk
    assert account.territory_id == world["east"].pk
    history = AccountAssignment.all_tenants.get(account=account)
    assert (history.from_territory_id, history.to_territory_id) == (None, world["east"].pk)
    assert history.source == AccountAssignment.Source.API
    assert Notification.all_tenants.filter(recipient=org.rep, kind="accounts.moved_in").exists()


def test_a_duplicate_external_id_is_a_400_and_nothing_is_created(org, world, api_for):
    response = api_for(org.admin).post(ACCOUNTS, new_account(external_id="ACC-1"), format="json")
    assert response.status_code == 400
    assert response.json()["external_id"] == [
        "Another account already has the external ID “ACC-1”."
    ]
    assert Account.all_tenants.filter(tenant=org.tenant).count() == 3


def test_an_external_id_used_by_another_tenant_is_free_here(org, world, api_for):
    # ACC-1 exists in both tenants already; ACC-X only in ``other``.
    AccountFactory(tenant=world["foreign_account"].tenant, external_id="ACC-X")
    response = api_for(org.admin).post(ACCOUNTS, new_account(external_id="ACC-X"), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"annual_potential": "-5"}, "annual_potential"),
        ({"annual_potential": "10.555"}, "annual_potential"),
        ({"annual_potential": "lots"}, "annual_potential"),
        ({"country": "U1"}, "country"),
        ({"country": "USA"}, "country"),
        ({"name": ""}, "name"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_bad_account_input_is_a_400_naming_the_field_and_nothing_is_created(
    org, world, api_for, overrides, field
):
    response = api_for(org.admin).post(ACCOUNTS, new_account(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Account.all_tenants.filter(external_id="ACC-9").exists()


def test_a_territory_of_another_tenant_does_not_exist_for_an_account(org, world, api_for):
    response = api_for(org.admin).post(
        ACCOUNTS, new_account(territory_id=world["foreign_territory"].pk), format="json"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["territory_id"][0]
    assert not Account.all_tenants.filter(external_id="ACC-9").exists()


def test_changing_an_accounts_territory_records_the_move(org, world, api_for):
    url = f"{ACCOUNTS}{world['seattle'].pk}/"
    response = api_for(org.admin).patch(url, {"territory_id": world["east"].pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["territory_id"] == world["east"].pk
    assert response.json()["name"] == "Summit Health"
    history = AccountAssignment.all_tenants.get(account=world["seattle"])
    assert (history.from_territory_id, history.to_territory_id) == (
        world["west"].pk,
        world["east"].pk,
    )
    assert history.effective_date == org.tenant.today()


def test_editing_other_fields_leaves_the_territory_and_history_alone(org, world, api_for):
    url = f"{ACCOUNTS}{world['seattle'].pk}/"
    response = api_for(org.admin).patch(url, {"annual_potential": "90000.10"}, format="json")
    assert response.status_code == 200, response.json()
    seattle = Account.all_tenants.get(pk=world["seattle"].pk)
    assert seattle.annual_potential == Decimal("90000.10")
    assert seattle.territory_id == world["west"].pk
    assert not AccountAssignment.all_tenants.exists()


def test_moving_an_account_into_an_inactive_territory_is_refused_and_nothing_changes(
    org, world, api_for
):
    Territory.all_tenants.filter(pk=world["east"].pk).update(active=False)
    url = f"{ACCOUNTS}{world['seattle'].pk}/"
    response = api_for(org.admin).patch(
        url, {"territory_id": world["east"].pk, "name": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    assert "inactive" in response.json()["territory_id"][0]
    seattle = Account.all_tenants.get(pk=world["seattle"].pk)
    assert (seattle.name, seattle.territory_id) == ("Summit Health", world["west"].pk)


def test_renaming_an_account_to_another_accounts_external_id_is_refused(org, world, api_for):
    url = f"{ACCOUNTS}{world['seattle'].pk}/"
    response = api_for(org.admin).patch(url, {"external_id": "ACC-1"}, format="json")
    assert response.status_code == 400
    assert "ACC-1" in response.json()["external_id"][0]
    assert Account.all_tenants.get(pk=world["seattle"].pk).external_id == "ACC-2"


def test_another_tenants_account_is_404_to_an_admin_changing_it(org, world, api_for):
    url = f"{ACCOUNTS}{world['foreign_account'].pk}/"
    response = api_for(org.admin).patch(url, {"name": "Mine"}, format="json")
    assert response.status_code == 404
    assert Account.all_tenants.get(pk=world["foreign_account"].pk).name != "Mine"


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_create_or_change_accounts(org, world, api_for, role):
    api = api_for(member(org, role))
    assert api.post(ACCOUNTS, new_account(), format="json").status_code == 403
    url = f"{ACCOUNTS}{world['boston'].pk}/"
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 403
    assert not Account.all_tenants.filter(external_id="ACC-9").exists()
    assert Account.all_tenants.get(pk=world["boston"].pk).name == "Blue Harbor Logistics"


@pytest.mark.parametrize("role", ROLES)
def test_deleting_an_account_is_not_allowed_for_anyone(org, world, api_for, role):
    response = api_for(member(org, role)).delete(f"{ACCOUNTS}{world['boston'].pk}/")
    assert response.status_code == 405
    assert Account.all_tenants.filter(pk=world["boston"].pk).exists()


# --- Assign ----------------------------------------------------------------


def territory_ids(*accounts) -> list[int | None]:
    return [Account.all_tenants.get(pk=a.pk).territory_id for a in accounts]


def test_an_admin_moves_accounts_and_gets_the_counts(org, world, api_for):
    response = api_for(org.admin).post(
        ASSIGN,
        {
            "account_ids": [world["boston"].pk, world["seattle"].pk, world["berlin"].pk],
            "territory_id": world["east"].pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"moved": 2, "scheduled": 0, "unchanged": 1}
    assert (
        territory_ids(world["boston"], world["seattle"], world["berlin"]) == [world["east"].pk] * 3
    )
    dates = set(AccountAssignment.all_tenants.values_list("effective_date", flat=True))
    assert dates == {org.tenant.today()}


def test_a_future_effective_date_schedules_the_move(org, world, api_for):
    later = org.tenant.today() + dt.timedelta(days=10)
    response = api_for(org.admin).post(
        ASSIGN,
        {
            "account_ids": [world["berlin"].pk],
            "territory_id": world["west"].pk,
            "effective_date": later.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"moved": 0, "scheduled": 1, "unchanged": 0}
    assert territory_ids(world["berlin"]) == [None]
    scheduled = AccountAssignment.all_tenants.get(account=world["berlin"])
    assert (scheduled.effective_date, scheduled.applied_at) == (later, None)


def test_a_null_territory_takes_accounts_out_of_every_territory(org, world, api_for):
    response = api_for(org.admin).post(
        ASSIGN, {"account_ids": [world["boston"].pk], "territory_id": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["moved"] == 1
    assert territory_ids(world["boston"]) == [None]


def test_unknown_and_foreign_account_ids_are_named_and_nothing_moves(org, world, api_for):
    foreign = world["foreign_account"].pk
    missing = max(Account.all_tenants.values_list("pk", flat=True)) + 100
    response = api_for(org.admin).post(
        ASSIGN,
        {"account_ids": [world["berlin"].pk, foreign, missing], "territory_id": world["east"].pk},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["account_ids"][0]
    assert str(foreign) in message
    assert str(missing) in message
    assert str(world["berlin"].pk) not in message
    assert territory_ids(world["berlin"], world["foreign_account"]) == [
        None,
        world["foreign_territory"].pk,
    ]
    assert not AccountAssignment.all_tenants.exists()


def test_a_territory_of_another_tenant_does_not_exist_for_assign(org, world, api_for):
    response = api_for(org.admin).post(
        ASSIGN,
        {"account_ids": [world["berlin"].pk], "territory_id": world["foreign_territory"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["territory_id"][0]
    assert territory_ids(world["berlin"]) == [None]


def test_assigning_into_an_inactive_territory_is_refused(org, world, api_for):
    Territory.all_tenants.filter(pk=world["west"].pk).update(active=False)
    response = api_for(org.admin).post(
        ASSIGN,
        {"account_ids": [world["berlin"].pk], "territory_id": world["west"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "inactive" in response.json()["territory_id"][0]
    assert territory_ids(world["berlin"]) == [None]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account_ids": [], "territory_id": None}, "account_ids"),
        ({"account_ids": ["x"], "territory_id": None}, "account_ids"),
        ({"territory_id": None}, "account_ids"),
        ({"account_ids": [1]}, "territory_id"),
        (
            {"account_ids": [1], "territory_id": None, "effective_date": "31/12/2026"},
            "effective_date",
        ),
    ],
)
def test_bad_assign_input_is_a_400_naming_the_field(org, world, api_for, body, field):
    response = api_for(org.admin).post(ASSIGN, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not AccountAssignment.all_tenants.exists()


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_assign(org, world, api_for, role):
    response = api_for(member(org, role)).post(
        ASSIGN,
        {"account_ids": [world["boston"].pk], "territory_id": world["west"].pk},
        format="json",
    )
    assert response.status_code == 403
    assert territory_ids(world["boston"]) == [world["east"].pk]


def test_assigning_many_accounts_costs_a_bounded_number_of_queries(
    org, world, api_for, django_assert_max_num_queries
):
    ids = [AccountFactory(tenant=org.tenant, territory=world["west"]).pk for _ in range(150)]
    api = api_for(org.admin)
    with django_assert_max_num_queries(20):
        response = api.post(
            ASSIGN, {"account_ids": ids, "territory_id": world["east"].pk}, format="json"
        )
    assert response.json()["moved"] == 150


# --- Schema ----------------------------------------------------------------


def test_the_schema_describes_these_endpoints_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ours = [
        message
        for message in GENERATOR_STATS._warn_cache
        if "territories/" in message or "TerritoryViewSet" in message or "AccountViewSet" in message
    ]
    assert ours == []
    assert "/api/v1/accounts/assign/" in schema["paths"]
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert account["annual_potential"]["type"] == "string"
    assert account["annual_potential"]["format"] == "decimal"
