"""``spm_bench``: every job is timed against its floor, and the bench cleans up after itself.

The harness builds the people and runs every registered suite (``spm.plugins.bench_suites``);
territories' suite brings the accounts, territories and rules, and the first three jobs.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from quotas import bench as quotas_bench
from quotas.models import Attainment, AttainmentSnapshot, Quota, QuotaTarget, Sale
from spm import plugins
from spm.demo.bench import (
    EMAIL_DOMAIN,
    SLUG_PREFIX,
    BenchOrg,
    BenchPlan,
    JobResult,
    delete_bench_tenant,
    measure,
)
from spm.plugins import BenchOption, BenchSuite
from spm.tenancy.models import Membership, Tenant
from spm.users.models import User
from territories import bench as territories_bench
from territories.models import Account, AccountAssignment, AssignmentRule, Territory

from .territories.factories import AccountFactory, AssignmentRuleFactory

TINY = ["--accounts", "300", "--territories", "5", "--reps", "10"]
JOBS = [
    "apply assignment rules",
    "rules dry run",
    "CSV upload",
    "CSV import",
    "CSV import, updates",
]
DURATION = r"\d+(?:\.\d+)? (?:ms|s)"
ROW = re.compile(
    rf"^(?P<job>{'|'.join(JOBS)})\s+(?P<time>{DURATION})\s+(?P<floor>\S.*?)\s+"
    rf"(?P<floor_time>{DURATION})\s+(?P<ratio>\d+\.\d)×\s+(?P<queries>[\d,]+)\s+"
    rf"(?P<memory>\d+\.\d MB)$"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("spm_bench", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_it_reports_time_ratio_queries_and_memory_for_every_job_and_leaves_nothing_behind():
    users_before = User.objects.count()
    output = run(*TINY)
    rows = {m["job"]: m for m in map(ROW.match, output.splitlines()) if m}
    assert list(rows) == JOBS, output
    for row in rows.values():
        assert float(row["ratio"]) > 0
        assert int(row["queries"].replace(",", "")) >= 1
    assert "300 accounts" in output
    assert re.search(r"apply assignment rules: [\d,]+ moved, [\d,]+ conflicts", output)
    assert not Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    assert User.objects.count() == users_before
    assert not Account.all_tenants.exists()
    assert not Territory.all_tenants.exists()
    assert not AccountAssignment.all_tenants.exists()


@pytest.mark.django_db
def test_no_job_issues_a_query_per_account():
    output = run("--accounts", "3000", "--territories", "5", "--reps", "10")
    rows = {m["job"]: m for m in map(ROW.match, output.splitlines()) if m}
    # Statements come in chunks and batches (SQLite's are the smallest, ~90 rows per
    # INSERT); a query per account would be 3,000 or more.
    for job in JOBS:
        assert int(rows[job]["queries"].replace(",", "")) <= 150, job


@pytest.mark.django_db
def test_keep_leaves_the_synthetic_organisation_unchanged_by_the_jobs():
    output = run(*TINY, "--keep")
    tenant = Tenant.objects.get(slug__startswith=SLUG_PREFIX)
    try:
        assert f"Kept the synthetic organisation “{tenant.slug}”" in output
        # Every job was rolled back: the accounts are the 300 built, none placed.
        accounts = Account.all_tenants.filter(tenant=tenant)
        assert accounts.count() == 300
        assert not accounts.filter(territory__isnull=False).exists()
        assert User.objects.filter(email__endswith=f"@{tenant.slug}.{EMAIL_DOMAIN}").count() == 11
    finally:
        delete_bench_tenant(tenant)
    assert not Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    assert not User.objects.filter(email__endswith=EMAIL_DOMAIN).exists()


@pytest.mark.parametrize(
    "args",
    [["--accounts", "0"], ["--territories", "1"], ["--reps", "0"], ["--accounts", "100001"]],
)
def test_it_refuses_sizes_it_cannot_build(db, args):
    with pytest.raises(CommandError):
        run(*args)
    assert not Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exists()


# --- The harness and its suites ---------------------------------------------------


def test_territories_registers_its_suite_with_its_own_sizes():
    [suite] = [suite for suite in plugins.bench_suites if suite.app_label == "territories"]
    assert suite.prepare is territories_bench.prepare
    assert suite.clean_up is territories_bench.clean_up
    assert {option.name: option.default for option in suite.options} == {
        "accounts": 50_000,
        "territories": 200,
    }


@pytest.fixture
def fake_suite():
    """A suite registered for one test, with its own option, job and clean-up."""
    seen: dict = {"cleaned": []}

    def prepare(bench: BenchOrg) -> BenchPlan:
        seen["widgets"] = bench.sizes.option("widgets")
        seen["reps"] = len(bench.reps)
        # The suite runs inside the bench organisation's scope.
        seen["members"] = Membership.objects.filter(tenant=bench.tenant).count()

        def run() -> JobResult:
            def count() -> int:
                return Membership.objects.filter(tenant=bench.tenant).count()

            def floor() -> int:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    return cursor.fetchone()[0]

            floor_measure, _ = measure(floor)
            job_measure, members = measure(count)
            return JobResult(
                name="count widgets",
                floor_name="SELECT 1",
                job=job_measure,
                floor=floor_measure,
                outcome=f"{members} members counted",
            )

        return BenchPlan(built=f"{seen['widgets']} widgets", jobs=[("count widgets", run)])

    def clean_up(*, tenant: Tenant) -> None:
        seen["cleaned"].append(tenant.slug)

    suite = plugins.bench_suites.register(
        BenchSuite(
            "fake",
            prepare,
            options=(BenchOption("widgets", default=3, help="Widgets.", maximum=9),),
            clean_up=clean_up,
        )
    )
    try:
        yield seen
    finally:
        plugins.bench_suites.unregister(suite)


@pytest.mark.django_db
def test_the_harness_runs_every_registered_suite_with_its_options_and_cleans_it_up(fake_suite):
    output = run(*TINY, "--widgets", "7")
    assert fake_suite["widgets"] == 7
    assert fake_suite["reps"] == 10
    assert fake_suite["members"] == 11
    assert "300 accounts, 5 territories (" in output
    # After the sizes of the registered suites (territories', quotas', activities').
    assert re.search(r"sales, [^.]*7 widgets, 10 reps\.", output), output
    rows = {m["job"]: m for m in map(ROW.match, output.splitlines()) if m}
    assert list(rows) == JOBS, output  # Territories' jobs are still all there…
    fake_row = re.search(rf"^count widgets\s+{DURATION}\s+SELECT 1\s+{DURATION}\s+", output, re.M)
    assert fake_row, output  # …followed by the fake suite's.
    assert "count widgets: 11 members counted" in output
    [slug] = fake_suite["cleaned"]
    assert slug.startswith(SLUG_PREFIX)
    assert not Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exists()


@pytest.mark.django_db
def test_a_suites_option_has_its_default_and_its_limits(fake_suite):
    run(*TINY)
    assert fake_suite["widgets"] == 3
    with pytest.raises(CommandError, match="--widgets is at most 9"):
        run(*TINY, "--widgets", "10")
    with pytest.raises(CommandError, match="--widgets must be at least 1"):
        run(*TINY, "--widgets", "0")


@pytest.mark.django_db
def test_clean_up_removes_the_territory_data_of_a_kept_organisation_only(org):
    """Deleting a kept bench organisation never touches another organisation's rows."""
    AccountFactory(tenant=org.tenant)
    AssignmentRuleFactory(territory__tenant=org.tenant)
    run(*TINY, "--keep")
    tenant = Tenant.objects.get(slug__startswith=SLUG_PREFIX)
    delete_bench_tenant(tenant)
    assert Account.all_tenants.filter(tenant=org.tenant).count() == 1
    assert AssignmentRule.all_tenants.filter(tenant=org.tenant).count() == 1
    assert not Account.all_tenants.exclude(tenant=org.tenant).exists()


