"""Activities' part of ``spm_bench`` (registered in ``plugin.py``): logging through the
API, against a running server.

Reps log their day from a phone or a laptop many times a day, so what counts is how many
``POST /api/v1/activities/`` a server answers per second. Each job starts the app under
gunicorn (``spm.demo.served``: two sync workers, DEBUG off) against the bench's database,
sends ``--api-requests`` requests from four client threads with the tokens of twenty
reps, in five slices alternating with the floor's, and compares the time with the same number of ``GET /api/v1/me/`` by the same
tokens: an authenticated request that does almost nothing, the floor of any API call on
that server. Jobs:

- **API: log one activity**: single creates (five minutes each, spread over reps and past
  days so no day nears 24 hours). Goal: at least 0.7× the floor's rate.
- **API: log 50 at once**: ``POST /api/v1/activities/bulk/`` with 50 rows each, against the
  same floor (per request: each carries 50 activities).

The server commits what it writes, so each job deletes the activities it created
afterwards. Inside a transaction (the test suite's) a server cannot see the bench's rows:
the jobs are left out and the report says so.
"""

from __future__ import annotations

import datetime as dt

from spm.demo.bench import BenchOrg, BenchPlan, JobResult, Measure
from spm.demo.served import Request, can_serve, rate, served
from spm.plugins import BenchOption
from spm.tenancy.models import ApiToken, Tenant
from spm.tenancy.services import api_token_issue

from .models import Activity, ActivityType

OPTIONS = (
    BenchOption(
        name="api-requests",
        default=600,
        help="Requests per API job (logging activities through a running server).",
        minimum=10,
        maximum=100_000,
    ),
)
TOKEN_HOLDERS = 20
BULK_ROWS = 50
MINUTES = 5
TOKEN_NAME = "spm-bench"


def prepare(bench: BenchOrg) -> BenchPlan:
    if not can_serve():
        return BenchPlan(
            built="no API jobs (a server can't see rows inside a transaction)", jobs=[]
        )
    requests = bench.sizes.option("api-requests")
    reps = bench.reps[:TOKEN_HOLDERS]
    tokens = [
        api_token_issue(tenant=bench.tenant, actor=bench.actor, membership=rep, name=TOKEN_NAME)
        for rep in reps
    ]
    call = ActivityType.objects.get(tenant=bench.tenant, name="Call")
    return BenchPlan(
        built=f"{len(tokens)} API tokens",
        jobs=[
            ("API: log one activity", lambda: bench_single(bench, tokens, call, requests)),
            ("API: log 50 at once", lambda: bench_bulk(bench, tokens, call, requests)),
        ],
    )


def clean_up(*, tenant: Tenant) -> None:
    Activity.objects.filter(tenant=tenant).delete()
    ApiToken.objects.filter(tenant=tenant, name=TOKEN_NAME).delete()


def _days(tenant: Tenant, count: int) -> list[str]:
    today = tenant.today()
    return [(today - dt.timedelta(days=n)).isoformat() for n in range(count)]


def _floor(tokens: list[str], count: int) -> list[Request]:
    return [Request("GET", "/api/v1/me/", token=tokens[n % len(tokens)]) for n in range(count)]


WARM_UP = 20


ROUNDS = 5


def _measured(base: str, job: list[Request], floor: list[Request], expect: int):
    """Warm both up with the first ``WARM_UP`` requests of each (a worker's first requests
    load code and connect), then time the rest in ``ROUNDS`` alternating slices of the
    floor and the job, so a machine busy with something else for a moment slows both
    alike; returns their total seconds."""
    rate(base, floor[:WARM_UP], expect=200)
    rate(base, job[:WARM_UP], expect=expect)
    job, floor = job[WARM_UP:], floor[WARM_UP:]
    floor_seconds = job_seconds = 0.0
    for round_ in range(ROUNDS):
        floor_seconds += rate(base, floor[round_::ROUNDS], expect=200)
        job_seconds += rate(base, job[round_::ROUNDS], expect=expect)
    return floor_seconds, job_seconds


def bench_single(bench: BenchOrg, tokens: list[str], call: ActivityType, count: int) -> JobResult:
    days = _days(bench.tenant, 200)
    job = [
        Request(
            "POST",
            "/api/v1/activities/",
            {"type_id": call.pk, "date": days[n // len(tokens) % len(days)],
             "duration_minutes": MINUTES, "notes": "bench"},
            token=tokens[n % len(tokens)],
        )
        for n in range(count + WARM_UP)
    ]  # fmt: skip
    try:
        with served() as base:
            floor_seconds, job_seconds = _measured(base, job, _floor(tokens, count + WARM_UP), 201)
    finally:
        Activity.objects.filter(tenant=bench.tenant).delete()
    return _result("API: log one activity", count, job_seconds, floor_seconds, count)


def bench_bulk(bench: BenchOrg, tokens: list[str], call: ActivityType, count: int) -> JobResult:
    days = _days(bench.tenant, 200)
    requests = max(count // 10, 10)
    job = [
        Request(
            "POST",
            "/api/v1/activities/bulk/",
            [
                {"type_id": call.pk, "date": days[(n * BULK_ROWS + row) % len(days)],
                 "duration_minutes": MINUTES}
                for row in range(BULK_ROWS)
            ],
            token=tokens[n % len(tokens)],
        )
        for n in range(requests + WARM_UP)
    ]  # fmt: skip
    try:
        with served() as base:
            floor_seconds, job_seconds = _measured(
                base, job, _floor(tokens, requests + WARM_UP), 201
            )
    finally:
        Activity.objects.filter(tenant=bench.tenant).delete()
    return _result(
        "API: log 50 at once", requests, job_seconds, floor_seconds, requests * BULK_ROWS
    )


def _result(name: str, requests: int, job: float, floor: float, activities: int) -> JobResult:
    job_rate, floor_rate = requests / job, requests / floor
    return JobResult(
        name=name,
        floor_name="GET /api/v1/me/ (same tokens)",
        job=Measure(seconds=job, queries=None),
        floor=Measure(seconds=floor, queries=None),
        outcome=(
            f"{requests:,} requests ({activities:,} activities) at {job_rate:,.0f}/s against "
            f"the floor's {floor_rate:,.0f}/s: {job_rate / floor_rate:.2f}× its rate "
            f"(gunicorn, 2 workers, 4 client connections)"
        ),
    )
