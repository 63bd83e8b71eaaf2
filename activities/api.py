"""API for activity types and activities (DESIGN 5 and 4.5).

Activity types: every member lists and reads them (the types in use by default,
``?active=all`` for every one); admins create and change them through
``activity_type_save`` (names unique regardless of case). A type is never deleted
(``DELETE`` is a 405): set ``active`` to false to retire it.

Activities, who sees what: admins everyone's; managers their reporting tree's (direct and
indirect) and their own; reps their own. Anything else, another organisation's activities
included, is a 404 whatever the method. Who writes: everyone logs their own activities,
and only their own (another ``member_id`` is a 403, admins included: they correct, they
do not log for others); admins change and delete anyone's in their organisation; a
manager reads their reports' activities but changing or deleting one is a 403. Every
write goes through ``activities.services``; a stale ``version`` is a 409 carrying the
activity as it is now.

Decisions where the contract is silent:

- ``POST /activities/bulk/`` takes a JSON list of up to 1,000 activities, all or
  nothing, and answers 201 with the activities logged. A 400 names each bad item by its
  index (from 0) and field under ``rows``: ``{"rows": {"3": {"date": ["…"]}}}``; a body
  that is not a list, or too long, is a 400 under ``non_field_errors``.
- ``DELETE /activities/{id}/`` checks the ``version`` given in the query string
  (``?version=3``) or the body; without one it deletes whatever is there.
- ``start`` after ``end`` in the list's filters is a 400, not an empty list.
"""

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import AdminWrites, HasRole, ServiceWriteMixin, TenantViewSet
from spm.inputs import DateFilter, IdFilter
from spm.tenancy.models import Role
from spm.tenancy.selectors import visible_member_ids
from territories.api import NoDeleteMixin

from . import services
from .models import Activity, ActivityType
from .serializers import (
    MAX_BULK_ACTIVITIES,
    MAX_VERSION,
    ActivityBulkResultSerializer,
    ActivityConflictSerializer,
    ActivityInputSerializer,
    ActivitySerializer,
    ActivityTypeInputSerializer,
    ActivityTypeQuerySerializer,
    ActivityTypeSerializer,
    NewActivitySerializer,
)

# The services name fields by model; the API by its own names.
FIELD_NAMES = {"member": "member_id", "type": "type_id", "account": "account_id"}
NOT_YOURS = "You can change and delete only your own activities."
MOVED = "An activity stays its member's: log a new one for yourself instead."


class EveryMemberWrites(HasRole):
    """Every member logs activities; the service decides whose (their own, or an
    admin's correction)."""

    write_roles = (Role.ADMIN, Role.MANAGER, Role.REP)


