"""``GET /api/v1/recognitions/``: the organisation's recognitions, read-only (DESIGN 4.6
and 5).

Who sees what: every member sees every recognition of their organisation, as they see
the leaderboard (recognition is public praise); another organisation's is a 404. Writes
are refused (405): the quota club is granted at month close, and recognitions are given
from the leaderboard.

Filters: ``member_id``, ``kind`` (``quota_club`` or ``kudos``) and ``period``
(``YYYY-MM``: the recognitions whose period holds that month). Newest period first.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers

from quotas.api import MONTH_SCHEMA, MonthFormField
from spm.api.base import TenantViewSet
from spm.inputs import IdFilter

from .models import Recognition
from .selectors.recognition import add_months


class RecognitionSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    granted_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Empty when granted automatically."
    )

    class Meta:
        model = Recognition
        fields = [
            "id",
            "member_id",
            "kind",
            "title",
            "period_start",
            "period_end",
            "reason",
            "granted_by_id",
            "automatic",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(MONTH_SCHEMA)
class PeriodFilter(django_filters.Filter):
    """``YYYY-MM``: recognitions whose period holds that month."""

    field_class = MonthFormField

    def filter(self, queryset, value):
        if not value:
            return queryset
        first = value.replace(day=1)
        return queryset.filter(period_start__lt=add_months(first, 1), period_end__gte=first)


class RecognitionFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", help_text="Recognitions of this member.")
    kind = django_filters.ChoiceFilter(choices=Recognition.Kind.choices)
    period = PeriodFilter(help_text="Recognitions whose period holds this month (YYYY-MM).")

    class Meta:
        model = Recognition
        fields = ["member_id", "kind", "period"]


@extend_schema_view(
    list=extend_schema(
        summary="List recognitions",
        description="Every recognition of the organisation: the monthly quota club "
        "(automatic) and those given by managers and admins. Newest period first.",
    ),
    retrieve=extend_schema(summary="Get a recognition"),
)
class RecognitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Recognition
    serializer_class = RecognitionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = RecognitionFilter

    def scoped_queryset(self) -> QuerySet[Recognition]:
        return Recognition.objects.filter(tenant=self.tenant).order_by(
            "-period_start", "-created_at", "-pk"
        )


def register(router) -> None:
    """Add this module's viewset to the API router."""
    router.register("recognitions", RecognitionViewSet, basename="recognition")
