"""The ``action-items`` API: who sees which, filters, create, PATCH with version, complete,
roles, other organisations, query budgets."""

import datetime as dt

import pytest

from accountability.models import ActionItem

from .factories import ActionItemFactory

URL = "/api/v1/action-items/"


def days(org, n: int) -> dt.date:
    return org.tenant.today() + dt.timedelta(days=n)


@pytest.fixture
def items(org):
    org.rep_own = ActionItemFactory(member=org.rep, owner=org.rep, title="Rep's own",
                                    due_date=days(org, -2))  # fmt: skip
    org.manager_owes = ActionItemFactory(member=org.rep, owner=org.manager, title="Manager owes",
                                         due_date=days(org, 3))  # fmt: skip
    org.outsider = ActionItemFactory(member=org.outsider_rep, owner=org.outsider_rep,
                                     title="Outsider's", due_date=days(org, 3))  # fmt: skip
    org.about_manager = ActionItemFactory(member=org.manager, owner=org.admin,
                                          title="About the manager",
                                          due_date=days(org, 4))  # fmt: skip
    return org


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def test_the_list_has_the_fields_and_each_role_sees_its_items(items, api_for):
    rows = api_for(items.rep).get(URL).json()["results"]
    assert {row["title"] for row in rows} == {"Rep's own", "Manager owes"}
    row = next(row for row in rows if row["title"] == "Manager owes")
    assert set(row) == {"id", "review_id", "member_id", "owner_id", "title", "due_date",
                        "status", "completed_at", "version"}  # fmt: skip
    assert (row["member_id"], row["owner_id"], row["status"]) == (
        items.rep.pk,
        items.manager.pk,
        "open",
    )
    assert titles(api_for(items.manager).get(URL)) == {
        "Rep's own",
        "Manager owes",
        "About the manager",
    }
    assert titles(api_for(items.admin).get(URL)) == {
        "Rep's own",
        "Manager owes",
        "Outsider's",
        "About the manager",
    }


def test_filters(items, api_for):
    api = api_for(items.admin)
    assert titles(api.get(URL, {"owner_id": items.manager.pk})) == {"Manager owes"}
    assert titles(api.get(URL, {"member_id": items.rep.pk})) == {"Rep's own", "Manager owes"}
    assert titles(api.get(URL, {"overdue": "true"})) == {"Rep's own"}
    assert titles(api.get(URL, {"status": "done"})) == set()
    assert api.get(URL, {"status": "finished"}).status_code == 400
    assert api.get(URL, {"owner_id": "abc"}).status_code == 400


def test_the_list_reads_in_a_fixed_number_of_queries(items, api_for, django_assert_max_num_queries):
    for _ in range(30):
        ActionItemFactory(member=items.rep, owner=items.rep, due_date=days(items, 1))
    api = api_for(items.manager)
    with django_assert_max_num_queries(12):
        assert api.get(URL).status_code == 200


def test_another_organisations_or_an_unseen_item_is_404(items, other, api_for):
    globex = ActionItemFactory(member=other.rep, owner=other.rep, due_date=days(other, 1))
    admin = api_for(items.admin)
    assert admin.get(f"{URL}{globex.pk}/").status_code == 404
    assert admin.patch(f"{URL}{globex.pk}/", {"title": "x", "version": 1}).status_code == 404
    assert admin.post(f"{URL}{globex.pk}/complete/").status_code == 404
    manager = api_for(items.manager)
    assert manager.get(f"{URL}{items.outsider.pk}/").status_code == 404
    assert manager.post(f"{URL}{items.outsider.pk}/complete/").status_code == 404
    assert ActionItem.all_tenants.get(pk=globex.pk).title != "x"


def test_a_manager_creates_an_item_for_their_rep(items, api_for):
    response = api_for(items.manager).post(
        URL,
        {
            "member_id": items.rep.pk,
            "owner_id": items.rep.pk,
            "title": "Send the proposal",
            "due_date": days(items, 5).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["member_id"], body["owner_id"], body["version"]) == (items.rep.pk, items.rep.pk, 1)


def test_bad_input_is_a_400_by_field_and_creates_nothing(items, api_for, other):
    api = api_for(items.manager)
    before = ActionItem.all_tenants.count()
    response = api.post(
        URL,
        {
            "member_id": items.rep.pk,
            "owner_id": items.outsider_rep.pk,
            "title": "Nope",
            "due_date": days(items, -1).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"owner_id", "due_date"}
    response = api.post(
        URL,
        {
            "member_id": other.rep.pk,
            "owner_id": other.rep.pk,
            "title": "X",
            "due_date": "2026-13-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"member_id", "owner_id", "due_date"} <= set(response.json())
    assert ActionItem.all_tenants.count() == before


def test_roles_creating_outside_their_rights_get_403(items, api_for):
    body = {"title": "X", "due_date": days(items, 1).isoformat()}
    rep = api_for(items.rep)
    response = rep.post(
        URL, {**body, "member_id": items.rep.pk, "owner_id": items.manager.pk}, format="json"
    )
    assert response.status_code == 403
    response = api_for(items.manager).post(
        URL,
        {**body, "member_id": items.outsider_rep.pk, "owner_id": items.outsider_rep.pk},
        format="json",
    )
    assert response.status_code == 403
    assert (
        rep.post(
            URL, {**body, "member_id": items.rep.pk, "owner_id": items.rep.pk}, format="json"
        ).status_code
        == 201
    )


def test_patch_needs_the_version_and_a_stale_one_is_409(items, api_for):
    api = api_for(items.manager)
    url = f"{URL}{items.rep_own.pk}/"
    assert api.patch(url, {"title": "New"}, format="json").status_code == 400
    response = api.patch(url, {"title": "New", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = api.patch(url, {"title": "Older", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "New"
    assert ActionItem.all_tenants.get(pk=items.rep_own.pk).title == "New"


def test_the_rep_may_not_patch_an_item_their_manager_made(items, api_for):
    items.rep_own.created_by = items.manager
    items.rep_own.save(update_fields=["created_by"])
    response = api_for(items.rep).patch(
        f"{URL}{items.rep_own.pk}/", {"title": "Mine now", "version": 1}, format="json"
    )
    assert response.status_code == 403


def test_complete_is_the_owners_only(items, api_for):
    url = f"{URL}{items.manager_owes.pk}/complete/"
    assert api_for(items.rep).post(url).status_code == 403  # About them, not theirs.
    response = api_for(items.manager).post(url, {"version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["completed_at"]
    again = api_for(items.manager).post(url)
    assert again.status_code == 400


def test_there_is_no_delete(items, api_for):
    assert api_for(items.admin).delete(f"{URL}{items.rep_own.pk}/").status_code == 405


def test_anonymous_is_401(client, items):
    assert client.get(URL).status_code in (401, 403)
