"""The life of an account import job (``AccountImport``): recorded with its file on upload,
claimed by one run, reporting its progress as it goes, finished all or nothing, run again
when it stopped, and tidied up.

Invariants:
- one run at a time: a run claims a waiting import with a conditional UPDATE and works
  under that attempt's number; a run whose attempt is no longer the import's (it was
  found stopped and run again) writes nothing, and its account writes are rolled back;
- ``done`` is written in the transaction that writes the accounts, so an import is never
  done without its accounts, nor are its accounts written without it being done;
- a running import reports at least as often as ``IMPORT_STALE_AFTER``, unless its worker
  died: then it is shown as stopped, marked so by the tidy-up, and may be run again.

Reading the CSV file is ``csv_io``'s; ``account_imports`` runs the job with both.
"""

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant
from spm.tenancy.services import audit
from spm.tenancy.tasks_base import enqueue_on_commit

from ..models import IMPORT_STALE_AFTER, AccountAssignment, AccountImport
from ._common import _user
from .accounts import AccountRow, UpsertResult, accounts_upsert

logger = logging.getLogger(__name__)

RUN_TASK = "territories.tasks.run_account_import"
# The row errors kept for the import's page (all are counted). A thousand problems are
# enough to see what is wrong with a file; a file with 100,000 would fill the row.
MAX_KEPT_ERRORS = 1_000
# Uploaded files are cleared this long after the upload (the job's record stays) …
KEEP_UPLOADS = dt.timedelta(days=7)
# … and the records themselves after this long.
KEEP_RECORDS = dt.timedelta(days=90)
# Progress is written at most this often: one small UPDATE, so at most two a second.
REPORT_EVERY = 0.5

STOPPED = (
    "The import stopped before it finished: the worker running it was interrupted. "
    "Nothing was changed."
)
Status = AccountImport.Status


class ImportSuperseded(Exception):
    """This run no longer owns the import (it was found stopped and run again)."""


def _owned(tenant: Tenant, job: AccountImport):
    """The import's row as long as this run's attempt still owns it."""
    return AccountImport.objects.filter(
        tenant=tenant, pk=job.pk, status=Status.RUNNING, attempts=job.attempts
    )


@transaction.atomic
def account_import_create(
    *, tenant: Tenant, actor, file_name: str, data: bytes, rows_total: int, run_later: bool
) -> AccountImport:
    """Record an uploaded file (already checked as a whole) as a waiting import; with
    ``run_later``, send it to a worker once the upload's transaction commits."""
    job = AccountImport.objects.create(
        tenant=tenant,
        created_by=_user(actor),
        file_name=file_name[:255],
        file_size=len(data),
        content=data,
        rows_total=rows_total,
    )
    audit(
        tenant=tenant,
        actor=actor,
        action="accounts.import_uploaded",
        obj=job,
        data={"file_name": job.file_name, "rows": rows_total},
    )
    if run_later:
        enqueue_on_commit(RUN_TASK, tenant, job.pk)
    return job


def account_import_claim(*, tenant: Tenant, import_id: int) -> AccountImport | None:
    """Take a waiting import for this run (``running``, one more attempt) and return it,
    its file included; ``None`` if it is not waiting (another run has it, it finished, it
    is gone), so a task delivered twice runs once."""
    now = timezone.now()
    claimed = AccountImport.objects.filter(
        tenant=tenant, pk=import_id, status=Status.QUEUED
    ).update(
        status=Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        step=AccountImport.Step.CHECK,
        step_done=0,
        step_total=F("rows_total"),
    )
    if not claimed:
        return None
    return AccountImport.objects.select_related("created_by").get(tenant=tenant, pk=import_id)


class ImportProgress:
    """Where a run reports how far it got (a ``services.Progress``): the import's page
    shows it while the import runs.

    The accounts are written in one transaction, and a report written inside it would stay
    invisible until the end. So on PostgreSQL, when the run does not already hold a
    transaction, reports go through a connection of their own: a small thread owns it and
    writes the latest report at most every ``REPORT_EVERY`` seconds, each in its own
    transaction, until ``close()``. It never touches the accounts, and the run locks the
    import's row only after ``close()``, so the two never wait for each other. Elsewhere
    (SQLite lets one connection write at a time) reports are written on the run's own
    connection: at once while rows are checked, with the accounts while they are written.
    ``live=False`` writes none (a small file imported during the upload).
    """

    def __init__(self, *, tenant: Tenant, job: AccountImport, live: bool = True):
        self.tenant, self.job, self.live = tenant, job, live
        self._latest: tuple[str, int, int] | None = None
        self._written: tuple[str, int, int] | None = None
        self._written_at = 0.0
        self._lock = threading.Lock()
        self._reported = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        if live and connection.vendor == "postgresql" and not connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._report_in_background, name=f"account-import-{job.pk}", daemon=True
            )
            self._thread.start()

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.live:
            return
        with self._lock:
            self._latest = (step, done, total)
        if self._thread is not None:
            self._reported.set()
        elif (
            self._written is None
            or step != self._written[0]
            or time.monotonic() - self._written_at >= REPORT_EVERY
        ):
            self._write()

    def close(self) -> None:
        """Write the last report and stop the thread (if any). Idempotent."""
        if self._thread is None:
            return
        self._closing.set()
        self._reported.set()
        self._thread.join()
        self._thread = None

    def _write(self) -> None:
        with self._lock:
            latest = self._latest
        if latest is None or latest == self._written:
            return
        step, done, total = latest
        _owned(self.tenant, self.job).update(
            step=step, step_done=done, step_total=total, heartbeat_at=timezone.now()
        )
        self._written, self._written_at = latest, time.monotonic()

    def _report_in_background(self) -> None:
        # A new thread starts outside every tenant's context, and with a connection of
        # its own (Django keeps one per thread), which it closes when done.
        try:
            with tenant_context(self.tenant):
                while not self._closing.is_set():
                    self._reported.wait()
                    self._reported.clear()
                    self._write()
                    self._closing.wait(REPORT_EVERY)
                self._write()
        except Exception:
            # Progress is a courtesy: a failed report must never fail the import itself.
            logger.exception("Progress of account import %s not written", self.job.pk)
        finally:
            connection.close()


