"""The sales API: upsert by external id (201 new, 200 existing), bulk, roles, tenant
isolation, validation, optimistic locking, filters and query budgets."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas.models import Sale
from spm.tenancy.context import across_tenants

from ..factories import MembershipFactory
from ..territories.factories import AccountFactory
from .factories import SaleFactory, jobs_fixture  # noqa: F401 (a fixture)

SALES = "/api/v1/sales/"
BULK = SALES + "bulk/"
ROLES = ["admin", "manager", "rep"]
ATTAINMENT = "quotas.tasks.attainment_for_members"


def member(org, role: str):
    return getattr(org, role)


@pytest.fixture
def world(org, other):
    with across_tenants():  # Arranging both organisations' rows.
        account = AccountFactory(tenant=org.tenant, name="Acme Tools")
        rep_sale = SaleFactory(
            member=org.rep, account=account, external_id="CRM-1", closed_on=dt.date(2026, 3, 2)
        )
        outsider_sale = SaleFactory(
            member=org.outsider_rep,
            account=account,
            external_id="CRM-2",
            closed_on=dt.date(2026, 3, 20),
        )
        manager_sale = SaleFactory(
            member=org.manager, account=account, external_id="CRM-3", closed_on=dt.date(2026, 4, 1)
        )
        foreign_account = AccountFactory(tenant=other.tenant)
        foreign = SaleFactory(member=other.rep, account=foreign_account, external_id="CRM-1")
    return {
        "account": account,
        "rep": rep_sale,
        "outsider": outsider_sale,
        "own": manager_sale,
        "foreign": foreign,
        "foreign_account": foreign_account,
    }


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def body(org, world, **values) -> dict:
    return {
        "external_id": "CRM-9",
        "member_id": org.rep.pk,
        "account_id": world["account"].pk,
        "amount": "2500.00",
        "closed_on": "2026-03-05",
        **values,
    }


def fresh(sale) -> Sale:
    return Sale.all_tenants.get(pk=sale.pk)


# --- Reading ---------------------------------------------------------------------------


def test_a_sale_reads_with_money_as_a_string(org, world, api_for, jobs):
    response = api_for(org.rep).get(f"{SALES}{world['rep'].pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": world["rep"].pk,
        "member_id": org.rep.pk,
        "account_id": world["account"].pk,
        "amount": "1200.00",
        "closed_on": "2026-03-02",
        "external_id": "CRM-1",
        "source": "manual",
        "version": 1,
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", {"rep", "outsider", "own"}), ("manager", {"rep", "own"}), ("rep", {"rep"})],
)
def test_each_role_lists_the_sales_it_may_see(org, world, api_for, jobs, role, expected):
    response = api_for(member(org, role)).get(SALES)
    assert response.status_code == 200
    assert ids(response) == {world[name].pk for name in expected}


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_sale_is_404_for_every_role(org, world, api_for, jobs, role):
    api = api_for(member(org, role))
    url = f"{SALES}{world['foreign'].pk}/"
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code in (403, 404)
    assert Sale.all_tenants.filter(pk=world["foreign"].pk).exists()


def test_another_reps_sale_is_404_to_a_rep_and_to_a_manager_outside_it(org, world, api_for, jobs):
    assert api_for(org.rep).get(f"{SALES}{world['outsider'].pk}/").status_code == 404
    assert api_for(org.manager).get(f"{SALES}{world['outsider'].pk}/").status_code == 404
    url = f"{SALES}{world['outsider'].pk}/"
    assert api_for(org.manager).delete(url).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2026-03-10", {"outsider", "own"}),
        ("to=2026-03-10", {"rep"}),
        ("from=2026-03-01&to=2026-03-31", {"rep", "outsider"}),
        ("member_id={manager}", {"own"}),
        ("external_id=CRM-2", {"outsider"}),
    ],
)
def test_sales_can_be_filtered(org, world, api_for, jobs, query, expected):
    query = query.format(manager=org.manager.pk)
    assert ids(api_for(org.admin).get(f"{SALES}?{query}")) == {world[n].pk for n in expected}


@pytest.mark.parametrize("query", ["from=2026-13-01", "to=0001-01-01", "member_id=x"])
def test_a_malformed_sales_filter_is_a_400(org, world, api_for, jobs, query):
    assert api_for(org.admin).get(f"{SALES}?{query}").status_code == 400


def test_the_sales_list_costs_the_same_queries_for_many_sales(
    org, world, api_for, jobs, django_assert_max_num_queries
):
    api = api_for(org.manager)
    with django_assert_max_num_queries(12) as few:
        api.get(SALES)
    with across_tenants():
        for _ in range(30):
            SaleFactory(
                member=MembershipFactory(tenant=org.tenant, manager=org.manager),
                account=world["account"],
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(SALES).json()["count"] == 32


# --- Writing one sale ----------------------------------------------------------------


def test_a_new_external_id_is_created_201_and_a_known_one_updated_200(org, world, api_for, jobs):
    api = api_for(org.manager)
    created = api.post(SALES, body(org, world), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["source"] == "api"

    updated = api.post(SALES, body(org, world, amount="3000"), format="json")

    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert (updated.json()["amount"], updated.json()["version"]) == ("3000.00", 2)
    assert Sale.all_tenants.filter(tenant=org.tenant, external_id="CRM-9").count() == 1
    assert [name for name, _ in jobs] == [ATTAINMENT, ATTAINMENT]


def test_an_external_id_of_another_organisation_is_free_here(org, world, api_for, jobs):
    response = api_for(org.admin).post(SALES, body(org, world, external_id="CRM-1"), format="json")
    assert response.status_code == 200  # acme's own CRM-1, not globex's.
    assert response.json()["id"] == world["rep"].pk
    assert fresh(world["foreign"]).amount == Decimal("1200.00")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e999999"}, "amount"),
        ({"closed_on": "2999-01-01"}, "closed_on"),
        ({"closed_on": "yesterday"}, "closed_on"),
        ({"external_id": ""}, "external_id"),
        ({"account_id": 987654}, "account_id"),
        ({"member_id": 987654}, "member_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(
    org, world, api_for, jobs, values, field
):
    response = api_for(org.admin).post(SALES, body(org, world, **values), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Sale.all_tenants.filter(external_id="CRM-9").exists()


def test_an_account_or_member_of_another_organisation_does_not_exist_here(
    org, other, world, api_for, jobs
):
    values = {"account_id": world["foreign_account"].pk, "member_id": other.rep.pk}
    response = api_for(org.admin).post(SALES, body(org, world, **values), format="json")
    assert response.status_code == 400
    assert {"account_id", "member_id"} <= set(response.json())


def test_a_manager_records_sales_for_their_tree_only_and_a_rep_for_nobody(
    org, world, api_for, jobs
):
    manager = api_for(org.manager)
    assert (
        manager.post(SALES, body(org, world, member_id=org.manager.pk), format="json").status_code
        == 403
    )
    assert (
        manager.post(
            SALES, body(org, world, member_id=org.outsider_rep.pk), format="json"
        ).status_code
        == 400
    )
    rep = api_for(org.rep)
    assert rep.post(SALES, body(org, world), format="json").status_code == 403
    assert (
        rep.patch(f"{SALES}{world['rep'].pk}/", {"amount": "1"}, format="json").status_code == 403
    )
    assert rep.delete(f"{SALES}{world['rep'].pk}/").status_code == 403
    assert not Sale.all_tenants.filter(external_id="CRM-9").exists()


def test_a_change_by_id_with_a_stale_version_is_a_409_with_the_sale_now(org, world, api_for, jobs):
    api = api_for(org.admin)
    url = f"{SALES}{world['rep'].pk}/"
    assert api.patch(url, {"amount": "1300", "version": 1}, format="json").status_code == 200

    response = api.patch(url, {"amount": "1", "version": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["current"] == api.get(url).json()
    assert fresh(world["rep"]).amount == Decimal("1300.00")


def test_a_sale_cannot_take_another_sales_external_id(org, world, api_for, jobs):
    response = api_for(org.admin).patch(
        f"{SALES}{world['rep'].pk}/", {"external_id": "CRM-2"}, format="json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()


def test_a_manager_deletes_their_teams_sale(org, world, api_for, jobs):
    assert api_for(org.manager).delete(f"{SALES}{world['rep'].pk}/").status_code == 204
    assert not Sale.all_tenants.filter(pk=world["rep"].pk).exists()
    assert jobs[-1][0] == ATTAINMENT


# --- Bulk -------------------------------------------------------------------------


def test_a_bulk_write_upserts_every_sale_and_schedules_attainment_once(org, world, api_for, jobs):
    items = [
        body(org, world, external_id=f"B-{n}", amount=f"{n}.50", closed_on=f"2026-03-{n + 1:02d}")
        for n in range(20)
    ] + [body(org, world, external_id="CRM-1", amount="1200.00", closed_on="2026-03-02")]

    response = api_for(org.manager).post(BULK, items, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 20, "updated": 0, "unchanged": 1}
    assert Sale.all_tenants.filter(tenant=org.tenant, external_id__startswith="B-").count() == 20
    assert [name for name, _ in jobs] == [ATTAINMENT]


def test_a_bulk_write_with_a_bad_item_saves_nothing_and_names_index_and_field(
    org, world, api_for, jobs
):
    items = [
        body(org, world, external_id="B-1"),
        body(org, world, external_id="B-2", amount="-1"),
        body(org, world, external_id="B-3", account_id=world["foreign_account"].pk),
        body(org, world, external_id="B-4", member_id=org.outsider_rep.pk),
    ]
    api = api_for(org.manager)

    first = api.post(BULK, items, format="json")
    assert first.status_code == 400
    assert set(first.json()) == {"1"} and "amount" in first.json()["1"]

    del items[1]
    second = api.post(BULK, items, format="json")
    assert second.status_code == 400
    assert set(second.json()) == {"1", "2"}
    assert second.json()["1"] == {"account_id": ["Choose an account of this organisation."]}
    assert second.json()["2"] == {"member_id": [f"{org.outsider_rep.name} is not in your team."]}
    assert not Sale.all_tenants.filter(external_id__startswith="B-").exists()
    assert jobs == []


@pytest.mark.parametrize("payload", [{}, [], "x", [1], [{"external_id": "A"}]])
def test_a_malformed_bulk_body_is_a_400(org, world, api_for, jobs, payload):
    response = api_for(org.admin).post(BULK, payload, format="json")
    assert response.status_code == 400


def test_a_bulk_write_is_capped(org, world, api_for, jobs, monkeypatch):
    monkeypatch.setattr("quotas.api.MAX_BULK_SALES", 2)
    items = [body(org, world, external_id=f"B-{n}") for n in range(3)]
    response = api_for(org.admin).post(BULK, items, format="json")
    assert response.status_code == 400
    assert "At most 2" in response.json()["non_field_errors"][0]


def test_reps_may_not_write_in_bulk(org, world, api_for, jobs):
    response = api_for(org.rep).post(BULK, [body(org, world)], format="json")
    assert response.status_code == 403


def test_a_bulk_write_of_many_sales_costs_a_bounded_number_of_queries(
    org, world, api_for, jobs, django_assert_max_num_queries
):
    items = [
        body(org, world, external_id=f"B-{n:05d}", closed_on=f"2026-0{1 + n % 6}-1{n % 9}")
        for n in range(2_000)
    ]
    with django_assert_max_num_queries(60):
        response = api_for(org.admin).post(BULK, items, format="json")
    assert response.json()["created"] == 2_000
