"""Accounts: search, filters, assignment, rules, CSV import and export."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html

from spm.tenancy.admin_base import TenantScopedAdmin, adopt_saved, is_platform_superuser

from .. import admin_views
from ..forms import (
    AccountAdminForm,
)
from ..models import (
    Account,
)
from ..selectors import account_search
from ..services import (
    account_save,
    accounts_assign,
)
from . import imports
from .common import (
    TerritoryListFilter,
    UnassignedListFilter,
    money,
    short_date,
)


@admin.register(Account)
class AccountAdmin(TenantScopedAdmin):
    form = AccountAdminForm
    list_display = [
        "name",
        "external_id",
        "territory",
        "industry",
        "country",
        "region",
        "postal_code",
        "potential",
    ]
    list_filter = [TerritoryListFilter, UnassignedListFilter, "industry", "country"]
    list_select_related = ["territory", "tenant"]
    list_per_page = 100
    # The search box runs ``selectors.account_search``, as the accounts page and the API do.
    search_fields = ["name"]
    search_help_text = "Search by name, external ID, industry or the start of the postal code."
    autocomplete_fields = ["territory"]
    actions = ["assign_to_territory", "apply_assignment_rules", "export_selected_csv"]
    readonly_fields = ["history"]

    def get_search_results(self, request, queryset, search_term):
        return account_search(queryset, search_term), False

    @admin.display(description="Annual potential", ordering="annual_potential")
    def potential(self, obj: Account) -> str:
        return money(obj.annual_potential, obj.tenant.currency)

    def get_fieldsets(self, request, obj=None):
        main = ["name", "external_id"]
        if is_platform_superuser(request):
            main.insert(0, "tenant")
        territory = ["territory", "effective_date"] + (["history"] if obj else [])
        return [
            (None, {"fields": main}),
            ("Location and industry", {"fields": ["industry", "country", "region", "postal_code"]}),
            ("Potential", {"fields": ["annual_potential"]}),
            ("Territory", {"fields": territory}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["history"]
        if obj is not None and is_platform_superuser(request):
            readonly.append("tenant")
        return readonly

    @admin.display(description="Assignment history")
    def history(self, obj: Account) -> str:
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:territories_accountassignment_changelist")
        return format_html(
            '<a href="{}?account__id__exact={}">Every move of this account</a>', url, obj.pk
        )

    def save_model(self, request, obj, form, change):
        tenant = self.operating_tenant(request, obj if change else None, form)
        target = obj.territory
        # The territory changes only through ``accounts_assign`` below (history, notices).
        current_id = form.initial.get("territory") if change else None
        obj.territory_id = current_id
        saved = account_save(
            tenant=tenant,
            actor=request.user,
            account=obj if change else None,
            name=obj.name,
            external_id=obj.external_id,
            industry=obj.industry,
            country=obj.country,
            region=obj.region,
            postal_code=obj.postal_code,
            annual_potential=obj.annual_potential,
            territory=obj.territory,
        )
        if not change:
            adopt_saved(obj, saved)
        if (target.pk if target else None) == current_id:
            return
        effective_date = form.cleaned_data.get("effective_date") or tenant.today()
        result = accounts_assign(
            tenant=tenant,
            actor=request.user,
            account_ids=[obj.pk],
            territory=target,
            effective_date=effective_date,
        )
        where = f"to {target.name}" if target else "out of its territory"
        if result.scheduled:
            self.message_user(
                request, f"{obj.name} will move {where} on {short_date(effective_date)}."
            )
        elif result.moved:
            obj.territory = target
            self.message_user(request, f"{obj.name} moved {where}.")

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(lambda request: function(self, request))

        return [
            path(
                "import/",
                view(imports.import_accounts),
                name="territories_account_import",
            ),
            path(
                "export/",
                view(admin_views.export_changelist),
                name="territories_account_export",
            ),
            path(
                "apply-rules/",
                view(admin_views.apply_rules_to_all),
                name="territories_account_apply_rules",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Assign to territory…", permissions=["change"])
    def assign_to_territory(self, request, queryset):
        return admin_views.assign_accounts(self, request, queryset)

    @admin.action(description="Apply assignment rules…", permissions=["change"])
    def apply_assignment_rules(self, request, queryset):
        return admin_views.apply_rules_to_selection(self, request, queryset)

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return admin_views.export_accounts(self, request, queryset)
