"""Territories' part of ``spm_bench`` (registered in ``plugin.py``).

``prepare`` adds a territory tree, its rules and unassigned accounts to the bench
organisation the core built, and returns its jobs, each measured against a floor:
applying the assignment rules (vs one UPDATE), their dry run (vs one SELECT), the upload
of a CSV file as the web request handles it (checked as a whole and recorded, vs one
INSERT of the file), and the background import job as a worker runs it (the task's body,
its record already made) of as many new accounts (vs one bulk INSERT) and of a file that
updates every existing account and places it (vs one UPDATE per chunk of the same rows).
Its sizes are its own options: ``--accounts`` and ``--territories``.
"""

import math
import random
from decimal import Decimal

from django.db import connection

from spm.demo.bench import BUILD_BATCH, BenchOrg, BenchPlan, JobResult, measure
from spm.plugins import BenchOption
from spm.tenancy.models import Tenant
from spm.web.exports import csv_lines

from . import account_imports, csv_io, services
from .models import (
    Account,
    AccountAssignment,
    AccountImport,
    AssignmentRule,
    RuleField,
    RuleOperator,
    Territory,
    TerritoryMember,
    TerritoryRole,
)

OPTIONS = (
    BenchOption(
        name="accounts",
        default=50_000,
        help="Accounts to place with the rules, and to import from CSV.",
        maximum=csv_io.MAX_ROWS,
        maximum_reason="the CSV import's limit",
    ),
    BenchOption(
        name="territories",
        default=200,
        help="Territories, regions included (one region per 25).",
        minimum=2,
        minimum_reason="a region and a territory",
    ),
)

FOREIGN_COUNTRIES = ["GB", "DE", "FR", "NL", "CA", "AU", "JP", "BR", "ES", "IT", "SE", "PL"]
INDUSTRIES = [
    "Software", "Manufacturing", "Healthcare", "Retail", "Financial Services",
    "Logistics", "Education", "Energy",
]  # fmt: skip
STRATEGIC_FLOOR = Decimal("1000000")
SEED = 7  # Fixed, so every run builds the same accounts.


def prepare(bench: BenchOrg) -> BenchPlan:
    """Build the territories, rules and accounts of the bench organisation; return the jobs."""
    accounts = bench.sizes.option("accounts")
    leaves, rules = build_territories(bench, territories=bench.sizes.option("territories"))
    build_accounts(bench.tenant, count=accounts)
    return BenchPlan(
        built=(
            f"{accounts:,} accounts, {bench.sizes.option('territories'):,} territories "
            f"({rules:,} rules)"
        ),
        jobs=[
            ("apply assignment rules", lambda: bench_apply_rules(bench)),
            ("rules dry run", lambda: bench_rules_dry_run(bench)),
            ("CSV upload", lambda: bench_csv_upload(bench, leaves=leaves)),
            ("CSV import", lambda: bench_csv_import(bench, leaves=leaves, rows=accounts)),
            ("CSV import, updates", lambda: bench_csv_update(bench, leaves=leaves)),
        ],
    )


def clean_up(*, tenant: Tenant) -> None:
    """Delete the bench organisation's territory data, the big tables first, in bulk."""
    for model in (AccountImport, AccountAssignment, AssignmentRule, TerritoryMember, Account):
        model.objects.filter(tenant=tenant).delete()
    Territory.objects.filter(tenant=tenant).update(parent=None)  # The tree protects parents.
    Territory.objects.filter(tenant=tenant).delete()


# --- Building -------------------------------------------------------------------------


