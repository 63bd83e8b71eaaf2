"""Named locks per organisation (spm.tenancy.locks), and attainment runs taking turns
with one of them instead of locking every quota of the month."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from quotas.services.attainment import ATTAINMENT_LOCK, attainment_compute
from spm.tenancy.context import tenant_context
from spm.tenancy.locks import lock_for_tenant

from .conftest import build_org

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Advisory locks are PostgreSQL's; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]


def waits_while_held(tenant, name: str, other: Callable[[], object], other_tenant=None) -> bool:
    """Hold ``name`` for ``tenant`` in one thread, run ``other`` in another (in
    ``other_tenant``'s scope, ``tenant``'s by default); returns whether ``other`` waited
    for the holder's commit. Both threads always finish."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold():
        try:
            with tenant_context(tenant), transaction.atomic():
                lock_for_tenant(tenant, name)
                held.set()
                release.wait(timeout=10)
        finally:
            held.set()
            connection.close()

    def run():
        try:
            with tenant_context(other_tenant or tenant), transaction.atomic():
                other()
        except BaseException as error:  # Reported below, not lost in the thread.
            failures.append(error)
        finally:
            done.set()
            connection.close()

    holder, runner = threading.Thread(target=hold), threading.Thread(target=run)
    holder.start()
    held.wait(timeout=10)
    runner.start()
    waited = not done.wait(timeout=1)
    release.set()
    holder.join(timeout=10)
    runner.join(timeout=10)
    assert not failures, failures
    assert done.is_set()
    return waited


def test_a_lock_makes_the_same_name_in_the_same_organisation_wait_and_nothing_else():
    first, second = build_org("locks-a"), build_org("locks-b")
    tenant = first.tenant
    assert waits_while_held(tenant, "job", lambda: lock_for_tenant(tenant, "job"))
    assert not waits_while_held(tenant, "job", lambda: lock_for_tenant(tenant, "other job"))
    assert not waits_while_held(
        tenant,
        "job",
        lambda: lock_for_tenant(second.tenant, "job"),
        other_tenant=second.tenant,
    )


def test_attainment_runs_in_one_organisation_take_turns():
    org, other = build_org("turns-a"), build_org("turns-b")
    assert waits_while_held(
        org.tenant, ATTAINMENT_LOCK, lambda: attainment_compute(tenant=org.tenant)
    )
    assert not waits_while_held(
        org.tenant,
        ATTAINMENT_LOCK,
        lambda: attainment_compute(tenant=other.tenant),
        other_tenant=other.tenant,
    )
