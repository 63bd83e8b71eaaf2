"""Account imports as jobs: upload → job → progress → result, all or nothing; the checks
made at upload; isolation and roles; a job whose worker died; the tidy-up.

Celery runs eagerly in tests: a job sent on commit runs when the test runs the
transaction's on-commit callbacks. Small files are imported during the upload itself;
tests of the background path lower ``INLINE_ROWS`` so that a few rows are "big".
"""

import datetime as dt
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from spm.celery import app as spm_celery_app
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent, OutboxJob
from territories import account_imports, services
from territories.models import IMPORT_STALE_AFTER, Account, AccountAssignment, AccountImport
from territories.services import imports as import_services

from ..factories import UserFactory
from .factories import AccountFactory, TerritoryFactory

IMPORT = "/admin/territories/account/import/"
IMPORTS = "/admin/territories/accountimport/"
HEADER = "external_id,name,industry,country,region,postal_code,annual_potential,territory\n"
Status = AccountImport.Status


def page(job) -> str:
    return f"{IMPORTS}{job.pk}/change/"


def upload(text: str | bytes, name: str = "accounts.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def stored(job) -> AccountImport:
    return AccountImport.all_tenants.get(pk=job.pk)


@pytest.fixture
def background(monkeypatch):
    """Every file of more than two rows goes to a worker."""
    monkeypatch.setattr(account_imports, "INLINE_ROWS", 2)


@pytest.fixture
def west(org):
    return TerritoryFactory(tenant=org.tenant, name="West")


def big_file(rows: int = 5, territory: str = "West") -> str:
    return HEADER + "".join(f"N-{n},Nova {n},,US,,,{n}00,{territory}\n" for n in range(rows))


def make_import(
    org, *, status=Status.DONE, data: bytes = b"external_id,name\nA-1,Acme\n", **fields
):
    if status == Status.DONE:
        for name in ("created", "updated", "unchanged", "moved"):
            fields.setdefault(f"accounts_{name}", 0)
    with tenant_context(org.tenant):
        job = AccountImport.objects.create(
            tenant=org.tenant,
            created_by=org.admin.user,
            file_name="accounts.csv",
            file_size=len(data),
            content=data,
            rows_total=1,
            status=status,
            **fields,
        )
    return job


# --- Upload → job → result --------------------------------------------------------------


def test_a_big_file_becomes_a_job_that_a_worker_imports_and_its_page_shows_the_result(
    client_for, org, west, background, django_capture_on_commit_callbacks
):
    client = client_for(org.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(IMPORT, {"file": upload(big_file(5), "crm export.csv")})
    job = AccountImport.all_tenants.get()
    assert response.status_code == 302
    assert response.url == page(job)
    # Recorded and sent on commit through the outbox; nothing imported yet.
    assert (job.status, job.rows_total, job.file_name) == (Status.QUEUED, 5, "crm export.csv")
    assert bytes(job.content) == big_file(5).encode()
    assert OutboxJob.all_tenants.get().task_name == "territories.tasks.run_account_import"
    assert not Account.all_tenants.exists()
    waiting = client.get(page(job))
    assert "Waiting to start" in waiting.content.decode()
    assert 'hx-trigger="every 1s"' in waiting.content.decode()

    for callback in callbacks:
        callback()  # The worker runs the job.

    job = stored(job)
    assert job.status == Status.DONE
    assert (job.accounts_created, job.accounts_updated, job.accounts_moved) == (5, 0, 5)
    assert job.attempts == 1 and job.finished_at is not None
    assert Account.all_tenants.filter(tenant=org.tenant, territory=west).count() == 5
    assert AccountAssignment.all_tenants.filter(source="import").count() == 5
    done = client.get(page(job))
    html = done.content.decode()
    assert "Import done" in html and "hx-trigger" not in html
    assert done.context["state"].job.accounts_created == 5


def test_the_page_asked_by_htmx_answers_its_status_alone_until_the_import_finished(
    client_for, org, west, background, django_capture_on_commit_callbacks
):
    client = client_for(org.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(IMPORT, {"file": upload(big_file(3))})
    job = AccountImport.all_tenants.get()
    fragment = client.get(page(job), headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="import-status"')
    assert "<html" not in html and 'hx-trigger="every 1s"' in html
    assert "HX-Request" in fragment["Vary"]
    for callback in callbacks:
        callback()
    finished = client.get(page(job), headers={"HX-Request": "true"}).content.decode()
    assert "Import done" in finished and "hx-trigger" not in finished


def test_a_running_import_shows_its_step_and_how_far_it_got(client_for, org):
    job = make_import(
        org,
        status=Status.RUNNING,
        step=AccountImport.Step.WRITE,
        step_done=30_000,
        step_total=40_000,
        heartbeat_at=timezone.now(),
    )
    response = client_for(org.admin).get(page(job))
    html = response.content.decode()
    assert "Step 3 of 4: Writing the accounts" in html
    # Checking (10) and reading (25) are done, writing (30) three quarters.
    assert response.context["state"].percent == 57
    assert '<progress max="100" value="57"' in html
    assert "30,000 of 40,000 accounts · 57% of the import." in html
    assert 'hx-trigger="every 1s"' in html


def test_the_run_reports_each_step_in_order_and_clears_it_when_done(
    org, west, background, monkeypatch
):
    seen: list[tuple[str, int, int]] = []
    real = import_services.ImportProgress.__call__

    def spy(self, step, done, total):
        seen.append((step, done, total))
        real(self, step, done, total)

    monkeypatch.setattr(import_services.ImportProgress, "__call__", spy)
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant,
            actor=org.admin.user,
            file_name="a.csv",
            data=big_file(4).encode(),
            rows_total=4,
            run_later=False,
        )
        assert account_imports.account_import_run(tenant=org.tenant, import_id=job.pk) == "done"
    steps = [step for step, _, _ in seen]
    assert steps == sorted(steps, key=["check", "read", "write", "record"].index)
    assert {"check", "read", "write", "record"} == set(steps)
    assert ("check", 4, 4) in seen and ("read", 4, 4) in seen and ("write", 4, 4) in seen
    assert stored(job).step == ""


def test_a_small_file_is_imported_during_the_upload_with_no_worker(client_for, org, west):
    response = client_for(org.admin).post(IMPORT, {"file": upload(big_file(2))}, follow=True)
    job = AccountImport.all_tenants.get()
    assert job.status == Status.DONE
    assert not OutboxJob.all_tenants.exists()
    assert response.redirect_chain == [(page(job), 302)]
    assert "Import done" in response.content.decode()
    assert Account.all_tenants.filter(territory=west).count() == 2


def test_the_upload_is_recorded_in_the_audit_log(client_for, org, west):
    client_for(org.admin).post(IMPORT, {"file": upload(big_file(2))})
    event = AuditEvent.all_tenants.get(action="accounts.import_uploaded")
    assert (event.actor_id, event.data) == (
        org.admin.user.pk,
        {"file_name": "accounts.csv", "rows": 2},
    )


def test_the_upload_page_lists_the_latest_imports_of_the_own_organisation(client_for, org, other):
    mine = make_import(
        org, accounts_created=1, accounts_updated=0, accounts_unchanged=0, accounts_moved=0
    )
    make_import(other)
    response = client_for(org.admin).get(IMPORT)
    assert [job.pk for job, _ in response.context["recent"]] == [mine.pk]
    assert "1 created, 0 updated, 0 accounts placed in a territory, 0 unchanged." in (
        response.content.decode()
    )


# --- Bad files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((HEADER + "A-1,Café,,,,,,\n").encode("utf-16"), "not UTF-8"),
        (b"name,industry\nAcme,Retail\n", "Required column missing"),
        (b"external_id,name,colour\n1,Acme,red\n", "Unknown column"),
        (HEADER.encode(), "no rows"),
    ],
)
def test_a_file_the_import_cannot_take_is_refused_at_once_and_nothing_is_recorded(
    client_for, org, background, data, message
):
    response = client_for(org.admin).post(IMPORT, {"file": upload(data)})
    assert response.status_code == 200
    assert message in " ".join(response.context["errors"])
    assert "Nothing was imported" in response.content.decode()
    assert not AccountImport.all_tenants.exists()
    assert not OutboxJob.all_tenants.exists()
    assert not Account.all_tenants.exists()


def test_too_many_rows_are_refused_at_once(client_for, org, monkeypatch):
    monkeypatch.setattr("territories.csv_io.MAX_ROWS", 3)
    response = client_for(org.admin).post(IMPORT, {"file": upload(big_file(4))})
    assert response.context["errors"] == ["Row 5, column “file”: At most 3 rows per file."]
    assert not AccountImport.all_tenants.exists()


def test_a_background_file_with_bad_rows_changes_nothing_and_its_page_names_row_and_column(
    client_for, org, west, background, django_capture_on_commit_callbacks
):
    kept = AccountFactory(tenant=org.tenant, external_id="N-0", name="Keep Me")
    text = (
        big_file(4)
        .replace("N-2,Nova 2,,US,,,200", "N-2,Nova 2,,US,,,-5")
        .replace("Nova 3,,US,,,300,West", "Nova 3,,US,,,300,Atlantis")
    )
    client = client_for(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT, {"file": upload(text)})
    job = AccountImport.all_tenants.get()
    assert (job.status, job.error_count) == (Status.REJECTED, 2)
    assert Account.all_tenants.get().name == "Keep Me"  # N-0 was not renamed, N-1 not created.
    assert territory_unchanged(kept)
    response = client.get(page(job))
    assert response.context["state"].errors == [
        "Row 4, column “annual_potential”: Use an amount ≥ 0 with at most 2 decimals.",
        "Row 5, column “territory”: No territory named “Atlantis”.",
    ]
    html = response.content.decode()
    assert "Nothing was imported" in html and "Row 5, column “territory”" in html


def territory_unchanged(account) -> bool:
    return Account.all_tenants.get(pk=account.pk).territory_id == account.territory_id


def test_a_file_with_thousands_of_errors_keeps_the_first_thousand_and_counts_all(org, background):
    text = HEADER + "".join(f"N-{n},,,,,,,\n" for n in range(1_200))
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv", data=text.encode(),
            rows_total=1_200, run_later=False,
        )  # fmt: skip
        account_imports.account_import_run(tenant=org.tenant, import_id=job.pk)
    job = stored(job)
    assert (job.error_count, len(job.errors)) == (1_200, 1_000)
    assert job.errors[0] == {"row": 2, "column": "name", "message": "Required; this cell is empty."}


