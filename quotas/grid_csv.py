"""The quota grid as a CSV file, out and back in.

Export: one row per person of the grid (``email``, ``name``, ``manager``), one column
per month of the fiscal year (``YYYY-MM``) and the row's ``total``, for the metric shown.

Import is all-or-nothing: every cell is checked first (by ``quotas_save_many``, the
grid's own writer), and a file with one bad cell writes nothing and names the row and
column of each error (the header is row 1). Rows are matched by ``email``; ``name``,
``manager`` and ``total`` are read by people, not by the import. An empty cell leaves
its month as it is; a cell that shows the stored amount changes nothing (so a file
exported and imported unchanged is accepted, the manager's own read-only row included).
Each cell is saved against the version read when the file was checked, so a quota
changed meanwhile is refused, not overwritten.
"""

import csv
import io
from decimal import Decimal, InvalidOperation

from django.http import StreamingHttpResponse
from django.utils.text import slugify

from spm.web.exports import csv_download
from territories.csv_io import ImportRejected, RowError, csv_dialect, csv_text

from .forms import normalise_amount
from .selectors.grid import Grid, month_key
from .services import QuotaCell, QuotaCellsInvalid, quotas_save_many

FIXED_COLUMNS = ["email", "name", "manager"]
TOTAL_COLUMN = "total"
MAX_BYTES = 2 * 1024 * 1024  # A grid of 2,000 people × 12 months is about 300 KB.
MAX_ROWS = 10_000


def _figure(amount: Decimal | None, unit: Decimal) -> Decimal | None:
    return None if amount is None else amount.quantize(unit)


def grid_rows(grid: Grid):
    names = {row.member_id: row.person.name for row in grid.rows}
    for row in grid.rows:
        yield [
            row.person.email,
            row.person.name,
            names.get(row.parent_id, ""),
            *(_figure(cell.amount, grid.unit) for cell in row.cells),
            _figure(row.total, grid.unit),
        ]


def grid_header(grid: Grid) -> list[str]:
    return [*FIXED_COLUMNS, *(month_key(month) for month in grid.months), TOTAL_COLUMN]


def grid_download(grid: Grid) -> StreamingHttpResponse:
    filename = f"quotas-{slugify(grid.tenant.slug)}-{grid.year}-{grid.metric}.csv"
    return csv_download(filename, grid_header(grid), grid_rows(grid))


# --- Import ---------------------------------------------------------------------------


def _text(data: bytes) -> str:
    text = csv_text(data, max_bytes=MAX_BYTES)
    if "\x00" in text:
        raise ImportRejected([RowError(1, "file", "The file holds NUL characters.")])
    return text


def _reader(text: str):
    return csv.reader(io.StringIO(text), csv_dialect(text))


def grid_import(*, grid: Grid, actor, data: bytes) -> int:
    """Save the file's changed cells into ``grid``'s year and metric; returns how many.

    Raises ``ImportRejected`` (nothing written) with every problem found.
    """
    lines = list(_reader(_text(data)))
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise ImportRejected([RowError(1, "file", "The file is empty.")])
    header = [name.strip().lower() for name in lines[0]]
    months = {month_key(month): month for month in grid.months}
    errors: list[RowError] = []
    if "email" not in header:
        errors.append(RowError(1, "email", "The header needs an “email” column."))
    known = {*FIXED_COLUMNS, TOTAL_COLUMN, *months}
    for name in header:
        if name and name not in known:
            errors.append(
                RowError(1, name, f"Not a column of the {grid.year_label} grid: use "
                         f"email, name, manager, {next(iter(months))} … {month_key(grid.months[-1])}.")
            )  # fmt: skip
    if len(set(header)) != len(header):
        errors.append(RowError(1, "file", "A column appears twice in the header."))
    if len(lines) - 1 > MAX_ROWS:
        errors.append(RowError(1, "file", f"At most {MAX_ROWS:,} rows."))
    if errors:
        raise ImportRejected(errors)

    rows_by_email = {row.person.email.lower(): row for row in grid.rows}
    month_columns = [(i, months[name]) for i, name in enumerate(header) if name in months]
    email_at = header.index("email")
    seen: dict[str, int] = {}
    cells: list[QuotaCell] = []
    where: dict[tuple[int, object], tuple[int, str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not any(value.strip() for value in line):
            continue  # Blank lines, as spreadsheets leave them.
        if len(line) > len(header):
            errors.append(RowError(number, "row", "This row has more cells than the header."))
            continue
        line = line + [""] * (len(header) - len(line))
        email = line[email_at].strip().lower()
        row = rows_by_email.get(email)
        if row is None:
            errors.append(
                RowError(number, "email", f"Nobody in this grid has the email “{email}”.")
            )
            continue
        if email in seen:
            errors.append(RowError(number, "email", f"This person is also on row {seen[email]}."))
            continue
        seen[email] = number
        for position, month in month_columns:
            column = header[position]
            raw = normalise_amount(line[position], currency=grid.tenant.currency)
            cell = row.cells[grid.months.index(month)]
            if not raw:
                continue
            try:
                same = cell.amount is not None and Decimal(raw.replace(",", "")) == cell.amount
            except InvalidOperation:
                same = False
            if same:
                continue
            cells.append(
                QuotaCell(row.member_id, month, grid.metric, raw, version=cell.version or 0)
            )
            where[(row.member_id, month)] = (number, column)
    if errors:
        raise ImportRejected(errors)
    if not cells:
        return 0
    try:
        quotas_save_many(tenant=grid.tenant, actor=actor, cells=cells)
    except QuotaCellsInvalid as invalid:
        rejected = []
        for (member_id, month, _metric), fields in invalid.cells.items():
            number, column = where.get((member_id, month), (1, "file"))
            for messages in fields.values():
                rejected.extend(RowError(number, column, message) for message in messages)
        raise ImportRejected(sorted(rejected, key=lambda e: (e.row, e.column))) from None
    return len(cells)
