"""A believable demo organisation. Idempotent: running it again changes nothing.

The core seeds what it owns: the organisation, its people (an admin, two managers, twelve
reps) and its calendar. Each domain app adds its own data through a ``SeedStep``
registered in ``spm.plugins.seed_steps`` (its ``plugin.py``); ``seed_demo`` runs every
step, in registration order, after the people and the calendar.
"""

import datetime as dt
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from spm import plugins
from spm.calendars import services as calendar_services
from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.services import tenant_create

User = get_user_model()

MANAGER_NAMES = ["Dana Whitfield", "Marcus Oyelaran"]
REP_NAMES = [
    "Priya Raman", "Tom Kowalski", "Elena García", "Jamal Carter", "Sofia Lindqvist",
    "Noah Bennett", "Aisha Mensah", "Lucas Moreau", "Hannah Schultz", "Diego Alvarez",
    "Mei Chen", "Oliver Grant",
]  # fmt: skip


@dataclass
class SeededOrg:
    """The demo organisation as the seed steps receive it."""

    tenant: Tenant
    admin: Membership | None = None
    managers: list[Membership] = field(default_factory=list)  # The head of sales first.
    reps: list[Membership] = field(default_factory=list)  # rep1 … rep12, in order.
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, name)

    @property
    def people(self) -> dict[str, Membership]:
        """Everyone by the name of their login: ``"admin"``, ``"manager1"``, ``"rep7"``…"""
        members = [self.admin, *self.managers, *self.reps]
        return {m.user.email.split("@")[0]: m for m in members if m is not None}


def _user(email: str, name: str, password: str):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th ``weekday`` (0 = Monday) of a month; n = -1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """A holiday on a Saturday is observed on Friday, on a Sunday on Monday."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def us_holidays(year: int) -> list[tuple[dt.date, str]]:
    return [
        (_observed(dt.date(year, 1, 1)), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents' Day"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_observed(dt.date(year, 6, 19)), "Juneteenth"),
        (_observed(dt.date(year, 7, 4)), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_observed(dt.date(year, 11, 11)), "Veterans Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (_nth_weekday(year, 11, 3, 4) + dt.timedelta(days=1), "Day after Thanksgiving"),
        (_observed(dt.date(year, 12, 25)), "Christmas Day"),
    ]


def seed_people(*, slug: str, password: str) -> SeededOrg:
    """The organisation, its admin, two managers (one reporting to the other) and 12 reps."""
    tenant = Tenant.objects.filter(slug=slug).first()
    admin_user = _user(f"admin@{slug}.example", "Alex Morgan", password)
    if tenant is None:
        tenant = tenant_create(
            name=f"{slug.title()} Corporation", owner=admin_user, timezone_name="America/New_York"
        )
        if tenant.slug != slug:  # tenant_create derives the slug from the name.
            Tenant.objects.filter(pk=tenant.pk).update(slug=slug)
            tenant.slug = slug
    seeded = SeededOrg(tenant=tenant)
    start = dt.date(tenant.today().year - 2, 1, 5)

    def member(email: str, name: str, role: str, manager: Membership | None, started: dt.date):
        user = _user(email, name, password)
        membership, _ = Membership.objects.select_related("user").get_or_create(
            tenant=tenant,
            user=user,
            defaults={"role": role, "manager": manager, "start_date": started},
        )
        seeded.logins.append((email, role, name))
        return membership

    with tenant_context(tenant):
        # ``tenant_create`` made the owner an admin; a second run finds that membership.
        seeded.admin = member(admin_user.email, admin_user.name, Role.ADMIN, None, start)
        head = member(f"manager1@{slug}.example", MANAGER_NAMES[0], Role.MANAGER, None, start)
        lead = member(f"manager2@{slug}.example", MANAGER_NAMES[1], Role.MANAGER, head, start)
        seeded.managers = [head, lead]
        for number, name in enumerate(REP_NAMES, start=1):
            # Reps 1–6 report to the head of sales, 7–12 to the team lead; the last two
            # joined recently, so their first months are partial.
            started = (
                start
                if number < 11
                else tenant.today().replace(day=1) - dt.timedelta(days=40 * (12 - number + 1))
            )
            rep = member(
                f"rep{number}@{slug}.example",
                name,
                Role.REP,
                head if number <= 6 else lead,
                started,
            )
            seeded.reps.append(rep)
    return seeded


def seed_calendar(*, tenant: Tenant) -> None:
    """Public holidays for this year and next, and some time off for a few reps."""
    today = tenant.today()
    with tenant_context(tenant):
        existing = set(Holiday.objects.filter(tenant=tenant).values_list("date", flat=True))
        for year in (today.year, today.year + 1):
            for day, name in us_holidays(year):
                if day not in existing:
                    calendar_services.holiday_create(tenant=tenant, actor=None, date=day, name=name)
        reps = {
            m.user.email.split("@")[0]: m
            for m in Membership.objects.filter(tenant=tenant, role=Role.REP).select_related("user")
        }
        monday = today - dt.timedelta(days=today.weekday())
        plan = [
            ("rep2", 7, 11, "Vacation"),
            ("rep5", 14, 15, "Conference"),
            ("rep8", 21, 30, "Parental leave"),
            ("rep11", -10, -8, "Sick leave"),
        ]
        for rep_key, first, last, reason in plan:
            member = reps.get(rep_key)
            if member is None:
                continue
            start, end = monday + dt.timedelta(days=first), monday + dt.timedelta(days=last)
            if not TimeOff.objects.filter(tenant=tenant, member=member, reason=reason).exists():
                calendar_services.time_off_create(
                    tenant=tenant, actor=None, member=member, start=start, end=end, reason=reason
                )


@transaction.atomic
def seed_demo(*, slug: str = "acme", password: str) -> SeededOrg:
    """The people and the calendar, then every app's seed step, in one transaction."""
    seeded = seed_people(slug=slug, password=password)
    seed_calendar(tenant=seeded.tenant)
    for step in plugins.seed_steps:
        with tenant_context(seeded.tenant):
            step.run(org=seeded)
    return seeded
