"""``GET /api/v1/selling-time/``: selling minutes, all minutes and the selling ratio per
day, ISO week or month (DESIGN 4.5 and 5).

Who sees what: reps themselves, managers their reporting tree and themselves, admins
everyone. ``member_id`` outside that (another organisation's included) is a 404, as for a
member that does not exist. Without it, the rows of everyone the caller sees.

Decisions where the contract is silent:

- ``start`` and ``end`` (ISO dates, both included) default to the first day of this month
  and today, in the organisation's time zone; at most 366 days; ``group`` defaults to
  ``day``.
- A row is a member and a period in which they logged something: a day, week or month
  with nothing logged has no row (its ratio would be unknown, not 0%). Periods are clipped
  to ``start``–``end``, so ``period_start`` of the first week may be a Wednesday.
- Rows are ordered by member, then period, and paginated like every list.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers
from rest_framework.exceptions import NotFound

from spm.api.base import ID_BOUNDS, HasRole, TenantViewSet
from spm.inputs import ApiDateField
from spm.tenancy.models import Membership
from spm.tenancy.selectors import visible_member_ids

from .models import Activity
from .selectors.selling_time import MAX_RANGE_DAYS, Grouping, selling_time


class SellingTimeQuerySerializer(serializers.Serializer):
    member_id = serializers.IntegerField(
        **ID_BOUNDS, required=False, help_text="One member; default: everyone you may see."
    )
    start = ApiDateField(
        required=False, help_text="First day (ISO date); default: the first day of this month."
    )
    end = ApiDateField(required=False, help_text="Last day (ISO date); default: today.")
    group = serializers.ChoiceField(
        choices=Grouping.CHOICES,
        required=False,
        default=Grouping.DAY,
        help_text="One row per member and day, ISO week (Monday to Sunday) or month.",
    )

    def validate(self, data: dict) -> dict:
        today = self.context["tenant"].today()
        end = data.setdefault("end", today)
        start = data.setdefault("start", end.replace(day=1))
        if end < start:
            raise serializers.ValidationError({"end": ["Choose an end on or after the start."]})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"end": [f"Choose at most {MAX_RANGE_DAYS} days from the start."]}
            )
        return data


class SellingTimeSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()
    period_start = ApiDateField()
    period_end = ApiDateField()
    selling_minutes = serializers.IntegerField()
    total_minutes = serializers.IntegerField()
    selling_pct = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="Selling minutes ÷ all minutes × 100, rounded half up to 0.1.",
    )
    target_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="The organisation's selling target."
    )
    below_target = serializers.BooleanField(help_text="selling_pct < target_pct.")


@extend_schema_view(
    list=extend_schema(
        summary="Selling time and its ratio",
        description="Per member and day, ISO week or month: selling minutes, all minutes, "
        "the ratio and the organisation's target. Only periods with something logged have a "
        "row. Reps see themselves, managers their reporting tree and themselves, admins "
        "everyone; another member is a 404.",
        parameters=[SellingTimeQuerySerializer],
        responses={200: SellingTimeSerializer(many=True)},
    )
)
class SellingTimeViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Activity
    serializer_class = SellingTimeSerializer
    permission_classes = [permissions.IsAuthenticated, HasRole]
    filter_backends: list = []

    def scoped_queryset(self):
        return Activity.objects.none()  # Rows are figures, read by ``list``.

    def list(self, request, *args, **kwargs):
        query = SellingTimeQuerySerializer(
            data=request.query_params, context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        values = query.validated_data
        visible = visible_member_ids(tenant=self.tenant, viewer=self.membership)
        member_ids = visible
        if "member_id" in values:
            member_id = values["member_id"]
            if visible is not None and member_id not in visible:
                raise NotFound("No such member among those you see.")
            if (
                visible is None
                and not Membership.objects.filter(tenant=self.tenant, pk=member_id).exists()
            ):
                raise NotFound("No such member among those you see.")
            member_ids = {member_id}
        try:
            rows = selling_time(
                tenant=self.tenant,
                start=values["start"],
                end=values["end"],
                group=values["group"],
                member_ids=member_ids,
            )
        except ValueError as error:  # pragma: no cover - the serializer checked the group.
            raise exceptions.ValidationError({"group": [str(error)]}) from None
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SellingTimeSerializer(page, many=True).data)


def register(router) -> None:
    """Add the selling-time resource to the API router."""
    router.register("selling-time", SellingTimeViewSet, basename="selling-time")
