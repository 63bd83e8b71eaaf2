"""Helpers and list filters shared by the territory admin classes."""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone

from spm.tenancy.admin_base import is_platform_superuser
from spm.tenancy.models import Tenant

from ..forms import (
    indented,
)
from ..models import (
    Territory,
)
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


def tenant_of(request, obj, form=None) -> Tenant:
    """The organisation a write works in: the object's, else the chosen or the active one."""
    if form is not None and hasattr(form, "operating_tenant"):
        chosen = form.operating_tenant()
        if chosen is not None:
            return chosen
    if obj is not None and obj.tenant_id:
        return obj.tenant
    return request.tenant


def list_date(request):
    """Today where the admin works (the organisation's timezone is active per request)."""
    return request.tenant.today() if request.tenant else timezone.localdate()


class ServiceErrorsAsMessages:
    """A safety net for the rare write the form could not foresee (two people saving at
    the same moment): the service refuses it, the whole save is rolled back, and the
    admin sees why instead of an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(
                request, "Nothing was saved: " + " ".join(error.messages), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


class FormWithRequestMixin:
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # A new class per request, so this is not shared.
        return form


class TerritoryListFilter(admin.SimpleListFilter):
    """Territories of the admin's own organisation only, in tree order.

    Django's default related-field filter would list every organisation's territories.
    """

    title = "territory"
    parameter_name = "territory"

    def lookups(self, request, model_admin):
        if not is_platform_superuser(request):
            return [
                (str(territory.pk), indented(territory.name, depth))
                for territory, depth in territory_tree(tenant=request.tenant)
            ]
        territories = Territory.objects.select_related("tenant").order_by("tenant__name", "name")
        tenant_id = request.GET.get("tenant__id__exact")
        if tenant_id and tenant_id.isdigit():
            territories = territories.filter(tenant_id=int(tenant_id))
        return [(str(t.pk), f"{t.tenant.name} · {t.name}") for t in territories]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(territory_id=int(value))


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