def test_an_unexpected_error_fails_the_import_and_changes_nothing(org, west, monkeypatch):
    def broken(**kwargs):
        Account.objects.create(tenant=org.tenant, name="Half", external_id="HALF")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_services, "accounts_upsert", broken)
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv",
            data=big_file(3).encode(), rows_total=3, run_later=False,
        )  # fmt: skip
        assert account_imports.account_import_run(tenant=org.tenant, import_id=job.pk) == "failed"
    job = stored(job)
    assert (job.status, job.failure) == (Status.FAILED, account_imports.UNEXPECTED)
    assert not Account.all_tenants.exists()


def test_a_territory_deactivated_while_rows_are_checked_fails_the_import_and_changes_nothing(
    org, west, monkeypatch
):
    real = account_imports.csv_io.accounts_rows

    def then_deactivate(**kwargs):
        rows = real(**kwargs)
        west.active = False
        west.save()
        return rows

    monkeypatch.setattr(account_imports.csv_io, "accounts_rows", then_deactivate)
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv",
            data=big_file(3).encode(), rows_total=3, run_later=False,
        )  # fmt: skip
        account_imports.account_import_run(tenant=org.tenant, import_id=job.pk)
    job = stored(job)
    assert job.status == Status.FAILED
    assert "Choose active territories of this organisation." in job.failure
    assert not Account.all_tenants.exists()


