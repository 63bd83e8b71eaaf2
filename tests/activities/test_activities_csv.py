"""The CSV import of activities (activities.csv_io) and the admin's import page: all or
nothing, every problem named by row and column (the service's checks and the 24-hour day
included), 10,000 rows at once; and the service rule it relies on: logging for someone
else only ``on_behalf`` of them, which only admins may ask."""

import datetime as dt
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from activities.csv_io import ImportRejected, activities_import
from activities.models import Activity, ActivityType
from activities.services import ActivityRow, activities_create_many
from spm.tenancy.context import across_tenants, tenant_context

from ..admin_helpers import messages_of, superuser_client_fixture  # noqa: F401 (a fixture)
from ..factories import MembershipFactory
from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import (
    ActivityFactory,
    activities_counted_fixture,  # noqa: F401 (a fixture)
)

HEADER = "member_email,date,type,duration_minutes,account_external_id,notes\n"
IMPORT = "/admin/activities/activity/import/"
ATTAINMENT = "quotas.tasks.attainment_for_members"


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def call(scope):
    return ActivityType.objects.get(tenant=scope.tenant, name="Call")


def row_for(org, member, kind, minutes=30) -> ActivityRow:
    return ActivityRow(
        member_id=member.pk, type_id=kind.pk, date=org.tenant.today(), duration_minutes=minutes
    )


# --- The service's on_behalf rule -------------------------------------------------------


def test_an_admin_logs_for_someone_else_only_on_their_behalf(scope, call, jobs):
    rows = [row_for(scope, scope.rep, call)]
    with pytest.raises(PermissionDenied):
        activities_create_many(tenant=scope.tenant, actor=scope.admin, rows=rows)
    assert not Activity.objects.filter(tenant=scope.tenant).exists()

    created = activities_create_many(
        tenant=scope.tenant, actor=scope.admin, rows=rows, on_behalf=True
    )
    assert [a.member_id for a in created] == [scope.rep.pk]


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_on_behalf_is_refused_to_anyone_but_an_admin_even_for_their_own_rows(
    scope, call, jobs, role
):
    actor = getattr(scope, role)
    for member in (actor, scope.outsider_rep):
        with pytest.raises(PermissionDenied, match="Only an organisation's admin"):
            activities_create_many(
                tenant=scope.tenant,
                actor=actor,
                rows=[row_for(scope, member, call)],
                on_behalf=True,
            )
    assert not Activity.objects.filter(tenant=scope.tenant).exists()


def test_the_platform_superuser_imports_on_behalf_but_a_plain_user_may_not(scope, call, jobs):
    user = scope.rep.user
    rows = [row_for(scope, scope.rep, call)]
    with pytest.raises(PermissionDenied):
        activities_create_many(tenant=scope.tenant, actor=user, rows=rows, on_behalf=True)
    user.is_superuser = True
    created = activities_create_many(tenant=scope.tenant, actor=user, rows=rows, on_behalf=True)
    assert len(created) == 1


def test_the_own_rows_of_an_admin_need_no_on_behalf(scope, call, jobs):
    created = activities_create_many(
        tenant=scope.tenant, actor=scope.admin, rows=[row_for(scope, scope.admin, call)]
    )
    assert created[0].member_id == scope.admin.pk


# --- The import -------------------------------------------------------------------------


@pytest.fixture
def book(org, other):
    with across_tenants():  # Arranging both organisations' rows.
        return {
            "a1": AccountFactory(tenant=org.tenant, external_id="A-1"),
            "foreign": AccountFactory(tenant=other.tenant, external_id="G-1"),
        }


def run(org, data: str, actor=None):
    with tenant_context(org.tenant):
        return activities_import(tenant=org.tenant, actor=actor or org.admin, data=data.encode())


def rejected(org, data: str, actor=None) -> list[str]:
    with pytest.raises(ImportRejected) as refused:
        run(org, data, actor)
    return [str(error) for error in refused.value.errors]


def logged(org) -> int:
    return Activity.all_tenants.filter(tenant=org.tenant).count()


def test_a_file_logs_activities_for_the_people_it_names(org, book, jobs, activities_counted):
    data = (
        HEADER
        + f"{org.rep.user.email},2026-03-02,Call,15,A-1,Intro call\n"
        + f"{org.outsider_rep.user.email.upper()},2026-03-03,internal MEETING,60,,\n"
    )
    created = run(org, data)
    assert len(created) == 2
    first, second = sorted(Activity.all_tenants.filter(tenant=org.tenant), key=lambda a: a.date)
    assert (first.member, first.type.name, first.account, first.notes, first.source) == (
        org.rep,
        "Call",
        book["a1"],
        "Intro call",
        "import",
    )
    assert (second.member, second.type.name, second.account, second.duration_minutes) == (
        org.outsider_rep,
        "Internal meeting",
        None,
        60,
    )
    assert [name for name, _ in jobs] == [ATTAINMENT]


