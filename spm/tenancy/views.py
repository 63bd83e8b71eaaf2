"""Pages for an organisation's people and settings, and the tenant switcher.

Views parse and authorise, call one service or selector, and render. Another
organisation's object is a 404; a role that may not use a page at all gets a 403.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import emails, services
from .forms import (
    AcceptInvitationSignupForm,
    InvitationForm,
    MemberForm,
    OrganisationSettingsForm,
    add_service_errors,
)
from .middleware import SESSION_KEY
from .models import Invitation, Membership, Role
from .selectors import visible_members

# Django's own backend is enough to log in a person who just set their password;
# naming it is required because several backends are configured.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def role_required(*roles: str) -> Callable:
    """Log in first; then a 403 unless the active membership has one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = request.membership
            if membership is None or membership.role not in roles:
                raise PermissionDenied("Your role in this organisation cannot open this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _posted(request: HttpRequest):
    """The submitted data on a POST (even an empty one, so it is validated), else ``None``."""
    return request.POST if request.method == "POST" else None


def _switch_to(request: HttpRequest, membership: Membership) -> None:
    request.session[SESSION_KEY] = membership.pk


# --- Tenant switcher ----------------------------------------------------------------------


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """Make one of the user's own memberships the active one."""
    chosen = request.POST.get("membership_id", "")
    membership = next((m for m in request.memberships if str(m.pk) == chosen.strip()), None)
    if membership is None:
        raise Http404("No such organisation among yours.")
    _switch_to(request, membership)
    messages.success(request, f"Now working in {membership.tenant.name}.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("home"))
    return redirect("home")


# --- Members ------------------------------------------------------------------------------


@role_required(Role.ADMIN, Role.MANAGER)
def members(request: HttpRequest) -> HttpResponse:
    """Admins see everyone and can edit; managers see their reporting tree, read-only."""
    tenant, viewer = request.tenant, request.membership
    people = list(visible_members(tenant=tenant, viewer=viewer))
    context = {
        "members": people,
        "has_reports": any(person.pk != viewer.pk for person in people),
        "can_edit": viewer.is_admin,
        "today": tenant.today(),
    }
    if viewer.is_admin:
        context["pending_invitations"] = Invitation.objects.filter(
            tenant=tenant, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        ).count()
    return render(request, "tenancy/members.html", context)


@role_required(Role.ADMIN, Role.MANAGER)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins change any member; managers change no one. A manager opening someone in
    their reporting tree (whom they see on the members page) gets a 403; anyone else is
    a 404, like another organisation's member."""
    tenant, viewer = request.tenant, request.membership
    member = get_object_or_404(visible_members(tenant=tenant, viewer=viewer), pk=pk)
    if not viewer.is_admin:
        raise PermissionDenied("Only admins change members.")
    form = MemberForm(_posted(request), tenant=tenant, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                tenant=tenant, actor=request.user, member=member, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the changes to {member.name}.")
            return redirect("tenancy:members")
    return render(request, "tenancy/member_edit.html", {"member": member, "form": form})


# --- Invitations --------------------------------------------------------------------------


@role_required(Role.ADMIN)
def invitations(request: HttpRequest) -> HttpResponse:
    """List every invitation and invite someone new."""
    tenant = request.tenant
    form = InvitationForm(_posted(request), tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                tenant=tenant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            accept_url = request.build_absolute_uri(
                reverse("tenancy:invitation_accept", args=[invitation.key])
            )
            emails.send_invitation(invitation=invitation, accept_url=accept_url)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("tenancy:invitations")

    all_invitations = Invitation.objects.filter(tenant=tenant).select_related(
        "manager__user", "invited_by", "membership__user"
    )
    counts = all_invitations.aggregate(
        pending=Count(
            "pk", filter=Q(status=Invitation.Status.PENDING, expires_at__gt=timezone.now())
        )
    )
    context = {
        "form": form,
        "invitations": all_invitations,
        "pending_count": counts["pending"],
        "days_valid": settings.SPM_INVITATION_DAYS,
    }
    return render(request, "tenancy/invitations.html", context)


@role_required(Role.ADMIN)
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects, tenant=request.tenant, pk=pk)
    if invitation.status != Invitation.Status.PENDING:
        messages.info(request, f"The invitation for {invitation.email} was no longer pending.")
    else:
        services.invitation_revoke(tenant=request.tenant, actor=request.user, invitation=invitation)
        messages.success(request, f"Withdrew the invitation for {invitation.email}.")
    return redirect("tenancy:invitations")


def invitation_accept(request: HttpRequest, key: str) -> HttpResponse:
    """The page an invitation link opens. Reachable without logging in."""
    try:
        invitation = services.invitation_by_key(key=key)
    except services.InvitationInvalid as problem:
        return _invitation_problem(request, problem)

    context = {"invitation": invitation, "tenant_invited": invitation.tenant}
    user = request.user
    if not user.is_authenticated:
        if get_user_model().objects.filter(email__iexact=invitation.email).exists():
            login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
            return render(
                request,
                "tenancy/invitation_login.html",
                {**context, "login_url": login_url},
            )
        return _accept_as_new_user(request, invitation, context)

    if user.email.lower() != invitation.email.lower():
        return render(request, "tenancy/invitation_wrong_user.html", context, status=403)

    if request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=user)
        except services.InvitationInvalid as problem:
            return _invitation_problem(request, problem)
        return _welcome(request, membership)
    return render(request, "tenancy/invitation_accept.html", context)


def _accept_as_new_user(
    request: HttpRequest, invitation: Invitation, context: dict
) -> HttpResponse:
    form = AcceptInvitationSignupForm(_posted(request), email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_new_user(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except services.InvitationInvalid as problem:
            return _invitation_problem(request, problem)
        else:
            login(request, membership.user, backend=LOGIN_BACKEND)
            return _welcome(request, membership)
    return render(request, "tenancy/invitation_signup.html", {**context, "form": form})


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    _switch_to(request, membership)
    messages.success(request, f"Welcome to {membership.tenant.name}!")
    return redirect("home")


def _invitation_problem(request: HttpRequest, problem: services.InvitationInvalid) -> HttpResponse:
    # An unknown key is "not found"; a key that existed but cannot be used any more is "gone".
    status = 404 if problem.reason == "unknown" else 410
    return render(
        request,
        "tenancy/invitation_invalid.html",
        {"message": problem.message, "reason": problem.reason},
        status=status,
    )


# --- Organisation settings ----------------------------------------------------------------


@role_required(Role.ADMIN)
def organisation_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = OrganisationSettingsForm(_posted(request), tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_update_settings(tenant=tenant, actor=request.user, **form.settings())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved the organisation settings.")
            return redirect("tenancy:settings")
    return render(request, "tenancy/settings.html", {"form": form})