# --- Activity types -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List activity types",
        description="The types in use by default, in the order of the Day page's buttons.",
        parameters=[ActivityTypeQuerySerializer],
    ),
    retrieve=extend_schema(summary="Get an activity type"),
    create=extend_schema(
        summary="Add an activity type (admins)",
        description="Names are unique in the organisation regardless of case.",
        request=ActivityTypeInputSerializer,
        responses={201: ActivityTypeSerializer},
    ),
    update=extend_schema(
        summary="Change an activity type (admins)",
        description="Set ``active`` to false to retire a type: its activities keep it.",
        request=ActivityTypeInputSerializer,
        responses={200: ActivityTypeSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of an activity type (admins)",
        request=ActivityTypeInputSerializer,
        responses={200: ActivityTypeSerializer},
    ),
)
class ActivityTypeViewSet(
    NoDeleteMixin,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    model = ActivityType
    serializer_class = ActivityTypeSerializer
    input_serializer_class = ActivityTypeInputSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    no_delete_reason = "Activity types are never deleted; set “active” to false to retire one."

    def scoped_queryset(self) -> QuerySet[ActivityType]:
        return ActivityType.objects.filter(tenant=self.tenant).order_by("position", "name", "pk")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action != "list":
            return queryset  # A retired type is still read and changed by its id.
        query = ActivityTypeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        active = query.validated_data["active"]
        return queryset if active == "all" else queryset.filter(active=active == "true")

    def current_values(self, activity_type: ActivityType) -> dict:
        return {
            name: getattr(activity_type, name)
            for name in ("name", "category", "default_duration", "active", "position")
        }

    def write(self, *, instance: ActivityType | None, values: dict) -> ActivityType:
        activity_type = instance if instance is not None else ActivityType(tenant=self.tenant)
        for name, value in values.items():
            setattr(activity_type, name, value)
        return services.activity_type_save(
            tenant=self.tenant, actor=self.membership, activity_type=activity_type
        )


# --- Activities -----------------------------------------------------------------------


class DateRangeForm(forms.Form):
    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if start and end and start > end:
            self.add_error("end", "Choose an end on or after the start.")
        return cleaned_data


class ActivityFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", help_text="Activities of this member.")
    start = DateFilter(
        field_name="date", lookup_expr="gte", help_text="Activities on or after this day."
    )
    end = DateFilter(
        field_name="date", lookup_expr="lte", help_text="Activities on or before this day."
    )
    type_id = IdFilter(field_name="type_id", help_text="Activities of this type.")
    account_id = IdFilter(field_name="account_id", help_text="Activities on this account.")

    class Meta:
        model = Activity
        fields = ["member_id", "start", "end", "type_id", "account_id"]
        form = DateRangeForm


VERSION_PARAMETER = OpenApiParameter(
    "version",
    OpenApiTypes.INT,
    required=False,
    description="The version you read: an activity changed since answers 409.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List activities",
        description="Admins see everyone's, managers their reporting tree's and their own, "
        "reps their own. Newest day first.",
    ),
    retrieve=extend_schema(summary="Get an activity"),
    create=extend_schema(
        summary="Log an activity (your own)",
        description="``member_id`` defaults to you; anyone else's is a 403. A day holds at "
        "most 24 hours of activities and nothing is logged after today.",
        request=NewActivitySerializer,
        responses={201: ActivitySerializer},
    ),
    update=extend_schema(
        summary="Change an activity (your own; admins anyone's)",
        description="Send the ``version`` you read: if someone changed the activity since, "
        "the answer is 409 with the activity as it is now.",
        request=ActivityInputSerializer,
        responses={200: ActivitySerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of an activity (your own; admins anyone's)",
        request=ActivityInputSerializer,
        responses={200: ActivitySerializer},
    ),
    destroy=extend_schema(
        summary="Delete an activity (your own; admins anyone's)",
        parameters=[VERSION_PARAMETER],
        responses={
            204: None,
            409: OpenApiResponse(
                ActivityConflictSerializer,
                description="Someone changed the activity since you read it: nothing was "
                "deleted; ``current`` is the activity as it is now.",
            ),
        },
    ),
)
class ActivityViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Activity
    serializer_class = ActivitySerializer
    input_serializer_class = ActivityInputSerializer
    permission_classes = [permissions.IsAuthenticated, EveryMemberWrites]
    filterset_class = ActivityFilter
    error_field_names = FIELD_NAMES

    def get_object(self) -> Activity:
        activity = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS and not services.may_write(
            self.membership, activity.member_id
        ):
            # Readable (a manager's report's) but not theirs to change: the service's rule,
            # asked before the body is read so the answer does not depend on it.
            raise exceptions.PermissionDenied(NOT_YOURS)
        return activity

    def scoped_queryset(self) -> QuerySet[Activity]:
        activities = Activity.objects.filter(tenant=self.tenant)
        ids = visible_member_ids(tenant=self.tenant, viewer=self.membership)
        if ids is not None:
            activities = activities.filter(member_id__in=ids)
        return activities.order_by("-date", "-pk")

    def create(self, request, *args, **kwargs):
        # Parsed like a bulk item: the service checks the type and account ids against the
        # organisation in the queries it makes anyway, instead of reading them twice.
        data = NewActivitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        (activity,) = self._log([self._row(data.validated_data)], single=True)
        return Response(self.render(activity), status=status.HTTP_201_CREATED)

    def _row(self, values: dict) -> services.ActivityRow:
        return services.ActivityRow(
            member_id=values.get("member_id", self.membership.pk),
            type_id=values["type_id"],
            account_id=values.get("account_id"),
            date=values["date"],
            duration_minutes=values["duration_minutes"],
            notes=values.get("notes", ""),
        )

    def _log(self, rows: list[services.ActivityRow], *, single: bool = False) -> list[Activity]:
        try:
            return services.activities_create_many(
                tenant=self.tenant, actor=self.membership, rows=rows, source=Activity.Source.API
            )
        except services.ActivityRowsInvalid as invalid:
            if single:
                raise exceptions.ValidationError(invalid.rows[0]) from None
            raise exceptions.ValidationError(
                {"rows": {str(index): fields for index, fields in invalid.rows.items()}}
            ) from None

    def current_values(self, activity: Activity) -> dict:
        return {
            "type": activity.type,
            "account": activity.account,
            "date": activity.date,
            "duration_minutes": activity.duration_minutes,
            "notes": activity.notes,
        }

    def write(self, *, instance: Activity | None, values: dict) -> Activity:
        member_id = values.pop("member_id", instance.member_id)
        if member_id != instance.member_id:
            raise exceptions.ValidationError({"member_id": [MOVED]})
        return services.activity_update(
            tenant=self.tenant, actor=self.membership, activity=instance, **values
        )

    def perform_destroy(self, instance: Activity) -> None:
        services.activity_delete(
            tenant=self.tenant,
            actor=self.membership,
            activity=instance,
            version=self._version_to_delete(),
        )

    def _version_to_delete(self) -> int | None:
        given = self.request.query_params.get("version")
        if given is None and isinstance(self.request.data, dict):
            given = self.request.data.get("version")
        if given is None:
            return None
        field = serializers.IntegerField(min_value=0, max_value=MAX_VERSION)
        try:
            return field.run_validation(given)
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({"version": error.detail}) from None

    @extend_schema(
        summary="Log many activities at once (your own)",
        description=f"A JSON list of up to {MAX_BULK_ACTIVITIES:,} activities, all or "
        "nothing. A 400 names each bad item by its index (from 0) and field under "
        '``rows``, e.g. ``{"rows": {"3": {"date": ["…"]}}}``; nothing is logged.',
        request=NewActivitySerializer(many=True),
        responses={
            201: ActivityBulkResultSerializer,
            400: OpenApiResponse(description="Messages by item index and field; nothing saved."),
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request, **kwargs):
        items = request.data
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Send a JSON list of activities."]}
            )
        if len(items) > MAX_BULK_ACTIVITIES:
            raise exceptions.ValidationError(
                {"non_field_errors": [f"At most {MAX_BULK_ACTIVITIES:,} activities per request."]}
            )
        rows, errors = [], {}
        for index, item in enumerate(items):
            parsed = NewActivitySerializer(data=item)
            if not parsed.is_valid():
                errors[str(index)] = parsed.errors
                continue
            rows.append(self._row(parsed.validated_data))
        if errors:
            raise exceptions.ValidationError({"rows": errors})
        created = self._log(rows)
        return Response(
            ActivityBulkResultSerializer({"created": len(created), "results": created}).data,
            status=status.HTTP_201_CREATED,
        )


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("activity-types", ActivityTypeViewSet, basename="activity-type")
    router.register("activities", ActivityViewSet, basename="activity")
