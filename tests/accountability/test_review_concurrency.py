"""Two people starting the same review at once open one review: the second waits for the
first's row, then finds it; two saves at once run one after the other, each on the other's
result, and a stale version named by the second is refused. PostgreSQL only (SQLite has
no row locks); CI runs these."""

import pytest
from django.db import connection

from accountability.models import Review
from accountability.services import ScoreInput, review_save, review_start
from spm.tenancy.context import tenant_context
from spm.tenancy.versioning import StaleVersion

from ..conftest import build_org
from ..territories.test_concurrency import celery_join_flag, race  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]


def test_starting_the_same_review_twice_at_once_opens_one():
    org = build_org("twice")
    started = []

    def start(actor):
        def run():
            with tenant_context(org.tenant):
                started.append(review_start(tenant=org.tenant, actor=actor, member=org.rep).pk)

        return run

    outcomes = race(start(org.manager), start(org.admin))

    assert outcomes == {"first": "saved", "second": "saved", "second waited": "yes"}
    assert len(set(started)) == 1
    assert Review.all_tenants.filter(tenant=org.tenant).count() == 1


def test_two_saves_at_once_run_one_after_the_other():
    org = build_org("saves")
    with tenant_context(org.tenant):
        review = review_start(tenant=org.tenant, actor=org.manager, member=org.rep)
        first_criterion, second_criterion = [row.criterion_id for row in review.scores.all()][:2]
    refused = []

    def save(criterion_id, version):
        def run():
            with tenant_context(org.tenant):
                try:
                    review_save(
                        tenant=org.tenant,
                        actor=org.manager,
                        review=review,
                        scores={criterion_id: ScoreInput(4)},
                        version=version,
                    )
                except StaleVersion as stale:
                    refused.append(stale.current.version)

        return run

    outcomes = race(save(first_criterion, None), save(second_criterion, 1))

    assert outcomes["second waited"] == "yes"
    assert refused == [2]  # The second read version 1; the first had made it 2.
    saved = Review.all_tenants.get(pk=review.pk)
    assert saved.version == 2
    with tenant_context(org.tenant):
        scored = saved.scores.exclude(final_score=None).values_list("criterion_id", flat=True)
        assert list(scored) == [first_criterion]