def test_semicolons_columns_in_any_order_no_optional_columns_and_a_bom_are_read(org, book):
    data = (
        "\ufefftype;duration_minutes;date;member_email\n"
        + f"Demo;45;2026-03-02;{org.rep.user.email}\n"
    )
    assert len(run(org, data)) == 1
    assert Activity.all_tenants.get(tenant=org.tenant).type.name == "Demo"


def test_one_bad_row_imports_nothing_and_every_problem_names_row_and_column(org, book, jobs):
    data = (
        HEADER
        + f"{org.rep.user.email},2026-03-02,Call,15,A-1,\n"
        + "nobody@x.test,2026-03-02,Coffee,15,Z-9,\n"
        + f"{org.rep.user.email},,,,,\n"
        + f"{org.rep.user.email},2026-03-02,Call,15,A-1,extra,cell\n"
    )
    assert rejected(org, data) == [
        "Row 3, column “member_email”: Nobody in this organisation has the email “nobody@x.test”.",
        "Row 3, column “type”: No activity type is called “Coffee”. The types are: Call, Email, "
        "Meeting, Demo, Proposal, Reporting, Admin, Internal meeting, Training, Travel.",
        "Row 3, column “account_external_id”: No account has the external ID “Z-9”.",
        "Row 4, column “date”: Required; this cell is empty.",
        "Row 4, column “type”: Required; this cell is empty.",
        "Row 4, column “duration_minutes”: Required; this cell is empty.",
        "Row 5, column “row”: This row has more cells than the header.",
    ]
    assert logged(org) == 0
    assert jobs == []


def test_the_services_checks_come_back_with_their_row_and_column(org, book, jobs):
    with across_tenants():
        ActivityType.all_tenants.filter(tenant=org.tenant, name="Travel").update(active=False)
    tomorrow = org.tenant.today() + dt.timedelta(days=1)
    email = org.rep.user.email
    data = (
        HEADER
        + f"{email},2026-03-02,Call,15,,\n"
        + f"{email},02/03/2026,Call,15,,\n"
        + f"{email},{tomorrow},Call,15,,\n"
        + f"{email},1900-01-01,Call,15,,\n"
        + f"{email},2026-03-02,Travel,15,,\n"
        + f"{email},2026-03-02,Call,1.5,,\n"
        + f"{email},2026-03-02,Call,0,,\n"
        + f"{email},2026-03-02,Call,15,,{'x' * 2001}\n"
    )
    errors = rejected(org, data)
    assert [error.split(":")[0] for error in errors] == [
        "Row 3, column “date”",
        "Row 4, column “date”",
        "Row 5, column “date”",
        "Row 6, column “type”",
        "Row 7, column “duration_minutes”",
        "Row 8, column “duration_minutes”",
        "Row 9, column “notes”",
    ]
    assert "up to today" in errors[1]
    assert "“Travel” is no longer in use" in errors[3]
    assert logged(org) == 0


def test_a_day_over_24_hours_is_named_on_the_row_that_overflows_it(org, book, jobs):
    with across_tenants():
        ActivityFactory(member=org.rep, date=dt.date(2026, 3, 2), duration_minutes=600)
    email = org.rep.user.email
    data = (
        HEADER
        + f"{email},2026-03-02,Call,600,,\n"
        + f"{org.outsider_rep.user.email},2026-03-02,Call,900,,\n"
        + f"{email},2026-03-02,Call,241,,\n"
    )
    errors = rejected(org, data)
    assert len(errors) == 1
    assert errors[0].startswith("Row 4, column “duration_minutes”: That would make 24 h 1 min")
    assert "a day holds 24 hours" in errors[0]
    assert logged(org) == 1  # Only the activity logged before.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Required column missing"),
        (HEADER.encode(), "has a header but no rows"),
        (b"member_email,date,type\nx,y,z\n", "Required column missing"),
        (HEADER.replace("\n", ",colour\n").encode() + b"a,b,c,1,,,red\n", "Unknown column"),
        ("é".encode("latin-1"), "not UTF-8"),
        (HEADER.encode() + b'a,2026-03-02,Call,1,,"' + b"x" * 200_000 + b'"\n', "cannot be read"),
    ],
)
def test_a_file_the_import_cannot_take_is_refused_whole(org, book, data, message):
    with tenant_context(org.tenant), pytest.raises(ImportRejected) as refused:
        activities_import(tenant=org.tenant, actor=org.admin, data=data)
    assert message in str(refused.value.errors[0])
    assert logged(org) == 0


