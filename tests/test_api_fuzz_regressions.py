"""Answers the API fuzzing (scripts/fuzz, schemathesis) found wrong, each fixed at its cause.

Ids beyond 64 bits: primary keys are ``BigAutoField``s, and a larger number in a query
filter or an id list reached the database, which SQLite cannot even bind (a 500 with
``OverflowError``; PostgreSQL answered an empty page). The fuzzer's request was
``GET /api/v1/members/?page=5857103&role=rep&manager_id=-5.5275411588749686e%2B203``. Now
every such id is held to ``spm.api.base.ID_BOUNDS``: a 400 naming the field, on every
database. A single id (in the path, or a related field in a body) was already safe: Django's
exact lookup matches no row for it, so it stays a 404 or a "does not exist".
"""

import pytest

from spm.api.base import MAX_ID

TOO_BIG = MAX_ID + 1
HUGE = 10**30


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/members/?manager_id={TOO_BIG}", "manager_id"),
        (f"/api/v1/members/?manager_id=-{HUGE}", "manager_id"),
        (
            "/api/v1/members/?page=5857103&role=rep&manager_id=-5.5275411588749686e%2B203",
            "manager_id",
        ),
        (f"/api/v1/accounts/?territory_id={HUGE}", "territory_id"),
        (f"/api/v1/time-off/?member_id={HUGE}", "member_id"),
        (f"/api/v1/time-off/?member_id=-{TOO_BIG}", "member_id"),
    ],
)
def test_an_id_filter_beyond_64_bits_is_a_400_naming_the_filter(org, api_for, url, field):
    response = api_for(org.admin).get(url)

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_id_filters_still_filter_within_the_bounds(org, api_for):
    api = api_for(org.admin)

    reports = api.get(f"/api/v1/members/?manager_id={org.manager.pk}").json()["results"]
    assert [member["id"] for member in reports] == [org.rep.pk]
    for url in (
        f"/api/v1/members/?manager_id={MAX_ID}",
        f"/api/v1/accounts/?territory_id={MAX_ID}",
        f"/api/v1/time-off/?member_id={MAX_ID}",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert response.json()["results"] == []


@pytest.mark.parametrize("account_id", [TOO_BIG, HUGE])
def test_assigning_an_account_id_beyond_64_bits_is_a_400(org, api_for, account_id):
    response = api_for(org.admin).post(
        "/api/v1/accounts/assign/",
        {"account_ids": [account_id], "territory_id": None},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "account_ids" in response.json()


@pytest.mark.parametrize("path", ["members", "holidays", "time-off", "territories", "accounts"])
def test_a_path_id_beyond_64_bits_is_a_404(org, api_for, path):
    response = api_for(org.admin).get(f"/api/v1/{path}/{HUGE}/")

    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"]}


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/territories/", {"name": "North", "parent_id": HUGE}, "parent_id"),
        (
            "post",
            "/api/v1/accounts/",
            {"name": "Atlas", "external_id": "A-1", "territory_id": HUGE},
            "territory_id",
        ),
        (
            "post",
            "/api/v1/time-off/",
            {"member_id": HUGE, "start": "2026-03-02", "end": "2026-03-03"},
            "member_id",
        ),
        ("patch", "/api/v1/members/{rep}/", {"manager_id": HUGE}, "manager_id"),
    ],
)
def test_a_related_id_beyond_64_bits_does_not_exist(org, api_for, method, url, body, field):
    api = api_for(org.admin)

    response = getattr(api, method)(url.format(rep=org.rep.pk), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
