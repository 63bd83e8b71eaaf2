"""The one CSV writer of every export: cells never run as formulas in a spreadsheet."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from spm.web.exports import csv_download, csv_lines, safe_cell

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_like_a_formula_is_quoted(start):
    assert safe_cell(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("value", ["Acme", "", "a=b", "1+1", Decimal("-12.50"), -3, 0])
def test_other_cells_are_written_as_they_are(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_the_lines_read_back_as_the_header_and_safe_rows():
    text = "".join(csv_lines(["name", "amount"], [['=cmd|"/c calc"!A0', Decimal("-5.00")]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "amount"], ['\'=cmd|"/c calc"!A0', "-5.00"]]


def test_a_download_is_a_streamed_attachment():
    response = csv_download("report.csv", ["a"], [["@x"]])
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == b"a\r\n'@x\r\n"


def test_no_module_writes_csv_but_the_export_writer():
    """Every export goes through ``spm.web.exports``. The one other writer streams rows to
    PostgreSQL's COPY (``spm.tenancy.bulk``), which no person opens."""
    allowed = {"spm/web/exports.py", "spm/tenancy/bulk.py"}
    writers = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path in PROJECT_ROOT.glob("*/**/*.py")
        if path.relative_to(PROJECT_ROOT).parts[0] not in {"tests", ".venv", "var"}
        and "csv.writer(" in path.read_text()
    )
    assert [path for path in writers if path not in allowed] == []
