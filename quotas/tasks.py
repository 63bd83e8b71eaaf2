"""Background jobs of quotas: rolldown, attainment after sales change, the nightly run.

Every job is idempotent (the services recompute and replace) and safe to retry;
``tenant_task`` acknowledges late, so a worker killed mid-job leaves the job to another.

**Attainment after a sale changes is debounced.** The sale services enqueue
``attainment_for_members`` on commit, once per save or import, with the members and
months affected. A burst (a hundred saves for one member in a second) must not run a
hundred recomputes, yet each change must show within two seconds. So that task only
*asks*: per member it records a pending request in the shared cache (a fresh token, the
time the first pending request arrived, the months asked for so far) and schedules
``attainment_flush`` ``DEBOUNCE_SECONDS`` later with the tokens it wrote. When a flush
runs, a member is computed unless a *newer* request, covering the same months, is
pending: that one's flush comes later and will see this change too (it was scheduled
after this change committed). A burst thus ends in one recompute, by the last request's
flush; under a continuous stream a member is still recomputed every
``MAX_WAIT_SECONDS``. The cache only ever *suppresses* redundant work: a missing or
evicted key, or a cache that is not shared between processes, makes a flush compute
(more work, never a lost update). With eager Celery (the tests) the flush runs at once;
with the demo's filesystem broker the countdown is honoured by its single worker process,
whose local-memory cache both tasks share; production shares Redis.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict

from celery.schedules import crontab
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import every_tenant, tenant_task

from .services.attainment import attainment_compute
from .services.rolldown import quotas_roll_down

# Transient database errors (a deadlock victim, a dropped connection) are retried with
# backoff: the jobs recompute and replace, so running one again is harmless.
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}

# How long a flush waits for more changes of the same members: short enough that a
# change shows within two seconds (this, the task hops and the recompute of a member's
# few quotas), long enough to gather a burst of saves.
DEBOUNCE_SECONDS = 0.5
# A member changing without pause is still recomputed this often.
MAX_WAIT_SECONDS = 1.0
# Pending requests expire from the cache after this long (their flushes ran long ago).
PENDING_TTL_SECONDS = 300
# The nightly recompute and snapshot runs when it is this hour where the tenant is.
NIGHTLY_HOUR = 1


def clock() -> float:
    """Seconds since the epoch, shared by every worker process (the debounce's clock)."""
    return time.time()


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _month(value: str) -> dt.date:
    """``"2026-03"`` (or a full ISO date) as the month's first day."""
    year, month = value.split("-")[:2]
    return dt.date(int(year), int(month), 1)


# --- Rolldown ------------------------------------------------------------------------------


@tenant_task(**RETRY)
def rolldown_quotas(
    tenant: Tenant,
    quota_ids: list[int] | None = None,
    member_ids: list[int] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict:
    """Roll down ``quota_ids`` (all of the tenant's quotas when None, narrowed to
    ``member_ids`` and to the months overlapping ``start``–``end``, ISO dates, when
    given), then recompute their attainment."""
    rolled = quotas_roll_down(
        tenant=tenant,
        quota_ids=quota_ids,
        member_ids=member_ids,
        start=_date(start),
        end=_date(end),
    )
    computed = (
        attainment_compute(tenant=tenant, quota_ids=rolled.quota_ids) if rolled.quota_ids else None
    )
    return {
        "rolled_down": rolled.quotas,
        "daily_rows": rolled.daily_rows,
        "weekly_rows": rolled.weekly_rows,
        "attainment": computed.quotas if computed else 0,
    }


# --- Attainment after sales change (debounced) -------------------------------------------------


def pending_key(tenant_id: int, member_id: int) -> str:
    return f"quotas:attainment-pending:{tenant_id}:{member_id}"


def computed_key(tenant_id: int, member_id: int) -> str:
    return f"quotas:attainment-computed:{tenant_id}:{member_id}"


@tenant_task(**RETRY)
def attainment_for_members(
    tenant: Tenant, member_ids: list[int], months: list[str] | None = None
) -> int:
    """Ask for the attainment of ``member_ids`` (and the team quotas above them) in
    ``months`` ("YYYY-MM"; the tenant's current month by default) to be recomputed soon;
    bursts are coalesced (see the module's docstring). Returns the members asked for."""
    months = sorted(set(months or [f"{tenant.today():%Y-%m}"]))
    members = sorted({int(member_id) for member_id in member_ids})
    if not members:
        return 0
    now = clock()
    keys = {member_id: pending_key(tenant.pk, member_id) for member_id in members}
    pending = cache.get_many(list(keys.values()))
    requests, writes = [], {}
    for member_id, key in keys.items():
        earlier = pending.get(key)
        first_at = earlier[1] if earlier else now
        asked = sorted(set(months) | set(earlier[2] if earlier else ()))
        token = uuid.uuid4().hex
        writes[key] = (token, first_at, asked)
        requests.append([member_id, token, asked])
    cache.set_many(writes, timeout=PENDING_TTL_SECONDS)
    attainment_flush.apply_async(args=[tenant.pk, requests], countdown=DEBOUNCE_SECONDS)
    return len(members)


@tenant_task(**RETRY)
def attainment_flush(tenant: Tenant, requests: list[list]) -> int:
    """Recompute the requested members unless a newer request covers them (see the
    module's docstring). ``requests`` are ``[member_id, token, months]``. Returns how many
    members were recomputed."""
    now = clock()
    members = [int(member_id) for member_id, _, _ in requests]
    pending = cache.get_many([pending_key(tenant.pk, m) for m in members])
    computed_at = cache.get_many([computed_key(tenant.pk, m) for m in members])
    due: dict[tuple[str, ...], list[int]] = defaultdict(list)
    done: list[str] = []
    for member_id, token, months in requests:
        latest = pending.get(pending_key(tenant.pk, member_id))
        if latest is not None and latest[0] != token and set(latest[2]) >= set(months):
            last_run = max(latest[1], computed_at.get(computed_key(tenant.pk, member_id), 0))
            if now - last_run < MAX_WAIT_SECONDS:
                continue  # The newer request's flush will include this change.
        if latest is not None and latest[0] == token:
            done.append(pending_key(tenant.pk, member_id))
        due[tuple(sorted(months))].append(int(member_id))
    if not due:
        return 0
    # Cleared before computing: a request arriving from now on schedules its own run.
    cache.delete_many(done)
    started = clock()
    for months, member_ids in due.items():
        attainment_compute(
            tenant=tenant, member_ids=member_ids, months=[_month(month) for month in months]
        )
    recomputed = [m for member_ids in due.values() for m in member_ids]
    cache.set_many(
        {computed_key(tenant.pk, m): started for m in recomputed}, timeout=PENDING_TTL_SECONDS
    )
    return len(recomputed)


# --- Nightly -------------------------------------------------------------------------------------


# Beat runs this hourly; each organisation does its work in the hour ``NIGHTLY_HOUR``
# where it is (any time zone, half-hour offsets included, has exactly one such run a day;
# a repeated hour when clocks go back runs it twice, which is harmless).
@every_tenant(
    name="quotas.tasks.nightly_attainment",
    entry="nightly-quota-attainment",
    schedule=crontab(minute=20),
)
@tenant_task(**RETRY)
def nightly_attainment_for_tenant(tenant: Tenant, force: bool = False) -> dict | None:
    """At night in the tenant's time zone: roll down any quota whose rolldown is still
    pending (a safety net: its job should have run), close yesterday's snapshots with
    the day's final figures, and bring every quota of the current month up to today
    (``expected_to_date`` moves every day, sales or not)."""
    if not force and timezone.localtime().hour != NIGHTLY_HOUR:
        return None
    today = tenant.today()
    rolled = quotas_roll_down(tenant=tenant, pending_only=True)
    if rolled.quota_ids:
        attainment_compute(tenant=tenant, quota_ids=rolled.quota_ids)
    yesterday = attainment_compute(tenant=tenant, as_of=today - dt.timedelta(days=1))
    current = attainment_compute(tenant=tenant, as_of=today)
    return {
        "rolled_down": rolled.quotas,
        "closed": yesterday.quotas,
        "computed": current.quotas,
    }


# The beat job: one ``nightly_attainment_for_tenant`` per active organisation, hourly.
nightly_attainment = nightly_attainment_for_tenant.fan_out
