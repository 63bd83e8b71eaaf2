"""CSV import and export of accounts.

Import is all-or-nothing: every row is validated first, and a file with one bad row
writes nothing and names the row and column of each error. Rows are matched to
existing accounts by ``external_id`` (so importing a file twice updates, never
duplicates). The optional ``territory`` column names a territory; left empty, a new
account stays unassigned and an existing one stays where it is.

``accounts_file_check`` makes the checks of the file as a whole (size, encoding, header,
number of rows) cheaply enough for the upload itself; ``accounts_rows`` checks every cell
and returns the rows to write; ``accounts_import`` does both and writes. Big files are
imported in the background (``account_imports``), through the same functions.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from spm.tenancy.models import Tenant
from spm.web.exports import csv_lines

from . import services
from .models import Account, AccountAssignment, AccountImport, Territory

COLUMNS = [
    "external_id", "name", "industry", "country", "region", "postal_code",
    "annual_potential", "territory",
]  # fmt: skip
REQUIRED = ["external_id", "name"]
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
# Checking cells is reported to the import's page once per this many rows (about 0.1 s).
CHECK_REPORT_ROWS = 5_000
TEXT_LIMITS = {
    field_name: Account._meta.get_field(field_name).max_length
    for field_name in ("external_id", "name", "industry", "country", "region", "postal_code")
}


@dataclass(frozen=True)
class RowError:
    row: int  # The line number in the file, the header being line 1.
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, column “{self.column}”: {self.message}"


class ImportRejected(Exception):
    """The file was not imported; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing was imported.")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    errors: list[RowError] = field(default_factory=list)


