"""The one base for every API view: it activates the caller's tenant after authentication.

Views never override ``get_queryset`` to pick a tenant: they implement
``scoped_queryset()`` and receive ``self.tenant`` and ``self.membership`` already
resolved from the token (which belongs to one membership) or the session (checked
by the tenant middleware against the user's memberships).
"""

from contextlib import ExitStack

from rest_framework import exceptions, permissions, viewsets
from rest_framework.views import APIView

from spm.tenancy.context import tenant_context
from spm.tenancy.models import ApiToken, Membership, Role, Tenant


class TenantAPIMixin:
    membership: Membership
    tenant: Tenant

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._tenant_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request) -> None:
        super().perform_authentication(request)
        if not request.user or not request.user.is_authenticated:
            return  # The permission check answers 401/403.
        if isinstance(request.auth, ApiToken):
            membership = request.auth.membership
        else:
            membership = getattr(request._request, "membership", None)
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any organisation.")
        self.membership = membership
        self.tenant = membership.tenant
        request.membership = membership
        request.tenant = membership.tenant
        self._tenant_stack.enter_context(tenant_context(membership.tenant))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self, "tenant", None)
        context["membership"] = getattr(self, "membership", None)
        return context


class TenantAPIView(TenantAPIMixin, APIView):
    pass


class TenantViewSet(TenantAPIMixin, viewsets.GenericViewSet):
    def get_queryset(self):
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


class HasRole(permissions.BasePermission):
    """Grants safe methods to every member and writes to the roles listed in ``write_roles``."""

    read_roles: tuple[str, ...] = (Role.ADMIN, Role.MANAGER, Role.REP)
    write_roles: tuple[str, ...] = (Role.ADMIN,)

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return membership.role in self.read_roles
        return membership.role in self.write_roles


class AdminWrites(HasRole):
    write_roles = (Role.ADMIN,)


class ManagersWrite(HasRole):
    write_roles = (Role.ADMIN, Role.MANAGER)
