"""Read queries of the daily plan (DESIGN 4.5): a member's tasks for a day, who may open
them, the accounts worth contacting, the home card.

Every function reads in a fixed number of queries whatever the number of tasks,
accounts or members:

- ``plan_tasks(tenant=, member=, date=)``: the member's tasks of the day, in order;
- ``visible_task(tenant=, viewer=, task_id=)``: a task the viewer may read, or ``None``;
- ``plan_owner(tenant=, viewer=, member_id=)``: whose plan the viewer may read;
- ``members_to_plan(tenant=, date=)``: who gets suggestions in the morning;
- ``suggestion_frame(tenant=, member_ids=, date=)``: every candidate account per member,
  ranked (the suggestion service keeps the top few);
- ``plan_card(tenant=, viewer=)``: "3 of 8 done" and the top open task.

**Last contact** is the latest activity logged on the account by *anyone* in the
organisation, on or before the plan's day, not only by the member: an overlay rep's call
or a manager's meeting is a contact the client has had, and suggesting the account again
the next morning would have two people chase the same client. An account never contacted
counts ``NEVER_CONTACTED_DAYS`` days (the cap, also applied to older contacts), so new
accounts rank high.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Max, Q, QuerySet

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import visible_member_ids, visible_members
from territories.models import Account
from territories.selectors import active_territory_members

from ..models import Activity, ActivityType, PlanTask

#: Days since the last contact of an account never contacted; older contacts count this
#: much too, so a year-old contact and no contact rank alike.
NEVER_CONTACTED_DAYS = 365

CANDIDATE_COLUMNS = [
    "member_id",
    "account_id",
    "name",
    "annual_potential",
    "last_contact",
    "days",
    "score",
]


def plan_tasks(*, tenant: Tenant, member: Membership, date: dt.date) -> list[PlanTask]:
    """``member``'s tasks of ``date`` in their order, with their accounts and logged
    activities: one query."""
    return list(
        PlanTask.objects.filter(tenant=tenant, member_id=member.pk, date=date)
        .select_related("account", "activity__type")
        .order_by("position", "pk")
    )


def visible_task(*, tenant: Tenant, viewer: Membership, task_id: int) -> PlanTask | None:
    """The task ``task_id`` if ``viewer`` may read it: their own, their reporting tree's
    for a manager, anyone's for an admin. ``None`` otherwise, another organisation's
    included."""
    task = (
        PlanTask.objects.filter(tenant=tenant, pk=task_id)
        .select_related("member__user", "account")
        .first()
    )
    if task is None:
        return None
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None and task.member_id not in visible:
        return None
    return task


def plan_owner(*, tenant: Tenant, viewer: Membership, member_id: int | None) -> Membership | None:
    """Whose plan ``viewer`` reads: their own without ``member_id``; someone they may see
    otherwise (a manager's reporting tree, anyone for an admin); ``None`` for anyone else."""
    if member_id is None or member_id == viewer.pk:
        return viewer
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    if visible is not None and member_id not in visible:
        return None
    return Membership.objects.filter(tenant=tenant, pk=member_id).select_related("user").first()


def visible_plan_tasks(*, tenant: Tenant, viewer: Membership) -> QuerySet[PlanTask]:
    """Every task ``viewer`` may read (the API's list)."""
    tasks = PlanTask.objects.filter(tenant=tenant)
    visible = visible_member_ids(tenant=tenant, viewer=viewer)
    return tasks if visible is None else tasks.filter(member_id__in=sorted(visible))


def members_to_plan(*, tenant: Tenant, date: dt.date) -> list[int]:
    """Members employed on ``date`` who work a territory that day: the morning's
    suggestions are for them. One query."""
    employed = Q(member__start_date__lte=date) & (
        Q(member__end_date__isnull=True) | Q(member__end_date__gte=date)
    )
    return sorted(
        set(
            active_territory_members(tenant=tenant, on=date)
            .filter(employed)
            .order_by()
            .values_list("member_id", flat=True)
        )
    )


def suggestion_frame(*, tenant: Tenant, member_ids: list[int], date: dt.date) -> pd.DataFrame:
    """Every account of the territories each member works on ``date``, ranked for them:
    ``score`` = annual potential × days since the last contact (see the module's
    docstring), highest first, then by name and id. Columns: ``CANDIDATE_COLUMNS``.

    Three queries whatever the number of members and accounts: territory memberships,
    their accounts, the last contact of each account.
    """
    if not member_ids:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    worked = list(
        active_territory_members(tenant=tenant, on=date)
        .filter(member_id__in=sorted(set(member_ids)))
        .order_by()
        .values_list("member_id", "territory_id")
        .distinct()
    )
    if not worked:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    territories = sorted({territory_id for _, territory_id in worked})
    accounts = pd.DataFrame(
        list(
            Account.objects.filter(tenant=tenant, territory_id__in=territories).values_list(
                "pk", "name", "annual_potential", "territory_id"
            )
        ),
        columns=["account_id", "name", "annual_potential", "territory_id"],
    )
    if accounts.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    contacts = pd.DataFrame(
        list(
            Activity.objects.filter(
                tenant=tenant, account_id__in=accounts["account_id"].tolist(), date__lte=date
            )
            .order_by()
            .values("account_id")
            .annotate(last=Max("date"))
            .values_list("account_id", "last")
        ),
        columns=["account_id", "last_contact"],
    )
    frame = (
        pd.DataFrame(worked, columns=["member_id", "territory_id"])
        .merge(accounts, on="territory_id")
        .merge(contacts, on="account_id", how="left")
        .drop_duplicates(["member_id", "account_id"])
    )
    days = frame["last_contact"].map(
        lambda last: NEVER_CONTACTED_DAYS if pd.isna(last) else (date - last).days,
        na_action=None,
    )
    frame["days"] = days.clip(lower=0, upper=NEVER_CONTACTED_DAYS).astype(int)
    frame["last_contact"] = frame["last_contact"].map(lambda last: None if pd.isna(last) else last)
    # Decimals times whole days stay exact: the score is stored to the cent.
    frame["score"] = [
        (Decimal(potential) * days).quantize(Decimal("0.01"))
        for potential, days in zip(frame["annual_potential"], frame["days"], strict=True)
    ]
    frame["sort_name"] = frame["name"].str.lower()
    frame = frame.sort_values(
        ["member_id", "score", "sort_name", "account_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    return frame[CANDIDATE_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class PlanCard:
    """The home card: how far the member is through today's plan."""

    date: dt.date
    done: int
    total: int  # Open and done tasks; dismissed ones left out.
    top: PlanTask | None  # The first open task.
    gap: PlanTask | None  # The open gap line, if any.


def plan_card(*, tenant: Tenant, viewer: Membership) -> PlanCard:
    """Today's plan at a glance for ``viewer``: one query."""
    today = tenant.today()
    tasks = plan_tasks(tenant=tenant, member=viewer, date=today)
    kept = [task for task in tasks if task.status != PlanTask.Status.DISMISSED]
    open_tasks = [task for task in kept if task.status == PlanTask.Status.OPEN]
    return PlanCard(
        date=today,
        done=sum(1 for task in kept if task.status == PlanTask.Status.DONE),
        total=len(kept),
        top=next((task for task in open_tasks if task.kind != PlanTask.Kind.TARGET_GAP), None),
        gap=next((task for task in open_tasks if task.kind == PlanTask.Kind.TARGET_GAP), None),
    )


def activity_type_choices(*, tenant: Tenant) -> list[ActivityType]:
    """The types a completed task may be logged as: the organisation's active ones."""
    return list(
        ActivityType.objects.filter(tenant=tenant, active=True).order_by("position", "name")
    )


#: Accounts offered when adding a task by hand: a select of more would not be read.
ACCOUNT_CHOICES_LIMIT = 300


def account_choices(*, tenant: Tenant, member: Membership, date: dt.date) -> list[Account]:
    """The accounts of the territories ``member`` works on ``date``, by name: one query."""
    worked = active_territory_members(tenant=tenant, on=date).filter(member_id=member.pk)
    return list(
        Account.objects.filter(
            tenant=tenant, territory_id__in=worked.values("territory_id")
        ).order_by("name", "pk")[:ACCOUNT_CHOICES_LIMIT]
    )


def plan_readers_choices(*, tenant: Tenant, viewer: Membership) -> list[Membership]:
    """Whose plans ``viewer`` may pick to read: a manager's reporting tree and themselves,
    everyone for an admin, by name; nobody for a rep (their own only). Two queries."""
    if viewer.is_rep:
        return []
    return sorted(
        visible_members(tenant=tenant, viewer=viewer), key=lambda m: (m.name.lower(), m.pk)
    )
