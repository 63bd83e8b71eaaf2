"""The team's selling time as its page and the manager's home card read it.

Who is in the team (``activities.selectors.selling_time`` says why): a manager's reporting
tree, direct and indirect, and the manager themselves when they logged time in the month;
an admin's team is the whole organisation, where admins are listed only when they logged
time. People whose employment does not touch the month are listed only if they logged.

Three queries whatever the size of the team: the reporting lines, the people, and one
aggregate of minutes by member and day over the month and the trend's twelve weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from spm.calendars.selectors import month_bounds
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import report_ids

from .selling_time import (
    IN_LIST_LIMIT,
    Grouping,
    SellingTime,
    daily_minutes,
    group_minutes,
    target_of,
    team_total,
    week_start,
)

TREND_WEEKS = 12
ONE_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class MemberRow:
    member: Membership
    figures: SellingTime  # The month's; zero minutes when nothing was logged.

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.figures.total_minutes) / 60).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class TeamSellingTime:
    month: dt.date
    first: dt.date
    last: dt.date
    target_pct: Decimal
    rows: list[MemberRow]
    total: SellingTime  # Σ selling ÷ Σ all minutes of the rows.
    trend: list[SellingTime]  # The team's last twelve ISO weeks, oldest first, empty ones too.

    @property
    def below(self) -> list[MemberRow]:
        return [row for row in self.rows if row.figures.below_target]

    @property
    def not_logged(self) -> list[MemberRow]:
        return [row for row in self.rows if not row.figures.total_minutes]


def _scope(*, tenant: Tenant, viewer: Membership) -> set[int] | None:
    """Whose minutes the viewer's team counts: ``None`` for everyone (admins)."""
    if viewer.is_admin:
        return None
    return report_ids(tenant=tenant, manager=viewer) | {viewer.pk}


def _people(*, tenant: Tenant, ids: set[int] | None) -> list[Membership]:
    people = Membership.objects.filter(tenant=tenant).select_related("user")
    if ids is not None and len(ids) <= IN_LIST_LIMIT:
        people = people.filter(pk__in=sorted(ids))
    return [person for person in people if ids is None or person.pk in ids]


def _listed(person: Membership, *, viewer: Membership, logged: bool, first, last) -> bool:
    if logged:
        return True
    if person.pk == viewer.pk or person.is_admin:
        return False
    return person.start_date <= last and (person.end_date is None or person.end_date >= first)


def trend_weeks(*, month: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first Monday and last Sunday of the twelve ISO weeks ending with the week of the
    month's last day, or of today when the month is not over."""
    last = min(month_bounds(month.year, month.month)[1], today)
    final_monday = week_start(last)
    return final_monday - (TREND_WEEKS - 1) * ONE_WEEK, final_monday + dt.timedelta(days=6)


def team_month(
    *, tenant: Tenant, viewer: Membership, month: dt.date, today: dt.date
) -> TeamSellingTime:
    """The viewer's team over ``month``: a row per person, the team's total and the weekly
    trend. Three queries."""
    first, last = month_bounds(month.year, month.month)
    trend_start, trend_end = trend_weeks(month=month, today=today)
    ids = _scope(tenant=tenant, viewer=viewer)
    frame = daily_minutes(
        tenant=tenant, start=min(first, trend_start), end=max(last, trend_end), member_ids=ids
    )
    target = target_of(tenant)
    month_rows = {
        member_id: SellingTime(member_id, start, end, selling, total, days, target)
        for member_id, start, end, selling, total, days in group_minutes(
            frame, group=Grouping.MONTH, start=first, end=last
        )
    }
    rows = [
        MemberRow(
            person,
            month_rows.get(person.pk) or SellingTime(person.pk, first, last, 0, 0, 0, target),
        )
        for person in _people(tenant=tenant, ids=ids)
        if _listed(person, viewer=viewer, logged=person.pk in month_rows, first=first, last=last)
    ]
    rows.sort(key=lambda row: row.member.name.lower())
    weeks = {
        start: SellingTime(None, start, end, selling, total, days, target)
        for _, start, end, selling, total, days in group_minutes(
            frame, group=Grouping.WEEK, start=trend_start, end=trend_end, by_member=False
        )
    }
    trend = []
    for n in range(TREND_WEEKS):
        monday = trend_start + n * ONE_WEEK
        sunday = monday + dt.timedelta(days=6)
        trend.append(weeks.get(monday) or SellingTime(None, monday, sunday, 0, 0, 0, target))
    return TeamSellingTime(
        month=first,
        first=first,
        last=last,
        target_pct=target,
        rows=rows,
        total=team_total((row.figures for row in rows), start=first, end=last, target_pct=target),
        trend=trend,
    )


@dataclass(frozen=True)
class TeamWeekCard:
    week_start: dt.date
    today: dt.date
    total: SellingTime
    below: list[Membership]
    people: int  # How many logged time this week.


def team_week_card(*, tenant: Tenant, viewer: Membership) -> TeamWeekCard:
    """The manager's home card: the team's ratio this week so far and who is below target.
    Two queries, three when someone is below target (their names)."""
    today = tenant.today()
    monday = week_start(today)
    ids = _scope(tenant=tenant, viewer=viewer)
    frame = daily_minutes(tenant=tenant, start=monday, end=today, member_ids=ids)
    target = target_of(tenant)
    rows = [
        SellingTime(member_id, start, end, selling, total, days, target)
        for member_id, start, end, selling, total, days in group_minutes(
            frame, group=Grouping.WEEK, start=monday, end=today
        )
    ]
    below_ids = {row.member_id for row in rows if row.below_target}
    below = _people(tenant=tenant, ids=below_ids) if below_ids else []
    return TeamWeekCard(
        week_start=monday,
        today=today,
        total=team_total(rows, start=monday, end=today, target_pct=target),
        below=sorted(below, key=lambda person: person.name.lower()),
        people=len(rows),
    )