# --- One run at a time ------------------------------------------------------------------


def test_a_job_delivered_twice_runs_once(org, west):
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv",
            data=big_file(3).encode(), rows_total=3, run_later=False,
        )  # fmt: skip
        assert account_imports.account_import_run(tenant=org.tenant, import_id=job.pk) == "done"
        assert account_imports.account_import_run(tenant=org.tenant, import_id=job.pk) is None
    assert stored(job).attempts == 1
    assert AccountAssignment.all_tenants.count() == 3


def test_a_run_that_lost_its_import_to_another_run_writes_nothing(org, west):
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv",
            data=big_file(3).encode(), rows_total=3, run_later=False,
        )  # fmt: skip
        claimed = services.account_import_claim(tenant=org.tenant, import_id=job.pk)
        # Meanwhile it was found stopped and run again: another attempt owns it.
        AccountImport.objects.filter(pk=job.pk).update(attempts=2)
        rows = account_imports.csv_io.accounts_rows(tenant=org.tenant, data=big_file(3).encode())
        progress = services.ImportProgress(tenant=org.tenant, job=claimed)
        with pytest.raises(services.ImportSuperseded):
            services.account_import_write(
                tenant=org.tenant, job=claimed, rows=rows, progress=progress
            )
    assert not Account.all_tenants.exists()
    assert stored(job).status == Status.RUNNING


# --- A job whose worker died --------------------------------------------------------------


