"""CSV import of sales (the admin's "Import CSV" on the sale list).

Columns: ``external_id``, ``member_email``, ``account_external_id``, ``amount``,
``closed_on`` (all required, in any order). Import is all or nothing: every row is
checked first, and a file with one bad row writes nothing and names the row and column
of each problem. Rows are matched on ``external_id``, so importing a file twice updates
the sales, never duplicates them. The file is imported synchronously: at most 10,000
rows (about a second on PostgreSQL), bigger exports are split or sent to the API in
batches.
"""

import datetime as dt
from dataclasses import dataclass

from spm.inputs import DATE_WINDOW_MESSAGE, EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Tenant
from territories.csv_io import (
    ImportRejected,
    RowError,
    csv_header_check,
    csv_records,
    csv_text,
)
from territories.models import Account

from .models import Sale
from .services import SaleRow, SaleRowsInvalid, SalesResult, sales_upsert_many

COLUMNS = ["external_id", "member_email", "account_external_id", "amount", "closed_on"]
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024  # 10,000 rows of sales take well under 1 MB.
EXTERNAL_ID_MAX = Sale._meta.get_field("external_id").max_length
# Account external ids are looked up this many per query.
LOOKUP_CHUNK = 5_000
# The service names fields by model; the file by its columns.
COLUMN_OF = {
    "external_id": "external_id",
    "member": "member_email",
    "account": "account_external_id",
    "amount": "amount",
    "closed_on": "closed_on",
}

__all__ = ["COLUMNS", "ImportRejected", "RowError", "sales_import", "sales_rows"]


@dataclass(frozen=True)
class ParsedFile:
    rows: list[SaleRow]
    lines: list[int]  # The file's line number of each row (the header is line 1).


def _parse_date(text: str) -> dt.date | str:
    """The date, or the message to show."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return "Use a date as YYYY-MM-DD, e.g. 2026-03-31."
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return DATE_WINDOW_MESSAGE
    return day


def sales_rows(*, tenant: Tenant, data: bytes) -> ParsedFile:
    """Check every cell of the file and resolve emails and account ids; return the rows
    for ``sales_upsert_many``. Raises ``ImportRejected`` naming each problem's row and
    column. Two queries (members, accounts) per 5,000 rows."""
    header, raw_rows, lines = csv_records(csv_text(data, max_bytes=MAX_BYTES), max_rows=MAX_ROWS)
    csv_header_check(
        header, required=COLUMNS, known=COLUMNS, row_count=len(raw_rows), max_rows=MAX_ROWS
    )
    members = {
        email.casefold(): member_id
        for member_id, email in Membership.objects.filter(tenant=tenant).values_list(
            "pk", "user__email"
        )
    }
    wanted = sorted({(raw.get("account_external_id") or "").strip() for raw in raw_rows} - {""})
    accounts: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        accounts.update(
            Account.objects.filter(
                tenant=tenant, external_id__in=wanted[start : start + LOOKUP_CHUNK]
            ).values_list("external_id", "pk")
        )

    errors: list[RowError] = []
    rows: list[SaleRow] = []
    seen: dict[str, int] = {}
    for line, raw in zip(lines, raw_rows, strict=True):
        if None in raw:  # More cells than header columns.
            errors.append(RowError(line, "row", "This row has more cells than the header."))
            continue
        cells = {key: (value or "").strip() for key, value in raw.items() if key}
        problems_before = len(errors)
        for name, value in cells.items():
            if "\x00" in value:
                errors.append(RowError(line, name, "Contains a NUL character; remove it."))
                cells[name] = value.replace("\x00", "")
        for name in COLUMNS:
            if not cells.get(name):
                errors.append(RowError(line, name, "Required; this cell is empty."))
        external_id = cells.get("external_id", "")
        if len(external_id) > EXTERNAL_ID_MAX:
            errors.append(RowError(line, "external_id", f"At most {EXTERNAL_ID_MAX} characters."))
        elif external_id in seen:
            errors.append(RowError(line, "external_id", f"Duplicate of row {seen[external_id]}."))
        elif external_id:
            seen[external_id] = line
        email = cells.get("member_email", "")
        member_id = members.get(email.casefold())
        if email and member_id is None:
            errors.append(
                RowError(
                    line, "member_email", f"Nobody in this organisation has the email “{email}”."
                )
            )
        account_id = accounts.get(cells.get("account_external_id", ""))
        if cells.get("account_external_id") and account_id is None:
            errors.append(
                RowError(
                    line,
                    "account_external_id",
                    f"No account has the external ID “{cells['account_external_id']}”.",
                )
            )
        closed_on = _parse_date(cells["closed_on"]) if cells.get("closed_on") else None
        if isinstance(closed_on, str):
            errors.append(RowError(line, "closed_on", closed_on))
        if len(errors) == problems_before:
            rows.append(
                SaleRow(
                    external_id=external_id,
                    member_id=member_id,
                    account_id=account_id,
                    amount=cells["amount"],  # The service reads and checks the amount.
                    closed_on=closed_on,
                )
            )
    if errors:
        raise ImportRejected(errors)
    return ParsedFile(rows=rows, lines=lines)


def sales_import(*, tenant: Tenant, actor, data: bytes) -> SalesResult:
    """Check the whole file, then create and update its sales in bulk, all or nothing.

    Raises ``ImportRejected`` (nothing written) naming the row and column of every
    problem, the service's own checks (amounts, dates, who may record whose sales)
    included.
    """
    parsed = sales_rows(tenant=tenant, data=data)
    try:
        return sales_upsert_many(
            tenant=tenant, actor=actor, rows=parsed.rows, source=Sale.Source.IMPORT
        )
    except SaleRowsInvalid as invalid:
        raise ImportRejected(
            [
                RowError(parsed.lines[index], COLUMN_OF.get(name, "row"), message)
                for index, fields in invalid.rows.items()
                for name, messages in fields.items()
                for message in messages
            ]
        ) from None
