"""The second tenant wall: PostgreSQL row-level security on every tenant table.

The first wall is the fail-closed manager (``TenantOwnedModel.objects``). This one holds
even for SQL that does not go through it (raw SQL, a forgotten ``all_tenants``, a bug in a
query builder): every table of a ``TenantOwnedModel`` has row-level security enabled and
*forced* (so it binds the table's owner too) with one policy, ``spm_tenant_wall``, that
admits a row only when its ``tenant_id`` is the organisation of the current transaction::

    tenant_id = current_setting('spm.tenant_id')   -- or spm.rls_bypass = 'on'

How the setting follows the code:

- ``tenant_context(tenant)`` (requests, ``tenant_task``, commands working for one
  organisation) opens the wall for that organisation only;
- ``across_tenants()`` (``spm.tenancy.context``) is the explicit bypass for the few reads
  and writes that must cross organisations; each use says why in a comment;
- anything else sees no tenant row at all: the request middleware and ``tenant_task``
  start closed, whatever ran before on the thread.

The state lives in a context variable; a database execute wrapper sends it with each
statement as ``set_config(..., is_local => true)``, in the same round trip as the statement,
so it lasts exactly one transaction: a connection reused from a pool can never carry one
organisation's setting into another's work, and no query is added.

PostgreSQL superusers and roles with BYPASSRLS skip every policy, so the application
connects as an ordinary role (docker-compose.yml and .ci/run show how; the ``spm.W001``
check warns otherwise). On SQLite there is no second wall.
"""

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

POLICY = "spm_tenant_wall"
TENANT_SETTING = "spm.tenant_id"
BYPASS_SETTING = "spm.rls_bypass"
BYPASS = "bypass"

# None: closed (no tenant row visible); BYPASS: every row; else the tenant's id as text.
_state: ContextVar[str | None] = ContextVar("spm_row_security", default=None)

# Statements PostgreSQL runs only outside a transaction block; none reads a tenant row.
RUNS_ALONE = re.compile(
    r"^\s*((CREATE|DROP|ALTER)\s+DATABASE|VACUUM|ALTER\s+SYSTEM)|\bCONCURRENTLY\b", re.IGNORECASE
)

TRANSACTION_CONTROL = re.compile(
    r"\s*(SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE
)

POLICY_CONDITION = (
    f"current_setting('{BYPASS_SETTING}', true) = 'on' "
    f"OR tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::bigint"
)


@contextmanager
def _entered(state: str | None) -> Iterator[None]:
    token = _state.set(state)
    try:
        yield
    finally:
        _state.reset(token)


def for_tenant(tenant_id: int) -> AbstractContextManager[None]:
    """Open the wall for one organisation (used by ``tenant_context``)."""
    return _entered(str(int(tenant_id)))


def bypass() -> AbstractContextManager[None]:
    """Open the wall for every organisation. Use ``across_tenants()``, which also lifts
    the scoped managers, and say at the call site why the work must cross tenants."""
    return _entered(BYPASS)


def closed() -> AbstractContextManager[None]:
    """Close the wall: a request or a task starts here, whatever ran before on its thread."""
    return _entered(None)


def open_for_this_thread() -> None:
    """Bypass for the rest of this thread: ``manage.py`` (an operator of the whole
    installation) and the test session. Requests and tasks still start closed."""
    _state.set(BYPASS)


def current_state() -> str | None:
    return _state.get()


def _settings_sql(state: str | None, *, local: bool) -> str:
    tenant = state if state not in (None, BYPASS) else ""
    bypassed = "on" if state == BYPASS else ""
    scope = "true" if local else "false"
    # Both values are ours (a number, "on" or nothing), never user input.
    return (
        f"SELECT set_config('{TENANT_SETTING}', '{tenant}', {scope}), "
        f"set_config('{BYPASS_SETTING}', '{bypassed}', {scope})"
    )


def send_row_security(execute, sql, params, many, context):
    """Database execute wrapper: the current state goes with the statement."""
    state = _state.get()
    db = context["connection"]
    in_transaction = db.in_atomic_block or not db.get_autocommit()
    if TRANSACTION_CONTROL.match(sql) or (
        not in_transaction and (state is None or RUNS_ALONE.search(sql))
    ):
        # Savepoints and the like read no row and must run even in a failed transaction.
        # A statement of its own transaction with no setting is already closed; some,
        # like CREATE DATABASE, may not share their transaction with another statement.
        return execute(sql, params, many, context)
    if getattr(context["cursor"].cursor, "name", None):
        return _execute_server_side(execute, sql, params, many, context, state, in_transaction)
    return execute(f"{_settings_sql(state, local=True)}; {sql}", params, many, context)


def _execute_server_side(execute, sql, params, many, context, state, in_transaction):
    """A named (server-side) cursor's DECLARE cannot share its statement. Inside a
    transaction a local setting lasts while its rows are fetched; outside one, Django
    declares it WITH HOLD, which computes every row when the DECLARE commits, so the
    setting is made for the session and undone right after."""
    raw = context["connection"].connection
    with raw.cursor() as setter:
        setter.execute(_settings_sql(state, local=in_transaction))
    try:
        return execute(sql, params, many, context)
    finally:
        if not in_transaction:
            with raw.cursor() as setter:
                setter.execute(_settings_sql(None, local=False))


def install(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: PostgreSQL connections carry the state."""
    if connection.vendor == "postgresql" and send_row_security not in connection.execute_wrappers:
        connection.execute_wrappers.append(send_row_security)


def connect() -> None:
    connection_created.connect(install, dispatch_uid="spm-row-security")
    # A connection opened before this ran (rare: at import time) gets it too.
    if default_connection.connection is not None:
        install(None, default_connection)


def tenant_tables() -> list[str]:
    """The table of every concrete ``TenantOwnedModel``, today's and any future app's."""
    from .models import TenantOwnedModel

    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if issubclass(model, TenantOwnedModel) and not model._meta.proxy and model._meta.managed
        }
    )


def policy_statements(table: str) -> list[str]:
    quoted = f'"{table}"'
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"CREATE POLICY {POLICY} ON {quoted} USING ({POLICY_CONDITION}) "
        f"WITH CHECK ({POLICY_CONDITION})",
    ]


def apply_policies(using: str = "default") -> list[str]:
    """Enable, force and (re)create the policy on every tenant table; idempotent."""
    from django.db import connections

    db = connections[using]
    if db.vendor != "postgresql":
        return []
    existing = set(db.introspection.table_names())
    tables = [table for table in tenant_tables() if table in existing]
    with transaction.atomic(using=using), db.cursor() as cursor:
        for table in tables:
            for statement in policy_statements(table):
                cursor.execute(statement)
    return tables


def apply_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """``post_migrate`` receiver: a new tenant table gets its policy with its migration."""
    apply_policies(using)


def tables_without_policy(using: str = "default") -> list[str]:
    """Tenant tables on which the wall is missing, off or not forced (structural test,
    check). Tables not created yet (migrations to come) are not counted."""
    from django.db import connections

    db = connections[using]
    existing = set(db.introspection.table_names())
    with db.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            WHERE c.relkind = 'r' AND c.relrowsecurity AND c.relforcerowsecurity
              AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)
            """,
            [POLICY],
        )
        walled = {row[0] for row in cursor.fetchall()}
    return [table for table in tenant_tables() if table in existing and table not in walled]
