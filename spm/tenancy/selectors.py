"""Read queries about organisations and their people."""

import datetime as dt
from collections import defaultdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from .context import across_tenants
from .models import Membership, Role, Tenant


def memberships_for_user(*, user) -> list[Membership]:
    """Every organisation a user belongs to, current memberships only, across tenants.

    A membership is current through its last day (``end_date``) in its organisation's
    own time zone: an organisation already in tomorrow has ended it, one still in
    yesterday has not. This is the one place that reads memberships before a tenant is
    chosen, so it uses the unscoped manager and filters by the user explicitly.
    """
    # No time zone is a full day behind UTC, so anything that ended before yesterday (in
    # UTC) has ended everywhere; the rest is decided by each organisation's own date.
    yesterday_in_utc = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
    candidates = (
        Membership.all_tenants.filter(user=user, tenant__is_active=True)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=yesterday_in_utc))
        .select_related("tenant", "user")
        .order_by("tenant__name")
    )
    # Across tenants: a user's memberships are in every organisation they belong to.
    with across_tenants():
        candidates = list(candidates)
    return [
        membership
        for membership in candidates
        if membership.end_date is None or membership.end_date >= membership.tenant.today()
    ]


def member_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user", "manager__user")


def report_ids(*, tenant: Tenant, manager: Membership) -> set[int]:
    """Ids of everyone in ``manager``'s reporting tree, direct and indirect, not the manager.

    One query reads the organisation's reporting lines; the tree is walked in memory,
    so the cost does not grow with the tree's depth. A cycle (which the services
    prevent) cannot loop forever because visited members are not walked twice.
    """
    children: dict[int, list[int]] = defaultdict(list)
    for member_id, manager_id in Membership.objects.filter(
        tenant=tenant, manager__isnull=False
    ).values_list("id", "manager_id"):
        children[manager_id].append(member_id)

    found: set[int] = set()
    frontier = [manager.pk]
    while frontier:
        next_frontier = []
        for parent_id in frontier:
            for child_id in children.get(parent_id, ()):
                if child_id not in found and child_id != manager.pk:
                    found.add(child_id)
                    next_frontier.append(child_id)
        frontier = next_frontier
    return found


def visible_member_ids(*, tenant: Tenant, viewer: Membership) -> set[int] | None:
    """Members whose data ``viewer`` may see: ``None`` means everyone (admins).

    Managers see themselves and their whole reporting tree; reps see themselves.
    """
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.MANAGER:
        return report_ids(tenant=tenant, manager=viewer) | {viewer.pk}
    return {viewer.pk}


def visible_members(*, tenant: Tenant, viewer: Membership) -> QuerySet[Membership]:
    members = member_list(tenant=tenant)
    ids = visible_member_ids(tenant=tenant, viewer=viewer)
    return members if ids is None else members.filter(pk__in=ids)
