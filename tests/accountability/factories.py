import datetime as dt
from decimal import Decimal

import factory

from accountability.models import (
    ActionItem,
    Cadence,
    Criterion,
    Recognition,
    Review,
    ReviewScore,
    ReviewTemplate,
)

from ..factories import MembershipFactory, TenantFactory, TenantOwnedFactory


class ReviewTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = ReviewTemplate

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    cadence = Cadence.QUARTERLY
    effective_from = dt.date(2026, 1, 1)


class CriterionFactory(TenantOwnedFactory):
    class Meta:
        model = Criterion

    template = factory.SubFactory(ReviewTemplateFactory)
    tenant = factory.SelfAttribute("template.tenant")
    label = factory.Sequence(lambda n: f"Criterion {n}")
    metric = Criterion.Metric.ATTAINMENT
    weight = Decimal("10")
    position = factory.Sequence(lambda n: n)
    min_for_2 = Decimal("70")
    min_for_3 = Decimal("90")
    min_for_4 = Decimal("110")
    min_for_5 = Decimal("130")


class ReviewFactory(TenantOwnedFactory):
    class Meta:
        model = Review

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    reviewer = factory.SubFactory(MembershipFactory, tenant=factory.SelfAttribute("..tenant"))
    template = factory.SubFactory(ReviewTemplateFactory, tenant=factory.SelfAttribute("..tenant"))
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 3, 31)


class ReviewScoreFactory(TenantOwnedFactory):
    class Meta:
        model = ReviewScore

    review = factory.SubFactory(ReviewFactory)
    tenant = factory.SelfAttribute("review.tenant")
    criterion = factory.SubFactory(
        CriterionFactory,
        tenant=factory.SelfAttribute("..tenant"),
        template=factory.SelfAttribute("..review.template"),
    )


class ActionItemFactory(TenantOwnedFactory):
    class Meta:
        model = ActionItem

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    owner = factory.SelfAttribute("member")
    title = factory.Sequence(lambda n: f"Action {n}")
    due_date = dt.date(2026, 3, 15)


class RecognitionFactory(TenantOwnedFactory):
    class Meta:
        model = Recognition

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    kind = Recognition.Kind.KUDOS
    title = "Recognition"
    period_start = dt.date(2026, 3, 1)
    period_end = dt.date(2026, 3, 31)
