"""The review editor: each criterion with its weight, thresholds in words, evidence and
suggested score; the final score as five radio buttons and a note; Save (the version it
read, 409 with the current values when stale), Save and share (both or neither); the
overall score to one decimal; who edits, who reads, who finds nothing; read-only after
acknowledgement with Correct for the reviewer; the printable page."""

import pytest
from django.urls import reverse

from accountability.models import Review, ReviewScore
from spm.notifications.models import Notification

from ..factories import MembershipFactory
from .review_pages_helpers import (  # noqa: F401
    acknowledged,
    final_scores,
    fresh,
    scored,
    shared,
    started,
    today_fixture,
)


def url(review, name="review") -> str:
    return reverse(f"accountability:{name}", args=[review.pk])


def form_data(review, scores: dict | None = None, **extra) -> dict:
    """Every criterion scored 3 (or as ``scores`` says by position), as the form posts."""
    rows = ReviewScore.all_tenants.filter(review_id=review.pk).order_by("criterion__position")
    data = {"version": str(fresh(None, review).version), "summary": "Steady.", **extra}
    for n, row in enumerate(rows):
        value = (scores or {}).get(n, 3)
        data[f"score-{row.criterion_id}"] = "" if value is None else str(value)
        data[f"note-{row.criterion_id}"] = f"Note {n}"
    return data


def test_the_editor_shows_each_criterion_with_its_basis_and_score_buttons(org, client_for, today):
    review = started(org)
    response = client_for(org.manager).get(url(review))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["editable"]
    for label in ("Quota attainment", "Pace", "Selling time", "Account planning"):
        assert label in page
    assert "Meets: 90–110% of quota" in page
    assert "Outstanding: 450 selling activities or more" in page
    assert "Weight 40%" in page
    assert page.count('type="radio"') == 6 * 5
    assert "No data" in page  # No quota: no attainment evidence.
    assert "Use suggested scores" in page
    assert f'name="version" value="{review.version}"' in page


def test_saving_sets_scores_notes_and_the_overall_score(org, client_for, today):
    review = started(org)
    data = form_data(review, {0: 5, 1: 4})
    response = client_for(org.manager).post(url(review, "review_save"), data)
    assert response.status_code == 302
    saved = fresh(org, review)
    assert final_scores(saved) == [5, 4, 3, 3, 3, 3]
    # (40×5 + 10×4 + 50×3) ÷ 100 = 3.9
    assert str(saved.overall_score) == "3.90"
    assert saved.summary == "Steady."
    assert saved.status == "draft"
    page = client_for(org.manager).get(url(review)).content.decode()
    assert "data-overall>3.9<" in page


@pytest.mark.parametrize("bad", ["7", "0", "x", "3.5"])
def test_a_score_outside_1_to_5_says_so_and_changes_nothing(org, client_for, today, bad):
    review = started(org)
    before = fresh(org, review).version
    data = form_data(review, {0: bad})
    response = client_for(org.manager).post(url(review, "review_save"), data)
    assert response.status_code == 400
    assert "choose a score from 1 to 5" in response.content.decode()
    assert final_scores(review) == [None] * 6
    assert fresh(org, review).version == before


def test_a_stale_save_is_a_409_showing_the_current_values(org, client_for, today):
    review = started(org)
    old = form_data(review, {0: 1})
    scored(org, review, score=5)  # Someone else saved meanwhile.
    response = client_for(org.manager).post(url(review, "review_save"), old)
    assert response.status_code == 409
    page = response.content.decode()
    assert "nothing was saved" in page
    assert final_scores(review) == [5] * 6
    # The form shows what is stored now, with the new version to save against.
    assert f'name="version" value="{fresh(org, review).version}"' in page
    assert page.count("checked") == 6


def test_save_and_share_shares_and_notifies_the_member(org, client_for, today):
    review = started(org)
    response = client_for(org.manager).post(
        url(review, "review_save"), form_data(review, action="share")
    )
    assert response.status_code == 302
    assert fresh(org, review).status == "shared"
    assert Notification.all_tenants.filter(recipient=org.rep).exists()


def test_sharing_with_a_criterion_unscored_changes_nothing(org, client_for, today):
    review = started(org)
    data = form_data(review, {2: None}, action="share")
    response = client_for(org.manager).post(url(review, "review_save"), data)
    assert response.status_code == 400
    assert "Give a final score to: Selling time" in response.content.decode()
    saved = fresh(org, review)
    assert saved.status == "draft" and final_scores(saved) == [None] * 6
    assert not Notification.all_tenants.filter(recipient=org.rep).exists()


def test_the_member_finds_no_draft_and_reads_a_shared_review(org, client_for, today):
    review = started(org)
    assert client_for(org.rep).get(url(review)).status_code == 404
    review = shared(org)
    response = client_for(org.rep).get(url(review))
    assert response.status_code == 200
    assert not response.context["editable"]
    assert 'type="radio"' not in response.content.decode()
    assert response.context["may_acknowledge"]
    assert (
        client_for(org.rep).post(url(review, "review_save"), form_data(review)).status_code == 403
    )


def test_an_admin_edits_and_a_manager_outside_the_tree_finds_nothing(org, client_for, today):
    review = started(org)
    assert client_for(org.admin).get(url(review)).context["editable"]
    stranger = MembershipFactory(tenant=org.tenant, role="manager", manager=org.admin)
    assert client_for(stranger).get(url(review)).status_code == 404
    data = form_data(review, {0: 5})
    assert client_for(stranger).post(url(review, "review_save"), data).status_code == 404
    assert final_scores(review) == [None] * 6


def test_another_organisations_review_is_a_404(org, other, client_for, today):
    review = started(other)
    client = client_for(org.admin)
    for name in ("review", "review_print"):
        assert client.get(url(review, name)).status_code == 404
    for name in ("review_save", "review_correct", "review_acknowledge"):
        assert client.post(url(review, name), form_data(review)).status_code == 404
    assert final_scores(review) == [None] * 6


def test_an_acknowledged_review_is_read_only_with_correct_for_the_reviewer(org, client_for, today):
    review = acknowledged(org)
    client = client_for(org.manager)
    response = client.get(url(review))
    assert not response.context["editable"] and response.context["may_correct"]
    page = response.content.decode()
    assert 'type="radio"' not in page and "Thanks" in page
    response = client.post(url(review, "review_save"), form_data(review, {0: 1}))
    assert response.status_code == 400
    assert "can no longer change" in response.content.decode()
    assert final_scores(review) == [4] * 6
    response = client.post(url(review, "review_correct"))
    correction = Review.all_tenants.get(corrects_id=review.pk)
    assert response["Location"] == url(correction)
    assert correction.status == "draft" and final_scores(correction) == [4] * 6
    assert client.get(url(correction)).context["editable"]
    # The member reads it read-only, without Correct.
    response = client_for(org.rep).get(url(review))
    assert not response.context["editable"] and not response.context["may_correct"]


def test_the_printable_review_has_no_navigation_and_a_print_stylesheet(org, client_for, today):
    review = acknowledged(org)
    response = client_for(org.rep).get(url(review, "review_print"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "accountability/print.css" in page
    assert "<nav" not in page and "sidebar" not in page
    assert "Quota attainment" in page and "4 · Exceeds" in page and "Thanks" in page


def test_the_editor_reads_a_fixed_number_of_queries(
    org, client_for, today, django_assert_max_num_queries
):
    review = started(org)
    client = client_for(org.manager)
    client.get(url(review))
    with django_assert_max_num_queries(16):
        assert client.get(url(review)).status_code == 200
