"""The admin site, for organisations, people, invitations, API tokens and the audit log: an
organisation's admin sees only their organisation, the platform superuser sees all of them,
managers and reps are kept out, and every write goes through the services.

The calendar pages are in ``test_admin_calendars.py``; what both share is in
``admin_helpers.py``."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from spm.calendars.models import Holiday
from spm.tenancy.context import tenant_context
from spm.tenancy.models import ApiToken, AuditEvent, Invitation, Membership, Role, Tenant
from spm.tenancy.services import api_token_issue, audit

from .admin_helpers import (
    Scoped,
    ScopedAdminChecks,
    autocomplete,
    listed_ids,
    make_holiday,
    messages_of,
    run_action,
    superuser_client_fixture,  # noqa: F401 (a fixture)
)
from .conftest import Org
from .factories import InvitationFactory


def make_membership(org: Org):
    return org.rep


def make_invitation(org: Org):
    return InvitationFactory(tenant=org.tenant, email=f"new@{org.tenant.slug}.test")


def make_api_token(org: Org):
    api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    return ApiToken.all_tenants.get(membership=org.rep)


def make_audit_event(org: Org):
    return audit(tenant=org.tenant, actor=org.admin.user, action="test.done", obj=org.rep)


class TestTheTenancyAdminIsScopedToTheOrganisation(ScopedAdminChecks):
    SCOPED = {
        "membership": Scoped("/admin/tenancy/membership/", make_membership, has_delete_page=False),
        "invitation": Scoped("/admin/tenancy/invitation/", make_invitation, has_delete_page=False),
        "apitoken": Scoped("/admin/tenancy/apitoken/", make_api_token, has_delete_page=False),
        "auditevent": Scoped("/admin/tenancy/auditevent/", make_audit_event, has_delete_page=False),
    }


# --- Who gets in ------------------------------------------------------------------------


def test_a_tenant_admin_opens_the_admin_without_a_staff_flag(org, client_for):
    assert not org.admin.user.is_staff
    response = client_for(org.admin).get("/admin/")
    assert response.status_code == 200
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {"Membership", "Invitation", "ApiToken", "AuditEvent", "Holiday", "TimeOff"} <= models
    assert not {"Tenant", "User", "Group", "EmailAddress"} & models


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_get_the_403_page(org, client_for, persona):
    client = client_for(getattr(org, persona))
    for url in [
        "/admin/",
        "/admin/tenancy/membership/",
        f"/admin/tenancy/membership/{org.rep.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "403.html" in [template.name for template in response.templates], url


def test_the_anonymous_are_sent_to_the_applications_login(db):
    # Never to a password-only admin form: the application's login has two-factor
    # authentication and rate limits.
    response = Client().get("/admin/tenancy/membership/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/tenancy/membership/"


@pytest.mark.parametrize("url", ["/admin/tenancy/tenant/", "/admin/users/user/"])
def test_tenants_and_users_are_the_platform_superusers_alone(org, client_for, url):
    assert client_for(org.admin).get(url).status_code == 403


# --- Organisations and users ------------------------------------------------------------


def test_the_platform_superuser_manages_organisations_and_users(org, superuser_client):
    assert superuser_client.get("/admin/tenancy/tenant/").status_code == 200
    assert superuser_client.get(f"/admin/tenancy/tenant/{org.tenant.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/users/user/").status_code == 200
    assert superuser_client.get("/admin/users/user/add/").status_code == 200
    user_page = superuser_client.get(f"/admin/users/user/{org.rep.user.pk}/change/")
    assert user_page.status_code == 200
    # The person's organisations are listed, read-only.
    assert "Acme Ltd" in user_page.content.decode()


def test_the_platform_superuser_adds_a_user_by_email(db, superuser_client):
    response = superuser_client.post(
        "/admin/users/user/add/",
        {
            "email": "new.person@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert get_user_model().objects.filter(email="new.person@example.com").exists()


# --- Autocomplete, raw-id lookups and form choices --------------------------------------


def test_manager_autocomplete_offers_only_own_managers_and_admins(org, other, client_for):
    found = autocomplete(client_for(org.admin), "tenancy", "membership", "manager")
    assert found == {org.admin.pk, org.manager.pk}


def test_raw_id_lookup_popup_lists_only_own_members(org, other, client_for):
    response = client_for(org.admin).get(
        "/admin/tenancy/membership/", {"_popup": "1", "_to_field": "id"}
    )
    assert response.status_code == 200
    assert listed_ids(response) == {org.admin.pk, org.manager.pk, org.rep.pk, org.outsider_rep.pk}


def test_membership_change_form_offers_only_own_managers(org, other, client_for):
    response = client_for(org.admin).get(f"/admin/tenancy/membership/{org.rep.pk}/change/")
    form = response.context["adminform"].form
    assert other.manager.pk not in set(form.fields["manager"].queryset.values_list("pk", flat=True))
    assert "tenant" not in form.fields


# --- Actions ----------------------------------------------------------------------------


def test_revoking_own_invitations_goes_through_the_service(org, client_for):
    invitation = make_invitation(org)

    response = run_action(
        client_for(org.admin), "/admin/tenancy/invitation/", "revoke", [invitation.pk]
    )

    assert response.status_code == 302
    assert Invitation.all_tenants.get(pk=invitation.pk).status == Invitation.Status.REVOKED
    assert AuditEvent.all_tenants.filter(
        tenant=org.tenant, action="invitation.revoked", object_id=str(invitation.pk)
    ).exists()


def test_actions_on_another_organisations_ids_change_nothing(org, other, client_for):
    client = client_for(org.admin)
    invitation, token, holiday = make_invitation(other), make_api_token(other), make_holiday(other)

    run_action(client, "/admin/tenancy/invitation/", "revoke", [invitation.pk])
    run_action(client, "/admin/tenancy/apitoken/", "revoke", [token.pk])
    client.post(
        "/admin/calendars/holiday/",
        {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"},
    )

    assert Invitation.all_tenants.get(pk=invitation.pk).status == Invitation.Status.PENDING
    assert ApiToken.all_tenants.get(pk=token.pk).revoked_at is None
    assert Holiday.all_tenants.filter(pk=holiday.pk).exists()
    assert (
        not AuditEvent.all_tenants.filter(tenant=other.tenant)
        .exclude(action="api_token.issued")
        .exists()
    )


def test_revoking_a_token_stops_it_working(org, client_for):
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    token = ApiToken.all_tenants.get(membership=org.rep)

    response = run_action(client_for(org.admin), "/admin/tenancy/apitoken/", "revoke", [token.pk])

    assert response.status_code == 302
    assert ApiToken.all_tenants.get(pk=token.pk).revoked_at is not None
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_the_admin_names_api_tokens_with_the_acronym(org, client_for):
    client = client_for(org.admin)

    index = client.get("/admin/")
    names = {
        m["object_name"]: m["name"] for app in index.context["app_list"] for m in app["models"]
    }
    changelist = client.get("/admin/tenancy/apitoken/")

    assert names["ApiToken"] == "API tokens"
    assert "Api token" not in index.content.decode()
    assert changelist.context["title"] == "Select API token to view"


def test_tokens_cannot_be_added_changed_or_deleted_in_the_admin(org, client_for):
    token = make_api_token(org)
    client = client_for(org.admin)
    assert client.get("/admin/tenancy/apitoken/add/").status_code == 403
    assert client.get(f"/admin/tenancy/apitoken/{token.pk}/delete/").status_code == 403
    change = client.get(f"/admin/tenancy/apitoken/{token.pk}/change/")
    assert change.status_code == 200 and not change.context["has_change_permission"]
    assert "digest" not in change.content.decode()


def test_the_audit_log_is_read_only(org, client_for):
    event = make_audit_event(org)
    client = client_for(org.admin)

    assert client.get("/admin/tenancy/auditevent/add/").status_code == 403
    assert client.get(f"/admin/tenancy/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/tenancy/auditevent/{event.pk}/change/", {"action": "forged"})
    assert response.status_code == 403
    assert AuditEvent.all_tenants.get(pk=event.pk).action == "test.done"


def test_invitations_cannot_be_added_or_edited_in_the_admin(org, client_for):
    invitation = make_invitation(org)
    client = client_for(org.admin)
    assert client.get("/admin/tenancy/invitation/add/").status_code == 403
    response = client.post(f"/admin/tenancy/invitation/{invitation.pk}/change/", {"role": "admin"})
    assert response.status_code == 403
    assert Invitation.all_tenants.get(pk=invitation.pk).role == Role.REP
    page = client.get(f"/admin/tenancy/invitation/{invitation.pk}/change/")
    assert page.status_code == 200
    assert invitation.key not in page.content.decode()  # The link's secret stays secret.


# --- Memberships ------------------------------------------------------------------------


def member_form(member: Membership, **changes) -> dict:
    data = {
        "role": member.role,
        "manager": member.manager_id or "",
        "start_date": member.start_date.isoformat(),
        "end_date": member.end_date.isoformat() if member.end_date else "",
    }
    data.update(changes)
    return data


def test_memberships_cannot_be_added_here_and_the_list_says_where_to_invite(org, client_for):
    client = client_for(org.admin)

    assert client.get("/admin/tenancy/membership/add/").status_code == 403
    response = client.get("/admin/tenancy/membership/")

    assert not response.context["has_add_permission"]
    message = next(m for m in messages_of(response) if "invitation" in m)
    assert 'href="/org/invitations/"' in message
    assert 'href="/org/invitations/"' in response.content.decode()


def test_memberships_cannot_be_deleted_here(org, client_for):
    response = client_for(org.admin).get(f"/admin/tenancy/membership/{org.rep.pk}/delete/")
    assert response.status_code == 403
    assert Membership.all_tenants.filter(pk=org.rep.pk).exists()


def test_changing_a_member_goes_through_the_service(org, client_for):
    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{org.outsider_rep.pk}/change/",
        member_form(org.outsider_rep, manager=org.manager.pk, end_date="2026-09-30"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Membership.all_tenants.get(pk=org.outsider_rep.pk)
    assert (member.manager_id, member.end_date) == (org.manager.pk, dt.date(2026, 9, 30))
    event = AuditEvent.all_tenants.get(action="membership.changed")
    assert (event.actor, event.object_id) == (org.admin.user, str(member.pk))
    assert event.data == {"manager": str(org.manager.pk), "end_date": "2026-09-30"}


def test_a_reporting_loop_is_a_form_error_and_changes_nothing(org, client_for):
    Membership.all_tenants.filter(pk=org.rep.pk).update(role=Role.MANAGER)

    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{org.manager.pk}/change/",
        member_form(org.manager, manager=org.rep.pk),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "loop" in errors["manager"][0]
    assert Membership.all_tenants.get(pk=org.manager.pk).manager_id == org.admin.pk
    assert not AuditEvent.all_tenants.filter(action="membership.changed").exists()


def test_a_rep_cannot_become_a_manager_of_someone(org, client_for):
    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{org.outsider_rep.pk}/change/",
        member_form(org.outsider_rep, manager=org.rep.pk),
    )
    assert response.status_code == 200
    assert "manager" in response.context["adminform"].form.errors
    assert Membership.all_tenants.get(pk=org.outsider_rep.pk).manager_id == org.admin.pk


def test_an_end_before_the_start_is_a_form_error(org, client_for):
    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{org.rep.pk}/change/",
        member_form(org.rep, end_date="2023-01-01"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Membership.all_tenants.get(pk=org.rep.pk).end_date is None


def test_another_organisations_manager_cannot_be_chosen(org, other, client_for):
    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{org.rep.pk}/change/",
        member_form(org.rep, manager=other.manager.pk),
    )
    assert response.status_code == 200
    assert "manager" in response.context["adminform"].form.errors
    assert Membership.all_tenants.get(pk=org.rep.pk).manager_id == org.manager.pk


def test_posting_to_another_organisations_member_changes_nothing(org, other, client_for):
    response = client_for(org.admin).post(
        f"/admin/tenancy/membership/{other.rep.pk}/change/",
        member_form(other.rep, role=Role.ADMIN, manager=""),
    )
    assert response.status_code == 404
    assert Membership.all_tenants.get(pk=other.rep.pk).role == Role.REP


# --- Invitations ------------------------------------------------------------------------


def test_time_stamps_use_the_current_time(org):
    # Guards the fixtures above: an invitation made now is pending and unexpired.
    invitation = make_invitation(org)
    assert invitation.expires_at > timezone.now()


def test_person_choices_are_limited_to_the_organisations_members(org, other, rf):
    request = rf.get("/admin/tenancy/invitation/add/")
    request.user, request.membership, request.tenant = org.admin.user, org.admin, org.tenant
    invitation_admin = admin.site._registry[Invitation]

    with tenant_context(org.tenant):
        field = invitation_admin.formfield_for_foreignkey(
            Invitation._meta.get_field("invited_by"), request
        )
        people = set(field.queryset.values_list("email", flat=True))

    assert people == {"admin@acme.test", "manager@acme.test", "rep@acme.test", "rep2@acme.test"}


def test_the_superuser_may_deactivate_an_organisation_but_not_change_its_settings(
    org, superuser_client
):
    url = f"/admin/tenancy/tenant/{org.tenant.pk}/change/"
    response = superuser_client.post(
        url, {"is_active": "", "name": "Renamed", "timezone": "UTC", "work_week": "[1]"}
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=org.tenant.pk)
    assert tenant.is_active is False
    assert (tenant.name, tenant.timezone, tenant.work_week) == (
        "Acme Ltd",
        "Europe/Berlin",
        [1, 2, 3, 4, 5],
    )
    assert superuser_client.get("/admin/tenancy/tenant/add/").status_code == 403
