"""Reminders about selling time: nothing logged on a work day, and the managers' weekly
digest. Each is an in-app notification and an email (``spm.notifications.services.notify``).

Invariants:

- **Nothing logged.** At the end of a work day (from ``REMINDER_HOUR``, 18:00, in the
  organisation's time zone) every rep and manager who logged nothing that day is reminded
  once. Not on a day outside the organisation's work week, nor on its holidays, nor on the
  member's time off, nor outside their employment (DESIGN 4.1's capacity days). Admins
  run the organisation and are not reminded.
- **Weekly digest.** On Monday from ``DIGEST_HOUR`` (08:00, the organisation's time) each
  manager with a team gets last week's (Monday to Sunday) selling time of their reporting
  tree, direct and indirect (and their own when they logged time): the team's ratio
  against the target and who was below it.
- **Once, whatever runs.** The jobs run hourly; each run does what is due and not done
  yet. A ``Reminder`` row per member, kind and day (unique in the database) is written in
  the same transaction as the notifications; a run takes the organisation's row lock
  first, so two runs at once (a retry beside a slow first run) send one reminder, and a
  run after the first finds the rows and sends nothing.
- The time is passed in (``now``, an aware datetime): "today" is the organisation's
  date at that instant, which may differ from the date in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from spm.calendars.models import Holiday, TimeOff
from spm.calendars.services import readable_date
from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Role, Tenant

from ..models import Activity, Reminder
from ..selectors.selling_time import (
    Grouping,
    SellingTime,
    daily_minutes,
    group_minutes,
    target_of,
    team_total,
)

REMINDER_HOUR = 18
DIGEST_WEEKDAY = 1  # Monday, as ``isoweekday()``.
DIGEST_HOUR = 8
REMINDED_ROLES = (Role.REP, Role.MANAGER)
NOTHING_LOGGED_KIND = "activities.nothing_logged"
DIGEST_KIND = "activities.weekly_digest"


def local_now(tenant: Tenant, now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("Pass an aware datetime.")
    return now.astimezone(tenant.zone)


def _lock_tenant(tenant: Tenant) -> None:
    """Serialise the reminder runs of one organisation (see the module's docstring)."""
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


def _target(value) -> str:
    return f"{value.normalize():f}%"


# --- Nothing logged on a work day ------------------------------------------------------------


def is_tenant_work_day(*, tenant: Tenant, day: dt.date) -> bool:
    """On the organisation's work week and not one of its holidays (one query)."""
    if day.isoweekday() not in set(tenant.work_week):
        return False
    return not Holiday.objects.filter(tenant=tenant, date=day).exists()


def nothing_logged_due(*, tenant: Tenant, day: dt.date) -> list[Membership]:
    """Reps and managers to remind about ``day``: employed that day, not on time off,
    nothing logged, not reminded yet. One query (the rest are subqueries)."""
    logged = Activity.objects.filter(tenant=tenant, date=day).values("member_id")
    off = TimeOff.objects.filter(tenant=tenant, start__lte=day, end__gte=day).values("member_id")
    reminded = Reminder.objects.filter(
        tenant=tenant, kind=Reminder.Kind.NOTHING_LOGGED, day=day
    ).values("member_id")
    return list(
        Membership.objects.filter(tenant=tenant, role__in=REMINDED_ROLES, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .exclude(pk__in=logged)
        .exclude(pk__in=off)
        .exclude(pk__in=reminded)
        .select_related("user")
        .order_by("pk")
    )


def _nothing_logged_message(member: Membership, day: dt.date) -> Message:
    return Message(
        recipient=member,
        kind=NOTHING_LOGGED_KIND,
        title=f"Nothing logged for {readable_date(day)}",
        body=(
            f"You have not logged any activity for {readable_date(day)}. Log your day in a "
            "minute, so your selling time counts."
        ),
        url=f"{reverse('activities:day')}?date={day:%Y-%m-%d}",
    )


def nothing_logged_remind_day(*, tenant: Tenant, day: dt.date) -> int:
    """Remind everyone due for ``day`` (a tenant work day; another day sends nothing).
    Returns how many were reminded."""
    if not is_tenant_work_day(tenant=tenant, day=day):
        return 0
    with transaction.atomic():
        _lock_tenant(tenant)
        members = nothing_logged_due(tenant=tenant, day=day)
        if not members:
            return 0
        Reminder.objects.bulk_create(
            [
                Reminder(tenant=tenant, member=member, kind=Reminder.Kind.NOTHING_LOGGED, day=day)
                for member in members
            ]
        )
        notify(tenant=tenant, messages=[_nothing_logged_message(m, day) for m in members])
    return len(members)


def nothing_logged_remind(*, tenant: Tenant, now: dt.datetime) -> int:
    """The hourly job: from ``REMINDER_HOUR`` in the organisation's time zone, remind about
    today (its date there). Earlier in the day it does nothing."""
    local = local_now(tenant, now)
    if local.hour < REMINDER_HOUR:
        return 0
    return nothing_logged_remind_day(tenant=tenant, day=local.date())


# --- The managers' weekly digest -------------------------------------------------------------


@dataclass(frozen=True)
class TeamWeek:
    manager: Membership
    total: SellingTime
    below: list[tuple[Membership, SellingTime]]
    logged: int  # People who logged time that week.


def _trees(people: Iterable[Membership]) -> dict[int, set[int]]:
    """Each member's reporting tree, direct and indirect, themselves excluded."""
    children: dict[int, list[int]] = defaultdict(list)
    for person in people:
        if person.manager_id is not None:
            children[person.manager_id].append(person.pk)
    trees: dict[int, set[int]] = {}
    for top in list(children):
        found, stack = set(), list(children[top])
        while stack:
            current = stack.pop()
            if current in found or current == top:
                continue
            found.add(current)
            stack.extend(children.get(current, ()))
        trees[top] = found
    return trees


def team_weeks(*, tenant: Tenant, week_start: dt.date, today: dt.date) -> list[TeamWeek]:
    """Last week's figures of every current manager with a team. Two queries: the people
    and the week's minutes."""
    week_end = week_start + dt.timedelta(days=6)
    people = {
        person.pk: person
        for person in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    trees = _trees(people.values())
    frame = daily_minutes(tenant=tenant, start=week_start, end=week_end)
    target = target_of(tenant)
    weeks = {
        member_id: SellingTime(member_id, start, end, selling, total, days, target)
        for member_id, start, end, selling, total, days in group_minutes(
            frame, group=Grouping.WEEK, start=week_start, end=week_end
        )
    }
    result = []
    for manager_id, tree in trees.items():
        manager = people.get(manager_id)
        if manager is None or manager.role != Role.MANAGER or not manager.is_employed_on(today):
            continue
        rows = [weeks[member_id] for member_id in (tree | {manager_id}) if member_id in weeks]
        below = sorted(
            ((people[row.member_id], row) for row in rows if row.below_target),
            key=lambda pair: pair[0].name.lower(),
        )
        result.append(
            TeamWeek(
                manager=manager,
                total=team_total(rows, start=week_start, end=week_end, target_pct=target),
                below=below,
                logged=len(rows),
            )
        )
    return sorted(result, key=lambda week: week.manager.pk)


def _digest_message(week: TeamWeek, week_start: dt.date) -> Message:
    total, target = week.total, _target(week.total.target_pct)
    if total.total_minutes:
        title = f"Selling time last week: {_percent(total.selling_pct)} (target {target})"
        lines = [
            f"Your team's selling ratio for the week of {readable_date(week_start)}: "
            f"{_percent(total.selling_pct)} of the time logged, against a target of {target}. "
            f"{week.logged} {'person' if week.logged == 1 else 'people'} logged time."
        ]
        if week.below:
            lines.append(f"Below target ({len(week.below)}):")
            lines += [f"- {person.name}: {_percent(row.selling_pct)}" for person, row in week.below]
        else:
            lines.append("Nobody was below target.")
    else:
        title = "Selling time last week: nothing logged"
        lines = [f"Nobody in your team logged time in the week of {readable_date(week_start)}."]
    return Message(
        recipient=week.manager,
        kind=DIGEST_KIND,
        title=title,
        body="\n".join(lines),
        url=f"{reverse('activities:team')}?month={week_start:%Y-%m}",
    )


def weekly_digest_send_week(*, tenant: Tenant, week_start: dt.date, today: dt.date) -> int:
    """Send the digest of the ISO week starting ``week_start`` to every manager with a team
    who has not had it. Returns how many were sent."""
    with transaction.atomic():
        _lock_tenant(tenant)
        sent = set(
            Reminder.objects.filter(
                tenant=tenant, kind=Reminder.Kind.WEEKLY_DIGEST, day=week_start
            ).values_list("member_id", flat=True)
        )
        weeks = [
            week
            for week in team_weeks(tenant=tenant, week_start=week_start, today=today)
            if week.manager.pk not in sent
        ]
        if not weeks:
            return 0
        Reminder.objects.bulk_create(
            [
                Reminder(
                    tenant=tenant,
                    member=week.manager,
                    kind=Reminder.Kind.WEEKLY_DIGEST,
                    day=week_start,
                )
                for week in weeks
            ]
        )
        notify(tenant=tenant, messages=[_digest_message(week, week_start) for week in weeks])
    return len(weeks)


def weekly_digest_send(*, tenant: Tenant, now: dt.datetime) -> int:
    """The hourly job: on Monday from ``DIGEST_HOUR`` in the organisation's time zone, send
    last week's digest. Any other time it does nothing."""
    local = local_now(tenant, now)
    if local.isoweekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return 0
    today = local.date()
    return weekly_digest_send_week(
        tenant=tenant, week_start=today - dt.timedelta(days=7), today=today
    )
