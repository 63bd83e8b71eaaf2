"""Reading action items: who sees which, the "My action items" page and the home card.

Who sees what: admins every item; managers the items about or owned by anyone in their
reporting tree (direct and indirect) and themselves; reps the items they own or that are
about them. Each function reads in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids, visible_member_ids

from ..models import ActionItem

#: An open item due within this many days (today included) is "due soon".
DUE_SOON_DAYS = 7
#: Items done or dropped this many days ago or less are listed as "done recently".
RECENT_DAYS = 14


def visible_action_items(*, tenant: Tenant, viewer: Membership) -> QuerySet[ActionItem]:
    items = ActionItem.objects.filter(tenant=tenant)
    ids = visible_member_ids(tenant=tenant, viewer=viewer)
    if ids is None:
        return items
    if viewer.role == Role.REP:
        return items.filter(Q(owner_id=viewer.pk) | Q(member_id=viewer.pk))
    return items.filter(Q(owner_id__in=sorted(ids)) | Q(member_id__in=sorted(ids)))


def visible_action_item(*, tenant: Tenant, viewer: Membership, pk: int) -> ActionItem | None:
    return (
        visible_action_items(tenant=tenant, viewer=viewer)
        .select_related("member__user", "owner__user")
        .filter(pk=pk)
        .first()
    )


@dataclass
class ActionItemsPage:
    today: dt.date
    overdue: list[ActionItem] = field(default_factory=list)
    due_soon: list[ActionItem] = field(default_factory=list)
    later: list[ActionItem] = field(default_factory=list)
    done_recently: list[ActionItem] = field(default_factory=list)
    owed_to_me: list[ActionItem] = field(default_factory=list)  # Open, owned by others.
    team: list[ActionItem] = field(default_factory=list)  # Open, owned by my reports.

    @property
    def mine_count(self) -> int:
        return len(self.overdue) + len(self.due_soon) + len(self.later)


def action_items_page(*, tenant: Tenant, viewer: Membership) -> ActionItemsPage:
    """What ``viewer`` owes (overdue, due soon, later, done recently) and what others owe
    them: open items about them owned by someone else, and for managers the open items
    their reporting tree owns. Three queries (two for a rep)."""
    today = tenant.today()
    since = dt.datetime.combine(
        today - dt.timedelta(days=RECENT_DAYS), dt.time.min, tzinfo=tenant.zone
    )
    items = list(
        ActionItem.objects.filter(tenant=tenant)
        .filter(
            Q(owner_id=viewer.pk, status=ActionItem.Status.OPEN)
            | Q(owner_id=viewer.pk, status=ActionItem.Status.DONE, completed_at__gte=since)
            | Q(member_id=viewer.pk, status=ActionItem.Status.OPEN)
        )
        .select_related("member__user", "owner__user")
        .order_by("due_date", "pk")
    )
    page = ActionItemsPage(today=today)
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    for item in items:
        if item.owner_id != viewer.pk:
            page.owed_to_me.append(item)
        elif item.status == ActionItem.Status.DONE:
            page.done_recently.append(item)
        elif item.due_date < today:
            page.overdue.append(item)
        elif item.due_date < soon:
            page.due_soon.append(item)
        else:
            page.later.append(item)
    page.done_recently.sort(key=lambda item: item.completed_at, reverse=True)
    if viewer.role in (Role.MANAGER, Role.ADMIN):
        tree = report_ids(tenant=tenant, manager=viewer)
        if tree:
            page.team = [
                item
                for item in ActionItem.objects.filter(tenant=tenant, status=ActionItem.Status.OPEN)
                .exclude(owner_id=viewer.pk)
                .exclude(member_id=viewer.pk)
                .select_related("member__user", "owner__user")
                .order_by("due_date", "pk")
                if item.owner_id in tree
            ]
    return page


def member_choices(*, tenant: Tenant, viewer: Membership) -> list[Membership]:
    """Whom ``viewer`` may add an item about: themselves and, for a manager, their tree;
    an admin anyone. Current members only, by name."""
    today = tenant.today()
    ids = visible_member_ids(tenant=tenant, viewer=viewer)
    people = Membership.objects.filter(tenant=tenant).select_related("user")
    if ids is not None:
        people = people.filter(pk__in=sorted(ids))
    return sorted(
        (person for person in people if person.is_employed_on(today)),
        key=lambda person: (person.pk != viewer.pk, person.name.lower()),
    )


def owner_choices(*, tenant: Tenant, members: list[Membership]) -> dict[int, list[Membership]]:
    """For each member, who may own an item about them: the member and their reporting
    line upwards (one query)."""
    people = {
        person.pk: person
        for person in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    result = {}
    for member in members:
        line, current = [member.pk], people[member.pk].manager_id
        while current is not None and current not in line:
            line.append(current)
            current = people[current].manager_id if current in people else None
        result[member.pk] = [people[pk] for pk in line if pk in people]
    return result


@dataclass(frozen=True)
class OverdueCard:
    mine: list[ActionItem]  # My overdue items, oldest first.
    team_overdue: int | None  # For managers: open overdue items their reporting tree owns.


def overdue_card(*, tenant: Tenant, viewer: Membership) -> OverdueCard | None:
    """The home card: the viewer's overdue items and, for a manager, their team's overdue
    count; ``None`` (no card) when there is nothing overdue. One query (two for a manager:
    the organisation's overdue items and its reporting lines)."""
    today = tenant.today()
    overdue = ActionItem.objects.filter(
        tenant=tenant, status=ActionItem.Status.OPEN, due_date__lt=today
    ).order_by("due_date", "pk")
    if viewer.role != Role.MANAGER:
        mine = list(overdue.filter(owner_id=viewer.pk))
        return OverdueCard(mine=mine, team_overdue=None) if mine else None
    tree = report_ids(tenant=tenant, manager=viewer)
    rows = list(overdue.only("pk", "owner_id", "member_id", "title", "due_date"))
    mine = [item for item in rows if item.owner_id == viewer.pk]
    team = sum(1 for item in rows if item.owner_id in tree)
    if not mine and not team:
        return None
    return OverdueCard(mine=mine, team_overdue=team)


def overdue_owners(*, tenant: Tenant, today: dt.date) -> dict[Membership, list[ActionItem]]:
    """Open items due before ``today`` by owner, for the owners employed today who were not
    reminded today. One query."""
    items = (
        ActionItem.objects.filter(tenant=tenant, status=ActionItem.Status.OPEN, due_date__lt=today)
        .filter(owner__start_date__lte=today)
        .filter(Q(owner__end_date__isnull=True) | Q(owner__end_date__gte=today))
        .select_related("owner__user", "member__user")
        .order_by("owner_id", "due_date", "pk")
    )
    grouped: dict[int, tuple[Membership, list[ActionItem]]] = {}
    reminded_today: set[int] = set()
    for item in items:
        if item.reminded_on == today:
            reminded_today.add(item.owner_id)
        grouped.setdefault(item.owner_id, (item.owner, []))[1].append(item)
    return {
        owner: owned
        for owner_id, (owner, owned) in grouped.items()
        if owner_id not in reminded_today
    }