def _zip_prefixes(count: int) -> list[list[str]]:
    """Split the 1,000 three-digit ZIP prefixes into ``count`` contiguous groups."""
    groups: list[list[str]] = [[] for _ in range(count)]
    for prefix in range(1000):
        groups[prefix * count // 1000].append(f"{prefix:03d}")
    return groups


def build_territories(bench: BenchOrg, *, territories: int) -> tuple[list[Territory], int]:
    """A territory tree with its reps and rules; returns the leaves and the rule count.

    Leaf territories are placed by ZIP-prefix rules (``starts_with``), a tenth of them
    by country (``in``), and the first by ``annual_potential`` ≥ 1,000,000 at a better
    priority (strategic accounts). The last ZIP territory also claims the first one's
    first prefix, so a few accounts are conflicts, as in real data. Each territory has
    an owner; every other rep is an overlay somewhere.
    """
    tenant = bench.tenant
    region_count = max(1, territories // 25)
    leaf_count = max(1, territories - region_count)
    regions = [
        Territory.objects.create(tenant=tenant, name=f"Region {n + 1}") for n in range(region_count)
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

    TerritoryMember.objects.bulk_create(
        [
            TerritoryMember(
                tenant=tenant,
                territory=leaves[n % leaf_count],
                member=rep,
                role=TerritoryRole.OWNER if n < leaf_count else TerritoryRole.OVERLAY,
                start_date=bench.start,
            )
            for n, rep in enumerate(bench.reps)
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
    return leaves, len(rules)


def build_accounts(tenant: Tenant, *, count: int) -> None:
    """``count`` unassigned accounts, 80% in the US, log-normal potential."""
    rng = random.Random(SEED)
    Account.objects.bulk_create(
        [_account(tenant, rng, f"BENCH-{n:07d}") for n in range(1, count + 1)],
        batch_size=BUILD_BATCH,
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


# --- The jobs and their floors ------------------------------------------------


def _account_table() -> str:
    return connection.ops.quote_name(Account._meta.db_table)


def bench_apply_rules(bench: BenchOrg) -> JobResult:
    """Rules applied to every account, vs one UPDATE setting the same territories."""
    tenant = bench.tenant
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


def bench_rules_dry_run(bench: BenchOrg) -> JobResult:
    """The preview of the rules, vs one SELECT of the columns it reads."""
    tenant = bench.tenant
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


def _import_file(accounts: list[Account], territory_names: dict[int, str]) -> bytes:
    """The CSV file an admin would import for ``accounts``, in the import's format."""
    return "".join(
        csv_lines(
            csv_io.COLUMNS,
            (
                [
                    a.external_id, a.name, a.industry, a.country, a.region, a.postal_code,
                    a.annual_potential, territory_names.get(a.territory_id, ""),
                ]
                for a in accounts
            ),
        )
    ).encode()  # fmt: skip


class ImportJob:
    """An import of ``data`` as a worker runs it: ``record`` makes the upload's record
    (untimed: the web request did it), ``run`` is the task's body."""

    def __init__(self, bench: BenchOrg, data: bytes):
        self.bench, self.data, self.job_id = bench, data, 0
        self.rows = csv_io.accounts_file_check(data)

    def record(self) -> None:
        self.job_id = services.account_import_create(
            tenant=self.bench.tenant,
            actor=self.bench.actor,
            file_name="bench.csv",
            data=self.data,
            rows_total=self.rows,
            run_later=False,
        ).pk

    def run(self) -> AccountImport:
        status = account_imports.account_import_run(tenant=self.bench.tenant, import_id=self.job_id)
        job = AccountImport.objects.defer("content").get(pk=self.job_id)
        if status != AccountImport.Status.DONE:
            raise RuntimeError(f"The bench import did not finish: {job.failure or job.errors[:3]}")
        return job


def _update_file(bench: BenchOrg, leaves: list[Territory], seed: int) -> tuple[bytes, list]:
    """A file that changes every existing account (name, potential) and places it in a
    territory, and the changed accounts themselves."""
    rng = random.Random(seed)
    existing = list(Account.objects.filter(tenant=bench.tenant).order_by("pk"))
    for n, account in enumerate(existing):
        account.name = f"{account.name} (renamed)"
        account.annual_potential = Decimal(rng.randrange(20_000, 2_000_000))
        account.territory_id = leaves[n % len(leaves)].pk
    return _import_file(existing, {t.pk: t.name for t in leaves}), existing


def bench_csv_upload(bench: BenchOrg, *, leaves: list[Territory], seed: int = 13) -> JobResult:
    """What the web request does with an upload of a file naming every account: check it
    as a whole and record it (the import itself runs in the background), vs one INSERT
    of the same bytes."""
    tenant = bench.tenant
    data, _ = _update_file(bench, leaves, seed)

    def floor() -> None:
        AccountImport.objects.create(
            tenant=tenant, file_name="bench.csv", file_size=len(data), content=data, rows_total=0
        )

    def job() -> AccountImport:
        rows = csv_io.accounts_file_check(data)
        return services.account_import_create(
            tenant=tenant,
            actor=bench.actor,
            file_name="bench.csv",
            data=data,
            rows_total=rows,
            run_later=True,
        )

    floor_measure, _ = measure(floor)
    job_measure, recorded = measure(job)
    return JobResult(
        name="CSV upload",
        floor_name="INSERT of the file",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{recorded.rows_total:,} rows ({len(data) / 1_048_576:.1f} MB) checked "
        "and recorded for a worker",
    )


def bench_csv_import(
    bench: BenchOrg, *, leaves: list[Territory], rows: int, seed: int = 11
) -> JobResult:
    """Importing ``rows`` new accounts from CSV, vs one bulk INSERT of the same rows."""
    tenant = bench.tenant
    rng = random.Random(seed)
    accounts = [_account(tenant, rng, f"CSV-{n:07d}") for n in range(1, rows + 1)]
    for n, account in enumerate(accounts):
        account.territory = leaves[n % len(leaves)]
    names = {territory.pk: territory.name for territory in leaves}
    data = _import_file(accounts, names)

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

    importing = ImportJob(bench, data)
    floor_measure, _ = measure(floor)
    job_measure, imported = measure(importing.run, setup=importing.record)
    return JobResult(
        name="CSV import",
        floor_name="bulk_create of the same rows",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{imported.accounts_created:,} accounts created, "
        f"{imported.accounts_moved:,} placed",
    )


def bench_csv_update(bench: BenchOrg, *, leaves: list[Territory], seed: int = 13) -> JobResult:
    """Importing a file that changes every existing account (name, potential) and places
    it in a territory, vs updating the same rows with one UPDATE … FROM VALUES per chunk
    (Django's ``bulk_update`` on SQLite)."""
    tenant = bench.tenant
    data, rows = _update_file(bench, leaves, seed)

    def floor() -> None:
        services.accounts_write_changes(
            tenant=tenant, accounts=rows, fields=["name", "annual_potential", "territory"]
        )

    importing = ImportJob(bench, data)
    floor_measure, _ = measure(floor)
    job_measure, imported = measure(importing.run, setup=importing.record)
    return JobResult(
        name="CSV import, updates",
        floor_name="UPDATE … FROM VALUES of the same rows",
        job=job_measure,
        floor=floor_measure,
        outcome=f"{imported.accounts_updated:,} accounts updated, "
        f"{imported.accounts_moved:,} moved",
    )
