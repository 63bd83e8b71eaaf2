"""CSV import of activities (the admin's "Import CSV" on the activity list).

Columns: ``member_email``, ``date``, ``type``, ``duration_minutes`` (required) and
``account_external_id``, ``notes`` (optional, and may be left out of the header), in any
order. Import is all or nothing: every row is checked first, and a file with one bad row
writes nothing and names the row and column of each problem, the logging service's own
checks included (a day after today, a retired type, more than 24 hours on one member's
day, counting what the file adds to what is logged already).

Every row is a new activity (a file imported twice logs twice: activities have no id of
their own in other systems). The import logs for the organisation's members on their
behalf, which only admins may do (``activities_create_many(on_behalf=True)``). The file is
imported synchronously: at most 10,000 rows, checked and written in about a second.
"""

from dataclasses import dataclass

from spm.tenancy.models import Membership, Tenant
from territories.csv_io import (
    ImportRejected,
    RowError,
    csv_header_check,
    csv_records,
    csv_text,
)
from territories.models import Account

from .models import Activity, ActivityType
from .services import ActivityRow, ActivityRowsInvalid, activities_create_many

COLUMNS = ["member_email", "date", "type", "duration_minutes", "account_external_id", "notes"]
REQUIRED = ["member_email", "date", "type", "duration_minutes"]
MAX_ROWS = 10_000
# 10,000 rows with long notes stay well under this; a bigger file is not an activity log.
MAX_BYTES = 5 * 1024 * 1024
# Account external ids are looked up this many per query.
LOOKUP_CHUNK = 5_000
# The service names the fields of a row; the file names its columns.
COLUMN_OF = {
    "member_id": "member_email",
    "type_id": "type",
    "account_id": "account_external_id",
    "date": "date",
    "duration_minutes": "duration_minutes",
    "notes": "notes",
}

__all__ = ["COLUMNS", "ImportRejected", "RowError", "activities_import", "activities_rows"]


@dataclass(frozen=True)
class ParsedFile:
    rows: list[ActivityRow]
    lines: list[int]  # The file's line number of each row (the header is line 1).


def _accounts(tenant: Tenant, raw_rows: list[dict]) -> dict[str, int]:
    wanted = sorted({(raw.get("account_external_id") or "").strip() for raw in raw_rows} - {""})
    accounts: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        accounts.update(
            Account.objects.filter(
                tenant=tenant, external_id__in=wanted[start : start + LOOKUP_CHUNK]
            ).values_list("external_id", "pk")
        )
    return accounts


def activities_rows(*, tenant: Tenant, data: bytes) -> ParsedFile:
    """Check every cell the service does not (empty cells, unknown people, types and
    accounts) and resolve them to ids; return the rows for ``activities_create_many``.
    Raises ``ImportRejected`` naming each problem's row and column. Three queries
    (members, types, accounts) and one more per 5,000 accounts."""
    header, raw_rows, lines = csv_records(csv_text(data, max_bytes=MAX_BYTES), max_rows=MAX_ROWS)
    csv_header_check(
        header, required=REQUIRED, known=COLUMNS, row_count=len(raw_rows), max_rows=MAX_ROWS
    )
    members = {
        email.casefold(): member_id
        for member_id, email in Membership.objects.filter(tenant=tenant).values_list(
            "pk", "user__email"
        )
    }
    # Retired types too: the service says a retired type is no longer in use.
    types = {
        name.casefold(): type_id
        for type_id, name in ActivityType.objects.filter(tenant=tenant).values_list("pk", "name")
    }
    type_names = ", ".join(
        ActivityType.objects.filter(tenant=tenant, active=True).values_list("name", flat=True)
    )
    accounts = _accounts(tenant, raw_rows)

    errors: list[RowError] = []
    rows: list[ActivityRow] = []
    for line, raw in zip(lines, raw_rows, strict=True):
        if None in raw:  # More cells than header columns.
            errors.append(RowError(line, "row", "This row has more cells than the header."))
            continue
        cells = {key: (value or "").strip() for key, value in raw.items() if key}
        problems_before = len(errors)
        for name, value in cells.items():
            if "\x00" in value:
                errors.append(RowError(line, name, "Contains a NUL character; remove it."))
        for name in REQUIRED:
            if not cells.get(name):
                errors.append(RowError(line, name, "Required; this cell is empty."))
        email = cells.get("member_email", "")
        member_id = members.get(email.casefold())
        if email and member_id is None:
            errors.append(
                RowError(
                    line, "member_email", f"Nobody in this organisation has the email “{email}”."
                )
            )
        type_name = cells.get("type", "")
        type_id = types.get(type_name.casefold())
        if type_name and type_id is None:
            errors.append(
                RowError(
                    line,
                    "type",
                    f"No activity type is called “{type_name}”. The types are: {type_names}.",
                )
            )
        external_id = cells.get("account_external_id", "")
        account_id = accounts.get(external_id)
        if external_id and account_id is None:
            errors.append(
                RowError(
                    line,
                    "account_external_id",
                    f"No account has the external ID “{external_id}”.",
                )
            )
        if len(errors) == problems_before:
            rows.append(
                ActivityRow(
                    member_id=member_id,
                    type_id=type_id,
                    # The service reads and checks the date, the minutes and the notes.
                    date=cells["date"],
                    duration_minutes=cells["duration_minutes"],
                    account_id=account_id,
                    notes=cells.get("notes", ""),
                )
            )
    if errors:
        raise ImportRejected(errors)
    return ParsedFile(rows=rows, lines=lines)


def activities_import(*, tenant: Tenant, actor, data: bytes) -> list[Activity]:
    """Check the whole file, then log its activities in bulk, all or nothing, on behalf
    of the members it names (admins only: anyone else gets ``PermissionDenied``).

    Raises ``ImportRejected`` (nothing written) naming the row and column of every
    problem, the service's own checks included.
    """
    parsed = activities_rows(tenant=tenant, data=data)
    try:
        return activities_create_many(
            tenant=tenant,
            actor=actor,
            rows=parsed.rows,
            source=Activity.Source.IMPORT,
            on_behalf=True,
        )
    except ActivityRowsInvalid as invalid:
        raise ImportRejected(
            [
                RowError(parsed.lines[index], COLUMN_OF.get(name, "row"), message)
                for index, fields in sorted(invalid.rows.items())
                for name, messages in fields.items()
                for message in messages
            ]
        ) from None
