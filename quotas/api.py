"""API for quotas, their targets, sales and attainment (DESIGN 5, issue 8 point 10).

Who sees what: admins everyone's; managers their reporting tree's (direct and indirect)
and their own; reps their own. Anything else, another organisation's objects included,
is a 404. Who writes: admins for everyone, managers for their reporting tree but not
themselves (their own quota is readable, not writable: 403); reps write nothing (403)
but acknowledge their own published quotas. Every write goes through
``quotas.services``; a stale ``version`` is a 409 carrying the current object.

Decisions where the contract is silent:

- ``POST /quotas/`` creates: when the member already has a quota for that month and
  metric, it answers 409 with that quota (change it with ``PATCH`` and its version). A
  change cannot move a quota to another member, month or metric (400).
- ``DELETE /quotas/{id}/`` deletes a draft; a published quota is never deleted (400).
- ``POST /sales/`` is an upsert by ``external_id``: 201 when created, 200 when it updated
  (or found unchanged) the existing sale. ``POST /sales/bulk/`` takes a JSON list of up
  to 10,000 sales, all or nothing; errors are keyed by the item's index, then field.
- ``attainment`` reads the stored figures (recomputed shortly after every sale and
  nightly). ``as_of`` picks the figures at the end of that day: the latest stored ones
  when ``as_of`` is on or after their date, else that day's snapshot (null figures when
  none was taken). An ``as_of`` after the month is the month's end; one in the future or
  before the month is a 400. Nothing is computed on the fly.
"""

import datetime as dt
from collections.abc import Sequence

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import HasRole, ManagersWrite, ServiceWriteMixin, TenantViewSet
from spm.inputs import DateFilter, IdFilter
from spm.tenancy.models import Role
from spm.tenancy.selectors import visible_member_ids
from spm.tenancy.versioning import StaleVersion

from . import services
from .models import Attainment, AttainmentSnapshot, Metric, Quota, QuotaTarget, Sale
from .rules import month_bounds
from .serializers import (
    MAX_BULK_SALES,
    MONTH_SCHEMA,
    AcknowledgeInputSerializer,
    AttainmentQuerySerializer,
    AttainmentSerializer,
    MonthFormField,
    PublishInputSerializer,
    PublishResultSerializer,
    QuotaInputSerializer,
    QuotaSerializer,
    SaleBulkItemSerializer,
    SaleBulkResultSerializer,
    SaleInputSerializer,
    SaleSerializer,
    TargetQuerySerializer,
    TargetSerializer,
)

QUOTA_EXISTS = (
    "This member already has a quota for that month and metric: change it with PATCH "
    "and its version."
)
# What an attainment row and a snapshot both hold.
FIGURES = ("achieved", "expected_to_date", "attainment_pct", "pace_pct", "projected")
# The services name fields by model; the API by its own names.
FIELD_NAMES = {"member": "member_id", "account": "account_id"}


def _visible(queryset: QuerySet, view: TenantViewSet) -> QuerySet:
    ids = visible_member_ids(tenant=view.tenant, viewer=view.membership)
    return queryset if ids is None else queryset.filter(member_id__in=ids)


class EveryMemberWrites(HasRole):
    """For the one write every role makes: a rep acknowledging their own quota (the
    service checks it is theirs)."""

    write_roles = (Role.ADMIN, Role.MANAGER, Role.REP)


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.Filter):
    field_class = MonthFormField


# --- Quotas ---------------------------------------------------------------------------


