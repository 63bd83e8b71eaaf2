"""What the quota and sale services share: who is acting, exact numbers, task names."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Model

from spm.inputs import DATE_WINDOW_MESSAGE, EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids

from ..models import MAX_AMOUNT, UNIT, Metric

# The background jobs the writes schedule, by name (a service never imports ``tasks``,
# which imports the services). Their signatures, agreed with ``quotas/tasks.py``:
# ``rolldown_quotas(tenant, quota_ids=None)`` and
# ``attainment_for_members(tenant, member_ids, months=None)`` with months as "YYYY-MM".
ROLLDOWN_TASK = "quotas.tasks.rolldown_quotas"
ATTAINMENT_TASK = "quotas.tasks.attainment_for_members"

# The rep's own quota page (written with the quota pages); notifications link to it.
MY_QUOTA_URL = "/quotas/mine/"

# Reads and writes of many rows go in chunks of this many ids: each statement stays well
# below SQLite's 32,766 parameters, and 10,000 sales cost two reads per table.
CHUNK = 5_000


@dataclass(frozen=True)
class Acting:
    """Who writes, and for whom they may: ``writable`` holds the member ids they may set
    quotas and sales for (``None``: everyone, as an admin)."""

    user: object | None  # The ``User`` recorded as the author of the change.
    member: Membership | None  # None for the platform superuser.
    role: str
    writable: frozenset[int] | None

    def may_write_for(self, member_id: int) -> bool:
        return self.writable is None or member_id in self.writable

    def refusal(self, member: Membership, *, own: str) -> str:
        """Why this actor may not write for ``member`` (who is in the organisation);
        ``own`` says it when ``member`` is the actor themself."""
        if self.member is not None and member.pk == self.member.pk:
            return own
        return f"{member.name} is not in your team."


def acting(*, tenant: Tenant, actor) -> Acting:
    """The rights of ``actor`` in ``tenant``: a ``Membership`` of it (admins write for
    everyone, managers for their reporting tree but not themselves, reps for nobody) or
    the platform superuser (a ``User``, from the admin site), who writes like an admin.

    Raises ``PermissionDenied`` for anyone who may write nothing at all.
    """
    if isinstance(actor, Membership):
        if actor.tenant_id != tenant.pk:
            raise PermissionDenied("You are not a member of this organisation.")
        if actor.role == Role.ADMIN:
            return Acting(user=actor.user, member=actor, role=actor.role, writable=None)
        if actor.role == Role.MANAGER:
            team = frozenset(report_ids(tenant=tenant, manager=actor))
            return Acting(user=actor.user, member=actor, role=actor.role, writable=team)
        raise PermissionDenied("Reps read their own figures; their manager sets them.")
    if isinstance(actor, get_user_model()) and actor.is_active and actor.is_superuser:
        return Acting(user=actor, member=None, role=Role.ADMIN, writable=None)
    raise PermissionDenied("Only an organisation's admins and managers may do this.")


# --- Numbers and months --------------------------------------------------------------


def parse_decimal(value) -> Decimal | None:
    """``value`` as a finite ``Decimal``, or ``None`` when it is not a number. Floats are
    refused: they are not exact (type the number as text instead)."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "").replace(" ", ""))
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def amount_problem(amount: Decimal | None, unit: Decimal, *, unit_name: str) -> str:
    """Why ``amount`` cannot be a figure counted in ``unit``; "" when it can."""
    if amount is None:
        return "Enter a number, e.g. 12500.00."
    if amount < 0:
        return "Enter an amount of 0 or more."
    if amount > MAX_AMOUNT:
        return f"That is too large: at most {MAX_AMOUNT:,}."
    if amount % unit:
        if unit == 1:
            return f"{unit_name.capitalize()} are counted in whole numbers."
        return f"Use at most {-unit.as_tuple().exponent} decimal places."
    return ""


def quantize(amount: Decimal, unit: Decimal) -> Decimal:
    """``amount`` rounded half up to ``unit`` (0.01 or 1), written with two decimals."""
    return amount.quantize(unit, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def unit_of(metric: str) -> Decimal:
    return UNIT[Metric(metric)]


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_problem(month) -> str:
    if not isinstance(month, dt.date):
        return "Enter a month, e.g. 2026-03."
    if not EARLIEST_DATE <= month <= LATEST_DATE:
        return DATE_WINDOW_MESSAGE
    return ""


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(month: dt.date) -> str:
    return f"{month:%B %Y}"


def month_key(month: dt.date) -> str:
    """A month as the API and the tasks write it: ``YYYY-MM``."""
    return f"{month:%Y-%m}"


# --- Writing many changed rows ----------------------------------------------------------


def update_rows(model: type[Model], tenant: Tenant, objects: list[Model], fields: list[str]):
    """Write ``fields`` of already-changed ``objects`` with one ``UPDATE … FROM`` per chunk.

    Django's ``bulk_update`` builds a ``CASE`` per field and row: 600 quotas took 1.6 s and
    10,000 sales half a minute on SQLite. Here the new values travel as one ``VALUES``
    list joined on the primary key (and the tenant): 10,000 rows in a few statements. On
    PostgreSQL the rows are quoted by psycopg2 and cast to the columns' types, up to 5,000
    a statement; SQLite (3.33 or later) takes them as parameters, as many rows as its 999
    parameters allow. The caller validated the values and holds the transaction.
    """
    if not objects:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(quote(column.column) for column in columns)
    if connection.vendor == "postgresql":
        assignments = ", ".join(
            f"{quote(c.column)} = v.{quote(c.column)}::{c.db_type(connection)}" for c in columns
        )
    else:
        assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    table = quote(model._meta.db_table)
    sql = (
        f"WITH v(id, {names}) AS (VALUES %s) "
        f"UPDATE {table} SET {assignments} FROM v "
        f"WHERE {table}.id = v.id AND {table}.tenant_id = {int(tenant.pk)}"
    )
    row_placeholder = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"

    def values(obj: Model) -> tuple:
        return (
            obj.pk,
            *(
                column.get_db_prep_save(getattr(obj, column.attname), connection)
                for column in columns
            ),
        )

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(objects), CHUNK):
                rows = [values(obj) for obj in objects[start : start + CHUNK]]
                # psycopg2 quotes each row; Django's cursor runs (and counts) the statement.
                quoted = b",".join(cursor.cursor.mogrify(row_placeholder, row) for row in rows)
                cursor.execute(sql.replace("%s", quoted.decode(), 1))
            return
        per_statement = max(1, connection.features.max_query_params // (len(columns) + 1))
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            statement = sql.replace("%s", ", ".join([row_placeholder] * len(chunk)), 1)
            cursor.execute(statement, [value for obj in chunk for value in values(obj)])
