"""Every write to territories, their members, accounts and assignment rules.

Invariants:
- an account is in at most one territory (one nullable column);
- every change of an account's territory appends an ``AccountAssignment`` in the same
  transaction; a future effective date schedules the move instead of making it;
- a territory has at most one owner on any date (checked here under a row lock, and by
  an exclusion constraint on PostgreSQL);
- reps are notified when they join or leave a territory and when accounts move in or out.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit

from . import rules as engine
from .models import (
    Account,
    AccountAssignment,
    AssignmentRule,
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from .selectors import account_rows, active_territory_members, descendant_ids, rule_specs

# One UPDATE per chunk of account ids: 5,000 ids keep each statement well below
# SQLite's 32,766-parameter limit and PostgreSQL's comfortable statement size, so
# 50,000 moves into one territory cost 10 statements.
UPDATE_CHUNK = 5_000
# History rows are inserted 2,000 at a time (≈ 8 columns × 2,000 parameters).
HISTORY_BATCH = 2_000


def _check_tenant(tenant: Tenant, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant.pk:
            raise obj.DoesNotExist(f"No such {type(obj).__name__.lower()}.")


# --- Territories ----------------------------------------------------------------


def territory_save(
    *,
    tenant: Tenant,
    actor,
    territory: Territory | None = None,
    name: str,
    parent: Territory | None = None,
    description: str = "",
    active: bool = True,
) -> Territory:
    """Create a territory, or change one, keeping the tree a tree."""
    _check_tenant(tenant, territory, parent)
    creating = territory is None
    territory = territory or Territory(tenant=tenant)
    if (
        parent is not None
        and not creating
        and (
            parent.pk == territory.pk
            or parent.pk in descendant_ids(tenant=tenant, territory=territory)
        )
    ):
        raise ValidationError(
            {"parent": "A territory cannot sit inside itself or its own sub-territories."}
        )
    territory.name = name.strip()
    territory.parent = parent
    territory.description = description
    territory.active = active
    territory.full_clean(exclude=["tenant"])
    with transaction.atomic():
        try:
            territory.save()
        except IntegrityError as exc:
            raise ValidationError({"name": "A territory with this name already exists."}) from exc
        audit(
            tenant=tenant,
            actor=actor,
            action="territory.created" if creating else "territory.changed",
            obj=territory,
            data={"name": territory.name, "parent": parent.pk if parent else None},
        )
    return territory


# --- Territory members ----------------------------------------------------------------


def territory_member_check(
    *,
    tenant: Tenant,
    territory: Territory,
    member: Membership,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None,
    exclude: TerritoryMember | None = None,
) -> None:
    """Raise ``ValidationError`` unless this assignment can be recorded."""
    _check_tenant(tenant, territory, member)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "The end date must be on or after the start date."})
    overlapping = TerritoryMember.objects.filter(tenant=tenant, territory=territory).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    )
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lte=end_date)
    if exclude is not None and exclude.pk:
        overlapping = overlapping.exclude(pk=exclude.pk)
    same_member = overlapping.filter(member=member).first()
    if same_member is not None:
        raise ValidationError(
            {
                "member": f"{member.name} is already on {territory.name} from {same_member.start_date:%d %b %Y}."
            }
        )
    if role == TerritoryRole.OWNER:
        owner = overlapping.filter(role=TerritoryRole.OWNER).select_related("member__user").first()
        if owner is not None:
            until = f" until {owner.end_date:%d %b %Y}" if owner.end_date else ""
            raise ValidationError(
                {
                    "role": f"{territory.name} already has an owner on those dates: "
                    f"{owner.member.name} from {owner.start_date:%d %b %Y}{until}. "
                    "End that assignment first, or add this person as an overlay."
                }
            )


@transaction.atomic
def territory_member_add(
    *,
    tenant: Tenant,
    actor,
    territory: Territory,
    member: Membership,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> TerritoryMember:
    """Put ``member`` on ``territory`` and tell them."""
    # Locking the territory serialises concurrent additions, so the owner check holds.
    Territory.objects.select_for_update().filter(tenant=tenant, pk=territory.pk).first()
    territory_member_check(
        tenant=tenant,
        territory=territory,
        member=member,
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
    link = TerritoryMember(
        tenant=tenant,
        territory=territory,
        member=member,
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:  # The PostgreSQL exclusion constraint.
        raise ValidationError(
            {"role": f"{territory.name} already has an owner on those dates."}
        ) from exc
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.added",
        obj=link,
        data={
            "territory": territory.pk,
            "member": member.pk,
            "role": role,
            "start_date": start_date.isoformat(),
        },
    )
    notify(
        tenant=tenant,
        messages=[
            Message(
                recipient=member,
                kind="territory.added",
                title=f"You are now {link.get_role_display().lower()} of {territory.name}",
                body=f"From {start_date:%A %d %B %Y}"
                + (f" to {end_date:%A %d %B %Y}" if end_date else "")
                + f" you work {territory.name} as {link.get_role_display().lower()}.",
                url=reverse("territories:mine"),
            )
        ],
    )
    return link


@transaction.atomic
def territory_member_update(
    *,
    tenant: Tenant,
    actor,
    link: TerritoryMember,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None,
) -> TerritoryMember:
    _check_tenant(tenant, link)
    Territory.objects.select_for_update().filter(tenant=tenant, pk=link.territory_id).first()
    territory_member_check(
        tenant=tenant,
        territory=link.territory,
        member=link.member,
        role=role,
        start_date=start_date,
        end_date=end_date,
        exclude=link,
    )
    ended = end_date is not None and link.end_date != end_date
    link.role, link.start_date, link.end_date = role, start_date, end_date
    link.save(update_fields=["role", "start_date", "end_date"])
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.changed",
        obj=link,
        data={
            "role": role,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
        },
    )
    if ended:
        _notify_removed(tenant=tenant, link=link)
    return link


def _notify_removed(*, tenant: Tenant, link: TerritoryMember) -> None:
    notify(
        tenant=tenant,
        messages=[
            Message(
                recipient=link.member,
                kind="territory.removed",
                title=f"You leave {link.territory.name}",
                body=f"Your assignment to {link.territory.name} ends on {link.end_date:%A %d %B %Y}.",
                url=reverse("territories:mine"),
            )
        ],
    )


@transaction.atomic
def territory_member_end(
    *, tenant: Tenant, actor, link: TerritoryMember, end_date: dt.date
) -> TerritoryMember:
    """Take a member off a territory from ``end_date`` on. The row stays as history."""
    _check_tenant(tenant, link)
    if end_date < link.start_date:
        raise ValidationError(
            {
                "end_date": f"The assignment starts on {link.start_date:%d %b %Y}; end it on or after that day."
            }
        )
    link.end_date = end_date
    link.save(update_fields=["end_date"])
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.ended",
        obj=link,
        data={"end_date": link.end_date.isoformat()},
    )
    _notify_removed(tenant=tenant, link=link)
    return link


# --- Moving accounts ----------------------------------------------------------------


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
    verb_in = "will move" if scheduled else "moved"
    messages = []
    for link in active_territory_members(tenant=tenant, on=effective_date, territory_ids=affected):
        name = link.territory.name
        if gained.get(link.territory_id):
            count = gained[link.territory_id]
            messages.append(
                Message(
                    recipient=link.member,
                    kind="accounts.moved_in",
                    title=f"{count} account{'s' if count != 1 else ''} {verb_in} into {name}",
                    body=f"Effective {when}, {count} account{'s' if count != 1 else ''} "
                    f"{verb_in} into {name}.",
                    url=reverse("territories:mine"),
                )
            )
        if lost.get(link.territory_id):
            count = lost[link.territory_id]
            messages.append(
                Message(
                    recipient=link.member,
                    kind="accounts.moved_out",
                    title=f"{count} account{'s' if count != 1 else ''} {verb_in} out of {name}",
                    body=f"Effective {when}, {count} account{'s' if count != 1 else ''} "
                    f"{verb_in} out of {name}.",
                    url=reverse("territories:mine"),
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


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


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


# --- Assignment rules ----------------------------------------------------------------


def assignment_rule_save(
    *,
    tenant: Tenant,
    actor,
    rule: AssignmentRule | None = None,
    territory: Territory,
    field: str,
    operator: str,
    value: str,
    value_to: str = "",
    priority: int = 100,
    active: bool = True,
) -> AssignmentRule:
    _check_tenant(tenant, rule, territory)
    spec = engine.RuleSpec(
        territory_id=territory.pk,
        field=field,
        operator=operator,
        value=value,
        value_to=value_to,
        priority=priority,
    )
    errors = engine.rule_errors(spec)
    if errors:
        raise ValidationError(errors)
    creating = rule is None
    rule = rule or AssignmentRule(tenant=tenant)
    rule.territory, rule.field, rule.operator = territory, field, operator
    rule.value, rule.value_to, rule.priority, rule.active = (
        value.strip(),
        value_to.strip(),
        priority,
        active,
    )
    rule.full_clean(exclude=["tenant"])
    with transaction.atomic():
        rule.save()
        audit(
            tenant=tenant,
            actor=actor,
            action="assignment_rule.created" if creating else "assignment_rule.changed",
            obj=rule,
            data={"rule": str(rule)},
        )
    return rule


def assignment_rules_preview(
    *, tenant: Tenant, only_unassigned: bool = False, account_ids=None
) -> engine.Plan:
    """What applying the rules would do now. Reads only; changes nothing.

    ``account_ids`` (ids or a queryset of ids) limits the plan to those accounts.
    """
    rows = account_rows(tenant=tenant, only_unassigned=only_unassigned, account_ids=account_ids)
    frame = engine.accounts_frame(list(rows))
    return engine.evaluate(frame, rule_specs(tenant=tenant))


@transaction.atomic
def assignment_rules_apply(
    *,
    tenant: Tenant,
    actor,
    only_unassigned: bool = False,
    effective_date: dt.date | None = None,
    account_ids=None,
) -> engine.Plan:
    """Apply the rules to all accounts (or only unassigned ones, or ``account_ids``) in bulk.

    Conflicting accounts stay where they are and are listed in the returned plan.
    Costs a constant number of queries plus one UPDATE per target territory and chunk.
    """
    effective_date = effective_date or tenant.today()
    plan = assignment_rules_preview(
        tenant=tenant, only_unassigned=only_unassigned, account_ids=account_ids
    )
    if plan.moves:
        if effective_date > tenant.today():
            raise ValidationError({"effective_date": "Rules apply from today or an earlier date."})
        _apply_moves(
            tenant=tenant,
            actor=actor,
            moves=plan.moves,
            effective_date=effective_date,
            source=AccountAssignment.Source.RULES,
        )
        _notify_moves(
            tenant=tenant, moves=plan.moves, effective_date=effective_date, scheduled=False
        )
    audit(
        tenant=tenant,
        actor=actor,
        action="assignment_rules.applied",
        obj=tenant,
        data={
            "moved": len(plan.moves),
            "conflicts": len(plan.conflicts),
            "only_unassigned": only_unassigned,
        },
    )
    return plan
