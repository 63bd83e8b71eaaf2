"""CSV import (all or nothing, row and column named) and export of accounts."""

from decimal import Decimal

import pytest

from spm.tenancy.context import tenant_context
from territories import services
from territories.csv_io import ImportRejected, accounts_export, accounts_import
from territories.models import Account, AccountAssignment

from .factories import AccountFactory, TerritoryFactory

HEADER = "external_id,name,industry,country,region,postal_code,annual_potential,territory\n"


def run_import(org, text: str, encoding: str = "utf-8"):
    with tenant_context(org.tenant):
        return accounts_import(tenant=org.tenant, actor=org.admin.user, data=text.encode(encoding))


def test_a_valid_file_creates_accounts_and_places_them(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    result = run_import(
        org, HEADER + 'A-1,Acme Tools,Retail,us,CA,94105,"125,000.50",west\nA-2,Bolt Ltd,,,,,,\n'
    )
    assert (result.created, result.updated, result.moved) == (2, 0, 1)
    acme = Account.all_tenants.get(external_id="A-1")
    assert (acme.country, acme.annual_potential, acme.territory_id) == (
        "US",
        Decimal("125000.50"),
        west.pk,
    )
    assert AccountAssignment.all_tenants.get(account=acme).source == "import"
    assert Account.all_tenants.get(external_id="A-2").territory_id is None


def test_importing_the_same_file_twice_updates_instead_of_duplicating(org):
    text = HEADER + "A-1,Acme Tools,Retail,US,CA,94105,100,\n"
    run_import(org, text)
    second = run_import(org, text.replace("Acme Tools", "Acme Tools Inc"))
    assert (second.created, second.updated) == (0, 1)
    assert list(Account.all_tenants.values_list("name", flat=True)) == ["Acme Tools Inc"]


def test_one_bad_row_imports_nothing_and_names_row_and_column(org):
    AccountFactory(tenant=org.tenant, external_id="A-9", name="Keep Me")
    text = HEADER + (
        "A-1,Good Row,,US,,,100,\n"
        "A-2,,,USA,,,-5,Nowhere\n"
        "A-1,Duplicate,,,,,1.234,\n"
        "A-9,Changed,,,,,,\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, text)
    messages = {(e.row, e.column) for e in rejected.value.errors}
    assert messages == {
        (3, "name"),
        (3, "country"),
        (3, "annual_potential"),
        (3, "territory"),
        (4, "external_id"),
        (4, "annual_potential"),
    }
    assert "Row 3, column “territory”: No territory named “Nowhere”." in {
        str(e) for e in rejected.value.errors
    }
    assert list(Account.all_tenants.values_list("name", flat=True)) == ["Keep Me"]


@pytest.mark.parametrize(
    ("data", "column"),
    [
        ("name,industry\nAcme,Retail\n", "external_id"),
        ("external_id,name,colour\n1,Acme,red\n", "colour"),
        ("external_id,name\n", "file"),
    ],
)
def test_bad_headers_are_rejected(org, data, column):
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, data)
    assert rejected.value.errors[0].column == column
    assert not Account.all_tenants.exists()


def test_a_file_that_is_not_utf8_is_rejected_with_advice(org):
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, HEADER + "A-1,Café Müller,,,,,,\n", encoding="utf-16")
    assert "UTF-8" in rejected.value.errors[0].message


def test_territory_names_of_another_tenant_are_unknown(org, other):
    TerritoryFactory(tenant=other.tenant, name="Foreign")
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, HEADER + "A-1,Acme,,,,,,Foreign\n")
    assert rejected.value.errors[0].column == "territory"


def test_semicolon_separated_files_are_understood(org):
    result = run_import(org, "external_id;name;annual_potential\nA-1;Acme;99.5\n")
    assert result.created == 1
    assert Account.all_tenants.get().annual_potential == Decimal("99.50")


def test_an_export_can_be_imported_again_unchanged(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    AccountFactory(tenant=org.tenant, external_id="X-1", name="Acme, Inc.", territory=west)
    with tenant_context(org.tenant):
        text = "".join(accounts_export(Account.objects.select_related("territory")))
    assert text.splitlines()[1] == 'X-1,"Acme, Inc.",Software,US,CA,94105,100000.00,West'
    result = run_import(org, text)
    assert (result.created, result.updated, result.moved, result.unchanged) == (0, 0, 0, 1)


def test_the_territory_column_finds_the_territory_whatever_the_case(org):
    east = TerritoryFactory(tenant=org.tenant, name="East")
    with tenant_context(org.tenant):
        result = accounts_import(
            tenant=org.tenant,
            actor=org.admin.user,
            data=(HEADER + "C-1,Crane,,,,,,eAsT\n").encode(),
        )
    assert result.created == 1
    assert Account.all_tenants.get(external_id="C-1").territory_id == east.pk


def test_an_inactive_territory_is_a_row_error_and_nothing_is_imported(org):
    TerritoryFactory(tenant=org.tenant, name="Closed", active=False)
    with tenant_context(org.tenant), pytest.raises(ImportRejected) as rejected:
        accounts_import(
            tenant=org.tenant,
            actor=org.admin.user,
            data=(HEADER + "C-1,Crane,,,,,,Closed\n").encode(),
        )
    assert [str(error) for error in rejected.value.errors] == [
        "Row 2, column “territory”: “Closed” is inactive; activate it first or choose another."
    ]
    assert not Account.all_tenants.filter(external_id="C-1").exists()


def test_the_import_writes_through_the_public_upsert_service(org, monkeypatch):
    calls = []
    real = services.accounts_upsert

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "accounts_upsert", spy)
    with tenant_context(org.tenant):
        accounts_import(
            tenant=org.tenant, actor=org.admin.user, data=(HEADER + "C-1,Crane,,,,,,\n").encode()
        )
    assert [row.external_id for row in calls[0]["rows"]] == ["C-1"]
