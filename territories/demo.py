"""Territories' part of the demo organisation (a ``SeedStep`` registered in ``plugin.py``).

Three regions with eight territories, each with an owner and overlays (the demo's
managers and reps), about 400 believable accounts, always the same ones, and the rules
that place most of them: a few are left unassigned and a few are conflicts, so the admin
has something to resolve.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from . import services
from .models import Account, AssignmentRule, Territory, TerritoryMember, TerritoryRole

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

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


def seed_territories(*, org: SeededOrg) -> None:
    """The territory tree, its reps, ~400 accounts and the rules that place most of them.

    Everything goes through the territory services, so the history, audit log and
    notifications look as if an admin had set it up. Accounts that already exist (by
    external id) are left alone, and rules are applied only to unassigned accounts and
    only when this run added accounts, so a second run changes nothing.
    """
    tenant = org.tenant
    actor = org.admin.user if org.admin else None
    people = org.people
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
            territories[name] = services.territory_save(
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
                services.territory_member_add(
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
                services.assignment_rule_save(
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
        # Placed from the day the territories were set up, so the assignment history
        # holds for the past year's sales (the encroachment list reads it).
        services.assignment_rules_apply(
            tenant=tenant, actor=actor, only_unassigned=True, effective_date=assignments_from
        )
