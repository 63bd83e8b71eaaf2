"""Running Celery tasks in one tenant's context.

Tasks take ``tenant_id`` (never a tenant object, never a tenant taken from a
request): ``tenant_task`` loads the tenant, enters its scope and timezone, and
passes it to the body as the first argument. ``enqueue_on_commit`` schedules a
task only once the current transaction has committed, so a worker never reads
rows that do not exist yet, and never loses the job if the broker is down. ``every_tenant`` declares a periodic (beat) job that fans
out one scoped task per active organisation.
"""

import functools
from collections.abc import Callable
from typing import Any

from celery import shared_task

from .context import tenant_context
from .models import Tenant
from .outbox import outbox_record


def tenant_task(**task_options: Any) -> Callable:
    """Decorate ``def body(tenant, *args, **kwargs)``; call it as ``task.delay(tenant_id, ...)``."""
    task_options.setdefault("acks_late", True)

    def decorator(body: Callable) -> Any:
        @shared_task(name=f"{body.__module__}.{body.__name__}", **task_options)
        @functools.wraps(body)
        def run(tenant_id: int, *args: Any, **kwargs: Any) -> Any:
            tenant = Tenant.objects.get(pk=tenant_id, is_active=True)
            with tenant_context(tenant):
                return body(tenant, *args, **kwargs)

        return run

    return decorator


def enqueue_on_commit(task: Any, tenant: Tenant, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` (a task or its registered name) for ``tenant`` after the current
    transaction commits, through the outbox: the job is written with the change, so it
    runs even if the broker is down at that moment (``spm.tenancy.outbox``)."""
    outbox_record(tenant=tenant, task=task, args=[tenant.pk, *args], kwargs=kwargs)


def fan_out_to_tenants(task: Any) -> int:
    """Send ``task`` once per active organisation; returns how many were sent."""
    # Organisations are not tenant-owned rows: listing them needs no scope.
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay(tenant_id)
    return len(tenant_ids)


def every_tenant(*, name: str, entry: str, schedule: Any) -> Callable:
    """Declare a periodic job: decorate a ``tenant_task``; beat runs the job ``name``
    on ``schedule`` (e.g. a ``crontab``), which sends that task once per active
    organisation. ``entry`` names the job in the beat schedule. Returns the task::

        @every_tenant(name="app.tasks.nightly", entry="nightly", schedule=crontab(hour=1))
        @tenant_task()
        def nightly_for_tenant(tenant): ...
    """

    def decorator(per_tenant_task: Any) -> Any:
        @shared_task(name=name)
        def fan_out() -> int:
            return fan_out_to_tenants(per_tenant_task)

        from spm.celery import app

        app.add_periodic_task(schedule, fan_out.s(), name=entry)
        per_tenant_task.fan_out = fan_out
        return per_tenant_task

    return decorator


def run_in_tenant(tenant: Tenant, func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` synchronously inside ``tenant``'s context (management commands, shells)."""
    with tenant_context(tenant):
        return func(*args, **kwargs)
