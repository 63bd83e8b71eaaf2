"""API for the daily plan's tasks (DESIGN 5: ``tasks``; 4.5).

Who sees what: admins everyone's tasks; managers their reporting tree's (direct and
indirect) and their own; reps their own. Anything else, another organisation's tasks
included, is a 404 whatever the method. Who writes: only the plan's own member (a
personal to-do list): changing, completing or deleting a task one may read but is not
one's own is a 403, admins included. Every write goes through
``activities.services.plan``.

Decisions where the contract is silent:

- ``POST /tasks/`` adds a task to the caller's own plan (there is no ``member_id`` to
  give), at the end of the day's order.
- ``PATCH`` ``status``: ``done`` completes without logging, ``dismissed`` dismisses,
  ``open`` reopens (the logged activity stays, unlinked). ``position`` moves an open
  task to that index of the day's order; the day is renumbered 0, 1, 2…
- ``POST /tasks/{id}/complete/`` logs the activity when ``type_id`` is given, with
  ``duration_minutes`` or the type's default; the activity's errors (a day over 24 hours,
  a task dated after today) are a 400 by field and the task stays open.
- ``DELETE`` removes a task added by hand; a suggestion is dismissed instead (400), so it
  is not suggested again that day.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import HasRole, TenantViewSet
from spm.inputs import DateFilter, IdFilter
from spm.tenancy.models import Role

from .models import PlanTask
from .selectors.plan import visible_plan_tasks
from .serializers_tasks import (
    PlanTaskCompleteSerializer,
    PlanTaskCreateSerializer,
    PlanTaskSerializer,
    PlanTaskUpdateSerializer,
)
from .services import plan as services

NOT_YOURS = "Only the plan's own member can change its tasks."
# The services name fields by model; the API by its own names.
FIELD_NAMES = {"account": "account_id", "type": "type_id", "member": "member_id"}


class EveryMemberWrites(HasRole):
    """Every member works their own plan; the view and the service check it is theirs."""

    write_roles = (Role.ADMIN, Role.MANAGER, Role.REP)


class PlanTaskFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", help_text="Tasks of this member's plan.")
    date = DateFilter(field_name="date", help_text="Tasks of this day's plan.")

    class Meta:
        model = PlanTask
        fields = ["member_id", "date"]


@extend_schema_view(
    list=extend_schema(
        summary="List plan tasks",
        description="Admins see everyone's, managers their reporting tree's and their own, "
        "reps their own; by member, day and position.",
    ),
    retrieve=extend_schema(summary="Get a plan task"),
    create=extend_schema(
        summary="Add a task to your own plan",
        request=PlanTaskCreateSerializer,
        responses={201: PlanTaskSerializer},
    ),
    partial_update=extend_schema(
        summary="Change your task's title, status or position",
        request=PlanTaskUpdateSerializer,
        responses={200: PlanTaskSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a task you added by hand",
        description="A suggestion is dismissed instead (400).",
        responses={204: None, 400: OpenApiResponse(description="The task is a suggestion.")},
    ),
)
class PlanTaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = PlanTask
    serializer_class = PlanTaskSerializer
    permission_classes = [permissions.IsAuthenticated, EveryMemberWrites]
    filterset_class = PlanTaskFilter
    error_field_names = FIELD_NAMES
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet[PlanTask]:
        return visible_plan_tasks(tenant=self.tenant, viewer=self.membership).order_by(
            "member_id", "date", "position", "pk"
        )

    def get_object(self) -> PlanTask:
        task = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS and (
            task.member_id != self.membership.pk
        ):
            # Readable (a manager's report's) but not theirs to work: asked before the
            # body is read so the answer does not depend on it.
            raise exceptions.PermissionDenied(NOT_YOURS)
        return task

    def create(self, request, *args, **kwargs):
        data = PlanTaskCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        task = services.plan_task_add(
            tenant=self.tenant,
            actor=self.membership,
            member=self.membership,
            date=data.validated_data["date"],
            title=data.validated_data["title"],
            account=data.validated_data.get("account"),
        )
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        data = PlanTaskUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        saved = services.plan_task_update(
            tenant=self.tenant, actor=self.membership, task=task, **data.validated_data
        )
        return Response(self.get_serializer(saved).data)

    def perform_destroy(self, instance: PlanTask) -> None:
        services.plan_task_delete(tenant=self.tenant, actor=self.membership, task=instance)

    @extend_schema(
        summary="Complete your task, logging its activity if asked",
        description="With ``type_id`` the activity is logged on the task's day and account "
        "in the same step (``duration_minutes``, or the type's default) and linked as "
        "``activity_id``; without it the task is only marked done. A task that is not open "
        "is a 400.",
        request=PlanTaskCompleteSerializer,
        responses={200: PlanTaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, **kwargs):
        task = self.get_object()
        data = PlanTaskCompleteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        kind = data.validated_data.get("type")
        done = services.plan_task_complete(
            tenant=self.tenant,
            actor=self.membership,
            task=task,
            log=kind is not None,
            type=kind,
            duration_minutes=data.validated_data.get("duration_minutes"),
            notes=data.validated_data.get("notes", ""),
        )
        return Response(self.get_serializer(done).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("tasks", PlanTaskViewSet, basename="task")
