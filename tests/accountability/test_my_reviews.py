"""My reviews (shared and acknowledged, never a draft; Acknowledge with an optional
comment), How I'm reviewed (this period's template and the next one's when a newer version
takes over, every criterion's weight and thresholds in words) and the home card."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from accountability.models import ReviewTemplate
from accountability.services import review_share
from spm.tenancy.context import tenant_context

from .factories import CriterionFactory
from .review_pages_helpers import acknowledged, fresh, scored, shared, started, today_fixture  # noqa: F401

MINE = reverse("accountability:mine")
CRITERIA = reverse("accountability:criteria")


def ack_url(review) -> str:
    return reverse("accountability:review_acknowledge", args=[review.pk])


def test_my_reviews_lists_shared_and_acknowledged_not_drafts(org, client_for, today):
    review = shared(org)
    draft = started(org, member=org.manager, actor=org.admin)
    response = client_for(org.rep).get(MINE)
    assert [r.pk for r in response.context["reviews"]] == [review.pk]
    page = response.content.decode()
    assert "Q1 2026" in page and "Acknowledge" in page and "4.0" in page
    assert client_for(org.manager).get(MINE).context["reviews"] == []
    assert draft.pk


def test_the_member_acknowledges_with_a_comment(org, client_for, today):
    review = shared(org)
    data = {"version": fresh(org, review).version, "comment": "  Agreed, thanks. ", "next": MINE}
    response = client_for(org.rep).post(ack_url(review), data)
    assert response.status_code == 302 and response["Location"] == MINE
    done = fresh(org, review)
    assert done.status == "acknowledged" and done.member_comment == "Agreed, thanks."
    page = client_for(org.rep).get(MINE).content.decode()
    assert "Agreed, thanks." in page


def test_only_the_member_acknowledges(org, client_for, today):
    review = shared(org)
    assert client_for(org.manager).post(ack_url(review), {"comment": "x"}).status_code == 403
    assert client_for(org.outsider_rep).post(ack_url(review)).status_code == 404
    assert fresh(org, review).status == "shared"


def test_a_stale_acknowledgement_is_a_409_and_changes_nothing(org, client_for, today):
    review = shared(org)
    old_version = fresh(org, review).version
    scored(org, fresh(org, review), score=2)  # The reviewer changed it meanwhile.
    response = client_for(org.rep).post(ack_url(review), {"version": old_version, "comment": "Ok"})
    assert response.status_code == 409
    assert "read it again" in response.content.decode()
    assert fresh(org, review).status == "shared"


def test_a_comment_too_long_says_so_and_changes_nothing(org, client_for, today):
    review = shared(org)
    response = client_for(org.rep).post(ack_url(review), {"comment": "x" * 5001})
    assert response.status_code == 400
    assert "under 5,000 characters" in response.content.decode()
    assert fresh(org, review).status == "shared"


def test_a_bad_version_is_a_400(org, client_for, today):
    review = shared(org)
    assert client_for(org.rep).post(ack_url(review), {"version": "v2"}).status_code == 400
    assert fresh(org, review).status == "shared"


def test_an_acknowledged_review_cannot_be_acknowledged_again(org, client_for, today):
    review = acknowledged(org, comment="First")
    response = client_for(org.rep).post(ack_url(review), {"comment": "Second"})
    assert response.status_code == 400
    assert fresh(org, review).member_comment == "First"


def test_how_im_reviewed_shows_weights_and_thresholds_in_words(org, client_for, today):
    response = client_for(org.rep).get(CRITERIA)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This period: Q1 2026" in page
    assert "Meets: 90–110% of quota" in page
    assert "Far below: under 70% of quota" in page
    assert "weight 40%" in page
    assert "From the next period" not in page


def test_how_im_reviewed_shows_the_next_periods_newer_version(org, client_for, today):
    with tenant_context(org.tenant):
        current = ReviewTemplate.objects.get(tenant=org.tenant)
        newer = ReviewTemplate.objects.create(
            tenant=org.tenant,
            family=current.family,
            version=2,
            name=current.name,
            effective_from=dt.date(2026, 4, 1),
        )
        CriterionFactory(
            template=newer, label="Pipeline coverage", weight=Decimal(100),
            metric="attainment", min_for_3=Decimal("95"),
        )  # fmt: skip
    page = client_for(org.rep).get(CRITERIA).content.decode()
    assert "From the next period: Q2 2026" in page
    assert "Pipeline coverage" in page and "version 2" in page
    assert "Meets: 95–110% of quota" in page


def test_the_home_card_asks_the_member_to_acknowledge(org, client_for, today):
    home = reverse("home")
    assert "A review to acknowledge" not in client_for(org.rep).get(home).content.decode()
    shared(org)
    page = client_for(org.rep).get(home).content.decode()
    assert "A review to acknowledge" in page
    acknowledged_page = client_for(org.manager).get(home).content.decode()
    assert "A review to acknowledge" not in acknowledged_page


def test_another_organisations_people_see_none_of_ours(org, other, client_for, today):
    review = shared(org)
    response = client_for(other.rep).get(MINE)
    assert response.context["reviews"] == []
    assert client_for(other.rep).post(ack_url(review), {"comment": "x"}).status_code == 404
    assert fresh(org, review).status == "shared"


def test_my_reviews_reads_a_fixed_number_of_queries(
    org, client_for, today, django_assert_max_num_queries
):
    shared(org)
    for day in (dt.date(2025, 11, 1), dt.date(2025, 8, 1), dt.date(2025, 5, 1)):
        review = scored(org, started(org, day=day))
        with tenant_context(org.tenant):
            review_share(tenant=org.tenant, actor=org.manager, review=review)
    client = client_for(org.rep)
    assert len(client.get(MINE).context["reviews"]) == 4
    with django_assert_max_num_queries(12):
        assert client.get(MINE).status_code == 200
