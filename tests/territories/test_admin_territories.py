"""The territory admin: the tree with its figures, the members inline, isolation and roles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from spm.notifications.models import Notification
from spm.tenancy.models import AuditEvent
from territories.models import Territory, TerritoryMember

from ..factories import MembershipFactory, UserFactory
from .factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

CHANGELIST = "/admin/territories/territory/"
AUTOCOMPLETE = "/admin/autocomplete/"


def change_url(pk) -> str:
    return f"{CHANGELIST}{pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(territory: Territory | None = None, *, rows=(), initial: int = 0, **fields) -> dict:
    """The POST of the territory form, with the members inline's rows."""
    data = {
        "name": territory.name if territory else "",
        "parent": territory.parent_id or "" if territory else "",
        "description": territory.description if territory else "",
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": str(initial),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    if territory is None or territory.active:
        data["active"] = "on"
    data.update(fields)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"members-{index}-{key}"] = "" if value is None else str(value)
    return data


def existing_row(link: TerritoryMember, **changes) -> dict:
    row = {
        "id": link.pk,
        "member": link.member_id,
        "role": link.role,
        "start_date": link.start_date.isoformat(),
        "end_date": link.end_date.isoformat() if link.end_date else "",
    }
    row.update(changes)
    return row


@pytest.fixture
def tree(org):
    """West (owner: the rep) → West Coast → Bay Area; East; and another tenant's North."""
    west = TerritoryFactory(tenant=org.tenant, name="West")
    coast = TerritoryFactory(tenant=org.tenant, name="West Coast", parent=west)
    bay = TerritoryFactory(tenant=org.tenant, name="Bay Area", parent=coast)
    east = TerritoryFactory(tenant=org.tenant, name="East")
    TerritoryMemberFactory(territory=coast, member=org.rep, start_date=dt.date(2024, 1, 1))
    return {"west": west, "coast": coast, "bay": bay, "east": east}


# --- The list -----------------------------------------------------------------------


def test_the_list_shows_only_the_own_tree_in_tree_order_with_depths(client_for, org, other, tree):
    TerritoryFactory(tenant=other.tenant, name="North")
    response = client_for(org.admin).get(CHANGELIST)
    assert response.status_code == 200
    rows = [(t.name, t.tree_depth) for t in response.context["cl"].result_list]
    assert rows == [("East", 0), ("West", 0), ("West Coast", 1), ("Bay Area", 2)]
    assert b"North" not in response.content


def test_the_list_shows_owner_account_count_and_total_potential(client_for, org, tree):
    AccountFactory(tenant=org.tenant, territory=tree["coast"], annual_potential=Decimal("1000.50"))
    AccountFactory(tenant=org.tenant, territory=tree["coast"], annual_potential=Decimal("2000"))
    response = client_for(org.admin).get(CHANGELIST)
    coast = next(t for t in response.context["cl"].result_list if t.name == "West Coast")
    assert (coast.account_count, coast.total_potential) == (2, Decimal("3000.50"))
    html = response.content.decode()
    assert org.rep.name in html
    assert "€3,000.50" in html
    assert f'href="/admin/territories/account/?territory={tree["coast"].pk}"' in html


def test_an_ended_owner_is_not_shown_as_owner(client_for, org, tree):
    TerritoryMemberFactory(
        territory=tree["east"],
        member=org.outsider_rep,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31),
    )
    response = client_for(org.admin).get(CHANGELIST)
    east = next(t for t in response.context["cl"].result_list if t.name == "East")
    assert east.current_members == []


def test_the_list_costs_the_same_queries_for_many_territories(
    client_for, org, tree, django_assert_max_num_queries
):
    client = client_for(org.admin)
    with django_assert_max_num_queries(10) as few:
        client.get(CHANGELIST)
    for n in range(30):
        territory = TerritoryFactory(tenant=org.tenant, name=f"Extra {n}", parent=tree["west"])
        TerritoryMemberFactory(territory=territory, start_date=dt.date(2024, 1, 1))
        AccountFactory(tenant=org.tenant, territory=territory)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 34


def test_search_and_the_active_filter_work(client_for, org, tree):
    Territory.all_tenants.filter(pk=tree["east"].pk).update(active=False)
    client = client_for(org.admin)
    names = [t.name for t in client.get(CHANGELIST + "?q=coast").context["cl"].result_list]
    assert names == ["West Coast"]
    inactive = client.get(CHANGELIST + "?active__exact=0").context["cl"].result_list
    assert [t.name for t in inactive] == ["East"]


