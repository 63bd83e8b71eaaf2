"""CSV import of sales (quotas.csv_io) and the admin's import page: all or nothing, errors
naming row and column, matched on external_id, 10,000 rows at once."""

import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quotas.csv_io import ImportRejected, sales_import
from quotas.models import Sale
from spm.tenancy.context import across_tenants, tenant_context

from ..admin_helpers import messages_of, superuser_client_fixture  # noqa: F401 (a fixture)
from ..factories import MembershipFactory
from ..territories.factories import AccountFactory
from .factories import jobs_fixture  # noqa: F401 (a fixture)

HEADER = "external_id,member_email,account_external_id,amount,closed_on\n"
IMPORT = "/admin/quotas/sale/import/"

pytestmark = pytest.mark.usefixtures("jobs")


@pytest.fixture
def book(org, other):
    with across_tenants():  # Arranging both organisations' rows.
        foreign = AccountFactory(tenant=other.tenant, external_id="G-1")
        return {
            "a1": AccountFactory(tenant=org.tenant, external_id="A-1"),
            "a2": AccountFactory(tenant=org.tenant, external_id="A-2"),
            "foreign": foreign,
        }


def run(org, data: str, actor=None):
    with tenant_context(org.tenant):
        return sales_import(tenant=org.tenant, actor=actor or org.admin, data=data.encode())


def rejected(org, data: str, actor=None) -> list[str]:
    with pytest.raises(ImportRejected) as refused:
        run(org, data, actor)
    return [str(error) for error in refused.value.errors]


def test_a_file_creates_sales_and_importing_it_again_changes_nothing(org, book, jobs):
    data = (
        HEADER
        + f"S-1,{org.rep.user.email},A-1,1200.50,2026-03-02\n"
        + f'S-2,{org.outsider_rep.user.email.upper()},A-2,"1,000",2026-03-03\n'
    )
    result = run(org, data)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    sale = Sale.all_tenants.get(external_id="S-2")
    assert (sale.member, sale.amount, sale.source) == (
        org.outsider_rep,
        Decimal("1000.00"),
        "import",
    )
    again = run(org, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert len(jobs) == 1


def test_a_known_external_id_updates_its_sale(org, book):
    run(org, HEADER + f"S-1,{org.rep.user.email},A-1,100,2026-03-02\n")
    result = run(org, HEADER + f"S-1,{org.rep.user.email},A-2,150,2026-03-02\n")
    assert (result.created, result.updated) == (0, 1)
    sale = Sale.all_tenants.get(external_id="S-1")
    assert (sale.account, sale.amount, sale.version) == (book["a2"], Decimal("150.00"), 2)


def test_semicolons_columns_in_any_order_and_a_bom_are_read(org, book):
    data = "\ufeffclosed_on;amount;external_id;account_external_id;member_email\n"
    data += f"2026-03-02;99;S-9;A-1;{org.rep.user.email}\n"
    assert run(org, data).created == 1


def test_one_bad_row_imports_nothing_and_every_problem_names_row_and_column(org, book):
    email = org.rep.user.email
    data = (
        HEADER
        + f"S-1,{email},A-1,100,2026-03-02\n"
        + "S-2,nobody@acme.test,A-1,100,2026-03-02\n"
        + f"S-3,{email},G-1,100,2026-03-02\n"
        + f"S-4,{email},A-1,-5,2026-03-02\n"
        + f"S-5,{email},A-1,100,02/03/2026\n"
        + f"S-1,{email},A-1,100,2026-03-02\n"
        + f"S-7,{email},A-1,100,2099-01-01\n"
        + f"S-8,{email},A-1,,2026-03-02\n"
        + f"S-9,{email},A-1,100,2026-03-02,extra\n"
        + f"S-1\x000,{email},A-1,100,2026-03-02\n"
    )
    assert rejected(org, data) == [
        "Row 3, column “member_email”: Nobody in this organisation has the email “nobody@acme.test”.",
        "Row 4, column “account_external_id”: No account has the external ID “G-1”.",
        "Row 6, column “closed_on”: Use a date as YYYY-MM-DD, e.g. 2026-03-31.",
        "Row 7, column “external_id”: Duplicate of row 2.",
        "Row 9, column “amount”: Required; this cell is empty.",
        "Row 10, column “row”: This row has more cells than the header.",
        "Row 11, column “external_id”: Contains a NUL character; remove it.",
    ]
    assert not Sale.all_tenants.exists()


def test_the_services_checks_come_back_with_their_row_and_column(org, book):
    email = org.rep.user.email
    data = (
        HEADER
        + f"S-1,{email},A-1,-5,2026-03-02\n"
        + f"S-2,{email},A-1,100,2099-01-01\n"
        + f"S-3,{org.outsider_rep.user.email},A-1,100,2026-03-02\n"
    )
    assert rejected(org, data, actor=org.manager) == [
        "Row 2, column “amount”: Enter an amount of 0 or more.",
        "Row 3, column “closed_on”: A sale closes today ("
        + org.tenant.today().isoformat()
        + ") or earlier.",
        f"Row 4, column “member_email”: {org.outsider_rep.name} is not in your team.",
    ]
    assert not Sale.all_tenants.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"external_id,member_email\nS-1,a@b.c\n", "Required column missing"),
        (HEADER.encode(), "The file has a header but no rows."),
        (
            HEADER.replace("\n", ",colour\n").encode() + b"S,a,b,1,2026-01-01,red\n",
            "Unknown column",
        ),
        ("é".encode("latin-1"), "not UTF-8"),
        (HEADER.encode() + b'S-1,"' + b"x" * 200_000 + b'",A-1,1,2026-03-02\n', "cannot be read"),
    ],
)
def test_a_file_the_import_cannot_take_is_refused_whole(org, book, data, message):
    with tenant_context(org.tenant), pytest.raises(ImportRejected) as refused:
        sales_import(tenant=org.tenant, actor=org.admin, data=data)
    assert message in str(refused.value.errors[0])


