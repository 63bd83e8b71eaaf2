"""Action items agreed in a review: its reviewer adds them from the review's page, owned by
the member or by the reviewer, linked to the review and listed there for both."""

import pytest
from django.urls import reverse

from accountability.models import ActionItem

from ..conftest import build_org
from .review_pages_helpers import shared, started, today_fixture  # noqa: F401


def add_url(review) -> str:
    return reverse("accountability:review_action_item_add", args=[review.pk])


def test_the_reviewer_adds_items_owned_by_the_member_or_themselves(org, client_for, today):
    review = started(org)
    client = client_for(org.manager)
    for owner, title in (("member", "Call the top ten accounts"), ("reviewer", "Join two demos")):
        response = client.post(
            add_url(review), {"title": title, "owner": owner, "due_date": "2026-03-30"}
        )
        assert response.status_code == 302
    items = {i.title: i for i in ActionItem.all_tenants.filter(review=review)}
    assert items["Call the top ten accounts"].owner == org.rep
    assert items["Join two demos"].owner == org.manager
    assert {i.member for i in items.values()} == {org.rep}
    page = client.get(reverse("accountability:review", args=[review.pk])).content.decode()
    assert "Call the top ten accounts" in page and "Join two demos" in page


def test_the_member_reads_the_items_but_cannot_add_any(org, client_for, today):
    review = shared(org)
    client_for(org.manager).post(
        add_url(review),
        {"title": "Weekly pipeline review", "owner": "member", "due_date": "2026-04-01"},
    )
    rep = client_for(org.rep)
    page = rep.get(reverse("accountability:review", args=[review.pk])).content.decode()
    assert "Weekly pipeline review" in page
    assert add_url(review) not in page
    assert rep.post(add_url(review), {"title": "Mine", "due_date": "2026-04-01"}).status_code == 403
    assert ActionItem.all_tenants.filter(review=review).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "Late", "due_date": "2026-03-01"}, "past"),
        ({"title": "No date", "due_date": "next week"}, "YYYY-MM-DD"),
        ({"title": "", "due_date": "2026-04-01"}, ""),
    ],
)
def test_bad_input_says_why_and_adds_nothing(org, client_for, today, data, message):
    review = started(org)
    client = client_for(org.manager)
    response = client.post(add_url(review), {"owner": "member", **data}, follow=True)
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert errors and message in " ".join(errors)
    assert not ActionItem.all_tenants.filter(review=review).exists()


def test_another_organisations_review_is_a_404(org, client_for, today):
    other = build_org("globex")
    theirs = started(other, member=other.rep, actor=other.manager)
    response = client_for(org.admin).post(
        add_url(theirs), {"title": "X", "owner": "member", "due_date": "2026-04-01"}
    )
    assert response.status_code == 404
    assert not ActionItem.all_tenants.exists()
