"""The members page and an admin's edit of a member."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from spm.tenancy.models import AuditEvent, Membership, Role

from .factories import InvitationFactory, MembershipFactory

MEMBERS = reverse("tenancy:members")


def edit_url(member: Membership) -> str:
    return reverse("tenancy:member_edit", args=[member.pk])


def fresh(member: Membership) -> Membership:
    return Membership.all_tenants.get(pk=member.pk)


def form_data(member: Membership, **changes) -> dict:
    data = {
        "role": member.role,
        "manager": member.manager_id or "",
        "start_date": member.start_date.isoformat(),
        "end_date": member.end_date.isoformat() if member.end_date else "",
    }
    data.update(changes)
    return data


# --- The list ---------------------------------------------------------------------------


def test_admin_sees_everyone_with_role_manager_and_dates(org, other, client_for):
    org.rep.end_date = dt.date(2026, 6, 30)
    org.rep.save()
    InvitationFactory(tenant=org.tenant)
    InvitationFactory(tenant=org.tenant)
    response = client_for(org.admin).get(MEMBERS)
    assert response.status_code == 200
    html = response.content.decode()
    for member in (org.admin, org.manager, org.rep, org.outsider_rep):
        assert member.user.email in html
        assert edit_url(member) in html
    assert "admin@globex.test" not in html
    assert org.manager.name in html  # As the rep's manager.
    assert "30 Jun 2026" in html
    assert "2 pending invitations" in html
    assert reverse("tenancy:invitations") in html


def test_manager_sees_only_their_reporting_tree_read_only(org, client_for):
    deep = MembershipFactory(tenant=org.tenant, manager=org.rep, role=Role.REP)
    response = client_for(org.manager).get(MEMBERS)
    assert response.status_code == 200
    html = response.content.decode()
    emails = {m.user.email for m in response.context["members"]}
    assert emails == {"manager@acme.test", "rep@acme.test", deep.user.email}
    assert "rep2@acme.test" not in html
    assert "/members/" + str(org.rep.pk) not in html
    assert "Invite someone" not in html


def test_manager_without_reports_sees_a_helpful_empty_state(org, client_for):
    lonely = MembershipFactory(tenant=org.tenant, role=Role.MANAGER)
    response = client_for(lonely).get(MEMBERS)
    emails = [m.user.email for m in response.context["members"]]
    assert emails == [lonely.user.email]
    assert "Nobody reports to you yet" in response.content.decode()
    busy = client_for(org.manager).get(MEMBERS)
    assert "Nobody reports to you yet" not in busy.content.decode()


def test_rep_is_refused_the_members_page(org, client_for):
    assert client_for(org.rep).get(MEMBERS).status_code == 403


def test_members_page_requires_logging_in(client, org):
    response = client.get(MEMBERS)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_members_list_runs_a_fixed_number_of_queries(
    org, client_for, django_assert_max_num_queries
):
    for _ in range(25):
        MembershipFactory(tenant=org.tenant, manager=org.manager)
    client = client_for(org.admin)
    with django_assert_max_num_queries(8):
        response = client.get(MEMBERS)
    assert len(response.context["members"]) == 29
    client = client_for(org.manager)
    with django_assert_max_num_queries(8):
        response = client.get(MEMBERS)
    assert len(response.context["members"]) == 27


# --- Editing ----------------------------------------------------------------------------


def test_admin_changes_role_manager_and_dates(org, client_for):
    client = client_for(org.admin)
    assert client.get(edit_url(org.outsider_rep)).status_code == 200
    response = client.post(
        edit_url(org.outsider_rep),
        form_data(
            org.outsider_rep,
            role=Role.MANAGER,
            manager=org.manager.pk,
            start_date="2025-02-01",
            end_date="2026-12-31",
        ),
    )
    assert response.status_code == 302
    assert response.url == MEMBERS
    member = fresh(org.outsider_rep)
    assert member.role == Role.MANAGER
    assert member.manager_id == org.manager.pk
    assert member.start_date == dt.date(2025, 2, 1)
    assert member.end_date == dt.date(2026, 12, 31)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Saved the changes to {member.name}."
    ]
    assert AuditEvent.all_tenants.filter(
        tenant=org.tenant, action="membership.changed", object_id=str(member.pk)
    ).exists()


def test_manager_choices_are_this_organisations_managers_and_admins(org, other, client_for):
    response = client_for(org.admin).get(edit_url(org.rep))
    choices = {m.pk for m in response.context["form"].fields["manager"].queryset}
    assert choices == {org.admin.pk, org.manager.pk}


def test_a_manager_from_another_organisation_is_rejected(org, other, client_for):
    response = client_for(org.admin).post(
        edit_url(org.rep), form_data(org.rep, manager=other.manager.pk)
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert fresh(org.rep).manager_id == org.manager.pk


def test_a_rep_cannot_become_someones_manager(org, client_for):
    response = client_for(org.admin).post(
        edit_url(org.outsider_rep), form_data(org.outsider_rep, manager=org.rep.pk)
    )
    assert "Select a valid choice" in response.content.decode()
    assert fresh(org.outsider_rep).manager_id == org.admin.pk


def test_a_reporting_loop_is_refused_with_a_clear_message(org, client_for):
    response = client_for(org.admin).post(
        edit_url(org.admin), form_data(org.admin, manager=org.manager.pk)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["manager"] == [
        f"{org.manager.name} reports to {org.admin.name}; that would be a loop."
    ]
    assert fresh(org.admin).manager_id is None


def test_a_manager_with_reports_cannot_become_a_rep(org, client_for):
    response = client_for(org.admin).post(
        edit_url(org.manager), form_data(org.manager, role=Role.REP)
    )
    assert response.context["form"].errors["role"] == [
        "Reassign this person's reports before making them a rep."
    ]
    assert fresh(org.manager).role == Role.MANAGER


def test_the_last_admin_cannot_step_down(org, client_for):
    response = client_for(org.admin).post(
        edit_url(org.admin), form_data(org.admin, role=Role.MANAGER)
    )
    assert response.context["form"].errors["role"] == ["An organisation needs at least one admin."]
    assert fresh(org.admin).role == Role.ADMIN


def test_an_end_before_the_start_is_refused_and_nothing_changes(org, client_for):
    response = client_for(org.admin).post(
        edit_url(org.rep),
        form_data(org.rep, role=Role.MANAGER, start_date="2025-05-01", end_date="2025-04-30"),
    )
    assert response.context["form"].errors["end_date"] == [
        "The last day cannot be before the first day."
    ]
    member = fresh(org.rep)
    assert (member.role, member.start_date, member.end_date) == (
        Role.REP,
        dt.date(2024, 1, 1),
        None,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": ""}, "start_date"),
        ({"end_date": "31/31/2026"}, "end_date"),
        ({"role": "boss"}, "role"),
    ],
)
def test_malformed_input_is_shown_on_the_field(org, client_for, changes, field):
    response = client_for(org.admin).post(edit_url(org.rep), form_data(org.rep, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert fresh(org.rep).role == Role.REP
    assert fresh(org.rep).start_date == dt.date(2024, 1, 1)


def test_another_organisations_member_is_404(org, other, client_for):
    client = client_for(org.admin)
    assert client.get(edit_url(other.rep)).status_code == 404
    response = client.post(edit_url(other.rep), form_data(other.rep, role=Role.MANAGER))
    assert response.status_code == 404
    assert fresh(other.rep).role == Role.REP


def test_a_manager_is_refused_the_edit_page_of_their_own_report(org, client_for):
    client = client_for(org.manager)
    assert client.get(edit_url(org.rep)).status_code == 403
    response = client.post(edit_url(org.rep), form_data(org.rep, end_date="2026-01-31"))
    assert response.status_code == 403
    assert fresh(org.rep).end_date is None


def test_a_manager_gets_404_for_a_member_outside_their_reporting_tree(org, client_for):
    client = client_for(org.manager)
    assert client.get(edit_url(org.outsider_rep)).status_code == 404
    assert client.get(edit_url(org.admin)).status_code == 404  # Their own manager.
    response = client.post(
        edit_url(org.outsider_rep), form_data(org.outsider_rep, end_date="2026-01-31")
    )
    assert response.status_code == 404
    assert fresh(org.outsider_rep).end_date is None


def test_a_rep_is_refused_the_edit_page(org, client_for):
    client = client_for(org.rep)
    assert client.get(edit_url(org.rep)).status_code == 403
    assert client.post(edit_url(org.rep), form_data(org.rep, role=Role.ADMIN)).status_code == 403
    assert fresh(org.rep).role == Role.REP


def test_the_edit_page_shows_the_current_values(org, client_for):
    response = client_for(org.admin).get(edit_url(org.rep))
    html = response.content.decode()
    assert org.rep.user.email in html
    assert 'value="2024-01-01"' in html
    assert response.context["form"].initial["manager"] == org.manager.pk
