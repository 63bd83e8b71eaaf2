"""A believable demo organisation. Idempotent: running it again changes nothing.

Later capabilities (territories, quotas, activities, reviews) add their own
``seed_*`` functions here and ``seed_demo`` calls them in order.
"""

import datetime as dt
import math
import random
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from spm.calendars import services as calendar_services
from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.services import tenant_create
from territories import services as territory_services
from territories.models import Account, AssignmentRule, Territory, TerritoryMember, TerritoryRole

User = get_user_model()

MANAGER_NAMES = ["Dana Whitfield", "Marcus Oyelaran"]
REP_NAMES = [
    "Priya Raman", "Tom Kowalski", "Elena García", "Jamal Carter", "Sofia Lindqvist",
    "Noah Bennett", "Aisha Mensah", "Lucas Moreau", "Hannah Schultz", "Diego Alvarez",
    "Mei Chen", "Oliver Grant",
]  # fmt: skip


@dataclass
class SeededOrg:
    tenant: Tenant
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, name)


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
    seeded.logins.append((admin_user.email, Role.ADMIN, admin_user.name))
    start = dt.date(tenant.today().year - 2, 1, 5)

    def member(email: str, name: str, role: str, manager: Membership | None, started: dt.date):
        user = _user(email, name, password)
        membership, _ = Membership.all_tenants.get_or_create(
            tenant=tenant,
            user=user,
            defaults={"role": role, "manager": manager, "start_date": started},
        )
        seeded.logins.append((email, role, name))
        return membership

    with tenant_context(tenant):
        head = member(f"manager1@{slug}.example", MANAGER_NAMES[0], Role.MANAGER, None, start)
        lead = member(f"manager2@{slug}.example", MANAGER_NAMES[1], Role.MANAGER, head, start)
        for number, name in enumerate(REP_NAMES, start=1):
            # Reps 1–6 report to the head of sales, 7–12 to the team lead; the last two
            # joined recently, so their first months are partial.
            started = (
                start
                if number < 11
                else tenant.today().replace(day=1) - dt.timedelta(days=40 * (12 - number + 1))
            )
            member(
                f"rep{number}@{slug}.example",
                name,
                Role.REP,
                head if number <= 6 else lead,
                started,
            )
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


# --- Territories and accounts ---------------------------------------------------------

# Region → territories, each with its owner, overlays, and the rules that place accounts.
# A rule is (field, operator, value). Idaho is claimed by both Pacific Northwest and
# Mountain at the same priority on purpose: those accounts are a conflict the admin
# resolves. France, the Netherlands and Canada have no territory: those accounts stay
# unassigned.
TERRITORY_PLAN: list[tuple[str, str, list[dict]]] = [
    (
        "North America — East",
        "The eastern half of the United States.",
        [
            {
                "name": "Northeast",
                "owner": "rep1",
                "overlays": ["manager1", "rep10"],
                "rules": [("region", "in", "CT, MA, ME, NH, RI, VT, NY, NJ, PA")],
            },
            {
                "name": "Southeast",
                "owner": "rep2",
                "overlays": ["manager1"],
                "rules": [("region", "in", "FL, GA, NC, SC, VA, TN, AL")],
            },
            {
                "name": "Great Lakes",
                "owner": "rep3",
                "overlays": ["manager1"],
                "rules": [("region", "in", "IL, IN, MI, OH, WI, MN")],
            },
        ],
    ),
    (
        "North America — West",
        "The western half of the United States.",
        [
            {
                "name": "Pacific Northwest",
                "owner": "rep4",
                "overlays": ["manager2"],
                "rules": [("region", "in", "WA, OR, AK, ID")],
            },
            {
                "name": "California",
                "owner": "rep5",
                "overlays": ["manager2", "rep9"],
                # The Las Vegas metro (ZIP 889–891) is served from Los Angeles.
                "rules": [
                    ("region", "equals", "CA"),
                    ("postal_code", "starts_with", "889, 890, 891"),
                ],
            },
            {
                "name": "Mountain",
                "owner": "rep6",
                "overlays": ["manager2"],
                "rules": [("region", "in", "CO, UT, AZ, NM, MT, WY, ID")],
            },
        ],
    ),
    (
        "EMEA",
        "Europe, the Middle East and Africa.",
        [
            {
                "name": "UK & Ireland",
                "owner": "rep7",
                "overlays": ["rep11"],
                "rules": [("country", "in", "GB, IE")],
            },
            {
                "name": "DACH",
                "owner": "rep8",
                "overlays": [],
                "rules": [("country", "in", "DE, AT, CH")],
            },
        ],
    ),
]

