"""Quotas' part of ``spm_bench`` (registered in ``plugin.py``).

``prepare`` gives the bench organisation's reps a revenue quota for each of its
``--months`` months (the admin, whom every rep reports to, a team quota each month),
a holiday every other month, a week off for one rep in ten, and ``--sales-per-rep``
sales each spread over those months (500 by default: 1,000,000 sales a year for 2,000
reps). It rolls everything down and computes the measured month once, so the jobs find
the organisation as it is on any day, then measures:

- **quota rolldown**: every quota rolled down again (``quotas_roll_down``: read, compute,
  replace the targets, update the quotas), against a floor that writes the same target
  rows with the least work: one DELETE of the old rows and the bulk insert of the new ones
  (on PostgreSQL ``COPY`` into a staging table and one ``INSERT … SELECT``, as
  ``spm.tenancy.bulk.copy_rows`` does: a plain ``COPY FROM`` is refused under row-level
  security; on SQLite one prepared INSERT run over every row);
- **attainment for a month**: ``attainment_compute`` for the middle month, as of its
  15th, against one ``INSERT … SELECT`` that aggregates the month's sales per member and
  the daily targets per quota and upserts the same attainment rows (and a second that
  copies them to the day's snapshots). The floor counts each quota's own sales only; the
  job sums the admin's whole tree for the team quota.

Before each pair is measured the floor runs once, undone, so both find the rows they read
in the database's cache, and on PostgreSQL the written tables are vacuumed before each
measurement, so neither pays for the dead rows of the other's rolled-back runs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from spm.calendars.models import Holiday, TimeOff
from spm.demo.bench import BUILD_BATCH, BenchOrg, BenchPlan, JobResult, measure, rolled_back
from spm.plugins import BenchOption
from spm.tenancy.bulk import copy_rows
from spm.tenancy.models import Membership, Role, Tenant
from territories.models import Account

from . import rules
from .models import (
    Attainment,
    AttainmentSnapshot,
    Metric,
    Quota,
    QuotaChange,
    QuotaTarget,
    Sale,
)
from .services.attainment import attainment_compute
from .services.quotas import quota_metrics_note
from .services.rolldown import TARGET_COLUMNS, insert_targets, quotas_roll_down

OPTIONS = (
    BenchOption(
        name="sales-per-rep",
        default=500,
        help="Sales per rep over the bench's months (500 × 2,000 reps: 1,000,000).",
        maximum=5_000,
        maximum_reason="10,000,000 sales for 2,000 reps is beyond any year we plan for",
    ),
)
SEED = 17  # Fixed, so every run builds the same quotas and sales.
ACCOUNTS = 200
# Sales are written 100,000 at a time: a COPY of ~8 MB on PostgreSQL, and on SQLite one
# prepared INSERT run over 100,000 rows; the build holds one chunk in memory at a time.
SALES_CHUNK = 100_000
SALE_COLUMNS = (
    "tenant_id",
    "member_id",
    "account_id",
    "amount",
    "closed_on",
    "external_id",
    "source",
    "version",
    "created_at",
    "updated_at",
)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def prepare(bench: BenchOrg) -> BenchPlan:
    """Build the quotas, calendar and sales of the bench organisation; return the jobs."""
    months = [add_months(bench.start, n) for n in range(bench.sizes.months)]
    per_rep = bench.sizes.option("sales-per-rep")
    quotas = build_quotas(bench, months)
    build_calendar(bench, months)
    sales = build_sales(bench, months, per_rep=per_rep)
    tidy(Sale, Quota, TimeOff, Holiday, Membership)
    quotas_roll_down(tenant=bench.tenant)
    measured = months[len(months) // 2]
    as_of = measured.replace(day=15)
    attainment_compute(tenant=bench.tenant, as_of=as_of)
    tidy(QuotaTarget, Attainment, AttainmentSnapshot)
    return BenchPlan(
        built=f"{quotas:,} quotas ({len(months)} months), {sales:,} sales",
        jobs=[
            ("quota rolldown", lambda: bench_rolldown(bench)),
            ("attainment for a month", lambda: bench_attainment(bench, as_of=as_of)),
        ],
        uses_months=True,
    )


def clean_up(*, tenant: Tenant) -> None:
    """Delete the bench organisation's quota data, the big tables first, in bulk (before
    territories deletes the accounts the sales point at)."""
    for model in (AttainmentSnapshot, Attainment, QuotaTarget, QuotaChange, Quota, Sale):
        model.objects.filter(tenant=tenant).delete()
    Account.objects.filter(tenant=tenant, external_id__startswith="QBENCH-").delete()


# --- Building --------------------------------------------------------------------------------


def build_quotas(bench: BenchOrg, months: list[dt.date]) -> int:
    """A revenue quota per rep and month (one rep in ten ramping at 50% for two months),
    and the admin's team quota per month: every rep reports to the admin."""
    tenant, rng = bench.tenant, random.Random(SEED)
    Membership.objects.filter(tenant=tenant, role=Role.REP).update(manager=bench.admin)
    quotas = [
        Quota(
            tenant=tenant,
            member_id=rep.pk,
            month=month,
            metric=Metric.REVENUE,
            amount=Decimal(rng.randrange(200, 800) * 100),
            ramp_pct=Decimal(50) if n % 10 == 0 and position < 2 else Decimal(100),
        )
        for n, rep in enumerate(bench.reps)
        for position, month in enumerate(months)
    ]
    quotas += [
        Quota(
            tenant=tenant,
            member_id=bench.admin.pk,
            month=month,
            metric=Metric.REVENUE,
            amount=Decimal(50_000) * len(bench.reps),
        )
        for month in months
    ]
    with transaction.atomic():
        Quota.objects.bulk_create(quotas, batch_size=BUILD_BATCH)
        quota_metrics_note(tenant, [Metric.REVENUE])
    return len(quotas)


