"""Read queries behind the dashboards. Each selector takes the tenant first and reads a
bounded number of rows with a fixed number of queries, whatever the size of the team."""

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from spm import plugins
from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import AuditEvent, Invitation, Membership, Role, Tenant
from spm.tenancy.selectors import report_ids

# How far ahead the manager's "who is off" card looks, today included.
OFF_WINDOW_DAYS = 14


def current_members(*, tenant: Tenant, today: dt.date) -> QuerySet[Membership]:
    """Members who have not left: no end date, or an end date today or later."""
    return Membership.objects.filter(tenant=tenant).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def member_counts_by_role(*, tenant: Tenant, today: dt.date) -> dict[str, int]:
    """Current members per role, every role present (0 when nobody has it)."""
    counts = dict.fromkeys(Role.values, 0)
    rows = current_members(tenant=tenant, today=today).values("role").annotate(n=Count("pk"))
    for row in rows:
        counts[row["role"]] = row["n"]
    return counts


def pending_invitation_count(*, tenant: Tenant) -> int:
    """Invitations that can still be accepted (pending and not past their expiry)."""
    return Invitation.objects.filter(
        tenant=tenant, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).count()


def upcoming_holidays(*, tenant: Tenant, today: dt.date, limit: int) -> list[Holiday]:
    return list(Holiday.objects.filter(tenant=tenant, date__gte=today).order_by("date")[:limit])


def holidays_between(*, tenant: Tenant, start: dt.date, end: dt.date) -> list[Holiday]:
    return list(
        Holiday.objects.filter(tenant=tenant, date__gte=start, date__lte=end).order_by("date")
    )


def time_off_overlapping(
    *, tenant: Tenant, member_ids: Iterable[int], start: dt.date, end: dt.date
) -> list[TimeOff]:
    """Time off of these members that touches [start, end] (both ends included)."""
    return list(
        TimeOff.objects.filter(tenant=tenant, member_id__in=list(member_ids))
        .filter(start__lte=end, end__gte=start)
        .select_related("member__user")
        .order_by("start", "member__user__name")
    )


# --- Getting started ----------------------------------------------------------


@dataclass(frozen=True)
class ChecklistStep:
    title: str
    description: str
    url_name: str
    action: str
    done: bool


def getting_started(*, tenant: Tenant) -> list[ChecklistStep]:
    """The first things an admin sets up, each marked done from the organisation's data."""
    settings_done = AuditEvent.objects.filter(
        tenant=tenant, action="tenant.settings_changed"
    ).exists()
    people_done = (
        Invitation.objects.filter(tenant=tenant).exists()
        or Membership.objects.filter(tenant=tenant).exclude(role=Role.ADMIN).exists()
    )
    holidays_done = Holiday.objects.filter(tenant=tenant).exists()
    core_steps = [
        ChecklistStep(
            title="Set your time zone and work week",
            description="Dates, work days and daily targets follow your organisation's calendar.",
            url_name="tenancy:settings",
            action="Open settings",
            done=settings_done,
        ),
        ChecklistStep(
            title="Invite managers and reps",
            description="Invite managers first, then their reps, so reporting lines are right.",
            url_name="tenancy:invitations",
            action="Invite people",
            done=people_done,
        ),
        ChecklistStep(
            title="Add your holidays",
            description="Holidays are never work days: quotas and targets skip them.",
            url_name="calendars:index",
            action="Open calendar",
            done=holidays_done,
        ),
    ]
    app_steps = [
        ChecklistStep(
            title=step.title,
            description=step.description,
            url_name=step.url_name,
            action=step.action,
            done=step.is_done(tenant=tenant),
        )
        for step in plugins.setup_steps
    ]
    return core_steps + app_steps


# --- Audit trail --------------------------------------------------------------


@dataclass(frozen=True)
class ActivityLine:
    """One audit event told as a sentence: who did what, and when."""

    actor: str
    text: str
    created_at: dt.datetime


def _role_label(value: str) -> str:
    return Role(value).label.lower() if value in Role.values else value


def _field_list(data: dict) -> str:
    names = [name.replace("_", " ") for name in data]
    return ", ".join(names) if names else "settings"


