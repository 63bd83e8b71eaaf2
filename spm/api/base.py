"""The one base for every API view: it activates the caller's tenant after authentication.

Views never override ``get_queryset`` to pick a tenant: they implement
``scoped_queryset()`` and receive ``self.tenant`` and ``self.membership`` already
resolved from the token (which belongs to one membership) or the session (checked
by the tenant middleware against the user's memberships).

Services raise Django's ``ValidationError``; every view here answers it with a 400
whose body names the fields, exactly like a serializer's own validation errors. A
service's ``StaleVersion`` (a write naming a version someone else has moved on from,
``spm.tenancy.versioning``) is a 409 carrying the object as it is now, rendered by the
view's own serializer, so the caller can show the current value and try again.
"""

from contextlib import ExitStack

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions, permissions, routers, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from spm.inputs import MAX_ID
from spm.tenancy.context import tenant_context
from spm.tenancy.models import ApiToken, Membership, Role, Tenant
from spm.tenancy.versioning import StaleVersion

#: Primary keys are 64-bit (``BigAutoField``). Every id a caller sends in a query string or a
#: list is held to ``ID_BOUNDS``: a larger number is a 400 instead of reaching the database,
#: where SQLite cannot even bind it (``OverflowError``, a 500). A single id (a path or a
#: related field) needs nothing: Django's exact lookup already matches no row for it.
ID_BOUNDS = {"min_value": 1, "max_value": MAX_ID}


class TenantAPIMixin:
    membership: Membership
    tenant: Tenant

    #: Service error keys renamed to the API's field names, e.g. ``{"manager": "manager_id"}``.
    error_field_names: dict[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._tenant_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request) -> None:
        super().perform_authentication(request)
        if not request.user or not request.user.is_authenticated:
            return  # The permission check answers 401/403.
        if isinstance(request.auth, ApiToken):
            # The token's membership decides, whatever tenant the browser session chose.
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

    def handle_exception(self, exc):
        if isinstance(exc, StaleVersion):
            return self.stale_version_response(exc)
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(self.service_error_detail(exc))
        return super().handle_exception(exc)

    def stale_version_response(self, stale: StaleVersion) -> Response:
        """409: ``detail`` says why, ``current`` is the object now, as this view renders it."""
        return Response(
            {"detail": stale.message, "current": self.render_current(stale.current)},
            status=status.HTTP_409_CONFLICT,
        )

    def render_current(self, current) -> dict:
        """``current`` through the view's output serializer (``serializer_class``); a view
        without one (a plain ``APIView``) says at least which object and version it is."""
        if not hasattr(self, "get_serializer_class"):
            return {"id": current.pk, "version": getattr(current, "version", None)}
        serializer_class = self.get_serializer_class()
        return serializer_class(current, context=self.get_serializer_context()).data

    def service_error_detail(self, error: DjangoValidationError) -> dict:
        """A service's ``ValidationError`` as a serializer-style body, with API field names."""
        names = {NON_FIELD_ERRORS: api_settings.NON_FIELD_ERRORS_KEY, **self.error_field_names}
        detail = serializers.as_serializer_error(error)
        return {names.get(name, name): value for name, value in detail.items()}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self, "tenant", None)
        context["membership"] = getattr(self, "membership", None)
        return context


class TenantAPIView(TenantAPIMixin, APIView):
    pass


class TenantViewSet(TenantAPIMixin, viewsets.GenericViewSet):
    #: The model this view serves. The schema generator reads it: it has no caller, so
    #: no tenant, and ``scoped_queryset()`` cannot run.
    model: type[models.Model] | None = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) and self.model is not None:
            return self.model._default_manager.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


class ServiceWriteMixin:
    """``create``, ``update`` and ``partial_update`` of a ``TenantViewSet`` through one
    service call: the input serializer validates, ``write()`` calls the service (whose
    ``ValidationError`` becomes a 400), and the output serializer renders.

    A subclass sets ``input_serializer_class`` and implements ``current_values(obj)``
    (what ``PUT``/``PATCH`` leave unchanged) and ``write(instance=, values=)``.
    """

    input_serializer_class: type[serializers.Serializer]

    def create(self, request, *args, **kwargs):
        saved = self._write(request, instance=None, partial=False)
        return Response(self.render(saved), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        saved = self._write(request, instance=self.get_object(), partial=False)
        return Response(self.render(saved))

    def partial_update(self, request, *args, **kwargs):
        saved = self._write(request, instance=self.get_object(), partial=True)
        return Response(self.render(saved))

    def _write(self, request, *, instance, partial: bool):
        data = self.input_serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        current = self.current_values(instance) if instance is not None else {}
        return self.write(instance=instance, values={**current, **data.validated_data})

    def current_values(self, instance) -> dict:
        raise NotImplementedError

    def write(self, *, instance, values: dict):
        raise NotImplementedError

    def render(self, saved) -> dict:
        return self.get_serializer(saved).data


class TenantAPIRootView(TenantAPIMixin, routers.APIRootView):
    """The router's index of resources, answered only to members like every other view."""


class TenantRouter(routers.DefaultRouter):
    APIRootView = TenantAPIRootView


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