def test_a_running_import_silent_for_too_long_shows_as_stopped_and_can_be_run_again(
    client_for, org, west, django_capture_on_commit_callbacks
):
    silent_since = timezone.now() - IMPORT_STALE_AFTER - dt.timedelta(minutes=1)
    job = make_import(
        org,
        status=Status.RUNNING,
        data=big_file(3).encode(),
        step=AccountImport.Step.WRITE,
        attempts=1,
        heartbeat_at=silent_since,
    )
    client = client_for(org.admin)
    response = client.get(page(job))
    html = response.content.decode()
    assert response.context["state"].stopped
    assert "the worker running it was interrupted" in html
    assert "Nothing was changed" in html and "hx-trigger" not in html
    assert "Run the import again" in html

    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"{IMPORTS}{job.pk}/retry/")
    assert retried.status_code == 302 and retried.url == page(job)
    job = stored(job)
    assert (job.status, job.attempts) == (Status.DONE, 2)
    assert Account.all_tenants.filter(territory=west).count() == 3
    assert AuditEvent.all_tenants.filter(action="accounts.import_retried").count() == 1


def test_an_import_still_running_cannot_be_run_again(client_for, org):
    job = make_import(org, status=Status.RUNNING, heartbeat_at=timezone.now(), attempts=1)
    response = client_for(org.admin).post(f"{IMPORTS}{job.pk}/retry/", follow=True)
    assert "Only an import that stopped can be run again." in response.content.decode()
    assert (stored(job).status, stored(job).attempts) == (Status.RUNNING, 1)
    assert not OutboxJob.all_tenants.exists()


def test_an_import_whose_file_was_cleared_cannot_be_run_again(client_for, org):
    job = make_import(org, status=Status.FAILED, data=b"", file_cleared_at=timezone.now())
    client = client_for(org.admin)
    assert "upload it again" in client.get(page(job)).content.decode()
    response = client.post(f"{IMPORTS}{job.pk}/retry/", follow=True)
    assert "no longer kept" in response.content.decode()
    assert stored(job).status == Status.FAILED


def test_retrying_is_a_post(client_for, org):
    job = make_import(org, status=Status.FAILED)
    assert client_for(org.admin).get(f"{IMPORTS}{job.pk}/retry/").status_code == 405
    assert stored(job).status == Status.FAILED


# --- The tidy-up ------------------------------------------------------------------------


def test_the_tidy_up_marks_stale_imports_stopped_and_deletes_old_files_and_records(org, other):
    now = timezone.now()
    stale = make_import(
        org, status=Status.RUNNING, heartbeat_at=now - IMPORT_STALE_AFTER - dt.timedelta(seconds=1)
    )
    alive = make_import(org, status=Status.RUNNING, heartbeat_at=now - dt.timedelta(minutes=1))
    week_old = make_import(org)
    week_old_waiting = make_import(org, status=Status.QUEUED)
    quarter_old = make_import(org)
    fresh = make_import(org)
    foreign_old = make_import(other)
    for job, age in [(week_old, 8), (week_old_waiting, 8), (quarter_old, 91), (foreign_old, 91)]:
        AccountImport.all_tenants.filter(pk=job.pk).update(created_at=now - dt.timedelta(days=age))

    with tenant_context(org.tenant):
        result = services.account_imports_tidy(tenant=org.tenant, now=now)

    assert (result.stopped, result.files_cleared, result.deleted) == (1, 2, 1)
    assert (stored(stale).status, stored(stale).failure) == (Status.FAILED, import_services.STOPPED)
    assert stored(alive).status == Status.RUNNING
    assert bytes(stored(week_old).content) == b"" and stored(week_old).file_cleared_at == now
    assert bytes(stored(week_old_waiting).content) != b""  # Not imported yet: kept.
    assert bytes(stored(fresh).content) != b""
    assert not AccountImport.all_tenants.filter(pk=quarter_old.pk).exists()
    assert AccountImport.all_tenants.filter(pk=foreign_old.pk).exists()  # Another organisation's.
    with tenant_context(org.tenant):
        again = services.account_imports_tidy(tenant=org.tenant, now=now)
    assert (again.stopped, again.files_cleared, again.deleted) == (0, 0, 0)


def test_the_tidy_up_runs_hourly_for_every_organisation():
    spm_celery_app.loader.import_default_modules()
    entry = spm_celery_app.conf.beat_schedule["tidy-account-imports"]
    assert entry["task"] == "territories.tasks.tidy_account_imports"
    assert entry["task"] in spm_celery_app.tasks


# --- Isolation and roles ------------------------------------------------------------------