# --- Quotas' suite ----------------------------------------------------------------

QUOTA_JOBS = ["quota rolldown", "attainment for a month"]
QUOTA_ROW = re.compile(
    rf"^(?P<job>{'|'.join(QUOTA_JOBS)})\s+(?P<time>{DURATION})\s+(?P<floor>\S.*?)\s+"
    rf"(?P<floor_time>{DURATION})\s+(?P<ratio>\d+\.\d)×\s+(?P<queries>[\d,]+)\s+"
    rf"(?P<memory>\d+\.\d MB)$"
)


def test_quotas_registers_its_suite_with_a_size_for_sales():
    [suite] = [suite for suite in plugins.bench_suites if suite.app_label == "quotas"]
    assert suite.prepare is quotas_bench.prepare
    assert suite.clean_up is quotas_bench.clean_up
    assert {option.name: option.default for option in suite.options} == {"sales-per-rep": 500}


@pytest.mark.django_db
def test_the_quota_jobs_are_timed_against_their_floors_and_leave_nothing_behind():
    output = run(*TINY, "--months", "2", "--sales-per-rep", "30")

    rows = {m["job"]: m for m in map(QUOTA_ROW.match, output.splitlines()) if m}
    assert list(rows) == QUOTA_JOBS, output
    for row in rows.values():
        assert float(row["ratio"]) > 0
    # 10 reps and the admin (their manager) × 2 months; 30 sales per rep.
    assert "22 quotas (2 months), 300 sales" in output
    assert re.search(r"quota rolldown: 22 quotas, [\d,]+ daily and [\d,]+ weekly targets", output)
    assert re.search(r"attainment for a month: 11 quotas as of \d{4}-\d\d-15 over", output)
    for model in (Quota, QuotaTarget, Sale, Attainment, AttainmentSnapshot):
        assert not model.all_tenants.exists(), model.__name__


@pytest.mark.django_db
def test_no_quota_job_issues_a_query_per_quota_or_sale():
    output = run(*TINY, "--reps", "60", "--months", "3", "--sales-per-rep", "20")
    rows = {m["job"]: m for m in map(QUOTA_ROW.match, output.splitlines()) if m}
    # 183 quotas and 1,200 sales: a query per row would be hundreds.
    for job in QUOTA_JOBS:
        assert int(rows[job]["queries"].replace(",", "")) <= 20, job
