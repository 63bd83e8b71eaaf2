"""Logging activities in one PostgreSQL round trip that checks them itself.

Logging is what reps do all day, so ``activities_create_many`` tries this first for rows
whose form is right. One round trip carries two statements:

1. the lock of the rows' members (``spm.calendars.services.lock_members_sql``);
2. then, with a snapshot taken once the lock is held, one statement that
   - checks every row's member (the organisation's), type (the organisation's, in use)
     and account (the organisation's), and that no member's day goes over 24 hours
     with what is logged already;
   - inserts all the rows when every check holds, and none otherwise;
   - says for each inserted row whether its type is selling time (only those can
     change attainment).

A refusal returns ``None`` and names nothing: the service then checks the rows one by one
to say which and why. So this never decides anything the service's own checks would not,
and the tests of the service run through both paths on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone

from spm.calendars.services import lock_members_sql
from spm.tenancy.bulk import array_literal
from spm.tenancy.models import Membership, Tenant
from territories.models import Account

from ..models import MINUTES_PER_DAY, Activity, ActivityType, Category


@dataclass(frozen=True)
class NewActivity:
    """A row's values once their form is checked, before the organisation is asked: ids
    are ``None`` when not given, ``-1`` when given but not an id; ``date`` and ``minutes``
    are ``None`` when wrong."""

    member_id: int
    type_id: int | None
    account_id: int | None
    date: dt.date | None
    minutes: int | None
    notes: str


@dataclass(frozen=True)
class Written:
    ids: list[int]  # The new activities' ids, in the rows' order.
    at: dt.datetime  # Their ``created_at`` and ``updated_at``.
    selling: list[bool]  # Whether each row's type is selling time.


def available() -> bool:
    return connection.vendor == "postgresql"


def insert(*, tenant: Tenant, rows: Sequence[NewActivity], source: str) -> Written | None:
    """Lock the members of ``rows``, then insert the rows if they all pass the checks
    above, else nothing (``None``). Inside a transaction: the locks last until it ends."""
    now = timezone.now()
    params = {
        "tenant": tenant.pk,
        "members": array_literal(row.member_id for row in rows),
        "types": array_literal(row.type_id for row in rows),
        "accounts": array_literal(row.account_id for row in rows),
        "dates": array_literal(row.date for row in rows),
        "minutes": array_literal(row.minutes for row in rows),
        "notes": [row.notes for row in rows],
        "source": source,
        "now": now,
        "day_limit": MINUTES_PER_DAY,
        "selling": Category.SELLING,
    }
    with_accounts = any(row.account_id is not None for row in rows)
    with connection.cursor() as cursor:
        cursor.execute(_statement(with_accounts), params)
        written = cursor.fetchall()
    if not written:
        return None
    return Written(
        ids=[pk for pk, _ in written], at=now, selling=[selling for _, selling in written]
    )


@cache
def _statement(with_accounts: bool) -> str:
    """The lock, then the insert; ``with_accounts`` when some row names an account
    (otherwise it leaves the accounts table out: a table the statement names costs its
    planning even when no row needs it)."""
    quote = connection.ops.quote_name
    activity = quote(Activity._meta.db_table)
    kind = quote(ActivityType._meta.db_table)
    account = quote(Account._meta.db_table)
    member = quote(Membership._meta.db_table)
    accounts_check = (
        f"""
               OR (account_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM {account} a
                   WHERE a.tenant_id = %(tenant)s AND a.id = new.account_id))"""
        if with_accounts
        else ""
    )
    # ``refused`` has a row for each broken rule; the insert happens only when it is empty.
    # RETURNING gives the rows in the order they were inserted, which is the rows' order.
    return f"""
        {lock_members_sql()};
        WITH new AS (
            SELECT * FROM unnest(
                %(members)s::bigint[], %(types)s::bigint[], %(accounts)s::bigint[],
                %(dates)s::date[], %(minutes)s::integer[], %(notes)s::text[]
            ) WITH ORDINALITY AS new (member_id, type_id, account_id, date, minutes, notes, n)
        ), kinds AS (
            SELECT id, category FROM {kind}
            WHERE tenant_id = %(tenant)s AND active AND id IN (SELECT type_id FROM new)
        ), refused AS (
            SELECT 1 FROM new
            WHERE type_id IS NULL OR type_id NOT IN (SELECT id FROM kinds)
               OR NOT EXISTS (
                   SELECT 1 FROM {member} m
                   WHERE m.tenant_id = %(tenant)s AND m.id = new.member_id){accounts_check}
            UNION ALL
            SELECT 1 FROM new
            GROUP BY member_id, date
            HAVING SUM(minutes) + COALESCE((
                SELECT SUM(a.duration_minutes) FROM {activity} a
                WHERE a.tenant_id = %(tenant)s AND a.member_id = new.member_id
                  AND a.date = new.date
            ), 0) > %(day_limit)s
        )
        INSERT INTO {activity} AS inserted (
            tenant_id, member_id, type_id, account_id, date, duration_minutes, notes, source,
            version, created_at, updated_at
        )
        SELECT %(tenant)s, member_id, type_id, account_id, date, minutes, notes, %(source)s,
               1, %(now)s, %(now)s
        FROM new
        WHERE NOT EXISTS (SELECT 1 FROM refused)
        ORDER BY n
        RETURNING inserted.id,
            (SELECT k.category FROM kinds k WHERE k.id = inserted.type_id) = %(selling)s
    """
