"""What the Day page, week and account search tests share: a fixed today (Monday
16 March 2026) in every organisation, the organisation's default types by name, and a
small map of territories (the rep works West; Priya Raman owns East)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from activities.models import Activity, ActivityType
from spm.tenancy.models import Tenant
from territories.models import Account, Territory

from ..conftest import Org
from ..factories import MembershipFactory, UserFactory
from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory
from .factories import ActivityFactory

TODAY = dt.date(2026, 3, 16)  # A Monday.


# Imported by the test modules; named so the import does not shadow the fixture's name.
@pytest.fixture(name="today")
def today_fixture(monkeypatch) -> dt.date:
    monkeypatch.setattr(Tenant, "today", lambda self: TODAY)
    return TODAY


def kind(org: Org, name: str) -> ActivityType:
    return ActivityType.all_tenants.get(tenant=org.tenant, name=name)


def logged(org: Org, member, name: str, minutes: int, day: dt.date = TODAY, **fields) -> Activity:
    return ActivityFactory(
        member=member, type=kind(org, name), duration_minutes=minutes, date=day, **fields
    )


@dataclass
class Land:
    west: Territory
    east: Territory
    home: Account  # West's: the rep's own.
    away: Account  # East's: Priya Raman's.
    nowhere: Account  # In no territory.


def build_land(org: Org) -> Land:
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="Northeast")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=dt.date(2026, 1, 1))
    priya = MembershipFactory(tenant=org.tenant, user=UserFactory(name="Priya Raman"))
    TerritoryMemberFactory(territory=east, member=priya, start_date=dt.date(2026, 1, 1))
    return Land(
        west=west,
        east=east,
        home=AccountFactory(tenant=org.tenant, name="Home Goods Inc", territory=west),
        away=AccountFactory(tenant=org.tenant, name="Faraway Freight", territory=east),
        nowhere=AccountFactory(tenant=org.tenant, name="Nowhere Ltd", territory=None),
    )


@pytest.fixture(name="land")
def land_fixture(org) -> Land:
    return build_land(org)
