"""The reviews API: who sees which reviews (drafts are the reviewer's until shared), tenant
isolation (404 for every method), starting (idempotent), saving scores with a 409 for a
stale version, sharing, acknowledging (the member alone), correcting, filters, bad input
that changes nothing, and a query budget for the list."""

import datetime as dt

import pytest

from accountability.models import Review, ReviewScore
from accountability.services import ScoreInput, review_save, review_share, review_start
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import MembershipFactory

REVIEWS = "/api/v1/reviews/"
Q1 = dt.date(2026, 1, 1)
STALE = "Someone changed this since you read it: reload and try again."


def start(org, member, actor=None, day=Q1) -> Review:
    with tenant_context(org.tenant):
        return review_start(
            tenant=org.tenant, actor=actor or org.manager, member=member, period_start=day
        )


def score_all(org, review, value=3, actor=None) -> Review:
    with tenant_context(org.tenant):
        scores = {row.criterion_id: ScoreInput(value) for row in review.scores.all()}
        return review_save(
            tenant=org.tenant, actor=actor or review.reviewer, review=review, scores=scores
        )


def shared(org, member, actor=None) -> Review:
    review = score_all(org, start(org, member, actor))
    with tenant_context(org.tenant):
        return review_share(tenant=org.tenant, actor=review.reviewer, review=review)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def world(org, other):
    """The rep's shared review (by the manager), the outsider rep's draft and the manager's
    own draft (by the admin), and another organisation's draft."""
    return {
        "rep": shared(org, org.rep),
        "outsider": start(org, org.outsider_rep, org.admin),
        "manager_draft": start(org, org.manager, org.admin),
        "foreign": start(other, other.rep),
    }


# --- Reading ---------------------------------------------------------------------------------


def test_who_sees_which_reviews(org, world, api_for):
    rep, outsider, manager_draft = world["rep"], world["outsider"], world["manager_draft"]
    assert ids(api_for(org.admin).get(REVIEWS)) == {rep.pk, outsider.pk, manager_draft.pk}
    # The manager's own review is a draft: not theirs to read yet.
    assert ids(api_for(org.manager).get(REVIEWS)) == {rep.pk}
    assert ids(api_for(org.rep).get(REVIEWS)) == {rep.pk}
    # A draft is the reviewer's until shared.
    assert ids(api_for(org.outsider_rep).get(REVIEWS)) == set()


def test_a_manager_reads_their_own_review_once_shared(org, world, api_for):
    with tenant_context(org.tenant):
        score_all(org, world["manager_draft"])
        review_share(tenant=org.tenant, actor=org.admin, review=world["manager_draft"])
    assert world["manager_draft"].pk in ids(api_for(org.manager).get(REVIEWS))


def test_a_review_with_its_scores(org, world, api_for):
    response = api_for(org.rep).get(f"{REVIEWS}{world['rep'].pk}/")
    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in ("member_id", "reviewer_id", "status", "overall_score")} == {
        "member_id": org.rep.pk,
        "reviewer_id": org.manager.pk,
        "status": "shared",
        "overall_score": "3.00",
    }
    assert (data["period_start"], data["period_end"], data["corrects_id"]) == (
        "2026-01-01",
        "2026-03-31",
        None,
    )
    first = data["scores"][0]
    assert set(first) == {
        "criterion_id", "label", "metric", "weight", "evidence", "suggested_score",
        "final_score", "note",
    }  # fmt: skip
    assert (first["label"], first["metric"], first["weight"], first["final_score"]) == (
        "Quota attainment",
        "attainment",
        "40.00",
        3,
    )
    assert [row["metric"] for row in data["scores"]][-1] == "manual"


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("rep", "outsider"),
        ("rep", "foreign"),
        ("outsider_rep", "rep"),
        ("manager", "outsider"),
        ("manager", "manager_draft"),
        ("admin", "foreign"),
    ],
)
def test_a_review_the_caller_may_not_see_is_404_whatever_the_method(
    org, world, api_for, who, which
):
    api = api_for(getattr(org, who))
    url = f"{REVIEWS}{world[which].pk}/"
    assert api.get(url).status_code == 404
    if getattr(org, who).role != Role.REP:  # A rep may not write: 403 before looking.
        assert api.patch(url, {"summary": "x"}, format="json").status_code == 404
        assert api.post(url + "share/", {}, format="json").status_code == 404
        assert api.post(url + "correct/", {}, format="json").status_code == 404
    assert api.post(url + "acknowledge/", {}, format="json").status_code == 404


