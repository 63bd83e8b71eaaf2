"""``spm_bench``: every job is timed against its floor, and the bench cleans up after itself."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spm.demo.bench import EMAIL_DOMAIN, SLUG_PREFIX, delete_bench_tenant
from spm.tenancy.models import Tenant
from spm.users.models import User
from territories.models import Account, AccountAssignment, Territory

TINY = ["--accounts", "300", "--territories", "5", "--reps", "10"]
JOBS = ["apply assignment rules", "rules dry run", "CSV import"]
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
