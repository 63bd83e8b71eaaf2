"""``spm_bench``: how far each bulk job is from the fastest the database could do it.

The bench builds a synthetic organisation in the current database, then runs every
job twice over the same data: once as the product does it (through the services),
once as a *floor*, the least work the database needs for the same effect (one
UPDATE, one SELECT, one bulk INSERT). The ratio job ÷ floor, measured in the same
run on the same database, says how much the product's extra work (validation,
history, notifications, audit) costs, independently of the machine.

Every measurement runs inside a transaction that is rolled back, so each job and
its floor start from exactly the same rows, and nothing a job schedules on commit
(notification emails) ever leaves the bench. Peak memory is measured in a second,
untimed run under ``tracemalloc``, which would otherwise slow the timed run down.
"""

import csv
import io
import math
import random
import secrets
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.urls import reverse

from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant
from territories import csv_io, services
from territories.models import (
    Account,
    AccountAssignment,
    AssignmentRule,
    RuleField,
    RuleOperator,
    Territory,
    TerritoryMember,
    TerritoryRole,
)

User = get_user_model()

SLUG_PREFIX = "spm-bench-"
EMAIL_DOMAIN = "bench.invalid"  # A reserved domain: nothing is ever delivered there.
# Rows per INSERT while building the synthetic tenant: 2,000 rows × ~10 columns stays
# far below every backend's parameter limit while keeping round trips few.
BUILD_BATCH = 2_000
FOREIGN_COUNTRIES = ["GB", "DE", "FR", "NL", "CA", "AU", "JP", "BR", "ES", "IT", "SE", "PL"]
INDUSTRIES = [
    "Software", "Manufacturing", "Healthcare", "Retail", "Financial Services",
    "Logistics", "Education", "Energy",
]  # fmt: skip
STRATEGIC_FLOOR = Decimal("1000000")


@dataclass(frozen=True)
class BenchSizes:
    accounts: int = 50_000
    territories: int = 200
    reps: int = 2_000
    months: int = 12  # For quota jobs, once quotas exist.


@dataclass
class BenchTenant:
    tenant: Tenant
    actor: object
    leaves: list[Territory]
    rules: int
    build_seconds: float


@dataclass
class Measure:
    seconds: float
    queries: int
    peak_bytes: int = 0


@dataclass
class JobResult:
    name: str
    floor_name: str
    job: Measure
    floor: Measure
    outcome: str = ""

    @property
    def ratio(self) -> float:
        return self.job.seconds / self.floor.seconds if self.floor.seconds else math.inf


@dataclass
class BenchReport:
    sizes: BenchSizes
    database: str
    build_seconds: float
    rules: int
    results: list[JobResult] = field(default_factory=list)
    kept_slug: str | None = None