def test_filters(org, world, api_for):
    api = api_for(org.admin)
    assert ids(api.get(REVIEWS, {"member_id": org.rep.pk})) == {world["rep"].pk}
    assert ids(api.get(REVIEWS, {"status": "draft"})) == {
        world["outsider"].pk,
        world["manager_draft"].pk,
    }
    assert len(ids(api.get(REVIEWS, {"period": "2026-Q1"}))) == 3
    assert len(ids(api.get(REVIEWS, {"period": "2026-02"}))) == 3
    assert ids(api.get(REVIEWS, {"period": "2026-Q2"})) == set()
    bad = api.get(REVIEWS, {"period": "2026-Q5"})
    assert bad.status_code == 400 and "period" in bad.json()
    assert api.get(REVIEWS, {"status": "lost"}).status_code == 400


def test_the_list_reads_in_a_fixed_number_of_queries(
    org, world, api_for, django_assert_max_num_queries
):
    api = api_for(org.admin)
    with django_assert_max_num_queries(12) as few:
        api.get(REVIEWS)
    for _ in range(8):
        member = MembershipFactory(tenant=org.tenant, role=Role.REP, manager=org.manager)
        start(org, member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(REVIEWS))) == 11


# --- Starting ------------------------------------------------------------------------------------


def test_a_manager_starts_a_review_and_starting_again_opens_it(org, api_for):
    api = api_for(org.manager)
    response = api.post(
        REVIEWS, {"member_id": org.rep.pk, "period_start": "2026-02-10"}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["period_start"], data["reviewer_id"]) == (
        "draft",
        "2026-01-01",
        org.manager.pk,
    )
    assert len(data["scores"]) == 6
    again = api.post(
        REVIEWS, {"member_id": org.rep.pk, "period_start": "2026-03-31"}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]


