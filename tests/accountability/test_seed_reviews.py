"""``seed_demo`` gives the demo organisation last quarter's reviews, with evidence from the
seeded data: every manager and rep reviewed, shared, two in three acknowledged (with
a comment where the member wrote one); running it again adds nothing."""

import datetime as dt

import pytest
from django.core.management import call_command

from accountability.models import Review, ReviewScore
from accountability.services.templates import period_of
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant

TENANT = "initech"


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--password", "demo-password-1", "--tenant", TENANT)
    tenant = Tenant.objects.get(slug=TENANT)
    with tenant_context(tenant):
        yield tenant


def test_last_quarter_is_reviewed_once(seeded):
    this_quarter, _ = period_of("quarterly", seeded.today())
    last_quarter = period_of("quarterly", this_quarter - dt.timedelta(days=1))
    reviews = list(Review.objects.filter(tenant=seeded).select_related("member"))
    assert len(reviews) >= 12
    assert {(r.period_start, r.period_end) for r in reviews} == {last_quarter}
    assert all(r.reviewer_id != r.member_id for r in reviews)
    statuses = [r.status for r in reviews]
    assert Review.Status.DRAFT not in statuses
    assert statuses.count(Review.Status.ACKNOWLEDGED) > statuses.count(Review.Status.SHARED) > 0
    assert any(r.member_comment for r in reviews if r.status == Review.Status.ACKNOWLEDGED)
    assert all(r.overall_score is not None for r in reviews)
    scores = ReviewScore.objects.filter(tenant=seeded, criterion__metric="selling_ratio")
    assert scores.exclude(evidence=None).exists()
    assert not ReviewScore.objects.filter(tenant=seeded, final_score=None).exists()

    call_command("seed_demo", "--password", "demo-password-1", "--tenant", TENANT)
    assert Review.objects.filter(tenant=seeded).count() == len(reviews)