class QuotaFilter(django_filters.FilterSet):
    month = MonthFilter(field_name="month", help_text="Quotas of this month (YYYY-MM).")
    member_id = IdFilter(field_name="member_id", help_text="Quotas of this member.")
    metric = django_filters.ChoiceFilter(choices=Metric.choices)
    status = django_filters.ChoiceFilter(choices=Quota.Status.choices)

    class Meta:
        model = Quota
        fields = ["month", "member_id", "metric", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="List quotas",
        description="Admins see everyone's, managers their reporting tree's and their own, "
        "reps their own.",
    ),
    retrieve=extend_schema(summary="Get a quota"),
    create=extend_schema(
        summary="Set a quota (admins and managers)",
        description="409 with the existing quota when the member already has one for that "
        "month and metric.",
        request=QuotaInputSerializer,
        responses={201: QuotaSerializer},
    ),
    update=extend_schema(
        summary="Change a quota (admins and managers)",
        description="Send the ``version`` you read: if someone changed the quota since, "
        "the answer is 409 with the quota as it is now. Editing a published or acknowledged "
        "quota keeps it published and notifies its member again.",
        request=QuotaInputSerializer,
        responses={200: QuotaSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a quota (admins and managers)",
        request=QuotaInputSerializer,
        responses={200: QuotaSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a draft quota (admins and managers)",
        description="Published and acknowledged quotas are never deleted (400).",
        responses={
            204: None,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The quota is published."),
        },
    ),
)
class QuotaViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Quota
    serializer_class = QuotaSerializer
    input_serializer_class = QuotaInputSerializer
    permission_classes = [permissions.IsAuthenticated, ManagersWrite]
    filterset_class = QuotaFilter
    error_field_names = FIELD_NAMES

    def get_permissions(self):
        if self.action == "acknowledge":
            return [permissions.IsAuthenticated(), EveryMemberWrites()]
        return super().get_permissions()

    def scoped_queryset(self) -> QuerySet[Quota]:
        quotas = Quota.objects.filter(tenant=self.tenant).select_related("member__user")
        return _visible(quotas, self).order_by("month", "member__user__name", "metric", "pk")

    def current_values(self, quota: Quota) -> dict:
        return {
            "member": quota.member,
            "month": quota.month,
            "metric": quota.metric,
            "amount": quota.amount,
            "ramp_pct": quota.ramp_pct,
        }

    def write(self, *, instance: Quota | None, values: dict) -> Quota:
        if instance is None:
            version = values.pop("version", 0)
            try:
                return services.quota_save(
                    tenant=self.tenant, actor=self.membership, version=version, **values
                )
            except StaleVersion as stale:
                if version == 0:
                    raise StaleVersion(stale.current, QUOTA_EXISTS) from None
                raise
        moved = [
            name
            for name in ("member", "month", "metric")
            if values[name] != getattr(instance, name)
        ]
        if moved:
            message = "A quota cannot move to another member, month or metric; set a new one."
            raise exceptions.ValidationError(
                {FIELD_NAMES.get(name, name): [message] for name in moved}
            )
        return services.quota_save(tenant=self.tenant, actor=self.membership, **values)

    def perform_destroy(self, instance: Quota) -> None:
        services.quota_delete(tenant=self.tenant, actor=self.membership, quota=instance)

    @extend_schema(
        summary="Publish quotas (admins and managers)",
        description="Publishes the drafts among ``ids`` and notifies each member once. Ids "
        "you may not see are named in a 400 and nothing is published.",
        request=PublishInputSerializer,
        responses={200: PublishResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def publish(self, request, **kwargs):
        data = PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.quotas_publish(
            tenant=self.tenant, actor=self.membership, quota_ids=data.validated_data["ids"]
        )
        return Response(PublishResultSerializer({"published": count}).data)

    @extend_schema(
        summary="Acknowledge your published quota",
        description="Only the quota's own member; a draft is a 400.",
        request=AcknowledgeInputSerializer,
        responses={200: QuotaSerializer},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, **kwargs):
        quota = self.get_object()
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.quota_acknowledge(
            tenant=self.tenant,
            actor=self.membership,
            quota=quota,
            version=data.validated_data.get("version"),
        )
        return Response(self.render(saved))

    @extend_schema(
        summary="A quota's daily or weekly targets",
        description="Written by the rolldown after every change (``targets_pending`` on the "
        "quota says one is on its way). Days: one row per capacity day. Weeks: one row per "
        "ISO week holding a capacity day, clipped to the month.",
        parameters=[TargetQuerySerializer],
        responses={200: TargetSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def targets(self, request, **kwargs):
        quota = self.get_object()
        query = TargetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        targets = QuotaTarget.objects.filter(
            tenant=self.tenant, quota=quota, granularity=query.validated_data["granularity"]
        ).order_by("start")
        page = self.paginate_queryset(targets)
        return self.get_paginated_response(TargetSerializer(page, many=True).data)


# --- Sales ----------------------------------------------------------------------------


class SaleFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", help_text="Sales of this member.")
    external_id = django_filters.CharFilter(field_name="external_id")

    class Meta:
        model = Sale
        fields = ["member_id", "external_id"]


# ``from`` is a Python keyword, so these two are added by name.
SaleFilter.base_filters["from"] = DateFilter(
    field_name="closed_on", lookup_expr="gte", help_text="Sales closed on or after this date."
)
SaleFilter.base_filters["to"] = DateFilter(
    field_name="closed_on", lookup_expr="lte", help_text="Sales closed on or before this date."
)


@extend_schema_view(
    list=extend_schema(
        summary="List sales",
        description="Admins see everyone's, managers their reporting tree's and their own, "
        "reps their own. Newest first.",
    ),
    retrieve=extend_schema(summary="Get a sale"),
    create=extend_schema(
        summary="Record a sale (admins and managers)",
        description="An upsert by ``external_id``: 201 when the sale is new, 200 when a sale "
        "with that external id existed and was updated (never a duplicate).",
        request=SaleInputSerializer,
        responses={201: SaleSerializer, 200: SaleSerializer},
    ),
    update=extend_schema(
        summary="Change a sale (admins and managers)",
        request=SaleInputSerializer,
        responses={200: SaleSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a sale (admins and managers)",
        request=SaleInputSerializer,
        responses={200: SaleSerializer},
    ),
    destroy=extend_schema(summary="Delete a sale (admins and managers)"),
)
class SaleViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Sale
    serializer_class = SaleSerializer
    input_serializer_class = SaleInputSerializer
    permission_classes = [permissions.IsAuthenticated, ManagersWrite]
    filterset_class = SaleFilter
    error_field_names = FIELD_NAMES

    def scoped_queryset(self) -> QuerySet[Sale]:
        return _visible(Sale.objects.filter(tenant=self.tenant), self).order_by("-closed_on", "-pk")

    def create(self, request, *args, **kwargs):
        data = SaleInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        sale, created = services.sale_upsert(
            tenant=self.tenant, actor=self.membership, source=Sale.Source.API, **data.validated_data
        )
        return Response(
            self.render(sale), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def current_values(self, sale: Sale) -> dict:
        return {
            "external_id": sale.external_id,
            "member": sale.member,
            "account": sale.account,
            "amount": sale.amount,
            "closed_on": sale.closed_on,
        }

    def write(self, *, instance: Sale | None, values: dict) -> Sale:
        return services.sale_update(
            tenant=self.tenant, actor=self.membership, sale=instance, **values
        )

    def perform_destroy(self, instance: Sale) -> None:
        services.sale_delete(tenant=self.tenant, actor=self.membership, sale=instance)

    @extend_schema(
        summary="Record many sales at once (admins and managers)",
        description=f"A JSON list of up to {MAX_BULK_SALES:,} sales, each an upsert by "
        "``external_id``; all or nothing. A 400 names each bad item by its index (from 0) "
        'and field, e.g. ``{"3": {"amount": ["…"]}}``.',
        request=SaleBulkItemSerializer(many=True),
        responses={
            200: SaleBulkResultSerializer,
            400: OpenApiResponse(description="Messages by item index and field; nothing saved."),
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request, **kwargs):
        items = request.data
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON list of sales."]})
        if len(items) > MAX_BULK_SALES:
            raise exceptions.ValidationError(
                {"non_field_errors": [f"At most {MAX_BULK_SALES:,} sales per request."]}
            )
        rows, errors = [], {}
        for index, item in enumerate(items):
            parsed = SaleBulkItemSerializer(data=item)
            if not parsed.is_valid():
                errors[str(index)] = parsed.errors
                continue
            rows.append(services.SaleRow(**parsed.validated_data))
        if errors:
            raise exceptions.ValidationError(errors)
        try:
            result = services.sales_upsert_many(
                tenant=self.tenant, actor=self.membership, rows=rows, source=Sale.Source.API
            )
        except services.SaleRowsInvalid as invalid:
            raise exceptions.ValidationError(
                {
                    str(index): {
                        FIELD_NAMES.get(name, name): messages for name, messages in fields.items()
                    }
                    for index, fields in invalid.rows.items()
                }
            ) from None
        return Response(SaleBulkResultSerializer(result).data)


# --- Attainment -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Attainment and pace of quotas",
        description="One row per quota of the month whose attainment has been computed, for "
        "the people you may see. See ``as_of`` for past days.",
        parameters=[AttainmentQuerySerializer],
        responses={200: AttainmentSerializer(many=True)},
    )
)
class AttainmentViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Attainment
    serializer_class = AttainmentSerializer
    permission_classes = [permissions.IsAuthenticated, HasRole]

    def scoped_queryset(self) -> QuerySet[Attainment]:
        attainments = Attainment.objects.filter(tenant=self.tenant).select_related("quota")
        ids = visible_member_ids(tenant=self.tenant, viewer=self.membership)
        if ids is not None:
            attainments = attainments.filter(quota__member_id__in=ids)
        return attainments.order_by("quota__member__user__name", "quota__metric", "pk")

    def list(self, request, *args, **kwargs):
        query = AttainmentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = self.tenant.today()
        month = query.validated_data.get("month") or today.replace(day=1)
        as_of = query.validated_data.get("as_of")
        if as_of is not None and as_of > today:
            raise exceptions.ValidationError(
                {"as_of": [f"Attainment is known up to today ({today:%Y-%m-%d}), not later."]}
            )
        if as_of is not None and as_of < month:
            raise exceptions.ValidationError({"as_of": ["Choose a day in or after the month."]})
        attainments = self.get_queryset().filter(quota__month=month)
        if "member_id" in query.validated_data:
            attainments = attainments.filter(quota__member_id=query.validated_data["member_id"])
        page = self.paginate_queryset(attainments)
        day = min(as_of, month_bounds(month)[1]) if as_of is not None else None
        return self.get_paginated_response(
            AttainmentSerializer(self._rows(page, day), many=True).data
        )

    def _rows(self, attainments: Sequence[Attainment], day: dt.date | None) -> Sequence[dict]:
        """The page's rows: the stored figures, or that day's snapshot (one query)."""
        past = [a.quota_id for a in attainments if day is not None and day < a.as_of]
        snapshots = {}
        if past:
            snapshots = {
                snapshot.quota_id: snapshot
                for snapshot in AttainmentSnapshot.objects.filter(
                    tenant=self.tenant, quota_id__in=past, day=day
                )
            }
        rows = []
        for attainment in attainments:
            quota = attainment.quota
            figures, when = attainment, attainment.as_of
            if day is not None and day < attainment.as_of:
                figures, when = snapshots.get(quota.pk), day
            rows.append(
                {
                    "member_id": quota.member_id,
                    "quota_id": quota.pk,
                    "metric": quota.metric,
                    "month": quota.month,
                    "as_of": when,
                    "effective_amount": quota.effective_amount,
                    **{
                        name: getattr(figures, name) if figures is not None else None
                        for name in FIGURES
                    },
                }
            )
        return rows


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("quotas", QuotaViewSet, basename="quota")
    router.register("sales", SaleViewSet, basename="sale")
    router.register("attainment", AttainmentViewSet, basename="attainment")
