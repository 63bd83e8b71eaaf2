"""Importing accounts from a CSV file as a job with a page of its own.

An upload is checked as a whole at once (size, encoding, header, number of rows): a file
the import cannot take is refused on the spot and nothing is recorded. Otherwise it
becomes an ``AccountImport``, and ``account_import_run`` imports it: every cell checked
(``csv_io.accounts_rows``), then every account written and the import marked done in one
transaction (``services.account_import_write``), or nothing written and the row errors
(or the reason it stopped) recorded. The import's page follows its progress.

A file of up to ``INLINE_ROWS`` rows is imported during the upload itself, so its page
shows the result at once (well under a second, no worker needed); a bigger one is sent to
a worker (``tasks.run_account_import``) and the page follows it, however long it takes:
a web request has 30 seconds, an import of 100,000 rows can need more on a busy server.
"""

import logging
from dataclasses import asdict

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError

from spm.tenancy.models import Tenant

from . import csv_io, services
from .models import IMPORT_TIME_LIMIT, AccountImport

logger = logging.getLogger(__name__)

# About 0.2 s to import in the request (checking and writing 2,000 rows); bigger files go
# to a worker.
INLINE_ROWS = 2_000

TOO_LONG = (
    f"The import took longer than {IMPORT_TIME_LIMIT.seconds // 60} minutes and was "
    "stopped. Nothing was changed."
)
UNEXPECTED = "An unexpected error stopped the import. Nothing was changed."


def account_import_submit(*, tenant: Tenant, actor, file_name: str, data: bytes) -> AccountImport:
    """Check an uploaded file as a whole, record it as an import, and import it now (a
    small file) or in the background. Raises ``csv_io.ImportRejected`` (nothing recorded)
    for a file the import cannot take."""
    rows_total = csv_io.accounts_file_check(data)
    run_now = rows_total <= INLINE_ROWS
    job = services.account_import_create(
        tenant=tenant,
        actor=actor,
        file_name=file_name,
        data=data,
        rows_total=rows_total,
        run_later=not run_now,
    )
    if run_now:
        account_import_run(tenant=tenant, import_id=job.pk, live=False)
    return job


def account_import_run(*, tenant: Tenant, import_id: int, live: bool = True) -> str | None:
    """Import a waiting import's file: all of it, or nothing. Returns the import's status,
    or ``None`` when it was not waiting (a duplicate delivery). With ``live``, reports
    progress for its page as it goes."""
    job = services.account_import_claim(tenant=tenant, import_id=import_id)
    if job is None:
        return None
    progress = services.ImportProgress(tenant=tenant, job=job, live=live)
    status = AccountImport.Status.DONE
    try:
        rows = csv_io.accounts_rows(tenant=tenant, data=bytes(job.content), progress=progress)
        services.account_import_write(tenant=tenant, job=job, rows=rows, progress=progress)
    except csv_io.ImportRejected as rejected:
        progress.close()
        status = AccountImport.Status.REJECTED
        errors = [asdict(error) for error in rejected.errors]
        services.account_import_reject(tenant=tenant, job=job, errors=errors)
    except services.ImportSuperseded:
        logger.warning(
            "Account import %s: another run took it over; this one wrote nothing.", job.pk
        )
        return None
    except ValidationError as error:  # A territory was deactivated while rows were checked.
        progress.close()
        status = AccountImport.Status.FAILED
        reason = "Nothing was changed: " + " ".join(error.messages) + " Run the import again."
        services.account_import_fail(tenant=tenant, job=job, reason=reason)
    except SoftTimeLimitExceeded:
        progress.close()
        status = AccountImport.Status.FAILED
        services.account_import_fail(tenant=tenant, job=job, reason=TOO_LONG)
    except Exception:
        logger.exception("Account import %s failed", job.pk)
        progress.close()
        status = AccountImport.Status.FAILED
        services.account_import_fail(tenant=tenant, job=job, reason=UNEXPECTED)
    finally:
        progress.close()
    return status
