"""Many values as one PostgreSQL parameter (spm.tenancy.bulk.array_literal)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from spm.tenancy.bulk import array_literal


def test_numbers_dates_and_nulls_make_one_array_literal():
    values = [1, None, Decimal("-12.50"), dt.date(2026, 2, 28)]
    assert array_literal(values) == "{1,NULL,-12.50,2026-02-28}"
    assert array_literal([]) == "{}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's arrays.")
@pytest.mark.django_db
def test_postgresql_reads_them_back_as_the_values():
    amounts = [Decimal("1E+3"), None, Decimal("0.01")]
    days = [dt.date(2026, 12, 31), dt.date(2024, 2, 29)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::numeric[], %s::date[], %s::bigint[]",
            [array_literal(amounts), array_literal(days), array_literal([2**62, -1])],
        )
        assert cursor.fetchone() == (amounts, days, [2**62, -1])
