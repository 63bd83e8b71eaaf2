"""API for the tenancy core: ``me`` and ``members``.

People join an organisation by invitation and leave it by an end date, so ``members``
has no create or delete: admins change a member's role, manager and employment dates.
"""

import django_filters
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from spm.api.base import AdminWrites, TenantAPIView, TenantViewSet
from spm.inputs import IdFilter

from . import services
from .models import Membership, Role
from .selectors import visible_members
from .serializers import MemberOutputSerializer, MemberUpdateInputSerializer, MeOutputSerializer


class MeView(TenantAPIView):
    """The caller's own membership and organisation settings."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(self.membership).data)


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    manager_id = IdFilter(field_name="manager_id")

    class Meta:
        model = Membership
        fields = ["role", "manager_id"]


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    """Everyone sees the members they may see: admins all, managers their reporting tree
    (and themselves), reps themselves. Only admins change anything."""

    model = Membership
    serializer_class = MemberOutputSerializer
    permission_classes = [AdminWrites]
    filterset_class = MemberFilter
    http_method_names = ["get", "patch", "head", "options"]
    error_field_names = {"manager": "manager_id"}

    def scoped_queryset(self):
        return visible_members(tenant=self.tenant, viewer=self.membership)

    @extend_schema(request=MemberUpdateInputSerializer, responses=MemberOutputSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        member = self.get_object()
        serializer = MemberUpdateInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        member = services.membership_update(
            tenant=self.tenant, actor=request.user, member=member, **serializer.validated_data
        )
        return Response(MemberOutputSerializer(member).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("members", MemberViewSet, basename="member")


urlpatterns = [
    path("api/v1/me/", MeView.as_view(), name="api-me"),
]
