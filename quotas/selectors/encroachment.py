"""Encroachment (DESIGN 4.4): sales, and whatever else later apps plug in (selling
activities), on accounts outside every territory the seller belonged to on the day.

For each case — a member, an account, a day — the account's territory on that day comes
from the assignment history (``territories.selectors.account_territories_on``), and the
member's territories on that day from their territory memberships (start and end dates
included, owner or overlay alike). A member who belongs to a territory also covers the
territories below it in the tree (a region's rep sells in its territories). An account
that was in no territory that day is outside every territory, so it is listed too.

Quotas knows sales; it may not import the apps above it. They add their own cases
through ``encroachment_sources``: an ``EncroachmentSource`` whose ``load`` returns the
``Candidate`` rows of a period (activities registers its selling activities from
``activities/plugin.py``). Every source's cases are checked together by
``outside_territories``, the one place that says what encroachment is.

A handful of queries whatever the number of rows: one per source (the sales are one),
the history of their accounts, the members' territory memberships and the territory
tree.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from spm.plugins import Registry
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import visible_member_ids
from territories.models import Account, Territory, TerritoryMember
from territories.selectors import account_territories_on

from ..models import Sale

#: ``(member_id, account_id, day)``: someone working an account on a day.
Case = tuple[int, int, dt.date]


@dataclass(frozen=True)
class Candidate:
    """A row a source offers for the check: who, which account, which day, and how the
    list shows it (``detail`` in words, ``amount`` when it has one)."""

    obj: Any
    member: Membership
    account: Account
    day: dt.date
    detail: str = ""
    amount: Decimal | None = None

    @property
    def case(self) -> Case:
        return (self.member.pk, self.account.pk, self.day)


@dataclass(frozen=True)
class EncroachmentSource:
    """Rows another app adds to the encroachment list. ``load(tenant=, member_ids=, start=,
    end=)`` returns the ``Candidate`` rows dated ``start``–``end`` (inclusive) of
    ``member_ids`` (``None``: everyone) in one query, members and accounts loaded with
    them; ``kind`` names them in the list ("Activity")."""

    key: str
    kind: str
    load: Callable[..., list[Candidate]]
    order: int = 100


encroachment_sources: Registry[EncroachmentSource] = Registry("encroachment_sources")


@dataclass(frozen=True)
class Placement:
    """Where a case fell outside: ``territory`` is where the account was that day
    (``None``: in none), ``seller_territories`` the names of those the member worked that
    day (empty: none)."""

    territory: Territory | None
    seller_territories: tuple[str, ...]


@dataclass(frozen=True)
class Encroachment:
    """A row outside its member's territories: a sale (``sale`` set) or a source's row
    (``kind`` says which, ``obj`` is the row). ``territory`` is where its account was on
    the day (``None``: in none), ``seller_territories`` the names of those the member
    worked that day (empty: none)."""

    territory: Territory | None
    seller_territories: tuple[str, ...]
    kind: str
    obj: Any
    member: Membership
    account: Account
    day: dt.date
    detail: str = ""
    amount: Decimal | None = None

    @property
    def sale(self) -> Sale | None:
        return self.obj if isinstance(self.obj, Sale) else None

    @property
    def is_sale(self) -> bool:
        return isinstance(self.obj, Sale)


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


def outside_territories(
    *,
    tenant: Tenant,
    cases: Iterable[Case],
    current: dict[int, int | None] | None = None,
) -> dict[Case, Placement]:
    """The cases whose account was outside every territory their member worked that day
    (territories below a worked one count as worked), each with where it fell; cases
    inside are left out. ``current`` is the accounts' current territory when the caller
    has read them (see ``account_territories_on``). Three queries at most, none without
    cases."""
    cases = set(cases)
    if not cases:
        return {}
    where = account_territories_on(
        tenant=tenant, pairs={(account_id, day) for _, account_id, day in cases}, current=current
    )
    last = max(day for _, _, day in cases)
    spans: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for member_id, territory_id, first, end in TerritoryMember.objects.filter(
        tenant=tenant,
        member_id__in=sorted({member_id for member_id, _, _ in cases}),
        start_date__lte=last,
    ).values_list("member_id", "territory_id", "start_date", "end_date"):
        spans[member_id].append((territory_id, first, end))
    territories = {t.pk: t for t in Territory.objects.filter(tenant=tenant).order_by("name")}
    above = _ancestors({pk: territory.parent_id for pk, territory in territories.items()})

    found: dict[Case, Placement] = {}
    for case in cases:
        member_id, account_id, day = case
        worked = {
            territory_id
            for territory_id, first, end in spans.get(member_id, ())
            if first <= day and (end is None or day <= end)
        }
        territory_id = where.get((account_id, day))
        if territory_id is not None and above.get(territory_id, {territory_id}) & worked:
            continue
        found[case] = Placement(
            territory=territories.get(territory_id) if territory_id is not None else None,
            seller_territories=tuple(
                sorted(territories[t].name for t in worked if t in territories)
            ),
        )
    return found


def _sale_candidates(
    *, tenant: Tenant, member_ids: set[int] | None, start: dt.date, end: dt.date
) -> list[Candidate]:
    sales = (
        Sale.objects.filter(tenant=tenant, closed_on__gte=start, closed_on__lte=end)
        .select_related("member__user", "account")
        .order_by("-closed_on", "-pk")
    )
    if member_ids is not None:
        sales = sales.filter(member_id__in=sorted(member_ids))
    return [
        Candidate(
            obj=sale,
            member=sale.member,
            account=sale.account,
            day=sale.closed_on,
            detail=sale.external_id,
            amount=sale.amount,
        )
        for sale in sales
    ]


SALES = EncroachmentSource(key="sales", kind="Sale", load=_sale_candidates, order=0)


def encroachments(
    *, tenant: Tenant, member_ids: set[int] | None, start: dt.date, end: dt.date
) -> list[Encroachment]:
    """The sales (and every source's rows) dated ``start`` to ``end`` (inclusive) of
    ``member_ids`` (``None``: everyone) on accounts outside every territory their member
    belonged to that day, newest first (sales before other rows of the same day)."""
    offered: list[tuple[EncroachmentSource, Candidate]] = []
    for source in (SALES, *encroachment_sources):
        rows = source.load(tenant=tenant, member_ids=member_ids, start=start, end=end)
        offered += [(source, row) for row in rows]
    current = {row.account.pk: row.account.territory_id for _, row in offered}
    outside = outside_territories(
        tenant=tenant, cases=(row.case for _, row in offered), current=current
    )
    found = [
        Encroachment(
            territory=placement.territory,
            seller_territories=placement.seller_territories,
            kind=source.kind,
            obj=row.obj,
            member=row.member,
            account=row.account,
            day=row.day,
            detail=row.detail,
            amount=row.amount,
        )
        for source, row in offered
        if (placement := outside.get(row.case)) is not None
    ]
    # Each source gives its rows newest first; a stable sort by day keeps that order
    # within a day, and the sources' order (sales first) between them.
    found.sort(key=lambda item: item.day, reverse=True)
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
