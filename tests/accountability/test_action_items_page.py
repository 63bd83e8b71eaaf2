"""The "My action items" page: groups, what others owe me, adding, one-click complete (htmx
and plain POST), drop and reopen, roles and other organisations; the home card."""

import datetime as dt

import pytest
from django.urls import reverse

from accountability.models import ActionItem
from accountability.selectors.action_items import overdue_card
from spm.tenancy.context import tenant_context

from .factories import ActionItemFactory

PAGE = "/accountability/action-items/"


def days(org, n: int) -> dt.date:
    return org.tenant.today() + dt.timedelta(days=n)


def status_of(item) -> str:
    return ActionItem.all_tenants.get(pk=item.pk).status


@pytest.fixture
def items(org):
    org.overdue = ActionItemFactory(member=org.rep, owner=org.rep, title="Overdue forecast",
                                    due_date=days(org, -3))  # fmt: skip
    org.soon = ActionItemFactory(member=org.rep, owner=org.rep, title="Soon call",
                                 due_date=days(org, 2))  # fmt: skip
    org.later = ActionItemFactory(member=org.rep, owner=org.rep, title="Later plan",
                                  due_date=days(org, 30), created_by=org.manager)  # fmt: skip
    org.owed = ActionItemFactory(member=org.rep, owner=org.manager, title="Coach on demos",
                                 due_date=days(org, 5), created_by=org.manager)  # fmt: skip
    org.foreign = ActionItemFactory(member=org.outsider_rep, owner=org.outsider_rep,
                                    title="Someone else's", due_date=days(org, 1))  # fmt: skip
    return org


def test_the_rep_sees_what_they_owe_by_group_and_what_their_manager_owes_them(
    items, client_for, django_assert_max_num_queries
):
    client = client_for(items.rep)
    with django_assert_max_num_queries(25):
        response = client.get(PAGE)
    assert response.status_code == 200
    page = response.context["page"]
    assert [i.title for i in page.overdue] == ["Overdue forecast"]
    assert [i.title for i in page.due_soon] == ["Soon call"]
    assert [i.title for i in page.later] == ["Later plan"]
    assert [i.title for i in page.owed_to_me] == ["Coach on demos"]
    html = response.content.decode()
    assert "Someone else&#x27;s" not in html and "Someone else's" not in html
    assert "overdue" in html


def test_the_manager_sees_what_they_owe_and_their_teams_open_items(items, client_for):
    response = client_for(items.manager).get(PAGE)
    page = response.context["page"]
    assert [i.title for i in page.due_soon] == ["Coach on demos"]
    assert [i.title for i in page.team] == ["Overdue forecast", "Soon call", "Later plan"]


