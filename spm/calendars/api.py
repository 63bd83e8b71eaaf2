"""API for calendars: ``holidays`` and ``time-off`` (DESIGN 5).

Everyone reads holidays and admins write them. Time off is read and written by admins
for everyone, by managers for their reporting tree and themselves; reps read their own
and may not write. Writes go through the calendar services; their validation errors
come back as 400 with field messages (``TenantAPIMixin.handle_exception``).
"""

import django_filters
from rest_framework import mixins

from spm.api.base import AdminWrites, ManagersWrite, TenantViewSet
from spm.inputs import DateFilter, IdFilter, YearFilter
from spm.tenancy.selectors import visible_member_ids

from . import services
from .models import Holiday, TimeOff
from .serializers import HolidaySerializer, TimeOffSerializer


class HolidayFilter(django_filters.FilterSet):
    year = YearFilter(field_name="date", lookup_expr="year", label="Holidays of this year.")
    start = DateFilter(
        field_name="date", lookup_expr="gte", label="Holidays on or after this date."
    )
    end = DateFilter(field_name="date", lookup_expr="lte", label="Holidays on or before this date.")

    class Meta:
        model = Holiday
        fields: list[str] = []


class TimeOffFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", label="Time off of this member.")
    start = DateFilter(
        field_name="end", lookup_expr="gte", label="Time off ending on or after this date."
    )
    end = DateFilter(
        field_name="start", lookup_expr="lte", label="Time off starting on or before this date."
    )

    class Meta:
        model = TimeOff
        fields: list[str] = []


class HolidayViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    """The organisation's holidays: days nobody works, left out of every target."""

    model = Holiday
    serializer_class = HolidaySerializer
    permission_classes = [AdminWrites]
    filterset_class = HolidayFilter

    def scoped_queryset(self):
        return Holiday.objects.filter(tenant=self.tenant).order_by("date")

    def perform_create(self, serializer) -> None:
        serializer.instance = services.holiday_create(
            tenant=self.tenant,
            actor=self.request.user,
            date=serializer.validated_data["date"],
            name=serializer.validated_data["name"],
        )

    def perform_update(self, serializer) -> None:
        holiday, data = serializer.instance, serializer.validated_data
        services.holiday_update(
            tenant=self.tenant,
            actor=self.request.user,
            holiday=holiday,
            date=data.get("date", holiday.date),
            name=data.get("name", holiday.name),
        )

    def perform_destroy(self, instance: Holiday) -> None:
        services.holiday_delete(tenant=self.tenant, actor=self.request.user, holiday=instance)


class TimeOffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    """Members' time off, from ``start`` to ``end`` inclusive; a member's ranges never overlap."""

    model = TimeOff
    error_field_names = {"member": "member_id"}
    serializer_class = TimeOffSerializer
    permission_classes = [ManagersWrite]
    filterset_class = TimeOffFilter

    def scoped_queryset(self):
        time_off = TimeOff.objects.filter(tenant=self.tenant)
        ids = visible_member_ids(tenant=self.tenant, viewer=self.membership)
        if ids is not None:
            time_off = time_off.filter(member_id__in=ids)
        return time_off.order_by("start", "pk")

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.time_off_create(
            tenant=self.tenant,
            actor=self.request.user,
            member=data["member"],
            start=data["start"],
            end=data["end"],
            reason=data.get("reason", ""),
        )

    def perform_update(self, serializer) -> None:
        time_off, data = serializer.instance, serializer.validated_data
        services.time_off_update(
            tenant=self.tenant,
            actor=self.request.user,
            time_off=time_off,
            start=data.get("start", time_off.start),
            end=data.get("end", time_off.end),
            reason=data.get("reason", time_off.reason),
        )

    def perform_destroy(self, instance: TimeOff) -> None:
        services.time_off_delete(tenant=self.tenant, actor=self.request.user, time_off=instance)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("holidays", HolidayViewSet, basename="holiday")
    router.register("time-off", TimeOffViewSet, basename="time-off")
