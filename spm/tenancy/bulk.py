"""Bulk loads into tenant tables on PostgreSQL, and many values as one parameter.

``COPY … FROM`` is PostgreSQL's fastest load, but it refuses a table with row-level
security (``spm.tenancy.rls``). ``copy_rows`` streams the rows into a temporary table
with the same column types (no policy there) and moves them with one
``INSERT … SELECT``, which the tenant wall checks like any insert. The extra pass costs
little next to one INSERT per row.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Model


def copy_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, ``None`` for NULL) into ``model``'s
    table; returns how many. PostgreSQL only."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    staging = quote(f"spm_copy_{model._meta.db_table}"[:63])
    column_list = ", ".join(quote(column) for column in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        # Empty unquoted cells are NULL in PostgreSQL's CSV format: csv writes None as "".
        writer.writerow(row)
        count += 1
    if not count:
        return 0
    buffer.seek(0)
    # Two statements around the stream; the temporary table lives until the INSERT.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {table} WITH NO DATA"
        )
        cursor.cursor.copy_expert(
            f"COPY {staging} ({column_list}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging}; "
            f"DROP TABLE {staging}"
        )
    return count


def array_literal(values: Iterable[object]) -> str:
    """Numbers or dates (``None`` for NULL) as one PostgreSQL array literal, ``{1,2,NULL}``,
    for a ``%(name)s::bigint[]`` parameter. A Python list is sent as ``ARRAY[1, 2, …]``:
    one constant per value for PostgreSQL to parse and plan, about 40 ms for ten thousand,
    where one literal takes under a millisecond. Not for text (it would need quoting)."""
    return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"