@pytest.mark.parametrize(
    ("who", "member", "code"),
    [
        ("rep", "rep", 403),
        ("rep", "outsider_rep", 403),
        ("manager", "outsider_rep", 403),
        ("manager", "manager", 403),
        ("admin", "manager", 201),
    ],
)
def test_who_may_start_a_review(org, api_for, who, member, code):
    response = api_for(getattr(org, who)).post(
        REVIEWS, {"member_id": getattr(org, member).pk, "period_start": "2026-01-05"}, format="json"
    )
    assert response.status_code == code
    assert Review.all_tenants.filter(tenant=org.tenant).count() == (1 if code == 201 else 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "member_id"),
        ({"member_id": "x"}, "member_id"),
        ({"member_id": 10**12}, "member_id"),
        ({"member_id": 1, "period_start": "2026-13-01"}, "period_start"),
    ],
)
def test_bad_input_to_start_is_a_400_by_field(org, api_for, body, field):
    response = api_for(org.admin).post(REVIEWS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Review.all_tenants.filter(tenant=org.tenant).exists()


def test_another_organisations_member_is_a_400(org, other, api_for):
    response = api_for(org.admin).post(REVIEWS, {"member_id": other.rep.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"member_id": ["No such member in this organisation."]}


def test_a_period_not_started_is_a_400(org, api_for):
    response = api_for(org.manager).post(
        REVIEWS, {"member_id": org.rep.pk, "period_start": "2099-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "period_start" in response.json()


# --- Saving, sharing, acknowledging, correcting ---------------------------------------------


def criteria(review) -> dict[str, int]:
    return {
        row.criterion.metric: row.criterion_id
        for row in ReviewScore.all_tenants.filter(review=review).select_related("criterion")
    }


def test_saving_scores_and_a_stale_version(org, api_for):
    review = start(org, org.rep)
    ids_by_metric = criteria(review)
    api = api_for(org.manager)
    url = f"{REVIEWS}{review.pk}/"
    body = {
        "scores": [
            {"criterion_id": ids_by_metric["attainment"], "final_score": 4, "note": "Strong"},
            {"criterion_id": ids_by_metric["selling_ratio"], "final_score": 3},
        ],
        "summary": "A good quarter.",
        "version": 1,
    }
    response = api.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["overall_score"], data["summary"], data["version"]) == (
        "3.67",
        "A good quarter.",
        2,
    )
    notes = {row["criterion_id"]: row["note"] for row in data["scores"]}
    assert notes[ids_by_metric["attainment"]] == "Strong"
    stale = api.patch(url, {**body, "summary": "Overwritten"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["detail"] == STALE
    assert stale.json()["current"]["summary"] == "A good quarter."
    assert stale.json()["current"]["version"] == 2


@pytest.mark.parametrize(
    "body",
    [
        lambda c: {"scores": [{"criterion_id": "first", "final_score": 3}]},
        lambda c: {"scores": [{"criterion_id": c, "final_score": 6}]},
        lambda c: {"scores": [{"criterion_id": c, "final_score": 0}]},
        lambda c: {"scores": [{"criterion_id": c, "final_score": "good"}]},
        lambda c: {"scores": [{"criterion_id": 999999, "final_score": 3}]},
        lambda c: {"scores": [{"criterion_id": c, "final_score": 3}] * 2},
        lambda c: {"scores": "all threes"},
        lambda c: {"summary": "x" * 5001},
        lambda c: {"version": -1},
    ],
)
def test_bad_scores_are_a_400_and_change_nothing(org, api_for, body):
    review = start(org, org.rep)
    attainment = criteria(review)["attainment"]
    response = api_for(org.manager).patch(f"{REVIEWS}{review.pk}/", body(attainment), format="json")
    assert response.status_code == 400, response.content
    review.refresh_from_db()
    assert (review.version, review.summary) == (1, "")
    assert not ReviewScore.all_tenants.filter(review=review, final_score__isnull=False).exists()


def test_put_and_delete_are_not_allowed(org, api_for):
    review = start(org, org.rep)
    api = api_for(org.admin)
    assert api.put(f"{REVIEWS}{review.pk}/", {}, format="json").status_code == 405
    assert api.delete(f"{REVIEWS}{review.pk}/").status_code == 405


def test_a_rep_may_not_score_or_share(org, api_for):
    review = shared(org, org.rep)
    api = api_for(org.rep)
    assert (
        api.patch(f"{REVIEWS}{review.pk}/", {"summary": "Great"}, format="json").status_code == 403
    )
    assert api.post(f"{REVIEWS}{review.pk}/share/", {}, format="json").status_code == 403
    assert api.post(f"{REVIEWS}{review.pk}/correct/", {}, format="json").status_code == 403


def test_the_lifecycle_through_the_api(org, api_for, django_capture_on_commit_callbacks):
    review = score_all(org, start(org, org.rep))
    manager, rep = api_for(org.manager), api_for(org.rep)
    url = f"{REVIEWS}{review.pk}/"
    # The rep does not see the draft yet.
    assert rep.get(url).status_code == 404
    assert manager.post(url + "share/", {"version": 1}, format="json").status_code == 409
    response = manager.post(url + "share/", {"version": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "shared"
    # The manager may not acknowledge for the rep.
    assert manager.post(url + "acknowledge/", {}, format="json").status_code == 403
    response = rep.post(url + "acknowledge/", {"comment": "Fair.", "version": 3}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["member_comment"]) == (
        "acknowledged",
        "Fair.",
    )
    # Read-only now.
    locked = manager.patch(url, {"summary": "Changed"}, format="json")
    assert locked.status_code == 400
    assert rep.post(url + "acknowledge/", {}, format="json").status_code == 400
    correction = manager.post(url + "correct/", {}, format="json")
    assert correction.status_code == 201
    data = correction.json()
    assert (data["corrects_id"], data["status"], data["id"] != review.pk) == (
        review.pk,
        "draft",
        True,
    )
    assert {row["final_score"] for row in data["scores"]} == {3}


def test_sharing_without_every_score_is_a_400(org, api_for):
    review = start(org, org.rep)
    response = api_for(org.manager).post(f"{REVIEWS}{review.pk}/share/", {}, format="json")
    assert response.status_code == 400
    assert "scores" in response.json()
    review.refresh_from_db()
    assert review.status == Review.Status.DRAFT
