"""Recording sales (the actuals of DESIGN 4.3): one at a time, in bulk, and deleting them.

Invariants:

- ``external_id`` (the CRM's id) is unique in the organisation: writing a sale whose
  external id exists updates that sale, never duplicates it, so importing the same file
  or API batch twice changes nothing the second time;
- a sale's member is a member of the organisation and its account one of its accounts;
  its amount is 0 to ``MAX_AMOUNT`` with at most two decimals; it closed on or before
  today (in the organisation's time zone), within the accepted dates;
- admins record sales for everyone; managers for their reporting tree, direct and
  indirect, not themselves; reps record none (they read their own). A sale can only be
  changed by someone who may write for its member now *and* for the member it goes to;
- ``version`` counts changes; a caller naming a stale one gets ``StaleVersion``;
- all or nothing: one bad row writes nothing and names its index and field;
- after the commit, attainment is recomputed once per affected member and month (not
  per sale): one ``attainment_for_members`` job per call.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from spm.inputs import DATE_WINDOW_MESSAGE, EARLIEST_DATE
from spm.tenancy.bulk import copy_rows
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit
from spm.tenancy.tasks_base import enqueue_on_commit
from spm.tenancy.versioning import STALE_MESSAGE, StaleVersion
from territories.models import Account

from ..models import Sale
from ._common import (
    ATTAINMENT_TASK,
    CHUNK,
    Acting,
    acting,
    amount_problem,
    month_key,
    parse_decimal,
    quantize,
    update_rows,
)

OWN_SALES = "Your own sales are recorded by your manager or an admin."
EXTERNAL_ID_MAX = Sale._meta.get_field("external_id").max_length
CENT = Decimal("0.01")
# New sales are inserted this many per statement where COPY is not available (SQLite):
# six columns × 1,000 rows stays far below SQLite's parameter limit.
INSERT_BATCH = 1_000
WRITTEN_FIELDS = ("member", "account", "amount", "closed_on")


@dataclass(frozen=True)
class SaleRow:
    """One sale to write: matched on ``external_id``. ``amount`` may be a ``Decimal``, an
    ``int`` or text; ``version`` is the one the caller read (``None``: no check)."""

    external_id: str
    member_id: int
    account_id: int
    amount: Any
    closed_on: dt.date
    version: int | None = None


@dataclass
class SalesResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    member_ids: list[int] = field(default_factory=list)  # Whose attainment was scheduled.
    months: list[str] = field(default_factory=list)  # "YYYY-MM", likewise.


class SaleRowsInvalid(ValidationError):
    """Nothing was written. ``rows`` maps the index of each refused row (0-based, in the
    order given) to its messages by field (``external_id``, ``member``, ``account``,
    ``amount``, ``closed_on``, ``version``)."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = dict(sorted(rows.items()))
        super().__init__(
            {
                str(index): [
                    f"{name}: {message}" for name, msgs in fields.items() for message in msgs
                ]
                for index, fields in self.rows.items()
            }
        )


# --- Checking -------------------------------------------------------------------------


def _closed_on_problem(closed_on, today: dt.date) -> str:
    if not isinstance(closed_on, dt.date) or isinstance(closed_on, dt.datetime):
        return "Enter the date the sale closed, e.g. 2026-03-31."
    if closed_on < EARLIEST_DATE:
        return DATE_WINDOW_MESSAGE
    if closed_on > today:
        return f"A sale closes today ({today:%Y-%m-%d}) or earlier."
    return ""


def _external_id_problem(external_id) -> str:
    if not isinstance(external_id, str) or not external_id.strip():
        return "Give the sale's id in your CRM."
    if len(external_id.strip()) > EXTERNAL_ID_MAX:
        return f"At most {EXTERNAL_ID_MAX} characters."
    if "\x00" in external_id:
        return "Contains a NUL character; remove it."
    return ""


@dataclass
class _Lookups:
    members: dict[int, Membership]
    account_ids: set[int]
    existing: dict[str, Sale]


