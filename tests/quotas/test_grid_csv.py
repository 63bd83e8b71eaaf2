"""The quota grid as CSV: export, and an all-or-nothing import that names the row and
column of every problem."""

import csv
import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quotas.models import Quota

from .test_grid_views import APRIL, MARCH, YEAR, make_quota, stored

EXPORT = reverse("quotas:grid_export")
IMPORT = reverse("quotas:grid_import")


def download(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def upload(client, text: str | bytes, **extra):
    content = text if isinstance(text, bytes) else text.encode()
    data = {
        "year": YEAR,
        "metric": "revenue",
        "file": SimpleUploadedFile("grid.csv", content, content_type="text/csv"),
        **extra,
    }
    return client.post(IMPORT, data)


def test_the_export_has_a_row_per_person_and_a_column_per_month(org, client_for):
    make_quota(org.rep, MARCH, "1200.50")
    make_quota(org.rep, APRIL, "800")
    response = client_for(org.manager).get(EXPORT, {"year": YEAR})
    assert response["Content-Type"].startswith("text/csv")
    assert f"quotas-acme-{YEAR}-revenue.csv" in response["Content-Disposition"]
    rows = download(response)
    assert rows[0] == [
        "email",
        "name",
        "manager",
        *[f"{YEAR}-{m:02d}" for m in range(1, 13)],
        "total",
    ]
    by_email = {row[0]: row for row in rows[1:]}
    assert set(by_email) == {org.manager.user.email, org.rep.user.email}
    rep = by_email[org.rep.user.email]
    assert rep[2] == org.manager.name
    assert rep[5:7] == ["1200.50", "800.00"] and rep[3] == "" and rep[-1] == "2000.50"


def test_an_exported_file_imports_back_unchanged(org, client_for):
    make_quota(org.rep, MARCH, "1200.50")
    make_quota(org.manager, MARCH, "5000")  # The manager's own row: read-only for them.
    client = client_for(org.manager)
    text = b"".join(client.get(EXPORT, {"year": YEAR}).streaming_content).decode()
    before = stored(org.tenant)
    response = upload(client, text)
    assert response.status_code == 302
    assert stored(org.tenant) == before


def test_a_changed_file_saves_its_changes(org, client_for):
    make_quota(org.rep, MARCH, "1200.50")
    client = client_for(org.manager)
    rows = download(client.get(EXPORT, {"year": YEAR}))
    for row in rows[1:]:
        if row[0] == org.rep.user.email:
            row[5], row[6] = "1,300.00", "$ 900"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = upload(client, buffer.getvalue())
    assert response.status_code == 302
    now = stored(org.tenant)
    assert now[(org.rep.pk, MARCH)] == (Decimal("1300.00"), 2)
    assert now[(org.rep.pk, APRIL)] == (Decimal("900.00"), 1)


def test_a_bad_file_imports_nothing_and_names_each_row_and_column(org, other, client_for):
    make_quota(org.rep, MARCH, "100")
    text = (
        f"email,{YEAR}-03,{YEAR}-04\n"
        f"{org.rep.user.email},150,-5\n"
        f"{other.rep.user.email},10,10\n"
        f"{org.manager.user.email},99,\n"
        f"{org.rep.user.email},1,1\n"
    )
    before = stored(org.tenant)
    response = upload(client_for(org.manager), text)
    assert response.status_code == 400
    errors = [str(error) for error in response.context["import_errors"]]
    assert errors == [
        f"Row 3, column “email”: Nobody in this grid has the email “{other.rep.user.email}”.",
        "Row 5, column “email”: This person is also on row 2.",
    ]
    assert stored(org.tenant) == before

    fixed = "\n".join(line for line in text.splitlines() if other.rep.user.email not in line)
    fixed = fixed.rsplit("\n", 1)[0]  # Without the duplicate.
    response = upload(client_for(org.manager), fixed)
    errors = [str(error) for error in response.context["import_errors"]]
    assert errors == [
        f"Row 2, column “{YEAR}-04”: Enter an amount of 0 or more.",
        f"Row 3, column “{YEAR}-03”: Your own quota is set by your manager.",
    ]
    assert "nothing was changed" in response.content.decode()
    assert stored(org.tenant) == before


def test_a_header_it_cannot_read_is_refused(org, client_for):
    client = client_for(org.manager)
    response = upload(client, f"name,{YEAR + 1}-03,colour\nx,1,red\n")
    errors = [str(error) for error in response.context["import_errors"]]
    assert errors[0] == "Row 1, column “email”: The header needs an “email” column."
    assert any("column “colour”" in error for error in errors)
    assert any(f"column “{YEAR + 1}-03”" in error for error in errors)
    assert upload(client, "").status_code == 400
    response = upload(client, b"email,2026-03\n\xff\xfe,1\n")
    assert response.status_code == 400
    assert "not UTF-8" in str(response.context["import_errors"][0])
    assert not Quota.all_tenants.exists()


def test_an_import_against_a_quota_changed_meanwhile_is_refused(org, client_for, monkeypatch):
    quota = make_quota(org.rep, MARCH, "100")
    from quotas import grid_csv

    real = grid_csv.quotas_save_many

    def someone_else_first(**kwargs):
        Quota.all_tenants.filter(pk=quota.pk).update(amount=Decimal("111"), version=2)
        return real(**kwargs)

    monkeypatch.setattr(grid_csv, "quotas_save_many", someone_else_first)
    response = upload(client_for(org.manager), f"email,{YEAR}-03\n{org.rep.user.email},150\n")
    assert response.status_code == 400
    assert "Row 2, column “2026-03”" in str(response.context["import_errors"][0])
    quota.refresh_from_db()
    assert quota.amount == Decimal("111.00")


def test_a_rep_may_not_export_or_import(org, client_for):
    client = client_for(org.rep)
    assert client.get(EXPORT).status_code == 403
    assert upload(client, f"email,{YEAR}-03\n{org.rep.user.email},1\n").status_code == 403
    assert not Quota.all_tenants.exists()


def test_the_export_is_another_organisations_free(org, other, client_for):
    make_quota(other.rep, dt.date(YEAR, 3, 1), "777")
    text = b"".join(client_for(org.admin).get(EXPORT, {"year": YEAR}).streaming_content).decode()
    assert other.rep.user.email not in text and "777" not in text
