"""API for action items (DESIGN 5: ``action-items``; 4.6).

Who sees what: admins every item; managers the items about or owned by anyone in their
reporting tree and themselves; reps the items they own or that are about them. Anything
else, another organisation's items included, is a 404 whatever the method. Writes go
through ``accountability.services.action_items``, which decides who may: a refusal of an
item one sees is a 403; a stale ``version`` is a 409 with the item as it is now.

- ``POST /action-items/``: ``member_id``, ``owner_id``, ``title``, ``due_date`` and
  optionally ``review_id``.
- ``PATCH``: ``title`` and ``due_date``, with the ``version`` read (required).
- ``POST /action-items/{id}/complete/``: the owner marks it done (``version`` optional).
"""

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import HasRole, TenantViewSet
from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import ApiDateField, IdFilter
from spm.tenancy.models import Membership, Role

from .models import ActionItem, Review
from .selectors.action_items import visible_action_items
from .services import action_items as services

TITLE_MAX = ActionItem._meta.get_field("title").max_length
FIELD_NAMES = {"member": "member_id", "owner": "owner_id", "review": "review_id"}


class ActionItemSerializer(serializers.ModelSerializer):
    review_id = serializers.IntegerField(read_only=True, allow_null=True)
    member_id = serializers.IntegerField(read_only=True, help_text="Whose performance it is about.")
    owner_id = serializers.IntegerField(read_only=True, help_text="Who must do it.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review_id",
            "member_id",
            "owner_id",
            "title",
            "due_date",
            "status",
            "completed_at",
            "version",
        ]
        read_only_fields = fields


class ActionItemCreateSerializer(serializers.Serializer):
    member_id = ScopedPrimaryKeyRelatedField(model=Membership, source="member")
    owner_id = ScopedPrimaryKeyRelatedField(
        model=Membership,
        source="owner",
        help_text="The member, or someone above them in their reporting line.",
    )
    title = serializers.CharField(max_length=TITLE_MAX)
    due_date = ApiDateField(help_text="Not before today in the organisation's time zone.")
    review_id = ScopedPrimaryKeyRelatedField(
        model=Review, source="review", required=False, allow_null=True
    )


class ActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    due_date = ApiDateField(required=False)
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class ActionItemCompleteSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


class EveryMemberWrites(HasRole):
    """Every member may write; the service decides which items."""

    write_roles = (Role.ADMIN, Role.MANAGER, Role.REP)


class ActionItemFilter(django_filters.FilterSet):
    owner_id = IdFilter(field_name="owner_id", help_text="Items this member must do.")
    member_id = IdFilter(field_name="member_id", help_text="Items about this member.")
    status = django_filters.ChoiceFilter(choices=ActionItem.Status.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: open and due before today."
    )

    class Meta:
        model = ActionItem
        fields = ["owner_id", "member_id", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        today = self.request.tenant.today()
        overdue = Q(status=ActionItem.Status.OPEN, due_date__lt=today)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


@extend_schema_view(
    list=extend_schema(
        summary="List action items",
        description="Admins see every item, managers their reporting tree's and their own, "
        "reps the items they own or that are about them; by due date.",
    ),
    retrieve=extend_schema(summary="Get an action item"),
    create=extend_schema(
        summary="Add an action item",
        request=ActionItemCreateSerializer,
        responses={201: ActionItemSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an action item's title or due date",
        description="Send the ``version`` you read: a stale one is a 409 with the item now.",
        request=ActionItemUpdateSerializer,
        responses={200: ActionItemSerializer},
    ),
)
class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = ActionItem
    serializer_class = ActionItemSerializer
    permission_classes = [permissions.IsAuthenticated, EveryMemberWrites]
    filterset_class = ActionItemFilter
    error_field_names = FIELD_NAMES
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self) -> QuerySet[ActionItem]:
        return visible_action_items(tenant=self.tenant, viewer=self.membership).order_by(
            "due_date", "pk"
        )

    def create(self, request, *args, **kwargs):
        data = ActionItemCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        item = services.action_item_create(
            tenant=self.tenant, actor=self.membership, **data.validated_data
        )
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        data = ActionItemUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        saved = services.action_item_update(
            tenant=self.tenant, actor=self.membership, item=item, **data.validated_data
        )
        return Response(self.get_serializer(saved).data)

    @extend_schema(
        summary="Mark your action item done",
        description="Only the owner; an item that is not open is a 400.",
        request=ActionItemCompleteSerializer,
        responses={200: ActionItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, **kwargs):
        item = self.get_object()
        data = ActionItemCompleteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        done = services.action_item_complete(
            tenant=self.tenant,
            actor=self.membership,
            item=item,
            version=data.validated_data.get("version"),
        )
        return Response(self.get_serializer(done).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("action-items", ActionItemViewSet, basename="action-item")