def csv_text(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """An uploaded CSV file as text: refused whole (row 1, "file") when it is larger than
    ``max_bytes`` or not UTF-8. Every CSV import of the project reads its file here."""
    if len(data) > max_bytes:
        size = f"{max_bytes // (1024 * 1024)} MB"
        raise ImportRejected([RowError(1, "file", f"The file is larger than {size}; split it.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [RowError(1, "file", "The file is not UTF-8 text. Save it as “CSV UTF-8” and retry.")]
        ) from exc


def csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """Commas, semicolons (spreadsheets in many locales) or tabs, as the file uses."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _header(names: list[str] | None) -> list[str]:
    return [(name or "").strip().lower() for name in (names or [])]


def _parse(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text), dialect=csv_dialect(text))
    header = _header(reader.fieldnames)
    reader.fieldnames = header
    return header, list(reader)


def csv_header_check(
    header: list[str],
    *,
    required: list[str],
    known: list[str],
    row_count: int,
    max_rows: int,
) -> None:
    """Raise ``ImportRejected`` for a header or a number of rows an import cannot take:
    a ``required`` column missing, a column not ``known``, no rows, more than ``max_rows``.
    Every CSV import of the project checks its file's header here."""
    errors: list[RowError] = []
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name and name not in known]
    if missing:
        errors.append(RowError(1, ", ".join(missing), "Required column missing from the header."))
    if unknown:
        errors.append(
            RowError(1, ", ".join(unknown), f"Unknown column. Known columns: {', '.join(known)}.")
        )
    if not row_count and not errors:
        errors.append(RowError(2, "file", "The file has a header but no rows."))
    if row_count > max_rows:
        errors.append(RowError(max_rows + 2, "file", f"At most {max_rows:,} rows per file."))
    if errors:
        raise ImportRejected(errors)


def csv_records(text: str, *, max_rows: int) -> tuple[list[str], list[dict], list[int]]:
    """The header (names trimmed and lower-cased), the rows as dicts and each row's line
    number in the file (the header is line 1), reading at most one row past ``max_rows``
    (enough for ``csv_header_check`` to refuse the file). A line the csv module cannot
    read is refused whole, naming it."""
    reader = csv.DictReader(io.StringIO(text), dialect=csv_dialect(text))
    rows, lines = [], []
    try:
        header = _header(reader.fieldnames)
        reader.fieldnames = header
        for raw in reader:
            rows.append(raw)
            lines.append(reader.line_num)
            if len(rows) > max_rows:
                break
    except csv.Error as error:  # A cell over the csv module's size limit, a stray quote.
        raise ImportRejected(
            [
                RowError(
                    max(reader.line_num, 1), "file", f"This line cannot be read as CSV: {error}."
                )
            ]
        ) from None
    return header, rows, lines


def _check_file(header: list[str], row_count: int) -> None:
    """Raise ``ImportRejected`` for a header or a row count the import cannot take."""
    csv_header_check(
        header, required=REQUIRED, known=COLUMNS, row_count=row_count, max_rows=MAX_ROWS
    )


def accounts_file_check(data: bytes) -> int:
    """Check the file as a whole (size, encoding, header, number of rows); return its
    number of rows. Raises ``ImportRejected`` naming the problem.

    Cheap enough for the upload request: the rows are counted, not kept, so the memory it
    takes is about twice the file's size.
    """
    text = csv_text(data)
    reader = csv.reader(io.StringIO(text), dialect=csv_dialect(text))
    header = _header(next(reader, None))
    # Blank lines are skipped, as ``csv.DictReader`` (which reads the rows later) does.
    row_count = sum(1 for row in reader if row)
    _check_file(header, row_count)
    return row_count


def accounts_import(
    *, tenant: Tenant, actor, data: bytes, progress: services.Progress = services.no_progress
) -> ImportResult:
    """Validate the whole file, then create and update accounts in bulk.

    Raises ``ImportRejected`` (nothing written) when any row is invalid. Reports to
    ``progress`` as it goes (see ``accounts_rows`` and ``services.accounts_upsert``).
    """
    written = services.accounts_upsert(
        tenant=tenant,
        actor=actor,
        rows=accounts_rows(tenant=tenant, data=data, progress=progress),
        source=AccountAssignment.Source.IMPORT,
        progress=progress,
    )
    return ImportResult(
        created=written.created,
        updated=written.updated,
        unchanged=written.unchanged,
        moved=written.moved,
    )


def accounts_rows(
    *, tenant: Tenant, data: bytes, progress: services.Progress = services.no_progress
) -> list[services.AccountRow]:
    """Check every cell of the file; return its rows, ready for ``services.accounts_upsert``.

    Raises ``ImportRejected`` with every problem of every row, each naming its row and
    column. Reports the rows checked to ``progress`` (step ``check``).
    """
    header, rows = _parse(csv_text(data))
    _check_file(header, len(rows))
    errors: list[RowError] = []

    # Names are unique regardless of case (a database constraint), so this is unambiguous.
    territories = {
        name.casefold(): (pk, active)
        for pk, name, active in Territory.objects.filter(tenant=tenant).values_list(
            "pk", "name", "active"
        )
    }
    seen: dict[str, int] = {}
    clean: list[tuple[int, dict]] = []
    for line, raw in enumerate(rows, start=2):
        if (line - 2) % CHECK_REPORT_ROWS == 0:
            progress(AccountImport.Step.CHECK, line - 2, len(rows))
        if None in raw:  # More cells than header columns.
            errors.append(RowError(line, "row", "This row has more cells than the header."))
            continue
        row = {key: (value or "").strip() for key, value in raw.items() if key}
        for name, value in row.items():
            if "\x00" in value:
                errors.append(RowError(line, name, "Contains a NUL character; remove it."))
                row[name] = value.replace("\x00", "")
        values: dict = {}
        for name, limit in TEXT_LIMITS.items():
            value = row.get(name, "")
            if len(value) > limit:
                errors.append(RowError(line, name, f"At most {limit} characters."))
            values[name] = value
        for name in REQUIRED:
            if not values[name]:
                errors.append(RowError(line, name, "Required; this cell is empty."))
        if values["country"]:
            values["country"] = values["country"].upper()
            if len(values["country"]) != 2 or not values["country"].isalpha():
                errors.append(RowError(line, "country", "Use a two-letter country code, e.g. US."))
        potential = row.get("annual_potential", "")
        if potential:
            try:
                amount = Decimal(potential.replace(",", "").replace(" ", ""))
            except InvalidOperation:
                errors.append(
                    RowError(
                        line, "annual_potential", f"“{potential}” is not an amount, e.g. 125000.50."
                    )
                )
            else:
                if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
                    errors.append(
                        RowError(
                            line, "annual_potential", "Use an amount ≥ 0 with at most 2 decimals."
                        )
                    )
                elif amount >= Decimal("1e12"):
                    errors.append(RowError(line, "annual_potential", "That amount is too large."))
                else:
                    values["annual_potential"] = amount.quantize(Decimal("0.01"))
        territory_name = row.get("territory", "")
        values["territory_id"] = None
        if territory_name:
            territory_id, active = territories.get(territory_name.casefold(), (None, False))
            if territory_id is None:
                errors.append(
                    RowError(line, "territory", f"No territory named “{territory_name}”.")
                )
            elif not active:
                errors.append(
                    RowError(
                        line,
                        "territory",
                        f"“{territory_name}” is inactive; activate it first or choose another.",
                    )
                )
            else:
                values["territory_id"] = territory_id
        if values["external_id"]:
            if values["external_id"] in seen:
                errors.append(
                    RowError(
                        line, "external_id", f"Duplicate of row {seen[values['external_id']]}."
                    )
                )
            seen[values["external_id"]] = line
        values["has_potential"] = bool(potential)
        clean.append((line, values))
    if errors:
        raise ImportRejected(errors)
    progress(AccountImport.Step.CHECK, len(rows), len(rows))
    return [
        services.AccountRow(
            external_id=values["external_id"],
            name=values["name"],
            industry=values["industry"],
            country=values["country"],
            region=values["region"],
            postal_code=values["postal_code"],
            annual_potential=values.get("annual_potential") if values["has_potential"] else None,
            territory_id=values["territory_id"],
        )
        for _, values in clean
    ]


def accounts_export(accounts: Iterable[Account]) -> Iterator[str]:
    """CSV lines (header first) in the import format, so an export can be re-imported.
    Written by the one export writer, which keeps cells from running as formulas."""
    return csv_lines(
        COLUMNS,
        (
            [
                account.external_id,
                account.name,
                account.industry,
                account.country,
                account.region,
                account.postal_code,
                account.annual_potential.quantize(Decimal("0.01")),
                account.territory.name if account.territory_id else "",
            ]
            for account in accounts
        ),
    )