def _lookups(tenant: Tenant, rows: Sequence[SaleRow], *, lock: bool) -> _Lookups:
    """Members, accounts and existing sales the rows name: a few queries per 5,000 rows."""
    member_ids = sorted({row.member_id for row in rows if isinstance(row.member_id, int)})
    account_ids = sorted({row.account_id for row in rows if isinstance(row.account_id, int)})
    external_ids = sorted(
        {row.external_id.strip() for row in rows if isinstance(row.external_id, str)}
    )
    members = {
        member.pk: member
        for member in Membership.objects.filter(tenant=tenant, pk__in=member_ids).select_related(
            "user"
        )
    }
    accounts: set[int] = set()
    for start in range(0, len(account_ids), CHUNK):
        accounts.update(
            Account.objects.filter(
                tenant=tenant, pk__in=account_ids[start : start + CHUNK]
            ).values_list("pk", flat=True)
        )
    existing: dict[str, Sale] = {}
    for start in range(0, len(external_ids), CHUNK):
        sales = Sale.objects.filter(
            tenant=tenant, external_id__in=external_ids[start : start + CHUNK]
        ).order_by("pk")
        if lock:
            # Locked in primary-key order: two imports of overlapping files serialise.
            sales = sales.select_for_update()
        existing.update((sale.external_id, sale) for sale in sales)
    return _Lookups(members, accounts, existing)


def _row_problems(
    row: SaleRow, lookups: _Lookups, who: Acting, today: dt.date
) -> tuple[dict[str, list[str]], Decimal | None]:
    problems: dict[str, list[str]] = defaultdict(list)
    if problem := _external_id_problem(row.external_id):
        problems["external_id"].append(problem)
    member = lookups.members.get(row.member_id)
    if member is None:
        problems["member"].append("Choose a member of this organisation.")
    elif not who.may_write_for(member.pk):
        problems["member"].append(who.refusal(member, own=OWN_SALES))
    if row.account_id not in lookups.account_ids:
        problems["account"].append("Choose an account of this organisation.")
    amount = parse_decimal(row.amount)
    if problem := amount_problem(amount, CENT, unit_name="amounts"):
        problems["amount"].append(problem)
        amount = None
    else:
        amount = quantize(amount, CENT)
    if problem := _closed_on_problem(row.closed_on, today):
        problems["closed_on"].append(problem)
    existing = (
        lookups.existing.get(row.external_id.strip()) if isinstance(row.external_id, str) else None
    )
    if existing is not None and not who.may_write_for(existing.member_id):
        problems["external_id"].append("This external ID belongs to a sale you may not change.")
    return dict(problems), amount


# --- Writing ------------------------------------------------------------------------


@dataclass
class _Plan:
    created: list[Sale] = field(default_factory=list)
    changed: list[Sale] = field(default_factory=list)
    unchanged: list[Sale] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    by_index: dict[int, Sale] = field(default_factory=dict)


def _plan(
    tenant: Tenant, who: Acting, rows: Sequence[SaleRow], source: str
) -> tuple[_Plan, dict[int, dict[str, list[str]]], Sale | None]:
    """Check every row and decide what to write; nothing is written here. Returns the
    plan, the problems by row index, and the first stale sale (for a single write)."""
    lookups = _lookups(tenant, rows, lock=True)
    today = tenant.today()
    plan = _Plan()
    problems: dict[int, dict[str, list[str]]] = {}
    seen: dict[str, int] = {}
    stale: Sale | None = None
    now = timezone.now()
    for index, row in enumerate(rows):
        row_problems, amount = _row_problems(row, lookups, who, today)
        external_id = row.external_id.strip() if isinstance(row.external_id, str) else ""
        if external_id and external_id in seen:
            row_problems.setdefault("external_id", []).append(
                f"Given twice: also at index {seen[external_id]}."
            )
        seen.setdefault(external_id, index)
        existing = lookups.existing.get(external_id)
        if not row_problems and row.version is not None:
            if existing is None and row.version != 0:
                row_problems["version"] = ["This sale was deleted since you read it."]
            elif existing is not None and existing.version != row.version:
                row_problems["version"] = [STALE_MESSAGE]
                stale = stale or existing
        if row_problems:
            problems[index] = row_problems
            continue
        if existing is None:
            sale = Sale(
                tenant=tenant,
                external_id=external_id,
                member_id=row.member_id,
                account_id=row.account_id,
                amount=amount,
                closed_on=row.closed_on,
                source=source,
                version=1,
                created_at=now,
                updated_at=now,
            )
            plan.created.append(sale)
            plan.members.add(row.member_id)
            plan.months.add(month_key(row.closed_on))
            lookups.existing[external_id] = sale  # A later duplicate row is caught above.
            plan.by_index[index] = sale
            continue
        before = (existing.member_id, existing.account_id, existing.amount, existing.closed_on)
        after = (row.member_id, row.account_id, amount, row.closed_on)
        plan.by_index[index] = existing
        if before == after:
            plan.unchanged.append(existing)
            continue
        plan.members.update({existing.member_id, row.member_id})
        plan.months.update({month_key(existing.closed_on), month_key(row.closed_on)})
        existing.member_id, existing.account_id = row.member_id, row.account_id
        existing.amount, existing.closed_on = amount, row.closed_on
        existing.version += 1
        existing.updated_at = now
        plan.changed.append(existing)
    return plan, problems, stale


