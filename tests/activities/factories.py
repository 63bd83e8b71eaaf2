import datetime as dt

import factory
import pytest

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


# Imported by the test modules that check the attainment request: it is sent only when a
# quota of the activity's month counts activities.
@pytest.fixture(name="activities_counted")
def activities_counted_fixture(org):
    """A quota on the ``activities`` metric for org's rep in every month from 2025 to 2027,
    so that logging a selling activity in any of them asks for attainment."""
    from quotas.models import Metric

    from ..quotas.factories import QuotaFactory

    for year in (2025, 2026, 2027):
        for month in range(1, 13):
            QuotaFactory(member=org.rep, month=dt.date(year, month, 1), metric=Metric.ACTIVITIES)
