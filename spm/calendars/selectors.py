"""Calendar reads and calendar maths (DESIGN 4.1).

For a member and a month:

- **tenant work days**: the month's days on the tenant's work week that are not holidays;
- **employed work days**: the tenant work days within the member's employment;
- **capacity days**: the employed work days not in the member's time off.

All ranges include both ends. The bulk variants read the month's holidays in one query
and its time off in one query, whatever the number of members, so the quota rolldown
can ask for thousands of reps at once.
"""

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from spm.tenancy.models import Membership, Tenant

from .models import Holiday, TimeOff

ONE_DAY = dt.timedelta(days=1)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``start`` to ``end``, both included (empty when ``end < start``)."""
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


# --- Lists for pages and the API ------------------------------------------------


def holiday_list(
    *, tenant: Tenant, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Holiday]:
    holidays = Holiday.objects.filter(tenant=tenant)
    if start is not None:
        holidays = holidays.filter(date__gte=start)
    if end is not None:
        holidays = holidays.filter(date__lte=end)
    return holidays.order_by("date")


def holiday_dates(*, tenant: Tenant, start: dt.date, end: dt.date) -> set[dt.date]:
    """The tenant's holidays from ``start`` to ``end`` inclusive, in one query."""
    return set(
        Holiday.objects.filter(tenant=tenant, date__gte=start, date__lte=end).values_list(
            "date", flat=True
        )
    )


def time_off_list(
    *,
    tenant: Tenant,
    member_ids: Iterable[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[TimeOff]:
    """Time off of ``member_ids`` (``None``: everyone) that overlaps ``start``–``end``."""
    time_off = TimeOff.objects.filter(tenant=tenant).select_related("member__user")
    if member_ids is not None:
        time_off = time_off.filter(member_id__in=list(member_ids))
    if start is not None:
        time_off = time_off.filter(end__gte=start)
    if end is not None:
        time_off = time_off.filter(start__lte=end)
    return time_off.order_by("start", "member__user__name", "pk")


def tenant_work_days_between(
    *, tenant: Tenant, start: dt.date, end: dt.date, holidays: set[dt.date] | None = None
) -> list[dt.date]:
    """Tenant work days from ``start`` to ``end`` inclusive (reads holidays unless given)."""
    if holidays is None:
        holidays = holiday_dates(tenant=tenant, start=start, end=end)
    work_week = set(tenant.work_week)
    return [
        day
        for day in days_between(start, end)
        if day.isoweekday() in work_week and day not in holidays
    ]


# --- One member, one month --------------------------------------------------------


def tenant_work_days(*, tenant: Tenant, year: int, month: int) -> list[dt.date]:
    """The month's days on the tenant's work week that are not tenant holidays."""
    first, last = month_bounds(year, month)
    return tenant_work_days_between(tenant=tenant, start=first, end=last)


def employed_work_days(
    *, tenant: Tenant, member: Membership, year: int, month: int
) -> list[dt.date]:
    """The tenant work days of the month within the member's employment (one query)."""
    return employed_work_days_by_member(tenant=tenant, members=[member], year=year, month=month)[
        member.pk
    ]


def capacity_days(*, tenant: Tenant, member: Membership, year: int, month: int) -> list[dt.date]:
    """The member's employed work days of the month that are not in their time off."""
    return member_month(tenant=tenant, member=member, year=year, month=month).capacity_days


def member_month(*, tenant: Tenant, member: Membership, year: int, month: int) -> "MemberMonth":
    """All three day lists for one member and one month (two queries)."""
    return member_months(tenant=tenant, members=[member], year=year, month=month)[member.pk]


# --- Many members, one month ------------------------------------------------------


@dataclass(frozen=True)
class MemberMonth:
    """One member's calendar for one month; each list is sorted by date."""

    tenant_work_days: list[dt.date]
    employed_work_days: list[dt.date]
    capacity_days: list[dt.date]


def _days_off_by_member(
    *, tenant: Tenant, member_ids: set[int], first: dt.date, last: dt.date
) -> dict[int, set[dt.date]]:
    """Each member's days off within ``first``–``last``, from one query.

    The query reads the whole tenant's time off overlapping the month and keeps the
    wanted members in Python: a month holds few ranges, and this avoids an ``IN`` list
    of thousands of ids (which SQLite caps and which makes a poor query plan).
    """
    days_off: dict[int, set[dt.date]] = defaultdict(set)
    ranges = TimeOff.objects.filter(tenant=tenant, start__lte=last, end__gte=first).values_list(
        "member_id", "start", "end"
    )
    for member_id, start, end in ranges:
        if member_id in member_ids:
            days_off[member_id].update(days_between(max(start, first), min(end, last)))
    return days_off


def member_months(
    *, tenant: Tenant, members: Iterable[Membership], year: int, month: int
) -> dict[int, MemberMonth]:
    """``MemberMonth`` for every member, keyed by membership id, in two queries.

    ``members`` must be memberships of ``tenant`` with their employment dates loaded;
    no query is made per member.
    """
    members = list(members)
    foreign = [member.pk for member in members if member.tenant_id != tenant.pk]
    if foreign:
        raise ValueError(f"Memberships {foreign} do not belong to {tenant.slug}.")
    first, last = month_bounds(year, month)
    work_days = tenant_work_days_between(tenant=tenant, start=first, end=last)
    days_off = _days_off_by_member(
        tenant=tenant, member_ids={member.pk for member in members}, first=first, last=last
    )
    result: dict[int, MemberMonth] = {}
    for member in members:
        employed_from = max(member.start_date, first)
        employed_to = min(member.end_date or last, last)
        employed = [day for day in work_days if employed_from <= day <= employed_to]
        off = days_off.get(member.pk, set())
        result[member.pk] = MemberMonth(
            tenant_work_days=work_days,
            employed_work_days=employed,
            capacity_days=[day for day in employed if day not in off],
        )
    return result


def capacity_days_by_member(
    *, tenant: Tenant, members: Iterable[Membership], year: int, month: int
) -> dict[int, list[dt.date]]:
    """Capacity days of the month for every member, keyed by membership id, in two queries."""
    return {
        member_id: month_days.capacity_days
        for member_id, month_days in member_months(
            tenant=tenant, members=members, year=year, month=month
        ).items()
    }


def employed_work_days_by_member(
    *, tenant: Tenant, members: Iterable[Membership], year: int, month: int
) -> dict[int, list[dt.date]]:
    """Employed work days of the month for every member, keyed by membership id (one query)."""
    members = list(members)
    first, last = month_bounds(year, month)
    work_days = tenant_work_days_between(tenant=tenant, start=first, end=last)
    result = {}
    for member in members:
        if member.tenant_id != tenant.pk:
            raise ValueError(f"Membership {member.pk} does not belong to {tenant.slug}.")
        employed_to = min(member.end_date or last, last)
        result[member.pk] = [day for day in work_days if member.start_date <= day <= employed_to]
    return result