SALE_COLUMNS = (
    "tenant_id", "member_id", "account_id", "amount", "closed_on", "external_id", "source",
    "version", "created_at", "updated_at",
)  # fmt: skip


def _insert(tenant: Tenant, sales: list[Sale], *, need_ids: bool) -> None:
    """Insert new sales: ``COPY`` through a staging table on PostgreSQL (10,000 rows in
    well under a second), ``bulk_create`` elsewhere or when the caller needs their ids."""
    if not sales:
        return
    if connection.vendor == "postgresql" and not need_ids:
        copy_rows(
            Sale,
            SALE_COLUMNS,
            (
                (tenant.pk, sale.member_id, sale.account_id, sale.amount,
                 sale.closed_on.isoformat(), sale.external_id, sale.source, sale.version,
                 sale.created_at.isoformat(), sale.updated_at.isoformat())
                for sale in sales
            ),
        )  # fmt: skip
        return
    Sale.objects.bulk_create(sales, batch_size=INSERT_BATCH)


def _schedule_attainment(tenant: Tenant, member_ids: Iterable[int], months: Iterable[str]):
    member_ids, months = sorted(set(member_ids)), sorted(set(months))
    if member_ids:
        enqueue_on_commit(ATTAINMENT_TASK, tenant, member_ids=member_ids, months=months)
    return member_ids, months


def _write(tenant: Tenant, plan: _Plan, *, need_ids: bool) -> SalesResult:
    try:
        with transaction.atomic():
            _insert(tenant, plan.created, need_ids=need_ids)
    except IntegrityError as exc:
        # Another import created one of these external ids after our read.
        raise ValidationError(
            {NON_FIELD_ERRORS: "Some of these sales were written by someone else at the same "
             "moment; nothing was saved. Try again."}
        ) from exc  # fmt: skip
    update_rows(
        Sale, tenant, plan.changed, ["member", "account", "amount", "closed_on", "version",
                                     "updated_at"]
    )  # fmt: skip
    member_ids, months = _schedule_attainment(tenant, plan.members, plan.months)
    return SalesResult(
        created=len(plan.created),
        updated=len(plan.changed),
        unchanged=len(plan.unchanged),
        member_ids=member_ids,
        months=months,
    )


@transaction.atomic
def sales_upsert_many(
    *, tenant: Tenant, actor, rows: Sequence[SaleRow], source: str = Sale.Source.IMPORT
) -> SalesResult:
    """Create the sales whose external id is new and update the others, all or nothing.

    Raises ``SaleRowsInvalid`` naming every bad row by index and field, with nothing
    written. Reads and writes in bulk: about ten statements for 10,000 sales, and one
    attainment job for every member and month they touch.
    """
    who = acting(tenant=tenant, actor=actor)
    if not rows:
        return SalesResult()
    plan, problems, _ = _plan(tenant, who, rows, source)
    if problems:
        raise SaleRowsInvalid(problems)
    return _write(tenant, plan, need_ids=False)


def _single_problems(problems: dict[int, dict[str, list[str]]], stale: Sale | None) -> None:
    if stale is not None:
        raise StaleVersion(stale)
    if problems:
        raise ValidationError(problems[0])


@transaction.atomic
def sale_upsert(
    *,
    tenant: Tenant,
    actor,
    external_id: str,
    member: Membership,
    account: Account,
    amount,
    closed_on: dt.date,
    source: str = Sale.Source.MANUAL,
    version: int | None = None,
) -> tuple[Sale, bool]:
    """Create the sale ``external_id`` or update the existing one; returns the sale and
    whether it was created. Raises ``PermissionDenied`` when ``actor`` may not record
    sales for ``member``, ``ValidationError`` by field, ``StaleVersion`` for a stale
    ``version``."""
    who = acting(tenant=tenant, actor=actor)
    if member.tenant_id == tenant.pk and not who.may_write_for(member.pk):
        raise PermissionDenied(who.refusal(member, own=OWN_SALES))
    row = SaleRow(
        external_id=external_id,
        member_id=member.pk if member.tenant_id == tenant.pk else -1,
        account_id=account.pk if account.tenant_id == tenant.pk else -1,
        amount=amount,
        closed_on=closed_on,
        version=version,
    )
    plan, problems, stale = _plan(tenant, who, [row], source)
    _single_problems(problems, stale)
    _write(tenant, plan, need_ids=True)
    sale = plan.by_index[0]
    return _fresh(tenant, sale), bool(plan.created)


