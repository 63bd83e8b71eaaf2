"""The ``me`` and ``members`` API: who sees whom, and how admins change a member."""

import datetime as dt

import pytest
from django.urls import reverse

from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent, Membership, Role

from .factories import MembershipFactory

ME_URL = "/api/v1/me/"
MEMBERS_URL = "/api/v1/members/"


def member_url(member: Membership) -> str:
    return f"{MEMBERS_URL}{member.pk}/"


def fresh(member: Membership) -> Membership:
    return Membership.all_tenants.get(pk=member.pk)


# --- me ---------------------------------------------------------------------------------


def test_me_is_named_api_me():
    assert reverse("api-me") == ME_URL


def test_me_describes_the_caller_and_their_organisation(org, api_for):
    org.tenant.weekday_weights = ["1", "1", "1", "1", "1.5", "0", "0"]
    org.tenant.save(update_fields=["weekday_weights"])

    response = api_for(org.manager).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    user = org.manager.user
    assert body["user"] == {"id": user.pk, "email": user.email, "name": user.name}
    assert body["member_id"] == org.manager.pk
    assert body["role"] == "manager"
    assert body["tenant"] == {
        "slug": "acme",
        "name": "Acme Ltd",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "work_week": [1, 2, 3, 4, 5],
        "weekday_weights": ["1", "1", "1", "1", "1.5", "0", "0"],
        "prorate_time_off": False,
        "selling_target_pct": "90.00",
        "fiscal_year_start_month": 1,
    }


def test_me_answers_each_tenant_with_its_own_settings(org, other, api_for):
    other.tenant.fiscal_year_start_month = 4
    other.tenant.save(update_fields=["fiscal_year_start_month"])

    body = api_for(other.rep).get(ME_URL).json()

    assert body["tenant"]["slug"] == "globex"
    assert body["tenant"]["fiscal_year_start_month"] == 4
    assert body["member_id"] == other.rep.pk


def test_me_refuses_to_be_changed(org, api_for):
    response = api_for(org.admin).patch(ME_URL, {"role": "rep"}, format="json")
    assert response.status_code == 405
    assert fresh(org.admin).role == Role.ADMIN


# --- members: reading -----------------------------------------------------------------


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_admin_lists_every_member_of_their_organisation_only(org, other, api_for):
    response = api_for(org.admin).get(MEMBERS_URL)

    assert response.status_code == 200
    assert ids(response) == {org.admin.pk, org.manager.pk, org.rep.pk, org.outsider_rep.pk}


