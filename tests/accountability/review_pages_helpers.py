"""What the review page tests share: a fixed today (Monday 16 March 2026, in Q1 2026) and
reviews made through the services, as the pages make them."""

import datetime as dt

import pytest

from accountability.models import Review, ReviewScore
from accountability.services import (
    ScoreInput,
    review_acknowledge,
    review_save,
    review_share,
    review_start,
)
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant

TODAY = dt.date(2026, 3, 16)


@pytest.fixture(name="today")
def today_fixture(monkeypatch) -> dt.date:
    monkeypatch.setattr(Tenant, "today", lambda self: TODAY)
    return TODAY


def started(org, member=None, actor=None, day: dt.date | None = None) -> Review:
    """A draft review of ``member`` (acme's rep) by ``actor`` (their manager)."""
    with tenant_context(org.tenant):
        return review_start(
            tenant=org.tenant,
            actor=actor or org.manager,
            member=member or org.rep,
            period_start=day or TODAY,
        )


def scored(org, review: Review, score: int = 4, actor=None) -> Review:
    """Every criterion of ``review`` scored ``score``, with a note."""
    with tenant_context(org.tenant):
        criteria = ReviewScore.objects.filter(review=review).values_list("criterion_id", flat=True)
        return review_save(
            tenant=org.tenant,
            actor=actor or review.reviewer,
            review=review,
            scores={pk: ScoreInput(final_score=score, note="Solid") for pk in criteria},
            summary="A good quarter.",
        )


def shared(org, member=None, actor=None) -> Review:
    review = scored(org, started(org, member=member, actor=actor))
    with tenant_context(org.tenant):
        return review_share(tenant=org.tenant, actor=review.reviewer, review=review)


def acknowledged(org, comment: str = "Thanks") -> Review:
    review = shared(org)
    with tenant_context(org.tenant):
        return review_acknowledge(
            tenant=org.tenant, actor=review.member, review=review, comment=comment
        )


def fresh(org, review: Review) -> Review:
    return Review.all_tenants.get(pk=review.pk)


def final_scores(review: Review) -> list:
    return list(
        ReviewScore.all_tenants.filter(review_id=review.pk)
        .order_by("criterion__position")
        .values_list("final_score", flat=True)
    )
