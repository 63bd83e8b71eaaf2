"""Helpers shared by the territory services."""

from collections.abc import Callable

from spm.tenancy.models import Tenant

# One UPDATE per chunk of account ids: 5,000 ids keep each statement well below
# SQLite's 32,766-parameter limit and PostgreSQL's comfortable statement size, so
# 50,000 moves into one territory cost 10 statements.
UPDATE_CHUNK = 5_000
# History rows are inserted 2,000 at a time (≈ 8 columns × 2,000 parameters).
HISTORY_BATCH = 2_000

# How a long bulk write says how far it got: ``progress(step, done, total)``, with ``step``
# one of ``AccountImport.Step`` (the import's page shows it). Called once per chunk.
Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    """The ``Progress`` of a caller that shows none."""


def _check_tenant(tenant: Tenant, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant.pk:
            raise obj.DoesNotExist(f"No such {type(obj).__name__.lower()}.")


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
