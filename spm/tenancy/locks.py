"""Named locks per organisation, held until the current transaction ends.

For work that must run one at a time in an organisation but has no one row to lock, or
would have to lock thousands (every quota of a month, to recompute its attainment). On
PostgreSQL it is a transaction-level advisory lock; SQLite runs one writing transaction
at a time anyway, so there it is a no-op.
"""

import zlib

from django.db import connection

from .models import Tenant


def lock_for_tenant(tenant: Tenant, name: str) -> None:
    """Wait until no other transaction holds ``name`` for ``tenant``, then hold it until
    this transaction commits or rolls back. Call it inside ``transaction.atomic``."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_key(name), _key(str(tenant.pk))])


def _key(text: str) -> int:
    """A stable signed 32-bit key (PostgreSQL's two-key advisory locks take ``int4``);
    two names sharing one only make their holders wait for each other, never wrong."""
    return zlib.crc32(text.encode()) - 2**31
