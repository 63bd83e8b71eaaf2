"""Encroachment (DESIGN 4.4): sales on accounts outside every territory the seller
belonged to on the close date.

For each sale, the account's territory on the close date comes from the assignment
history (``territories.selectors.account_territories_on``), and the seller's territories
on that date from their territory memberships (start and end dates included, owner or
overlay alike). A seller who belongs to a territory also covers the territories below
it in the tree (a region's rep sells in its territories). A sale on an account that was
in no territory that day is outside every territory, so it is listed too.

A handful of queries whatever the number of sales: the sales, the history of their
accounts, the sellers' territory memberships and the territory tree.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import visible_member_ids
from territories.models import Territory, TerritoryMember
from territories.selectors import account_territories_on

from ..models import Sale


@dataclass(frozen=True)
class Encroachment:
    """A sale outside the seller's territories; ``territory`` is where its account was on
    the close date (``None``: in none), ``seller_territories`` the names of those the
    seller worked that day (empty: none)."""

    sale: Sale
    territory: Territory | None
    seller_territories: tuple[str, ...]


def _ancestors(parents: dict[int, int | None]) -> dict[int, set[int]]:
    """Each territory with every territory above it, itself included."""
    chains: dict[int, set[int]] = {}
    for territory_id in parents:
        chain, node = set(), territory_id
        while node is not None and node not in chain:  # A cycle cannot loop forever.
            chain.add(node)
            node = parents.get(node)
        chains[territory_id] = chain
    return chains


def encroachments(
    *, tenant: Tenant, member_ids: set[int] | None, start: dt.date, end: dt.date
) -> list[Encroachment]:
    """The sales closed from ``start`` to ``end`` (inclusive) by ``member_ids`` (``None``:
    everyone) on accounts outside every territory their seller belonged to on the close
    date, newest first."""
    sales_query = (
        Sale.objects.filter(tenant=tenant, closed_on__gte=start, closed_on__lte=end)
        .select_related("member__user", "account")
        .order_by("-closed_on", "-pk")
    )
    if member_ids is not None:
        sales_query = sales_query.filter(member_id__in=sorted(member_ids))
    sales = list(sales_query)
    if not sales:
        return []
    where = account_territories_on(
        tenant=tenant, pairs={(sale.account_id, sale.closed_on) for sale in sales}
    )
    spans: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for member_id, territory_id, first, last in TerritoryMember.objects.filter(
        tenant=tenant,
        member_id__in=sorted({sale.member_id for sale in sales}),
        start_date__lte=end,
    ).values_list("member_id", "territory_id", "start_date", "end_date"):
        spans[member_id].append((territory_id, first, last))
    territories = {t.pk: t for t in Territory.objects.filter(tenant=tenant).order_by("name")}
    above = _ancestors({pk: territory.parent_id for pk, territory in territories.items()})

    found = []
    for sale in sales:
        day = sale.closed_on
        worked = [
            territory_id
            for territory_id, first, last in spans.get(sale.member_id, ())
            if first <= day and (last is None or day <= last)
        ]
        territory_id = where.get((sale.account_id, day))
        if territory_id is not None and above.get(territory_id, {territory_id}) & set(worked):
            continue
        found.append(
            Encroachment(
                sale=sale,
                territory=territories.get(territory_id) if territory_id is not None else None,
                seller_territories=tuple(
                    sorted(territories[t].name for t in set(worked) if t in territories)
                ),
            )
        )
    return found


def team_encroachments(
    *, tenant: Tenant, viewer: Membership, start: dt.date, end: dt.date
) -> list[Encroachment]:
    """``encroachments`` of the people ``viewer`` may see: a manager's reporting tree,
    direct and indirect, and their own; everyone for an admin; a rep's own."""
    return encroachments(
        tenant=tenant,
        member_ids=visible_member_ids(tenant=tenant, viewer=viewer),
        start=start,
        end=end,
    )