# --- Isolation and roles ------------------------------------------------------------


def test_another_tenants_territory_behaves_like_a_missing_id(client_for, org, other):
    foreign = TerritoryFactory(tenant=other.tenant, name="North")
    client = client_for(org.admin)
    missing = client.get(change_url(999_999))
    response = client.get(change_url(foreign.pk))
    assert response.status_code == missing.status_code == 404
    posted = client.post(change_url(foreign.pk), form_data(foreign, name="Hijacked"))
    assert posted.status_code == 404
    assert Territory.all_tenants.get(pk=foreign.pk).name == "North"
    assert client.get(f"{CHANGELIST}{foreign.pk}/delete/").status_code == 404
    assert client.post(f"{CHANGELIST}{foreign.pk}/delete/", {"post": "yes"}).status_code == 404
    assert Territory.all_tenants.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_are_refused_the_admin(client_for, org, tree, persona):
    client = client_for(getattr(org, persona))
    for url in ["/admin/", CHANGELIST, change_url(tree["west"].pk)]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "403.html" in [template.name for template in response.templates]
    response = client.post(f"{CHANGELIST}add/", form_data(name="Sneaky"))
    assert response.status_code == 403
    assert not Territory.all_tenants.filter(name="Sneaky").exists()


def test_a_tenant_admin_needs_no_staff_flag(client_for, org, tree):
    assert not org.admin.user.is_staff
    response = client_for(org.admin).get("/admin/")
    assert response.status_code == 200
    assert b"Territories" in response.content