def _describe(event: AuditEvent, member_names: dict[str, str]) -> str:
    data = event.data or {}
    subject = member_names.get(event.object_id, "a member")
    match event.action:
        case "tenant.created":
            return "created the organisation"
        case "tenant.settings_changed":
            return f"changed the organisation's {_field_list(data)}"
        case "membership.created":
            return f"added {subject} as {_role_label(data.get('role', ''))}".rstrip()
        case "membership.changed":
            return f"changed {subject}'s {_field_list(data)}"
        case "invitation.created":
            role = _role_label(data.get("role", ""))
            return f"invited {data.get('email', 'someone')}" + (f" as {role}" if role else "")
        case "invitation.accepted":
            return "accepted an invitation"
        case "invitation.revoked":
            return "withdrew an invitation"
        case "api_token.issued":
            return "issued an API token"
    # Actions of domain apps, e.g. "territory.created" or "accounts.assigned":
    # "created territory", "assigned accounts", followed by a name when there is one.
    noun, _, verb = event.action.partition(".")
    text = f"{verb.replace('_', ' ')} {noun.replace('_', ' ')}".strip()
    name = data.get("name")
    return f"{text} “{name}”" if isinstance(name, str) and name else text


def recent_activity(*, tenant: Tenant, limit: int = 10) -> list[ActivityLine]:
    """The organisation's last audit events as sentences. Two queries whatever ``limit``."""
    events = list(
        AuditEvent.objects.filter(tenant=tenant)
        .select_related("actor")
        .order_by("-created_at")[:limit]
    )
    member_ids = {
        int(event.object_id)
        for event in events
        if event.object_type == "Membership" and event.object_id.isdigit()
    }
    member_names = {
        str(pk): name or email
        for pk, name, email in Membership.objects.filter(
            tenant=tenant, pk__in=member_ids
        ).values_list("pk", "user__name", "user__email")
    }
    return [
        ActivityLine(
            actor=str(event.actor) if event.actor else "The system",
            text=_describe(event, member_names),
            created_at=event.created_at,
        )
        for event in events
    ]


# --- Days ---------------------------------------------------------------------


@dataclass(frozen=True)
class DayStatus:
    """Whether a member works on a day and, if not, why."""

    day: dt.date
    is_work_day: bool
    headline: str
    detail: str
    holiday: Holiday | None = None
    time_off: TimeOff | None = None


def _long_date(day: dt.date) -> str:
    return f"{day:%A}, {day.day} {day:%B %Y}"


def day_status(
    *,
    tenant: Tenant,
    member: Membership,
    day: dt.date,
    holidays: Iterable[Holiday],
    time_off: Iterable[TimeOff],
) -> DayStatus:
    """Decide from already-loaded holidays and time off, so it costs no query."""
    holiday = next((h for h in holidays if h.date == day), None)
    absence = next((t for t in time_off if t.start <= day <= t.end), None)
    if not member.is_employed_on(day):
        if day < member.start_date:
            detail = f"Your first day is {_long_date(member.start_date)}."
        else:
            detail = "Your employment with this organisation has ended."
        return DayStatus(day, False, "Not an employment day", detail)
    if holiday is not None:
        return DayStatus(
            day, False, f"Holiday: {holiday.name}", "Nobody has a target today.", holiday=holiday
        )
    if day.isoweekday() not in tenant.work_week:
        return DayStatus(
            day, False, "Not a work day", f"{day:%A} is outside {tenant.name}'s work week."
        )
    if absence is not None:
        reason = f" ({absence.reason})" if absence.reason else ""
        return DayStatus(
            day,
            False,
            "You are off today",
            f"Time off{reason} until {_long_date(absence.end)}.",
            time_off=absence,
        )
    return DayStatus(day, True, "Work day", "A good day to sell.")


def capacity_days_left_in_month(
    *,
    tenant: Tenant,
    member: Membership,
    today: dt.date,
    holidays: Iterable[Holiday],
    time_off: Iterable[TimeOff],
) -> int:
    """Capacity days (DESIGN 4.1) from today to the end of the month, today included."""
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    holiday_dates = {h.date for h in holidays}
    count = 0
    day = today
    while day <= last:
        if (
            day.isoweekday() in tenant.work_week
            and day not in holiday_dates
            and member.is_employed_on(day)
            and not any(t.start <= day <= t.end for t in time_off)
        ):
            count += 1
        day += dt.timedelta(days=1)
    return count


# --- Dashboards -----------------------------------------------------------------