def test_a_file_over_the_row_limit_is_refused(org, book, monkeypatch):
    monkeypatch.setattr("quotas.csv_io.MAX_ROWS", 2)
    data = HEADER + "".join(f"S-{n},{org.rep.user.email},A-1,1,2026-03-02\n" for n in range(3))
    assert rejected(org, data) == ["Row 4, column “file”: At most 2 rows per file."]


def test_ten_thousand_rows_are_imported_at_once(org, book, capsys):
    with across_tenants():
        members = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(20)]
    lines = [HEADER]
    for n in range(10_000):
        email = members[n % 20].user.email
        lines.append(f"S-{n:05d},{email},A-{1 + n % 2},{n % 997}.25,2026-0{1 + n % 9}-1{n % 9}\n")
    data = "".join(lines)

    started = time.perf_counter()
    result = run(org, data)
    elapsed = time.perf_counter() - started

    assert result.created == 10_000
    assert Sale.all_tenants.filter(tenant=org.tenant).count() == 10_000
    with capsys.disabled():
        print(f"\n10,000-sale CSV import: {elapsed:.2f} s")
    assert elapsed < 60


# --- The admin's page -----------------------------------------------------------------


def upload(client, data: str, **extra):
    file = SimpleUploadedFile("sales.csv", data.encode(), content_type="text/csv")
    return client.post(IMPORT, {"file": file, **extra})


def test_the_import_page_explains_the_columns(org, client_for):
    response = client_for(org.admin).get(IMPORT)
    assert response.status_code == 200
    assert (
        "external_id,member_email,account_external_id,amount,closed_on" in response.content.decode()
    )


def test_an_admin_imports_a_file_and_is_told_what_happened(org, book, client_for):
    response = upload(
        client_for(org.admin), HEADER + f"S-1,{org.rep.user.email},A-1,5,2026-03-02\n"
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/quotas/sale/"
    assert messages_of(response) == ["Import done: 1 created, 0 updated, 0 unchanged."]


def test_a_file_with_errors_lists_them_and_imports_nothing(org, book, client_for):
    response = upload(client_for(org.admin), HEADER + "S-1,nobody@x.test,A-1,5,2026-03-02\n")
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Row 2, column “member_email”: Nobody in this organisation has the email “nobody@x.test”."
    ]
    assert not Sale.all_tenants.exists()


def test_another_organisations_accounts_and_people_are_unknown_here(org, other, book, client_for):
    data = HEADER + f"S-1,{other.rep.user.email},G-1,5,2026-03-02\n"
    response = upload(client_for(org.admin), data)
    assert len(response.context["errors"]) == 2
    assert not Sale.all_tenants.exists()


def test_the_platform_superuser_chooses_the_organisation(org, other, book, superuser_client):
    data = HEADER + f"S-1,{org.rep.user.email},A-1,5,2026-03-02\n"
    response = upload(superuser_client, data, tenant=org.tenant.pk)
    assert response.status_code == 302
    assert Sale.all_tenants.get().tenant == org.tenant


def test_a_superuser_without_a_chosen_organisation_gets_a_form_error(superuser_client, org):
    response = upload(superuser_client, HEADER)
    assert response.status_code == 200
    assert "tenant" in response.context["form"].errors
