"""Reviews for the demo organisation (a ``SeedStep`` registered in ``plugin.py``), run after
quotas' and activities' steps, whose figures are the evidence.

Last quarter is reviewed for every manager and rep: reps by their manager, managers by
theirs (the head of sales by the admin), through the review services, so evidence and
suggested scores come from the seeded data. Each review takes the suggested scores (3
where there is none) and is shared; two of every three are acknowledged, with a comment
from the member. Idempotent: starting a review that exists opens it, and only a fresh
draft is scored and shared.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from spm.tenancy.models import Membership

from .models import Review
from .services import (
    ScoreInput,
    may_review,
    review_acknowledge,
    review_save,
    review_share,
    review_start,
    template_for,
)
from .services.templates import period_of

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

COMMENTS = (
    "Fair. I will focus on the pipeline in the first weeks of the quarter.",
    "Agreed; the selling-time numbers were a wake-up call.",
    "",
)
SUMMARY = "A solid quarter. Keep the selling time up and plan the top accounts earlier."


def seed_reviews(*, org: SeededOrg) -> None:
    tenant = org.tenant
    today = tenant.today()
    template = template_for(tenant=tenant, day=today)
    this_start, _ = period_of(template.cadence, today)
    last_start, _ = period_of(template.cadence, this_start - dt.timedelta(days=1))
    people: dict[int, Membership] = {
        person.pk: person for person in [org.admin, *org.managers, *org.reps] if person
    }
    for position, member in enumerate([*org.managers, *org.reps]):
        reviewer = people.get(member.manager_id) or org.admin
        if reviewer is None or not may_review(tenant=tenant, actor=reviewer, member=member):
            continue
        review = review_start(tenant=tenant, actor=reviewer, member=member, period_start=last_start)
        if review.status != Review.Status.DRAFT or review.version != 1:
            continue
        scores = {
            row.criterion_id: ScoreInput(row.suggested_score or 3, "")
            for row in review.scores.all()
        }
        review = review_save(
            tenant=tenant, actor=reviewer, review=review, scores=scores, summary=SUMMARY
        )
        review = review_share(tenant=tenant, actor=reviewer, review=review)
        if position % 3 != 2:
            review_acknowledge(
                tenant=tenant,
                actor=member,
                review=review,
                comment=COMMENTS[position % len(COMMENTS)],
            )
