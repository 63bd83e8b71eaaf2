"""Moving accounts between territories (now or on a future date) and editing them."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from spm.notifications.services import Message, notify
from spm.tenancy.models import Tenant
from spm.tenancy.services import audit

from ..models import (
    Account,
    AccountAssignment,
    Territory,
)
from ..selectors import active_territory_members
from ._common import HISTORY_BATCH, UPDATE_CHUNK, _check_tenant, _user


@dataclass
class AssignResult:
    moved: int = 0
    scheduled: int = 0
    unchanged: int = 0


def _notify_moves(
    *,
    tenant: Tenant,
    moves: list[tuple[int, int | None, int | None]],
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


def _apply_moves(
    *,
    tenant: Tenant,
    actor,
    moves: list[tuple[int, int | None, int | None]],
    effective_date: dt.date,
    source: str,
) -> None:
    """Write ``moves`` now: one UPDATE per target territory and chunk, history in bulk."""
    by_target: dict[int | None, list[int]] = defaultdict(list)
    for account_id, _, new in moves:
        by_target[new].append(account_id)
    now = timezone.now()
    for target, ids in by_target.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            Account.objects.filter(tenant=tenant, pk__in=ids[start : start + UPDATE_CHUNK]).update(
                territory_id=target, updated_at=now
            )
    AccountAssignment.all_tenants.bulk_create(
        [
            AccountAssignment(
                tenant=tenant,
                account_id=account_id,
                from_territory_id=old,
                to_territory_id=new,
                effective_date=effective_date,
                source=source,
                changed_by=_user(actor),
                applied_at=now,
            )
            for account_id, old, new in moves
        ],
        batch_size=HISTORY_BATCH,
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
        AccountAssignment.all_tenants.bulk_create(
            [
                AccountAssignment(
                    tenant=tenant,
                    account_id=account_id,
                    from_territory_id=old,
                    to_territory_id=new,
                    effective_date=effective_date,
                    source=source,
                    changed_by=_user(actor),
                )
                for account_id, old, new in moves
            ],
            batch_size=HISTORY_BATCH,
        )
        result.scheduled = len(moves)
    else:
        _apply_moves(
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
    _notify_moves(
        tenant=tenant, moves=moves, effective_date=effective_date, scheduled=bool(result.scheduled)
    )
    return result


def _territories_by_account(tenant: Tenant, ids: list[int]) -> dict[int, int | None]:
    current: dict[int, int | None] = {}
    for start in range(0, len(ids), UPDATE_CHUNK):
        current.update(
            Account.objects.filter(
                tenant=tenant, pk__in=ids[start : start + UPDATE_CHUNK]
            ).values_list("id", "territory_id")
        )
    return current


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
    creating = account is None
    account = account or Account(tenant=tenant)
    external_id = external_id.strip()
    country = country.strip().upper()
    errors: dict[str, str] = {}
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = "Use a two-letter country code, e.g. US."
    duplicate = Account.objects.filter(tenant=tenant, external_id=external_id)
    if not creating:
        duplicate = duplicate.exclude(pk=account.pk)
    if external_id and duplicate.exists():
        errors["external_id"] = f"Another account already has the external ID “{external_id}”."
    if errors:
        raise ValidationError(errors)
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
    target = territory.pk if territory else None
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