def test_another_organisations_import_is_a_404_everywhere(client_for, org, other):
    foreign = make_import(other, status=Status.FAILED)
    client = client_for(org.admin)
    for response in [
        client.get(page(foreign)),
        client.get(page(foreign), headers={"HX-Request": "true"}),
        client.get(f"{IMPORTS}{foreign.pk}/history/"),
        client.post(f"{IMPORTS}{foreign.pk}/retry/"),
    ]:
        assert response.status_code == 404
    assert stored(foreign).status == Status.FAILED
    listed = client.get(IMPORTS).context["cl"].result_list
    assert list(listed) == []


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_only_admins_may_import_or_see_imports(client_for, org, west, persona):
    job = make_import(org, status=Status.FAILED)
    client = client_for(getattr(org, persona))
    for url in [IMPORT, IMPORTS, page(job)]:
        assert client.get(url).status_code == 403, url
    assert client.post(IMPORT, {"file": upload(big_file(1))}).status_code == 403
    assert client.post(f"{IMPORTS}{job.pk}/retry/").status_code == 403
    assert AccountImport.all_tenants.count() == 1 and not Account.all_tenants.exists()


def test_imports_are_not_added_changed_or_deleted_in_the_admin(client_for, org):
    job = make_import(org)
    client = client_for(org.admin)
    assert client.get(f"{IMPORTS}add/").status_code == 403
    assert client.get(f"{IMPORTS}{job.pk}/delete/").status_code == 403
    assert client.post(f"{IMPORTS}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccountImport.all_tenants.filter(pk=job.pk).exists()


def test_the_superuser_follows_an_import_of_any_organisation(client, org, other, west):
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    response = client.post(IMPORT, {"file": upload(big_file(1)), "tenant": org.tenant.pk})
    job = AccountImport.all_tenants.get()
    assert (response.url, job.tenant_id) == (page(job), org.tenant.pk)
    assert client.get(page(job)).status_code == 200


# --- Query budgets ------------------------------------------------------------------------


def test_the_page_and_its_status_cost_a_fixed_number_of_queries(
    client_for, org, django_assert_max_num_queries
):
    few = make_import(
        org,
        status=Status.REJECTED,
        error_count=1,
        errors=[{"row": 2, "column": "name", "message": "x"}],
    )
    many = make_import(
        org,
        status=Status.REJECTED,
        error_count=1_000,
        errors=[{"row": n, "column": "name", "message": "x"} for n in range(1_000)],
    )
    running = make_import(org, status=Status.RUNNING, step="read", heartbeat_at=timezone.now())
    client = client_for(org.admin)
    for job in (few, many, running):
        with django_assert_max_num_queries(7):
            assert client.get(page(job)).status_code == 200
        with django_assert_max_num_queries(6):
            assert client.get(page(job), headers={"HX-Request": "true"}).status_code == 200


def test_the_list_of_imports_costs_the_same_for_many_imports(
    client_for, org, django_assert_max_num_queries
):
    client = client_for(org.admin)
    make_import(org)
    with django_assert_max_num_queries(12) as once:
        client.get(IMPORTS)
    for _ in range(20):
        make_import(org)
    with django_assert_max_num_queries(len(once.captured_queries)):
        assert client.get(IMPORTS).status_code == 200


# --- PostgreSQL: progress is seen while the accounts are still being written ---------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The second connection is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_while_the_write_is_not(org, west, monkeypatch):
    seen: dict = {}
    real = import_services.accounts_upsert

    def observed(**kwargs):
        result = real(**kwargs)  # Written, not committed yet.
        job_id = AccountImport.all_tenants.get().pk

        def look():
            # Another connection, as the admin's browser asking for the page.
            with tenant_context(org.tenant):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    row = AccountImport.objects.values("status", "step", "step_done").get(pk=job_id)
                    if row["step"] == AccountImport.Step.RECORD:
                        break
                    time.sleep(0.05)
                seen["import"] = row
                seen["accounts"] = Account.objects.filter(tenant=org.tenant).count()
            connection.close()

        observer = threading.Thread(target=look)
        observer.start()
        observer.join()
        return result

    monkeypatch.setattr(import_services, "accounts_upsert", observed)
    with tenant_context(org.tenant):
        job = services.account_import_create(
            tenant=org.tenant, actor=org.admin.user, file_name="a.csv",
            data=big_file(6).encode(), rows_total=6, run_later=False,
        )  # fmt: skip
        assert account_imports.account_import_run(tenant=org.tenant, import_id=job.pk) == "done"
    assert seen["import"] == {"status": "running", "step": "record", "step_done": 0}
    assert seen["accounts"] == 0  # All or nothing: none visible before the commit.
    assert Account.all_tenants.filter(tenant=org.tenant).count() == 6
    assert stored(job).status == Status.DONE
