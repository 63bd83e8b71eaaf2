"""Running Celery tasks in one tenant's context.

Tasks take ``tenant_id`` (never a tenant object, never a tenant taken from a
request): ``tenant_task`` loads the tenant, enters its scope and timezone, and
passes it to the body as the first argument. ``enqueue_on_commit`` schedules a
task only once the current transaction has committed, so a worker never reads
rows that do not exist yet.
"""

import functools
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import transaction

from .context import tenant_context
from .models import Tenant


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
    transaction.on_commit(lambda: task.delay(tenant.pk, *args, **kwargs))


def run_in_tenant(tenant: Tenant, func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` synchronously inside ``tenant``'s context (management commands, shells)."""
    with tenant_context(tenant):
        return func(*args, **kwargs)
