"""What the Day page, the week view and the home card read (DESIGN 4.5).

- a member's day: its activities, the selling-time bar (selling minutes ÷ all minutes,
  computed here from the day's rows, against the organisation's target) and, for each
  selling activity on an account outside the member's territories, the warning that it
  shows as encroachment; a fixed number of queries, whatever the number of activities;
- a week (ISO, Monday first): each day's minutes and selling ratio, and the week's, from
  one aggregate query;
- the account picker: the member's own accounts (those of the territories they belong to
  on the day, and of the territories below them) first, then any account of the
  organisation by name or external id; at most ``ACCOUNT_OPTIONS`` of them, two queries
  whatever the number of accounts;
- the encroachment warning for an account chosen in the form, by the one rule quotas'
  encroachment list applies (``quotas.selectors.encroachment.outside_territories``).

Who may see whose day is ``viewed_member``: one's own; a manager their reporting tree's;
an admin anyone's in the organisation. Anyone else's id is missing (a 404 for the page).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Sum, Value, When

from quotas.selectors.encroachment import outside_territories
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import visible_member_ids
from territories.models import Account, Territory, TerritoryMember, TerritoryRole
from territories.tree import pairs_order

from ..models import Activity, ActivityType, Category
from ..services import hours_and_minutes
from .selling_time import is_below_target, selling_pct, target_of

#: The duration buttons of the form, in minutes; the chosen type's default is added.
DURATION_PRESETS = (15, 30, 45, 60, 90)
#: The most accounts the picker offers at once: enough to choose from, few enough to read.
ACCOUNT_OPTIONS = 10
#: Longer search texts find nothing more and only make slower queries.
SEARCH_MAX_LENGTH = 100


# --- Who ---------------------------------------------------------------------------------


def viewed_member(
    *, tenant: Tenant, viewer: Membership, member_id: int | None
) -> Membership | None:
    """The member whose day ``viewer`` asks for (``None``: their own), or ``None`` when
    ``viewer`` may not see it (someone outside a manager's tree, anyone else for a rep,
    another organisation's member)."""
    if member_id is None or member_id == viewer.pk:
        return viewer
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None and member_id not in visible:
        return None
    return Membership.objects.filter(tenant=tenant, pk=member_id).select_related("user").first()


def visible_activity(*, tenant: Tenant, viewer: Membership, activity_id: int) -> Activity | None:
    """One activity ``viewer`` may see (their own, their tree's for a manager, anyone's for
    an admin), with its type, account and member; ``None`` otherwise."""
    activity = (
        Activity.objects.filter(tenant=tenant, pk=activity_id)
        .select_related("type", "account", "member__user")
        .first()
    )
    if activity is None:
        return None
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None and activity.member_id not in visible:
        return None
    return activity


# --- The selling-time bar ------------------------------------------------------------------


@dataclass(frozen=True)
class SellingBar:
    """Selling and all minutes of one day (or a week), against the target."""

    start: dt.date
    end: dt.date
    selling_minutes: int
    total_minutes: int
    target_pct: Decimal

    @property
    def selling_pct(self) -> Decimal | None:
        return selling_pct(self.selling_minutes, self.total_minutes)

    @property
    def below_target(self) -> bool:
        return is_below_target(self.selling_pct, self.target_pct)

    @property
    def logged(self) -> str:
        return hours_and_minutes(self.total_minutes) if self.total_minutes else "Nothing"

    @property
    def selling(self) -> str:
        return hours_and_minutes(self.selling_minutes)

    @property
    def fill(self) -> str:
        """The bar's filled share as a CSS width."""
        return f"{self.selling_pct or 0}%"

    @property
    def marker(self) -> str:
        return f"{float(self.target_pct):g}%"


def _bar(start: dt.date, end: dt.date, rows: Iterable[tuple[int, bool]], target: Decimal):
    rows = list(rows)
    return SellingBar(
        start=start,
        end=end,
        selling_minutes=sum(minutes for minutes, selling in rows if selling),
        total_minutes=sum(minutes for minutes, _ in rows),
        target_pct=target,
    )


# --- Encroachment warnings ---------------------------------------------------------------


@dataclass(frozen=True)
class EncroachmentWarning:
    """An account outside the member's territories on a day: where it is, and who owns that
    territory then."""

    account: Account
    territory: Territory | None
    owners: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        if self.territory is None:
            return f"{self.account.name} is in no territory"
        if self.owners:
            return f"{self.territory.name} — owned by {' and '.join(self.owners)}"
        return f"{self.territory.name}, a territory you are not in"

    @property
    def before_saving(self) -> str:
        return f"{self.where}: this will show as encroachment"

    @property
    def saved(self) -> str:
        return f"{self.where}: shows as encroachment"


def encroachment_warnings(
    *, tenant: Tenant, cases: Iterable[tuple[int, Account, dt.date]]
) -> dict[tuple[int, int, dt.date], EncroachmentWarning]:
    """``(member_id, account, day)`` cases outside the member's territories, each with its
    warning; at most four queries (none without cases)."""
    accounts = {}
    keys = set()
    for member_id, account, day in cases:
        accounts[account.pk] = account
        keys.add((member_id, account.pk, day))
    outside = outside_territories(
        tenant=tenant,
        cases=keys,
        current={pk: account.territory_id for pk, account in accounts.items()},
    )
    if not outside:
        return {}
    owners: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    territory_ids = {p.territory.pk for p in outside.values() if p.territory is not None}
    if territory_ids:
        for spell in TerritoryMember.objects.filter(
            tenant=tenant, territory_id__in=sorted(territory_ids), role=TerritoryRole.OWNER
        ).select_related("member__user"):
            owners[spell.territory_id].append((spell.member.name, spell.start_date, spell.end_date))
    found = {}
    for (member_id, account_id, day), placement in outside.items():
        names: tuple[str, ...] = ()
        if placement.territory is not None:
            names = tuple(
                name
                for name, first, last in owners.get(placement.territory.pk, ())
                if first <= day and (last is None or day <= last)
            )
        found[(member_id, account_id, day)] = EncroachmentWarning(
            account=accounts[account_id], territory=placement.territory, owners=names
        )
    return found


def account_warning(
    *, tenant: Tenant, member: Membership, account: Account, day: dt.date
) -> EncroachmentWarning | None:
    """The warning for logging on ``account`` on ``day``, or ``None`` when it is in one of
    the member's territories."""
    found = encroachment_warnings(tenant=tenant, cases=[(member.pk, account, day)])
    return found.get((member.pk, account.pk, day))


# --- The day -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    member: Membership
    day: dt.date
    activities: list[Activity]
    bar: SellingBar
    warnings: dict[int, EncroachmentWarning] = field(default_factory=dict)  # By activity id.


def active_types(*, tenant: Tenant) -> list[ActivityType]:
    """The types people may log, in the order of their buttons."""
    return list(
        ActivityType.objects.filter(tenant=tenant, active=True).order_by("position", "name")
    )


def day_bar(*, tenant: Tenant, member: Membership, day: dt.date) -> SellingBar:
    """The selling-time bar of one day, from one aggregate query."""
    rows = (
        Activity.objects.filter(tenant=tenant, member=member, date=day)
        .order_by()
        .values_list("type__category")
        .annotate(minutes=Sum("duration_minutes"))
    )
    return _bar(
        day,
        day,
        ((minutes, category == Category.SELLING) for category, minutes in rows),
        target_of(tenant),
    )


def member_day(*, tenant: Tenant, member: Membership, day: dt.date) -> Day:
    """The member's activities of ``day`` in the order they were logged, the day's bar and
    the encroachment warnings of its selling activities: one query for the activities,
    four more at most for the warnings, whatever their number."""
    activities = list(
        Activity.objects.filter(tenant=tenant, member=member, date=day)
        .select_related("type", "account")
        .order_by("created_at", "pk")
    )
    bar = _bar(
        day,
        day,
        ((a.duration_minutes, a.type.is_selling) for a in activities),
        target_of(tenant),
    )
    selling = [a for a in activities if a.account_id is not None and a.type.is_selling]
    warnings = encroachment_warnings(
        tenant=tenant, cases=[(member.pk, a.account, day) for a in selling]
    )
    found = {
        a.pk: warnings[(member.pk, a.account_id, day)]
        for a in selling
        if (member.pk, a.account_id, day) in warnings
    }
    for activity in activities:  # The page shows each row's warning beside it.
        activity.encroachment = found.get(activity.pk)
    return Day(member=member, day=day, activities=activities, bar=bar, warnings=found)


# --- The week ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: dt.date  # Monday.
    end: dt.date  # Sunday.
    days: list[SellingBar]
    total: SellingBar

    @property
    def previous(self) -> dt.date:
        return self.start - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.start + dt.timedelta(days=7)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The ISO week holding ``day``: its Monday and its Sunday."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def member_week(*, tenant: Tenant, member: Membership, day: dt.date) -> Week:
    """Each day of the ISO week holding ``day`` with its minutes and selling ratio, and the
    week's totals: one aggregate query."""
    start, end = week_of(day)
    target = target_of(tenant)
    minutes: dict[dt.date, list[tuple[int, bool]]] = defaultdict(list)
    for date, category, total in (
        Activity.objects.filter(tenant=tenant, member=member, date__gte=start, date__lte=end)
        .order_by()
        .values_list("date", "type__category")
        .annotate(minutes=Sum("duration_minutes"))
    ):
        minutes[date].append((total, category == Category.SELLING))
    days = [start + dt.timedelta(days=offset) for offset in range(7)]
    return Week(
        start=start,
        end=end,
        days=[_bar(d, d, minutes.get(d, ()), target) for d in days],
        total=_bar(start, end, (row for d in days for row in minutes.get(d, ())), target),
    )


# --- Choosing an account -------------------------------------------------------------------


@dataclass(frozen=True)
class AccountOption:
    account: Account
    own: bool  # In one of the member's territories on the day.


def own_territory_ids(*, tenant: Tenant, member: Membership, day: dt.date) -> set[int]:
    """The territories ``member`` works on ``day`` and every territory below them: one
    query (the tree, each territory flagged when the member belongs to it that day)."""
    spells = TerritoryMember.objects.filter(
        tenant=tenant, member=member, territory=OuterRef("pk"), start_date__lte=day
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    rows = list(
        Territory.objects.filter(tenant=tenant)
        .annotate(worked=Exists(spells))
        .values_list("pk", "parent_id", "worked")
    )
    worked = [pk for pk, _, is_worked in rows if is_worked]
    pairs = [(pk, parent_id) for pk, parent_id, _ in rows]
    covered: set[int] = set()
    for root in worked:
        if root not in covered:
            covered |= {root} | {node for node, _ in pairs_order(pairs, root=root)}
    return covered


def account_options(
    *, tenant: Tenant, member: Membership, text: str, day: dt.date, limit: int = ACCOUNT_OPTIONS
) -> list[AccountOption]:
    """Up to ``limit`` accounts whose name or external id contains ``text`` (all when it is
    empty), the member's own first, then by name: two queries, however many accounts the
    organisation has."""
    own = own_territory_ids(tenant=tenant, member=member, day=day)
    accounts = Account.objects.filter(tenant=tenant)
    text = text.strip()[:SEARCH_MAX_LENGTH]
    if text:
        accounts = accounts.filter(Q(name__icontains=text) | Q(external_id__icontains=text))
    elif not own:
        return []  # Nothing typed and no territory: nothing to suggest yet.
    else:
        accounts = accounts.filter(territory_id__in=sorted(own))
    ranked = accounts.annotate(
        rank=Case(
            When(territory_id__in=sorted(own), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        if own
        else Value(1, output_field=IntegerField())
    ).order_by("rank", "name", "pk")[:limit]
    return [AccountOption(account=account, own=account.rank == 0) for account in ranked]


def account_of(*, tenant: Tenant, account_id: str | None) -> Account | None:
    """The organisation's account named by a posted id; ``None`` for none or a bad id."""
    if not account_id or not str(account_id).isdigit():
        return None
    return Account.objects.filter(tenant=tenant, pk=int(account_id)).first()


# --- The home card -----------------------------------------------------------------------


def day_card(*, tenant: Tenant, viewer: Membership) -> SellingBar:
    """Today's logged time and selling ratio of ``viewer``: one query."""
    return day_bar(tenant=tenant, member=viewer, day=tenant.today())
