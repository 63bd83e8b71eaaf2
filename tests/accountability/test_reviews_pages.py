"""The Reviews page: who is due this period (each member of the caller's tree without a
review), drafts, shared and acknowledged; starting a review in one click; choosing the
period; its CSV export; roles, other organisations and a query budget for 50 reps."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability.models import Review, ReviewScore, ReviewTemplate

from ..factories import MembershipFactory
from .review_pages_helpers import acknowledged, shared, started, today_fixture  # noqa: F401

REVIEWS = reverse("accountability:reviews")
START = reverse("accountability:review_start")
CSV = reverse("accountability:reviews_csv")


def due_ids(response) -> set[int]:
    return {member.pk for member in response.context["page"].due}


def test_a_rep_may_not_open_reviews(org, client_for, today):
    assert client_for(org.rep).get(REVIEWS).status_code == 403
    assert client_for(org.rep).get(CSV).status_code == 403
    assert client_for(org.rep).post(START, {"member": org.rep.pk}).status_code == 403
    assert not Review.all_tenants.exists()


def test_a_manager_sees_their_reporting_tree_due_and_an_admin_everyone_but_themselves(
    org, client_for, today
):
    below = MembershipFactory(tenant=org.tenant, manager=org.rep)  # Indirect report.
    response = client_for(org.manager).get(REVIEWS)
    assert response.status_code == 200
    assert due_ids(response) == {org.rep.pk, below.pk}
    assert "Q1 2026" in response.content.decode()
    response = client_for(org.admin).get(REVIEWS)
    assert due_ids(response) == {org.manager.pk, org.rep.pk, org.outsider_rep.pk, below.pk}


def test_reviews_are_grouped_by_status_and_leave_the_due_list(org, client_for, today):
    second = MembershipFactory(tenant=org.tenant, manager=org.manager)
    third = MembershipFactory(tenant=org.tenant, manager=org.manager)
    draft = started(org, member=second)
    sharing = shared(org, member=third)
    done = acknowledged(org)
    page = client_for(org.manager).get(REVIEWS).context["page"]
    assert page.due == []
    assert [r.pk for r in page.drafts] == [draft.pk]
    assert [r.pk for r in page.shared] == [sharing.pk]
    assert [r.pk for r in page.acknowledged] == [done.pk]


def test_start_review_opens_the_editor_and_twice_opens_the_same_review(org, client_for, today):
    client = client_for(org.manager)
    response = client.post(START, {"member": org.rep.pk, "period": "2026-Q1"})
    review = Review.all_tenants.get(member=org.rep)
    assert response.status_code == 302
    assert response["Location"] == reverse("accountability:review", args=[review.pk])
    assert review.status == "draft" and review.reviewer_id == org.manager.pk
    assert ReviewScore.all_tenants.filter(review_id=review.pk).count() == 6
    again = client.post(START, {"member": org.rep.pk, "period": "2026-Q1"})
    assert again["Location"] == response["Location"]
    assert Review.all_tenants.count() == 1


def test_start_review_for_a_chosen_period(org, client_for, today):
    client_for(org.manager).post(START, {"member": org.rep.pk, "period": "2025-Q4"})
    review = Review.all_tenants.get(member=org.rep)
    assert (review.period_start.isoformat(), review.period_end.isoformat()) == (
        "2025-10-01",
        "2025-12-31",
    )


@pytest.mark.parametrize("who", ["outsider_rep", "manager"])
def test_starting_a_review_of_someone_outside_the_tree_is_a_404(org, client_for, today, who):
    response = client_for(org.manager).post(START, {"member": getattr(org, who).pk})
    assert response.status_code == 404
    assert not Review.all_tenants.exists()


def test_another_organisations_member_is_a_404(org, other, client_for, today):
    response = client_for(org.admin).post(START, {"member": other.rep.pk})
    assert response.status_code == 404
    assert not Review.all_tenants.exists()


@pytest.mark.parametrize(
    "data", [{"member": "x"}, {"member": ""}, {"member": "1", "period": "2026-Q9"}]
)
def test_bad_input_to_start_says_so_and_changes_nothing(org, client_for, today, data):
    if data["member"] == "1":
        data["member"] = org.rep.pk
    response = client_for(org.manager).post(START, data)
    assert response.status_code == 400
    assert not Review.all_tenants.exists()


def test_the_period_is_chosen_by_quarter_or_month(org, client_for, today):
    client = client_for(org.manager)
    response = client.get(REVIEWS, {"period": "2025-Q3"})
    assert response.context["page"].start.isoformat() == "2025-07-01"
    assert response.context["page"].end.isoformat() == "2025-09-30"
    # A month names the quarter holding it, as the template is quarterly.
    response = client.get(REVIEWS, {"period": "2025-08"})
    assert response.context["page"].start.isoformat() == "2025-07-01"


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "next", "1999-Q1"])
def test_a_malformed_period_is_a_400_with_a_message(org, client_for, today, period):
    response = client_for(org.manager).get(REVIEWS, {"period": period})
    assert response.status_code == 400
    assert "YYYY-Q" in response.content.decode()


def test_the_csv_lists_the_tree_with_each_criterions_final_score(org, client_for, today):
    acknowledged(org)
    MembershipFactory(tenant=org.tenant, manager=org.manager, user__email="zed@acme.test")
    response = client_for(org.manager).get(CSV, {"period": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reviews-2026-Q1.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_email = {row["email"]: row for row in rows}
    assert set(by_email) == {org.rep.user.email, "zed@acme.test"}
    rep = by_email[org.rep.user.email]
    assert rep["status"] == "acknowledged"
    assert rep["overall_score"] == "4.00"
    assert rep["Quota attainment"] == "4"
    zed = by_email["zed@acme.test"]
    assert zed["status"] == "not started" and zed["overall_score"] == ""


def test_the_sidebar_offers_reviews_to_managers_and_my_reviews_to_everyone(org, client_for, today):
    for member, sees_reviews in ((org.rep, False), (org.manager, True), (org.admin, True)):
        page = client_for(member).get(reverse("home")).content.decode()
        assert (f'href="{REVIEWS}"' in page) is sees_reviews
        assert f'href="{reverse("accountability:mine")}"' in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_reviews_page_reads_as_many_queries_for_50_reps_as_for_5(org, client_for, today):
    for _ in range(4):
        MembershipFactory(tenant=org.tenant, manager=org.manager)
    started(org)
    client = client_for(org.manager)
    small = _queries(client, REVIEWS)
    reps = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(45)]
    for rep in reps[:10]:
        started(org, member=rep)
    for rep in reps[10:15]:
        shared(org, member=rep)
    assert len(client.get(REVIEWS).context["page"].due) == 34
    assert _queries(client, REVIEWS) == small


def test_the_reviews_page_stays_within_its_query_budget(
    org, client_for, today, django_assert_max_num_queries
):
    reps = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(50)]
    for rep in reps[:5]:
        shared(org, member=rep)
    client = client_for(org.manager)
    client.get(REVIEWS)
    with django_assert_max_num_queries(14):
        client.get(REVIEWS)


def test_a_period_not_begun_offers_no_start_and_starting_it_says_why(org, client_for, today):
    client = client_for(org.manager)
    page = client.get(REVIEWS, {"period": "2026-Q2"}).content.decode()
    assert "Start review" not in page and "Reviews start once the period has begun" in page
    response = client.post(START, {"member": org.rep.pk, "period": "2026-Q2"}, follow=True)
    assert "has not started yet" in response.content.decode()
    assert not Review.all_tenants.exists()


def test_a_monthly_template_reviews_by_month(org, client_for, today):
    ReviewTemplate.all_tenants.filter(tenant=org.tenant).update(cadence="monthly")
    client = client_for(org.manager)
    response = client.get(REVIEWS, {"period": "2026-02"})
    assert (response.context["page"].start, response.context["page"].end) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert "February 2026" in response.content.decode()
    assert client.get(REVIEWS).context["period_key"] == "2026-03"
    client.post(START, {"member": org.rep.pk, "period": "2026-02"})
    review = Review.all_tenants.get(member=org.rep)
    assert (review.period_start, review.period_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_the_csv_refuses_a_malformed_period(org, client_for, today):
    response = client_for(org.manager).get(CSV, {"period": "Q3"})
    assert response.status_code == 400
    assert "Give the period as YYYY-Qn" in response.content.decode()


def test_the_csv_reads_as_many_queries_for_50_reps_as_for_5(org, client_for, today):
    for _ in range(4):
        MembershipFactory(tenant=org.tenant, manager=org.manager)
    shared(org)
    client = client_for(org.manager)

    def download_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(CSV)
            b"".join(response.streaming_content)
        return len(context.captured_queries)

    small = download_queries()
    for rep in [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(45)][:5]:
        shared(org, member=rep)
    assert download_queries() == small
