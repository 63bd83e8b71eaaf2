"""``spm_bench``: how far each bulk job is from the fastest the database could do it.

The bench builds a synthetic organisation in the current database, then runs every
job twice over the same data: once as the product does it (through the services),
once as a *floor*, the least work the database needs for the same effect (one
UPDATE, one SELECT, one bulk INSERT). The ratio job ÷ floor, measured in the same
run on the same database, says how much the product's extra work (validation,
history, notifications, audit) costs, independently of the machine.

This module is the harness and knows no domain app. It builds the organisation's
people (an admin and ``--reps`` reps), then hands it to every suite registered in
``spm.plugins.bench_suites``: each adds its app's data (its ``prepare``) and returns the
jobs to measure with ``measure`` as ``JobResult``\\ s. The harness runs them all, prints
the report and deletes the organisation (each suite's ``clean_up`` first).

Every measurement runs inside a transaction that is rolled back, so each job and
its floor start from exactly the same rows, and nothing a job schedules on commit
(notification emails) ever leaves the bench. Peak memory is measured in a second,
untimed run under ``tracemalloc``, which would otherwise slow the timed run down.
"""

import datetime as dt
import math
import secrets
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.urls import URLResolver, get_resolver

from spm import plugins
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant

User = get_user_model()

SLUG_PREFIX = "spm-bench-"
EMAIL_DOMAIN = "bench.invalid"  # A reserved domain: nothing is ever delivered there.
# Rows per INSERT while building the synthetic tenant: 2,000 rows × ~10 columns stays
# far below every backend's parameter limit while keeping round trips few.
BUILD_BATCH = 2_000


@dataclass(frozen=True)
class BenchSizes:
    """How big the synthetic organisation is.

    The core owns only the sizes every suite shares: the people (``reps``) and the span
    of time (``months``, for suites with monthly jobs). What an app builds (accounts,
    territories, later sales) is the app's business, so each suite declares its own
    sizes as ``spm.plugins.BenchOption``\\ s; ``spm_bench`` offers them as flags
    (``--<name>``) and their values arrive in ``options``, read with ``option(name)``.
    Keeping them out of this class means a new app adds a size without editing the core,
    and the core never names what an app counts.
    """

    reps: int = 2_000
    months: int = 12
    options: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def option(self, name: str) -> int:
        """The value of a suite's option: as given, or the default its suite declares."""
        if name in self.options:
            return self.options[name]
        for option in bench_options():
            if option.name == name:
                return option.default
        raise KeyError(f"No bench suite declares the option “{name}”.")


def bench_options() -> list[plugins.BenchOption]:
    """Every option the registered suites declare, in suite order."""
    return [option for suite in plugins.bench_suites for option in suite.options]


@dataclass
class BenchOrg:
    """The synthetic organisation as the suites receive it: its people, already built."""

    tenant: Tenant
    actor: object  # The admin's user: the actor of every service a job calls.
    admin: Membership
    reps: list[Membership]
    start: dt.date  # Everyone's first day: 1 January of this year.
    sizes: BenchSizes


@dataclass
class Measure:
    seconds: float
    queries: int | None  # None: run by another process (a server), not counted here.
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
class BenchPlan:
    """What a suite's ``prepare`` returns.

    ``built`` says what it added, for the report's first line ("2,000 accounts, 40
    territories (40 rules)"); ``jobs`` are ``(name, run)`` pairs, ``run()`` returning the
    job's ``JobResult``; ``uses_months`` says whether the suite reads ``sizes.months``.
    """

    built: str
    jobs: list[tuple[str, Callable[[], JobResult]]]
    uses_months: bool = False


@dataclass
class BenchReport:
    sizes: BenchSizes
    database: str
    build_seconds: float
    built: list[str] = field(default_factory=list)  # One phrase per suite.
    uses_months: bool = False
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


def measure(
    work: Callable[[], object],
    *,
    memory: bool = True,
    setup: Callable[[], object] | None = None,
) -> tuple[Measure, object]:
    """Time ``work`` and count its queries; then run it again untimed for peak memory.

    ``setup``, if given, runs first in the same rolled-back transaction, untimed and
    uncounted: what the job needs that is not the job (a background job's record).
    """
    with rolled_back():
        if setup is not None:
            setup()
        with counting_queries() as count:
            started = time.perf_counter()
            outcome = work()
            seconds = time.perf_counter() - started
    result = Measure(seconds=seconds, queries=count[0])
    if memory:
        with rolled_back():
            if setup is not None:
                setup()
            tracemalloc.start()
            try:
                work()
                result.peak_bytes = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    return result, outcome


# --- Building and deleting the synthetic organisation --------------------------------


