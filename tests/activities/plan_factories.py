"""A small book of accounts for the daily plan's tests: a territory the rep works, with
accounts of known potential and last contacts, and the rep's revenue quota with today's
target."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from quotas.models import QuotaTarget
from territories.models import Account, Territory

from ..conftest import Org
from ..quotas.factories import QuotaFactory, QuotaTargetFactory, SaleFactory
from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory
from .factories import ActivityFactory, ActivityTypeFactory


@dataclass
class Book:
    territory: Territory
    accounts: dict[str, Account]


def book_for(org: Org, member=None, *, today: dt.date | None = None) -> Book:
    """Five accounts in a territory ``member`` (the rep by default) works today:

    ===========  =========  =================  ================
    account      potential  last contact       score
    ===========  =========  =================  ================
    Alder        1,000.00   never (365 days)   365,000.00
    Birch        5,000.00   10 days ago         50,000.00
    Cedar        2,000.00   30 days ago         60,000.00
    Dogwood        100.00   never (365 days)    36,500.00
    Elm         50,000.00   today (0 days)           0.00
    ===========  =========  =================  ================

    So the order is Alder, Cedar, Birch, Dogwood, Elm.
    """
    member = member or org.rep
    today = today or org.tenant.today()
    territory = TerritoryFactory(tenant=org.tenant, name=f"Plan {member.pk}")
    TerritoryMemberFactory(territory=territory, member=member, start_date=today.replace(day=1))
    potentials = {
        "Alder": "1000.00",
        "Birch": "5000.00",
        "Cedar": "2000.00",
        "Dogwood": "100.00",
        "Elm": "50000.00",
    }
    accounts = {
        name: AccountFactory(
            tenant=org.tenant, name=name, territory=territory, annual_potential=Decimal(amount)
        )
        for name, amount in potentials.items()
    }
    kind = ActivityTypeFactory(tenant=org.tenant, name=f"Visit {member.pk}")
    # Someone else's contacts count: the last contact is anyone's.
    ActivityFactory(
        member=org.outsider_rep,
        type=kind,
        account=accounts["Birch"],
        date=today - dt.timedelta(days=10),
    )
    ActivityFactory(
        member=member, type=kind, account=accounts["Birch"], date=today - dt.timedelta(days=40)
    )
    ActivityFactory(
        member=member, type=kind, account=accounts["Cedar"], date=today - dt.timedelta(days=30)
    )
    ActivityFactory(member=member, type=kind, account=accounts["Elm"], date=today)
    return Book(territory=territory, accounts=accounts)


def revenue_target(org: Org, member, *, target: str, sold_today: str | None = None, today=None):
    """``member``'s revenue quota of this month with a day row of ``target`` today, and a
    sale of ``sold_today`` closed today."""
    today = today or org.tenant.today()
    quota = QuotaFactory(member=member, month=today.replace(day=1))
    QuotaTargetFactory(
        quota=quota, granularity=QuotaTarget.Granularity.DAY, start=today, amount=Decimal(target)
    )
    if sold_today is not None:
        SaleFactory(member=member, closed_on=today, amount=Decimal(sold_today))
    return quota