# --- Measuring ----------------------------------------------------------------


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction and undo it, discarding any on-commit callbacks."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    count = [0]

    def wrapper(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def measure(work: Callable[[], object], *, memory: bool = True) -> tuple[Measure, object]:
    """Time ``work`` and count its queries; then run it again untimed for peak memory."""
    with rolled_back(), counting_queries() as count:
        started = time.perf_counter()
        outcome = work()
        seconds = time.perf_counter() - started
    result = Measure(seconds=seconds, queries=count[0])
    if memory:
        with rolled_back():
            tracemalloc.start()
            try:
                work()
                result.peak_bytes = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    return result, outcome


# --- Building the synthetic organisation ------------------------------------------------


def _zip_prefixes(count: int) -> list[list[str]]:
    """Split the 1,000 three-digit ZIP prefixes into ``count`` contiguous groups."""
    groups: list[list[str]] = [[] for _ in range(count)]
    for prefix in range(1000):
        groups[prefix * count // 1000].append(f"{prefix:03d}")
    return groups


def build_bench_tenant(sizes: BenchSizes, *, seed: int = 7) -> BenchTenant:
    """A synthetic organisation: reps, a territory tree with rules, unassigned accounts.

    Leaf territories are placed by ZIP-prefix rules (``starts_with``), a tenth of them
    by country (``in``), and the first by ``annual_potential`` ≥ 1,000,000 at a better
    priority (strategic accounts). The last ZIP territory also claims the first one's
    first prefix, so a few accounts are conflicts, as in real data.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    token = secrets.token_hex(4)
    slug = f"{SLUG_PREFIX}{token}"
    tenant = Tenant.objects.create(name=f"Bench {token}", slug=slug, timezone="UTC")
    unusable = make_password(None)
    admin_user = User.objects.create(
        email=f"admin@{slug}.{EMAIL_DOMAIN}", name="Bench Admin", password=unusable
    )
    start = tenant.today().replace(month=1, day=1)
    with tenant_context(tenant):
        Membership.objects.create(tenant=tenant, user=admin_user, role=Role.ADMIN, start_date=start)
        # Both backends return primary keys from bulk inserts, so the objects are usable.
        users = User.objects.bulk_create(
            [
                User(email=f"rep{n}@{slug}.{EMAIL_DOMAIN}", name=f"Rep {n}", password=unusable)
                for n in range(1, sizes.reps + 1)
            ],
            batch_size=BUILD_BATCH,
        )
        reps = Membership.objects.bulk_create(
            [
                Membership(tenant=tenant, user=user, role=Role.REP, start_date=start)
                for user in users
            ],
            batch_size=BUILD_BATCH,
        )

        region_count = max(1, sizes.territories // 25)
        leaf_count = max(1, sizes.territories - region_count)
        regions = [
            Territory.objects.create(tenant=tenant, name=f"Region {n + 1}")
            for n in range(region_count)
        ]
        Territory.objects.bulk_create(
            [
                Territory(
                    tenant=tenant, name=f"Territory {n + 1:04d}", parent=regions[n % region_count]
                )
                for n in range(leaf_count)
            ],
            batch_size=BUILD_BATCH,
        )
        leaves = list(Territory.objects.filter(tenant=tenant, parent__isnull=False).order_by("pk"))

        # One owner per territory, every other rep an overlay somewhere.
        TerritoryMember.objects.bulk_create(
            [
                TerritoryMember(
                    tenant=tenant,
                    territory=leaves[n % leaf_count],
                    member=rep,
                    role=TerritoryRole.OWNER if n < leaf_count else TerritoryRole.OVERLAY,
                    start_date=start,
                )
                for n, rep in enumerate(reps)
            ],
            batch_size=BUILD_BATCH,
        )

        country_leaves = leaves[: max(1, leaf_count // 10)] if leaf_count > 1 else []
        zip_leaves = leaves[len(country_leaves) :]
        rules: list[AssignmentRule] = []
        for n, territory in enumerate(country_leaves):
            countries = FOREIGN_COUNTRIES[n :: len(country_leaves)]
            if countries:
                rules.append(
                    AssignmentRule(
                        tenant=tenant,
                        territory=territory,
                        field=RuleField.COUNTRY,
                        operator=RuleOperator.IN,
                        value=", ".join(countries),
                    )
                )
        groups = _zip_prefixes(len(zip_leaves))
        if len(zip_leaves) > 1:
            groups[-1] = [*groups[-1], groups[0][0]]  # The deliberate overlap.
        for territory, prefixes in zip(zip_leaves, groups, strict=True):
            rules.append(
                AssignmentRule(
                    tenant=tenant,
                    territory=territory,
                    field=RuleField.POSTAL_CODE,
                    operator=RuleOperator.STARTS_WITH,
                    value=", ".join(prefixes),
                )
            )
        rules.append(
            AssignmentRule(
                tenant=tenant,
                territory=leaves[0],
                field=RuleField.ANNUAL_POTENTIAL,
                operator=RuleOperator.GTE,
                value=str(STRATEGIC_FLOOR),
                priority=50,
            )
        )
        AssignmentRule.objects.bulk_create(rules, batch_size=BUILD_BATCH)

        Account.objects.bulk_create(
            [_account(tenant, rng, f"BENCH-{n:07d}") for n in range(1, sizes.accounts + 1)],
            batch_size=BUILD_BATCH,
        )
    return BenchTenant(
        tenant=tenant,
        actor=admin_user,
        leaves=leaves,
        rules=len(rules),
        build_seconds=time.perf_counter() - started,
    )


def _account(tenant: Tenant, rng: random.Random, external_id: str) -> Account:
    domestic = rng.random() < 0.8
    country = "US" if domestic else rng.choice(FOREIGN_COUNTRIES)
    potential = min(max(rng.lognormvariate(math.log(150_000), 0.9), 20_000), 2_000_000)
    return Account(
        tenant=tenant,
        name=f"Company {external_id}",
        external_id=external_id,
        industry=rng.choice(INDUSTRIES),
        country=country,
        region="",
        # Foreign postal codes carry their country, so ZIP-prefix rules never match them.
        postal_code=f"{rng.randint(0, 99_999):05d}"
        if domestic
        else f"{country}-{rng.randint(1000, 9999)}",
        annual_potential=Decimal(round(potential / 100) * 100),
    )


def delete_bench_tenant(tenant: Tenant) -> None:
    """Remove the synthetic organisation and its people; the big tables first, in bulk."""
    with transaction.atomic(), tenant_context(tenant):
        for model in (Notification, AccountAssignment, AssignmentRule, TerritoryMember, Account):
            model.objects.filter(tenant=tenant).delete()
        Territory.objects.filter(tenant=tenant).update(parent=None)  # The tree protects parents.
        Territory.objects.filter(tenant=tenant).delete()
        tenant.delete()  # Everything else that belongs to it, by cascade.
        User.objects.filter(email__endswith=f"@{tenant.slug}.{EMAIL_DOMAIN}").delete()


def leftover_bench_tenants() -> list[str]:
    return list(Tenant.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True))


# --- The jobs and their floors ------------------------------------------------


def _account_table() -> str:
    return connection.ops.quote_name(Account._meta.db_table)


def bench_apply_rules(bench: BenchTenant) -> JobResult:
    """Rules applied to every account, vs one UPDATE setting the same territories."""
    tenant = bench.tenant
    with tenant_context(tenant):
        plan = services.assignment_rules_preview(tenant=tenant)
        values = ",".join(f"({int(a)},{int(t)})" for a, _, t in plan.moves) or "(0,0)"
        table = _account_table()
        # The ids are integers we just read, formatted as literals: no parameter limit.
        sql = (
            f"WITH moves(id, territory_id) AS (VALUES {values}) "
            f"UPDATE {table} SET territory_id = moves.territory_id "
            f"FROM moves WHERE {table}.id = moves.id"
        )

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

        def job():
            return services.assignment_rules_apply(tenant=tenant, actor=bench.actor)

        floor_measure, _ = measure(floor)
        job_measure, applied = measure(job)
    return JobResult(
        name="apply assignment rules",
        floor_name="one UPDATE … FROM (VALUES …)",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{len(applied.moves):,} moved, {len(applied.conflicts):,} conflicts, "
        f"{applied.unmatched:,} unmatched",
    )


def bench_rules_dry_run(bench: BenchTenant) -> JobResult:
    """The preview of the rules, vs one SELECT of the columns it reads."""
    tenant = bench.tenant
    with tenant_context(tenant):
        sql = (
            "SELECT id, territory_id, country, region, postal_code, industry, annual_potential "
            f"FROM {_account_table()} WHERE tenant_id = %s ORDER BY id"
        )

        def floor() -> int:
            with connection.cursor() as cursor:
                cursor.execute(sql, [tenant.pk])
                return len(cursor.fetchall())

        def job():
            return services.assignment_rules_preview(tenant=tenant)

        floor_measure, _ = measure(floor)
        job_measure, plan = measure(job)
    return JobResult(
        name="rules dry run",
        floor_name="one SELECT of the same rows",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{plan.evaluated:,} accounts evaluated, {len(plan.moves):,} would move",
    )


def bench_csv_import(bench: BenchTenant, *, rows: int, seed: int = 11) -> JobResult:
    """Importing ``rows`` new accounts from CSV, vs one bulk INSERT of the same rows."""
    tenant = bench.tenant
    rng = random.Random(seed)
    accounts = [_account(tenant, rng, f"CSV-{n:07d}") for n in range(1, rows + 1)]
    for n, account in enumerate(accounts):
        account.territory = bench.leaves[n % len(bench.leaves)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_io.COLUMNS)
    for account in accounts:
        writer.writerow([
            account.external_id, account.name, account.industry, account.country,
            account.region, account.postal_code, f"{account.annual_potential:.2f}",
            account.territory.name,
        ])  # fmt: skip
    data = buffer.getvalue().encode()

    with tenant_context(tenant):

        def floor() -> None:
            fresh = [
                Account(
                    tenant=tenant,
                    name=a.name,
                    external_id=a.external_id,
                    industry=a.industry,
                    country=a.country,
                    region=a.region,
                    postal_code=a.postal_code,
                    annual_potential=a.annual_potential,
                    territory_id=a.territory.pk,
                )
                for a in accounts
            ]
            Account.objects.bulk_create(fresh)

        def job():
            return csv_io.accounts_import(tenant=tenant, actor=bench.actor, data=data)

        floor_measure, _ = measure(floor)
        job_measure, imported = measure(job)
    return JobResult(
        name="CSV import",
        floor_name="bulk_create of the same rows",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{imported.created:,} accounts created, {imported.moved:,} placed",
    )


def run_bench(sizes: BenchSizes, *, keep: bool = False, log=lambda line: None) -> BenchReport:
    """Build the synthetic organisation, measure every job, and clean up (unless ``keep``)."""
    log(
        f"Building a synthetic organisation: {sizes.accounts:,} accounts, "
        f"{sizes.territories:,} territories, {sizes.reps:,} reps…"
    )
    _warm_up()
    bench = build_bench_tenant(sizes)
    report = BenchReport(
        sizes=sizes,
        database=database_description(),
        build_seconds=bench.build_seconds,
        rules=bench.rules,
    )
    try:
        for name, run in (
            ("apply assignment rules", lambda: bench_apply_rules(bench)),
            ("rules dry run", lambda: bench_rules_dry_run(bench)),
            ("CSV import", lambda: bench_csv_import(bench, rows=sizes.accounts)),
        ):
            log(f"Measuring {name}…")
            report.results.append(run())
    finally:
        if keep:
            report.kept_slug = bench.tenant.slug
        else:
            delete_bench_tenant(bench.tenant)
    return report


def _warm_up() -> None:
    """Pay one-off costs before measuring: the first ``reverse()`` (notification links)
    imports every URLconf and view module, which belongs to no job."""
    reverse("territories:mine")


def database_description() -> str:
    vendor = connection.vendor
    if vendor == "postgresql":
        major, rest = divmod(connection.pg_version, 10000)
        return f"PostgreSQL {major}.{rest % 100}"
    if vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return vendor


# --- Output ----------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _megabytes(value: int) -> str:
    return f"{value / 1_048_576:.1f} MB"


def format_report(report: BenchReport) -> list[str]:
    sizes = report.sizes
    lines = [
        f"SPM bench on {report.database}: {sizes.accounts:,} accounts, "
        f"{sizes.territories:,} territories ({report.rules:,} rules), {sizes.reps:,} reps.",
        f"Synthetic organisation built in {_seconds(report.build_seconds)} "
        f"(--months {sizes.months} is for quota jobs, which do not exist yet).",
        "",
    ]
    header = ("job", "time", "floor", "floor time", "ratio", "queries", "peak memory")
    rows = [
        (
            r.name,
            _seconds(r.job.seconds),
            r.floor_name,
            _seconds(r.floor.seconds),
            f"{r.ratio:.1f}×",
            f"{r.job.queries:,}",
            _megabytes(r.job.peak_bytes),
        )
        for r in report.results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 3, 4, 5, 6}

    def line(cells) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    lines.append(line(header))
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(line(row) for row in rows)
    lines.append("")
    lines.append("ratio = job time ÷ floor time, both measured just now on this database.")
    for result in report.results:
        lines.append(
            f"  {result.name}: {result.outcome}; floor: {result.floor.queries} "
            f"quer{'y' if result.floor.queries == 1 else 'ies'}, "
            f"peak {_megabytes(result.floor.peak_bytes)}."
        )
    if report.kept_slug:
        lines.append(f"Kept the synthetic organisation “{report.kept_slug}” (--keep).")
    else:
        lines.append("The synthetic organisation was deleted.")
    return lines
