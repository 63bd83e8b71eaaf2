"""Entering a tenant's context: the scope that tenant-owned managers filter on, and its timezone."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from .models import Tenant

__all__ = ["scopes_disabled", "tenant_context"]


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as ``tenant``: scoped queries see only its rows, dates use its timezone.

    Always reset on exit, including on errors, so one request or task can never leak
    its tenant into the next.
    """
    with scope(tenant=tenant), timezone.override(tenant.zone):
        yield tenant