def test_a_file_over_the_row_limit_is_refused(org, book, monkeypatch):
    monkeypatch.setattr("activities.csv_io.MAX_ROWS", 2)
    data = HEADER + f"{org.rep.user.email},2026-03-02,Call,1,,\n" * 3
    assert rejected(org, data) == ["Row 4, column “file”: At most 2 rows per file."]


def test_another_organisations_people_and_accounts_are_unknown_here(org, other, book):
    data = HEADER + f"{other.rep.user.email},2026-03-02,Call,5,G-1,\n"
    errors = rejected(org, data)
    assert [error.split(":")[0] for error in errors] == [
        "Row 2, column “member_email”",
        "Row 2, column “account_external_id”",
    ]
    assert not Activity.all_tenants.exists()


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_an_admin_imports(org, book, role):
    data = HEADER + f"{getattr(org, role).user.email},2026-03-02,Call,5,,\n"
    with pytest.raises(PermissionDenied):
        run(org, data, actor=getattr(org, role))
    assert logged(org) == 0


def test_ten_thousand_rows_are_imported_at_once(org, book, jobs, activities_counted, capsys):
    with across_tenants():
        members = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(20)]
    lines = [HEADER]
    first = dt.date(2026, 1, 1)
    for n in range(10_000):
        email = members[n % 20].user.email
        day = first + dt.timedelta(days=n // 20 % 300)
        lines.append(f"{email},{day},Call,{1 + n % 90},{'A-1' if n % 2 else ''},Row {n}\n")

    started = time.perf_counter()
    created = run(org, "".join(lines))
    elapsed = time.perf_counter() - started

    assert len(created) == 10_000
    assert logged(org) == 10_000
    assert [name for name, _ in jobs] == [ATTAINMENT]
    with capsys.disabled():
        print(f"\n10,000-activity CSV import: {elapsed:.2f} s")


# --- The admin's page -----------------------------------------------------------------


def upload(client, data: str, **extra):
    file = SimpleUploadedFile("activities.csv", data.encode(), content_type="text/csv")
    return client.post(IMPORT, {"file": file, **extra})


def test_the_activity_list_links_to_the_import_page_which_explains_the_columns(org, client_for):
    client = client_for(org.admin)
    assert IMPORT in client.get("/admin/activities/activity/").content.decode()
    response = client.get(IMPORT)
    assert response.status_code == 200
    assert HEADER.strip() in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_the_import_page_is_refused_to_members_without_the_admin_role(org, client_for, role):
    client = client_for(getattr(org, role))
    assert client.get(IMPORT).status_code == 403
    response = upload(client, HEADER + f"{getattr(org, role).user.email},2026-03-02,Call,5,,\n")
    assert response.status_code == 403
    assert logged(org) == 0


def test_an_admin_imports_a_file_and_is_told_what_happened(org, book, client_for):
    data = HEADER + f"{org.rep.user.email},2026-03-02,Call,5,,\n" * 2
    response = upload(client_for(org.admin), data)
    assert response.status_code == 302
    assert response["Location"] == "/admin/activities/activity/"
    assert messages_of(response) == ["Import done: 2 activities logged."]
    assert logged(org) == 2


def test_a_file_with_errors_lists_them_and_imports_nothing(org, book, client_for):
    data = HEADER + f"{org.rep.user.email},2026-03-02,Call,5,,\nnobody@x.test,2026-03-02,Call,5,,\n"
    response = upload(client_for(org.admin), data)
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Row 3, column “member_email”: Nobody in this organisation has the email “nobody@x.test”."
    ]
    assert "Nothing was imported" in response.content.decode()
    assert logged(org) == 0


def test_a_missing_file_is_a_form_error(org, client_for):
    response = client_for(org.admin).post(IMPORT, {})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["Choose a CSV file to import."]}


def test_the_platform_superuser_chooses_the_organisation(org, other, book, superuser_client):
    data = HEADER + f"{org.rep.user.email},2026-03-02,Call,5,A-1,\n"
    response = upload(superuser_client, data, tenant=org.tenant.pk)
    assert response.status_code == 302
    assert Activity.all_tenants.get().tenant == org.tenant


def test_a_superuser_without_a_chosen_organisation_gets_a_form_error(superuser_client, org):
    response = upload(superuser_client, HEADER)
    assert response.status_code == 200
    assert "tenant" in response.context["form"].errors
