"""API for territories and accounts (DESIGN section 5).

Role rules: admins write; managers read everything; reps read the territories they
belong to today and those territories' accounts. Anything outside what the caller may
see, another tenant's objects included, is 404.

Territories and accounts are never deleted through the API: a territory is retired by
setting ``active`` to false, and accounts keep their assignment history. ``DELETE``
answers 405 to every member, whatever the role and whether or not the object exists.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import AdminWrites, ServiceWriteMixin, TenantViewSet
from spm.inputs import IdFilter
from spm.tenancy.models import Role

from . import selectors, services
from .models import Account, AccountAssignment, Territory
from .serializers import (
    AccountInputSerializer,
    AccountSerializer,
    AssignInputSerializer,
    AssignResultSerializer,
    TerritoryInputSerializer,
    TerritorySerializer,
)


class NoDeleteMixin:
    """Answers 405 to every authenticated ``DELETE`` before roles or objects are looked at."""

    no_delete_reason = "This resource cannot be deleted."

    def check_permissions(self, request) -> None:
        if request.method == "DELETE" and getattr(self, "membership", None) is not None:
            raise exceptions.MethodNotAllowed("DELETE", detail=self.no_delete_reason)
        super().check_permissions(request)


# --- Territories ----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List territories",
        description="Admins and managers see every territory; reps the ones they work today.",
    ),
    retrieve=extend_schema(summary="Get a territory"),
    create=extend_schema(
        summary="Create a territory (admins)",
        request=TerritoryInputSerializer,
        responses={201: TerritorySerializer},
    ),
    update=extend_schema(
        summary="Change a territory (admins)",
        request=TerritoryInputSerializer,
        responses={200: TerritorySerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a territory (admins)",
        request=TerritoryInputSerializer,
        responses={200: TerritorySerializer},
    ),
)
class TerritoryViewSet(
    NoDeleteMixin,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    model = Territory
    serializer_class = TerritorySerializer
    input_serializer_class = TerritoryInputSerializer
    error_field_names = {"parent": "parent_id"}
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    no_delete_reason = "Territories are never deleted; set “active” to false to retire one."

    def scoped_queryset(self) -> QuerySet[Territory]:
        if self.membership.role == Role.REP:
            territories = selectors.territories_of_member(
                tenant=self.tenant, member=self.membership, on=self.tenant.today()
            )
        else:
            territories = selectors.territories_with_stats(tenant=self.tenant)
        return territories.order_by("name")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "tenant", None) is not None:
            if not hasattr(self, "_depths"):
                self._depths = selectors.territory_depths(tenant=self.tenant)
            context["depths"] = self._depths
        return context

    def current_values(self, territory: Territory) -> dict:
        return {
            "name": territory.name,
            "parent": territory.parent,
            "description": territory.description,
            "active": territory.active,
        }

    def write(self, *, instance: Territory | None, values: dict) -> Territory:
        return services.territory_save(
            tenant=self.tenant, actor=self.request.user, territory=instance, **values
        )

    def render(self, territory: Territory) -> dict:
        # Re-read through the scoped queryset for the account count and potential.
        fresh = selectors.territories_with_stats(tenant=self.tenant).get(pk=territory.pk)
        self._depths = selectors.territory_depths(tenant=self.tenant)
        return TerritorySerializer(fresh, context=self.get_serializer_context()).data


# --- Accounts ----------------------------------------------------------------


class AccountFilter(django_filters.FilterSet):
    territory_id = IdFilter(
        field_name="territory_id", help_text="Accounts directly in this territory."
    )
    unassigned = django_filters.BooleanFilter(
        method="filter_unassigned", help_text="true: only accounts outside every territory."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Part of the name, external ID or industry, or the start of the postal code "
        "(the same search as the accounts page).",
    )
    industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact")
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")

    class Meta:
        model = Account
        fields = ["territory_id", "unassigned", "search", "industry", "country"]

    def filter_unassigned(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(territory__isnull=value)

    def filter_search(self, queryset, name, value):
        return selectors.account_search(queryset, value)


@extend_schema_view(
    list=extend_schema(
        summary="List accounts",
        description="Admins and managers see every account; reps the accounts of their "
        "territories.",
    ),
    retrieve=extend_schema(summary="Get an account"),
    create=extend_schema(
        summary="Create an account (admins)",
        request=AccountInputSerializer,
        responses={201: AccountSerializer},
    ),
    update=extend_schema(
        summary="Change an account (admins)",
        description="A new ``territory_id`` moves the account today and records the move.",
        request=AccountInputSerializer,
        responses={200: AccountSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of an account (admins)",
        request=AccountInputSerializer,
        responses={200: AccountSerializer},
    ),
)
class AccountViewSet(
    NoDeleteMixin,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    model = Account
    serializer_class = AccountSerializer
    input_serializer_class = AccountInputSerializer
    error_field_names = {"territory": "territory_id"}
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    filterset_class = AccountFilter
    no_delete_reason = "Accounts are never deleted; they keep their assignment history."

    def scoped_queryset(self) -> QuerySet[Account]:
        return selectors.accounts_visible_to(
            tenant=self.tenant, viewer=self.membership, on=self.tenant.today()
        ).order_by("name", "pk")

    def current_values(self, account: Account) -> dict:
        return {
            "name": account.name,
            "external_id": account.external_id,
            "industry": account.industry,
            "country": account.country,
            "region": account.region,
            "postal_code": account.postal_code,
            "annual_potential": account.annual_potential,
            "territory": account.territory,
        }

    def write(self, *, instance: Account | None, values: dict) -> Account:
        return services.account_save(
            tenant=self.tenant,
            actor=self.request.user,
            account=instance,
            source=AccountAssignment.Source.API,
            **values,
        )

    @extend_schema(
        summary="Move accounts into a territory (admins)",
        description="Moves one or many accounts into a territory, or out of every territory "
        "with ``territory_id: null``, as of ``effective_date`` (default today). A later date "
        "schedules the move. Unknown account ids are refused and nothing moves.",
        request=AssignInputSerializer,
        responses={
            200: AssignResultSerializer,
            400: OpenApiResponse(description="Field messages; nothing moved."),
        },
    )
    @action(detail=False, methods=["post"], url_path="assign")
    def assign(self, request):
        data = AssignInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account_ids = sorted(set(values["account_ids"]))
        known = set(
            Account.objects.filter(tenant=self.tenant, pk__in=account_ids).values_list(
                "pk", flat=True
            )
        )
        unknown = [pk for pk in account_ids if pk not in known]
        if unknown:
            shown = ", ".join(str(pk) for pk in unknown[:20])
            more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
            raise exceptions.ValidationError(
                {"account_ids": [f"No such account: {shown}{more}. Nothing was moved."]}
            )
        result = services.accounts_assign(
            tenant=self.tenant,
            actor=request.user,
            account_ids=account_ids,
            territory=values["territory"],
            effective_date=values.get("effective_date") or self.tenant.today(),
            source=AccountAssignment.Source.API,
        )
        return Response(AssignResultSerializer(result).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("territories", TerritoryViewSet, basename="territory")
    router.register("accounts", AccountViewSet, basename="account")
