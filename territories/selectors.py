"""Read queries for territories and accounts."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from spm.tenancy.models import Membership, Role, Tenant

from .models import Account, AssignmentRule, Territory, TerritoryMember, TerritoryRole
from .rules import RuleSpec


def territory_depths(*, tenant: Tenant) -> dict[int, int]:
    """Depth of every territory in the tree (roots are 0), from one query."""
    parents = dict(Territory.objects.filter(tenant=tenant).values_list("id", "parent_id"))
    depths: dict[int, int] = {}

    def depth(node: int, seen: frozenset = frozenset()) -> int:
        if node in depths:
            return depths[node]
        parent = parents.get(node)
        value = 0 if parent is None or parent in seen else depth(parent, seen | {node}) + 1
        depths[node] = value
        return value

    for node in parents:
        depth(node)
    return depths


def territory_tree(*, tenant: Tenant) -> list[tuple[Territory, int]]:
    """Territories in tree order (each parent followed by its children), with depths."""
    territories = list(Territory.objects.filter(tenant=tenant).order_by("name"))
    children: dict[int | None, list[Territory]] = defaultdict(list)
    ids = {t.pk for t in territories}
    for territory in territories:
        parent = territory.parent_id if territory.parent_id in ids else None
        children[parent].append(territory)
    ordered: list[tuple[Territory, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for node in children.get(parent, []):
            ordered.append((node, depth))
            walk(node.pk, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(*, tenant: Tenant, territory: Territory) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for node, parent in Territory.objects.filter(tenant=tenant).values_list("id", "parent_id"):
        if parent is not None:
            children[parent].append(node)
    found: set[int] = set()
    frontier = [territory.pk]
    while frontier:
        node = frontier.pop()
        for child in children.get(node, []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


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
