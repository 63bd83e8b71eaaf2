"""Read queries for territories and accounts."""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from spm.tenancy.models import Membership, Role, Tenant

from .models import (
    Account,
    AccountAssignment,
    AssignmentRule,
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from .rules import RuleSpec
from .tree import pairs_order, tree_order


def _parent_pairs(tenant: Tenant) -> list[tuple[int, int | None]]:
    return list(Territory.objects.filter(tenant=tenant).values_list("id", "parent_id"))


def territory_depths(*, tenant: Tenant) -> dict[int, int]:
    """Depth of every territory in the tree (roots are 0), from one query."""
    return dict(pairs_order(_parent_pairs(tenant)))


def territory_tree(*, tenant: Tenant) -> list[tuple[Territory, int]]:
    """Territories in tree order (each parent followed by its children, by name), with
    depths, from one query."""
    return tree_order(
        Territory.objects.filter(tenant=tenant).order_by("name"),
        key=lambda territory: territory.pk,
        parent=lambda territory: territory.parent_id,
    )


def descendant_ids(*, tenant: Tenant, territory: Territory) -> set[int]:
    """Every territory below ``territory``, at any depth, from one query."""
    return {node_id for node_id, _ in pairs_order(_parent_pairs(tenant), root=territory.pk)}


# The longest search text worth running: nobody types 100 characters to find an account,
# and longer patterns only make slower queries.
ACCOUNT_SEARCH_MAX_LENGTH = 100


def account_search(accounts: QuerySet[Account], text: str) -> QuerySet[Account]:
    """Accounts whose name, external ID or industry contains ``text``, or whose postal code
    starts with it (ignoring case). The one search of the accounts page, the API and the
    admin, so they all find the same accounts."""
    text = text.strip()[:ACCOUNT_SEARCH_MAX_LENGTH]
    if not text:
        return accounts
    return accounts.filter(
        Q(name__icontains=text)
        | Q(external_id__icontains=text)
        | Q(industry__icontains=text)
        | Q(postal_code__istartswith=text)
    )


def territories_with_stats(*, tenant: Tenant) -> QuerySet[Territory]:
    """Territories annotated with ``account_count`` and ``total_potential`` (one query)."""
    return Territory.objects.filter(tenant=tenant).annotate(
        account_count=Count("accounts", distinct=True),
        total_potential=Coalesce(Sum("accounts__annual_potential"), Value(Decimal("0.00"))),
    )


def active_territory_members(
    *, tenant: Tenant, on: dt.date, territory_ids: set[int] | None = None
) -> QuerySet[TerritoryMember]:
    members = TerritoryMember.objects.filter(tenant=tenant, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )
    if territory_ids is not None:
        members = members.filter(territory_id__in=territory_ids)
    return members.select_related("member__user", "territory")


def territories_of_member(
    *, tenant: Tenant, member: Membership, on: dt.date
) -> QuerySet[Territory]:
    ids = (
        active_territory_members(tenant=tenant, on=on).filter(member=member).values("territory_id")
    )
    return territories_with_stats(tenant=tenant).filter(pk__in=ids)


def accounts_visible_to(*, tenant: Tenant, viewer: Membership, on: dt.date) -> QuerySet[Account]:
    """Accounts a member may read: all for admins and managers, their territories' for reps."""
    accounts = Account.objects.filter(tenant=tenant).select_related("territory")
    if viewer.role == Role.REP:
        ids = (
            active_territory_members(tenant=tenant, on=on)
            .filter(member=viewer)
            .values("territory_id")
        )
        accounts = accounts.filter(territory_id__in=ids)
    return accounts


def rule_specs(*, tenant: Tenant) -> list[RuleSpec]:
    """The active rules of active territories, as the engine's input."""
    return [
        RuleSpec(
            territory_id=rule.territory_id,
            field=rule.field,
            operator=rule.operator,
            value=rule.value,
            value_to=rule.value_to,
            priority=rule.priority,
        )
        for rule in AssignmentRule.objects.filter(
            tenant=tenant, active=True, territory__active=True
        ).order_by("priority", "pk")
    ]


def account_rows(*, tenant: Tenant, only_unassigned: bool = False, account_ids=None):
    accounts = Account.objects.filter(tenant=tenant)
    if only_unassigned:
        accounts = accounts.filter(territory__isnull=True)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return accounts.order_by("pk").values_list(
        "id", "territory_id", "country", "region", "postal_code", "industry", "annual_potential"
    )


@dataclass
class BalanceRow:
    territory: Territory
    depth: int
    account_count: int
    total_potential: Decimal
    owners: list[Membership]
    potential_per_owner: Decimal | None
    deviation_pct: Decimal | None  # vs the mean potential per owner, e.g. +31.5
    flagged: bool


BALANCE_TOLERANCE_PCT = Decimal("25")


def territory_balance(*, tenant: Tenant, on: dt.date) -> tuple[list[BalanceRow], Decimal | None]:
    """Per territory: accounts, potential, owners and potential per owner, flagging
    territories more than 25% above or below the mean potential per owner.

    Territories without an owner have no potential per owner and are not part of the
    mean; they are flagged separately by having no owners. Three queries in all.
    """
    depths = territory_depths(tenant=tenant)
    territories = list(territories_with_stats(tenant=tenant).filter(active=True).order_by("name"))
    owners: dict[int, list[Membership]] = defaultdict(list)
    for link in active_territory_members(tenant=tenant, on=on).filter(role=TerritoryRole.OWNER):
        owners[link.territory_id].append(link.member)

    per_owner: dict[int, Decimal] = {}
    for territory in territories:
        if owners[territory.pk]:
            per_owner[territory.pk] = (
                territory.total_potential / len(owners[territory.pk])
            ).quantize(Decimal("0.01"))
    mean = (
        (sum(per_owner.values(), Decimal(0)) / len(per_owner)).quantize(Decimal("0.01"))
        if per_owner
        else None
    )
    rows = []
    for territory in territories:
        value = per_owner.get(territory.pk)
        deviation = None
        if value is not None and mean:
            deviation = ((value - mean) / mean * 100).quantize(Decimal("0.1"))
        rows.append(
            BalanceRow(
                territory=territory,
                depth=depths.get(territory.pk, 0),
                account_count=territory.account_count,
                total_potential=territory.total_potential,
                owners=owners[territory.pk],
                potential_per_owner=value,
                deviation_pct=deviation,
                flagged=deviation is not None and abs(deviation) > BALANCE_TOLERANCE_PCT,
            )
        )
    return rows, mean


def territories_defined(*, tenant: Tenant) -> bool:
    """Whether the organisation has a territory and an account (the admin's setup step)."""
    return (
        Territory.objects.filter(tenant=tenant).exists()
        and Account.objects.filter(tenant=tenant).exists()
    )


# --- Dashboard cards (``plugin.py``) ----------------------------------------------------


@dataclass(frozen=True)
class WorkedTerritory:
    """A territory a rep works today, with their role in it and what it holds."""

    territory_id: int
    name: str
    role: str  # A ``TerritoryRole`` value: owner if the rep is both owner and overlay.
    account_count: int
    total_potential: Decimal

    @property
    def role_label(self) -> str:
        return TerritoryRole(self.role).label


@dataclass(frozen=True)
class RepTerritoriesCard:
    territories: list[WorkedTerritory]
    total_accounts: int
    total_potential: Decimal


def rep_territories_card(*, tenant: Tenant, viewer: Membership) -> RepTerritoriesCard:
    """The territories ``viewer`` works today (those of their territories page), each once,
    with their role, account count and total annual potential. Two queries, whatever the
    number of territories and accounts."""
    today = tenant.today()
    roles: dict[int, str] = {}
    links = active_territory_members(tenant=tenant, on=today).filter(member=viewer)
    for territory_id, role in links.values_list("territory_id", "role"):
        if roles.get(territory_id) != TerritoryRole.OWNER:  # Owner wins over overlay.
            roles[territory_id] = role
    territories = [
        WorkedTerritory(
            territory_id=territory.pk,
            name=territory.name,
            role=roles.get(territory.pk, TerritoryRole.OVERLAY),
            account_count=territory.account_count,
            total_potential=territory.total_potential,
        )
        for territory in territories_of_member(tenant=tenant, member=viewer, on=today).order_by(
            "name", "pk"
        )
    ]
    return RepTerritoriesCard(
        territories=territories,
        total_accounts=sum(t.account_count for t in territories),
        total_potential=sum((t.total_potential for t in territories), Decimal("0.00")),
    )


@dataclass(frozen=True)
class TerritoriesOverviewCard:
    territories: int  # Active ones, as in the balance report.
    accounts: int
    unassigned_accounts: int


def territories_overview_card(*, tenant: Tenant, viewer: Membership) -> TerritoriesOverviewCard:
    """The organisation's territories and accounts, and how many accounts no territory
    holds yet (admins and managers). Two queries, whatever the size."""
    territories = Territory.objects.filter(tenant=tenant, active=True).count()
    accounts = Account.objects.filter(tenant=tenant).aggregate(
        total=Count("pk"), unassigned=Count("pk", filter=Q(territory__isnull=True))
    )
    return TerritoriesOverviewCard(
        territories=territories,
        accounts=accounts["total"],
        unassigned_accounts=accounts["unassigned"],
    )


# --- Where an account was on a date (the assignment history) -----------------------------

# Accounts are looked up this many ids per query: well below SQLite's 32,766 parameters,
# so 10,000 accounts cost two reads of their history.
HISTORY_READ_CHUNK = 5_000


def account_territories_on(
    *,
    tenant: Tenant,
    pairs: Iterable[tuple[int, dt.date]],
    current: Mapping[int, int | None] | None = None,
) -> dict[tuple[int, dt.date], int | None]:
    """The territory (id, or ``None`` for none) each account was in on each date, for
    ``(account_id, date)`` pairs, read from the assignment history:

    - the latest move whose effective date is on or before the date wins; moves with the
      same effective date count in the order they were recorded (the order in which the
      daily job applies scheduled ones);
    - before its first recorded move, the account was where that move took it from;
    - an account without any history has always been in its current territory;
    - an id of no account of ``tenant`` maps to ``None``.

    ``current`` gives the current territory of accounts the caller has read already (with
    the sales or activities it checks): those are not read again.

    Two queries per 5,000 accounts, whatever the number of dates; one when ``current``
    covers every account.
    """
    pairs = set(pairs)
    ids = sorted({account_id for account_id, _ in pairs})
    dates: dict[int, list[dt.date]] = defaultdict(list)
    targets: dict[int, list[int | None]] = defaultdict(list)
    first_from: dict[int, int | None] = {}
    for start in range(0, len(ids), HISTORY_READ_CHUNK):
        moves = (
            AccountAssignment.objects.filter(
                tenant=tenant, account_id__in=ids[start : start + HISTORY_READ_CHUNK]
            )
            .order_by("account_id", "effective_date", "created_at", "pk")
            .values_list("account_id", "effective_date", "from_territory_id", "to_territory_id")
        )
        for account_id, effective_date, from_id, to_id in moves:
            first_from.setdefault(account_id, from_id)
            dates[account_id].append(effective_date)
            targets[account_id].append(to_id)
    known = dict(current or {})
    without_history = [
        account_id for account_id in ids if account_id not in first_from and account_id not in known
    ]
    now_in = {account_id: known[account_id] for account_id in ids if account_id in known}
    for start in range(0, len(without_history), HISTORY_READ_CHUNK):
        now_in.update(
            Account.objects.filter(
                tenant=tenant, pk__in=without_history[start : start + HISTORY_READ_CHUNK]
            ).values_list("pk", "territory_id")
        )
    found: dict[tuple[int, dt.date], int | None] = {}
    for account_id, day in pairs:
        if account_id not in first_from:
            found[(account_id, day)] = now_in.get(account_id)
            continue
        moved = bisect_right(dates[account_id], day)
        found[(account_id, day)] = (
            targets[account_id][moved - 1] if moved else first_from[account_id]
        )
    return found


def account_territory_on(
    *, tenant: Tenant, account_ids: Iterable[int], day: dt.date
) -> dict[int, int | None]:
    """The territory each account was in on ``day`` (see ``account_territories_on``)."""
    found = account_territories_on(
        tenant=tenant, pairs=((account_id, day) for account_id in account_ids)
    )
    return {account_id: territory_id for (account_id, _), territory_id in found.items()}
