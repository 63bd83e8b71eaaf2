"""Activities' ``spm_bench`` jobs: logging through the API of a running server."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from activities import bench as activities_bench
from activities.models import Activity
from spm import plugins
from spm.demo.served import can_serve
from spm.tenancy.models import ApiToken, Tenant

TINY = ["--accounts", "50", "--territories", "2", "--reps", "25", "--sales-per-rep", "2"]
ROW = r"^{job}\s+\d+(?:\.\d+)? (?:ms|s)\s+GET /api/v1/me/ \(same tokens\)\s+.*×\s+–\s+–$"


def run(*args: str) -> str:
    out = StringIO()
    call_command("spm_bench", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_activities_registers_its_suite():
    [suite] = [suite for suite in plugins.bench_suites if suite.app_label == "activities"]
    assert suite.prepare is activities_bench.prepare
    assert {option.name: option.default for option in suite.options} == {"api-requests": 600}


@pytest.mark.django_db
def test_inside_a_transaction_the_api_jobs_are_left_out_and_said_so():
    output = run(*TINY, "--api-requests", "10")
    assert "no API jobs (a server can't see rows inside a transaction)" in output
    assert "API: log one activity" not in output


@pytest.mark.django_db(transaction=True)
def test_the_api_jobs_log_through_a_running_server_and_leave_nothing_behind():
    if not can_serve():
        pytest.skip("A server can't share an in-memory SQLite database; CI runs PostgreSQL.")
    output = run(*TINY, "--api-requests", "10")
    for job in ("API: log one activity", "API: log 50 at once"):
        assert re.search(ROW.format(job=re.escape(job)), output, re.MULTILINE), output
    assert re.search(r"API: log one activity: 10 requests \(10 activities\) at [\d,]+/s", output)
    assert re.search(r"API: log 50 at once: 10 requests \(500 activities\)", output)
    assert not Activity.all_tenants.exists()
    assert not ApiToken.all_tenants.exists()
    assert not Tenant.objects.exists()