def build_calendar(bench: BenchOrg, months: list[dt.date]) -> None:
    """A holiday mid-month every other month; a week off for one rep in ten."""
    tenant, rng = bench.tenant, random.Random(SEED + 1)
    Holiday.objects.bulk_create(
        [
            Holiday(tenant=tenant, date=month.replace(day=15), name=f"Bench holiday {n}")
            for n, month in enumerate(months[::2])
        ]
    )
    time_off = []
    for rep in bench.reps[::10]:
        month = rng.choice(months)
        monday = month + dt.timedelta(days=(7 - month.weekday()) % 7 + 7)
        time_off.append(
            TimeOff(tenant=tenant, member=rep, start=monday, end=monday + dt.timedelta(days=4))
        )
    TimeOff.objects.bulk_create(time_off, batch_size=BUILD_BATCH)


def build_sales(bench: BenchOrg, months: list[dt.date], *, per_rep: int) -> int:
    """``per_rep`` sales per rep, their dates spread evenly over ``months``, their amounts
    log-normal around 1,000 (a few reps well above, most near, some below)."""
    tenant, rng = bench.tenant, random.Random(SEED + 2)
    # The customers are territories' bench accounts (its suite runs first); a few of our
    # own only if it built none, so its jobs see exactly the accounts it made.
    accounts = list(
        Account.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)[:ACCOUNTS]
    ) or [
        account.pk
        for account in Account.objects.bulk_create(
            [
                Account(tenant=tenant, name=f"Bench customer {n}", external_id=f"QBENCH-{n:05d}")
                for n in range(ACCOUNTS)
            ]
        )
    ]
    first = months[0]
    days = (rules.month_bounds(months[-1])[1] - first).days + 1
    now = timezone.now().isoformat()
    total = per_rep * len(bench.reps)
    reps = [rep.pk for rep in bench.reps]
    scales = [math.log(1_000) + rng.gauss(0, 0.3) for _ in reps]

    def rows():
        """In the order a CRM would send them: day by day, as they close (so a month's
        sales sit together in the table, as they do in production); the reps take turns,
        so each has exactly ``per_rep``."""
        number = 0
        for offset in range(days):
            closed_on = (first + dt.timedelta(days=offset)).isoformat()
            for _ in range(total * (offset + 1) // days - total * offset // days):
                rep = number % len(reps)
                number += 1
                amount = Decimal(round(rng.lognormvariate(scales[rep], 0.8) * 100)) / 100
                yield (
                    tenant.pk,
                    reps[rep],
                    accounts[number % len(accounts)],
                    str(amount),
                    closed_on,
                    f"QBENCH-S{number:09d}",
                    Sale.Source.IMPORT.value,
                    1,
                    now,
                    now,
                )

    chunk: list[tuple] = []
    for row in rows():
        chunk.append(row)
        if len(chunk) == SALES_CHUNK:
            _insert(Sale, SALE_COLUMNS, chunk)
            chunk = []
    _insert(Sale, SALE_COLUMNS, chunk)
    return total


def _insert(model, columns, rows: list[tuple]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        copy_rows(model, columns, rows)
        return
    quote = connection.ops.quote_name
    # One transaction per chunk: outside one, SQLite commits (and syncs) every row.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
            rows,
        )


# --- The jobs and their floors ------------------------------------------------------------


def bench_rolldown(bench: BenchOrg) -> JobResult:
    """Every quota rolled down again, vs DELETE + bulk insert of the same target rows."""
    tenant = bench.tenant
    rows = [
        (tenant_id, quota_id, granularity, start.isoformat(), end.isoformat(), str(amount))
        for tenant_id, quota_id, granularity, start, end, amount in QuotaTarget.objects.filter(
            tenant=tenant
        )
        .order_by("quota_id", "granularity", "start")
        .values_list(*TARGET_COLUMNS)
    ]
    table = connection.ops.quote_name(QuotaTarget._meta.db_table)

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
        insert_targets(rows)

    def job():
        return quotas_roll_down(tenant=tenant)

    warm_up(floor)
    tidy(QuotaTarget, Quota)
    floor_measure, _ = measure(floor)
    tidy(QuotaTarget, Quota)
    job_measure, result = measure(job)
    floor_name = (
        "DELETE + COPY via staging"
        if connection.vendor == "postgresql"
        else "DELETE + executemany INSERT"
    )
    return JobResult(
        name="quota rolldown",
        floor_name=floor_name,
        job=job_measure,
        floor=floor_measure,
        outcome=f"{result.quotas:,} quotas, {result.daily_rows:,} daily and "
        f"{result.weekly_rows:,} weekly targets ({len(rows):,} rows)",
    )


def _attainment_floor_sql() -> tuple[str, str]:
    quote = connection.ops.quote_name
    attainment = quote(Attainment._meta.db_table)
    snapshot = quote(AttainmentSnapshot._meta.db_table)
    quota, sale, target = (
        quote(Quota._meta.db_table),
        quote(Sale._meta.db_table),
        quote(QuotaTarget._meta.db_table),
    )
    figures = ("achieved", "expected_to_date", "attainment_pct", "pace_pct", "projected")
    updates = ", ".join(f"{name} = excluded.{name}" for name in figures)
    upsert = f"""
        WITH achieved AS (
            SELECT member_id, SUM(amount) AS achieved FROM {sale}
            WHERE tenant_id = %(tenant)s AND closed_on >= %(month)s AND closed_on <= %(as_of)s
            GROUP BY member_id
        ), expected AS (
            SELECT t.quota_id, SUM(t.amount) AS expected
            FROM {target} t JOIN {quota} q ON q.id = t.quota_id
            WHERE t.tenant_id = %(tenant)s AND q.tenant_id = %(tenant)s
              AND q.month = %(month)s AND t.granularity = 'day' AND t.start <= %(as_of)s
            GROUP BY t.quota_id
        )
        INSERT INTO {attainment} (tenant_id, quota_id, as_of, {", ".join(figures)}, computed_at)
        SELECT q.tenant_id, q.id, %(as_of)s, COALESCE(a.achieved, 0), COALESCE(e.expected, 0),
               CASE WHEN q.effective_amount > 0
                    THEN ROUND(COALESCE(a.achieved, 0) * 100 / q.effective_amount, 2) END,
               CASE WHEN e.expected > 0
                    THEN ROUND(COALESCE(a.achieved, 0) * 100 / e.expected, 2) END,
               CASE WHEN e.expected > 0
                    THEN ROUND(q.effective_amount * COALESCE(a.achieved, 0) / e.expected, 2) END,
               %(now)s
        FROM {quota} q
        LEFT JOIN achieved a ON a.member_id = q.member_id
        LEFT JOIN expected e ON e.quota_id = q.id
        WHERE q.tenant_id = %(tenant)s AND q.month = %(month)s
        ON CONFLICT (tenant_id, quota_id) DO UPDATE SET as_of = excluded.as_of, {updates},
            computed_at = excluded.computed_at
    """
    snapshots = f"""
        INSERT INTO {snapshot} (tenant_id, quota_id, day, {", ".join(figures)})
        SELECT a.tenant_id, a.quota_id, a.as_of, {", ".join(f"a.{name}" for name in figures)}
        FROM {attainment} a JOIN {quota} q ON q.id = a.quota_id
        WHERE a.tenant_id = %(tenant)s AND q.tenant_id = %(tenant)s AND q.month = %(month)s
        ON CONFLICT (tenant_id, quota_id, day) DO UPDATE SET {updates}
    """
    return upsert, snapshots


def warm_up(work) -> None:
    """Run ``work`` once, undone, so the rows both the job and its floor read are in the
    database's cache for both (whichever is measured first would otherwise pay for it)."""
    with rolled_back():
        work()


def tidy(*models) -> None:
    """PostgreSQL: VACUUM ANALYZE the tables a job and its floor write, before each is
    measured, so neither pays for the dead rows the other's rolled-back run left behind,
    and the planner knows the rows the build loaded (autovacuum would, given time)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # VACUUM runs outside a transaction only (not in the test suite's).
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def bench_attainment(bench: BenchOrg, *, as_of: dt.date) -> JobResult:
    """A month's attainment as of its 15th, vs one INSERT … SELECT aggregate (and its copy
    to the snapshots) writing the same rows."""
    tenant = bench.tenant
    month = as_of.replace(day=1)
    upsert, snapshots = _attainment_floor_sql()
    params = {"tenant": tenant.pk, "month": month, "as_of": as_of, "now": timezone.now()}
    in_month = Sale.objects.filter(tenant=tenant, closed_on__gte=month, closed_on__lte=as_of)
    sales_to_date = in_month.count()

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(upsert, params)
            cursor.execute(snapshots, params)

    def job():
        return attainment_compute(tenant=tenant, as_of=as_of)

    warm_up(floor)
    tidy(Attainment, AttainmentSnapshot)
    floor_measure, _ = measure(floor)
    tidy(Attainment, AttainmentSnapshot)
    job_measure, result = measure(job)
    return JobResult(
        name="attainment for a month",
        floor_name="INSERT … SELECT aggregate",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{result.quotas:,} quotas as of {as_of.isoformat()} over "
        f"{sales_to_date:,} sales of the month to date, {result.snapshots:,} snapshots",
    )
