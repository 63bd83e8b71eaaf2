"""Resolves the active membership for each request and runs the view inside its tenant."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import rls
from .context import across_tenants, tenant_context
from .selectors import memberships_for_user

SESSION_KEY = "spm_membership_id"


class RowSecurityMiddleware:
    """First in the stack: every request starts with PostgreSQL's tenant wall closed
    (``spm.tenancy.rls``), whatever ran before on this thread; ``TenantMiddleware`` or the
    API's authentication then opens it for the request's organisation only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with rls.closed():
            return self.get_response(request)


class TenantMiddleware:
    """Sets ``request.membership``, ``request.tenant`` and ``request.memberships``.

    The membership comes from the session (chosen with the tenant switcher) and is
    always checked against the user's own memberships: a tenant id in a request is
    never trusted on its own. The view then runs inside that tenant's scope and
    timezone; the scope is reset when the response leaves, whatever happens.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        request.tenant = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)

        memberships = list(memberships_for_user(user=user))
        request.memberships = memberships
        chosen_id = request.session.get(SESSION_KEY)
        membership = next((m for m in memberships if m.pk == chosen_id), None)
        if membership is None and memberships:
            membership = memberships[0]
            request.session[SESSION_KEY] = membership.pk
        if membership is None:
            if user.is_superuser:
                # The platform superuser without an organisation works across tenants.
                with across_tenants():
                    return self.get_response(request)
            return self.get_response(request)

        request.membership = membership
        request.tenant = membership.tenant
        with tenant_context(membership.tenant):
            return self.get_response(request)
