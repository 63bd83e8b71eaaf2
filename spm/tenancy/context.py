"""Entering a tenant's context: the scope that tenant-owned managers filter on, the
organisation that PostgreSQL's row-level security admits (``spm.tenancy.rls``), and its
timezone. ``across_tenants()`` is the one way to lift both walls."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import copy_context

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from . import rls
from .models import Tenant

__all__ = ["across_tenants", "carried", "tenant_context"]


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as ``tenant``: scoped queries and raw SQL see only its rows, dates
    use its timezone.

    Always reset on exit, including on errors, so one request or task can never leak
    its tenant into the next.
    """
    with scope(tenant=tenant), rls.for_tenant(tenant.pk), timezone.override(tenant.zone):
        yield tenant


@contextmanager
def across_tenants() -> Iterator[None]:
    """Lift both tenant walls for work that must cross organisations: the platform
    superuser, lookups by a secret key before the organisation is known, the outbox sweep.
    Every use says in a comment why it must cross tenants."""
    with scopes_disabled(), rls.bypass():
        yield


def carried(iterable: Iterable) -> Iterator:
    """``iterable``, read in the context of this call: the tenant's scope, row-level
    security and timezone. A streamed response's body is read after the middleware has
    left the request's context, where it would see no tenant row (or dates in UTC)."""
    context = copy_context()
    iterator = iter(iterable)
    done = object()

    def read() -> Iterator:
        while (item := context.run(next, iterator, done)) is not done:
            yield item

    return read()