# Where accounts are: (country, region, postal-code makers) by territory, and how many.
# A postal-code maker is a prefix the generator completes with random digits.
US = "US"
LOCATIONS: dict[str, tuple[int, list[tuple[str, str, list[str]]]]] = {
    "Northeast": (70, [
        (US, "MA", ["021", "024"]), (US, "NY", ["100", "112", "146"]), (US, "NJ", ["070", "085"]),
        (US, "PA", ["191", "152"]), (US, "CT", ["061", "065"]), (US, "NH", ["030"]),
        (US, "VT", ["054"]), (US, "ME", ["041"]), (US, "RI", ["029"]),
    ]),
    "Southeast": (50, [
        (US, "FL", ["331", "328", "336"]), (US, "GA", ["303"]), (US, "NC", ["275", "282"]),
        (US, "SC", ["294"]), (US, "VA", ["222", "232"]), (US, "TN", ["372", "381"]),
        (US, "AL", ["352"]),
    ]),
    "Great Lakes": (55, [
        (US, "IL", ["606", "617"]), (US, "IN", ["462"]), (US, "MI", ["482", "495"]),
        (US, "OH", ["432", "441", "452"]), (US, "WI", ["532"]), (US, "MN", ["554"]),
    ]),
    "Pacific Northwest": (35, [
        (US, "WA", ["981", "992"]), (US, "OR", ["972"]), (US, "AK", ["995"]),
    ]),
    "California": (62, [(US, "CA", ["900", "941", "921", "958"]), (US, "NV", ["891", "890"])]),
    "Mountain": (30, [
        (US, "CO", ["802"]), (US, "UT", ["841"]), (US, "AZ", ["850"]), (US, "NM", ["871"]),
        (US, "MT", ["591"]), (US, "WY", ["820"]),
    ]),
    "UK & Ireland": (46, [
        ("GB", "England", ["EC1A #AA", "M1 #AE", "B2 #QA", "LS1 #BA"]),
        ("GB", "Scotland", ["EH1 #YZ", "G1 #XQ"]), ("GB", "Wales", ["CF10 #EP"]),
        ("GB", "Northern Ireland", ["BT1 #AA"]),
        ("IE", "Dublin", ["D02 X2##"]), ("IE", "Cork", ["T12 K8##"]),
    ]),
    "DACH": (43, [
        ("DE", "BE", ["101##"]), ("DE", "BY", ["803##"]), ("DE", "HH", ["200##"]),
        ("DE", "HE", ["603##"]), ("DE", "NW", ["506##"]), ("AT", "Wien", ["10#0"]),
        ("AT", "Tirol", ["6020"]), ("CH", "Zürich", ["80#0"]), ("CH", "Genève", ["12#1"]),
        ("CH", "Basel-Stadt", ["40#1"]),
    ]),
    # Matched by two territories at the same priority: conflicts.
    "conflict": (3, [(US, "ID", ["837"])]),
    # No territory covers these countries: unassigned.
    "unassigned": (6, [
        ("FR", "Île-de-France", ["750##"]), ("NL", "Noord-Holland", ["10## AB"]),
        ("CA", "ON", ["M5V #A#"]),
    ]),
}  # fmt: skip

INDUSTRIES: dict[str, list[str]] = {
    "Software": ["Software", "Systems", "Analytics", "Cloud", "Labs", "Data"],
    "Manufacturing": ["Manufacturing", "Industries", "Fabrication", "Components", "Machine Works"],
    "Healthcare": ["Health", "Medical", "Clinics", "Care Partners", "Diagnostics"],
    "Retail": ["Outfitters", "Market", "Foods", "Home Goods", "Apparel"],
    "Financial Services": ["Capital", "Financial", "Bank", "Insurance", "Wealth Partners"],
    "Logistics": ["Logistics", "Freight", "Transport", "Shipping", "Distribution"],
    "Education": ["Academy", "Learning", "College", "Education Group"],
    "Energy": ["Energy", "Power", "Solar", "Utilities", "Renewables"],
}
NAME_STEMS = [
    "Blue Harbor", "Summit", "Northwind", "Ironwood", "Silver Creek", "Red Oak", "Granite",
    "Cedar Point", "Brightwater", "Evergreen", "Falcon", "Harborview", "Keystone", "Lakeside",
    "Meridian", "Pinnacle", "Redwood", "Riverbend", "Stonebridge", "Sunrise", "Tidewater",
    "Westfield", "Copperline", "Highland", "Atlas", "Beacon", "Crescent", "Fairview",
    "Horizon", "Juniper", "Oakridge", "Pioneer", "Sterling", "Trailhead", "Vantage", "Willow",
    "Zenith", "Bluestone", "Clearwater", "Foxglove",
]  # fmt: skip
LEGAL_FORMS = {
    US: ["Inc", "LLC", "Corp", "Co."], "GB": ["Ltd", "Ltd", "plc"], "IE": ["Ltd", "DAC"],
    "DE": ["GmbH", "GmbH", "AG"], "AT": ["GmbH", "AG"], "CH": ["AG", "SA", "GmbH"],
    "FR": ["SAS", "SA"], "NL": ["B.V."], "CA": ["Inc", "Ltd"],
}  # fmt: skip
DEMO_SEED = 20_260_101  # Fixed, so every run generates the same accounts.


