"""Rolling quotas down to daily and weekly targets, in bulk (DESIGN 4.2).

``quotas_roll_down`` is the one writer of ``Quota.effective_amount``, ``no_capacity``,
``rolled_down_version`` and of every ``QuotaTarget`` row. Invariants:

- a quota's targets are exactly what ``rules.rolldown`` computes from its figures and
  the calendar (the tenant's work week, weekday weights, holidays and
  ``prorate_time_off``; the member's employment dates and time off) at the time of the
  run: re-running gives identical rows (idempotent);
- quotas are done in batches of ``BATCH``, one transaction each: the batch's quota rows
  are locked (primary-key order) *before* anything is read, its old targets deleted and
  the new ones inserted in that transaction, so a worker killed mid-job leaves every
  quota with its old targets or its new ones, never half of either; and two runs over
  the same quotas serialise, the later one reading what the earlier one wrote;
- ``rolled_down_version`` becomes the version that was read, and only if the quota's
  ``version`` is still that one: a concurrent edit is never marked rolled down with
  the targets of its previous figures (its own rolldown job is queued behind it).

Cost per batch: a fixed number of statements (lock and read the quotas, the tenant's
settings, holidays, time off, one DELETE, one bulk insert, one UPDATE), whatever the
number of quotas or rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.bulk import copy_rows
from spm.tenancy.models import Tenant

from .. import metrics, rules
from ..models import Quota, QuotaTarget

# Quotas per transaction. 2,000 quotas are about 52,000 target rows (a month has ~21
# capacity days and ~5 weeks): one COPY of ~2 MB on PostgreSQL, a quarter of a second
# or so, short enough that a concurrent edit of one of them waits little for its lock,
# long enough that the per-batch statements cost nothing next to the rows. On SQLite
# the UPDATE's 4 parameters per quota stay far below its 32,766-parameter limit.
BATCH = 2_000

TARGET_COLUMNS = ("tenant_id", "quota_id", "granularity", "start", "end", "amount")
DAY = QuotaTarget.Granularity.DAY.value
WEEK = QuotaTarget.Granularity.WEEK.value


@dataclass
class RolldownResult:
    """What one run did. ``quota_ids`` are the quotas rolled down (for attainment)."""

    quotas: int = 0
    daily_rows: int = 0
    weekly_rows: int = 0
    no_capacity: int = 0
    # Quotas whose version moved during the run: their targets were written but they stay
    # pending, for the rolldown job their edit queued. (Cannot happen on PostgreSQL,
    # where the rows are locked first; counted to say so if it ever does.)
    version_moved: int = 0
    quota_ids: list[int] = field(default_factory=list)

    def add(self, other: RolldownResult) -> None:
        self.quotas += other.quotas
        self.daily_rows += other.daily_rows
        self.weekly_rows += other.weekly_rows
        self.no_capacity += other.no_capacity
        self.version_moved += other.version_moved
        self.quota_ids.extend(other.quota_ids)


def quotas_roll_down(
    *,
    tenant: Tenant,
    quota_ids: Iterable[int] | None = None,
    member_ids: Iterable[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    pending_only: bool = False,
) -> RolldownResult:
    """Roll down the tenant's quotas: all of them, or those with ``quota_ids``; narrowed
    to ``member_ids``, to the months overlapping ``start``–``end`` (both included,
    either may be open) and to the quotas whose targets are pending
    (``rolled_down_version < version``) when given. Returns what was written.
    """
    if quota_ids is not None:
        # Ownership is checked where the batch is read (the tenant filter).
        ids = sorted({int(quota_id) for quota_id in quota_ids})
    else:
        quotas = Quota.objects.filter(tenant=tenant)
        if member_ids is not None:
            quotas = quotas.filter(member_id__in=sorted({int(m) for m in member_ids}))
        if start is not None:
            quotas = quotas.filter(month__gte=start.replace(day=1))
        if end is not None:
            quotas = quotas.filter(month__lte=end)
        if pending_only:
            quotas = quotas.filter(rolled_down_version__lt=F("version"))
        ids = list(quotas.order_by("pk").values_list("pk", flat=True))
    result = RolldownResult()
    for first in range(0, len(ids), BATCH):
        result.add(_roll_down_batch(tenant, ids[first : first + BATCH]))
    return result


class _Quota(NamedTuple):
    pk: int
    member_id: int
    month: dt.date
    metric: str
    amount: Decimal
    ramp_pct: Decimal
    version: int
    start_date: dt.date
    end_date: dt.date | None
    # What is stored now: rows whose figures do not change are not updated.
    effective_amount: Decimal
    no_capacity: bool
    rolled_down_version: int


def _roll_down_batch(tenant: Tenant, quota_ids: Sequence[int]) -> RolldownResult:
    """One batch in one transaction: lock, read, compute, replace (see the invariants)."""
    with transaction.atomic():
        quotas = [
            _Quota(*row)
            for row in Quota.objects.select_for_update(of=("self",))
            .filter(tenant=tenant, pk__in=quota_ids)
            .order_by("pk")
            .values_list(
                "pk",
                "member_id",
                "month",
                "metric",
                "amount",
                "ramp_pct",
                "version",
                "member__start_date",
                "member__end_date",
                "effective_amount",
                "no_capacity",
                "rolled_down_version",
            )
        ]
        if not quotas:
            return RolldownResult()
        # Read after the lock: a run queued by a calendar change that committed before
        # this point sees it, and one queued later waits for this batch and redoes it.
        calendar = _calendar(tenant, quotas)
        time_off = _time_off(tenant, quotas)
        inputs = [
            rules.QuotaInput(
                key=quota.pk,
                month=quota.month,
                metric=quota.metric,
                amount=quota.amount,
                ramp_pct=quota.ramp_pct,
                start_date=quota.start_date,
                end_date=quota.end_date,
                time_off=time_off.get(quota.member_id, ()),
            )
            for quota in quotas
        ]
        rolled = rules.rolldown(inputs, calendar, units=metrics.units())
        ids = [quota.pk for quota in quotas]
        _replace_targets(tenant, ids, rolled)
        moved = _write_quotas(tenant, quotas, rolled)
    return RolldownResult(
        quotas=len(quotas),
        daily_rows=len(rolled.daily),
        weekly_rows=len(rolled.weekly),
        no_capacity=int(rolled.quotas["no_capacity"].sum()),
        version_moved=moved,
        quota_ids=ids,
    )


def _span(quotas: list[_Quota]) -> tuple[dt.date, dt.date]:
    months = [quota.month for quota in quotas]
    return min(months), rules.month_bounds(max(months))[1]


def _calendar(tenant: Tenant, quotas: list[_Quota]) -> rules.TenantCalendar:
    """The tenant's calendar over the batch's months, read fresh (settings included)."""
    first, last = _span(quotas)
    work_week, weights, prorate_time_off = Tenant.objects.values_list(
        "work_week", "weekday_weights", "prorate_time_off"
    ).get(pk=tenant.pk)
    holidays = Holiday.objects.filter(tenant=tenant, date__gte=first, date__lte=last)
    return rules.TenantCalendar(
        work_week=frozenset(work_week),
        weekday_weights=tuple(Decimal(str(weight)) for weight in weights),
        holidays=frozenset(holidays.values_list("date", flat=True)),
        prorate_time_off=prorate_time_off,
    )


def _time_off(
    tenant: Tenant, quotas: list[_Quota]
) -> dict[int, tuple[tuple[dt.date, dt.date], ...]]:
    """Each member's time off overlapping the batch's months, in one query."""
    first, last = _span(quotas)
    member_ids = sorted({quota.member_id for quota in quotas})
    ranges: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for member_id, start, end in TimeOff.objects.filter(
        tenant=tenant, member_id__in=member_ids, start__lte=last, end__gte=first
    ).values_list("member_id", "start", "end"):
        ranges[member_id].append((start, end))
    return {member_id: tuple(spans) for member_id, spans in ranges.items()}


def target_rows(tenant_id: int, rolled: rules.Rolldown):
    """The ``QuotaTarget`` rows of a rolldown as tuples in ``TARGET_COLUMNS`` order, the
    way both bulk paths send them: dates and amounts as text, read exactly. A batch holds
    a few hundred distinct dates and amounts, so each is written out once."""
    text: dict = {}

    def as_text(values) -> list[str]:
        return [text[v] if v in text else text.setdefault(v, _text(v)) for v in values]

    daily, weekly = rolled.daily, rolled.weekly
    daily_dates = as_text(daily["date"])
    yield from zip(
        repeat(tenant_id),
        daily["key"].tolist(),
        repeat(DAY),
        daily_dates,
        daily_dates,
        as_text(daily["amount"]),
        strict=False,
    )
    yield from zip(
        repeat(tenant_id),
        weekly["key"].tolist(),
        repeat(WEEK),
        as_text(weekly["start"]),
        as_text(weekly["end"]),
        as_text(weekly["amount"]),
        strict=False,
    )


def _text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def insert_targets(rows) -> int:
    """Insert target rows in bulk: ``COPY`` through a staging table on PostgreSQL (row-level
    security refuses a plain ``COPY FROM``), one prepared INSERT run over every row
    (``executemany``) elsewhere."""
    if connection.vendor == "postgresql":
        return copy_rows(QuotaTarget, TARGET_COLUMNS, rows)
    rows = list(rows)
    if rows:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in TARGET_COLUMNS)
        placeholders = ", ".join(["%s"] * len(TARGET_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(QuotaTarget._meta.db_table)} ({columns}) "
                f"VALUES ({placeholders})",
                rows,
            )
    return len(rows)


def _replace_targets(tenant: Tenant, quota_ids: list[int], rolled: rules.Rolldown) -> None:
    # No model points at a target and none listens for its deletion: one DELETE.
    QuotaTarget.objects.filter(tenant=tenant, quota_id__in=quota_ids).delete()
    insert_targets(target_rows(tenant.pk, rolled))


def _write_quotas(tenant: Tenant, quotas: list[_Quota], rolled: rules.Rolldown) -> int:
    """Effective amounts, ``no_capacity`` and ``rolled_down_version`` of the quotas whose
    stored values differ, in one UPDATE … FROM (VALUES …); a quota whose version moved
    meanwhile is left alone. Returns how many were left alone for that reason.
    ``updated_at`` stays: rolldown is not an edit."""
    figures = dict(
        zip(
            rolled.quotas["key"].tolist(),
            zip(rolled.quotas["effective_amount"], rolled.quotas["no_capacity"], strict=True),
            strict=True,
        )
    )
    values, params = [], []
    for quota in quotas:
        effective, no_capacity = figures[quota.pk]
        if (quota.effective_amount, quota.no_capacity, quota.rolled_down_version) == (
            effective,
            bool(no_capacity),
            quota.version,
        ):
            continue
        values.append("(%s, %s, %s, %s)")
        params += [quota.pk, str(effective), bool(no_capacity), quota.version]
    if not values:
        return 0
    table = connection.ops.quote_name(Quota._meta.db_table)
    # On PostgreSQL the text amount is cast to the column's numeric on assignment.
    amount = "CAST(v.effective_amount AS NUMERIC)"
    sql = (
        f"WITH v(id, effective_amount, no_capacity, version) AS (VALUES {', '.join(values)}) "
        f"UPDATE {table} SET effective_amount = {amount}, no_capacity = v.no_capacity, "
        f"rolled_down_version = v.version FROM v "
        f"WHERE {table}.id = v.id AND {table}.version = v.version AND {table}.tenant_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, tenant.pk])
        updated = cursor.rowcount
        if updated < 0:
            # Python's sqlite3 counts no rows for a statement that starts with WITH.
            cursor.execute("SELECT changes()")
            updated = cursor.fetchone()[0]
    return len(values) - updated
