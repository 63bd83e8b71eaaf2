"""Inviting people, withdrawing invitations, and accepting them from the emailed link."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from spm.tenancy.middleware import SESSION_KEY
from spm.tenancy.models import AuditEvent, Invitation, Membership, Role
from spm.users.models import User

from .factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory

INVITATIONS = reverse("tenancy:invitations")


def accept_url(invitation: Invitation) -> str:
    return reverse("tenancy:invitation_accept", args=[invitation.key])


def revoke_url(invitation: Invitation) -> str:
    return reverse("tenancy:invitation_revoke", args=[invitation.pk])


def invitations_of(org) -> list[Invitation]:
    return list(Invitation.all_tenants.filter(tenant=org.tenant))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def invitation(org):
    return InvitationFactory(
        tenant=org.tenant,
        email="new.rep@example.com",
        role=Role.REP,
        manager=org.manager,
        start_date=dt.date(2026, 3, 1),
        invited_by=org.admin.user,
    )


# --- Inviting ---------------------------------------------------------------------------


def test_admin_invites_someone_and_they_get_an_email_with_the_absolute_link(org, client_for):
    response = client_for(org.admin).post(
        INVITATIONS,
        {
            "email": "Jane.Doe@Example.com",
            "role": Role.REP,
            "manager": org.manager.pk,
            "start_date": "2026-04-01",
        },
    )
    assert response.status_code == 302
    assert response.url == INVITATIONS
    [invitation] = invitations_of(org)
    assert invitation.email == "jane.doe@example.com"
    assert invitation.role == Role.REP
    assert invitation.manager_id == org.manager.pk
    assert invitation.start_date == dt.date(2026, 4, 1)
    assert invitation.invited_by == org.admin.user
    assert messages_of(response) == ["Invitation sent to jane.doe@example.com."]

    [message] = mail.outbox
    assert message.to == ["jane.doe@example.com"]
    assert "Acme Ltd" in message.subject
    link = f"http://testserver{accept_url(invitation)}"
    assert link in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


def test_inviting_without_a_start_date_starts_today(org, client_for):
    client_for(org.admin).post(INVITATIONS, {"email": "x@example.com", "role": Role.MANAGER})
    [invitation] = invitations_of(org)
    assert invitation.start_date == org.tenant.today()
    assert invitation.manager is None


def test_a_second_pending_invitation_for_the_same_address_is_refused(org, invitation, client_for):
    response = client_for(org.admin).post(
        INVITATIONS, {"email": "NEW.rep@example.com", "role": Role.REP}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "new.rep@example.com already has a pending invitation."
    ]
    assert invitations_of(org) == [invitation]
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused(org, client_for):
    response = client_for(org.admin).post(INVITATIONS, {"email": "rep@acme.test", "role": Role.REP})
    assert response.context["form"].errors["email"] == [
        "rep@acme.test is already a member of Acme Ltd."
    ]
    assert invitations_of(org) == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email", "role": Role.REP}, "email"),
        ({"email": "", "role": Role.REP}, "email"),
        ({"email": "a@example.com", "role": "owner"}, "role"),
        ({"email": "a@example.com", "role": Role.REP, "start_date": "soon"}, "start_date"),
    ],
)
def test_bad_invitation_input_is_shown_and_nothing_is_sent(org, client_for, data, field):
    response = client_for(org.admin).post(INVITATIONS, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert invitations_of(org) == []
    assert mail.outbox == []


def test_a_rep_cannot_be_chosen_as_the_invitees_manager(org, client_for):
    response = client_for(org.admin).post(
        INVITATIONS, {"email": "a@example.com", "role": Role.REP, "manager": org.rep.pk}
    )
    assert "Select a valid choice" in response.content.decode()
    assert invitations_of(org) == []


def test_a_manager_from_another_organisation_cannot_be_chosen(org, other, client_for):
    response = client_for(org.admin).post(
        INVITATIONS, {"email": "a@example.com", "role": Role.REP, "manager": other.manager.pk}
    )
    assert "Select a valid choice" in response.content.decode()
    assert invitations_of(org) == []


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_are_refused_the_invitations_page(org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(INVITATIONS).status_code == 403
    response = client.post(INVITATIONS, {"email": "a@example.com", "role": Role.ADMIN})
    assert response.status_code == 403
    assert invitations_of(org) == []


# --- The list ---------------------------------------------------------------------------


def test_the_list_shows_pending_expired_and_accepted_invitations(org, other, client_for):
    InvitationFactory(tenant=org.tenant, email="pending@example.com")
    InvitationFactory(
        tenant=org.tenant,
        email="late@example.com",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    InvitationFactory(
        tenant=org.tenant,
        email="joined@example.com",
        status=Invitation.Status.ACCEPTED,
        accepted_at=timezone.now(),
    )
    InvitationFactory(tenant=other.tenant, email="elsewhere@example.com")
    response = client_for(org.admin).get(INVITATIONS)
    html = response.content.decode()
    for email in ("pending@example.com", "late@example.com", "joined@example.com"):
        assert email in html
    assert "elsewhere@example.com" not in html
    assert "Expired" in html
    assert "Accepted" in html
    assert response.context["pending_count"] == 1
    assert html.count("Withdraw<") == 2  # Pending ones, even past their expiry.


def test_the_empty_list_explains_what_to_do(org, client_for):
    response = client_for(org.admin).get(INVITATIONS)
    assert "No invitations yet" in response.content.decode()


def test_the_invitation_list_runs_a_fixed_number_of_queries(
    org, client_for, django_assert_max_num_queries
):
    for n in range(20):
        InvitationFactory(
            tenant=org.tenant,
            email=f"p{n}@example.com",
            manager=org.manager,
            invited_by=org.admin.user,
        )
    client = client_for(org.admin)
    with django_assert_max_num_queries(9):
        response = client.get(INVITATIONS)
    assert len(response.context["invitations"]) == 20


# --- Withdrawing ------------------------------------------------------------------------


def test_admin_withdraws_a_pending_invitation(org, invitation, client_for):
    response = client_for(org.admin).post(revoke_url(invitation))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert messages_of(response) == ["Withdrew the invitation for new.rep@example.com."]
    assert AuditEvent.all_tenants.filter(action="invitation.revoked").count() == 1


def test_withdrawing_an_accepted_invitation_changes_nothing(org, client_for):
    accepted = InvitationFactory(tenant=org.tenant, status=Invitation.Status.ACCEPTED)
    response = client_for(org.admin).post(revoke_url(accepted))
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == Invitation.Status.ACCEPTED


def test_withdrawing_needs_a_post(org, invitation, client_for):
    assert client_for(org.admin).get(revoke_url(invitation)).status_code == 405
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_another_organisations_invitation_is_404(org, other, client_for):
    theirs = InvitationFactory(tenant=other.tenant)
    response = client_for(org.admin).post(revoke_url(theirs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Invitation.Status.PENDING


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_cannot_withdraw(org, invitation, client_for, persona):
    assert client_for(getattr(org, persona)).post(revoke_url(invitation)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- Accepting: links that cannot be used -----------------------------------------------


def test_an_unknown_link_is_a_friendly_404(client, org):
    response = client.get(reverse("tenancy:invitation_accept", args=["no-such-key"]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This invitation link is not valid" in html
    assert "ask the person who invited you" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": Invitation.Status.REVOKED}, "This invitation was withdrawn."),
        ({"status": Invitation.Status.ACCEPTED}, "This invitation has already been accepted."),
        ({"status": Invitation.Status.EXPIRED}, "This invitation has expired."),
        (
            {"expires_at": timezone.now() - dt.timedelta(minutes=1)},
            "This invitation has expired.",
        ),
    ],
)
def test_a_used_withdrawn_or_expired_link_is_410_with_what_to_do(
    client, org, invitation, changes, message
):
    Invitation.all_tenants.filter(pk=invitation.pk).update(**changes)
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert message in response.content.decode()
    response = client.post(
        accept_url(invitation),
        {"name": "X", "password1": "a-Long-pass-1", "password2": "a-Long-pass-1"},
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="new.rep@example.com").exists()


# --- Accepting as a new person ----------------------------------------------------------


def test_a_new_person_sees_who_invited_them_and_a_signup_form(client, org, invitation):
    response = client.get(accept_url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Join Acme Ltd" in html
    assert "new.rep@example.com" in html
    assert 'name="password1"' in html


def test_a_new_person_creates_their_account_and_lands_in_the_organisation(client, org, invitation):
    response = client.post(
        accept_url(invitation),
        {"name": "Nia Newcomer", "password1": "quota-crusher-77", "password2": "quota-crusher-77"},
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(email="new.rep@example.com")
    assert user.name == "Nia Newcomer"
    assert user.check_password("quota-crusher-77")
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("new.rep@example.com", True, True)
    membership = Membership.all_tenants.get(user=user)
    assert membership.tenant == org.tenant
    assert (membership.role, membership.manager, membership.start_date) == (
        Role.REP,
        org.manager,
        dt.date(2026, 3, 1),
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.membership == membership
    assert client.session[SESSION_KEY] == membership.pk
    assert int(client.session["_auth_user_id"]) == user.pk
    assert mail.outbox == []  # The link proved the address: no verification email.
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["membership"] == membership
    assert "Welcome to Acme Ltd!" in home.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "Nia", "password1": "quota-crusher-77", "password2": "quota-crusher-78"},
            "password2",
            "The two passwords do not match.",
        ),
        (
            {"name": "Nia", "password1": "password", "password2": "password"},
            "password1",
            "This password is too common.",
        ),
        (
            {"name": "Nia", "password1": "Xy1", "password2": "Xy1"},
            "password1",
            "This password is too short.",
        ),
        (
            {"name": "", "password1": "quota-crusher-77", "password2": "quota-crusher-77"},
            "name",
            "This field is required.",
        ),
    ],
)
def test_a_bad_name_or_password_is_explained_and_nothing_is_created(
    client, org, invitation, data, field, message
):
    response = client.post(accept_url(invitation), data)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(error.startswith(message) for error in errors), errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(email="new.rep@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert "_auth_user_id" not in client.session


def test_a_password_like_the_email_is_refused(client, org, invitation):
    response = client.post(
        accept_url(invitation),
        {"name": "Nia", "password1": "new.rep@example", "password2": "new.rep@example"},
    )
    assert "too similar" in str(response.context["form"].errors["password1"])
    assert not User.objects.filter(email="new.rep@example.com").exists()


# --- Accepting with an existing account -------------------------------------------------


def test_someone_with_an_account_is_asked_to_log_in_and_comes_back(client, org, other, invitation):
    existing = MembershipFactory(tenant=other.tenant, user=UserFactory(email="new.rep@example.com"))
    response = client.get(accept_url(invitation))
    assert response.status_code == 200
    login_link = response.context["login_url"]
    assert login_link == f"{reverse('account_login')}?next=%2Forg%2Finvite%2F{invitation.key}%2F"
    assert escape(login_link) in response.content.decode()
    # Posting anonymously does not accept anything.
    client.post(accept_url(invitation))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING

    response = client.post(login_link, {"login": "new.rep@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == accept_url(invitation)

    page = client.get(accept_url(invitation))
    assert "Accept and join Acme Ltd" in page.content.decode()
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert response.url == reverse("home")
    membership = Membership.all_tenants.get(tenant=org.tenant, user=existing.user)
    assert membership.role == Role.REP
    assert client.session[SESSION_KEY] == membership.pk
    assert Membership.all_tenants.filter(user=existing.user).count() == 2


def test_logged_in_as_someone_else_shows_who_the_invitation_is_for(org, invitation, client_for):
    client = client_for(org.rep)
    response = client.get(accept_url(invitation))
    assert response.status_code == 403
    html = response.content.decode()
    assert "This invitation is for someone else" in html
    assert "new.rep@example.com" in html
    assert "rep@acme.test" in html
    response = client.post(accept_url(invitation))
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert client.session[SESSION_KEY] == org.rep.pk


def test_the_emailed_link_works_end_to_end(org, client_for, client):
    client_for(org.admin).post(
        INVITATIONS, {"email": "fresh@example.com", "role": Role.MANAGER, "manager": org.admin.pk}
    )
    client.logout()
    link = re.search(r"http://testserver(/org/invite/\S+/)", mail.outbox[0].body).group(1)
    response = client.post(
        link, {"name": "Fred Fresh", "password1": "pipeline-pro-42", "password2": "pipeline-pro-42"}
    )
    assert response.status_code == 302
    membership = Membership.all_tenants.get(user__email="fresh@example.com")
    assert (membership.tenant, membership.role, membership.manager) == (
        org.tenant,
        Role.MANAGER,
        org.admin,
    )
    assert client.get(link).status_code == 410  # The link works once.