def test_complete_in_one_click_with_htmx_gives_the_block_back(items, client_for):
    client = client_for(items.rep)
    url = reverse("accountability:action_item_complete", args=[items.overdue.pk])
    response = client.post(url, {"version": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="action-items"' in response.content.decode()
    assert "Done: “Overdue forecast”." in response.content.decode()
    assert status_of(items.overdue) == ActionItem.Status.DONE
    assert [i.title for i in response.context["page"].done_recently] == ["Overdue forecast"]


def test_complete_without_javascript_redirects_to_the_page(items, client_for):
    client = client_for(items.rep)
    url = reverse("accountability:action_item_complete", args=[items.soon.pk])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert status_of(items.soon) == ActionItem.Status.DONE
    follow = client.get(PAGE)
    assert "Done: “Soon call”." in follow.content.decode()


def test_a_stale_complete_says_so_and_changes_nothing(items, client_for):
    client = client_for(items.rep)
    url = reverse("accountability:action_item_complete", args=[items.soon.pk])
    response = client.post(url, {"version": 7}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "reload and try again" in response.content.decode()
    assert status_of(items.soon) == ActionItem.Status.OPEN


def test_completing_someone_elses_item_is_403_an_unseen_one_404(items, client_for, other):
    client = client_for(items.rep)
    # The manager owns it; the rep sees it (it is about them) but may not complete it.
    owed = reverse("accountability:action_item_complete", args=[items.owed.pk])
    assert client.post(owed).status_code == 403
    foreign = reverse("accountability:action_item_complete", args=[items.foreign.pk])
    assert client.post(foreign).status_code == 404
    globex = ActionItemFactory(member=other.rep, owner=other.rep, due_date=days(other, 1))
    for name in ("action_item_complete", "action_item_drop", "action_item_reopen"):
        url = reverse(f"accountability:{name}", args=[globex.pk])
        assert client_for(items.admin).post(url).status_code == 404
    assert status_of(globex) == ActionItem.Status.OPEN
    assert status_of(items.owed) == ActionItem.Status.OPEN


def test_the_manager_drops_and_reopens_the_rep_may_not_drop(items, client_for):
    drop = reverse("accountability:action_item_drop", args=[items.later.pk])
    assert client_for(items.rep).post(drop).status_code == 403
    assert status_of(items.later) == ActionItem.Status.OPEN
    manager = client_for(items.manager)
    assert manager.post(drop, HTTP_HX_REQUEST="true").status_code == 200
    assert status_of(items.later) == ActionItem.Status.DROPPED
    reopen = reverse("accountability:action_item_reopen", args=[items.later.pk])
    assert manager.post(reopen).status_code == 302
    assert status_of(items.later) == ActionItem.Status.OPEN


def test_a_manager_adds_an_item_about_their_rep_owned_by_themselves(items, client_for):
    client = client_for(items.manager)
    page = client.get(PAGE)
    owners = [person.pk for person in page.context["owner_options"]]
    assert items.outsider_rep.pk not in owners  # Nobody outside the lines the manager sees.
    response = client.post(
        reverse("accountability:action_item_add"),
        {
            "member": items.rep.pk,
            "owner": items.manager.pk,
            "title": "Ride along on Tuesday",
            "due_date": days(items, 4).isoformat(),
        },
    )
    assert response.status_code == 302
    item = ActionItem.all_tenants.get(title="Ride along on Tuesday")
    assert (item.member, item.owner, item.created_by) == (items.rep, items.manager, items.manager)


def test_bad_input_when_adding_says_why_and_adds_nothing(items, client_for):
    client = client_for(items.manager)
    before = ActionItem.all_tenants.count()
    response = client.post(
        reverse("accountability:action_item_add"),
        {"member": items.rep.pk, "owner": items.rep.pk, "title": "", "due_date": "yesterday"},
    )
    assert response.status_code == 400
    assert "Give the due date as YYYY-MM-DD." in response.content.decode()
    response = client.post(
        reverse("accountability:action_item_add"),
        {
            "member": items.rep.pk,
            "owner": items.outsider_rep.pk,
            "title": "Something",
            "due_date": days(items, -1).isoformat(),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be in the past" in html and "reporting line" in html
    assert 'value="Something"' in html  # What was typed is kept.
    # Outside the manager's tree: refused, nothing added.
    response = client.post(
        reverse("accountability:action_item_add"),
        {
            "member": items.outsider_rep.pk,
            "owner": items.outsider_rep.pk,
            "title": "Not mine",
            "due_date": days(items, 1).isoformat(),
        },
    )
    assert response.status_code == 400
    assert ActionItem.all_tenants.count() == before


def test_a_rep_adds_an_item_they_own_about_themselves(org, client_for):
    client = client_for(org.rep)
    page = client.get(PAGE)
    assert [person.pk for person in page.context["owner_options"]] == [org.rep.pk]
    response = client.post(
        reverse("accountability:action_item_add"),
        {
            "member": org.rep.pk,
            "owner": org.rep.pk,
            "title": "Read the pricing guide",
            "due_date": days(org, 3).isoformat(),
        },
    )
    assert response.status_code == 302
    assert ActionItem.all_tenants.get(title="Read the pricing guide").owner == org.rep


def test_the_page_needs_a_login_and_actions_take_post_only(org, client, client_for):
    assert client.get(PAGE).status_code == 302
    item = ActionItemFactory(member=org.rep, owner=org.rep, due_date=days(org, 1))
    url = reverse("accountability:action_item_complete", args=[item.pk])
    assert client_for(org.rep).get(url).status_code == 405


# --- The home card ---------------------------------------------------------------------------


def test_the_card_shows_my_overdue_items_and_a_managers_team_count(items):
    with tenant_context(items.tenant):
        rep_card = overdue_card(tenant=items.tenant, viewer=items.rep)
        manager_card = overdue_card(tenant=items.tenant, viewer=items.manager)
        admin_card = overdue_card(tenant=items.tenant, viewer=items.admin)
    assert [i.title for i in rep_card.mine] == ["Overdue forecast"]
    assert rep_card.team_overdue is None
    assert manager_card.mine == [] and manager_card.team_overdue == 1
    assert admin_card is None  # Nothing overdue of theirs: no card.


def test_the_card_is_on_the_home_page_of_whoever_owns_an_overdue_item(items, client_for):
    html = client_for(items.rep).get("/").content.decode()
    assert "Overdue action items" in html and "Overdue forecast" in html
    assert "Overdue action items" not in client_for(items.outsider_rep).get("/").content.decode()