def test_member_list_is_paginated_with_count_next_previous_results(org, api_for):
    body = api_for(org.admin).get(MEMBERS_URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4


def test_manager_lists_themselves_and_their_reporting_tree(org, api_for):
    indirect = MembershipFactory(tenant=org.tenant, manager=org.rep)

    response = api_for(org.manager).get(MEMBERS_URL)

    assert ids(response) == {org.manager.pk, org.rep.pk, indirect.pk}


def test_rep_lists_only_themselves(org, api_for):
    response = api_for(org.rep).get(MEMBERS_URL)
    assert ids(response) == {org.rep.pk}


def test_member_fields(org, api_for):
    rep = org.rep
    Membership.all_tenants.filter(pk=rep.pk).update(end_date=dt.date(2026, 6, 30))

    body = api_for(org.admin).get(member_url(rep)).json()

    assert body == {
        "id": rep.pk,
        "email": "rep@acme.test",
        "name": rep.user.name,
        "role": "rep",
        "manager_id": org.manager.pk,
        "start_date": "2024-01-01",
        "end_date": "2026-06-30",
    }


def test_member_name_falls_back_to_the_email(org, api_for):
    org.rep.user.name = ""
    org.rep.user.save(update_fields=["name"])
    body = api_for(org.rep).get(member_url(org.rep)).json()
    assert body["name"] == "rep@acme.test"


def test_another_tenants_member_is_404(org, other, api_for):
    response = api_for(org.admin).get(member_url(other.rep))
    assert response.status_code == 404


def test_a_member_outside_the_managers_tree_is_404(org, api_for):
    assert api_for(org.manager).get(member_url(org.outsider_rep)).status_code == 404
    assert api_for(org.manager).get(member_url(org.rep)).status_code == 200


def test_a_rep_cannot_read_another_rep_or_their_manager(org, api_for):
    api = api_for(org.rep)
    assert api.get(member_url(org.outsider_rep)).status_code == 404
    assert api.get(member_url(org.manager)).status_code == 404


def test_members_filter_by_role(org, api_for):
    response = api_for(org.admin).get(MEMBERS_URL, {"role": "rep"})
    assert ids(response) == {org.rep.pk, org.outsider_rep.pk}


def test_members_filter_by_manager_id(org, api_for):
    response = api_for(org.admin).get(MEMBERS_URL, {"manager_id": org.admin.pk})
    assert ids(response) == {org.manager.pk, org.outsider_rep.pk}


def test_filters_never_widen_what_a_manager_sees(org, api_for):
    response = api_for(org.manager).get(MEMBERS_URL, {"manager_id": org.admin.pk})
    assert ids(response) == {org.manager.pk}


def test_an_unknown_role_filter_is_a_400_naming_the_filter(org, api_for):
    response = api_for(org.admin).get(MEMBERS_URL, {"role": "boss"})
    assert response.status_code == 400
    assert "role" in response.json()


def test_member_list_query_count_does_not_grow_with_the_team(
    org, api_for, django_assert_max_num_queries
):
    for _ in range(20):
        MembershipFactory(tenant=org.tenant, manager=org.manager)
    admin_api, manager_api = api_for(org.admin), api_for(org.manager)
    admin_api.get(ME_URL)  # Records the tokens' first use, a write outside the budget.
    manager_api.get(ME_URL)

    with django_assert_max_num_queries(3):
        response = admin_api.get(MEMBERS_URL)
    assert response.json()["count"] == 24
    with django_assert_max_num_queries(4):  # The reporting tree is one more query.
        response = manager_api.get(MEMBERS_URL)
    assert response.json()["count"] == 22


# --- members: writing -----------------------------------------------------------------


def test_admin_changes_a_members_role_and_manager(org, api_for):
    response = api_for(org.admin).patch(
        member_url(org.outsider_rep), {"manager_id": org.manager.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["manager_id"] == org.manager.pk
    assert fresh(org.outsider_rep).manager_id == org.manager.pk
    with tenant_context(org.tenant):
        event = AuditEvent.objects.get(action="membership.changed")
    assert event.object_id == str(org.outsider_rep.pk)
    assert event.actor == org.admin.user


def test_admin_promotes_a_rep_and_ends_their_employment(org, api_for):
    response = api_for(org.admin).patch(
        member_url(org.rep), {"role": "manager", "end_date": "2026-12-31"}, format="json"
    )

    assert response.status_code == 200, response.json()
    rep = fresh(org.rep)
    assert (rep.role, rep.end_date) == (Role.MANAGER, dt.date(2026, 12, 31))


def test_admin_removes_a_manager_with_null(org, api_for):
    response = api_for(org.admin).patch(member_url(org.rep), {"manager_id": None}, format="json")
    assert response.status_code == 200
    assert fresh(org.rep).manager_id is None


def test_a_manager_from_another_tenant_is_rejected_like_a_missing_one(org, other, api_for):
    api = api_for(org.admin)

    foreign = api.patch(member_url(org.rep), {"manager_id": other.manager.pk}, format="json")
    missing = api.patch(member_url(org.rep), {"manager_id": 999999}, format="json")

    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.json()) == ["manager_id"]
    assert foreign.json()["manager_id"][0].replace(str(other.manager.pk), "N") == (
        missing.json()["manager_id"][0].replace("999999", "N")
    )
    assert fresh(org.rep).manager_id == org.manager.pk


def test_a_reporting_loop_is_a_400_on_manager_id_and_changes_nothing(org, api_for):
    response = api_for(org.admin).patch(
        member_url(org.manager), {"manager_id": org.rep.pk}, format="json"
    )
    # The rep is not a manager, so first make them one and try again for the loop itself.
    assert response.status_code == 400
    Membership.all_tenants.filter(pk=org.rep.pk).update(role=Role.MANAGER)

    response = api_for(org.admin).patch(
        member_url(org.manager), {"manager_id": org.rep.pk}, format="json"
    )

    assert response.status_code == 400
    assert "loop" in response.json()["manager_id"][0]
    assert fresh(org.manager).manager_id == org.admin.pk
    with tenant_context(org.tenant):
        assert not AuditEvent.objects.filter(action="membership.changed").exists()


def test_an_end_date_before_the_start_is_a_400_on_end_date(org, api_for):
    response = api_for(org.admin).patch(
        member_url(org.rep), {"end_date": "2023-12-31"}, format="json"
    )
    assert response.status_code == 400
    assert "end_date" in response.json()
    assert fresh(org.rep).end_date is None


def test_the_last_admin_cannot_be_demoted(org, api_for):
    response = api_for(org.admin).patch(member_url(org.admin), {"role": "manager"}, format="json")
    assert response.status_code == 400
    assert "at least one admin" in response.json()["role"][0]
    assert fresh(org.admin).role == Role.ADMIN


@pytest.mark.parametrize(
    "payload",
    [{"role": "boss"}, {"start_date": "yesterday"}, {"manager_id": "abc"}],
    ids=["role", "start_date", "manager_id"],
)
def test_malformed_input_is_a_400_naming_the_field(org, api_for, payload):
    response = api_for(org.admin).patch(member_url(org.rep), payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == list(payload)
    rep = fresh(org.rep)
    assert (rep.role, rep.start_date, rep.manager_id) == (
        Role.REP,
        dt.date(2024, 1, 1),
        org.manager.pk,
    )


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_cannot_change_members(org, api_for, persona):
    member = getattr(org, persona)
    response = api_for(member).patch(member_url(member), {"role": "admin"}, format="json")
    assert response.status_code == 403
    assert fresh(member).role == persona


def test_admin_changing_another_tenants_member_is_404(org, other, api_for):
    response = api_for(org.admin).patch(member_url(other.rep), {"role": "manager"}, format="json")
    assert response.status_code == 404
    assert fresh(other.rep).role == Role.REP


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", MEMBERS_URL), ("delete", "detail"), ("put", "detail")],
)
def test_members_cannot_be_created_deleted_or_replaced(org, api_for, method, url):
    target = member_url(org.rep) if url == "detail" else url
    payload = {"role": "rep", "start_date": "2026-01-01"}
    response = getattr(api_for(org.admin), method)(target, payload, format="json")
    assert response.status_code == 405
    assert Membership.all_tenants.filter(tenant=org.tenant).count() == 4
