"""Moving accounts between territories (now or on a future date) and editing them.

A move is ``(account_id, from_territory_id, to_territory_id)``. Every move, whatever its
path (by hand, API, rules, import, schedule), is recorded by ``_history_rows`` — the one
place that builds ``AccountAssignment`` rows — and told to the reps by
``account_moves_notify``.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from spm.notifications.services import Message, notify
from spm.tenancy.bulk import copy_rows
from spm.tenancy.models import Tenant
from spm.tenancy.services import audit

from ..models import (
    Account,
    AccountAssignment,
    AccountImport,
    Territory,
)
from ..selectors import active_territory_members
from ._common import HISTORY_BATCH, UPDATE_CHUNK, Progress, _check_tenant, _user, no_progress

Move = tuple[int, int | None, int | None]


@dataclass
class AssignResult:
    moved: int = 0
    scheduled: int = 0
    unchanged: int = 0


def _history_rows(
    *,
    tenant: Tenant,
    actor,
    moves: Iterable[Move],
    effective_date: dt.date,
    source: str,
    applied_at: dt.datetime | None,
) -> None:
    """Append one ``AccountAssignment`` per move, in bulk. ``applied_at`` is None for a
    scheduled move (the daily job stamps it when the account moves).

    On PostgreSQL the rows are streamed with ``COPY``: 40,000 history rows take about a
    second, where ``bulk_create`` spent most of a big import building its statements.
    """
    changed_by = _user(actor)
    moves = list(moves)
    if not moves:
        return
    if connection.vendor == "postgresql":
        _copy_history_rows(
            tenant=tenant,
            changed_by_id=changed_by.pk if changed_by else None,
            moves=moves,
            effective_date=effective_date,
            source=source,
            applied_at=applied_at,
        )
        return
    AccountAssignment.objects.bulk_create(
        (
            AccountAssignment(
                tenant=tenant,
                account_id=account_id,
                from_territory_id=old,
                to_territory_id=new,
                effective_date=effective_date,
                source=source,
                changed_by=changed_by,
                applied_at=applied_at,
            )
            for account_id, old, new in moves
        ),
        batch_size=HISTORY_BATCH,
    )


HISTORY_COLUMNS = (
    "tenant_id", "account_id", "from_territory_id", "to_territory_id", "effective_date",
    "source", "changed_by_id", "created_at", "applied_at",
)  # fmt: skip


def _copy_history_rows(
    *,
    tenant: Tenant,
    changed_by_id: int | None,
    moves: list[Move],
    effective_date: dt.date,
    source: str,
    applied_at: dt.datetime | None,
) -> None:
    """``COPY`` the history rows in one stream (PostgreSQL's bulk load)."""
    now = timezone.now().isoformat()
    applied = applied_at.isoformat() if applied_at else None
    copy_rows(
        AccountAssignment,
        HISTORY_COLUMNS,
        (
            (tenant.pk, account_id, old, new, effective_date.isoformat(), source,
             changed_by_id, now, applied)
            for account_id, old, new in moves
        ),
    )  # fmt: skip


def account_moves_notify(
    *,
    tenant: Tenant,
    moves: list[Move],
    effective_date: dt.date,
    scheduled: bool,
) -> None:
    """Tell the reps of every territory that gains or loses accounts, one message each."""
    gained: dict[int, int] = defaultdict(int)
    lost: dict[int, int] = defaultdict(int)
    for _, old, new in moves:
        if new is not None:
            gained[new] += 1
        if old is not None:
            lost[old] += 1
    affected = set(gained) | set(lost)
    if not affected:
        return
    when = f"{effective_date:%A %d %B %Y}"
    verb = "will move" if scheduled else "moved"
    url = reverse("territories:mine")
    messages = []
    for link in active_territory_members(tenant=tenant, on=effective_date, territory_ids=affected):
        for counts, kind, direction in (
            (gained, "accounts.moved_in", "into"),
            (lost, "accounts.moved_out", "out of"),
        ):
            count = counts.get(link.territory_id)
            if not count:
                continue
            what = f"{count} account{'s' if count != 1 else ''} {verb} {direction} {link.territory.name}"
            messages.append(
                Message(
                    recipient=link.member,
                    kind=kind,
                    title=what,
                    body=f"Effective {when}, {what}.",
                    url=url,
                )
            )
    notify(tenant=tenant, messages=messages)


def account_moves_apply(
    *,
    tenant: Tenant,
    actor,
    moves: list[Move],
    effective_date: dt.date,
    source: str,
) -> None:
    """Write ``moves`` now: one UPDATE per target territory and chunk, history in bulk.

    The caller has checked the moves (same organisation, active targets) and holds the
    transaction; it tells the reps with ``account_moves_notify``.
    """
    by_target: dict[int | None, list[int]] = defaultdict(list)
    for account_id, _, new in moves:
        by_target[new].append(account_id)
    now = timezone.now()
    for target, ids in by_target.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            Account.objects.filter(tenant=tenant, pk__in=ids[start : start + UPDATE_CHUNK]).update(
                territory_id=target, updated_at=now
            )
    _history_rows(
        tenant=tenant,
        actor=actor,
        moves=moves,
        effective_date=effective_date,
        source=source,
        applied_at=now,
    )


@transaction.atomic
def accounts_assign(
    *,
    tenant: Tenant,
    actor,
    account_ids: Iterable[int],
    territory: Territory | None,
    effective_date: dt.date,
    source: str = AccountAssignment.Source.MANUAL,
) -> AssignResult:
    """Move accounts into ``territory`` (``None`` = unassign) as of ``effective_date``.

    A date after today (in the tenant's timezone) schedules the move: history rows are
    written now, the accounts move when the daily job reaches that date. Ids of another
    tenant are ignored like missing ones. A constant number of queries per target.
    """
    _check_tenant(tenant, territory)
    if territory is not None and not territory.active:
        raise ValidationError({"territory": f"{territory.name} is inactive; activate it first."})
    ids = sorted(set(account_ids))
    current = _territories_by_account(tenant, ids)
    target = territory.pk if territory else None
    moves = [(account_id, old, target) for account_id, old in current.items() if old != target]
    result = AssignResult(unchanged=len(current) - len(moves))
    if not moves:
        return result
    if effective_date > tenant.today():
        _history_rows(
            tenant=tenant,
            actor=actor,
            moves=moves,
            effective_date=effective_date,
            source=source,
            applied_at=None,
        )
        result.scheduled = len(moves)
    else:
        account_moves_apply(
            tenant=tenant, actor=actor, moves=moves, effective_date=effective_date, source=source
        )
        result.moved = len(moves)
    audit(
        tenant=tenant,
        actor=actor,
        action="accounts.assigned",
        obj=territory or tenant,
        data={
            "accounts": len(moves),
            "effective_date": effective_date.isoformat(),
            "scheduled": bool(result.scheduled),
            "source": source,
        },
    )
    account_moves_notify(
        tenant=tenant, moves=moves, effective_date=effective_date, scheduled=bool(result.scheduled)
    )
    return result


def _territories_by_account(tenant: Tenant, ids: list[int]) -> dict[int, int | None]:
    """Each account's territory, read under a row lock taken in primary-key order.

    Two moves of one account at once serialise on the lock: the second reads where the
    first put the account, so the history chain (``from`` = the previous ``to``) and the
    reps' notices stay true; taking locks in one order means no two moves deadlock.
    """
    current: dict[int, int | None] = {}
    for start in range(0, len(ids), UPDATE_CHUNK):
        current.update(
            Account.objects.select_for_update()
            .filter(tenant=tenant, pk__in=ids[start : start + UPDATE_CHUNK])
            .order_by("pk")
            .values_list("id", "territory_id")
        )
    return current


def account_check(
    *,
    tenant: Tenant,
    account: Account | None,
    external_id: str,
    country: str,
    territory: Territory | None,
    territory_changes: bool = True,
) -> None:
    """Raise ``ValidationError`` (by field) unless these values can be saved for
    ``account`` (``None``: a new one). The admin form calls it to show the same messages."""
    _check_tenant(tenant, account)
    errors: dict[str, str] = {}
    country = country.strip()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = "Use a two-letter country code, e.g. US."
    external_id = external_id.strip()
    duplicate = Account.objects.filter(tenant=tenant, external_id=external_id)
    if account is not None and account.pk:
        duplicate = duplicate.exclude(pk=account.pk)
    if external_id and duplicate.exists():
        errors["external_id"] = f"Another account already has the external ID “{external_id}”."
    if territory is not None and territory_changes:
        if territory.tenant_id != tenant.pk:
            errors["territory"] = "Choose a territory of the same organisation."
        elif not territory.active:
            errors["territory"] = (
                f"{territory.name} is inactive; activate it first or choose another."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_save(
    *,
    tenant: Tenant,
    actor,
    account: Account | None = None,
    name: str,
    external_id: str,
    industry: str = "",
    country: str = "",
    region: str = "",
    postal_code: str = "",
    annual_potential: Decimal = Decimal("0.00"),
    territory: Territory | None = None,
    source: str = AccountAssignment.Source.MANUAL,
) -> Account:
    """Create an account, or change one, and place it in ``territory`` (``None`` = none).

    The external id is unique in the organisation. A change of territory goes through
    ``accounts_assign`` as of today, so it is recorded in the history and the reps
    are told; an inactive territory refuses it and nothing is saved.
    """
    _check_tenant(tenant, account, territory)
    target = territory.pk if territory else None
    account_check(
        tenant=tenant,
        account=account,
        external_id=external_id,
        country=country,
        territory=territory,
        territory_changes=account is None or target != account.territory_id,
    )
    creating = account is None
    account = account or Account(tenant=tenant)
    external_id = external_id.strip()
    country = country.strip().upper()
    account.name, account.external_id, account.industry = name.strip(), external_id, industry
    account.country, account.region, account.postal_code = country, region, postal_code
    account.annual_potential = annual_potential
    account.full_clean(exclude=["tenant", "territory"])
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:  # Another request took the external id meanwhile.
        raise ValidationError(
            {"external_id": f"Another account already has the external ID “{external_id}”."}
        ) from exc
    audit(
        tenant=tenant,
        actor=actor,
        action="account.created" if creating else "account.changed",
        obj=account,
        data={"external_id": account.external_id, "name": account.name},
    )
    if target != account.territory_id:
        accounts_assign(
            tenant=tenant,
            actor=actor,
            account_ids=[account.pk],
            territory=territory,
            effective_date=tenant.today(),
            source=source,
        )
        account.territory = territory
    return account


def accounts_write_changes(
    *,
    tenant: Tenant,
    accounts: list[Account],
    fields: list[str],
    written: Callable[[int], None] | None = None,
) -> None:
    """Write ``fields`` of already-changed ``accounts`` (and ``updated_at``) in bulk.

    On PostgreSQL one ``UPDATE … FROM (VALUES …)`` per chunk of ``UPDATE_CHUNK`` rows:
    40,000 changed accounts cost 8 statements and about a second, where Django's
    ``bulk_update`` builds a ``CASE`` per field and row and took half a minute. Elsewhere
    (SQLite), ``bulk_update`` per chunk. After each chunk, ``written`` (if given) gets the
    number of accounts written so far. The caller validated the values and holds the
    transaction.
    """
    if not accounts:
        return
    now = timezone.now()
    for account in accounts:
        account.updated_at = now
    fields = [*fields, "updated_at"]
    if connection.vendor != "postgresql":
        for start in range(0, len(accounts), UPDATE_CHUNK):
            chunk = accounts[start : start + UPDATE_CHUNK]
            Account.objects.bulk_update(chunk, fields, batch_size=HISTORY_BATCH)
            if written:
                written(start + len(chunk))
        return
    model_fields = [Account._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}::{field.db_type(connection)}"
        for field in model_fields
    )
    columns = ", ".join(quote(field.column) for field in model_fields)
    sql = (
        f"UPDATE {quote(Account._meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES %s) AS v(id, {columns}) "
        f"WHERE t.id = v.id AND t.tenant_id = {int(tenant.pk)}"
    )
    rows = [
        (account.pk, *(getattr(account, field.attname) for field in model_fields))
        for account in accounts
    ]
    placeholder = "(" + ", ".join(["%s"] * (len(model_fields) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPDATE_CHUNK):
            # psycopg2 quotes each row; Django's cursor runs (and counts) the statement.
            chunk = rows[start : start + UPDATE_CHUNK]
            values = b",".join(cursor.cursor.mogrify(placeholder, row) for row in chunk).decode()
            cursor.execute(sql.replace("%s", values, 1))
            if written:
                written(start + len(chunk))


@dataclass(frozen=True)
class AccountRow:
    """One account of a bulk write, already validated (``csv_io`` checks each cell)."""

    external_id: str
    name: str
    industry: str = ""
    country: str = ""
    region: str = ""
    postal_code: str = ""
    annual_potential: Decimal | None = None  # None: keep the stored one (0 for a new one).
    territory_id: int | None = None  # None: a new account stays unassigned, an old one stays.


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0


UPSERT_FIELDS = ["name", "industry", "country", "region", "postal_code"]


@transaction.atomic
def accounts_upsert(
    *,
    tenant: Tenant,
    actor,
    rows: list[AccountRow],
    source: str = AccountAssignment.Source.IMPORT,
    progress: Progress = no_progress,
) -> UpsertResult:
    """Create the accounts whose external id is new and update the others, in bulk.

    Rows are matched by ``external_id`` (unique per organisation), so writing the same
    rows twice changes nothing the second time. A row's territory moves its account as of
    today, recorded in the history and told to the reps like any other move. Territory
    ids outside the organisation or inactive are refused and nothing is written. Reads
    and writes in chunks: a constant number of statements per 5,000 accounts, each chunk
    reported to ``progress`` (steps ``read``, ``write``, then ``record``).
    """
    territory_ids = {row.territory_id for row in rows if row.territory_id is not None}
    usable = set(
        Territory.objects.filter(tenant=tenant, pk__in=territory_ids, active=True).values_list(
            "pk", flat=True
        )
    )
    if territory_ids - usable:
        raise ValidationError({"territory": "Choose active territories of this organisation."})
    external_ids = [row.external_id for row in rows]
    existing: dict[str, Account] = {}
    for start in range(0, len(external_ids), UPDATE_CHUNK):
        chunk = external_ids[start : start + UPDATE_CHUNK]
        # Locked like ``accounts_assign`` does, so a move at the same moment waits.
        for account in (
            Account.objects.select_for_update()
            .filter(tenant=tenant, external_id__in=chunk)
            .order_by("pk")
        ):
            existing[account.external_id] = account
        progress(AccountImport.Step.READ, start + len(chunk), len(external_ids))

    result = UpsertResult()
    to_create: list[Account] = []
    to_write: list[Account] = []  # Changed, moved, or both.
    moves: list[Move] = []
    placements: list[tuple[Account, int]] = []
    for row in rows:
        account = existing.get(row.external_id)
        if account is None:
            account = Account(
                tenant=tenant, external_id=row.external_id, territory_id=row.territory_id
            )
            for name in UPSERT_FIELDS:
                setattr(account, name, getattr(row, name))
            if row.annual_potential is not None:
                account.annual_potential = row.annual_potential
            to_create.append(account)
            if row.territory_id is not None:
                placements.append((account, row.territory_id))
            continue
        changed = False
        for name in UPSERT_FIELDS:
            if getattr(account, name) != getattr(row, name):
                setattr(account, name, getattr(row, name))
                changed = True
        if row.annual_potential is not None and account.annual_potential != row.annual_potential:
            account.annual_potential = row.annual_potential
            changed = True
        moving = row.territory_id is not None and row.territory_id != account.territory_id
        if moving:
            moves.append((account.pk, account.territory_id, row.territory_id))
            account.territory_id = row.territory_id
        if changed:
            result.updated += 1
        if changed or moving:
            to_write.append(account)
        else:
            result.unchanged += 1

    now = timezone.now()
    writing = len(to_create) + len(to_write)
    for start in range(0, len(to_create), UPDATE_CHUNK):
        chunk = to_create[start : start + UPDATE_CHUNK]
        Account.objects.bulk_create(chunk, batch_size=HISTORY_BATCH)
        progress(AccountImport.Step.WRITE, start + len(chunk), writing)
    # Changes and moves in one statement per chunk: the territory is one more column.
    accounts_write_changes(
        tenant=tenant,
        accounts=to_write,
        fields=[*UPSERT_FIELDS, "annual_potential", "territory"],
        written=lambda count: progress(AccountImport.Step.WRITE, len(to_create) + count, writing),
    )
    progress(AccountImport.Step.RECORD, 0, 1)
    new_moves: list[Move] = [(account.pk, None, target) for account, target in placements]
    today = tenant.today()
    _history_rows(
        tenant=tenant,
        actor=actor,
        moves=moves + new_moves,
        effective_date=today,
        source=source,
        applied_at=now,
    )
    all_moves = moves + new_moves
    account_moves_notify(tenant=tenant, moves=all_moves, effective_date=today, scheduled=False)
    result.created, result.moved = len(to_create), len(all_moves)
    audit(
        tenant=tenant,
        actor=actor,
        action="accounts.imported",
        obj=tenant,
        data={"created": result.created, "updated": result.updated, "moved": result.moved},
    )
    return result


@transaction.atomic
def scheduled_assignments_apply(*, tenant: Tenant, today: dt.date | None = None) -> int:
    """Make the scheduled moves whose effective date has come. Idempotent.

    Rows are claimed by stamping ``applied_at`` on rows that have none, so two runs
    never apply the same move twice. The latest scheduled move of an account wins.
    """
    today = today or tenant.today()
    due = list(
        AccountAssignment.objects.select_for_update()
        .filter(tenant=tenant, applied_at__isnull=True, effective_date__lte=today)
        .order_by("effective_date", "created_at", "pk")
        .values_list("pk", "account_id", "to_territory_id")
    )
    if not due:
        return 0
    final: dict[int, int | None] = {}
    for _, account_id, target in due:
        final[account_id] = target
    by_target: dict[int | None, list[int]] = defaultdict(list)
    for account_id, target in final.items():
        by_target[target].append(account_id)
    now = timezone.now()
    for target, ids in by_target.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            Account.objects.filter(tenant=tenant, pk__in=ids[start : start + UPDATE_CHUNK]).update(
                territory_id=target, updated_at=now
            )
    pks = [pk for pk, _, _ in due]
    for start in range(0, len(pks), UPDATE_CHUNK):
        AccountAssignment.objects.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(
            applied_at=now
        )
    return len(due)
