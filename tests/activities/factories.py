import datetime as dt

import factory

from activities.models import Activity, ActivityType, Category, PlanTask

from ..factories import MembershipFactory, TenantFactory, TenantOwnedFactory


class ActivityTypeFactory(TenantOwnedFactory):
    class Meta:
        model = ActivityType

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Type {n}")
    category = Category.SELLING
    default_duration = 30


class ActivityFactory(TenantOwnedFactory):
    class Meta:
        model = Activity

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    type = factory.SubFactory(ActivityTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    date = factory.LazyFunction(lambda: dt.date(2026, 3, 2))
    duration_minutes = 30


class PlanTaskFactory(TenantOwnedFactory):
    class Meta:
        model = PlanTask

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    date = factory.LazyFunction(lambda: dt.date(2026, 3, 2))
    title = factory.Sequence(lambda n: f"Task {n}")
