"""Display helpers and list filters shared by the territory admin classes (the tenant
admin toolkit itself is ``spm.tenancy.admin_base``)."""

from decimal import Decimal

from django.contrib import admin
from django.utils import timezone

from spm.tenancy.admin_base import TenantRelatedListFilter
from spm.tenancy.models import Tenant

from ..forms import indented
from ..models import Territory
from ..selectors import territory_tree

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(amount: Decimal | None, currency: str) -> str:
    """``€125,000.00`` for the common currencies, ``CHF 125,000.00`` for the others."""
    if amount is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{currency} {amount:,.2f}"


def short_date(day) -> str:
    return f"{day.day} {day:%b %Y}"


def list_date(request):
    """Today where the admin works (the organisation's timezone is active per request)."""
    return request.tenant.today() if request.tenant else timezone.localdate()


class TerritoryListFilter(TenantRelatedListFilter):
    """Territories of the admin's own organisation, in tree order and indented."""

    title = "territory"
    parameter_name = "territory"
    field_name = "territory"
    related_model = Territory

    def choices_for(self, tenant: Tenant) -> list[tuple[int, str]]:
        return [
            (territory.pk, indented(territory.name, depth))
            for territory, depth in territory_tree(tenant=tenant)
        ]


class UnassignedListFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assignment"

    def lookups(self, request, model_admin):
        return [("unassigned", "Unassigned"), ("assigned", "In a territory")]

    def queryset(self, request, queryset):
        if self.value() == "unassigned":
            return queryset.filter(territory__isnull=True)
        if self.value() == "assigned":
            return queryset.filter(territory__isnull=False)
        return queryset


class ScheduledListFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("applied", "Applied"), ("scheduled", "Scheduled")]

    def queryset(self, request, queryset):
        if self.value() == "applied":
            return queryset.filter(applied_at__isnull=False)
        if self.value() == "scheduled":
            return queryset.filter(applied_at__isnull=True)
        return queryset