@dataclass
class AdminDashboard:
    today: dt.date
    counts: dict[str, int]
    member_total: int
    pending_invitations: int
    holidays: list[Holiday]
    steps: list[ChecklistStep]
    steps_done: int
    activity: list[ActivityLine]


def admin_dashboard(*, tenant: Tenant, viewer: Membership) -> AdminDashboard:
    today = tenant.today()
    counts = member_counts_by_role(tenant=tenant, today=today)
    steps = getting_started(tenant=tenant)
    return AdminDashboard(
        today=today,
        counts=counts,
        member_total=sum(counts.values()),
        pending_invitations=pending_invitation_count(tenant=tenant),
        holidays=upcoming_holidays(tenant=tenant, today=today, limit=3),
        steps=steps,
        steps_done=sum(step.done for step in steps),
        activity=recent_activity(tenant=tenant, limit=10),
    )


@dataclass
class Absence:
    """Someone away during the window: a member's time off, clipped to the window."""

    member: Membership
    start: dt.date
    end: dt.date
    reason: str
    is_today: bool


@dataclass
class ManagerDashboard:
    today: dt.date
    window_end: dt.date
    team: list[Membership]
    direct_count: int
    absences: list[Absence]
    off_today: int
    holidays: list[Holiday] = field(default_factory=list)


def manager_dashboard(*, tenant: Tenant, viewer: Membership) -> ManagerDashboard:
    today = tenant.today()
    window_end = today + dt.timedelta(days=OFF_WINDOW_DAYS - 1)
    ids = report_ids(tenant=tenant, manager=viewer)
    team = list(
        current_members(tenant=tenant, today=today)
        .filter(pk__in=ids)
        .select_related("user", "manager__user")
        .order_by("user__name", "user__email")
    )
    team_ids = [member.pk for member in team]
    absences = [
        Absence(
            member=t.member,
            start=t.start,
            end=t.end,
            reason=t.reason,
            is_today=t.start <= today <= t.end,
        )
        for t in time_off_overlapping(
            tenant=tenant, member_ids=team_ids, start=today, end=window_end
        )
    ]
    return ManagerDashboard(
        today=today,
        window_end=window_end,
        team=team,
        direct_count=sum(1 for member in team if member.manager_id == viewer.pk),
        absences=absences,
        off_today=len({a.member.pk for a in absences if a.is_today}),
        holidays=holidays_between(tenant=tenant, start=today, end=window_end),
    )


@dataclass
class RepDashboard:
    today: dt.date
    status: DayStatus
    manager: Membership | None
    capacity_days_left: int
    time_off: list[TimeOff]
    holidays: list[Holiday]


def rep_dashboard(*, tenant: Tenant, viewer: Membership) -> RepDashboard:
    today = tenant.today()
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    # One read each for holidays and time off covers today, the month and what is coming.
    horizon = max(month_end, today + dt.timedelta(days=365))
    holidays = holidays_between(tenant=tenant, start=today, end=horizon)
    # Time off never overlaps, so a year ahead holds at most a year of rows.
    time_off = list(
        TimeOff.objects.filter(
            tenant=tenant, member=viewer, end__gte=today, start__lte=horizon
        ).order_by("start")
    )
    manager = (
        Membership.objects.filter(tenant=tenant, pk=viewer.manager_id)
        .select_related("user")
        .first()
        if viewer.manager_id
        else None
    )
    return RepDashboard(
        today=today,
        status=day_status(
            tenant=tenant, member=viewer, day=today, holidays=holidays, time_off=time_off
        ),
        manager=manager,
        capacity_days_left=capacity_days_left_in_month(
            tenant=tenant, member=viewer, today=today, holidays=holidays, time_off=time_off
        ),
        time_off=time_off[:5],
        holidays=holidays[:5],
    )


# --- The apps' cards ------------------------------------------------------------


@dataclass(frozen=True)
class LoadedCard:
    """A dashboard card of a domain app with what it shows (``data``)."""

    key: str
    template: str
    column: str
    data: object


def plugin_cards(*, tenant: Tenant, viewer: Membership) -> list[LoadedCard]:
    """The cards the apps add to the viewer's dashboard (``spm.plugins.dashboard_cards``)."""
    return [
        LoadedCard(
            key=card.key,
            template=card.template,
            column=card.column,
            data=card.load(tenant=tenant, viewer=viewer),
        )
        for card in plugins.dashboard_cards
        if viewer.role in card.roles
    ]