@transaction.atomic
def account_import_write(
    *, tenant: Tenant, job: AccountImport, rows: list[AccountRow], progress: ImportProgress
) -> UpsertResult:
    """Write the checked ``rows`` of a claimed import and mark it done, in one transaction.

    Raises ``ImportSuperseded`` (everything rolled back) if this run no longer owns it,
    and ``ValidationError`` (rolled back) if a territory was deactivated meanwhile.
    """
    result = accounts_upsert(
        tenant=tenant,
        actor=job.created_by,
        rows=rows,
        source=AccountAssignment.Source.IMPORT,
        progress=progress,
    )
    progress.close()
    now = timezone.now()
    done = _owned(tenant, job).update(
        status=Status.DONE,
        accounts_created=result.created,
        accounts_updated=result.updated,
        accounts_unchanged=result.unchanged,
        accounts_moved=result.moved,
        step="",
        heartbeat_at=now,
        finished_at=now,
    )
    if not done:
        raise ImportSuperseded(f"Account import {job.pk} was taken over by another run.")
    return result


def account_import_reject(*, tenant: Tenant, job: AccountImport, errors: list[dict]) -> None:
    """Finish a claimed import whose file has errors (``{"row", "column", "message"}``
    each): nothing was written."""
    now = timezone.now()
    _owned(tenant, job).update(
        status=Status.REJECTED,
        errors=errors[:MAX_KEPT_ERRORS],
        error_count=len(errors),
        step="",
        heartbeat_at=now,
        finished_at=now,
    )


def account_import_fail(*, tenant: Tenant, job: AccountImport, reason: str) -> None:
    """Finish a claimed import that could not be written (``reason`` says why)."""
    now = timezone.now()
    _owned(tenant, job).update(
        status=Status.FAILED, failure=reason, step="", heartbeat_at=now, finished_at=now
    )


@transaction.atomic
def account_import_retry(*, tenant: Tenant, actor, job: AccountImport) -> AccountImport:
    """Run an import that stopped (failed, or running but stale) again, from the start.

    Raises ``ValidationError`` for an import that did not stop, or whose file is no
    longer kept.
    """
    locked = AccountImport.objects.select_for_update().get(tenant=tenant, pk=job.pk)
    if not (locked.status == Status.FAILED or locked.is_stale(timezone.now())):
        raise ValidationError("Only an import that stopped can be run again.")
    if locked.file_cleared_at is not None:
        raise ValidationError("The file of this import is no longer kept: upload it again.")
    AccountImport.objects.filter(tenant=tenant, pk=job.pk).update(
        status=Status.QUEUED,
        step="",
        step_done=0,
        step_total=0,
        failure="",
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
    )
    audit(
        tenant=tenant,
        actor=actor,
        action="accounts.import_retried",
        obj=locked,
        data={"file_name": locked.file_name, "attempts": locked.attempts},
    )
    enqueue_on_commit(RUN_TASK, tenant, job.pk)
    locked.refresh_from_db()
    return locked


@dataclass
class TidyResult:
    stopped: int = 0
    files_cleared: int = 0
    deleted: int = 0


def account_imports_tidy(*, tenant: Tenant, now: dt.datetime | None = None) -> TidyResult:
    """Mark stale imports as stopped, clear the files of imports uploaded more than
    ``KEEP_UPLOADS`` ago, and delete the records older than ``KEEP_RECORDS``. A waiting or
    running import keeps its file. Idempotent."""
    now = now or timezone.now()
    imports = AccountImport.objects.filter(tenant=tenant)
    unfinished = [Status.QUEUED, Status.RUNNING]
    result = TidyResult()
    result.stopped = imports.filter(
        status=Status.RUNNING, heartbeat_at__lt=now - IMPORT_STALE_AFTER
    ).update(status=Status.FAILED, failure=STOPPED, step="", finished_at=now)
    result.files_cleared = (
        imports.filter(created_at__lt=now - KEEP_UPLOADS, file_cleared_at__isnull=True)
        .exclude(status__in=unfinished)
        .update(content=b"", file_cleared_at=now)
    )
    result.deleted, _ = (
        imports.filter(created_at__lt=now - KEEP_RECORDS).exclude(status__in=unfinished).delete()
    )
    return result
