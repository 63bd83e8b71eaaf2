"""The one CSV writer of every export (admin downloads, reports, the API's files).

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is
run by spreadsheet programs when the file is opened — ``=HYPERLINK(…)`` in an account
name would become a live link. Text cells starting so get a leading apostrophe, which
spreadsheets show as text (OWASP's advice for CSV injection). Numbers are written as
numbers: pass ``Decimal``/``int`` values, not pre-formatted strings, for figures that may
be negative.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

from spm.tenancy.context import carried

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will read it: text that starts like a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header, then each row, as CSV text lines with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Sequence[object]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    yield line(header)
    for row in rows:
        yield line(row)


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streamed CSV attachment: rows are written as they are read, in constant memory,
    in the request's tenant context (read after the view has returned)."""
    response = StreamingHttpResponse(
        carried(csv_lines(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