def _postal_code(rng: random.Random, pattern: str) -> str:
    """A US ZIP from a 3-digit prefix, or any pattern with ``#`` standing for a digit."""
    if pattern.isdigit() and len(pattern) == 3:
        return f"{pattern}{rng.randint(0, 99):02d}"
    return "".join(str(rng.randint(0, 9)) if char == "#" else char for char in pattern)


def _potential(rng: random.Random) -> Decimal:
    """Log-normal around 150,000 (most accounts small, a few large), 20k–2M, in hundreds."""
    amount = rng.lognormvariate(math.log(150_000), 0.9)
    amount = min(max(amount, 20_000), 2_000_000)
    return Decimal(round(amount / 100) * 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class DemoAccount:
    external_id: str
    name: str
    industry: str
    country: str
    region: str
    postal_code: str
    annual_potential: Decimal


def demo_accounts() -> list[DemoAccount]:
    """About 400 believable accounts, always the same ones."""
    rng = random.Random(DEMO_SEED)
    accounts: list[DemoAccount] = []
    names: set[str] = set()
    for count, places in LOCATIONS.values():
        for _ in range(count):
            country, region, patterns = rng.choice(places)
            industry = rng.choice(list(INDUSTRIES))
            name = ""
            while not name or name in names:
                name = (
                    f"{rng.choice(NAME_STEMS)} {rng.choice(INDUSTRIES[industry])} "
                    f"{rng.choice(LEGAL_FORMS[country])}"
                )
            names.add(name)
            accounts.append(
                DemoAccount(
                    external_id=f"ACC-{len(accounts) + 1:05d}",
                    name=name,
                    industry=industry,
                    country=country,
                    region=region,
                    postal_code=_postal_code(rng, rng.choice(patterns)),
                    annual_potential=_potential(rng),
                )
            )
    return accounts


def seed_territories(*, tenant: Tenant) -> None:
    """The territory tree, its reps, ~400 accounts and the rules that place most of them.

    Everything goes through the territory services, so the history, audit log and
    notifications look as if an admin had set it up. Accounts that already exist (by
    external id) are left alone, and rules are applied only to unassigned accounts and
    only when this run added accounts, so a second run changes nothing.
    """
    with tenant_context(tenant):
        admin = (
            Membership.objects.filter(tenant=tenant, role=Role.ADMIN)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        actor = admin.user if admin else None
        people = {
            m.user.email.split("@")[0]: m
            for m in Membership.objects.filter(tenant=tenant).select_related("user")
        }
        territories = {t.name: t for t in Territory.objects.filter(tenant=tenant)}
        linked = set(
            TerritoryMember.objects.filter(tenant=tenant).values_list("territory_id", "member_id")
        )
        ruled = set(
            AssignmentRule.objects.filter(tenant=tenant).values_list(
                "territory_id", "field", "operator", "value"
            )
        )
        assignments_from = dt.date(tenant.today().year - 1, 1, 1)

        def territory(name: str, parent: Territory | None, description: str = "") -> Territory:
            if name not in territories:
                territories[name] = territory_services.territory_save(
                    tenant=tenant, actor=actor, name=name, parent=parent, description=description
                )
            return territories[name]

        for region_name, description, children in TERRITORY_PLAN:
            region = territory(region_name, None, description)
            for plan in children:
                node = territory(plan["name"], region)
                team = [(plan["owner"], TerritoryRole.OWNER)] + [
                    (key, TerritoryRole.OVERLAY) for key in plan["overlays"]
                ]
                for key, role in team:
                    person = people.get(key)
                    if person is None or (node.pk, person.pk) in linked:
                        continue
                    territory_services.territory_member_add(
                        tenant=tenant,
                        actor=actor,
                        territory=node,
                        member=person,
                        role=role,
                        start_date=max(person.start_date, assignments_from),
                    )
                for field_name, operator, value in plan["rules"]:
                    if (node.pk, field_name, operator, value) in ruled:
                        continue
                    territory_services.assignment_rule_save(
                        tenant=tenant,
                        actor=actor,
                        territory=node,
                        field=field_name,
                        operator=operator,
                        value=value,
                    )

        existing = set(Account.objects.filter(tenant=tenant).values_list("external_id", flat=True))
        new = [
            Account(tenant=tenant, **asdict(account))
            for account in demo_accounts()
            if account.external_id not in existing
        ]
        if new:
            Account.objects.bulk_create(new, batch_size=500)
            territory_services.assignment_rules_apply(
                tenant=tenant, actor=actor, only_unassigned=True
            )


@transaction.atomic
def seed_demo(*, slug: str = "acme", password: str) -> SeededOrg:
    seeded = seed_people(slug=slug, password=password)
    seed_calendar(tenant=seeded.tenant)
    seed_territories(tenant=seeded.tenant)
    return seeded
