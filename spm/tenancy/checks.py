"""System checks of the second tenant wall, run with ``manage.py check --database default``
(they need the database, so plain ``check`` skips them)."""

from django.core import checks
from django.db import connections

from . import rls


@checks.register(checks.Tags.database)
def row_security(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for alias in databases or []:
        db = connections[alias]
        if db.vendor != "postgresql":
            continue
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT rolname, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            role, bypasses = cursor.fetchone()
        if bypasses:
            problems.append(
                checks.Warning(
                    f"The database role {role!r} is a superuser or has BYPASSRLS: "
                    "row-level security, the second tenant wall, does not apply to it.",
                    hint="Connect as an ordinary role that owns the database "
                    "(see docker-compose.yml and the README).",
                    id="spm.W001",
                )
            )
        missing = rls.tables_without_policy(alias)
        if missing:
            problems.append(
                checks.Error(
                    f"Tenant tables without the row-level security policy: {', '.join(missing)}.",
                    hint="Run manage.py migrate: it applies the policy to every tenant table.",
                    id="spm.E001",
                )
            )
    return problems