def build_bench_org(sizes: BenchSizes) -> BenchOrg:
    """A synthetic organisation with its admin and ``sizes.reps`` reps, nothing else yet.

    The users have unusable passwords and addresses at a reserved domain, so nobody can
    log in as them and nothing sent to them is ever delivered.
    """
    token = secrets.token_hex(4)
    slug = f"{SLUG_PREFIX}{token}"
    tenant = Tenant.objects.create(name=f"Bench {token}", slug=slug, timezone="UTC")
    unusable = make_password(None)
    admin_user = User.objects.create(
        email=f"admin@{slug}.{EMAIL_DOMAIN}", name="Bench Admin", password=unusable
    )
    start = tenant.today().replace(month=1, day=1)
    with tenant_context(tenant):
        admin = Membership.objects.create(
            tenant=tenant, user=admin_user, role=Role.ADMIN, start_date=start
        )
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
    return BenchOrg(
        tenant=tenant, actor=admin_user, admin=admin, reps=reps, start=start, sizes=sizes
    )


def delete_bench_tenant(tenant: Tenant) -> None:
    """Remove the synthetic organisation and its people; the big tables first, in bulk.

    Each suite deletes its app's rows (the later layers first, since they point at the
    earlier ones); the tenant's deletion then cascades to what is left.
    """
    with transaction.atomic(), tenant_context(tenant):
        Notification.objects.filter(tenant=tenant).delete()
        for suite in reversed(list(plugins.bench_suites)):
            if suite.clean_up is not None:
                suite.clean_up(tenant=tenant)
        tenant.delete()  # Everything else that belongs to it, by cascade.
        User.objects.filter(email__endswith=f"@{tenant.slug}.{EMAIL_DOMAIN}").delete()


def leftover_bench_tenants() -> list[str]:
    return list(Tenant.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True))


# --- Running every suite ------------------------------------------------------------


def _sizes_phrase(sizes: BenchSizes) -> str:
    """ "2,000 accounts, 40 territories, 50 reps": the suites' sizes, then the core's."""
    counts = [f"{sizes.option(option.name):,} {option.name}" for option in bench_options()]
    return ", ".join([*counts, f"{sizes.reps:,} reps"])


def run_bench(sizes: BenchSizes, *, keep: bool = False, log=lambda line: None) -> BenchReport:
    """Build the synthetic organisation, let every registered suite add its data and
    jobs, measure every job, and clean up (unless ``keep``)."""
    log(f"Building a synthetic organisation: {_sizes_phrase(sizes)}…")
    _warm_up()
    started = time.perf_counter()
    bench = build_bench_org(sizes)
    report = BenchReport(sizes=sizes, database=database_description(), build_seconds=0.0)
    try:
        jobs: list[tuple[str, Callable[[], JobResult]]] = []
        with tenant_context(bench.tenant):
            for suite in plugins.bench_suites:
                plan = suite.prepare(bench)
                report.built.append(plan.built)
                report.uses_months = report.uses_months or plan.uses_months
                jobs.extend(plan.jobs)
        report.build_seconds = time.perf_counter() - started
        for name, run in jobs:
            log(f"Measuring {name}…")
            with tenant_context(bench.tenant):
                report.results.append(run())
    finally:
        if keep:
            report.kept_slug = bench.tenant.slug
        else:
            delete_bench_tenant(bench.tenant)
    return report


def _warm_up() -> None:
    """Pay one-off costs before measuring: the first ``reverse()`` (notification links)
    loads every URLconf and view module, which belongs to no job."""

    def populate(resolver: URLResolver) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                populate(pattern)
        resolver.reverse_dict  # noqa: B018 - reading it builds the resolver's reverse map.

    populate(get_resolver())


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
    built = ", ".join([*filter(None, report.built), f"{sizes.reps:,} reps"])
    months = "" if report.uses_months else f" (no suite uses --months {sizes.months} yet)"
    lines = [
        f"SPM bench on {report.database}: {built}.",
        f"Synthetic organisation built in {_seconds(report.build_seconds)}{months}.",
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
            "–" if r.job.queries is None else f"{r.job.queries:,}",
            "–" if r.job.queries is None else _megabytes(r.job.peak_bytes),
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
        queries = result.floor.queries
        if queries is None:
            lines.append(f"  {result.name}: {result.outcome}.")
            continue
        lines.append(
            f"  {result.name}: {result.outcome}; floor: {queries} "
            f"quer{'y' if queries == 1 else 'ies'}, "
            f"peak {_megabytes(result.floor.peak_bytes)}."
        )
    if report.kept_slug:
        lines.append(f"Kept the synthetic organisation “{report.kept_slug}” (--keep).")
    else:
        lines.append("The synthetic organisation was deleted.")
    return lines