def test_the_platform_superuser_sees_every_tenants_territories(client, org, other, tree):
    TerritoryFactory(tenant=other.tenant, name="North")
    superuser = UserFactory(email="root@platform.test", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    names = {t.name for t in response.context["cl"].result_list}
    assert names == {"West", "West Coast", "Bay Area", "East", "North"}


def test_parent_autocomplete_lists_only_own_territories(client_for, org, other, tree):
    TerritoryFactory(tenant=other.tenant, name="West Other")
    response = client_for(org.admin).get(
        AUTOCOMPLETE,
        {
            "app_label": "territories",
            "model_name": "territory",
            "field_name": "parent",
            "term": "West",
        },
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert names == {"West", "West Coast"}


def test_member_autocomplete_of_the_inline_lists_only_own_members(client_for, org, other):
    response = client_for(org.admin).get(
        AUTOCOMPLETE,
        {"app_label": "territories", "model_name": "territorymember", "field_name": "member"},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert ids == {org.admin.pk, org.manager.pk, org.rep.pk, org.outsider_rep.pk}


def test_autocomplete_is_refused_to_a_rep(client_for, org):
    response = client_for(org.rep).get(
        AUTOCOMPLETE,
        {"app_label": "territories", "model_name": "territorymember", "field_name": "member"},
    )
    assert response.status_code == 403
    assert b"results" not in response.content


# --- Saving territories -------------------------------------------------------------


def test_adding_a_territory_goes_through_the_service(client_for, org, tree):
    response = client_for(org.admin).post(
        f"{CHANGELIST}add/", form_data(name="  Pacific ", parent=tree["west"].pk)
    )
    assert response.status_code == 302
    pacific = Territory.all_tenants.get(name="Pacific")
    assert (pacific.tenant_id, pacific.parent_id) == (org.tenant.pk, tree["west"].pk)
    assert AuditEvent.all_tenants.filter(
        action="territory.created", object_id=str(pacific.pk)
    ).exists()


def test_a_parent_inside_the_territory_itself_is_a_form_error(client_for, org, tree):
    west = tree["west"]
    response = client_for(org.admin).post(
        change_url(west.pk), form_data(west, parent=tree["bay"].pk)
    )
    assert response.status_code == 200
    assert "cannot sit inside itself" in str(response.context["adminform"].form.errors["parent"])
    assert Territory.all_tenants.get(pk=west.pk).parent_id is None


def test_a_name_that_differs_only_in_case_is_a_form_error(client_for, org, tree):
    response = client_for(org.admin).post(f"{CHANGELIST}add/", form_data(name="west coast"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "A territory named “West Coast” already exists." in errors["name"]
    assert not Territory.all_tenants.filter(name="west coast").exists()


def test_another_tenants_territory_cannot_be_chosen_as_parent(client_for, org, other):
    foreign = TerritoryFactory(tenant=other.tenant, name="North")
    response = client_for(org.admin).post(
        f"{CHANGELIST}add/", form_data(name="Pacific", parent=foreign.pk)
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Territory.all_tenants.filter(name="Pacific").exists()


def test_the_change_page_links_to_the_territorys_accounts(client_for, org, tree):
    AccountFactory(tenant=org.tenant, territory=tree["east"], annual_potential=Decimal("50"))
    response = client_for(org.admin).get(change_url(tree["east"].pk))
    html = response.content.decode()
    assert "1 account, €50.00 total annual potential" in html
    assert f"/admin/territories/account/?territory={tree['east'].pk}" in html


# --- The members inline -------------------------------------------------------------


def test_adding_a_member_in_the_inline_goes_through_the_service_and_notifies(client_for, org, tree):
    east = tree["east"]
    row = {"member": org.outsider_rep.pk, "role": "owner", "start_date": "2026-02-01"}
    response = client_for(org.admin).post(change_url(east.pk), form_data(east, rows=[row]))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    link = TerritoryMember.all_tenants.get(territory=east)
    assert (link.member_id, link.role, link.tenant_id) == (
        org.outsider_rep.pk,
        "owner",
        org.tenant.pk,
    )
    notice = Notification.all_tenants.get(recipient=org.outsider_rep)
    assert notice.kind == "territory.added"
    assert AuditEvent.all_tenants.filter(action="territory_member.added").exists()


def test_an_overlapping_owner_is_a_form_error_and_nothing_is_saved(client_for, org, tree):
    coast = tree["coast"]
    current = TerritoryMember.all_tenants.get(territory=coast)
    rows = [
        existing_row(current),
        {"member": org.outsider_rep.pk, "role": "owner", "start_date": "2026-03-01"},
    ]
    response = client_for(org.admin).post(
        change_url(coast.pk), form_data(coast, rows=rows, initial=1, description="changed")
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "already has an owner" in str(errors[1]["role"])
    assert TerritoryMember.all_tenants.filter(territory=coast).count() == 1
    assert Territory.all_tenants.get(pk=coast.pk).description == ""
    assert not Notification.all_tenants.exists()


def test_ending_the_owner_and_adding_the_next_one_works_in_one_save(client_for, org, tree):
    coast = tree["coast"]
    current = TerritoryMember.all_tenants.get(territory=coast)
    rows = [
        existing_row(current, end_date="2026-05-31"),
        {"member": org.outsider_rep.pk, "role": "owner", "start_date": "2026-06-01"},
    ]
    response = client_for(org.admin).post(
        change_url(coast.pk), form_data(coast, rows=rows, initial=1)
    )
    assert response.status_code == 302
    current.refresh_from_db()
    assert current.end_date == dt.date(2026, 5, 31)
    new = TerritoryMember.all_tenants.get(territory=coast, member=org.outsider_rep)
    assert new.start_date == dt.date(2026, 6, 1)
    kinds = set(Notification.all_tenants.values_list("kind", flat=True))
    assert kinds == {"territory.removed", "territory.added"}


def test_two_new_overlapping_owners_in_one_save_are_refused(client_for, org, tree):
    east = tree["east"]
    rows = [
        {"member": org.rep.pk, "role": "owner", "start_date": "2026-01-01"},
        {"member": org.outsider_rep.pk, "role": "owner", "start_date": "2026-02-01"},
    ]
    response = client_for(org.admin).post(change_url(east.pk), form_data(east, rows=rows))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "One owner at a time" in str(errors[1]["role"])
    assert not TerritoryMember.all_tenants.filter(territory=east).exists()


def test_an_overlay_may_overlap_the_owner(client_for, org, tree):
    coast = tree["coast"]
    current = TerritoryMember.all_tenants.get(territory=coast)
    rows = [
        existing_row(current),
        {"member": org.outsider_rep.pk, "role": "overlay", "start_date": "2026-03-01"},
    ]
    response = client_for(org.admin).post(
        change_url(coast.pk), form_data(coast, rows=rows, initial=1)
    )
    assert response.status_code == 302
    assert TerritoryMember.all_tenants.filter(territory=coast, role="overlay").count() == 1


def test_an_end_before_the_start_is_a_form_error(client_for, org, tree):
    east = tree["east"]
    row = {
        "member": org.rep.pk,
        "role": "overlay",
        "start_date": "2026-03-01",
        "end_date": "2026-02-01",
    }
    response = client_for(org.admin).post(change_url(east.pk), form_data(east, rows=[row]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "on or after the start date" in str(errors[0]["end_date"])


def test_a_member_of_another_tenant_cannot_be_put_on_a_territory(client_for, org, other, tree):
    east = tree["east"]
    row = {"member": other.rep.pk, "role": "owner", "start_date": "2026-01-01"}
    response = client_for(org.admin).post(change_url(east.pk), form_data(east, rows=[row]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "member" in errors[0]
    assert not TerritoryMember.all_tenants.filter(territory=east).exists()


def test_changing_the_person_on_an_existing_row_is_refused(client_for, org, tree):
    coast = tree["coast"]
    current = TerritoryMember.all_tenants.get(territory=coast)
    rows = [existing_row(current, member=org.outsider_rep.pk)]
    response = client_for(org.admin).post(
        change_url(coast.pk), form_data(coast, rows=rows, initial=1)
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "set an end date on this row" in str(errors[0]["member"])
    assert TerritoryMember.all_tenants.get(pk=current.pk).member_id == org.rep.pk


def test_the_inline_offers_no_deletion(client_for, org, tree):
    response = client_for(org.admin).get(change_url(tree["coast"].pk))
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.can_delete is False


def test_a_new_territory_can_be_added_with_its_owner(client_for, org):
    member = MembershipFactory(tenant=org.tenant)
    row = {"member": member.pk, "role": "owner", "start_date": "2026-01-01"}
    response = client_for(org.admin).post(
        f"{CHANGELIST}add/", form_data(name="Pacific", rows=[row])
    )
    assert response.status_code == 302
    pacific = Territory.all_tenants.get(name="Pacific")
    assert TerritoryMember.all_tenants.get(territory=pacific).member_id == member.pk


def test_an_empty_territory_can_be_deleted_but_not_one_with_accounts(client_for, org, tree):
    client = client_for(org.admin)
    AccountFactory(tenant=org.tenant, territory=tree["bay"])
    response = client.post(f"{CHANGELIST}{tree['east'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Territory.all_tenants.filter(pk=tree["east"].pk).exists()
    refused = client.post(f"{CHANGELIST}{tree['bay'].pk}/delete/", {"post": "yes"})
    assert refused.status_code == 200  # Django lists the protected accounts instead.
    assert Territory.all_tenants.filter(pk=tree["bay"].pk).exists()


def test_the_platform_superuser_adds_a_territory_to_a_chosen_organisation(client, org, other):
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    parent = TerritoryFactory(tenant=org.tenant, name="West")
    mismatched = client.post(
        f"{CHANGELIST}add/", form_data(name="Pacific", tenant=other.tenant.pk, parent=parent.pk)
    )
    assert "parent" in mismatched.context["adminform"].form.errors
    response = client.post(f"{CHANGELIST}add/", form_data(name="Pacific", tenant=other.tenant.pk))
    assert response.status_code == 302
    assert Territory.all_tenants.get(name="Pacific").tenant_id == other.tenant.pk


def test_a_save_the_service_refuses_rolls_back_and_says_why(client_for, org, tree, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"name": "A territory with this name already exists."})

    monkeypatch.setattr("territories.admin.territory.territory_save", refuse)
    east = tree["east"]
    row = {"member": org.outsider_rep.pk, "role": "owner", "start_date": "2026-02-01"}
    response = client_for(org.admin).post(
        change_url(east.pk), form_data(east, rows=[row], name="Far East")
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "Nothing was saved: A territory with this name already exists."
    ]
    assert Territory.all_tenants.get(pk=east.pk).name == "East"
    assert not TerritoryMember.all_tenants.filter(territory=east).exists()


def test_the_admin_has_no_login_form_of_its_own(client):
    """Visitors log in through the application's login (two-factor authentication, rate
    limits), never through a password-only admin form."""
    response = client.get("/admin/territories/territory/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/territories/territory/"
    response = client.get("/admin/login/", {"next": "/admin/territories/territory/"})
    assert response["Location"] == "/accounts/login/?next=/admin/territories/territory/"


def test_the_admin_login_sends_nobody_to_another_site(client):
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == "/accounts/login/?next=/admin/"
