import datetime as dt
from decimal import Decimal

import factory

from territories.models import Account, AssignmentRule, Territory, TerritoryMember

from ..factories import MembershipFactory, TenantFactory, TenantOwnedFactory


class TerritoryFactory(TenantOwnedFactory):
    class Meta:
        model = Territory

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Territory {n}")


class AccountFactory(TenantOwnedFactory):
    class Meta:
        model = Account

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Account {n} Inc")
    external_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    industry = "Software"
    country = "US"
    region = "CA"
    postal_code = "94105"
    annual_potential = Decimal("100000.00")


class TerritoryMemberFactory(TenantOwnedFactory):
    class Meta:
        model = TerritoryMember

    territory = factory.SubFactory(TerritoryFactory)
    tenant = factory.SelfAttribute("territory.tenant")
    member = factory.SubFactory(MembershipFactory, tenant=factory.SelfAttribute("..tenant"))
    role = "owner"
    start_date = dt.date(2026, 1, 1)


class AssignmentRuleFactory(TenantOwnedFactory):
    class Meta:
        model = AssignmentRule

    territory = factory.SubFactory(TerritoryFactory)
    tenant = factory.SelfAttribute("territory.tenant")
    field = "country"
    operator = "equals"
    value = "US"
    priority = 100