def _fresh(tenant: Tenant, sale: Sale) -> Sale:
    return Sale.objects.select_related("member__user", "account").get(tenant=tenant, pk=sale.pk)


def _locked(tenant: Tenant, sale: Sale) -> Sale:
    if sale.tenant_id != tenant.pk:
        raise Sale.DoesNotExist("No such sale.")
    return (
        Sale.objects.select_for_update(of=("self",))
        .select_related("member__user")
        .get(tenant=tenant, pk=sale.pk)
    )


@transaction.atomic
def sale_update(
    *,
    tenant: Tenant,
    actor,
    sale: Sale,
    external_id: str,
    member: Membership,
    account: Account,
    amount,
    closed_on: dt.date,
    version: int | None = None,
) -> Sale:
    """Change the sale ``sale`` (its external id too: it must stay unique). Same checks
    and errors as ``sale_upsert``."""
    who = acting(tenant=tenant, actor=actor)
    current = _locked(tenant, sale)
    if not who.may_write_for(current.member_id):
        raise PermissionDenied(who.refusal(current.member, own=OWN_SALES))
    if member.tenant_id == tenant.pk and not who.may_write_for(member.pk):
        raise PermissionDenied(who.refusal(member, own=OWN_SALES))
    external_id = external_id.strip() if isinstance(external_id, str) else external_id
    if (
        isinstance(external_id, str)
        and external_id != current.external_id
        and Sale.objects.filter(tenant=tenant, external_id=external_id).exists()
    ):
        raise ValidationError(
            {"external_id": f"Another sale already has the external ID “{external_id}”."}
        )
    if version is not None and version != current.version:
        raise StaleVersion(_fresh(tenant, current))
    # Renaming the sale is writing it under its new external id: the row is found by it.
    if isinstance(external_id, str) and external_id != current.external_id:
        current.external_id = external_id
        current.save(update_fields=["external_id"])
    row = SaleRow(
        external_id=current.external_id,
        member_id=member.pk if member.tenant_id == tenant.pk else -1,
        account_id=account.pk if account.tenant_id == tenant.pk else -1,
        amount=amount,
        closed_on=closed_on,
    )
    plan, problems, stale = _plan(tenant, who, [row], current.source)
    _single_problems(problems, stale)
    _write(tenant, plan, need_ids=True)
    return _fresh(tenant, current)


@transaction.atomic
def sales_delete(
    *, tenant: Tenant, actor, sales: Iterable[Sale], version: int | None = None
) -> int:
    """Delete sales (a duplicate typed by hand, a deal the CRM reversed); returns how
    many. Each must be one the actor may write for; ``version`` (for one sale) must be
    current. Recorded in the audit log; attainment recomputed for their members."""
    who = acting(tenant=tenant, actor=actor)
    ids = sorted({sale.pk for sale in sales if sale.tenant_id == tenant.pk})
    locked = list(
        Sale.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk__in=ids)
        .select_related("member__user")
        .order_by("pk")
    )
    for sale in locked:
        if not who.may_write_for(sale.member_id):
            raise PermissionDenied(who.refusal(sale.member, own=OWN_SALES))
    if version is not None and len(locked) == 1 and locked[0].version != version:
        raise StaleVersion(_fresh(tenant, locked[0]))
    if not locked:
        return 0
    audit(
        tenant=tenant,
        actor=who.user,
        action="sales.deleted",
        obj=locked[0] if len(locked) == 1 else tenant,
        data={
            "count": len(locked),
            "external_ids": [sale.external_id for sale in locked[:100]],
        },
    )
    Sale.objects.filter(tenant=tenant, pk__in=[sale.pk for sale in locked]).delete()
    _schedule_attainment(
        tenant,
        (sale.member_id for sale in locked),
        (month_key(sale.closed_on) for sale in locked),
    )
    return len(locked)


def sale_delete(*, tenant: Tenant, actor, sale: Sale, version: int | None = None) -> None:
    """Delete one sale (see ``sales_delete``)."""
    if sales_delete(tenant=tenant, actor=actor, sales=[sale], version=version) == 0:
        raise Sale.DoesNotExist("No such sale.")
