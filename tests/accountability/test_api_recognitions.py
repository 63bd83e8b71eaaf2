"""The recognitions API: read-only, the whole organisation's (as the leaderboard is) for
every role; another organisation's is a 404; filters by member, kind and period (a bad
one is a 400 naming it); writes are 405; a query budget."""

import datetime as dt

import pytest

from accountability.models import Recognition

from ..factories import MembershipFactory
from .recognition_helpers import recognised

URL = "/api/v1/recognitions/"
FEBRUARY, MARCH = dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def club(member, month):
    return recognised(
        member=member,
        kind=Recognition.Kind.QUOTA_CLUB,
        title="Quota club",
        automatic=True,
        period_start=month,
        period_end=month.replace(day=28),
    )


@pytest.fixture
def world(org, other):
    return {
        "club": club(org.rep, MARCH),
        "old": club(org.outsider_rep, FEBRUARY),
        "given": recognised(
            member=org.outsider_rep, granted_by=org.admin, title="Hero", reason="Saved a deal."
        ),
        "foreign": club(other.rep, MARCH),
    }


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("persona", ["rep", "manager", "admin"])
def test_every_member_lists_the_organisations_recognitions(org, world, api_for, persona):
    response = api_for(getattr(org, persona)).get(URL)

    assert response.status_code == 200
    assert set(ids(response)) == {world["club"].pk, world["old"].pk, world["given"].pk}
    assert ids(response)[-1] == world["old"].pk  # Newest period first.


def test_a_recognition_has_the_documented_fields(org, world, api_for):
    row = api_for(org.rep).get(f"{URL}{world['given'].pk}/").json()

    assert row == {
        "id": world["given"].pk,
        "member_id": org.outsider_rep.pk,
        "kind": "kudos",
        "title": "Hero",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "reason": "Saved a deal.",
        "granted_by_id": org.admin.pk,
        "automatic": False,
        "created_at": row["created_at"],
    }
    assert api_for(org.rep).get(f"{URL}{world['club'].pk}/").json()["granted_by_id"] is None


def test_another_organisations_recognition_is_a_404(org, world, api_for):
    assert api_for(org.admin).get(f"{URL}{world['foreign'].pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "quota_club"}, {"club", "old"}),
        ({"kind": "kudos"}, {"given"}),
        ({"period": "2026-02"}, {"old"}),
        ({"period": "2026-03", "kind": "quota_club"}, {"club"}),
        ({"member_id": "outsider"}, {"old", "given"}),
    ],
)
def test_it_filters_by_member_kind_and_period(org, world, api_for, query, expected):
    query = {
        key: org.outsider_rep.pk if value == "outsider" else value for key, value in query.items()
    }
    response = api_for(org.rep).get(URL, query)
    assert set(ids(response)) == {world[name].pk for name in expected}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "medal"}, "kind"),
        ({"period": "2026-13"}, "period"),
        ({"member_id": "x"}, "member_id"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(org, world, api_for, query, field):
    response = api_for(org.rep).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()


def test_writes_are_refused(org, world, api_for):
    api = api_for(org.admin)
    body = {"member_id": org.rep.pk, "kind": "kudos", "title": "Hero", "reason": "x"}

    assert api.post(URL, body, format="json").status_code == 405
    assert api.patch(f"{URL}{world['given'].pk}/", {"title": "x"}, format="json").status_code == 405
    assert api.delete(f"{URL}{world['given'].pk}/").status_code == 405
    assert Recognition.all_tenants.count() == 4


@pytest.mark.parametrize("size", [5, 50])
def test_the_list_reads_in_a_fixed_number_of_queries(
    org, api_for, size, django_assert_max_num_queries
):
    for _ in range(size):
        club(MembershipFactory(tenant=org.tenant), MARCH)
    api = api_for(org.rep)

    with django_assert_max_num_queries(6):
        response = api.get(URL)

    assert response.json()["count"] == size
