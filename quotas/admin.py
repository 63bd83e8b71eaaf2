"""The quotas admin: quotas (with their change history), sales (with a CSV import) and
seasonality profiles, for an organisation's admins and the platform superuser.

Every class derives from ``TenantScopedAdmin`` / ``TenantScopedInline``: an
organisation's admin sees and chooses only their own organisation's rows. Every write
goes through ``quotas.services`` (the same rules, history, notices and background jobs
as the grid and the API); the forms run the services' checks first, so a mistake shows
as a form error and nothing is saved. The acting person is the admin's membership, or
the platform superuser's user.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from spm.tenancy.admin_base import (
    CsvImportAdminMixin,
    TenantScopedAdmin,
    TenantScopedInline,
    TenantScopedModelForm,
    acting_as,
    add_service_errors,
    adopt_saved,
    is_platform_superuser,
)
from spm.tenancy.models import Tenant
from spm.tenancy.versioning import StaleVersion

from . import services
from .csv_io import COLUMNS, MAX_BYTES, MAX_ROWS, ImportRejected, sales_import
from .models import Quota, QuotaChange, Sale, SeasonalityProfile


def _stale(error: StaleVersion, what: str) -> ValidationError:
    return ValidationError(
        f"Someone changed this {what} since you opened it (now version "
        f"{error.current.version}): reload the page and make your change again."
    )


class SeenVersionMixin(forms.Form):
    """The version the page showed, posted back: a change made meanwhile is refused."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def check_seen_version(self, what: str) -> None:
        seen = self.cleaned_data.get("seen_version")
        if self.instance.pk and seen is not None and seen != self.instance.version:
            raise _stale(StaleVersion(self.instance), what)


# --- Quotas -----------------------------------------------------------------------------


class QuotaAdminForm(SeenVersionMixin, TenantScopedModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        self.check_seen_version("quota")
        quota = self.instance
        member = cleaned_data.get("member", getattr(quota, "member", None))
        try:
            services.quota_check(
                tenant=self.operating_tenant(),
                actor=acting_as(self.request),
                member=member,
                month=cleaned_data.get("month", quota.month),
                metric=cleaned_data.get("metric", quota.metric),
                amount=cleaned_data.get("amount"),
                ramp_pct=cleaned_data.get("ramp_pct"),
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data


class QuotaChangeInline(TenantScopedInline):
    """The quota's history, newest first: read here, appended by the services."""

    model = QuotaChange
    extra = 0
    fields = ["changed_at", "action", "what", "changed_by"]
    readonly_fields = fields
    ordering = ["-changed_at", "-pk"]
    verbose_name = "change"
    verbose_name_plural = "change history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description="What changed")
    def what(self, change: QuotaChange) -> str:
        return "; ".join(
            f"{name}: {old if old is not None else '—'} → {new if new is not None else '—'}"
            for name, (old, new) in (change.changes or {}).items()
        )


class MonthListFilter(admin.SimpleListFilter):
    """The months that have quotas in the admin's organisation, newest first."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = model_admin.get_queryset(request).dates("month", "month", order="DESC")
        return [(f"{month:%Y-%m}", f"{month:%B %Y}") for month in months[:36]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            year, month = (int(part) for part in value.split("-"))
            return queryset.filter(month__year=year, month__month=month)
        except ValueError:
            return queryset.none()


@admin.register(Quota)
class QuotaAdmin(TenantScopedAdmin):
    form = QuotaAdminForm
    list_display = ["member", "month_shown", "metric", "amount", "ramp_pct", "status", "version"]
    list_filter = [MonthListFilter, "metric", "status"]
    list_select_related = ["member__user", "tenant"]
    list_per_page = 100
    search_fields = ["member__user__name", "member__user__email"]
    search_help_text = "Search by the member's name or email."
    autocomplete_fields = ["member"]
    inlines = [QuotaChangeInline]
    actions = ["publish_selected"]
    ordering = ["-month", "member__user__name", "metric"]

    SHOWN = ["status", "version", "effective_amount", "no_capacity", "published_at",
             "published_by", "acknowledged_at", "acknowledged_by"]  # fmt: skip

    @admin.display(description="Month", ordering="month")
    def month_shown(self, quota: Quota) -> str:
        return f"{quota.month:%Y-%m}"

    def get_fieldsets(self, request, obj=None):
        main = ["member", "month", "metric", "amount", "ramp_pct", "seen_version"]
        if is_platform_superuser(request):
            main.insert(0, "tenant")
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(("Status and targets", {"fields": self.SHOWN}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.SHOWN)
        if obj is not None:
            # A quota stays the member's, month's and metric's it was set for.
            readonly += ["member", "month", "metric"]
            if is_platform_superuser(request):
                readonly.append("tenant")
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "month" in form.base_fields:
            form.base_fields["month"].help_text = "Any day of the month stands for the month."
        return form

    def save_model(self, request, obj, form, change):
        tenant = self.operating_tenant(request, obj if change else None, form)
        try:
            saved = services.quota_save(
                tenant=tenant,
                actor=acting_as(request),
                member=obj.member,
                month=obj.month,
                metric=obj.metric,
                amount=obj.amount,
                ramp_pct=obj.ramp_pct,
                version=form.cleaned_data.get("seen_version") if change else 0,
            )
        except StaleVersion as stale:
            raise _stale(stale, "quota") from None
        adopt_saved(obj, saved)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == Quota.Status.DRAFT)

    def delete_model(self, request, obj):
        services.quota_delete(tenant=obj.tenant, actor=acting_as(request), quota=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for quota in queryset.select_related("tenant").order_by("pk"):
                services.quota_delete(tenant=quota.tenant, actor=acting_as(request), quota=quota)

    @admin.action(description="Publish selected drafts", permissions=["change"])
    def publish_selected(self, request, queryset):
        by_tenant: dict[int, list[int]] = {}
        for tenant_id, pk in queryset.values_list("tenant_id", "pk"):
            by_tenant.setdefault(tenant_id, []).append(pk)
        published = 0
        try:
            with transaction.atomic():
                for tenant in Tenant.objects.filter(pk__in=by_tenant):
                    published += services.quotas_publish(
                        tenant=tenant, actor=acting_as(request), quota_ids=by_tenant[tenant.pk]
                    )
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(getattr(error, "messages", [str(error)]))
            self.message_user(request, f"Nothing was published: {text}", messages.ERROR)
            return
        self.message_user(
            request,
            f"{published} quota{'' if published == 1 else 's'} published; their members were told."
            if published
            else "Nothing to publish: the selected quotas were published already.",
            messages.SUCCESS if published else messages.INFO,
        )


# --- Sales ---------------------------------------------------------------------------


class SaleAdminForm(SeenVersionMixin, TenantScopedModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        self.check_seen_version("sale")
        sale = self.instance
        values = {
            name: cleaned_data.get(name, getattr(sale, name, None))
            for name in ("external_id", "member", "account", "amount", "closed_on")
        }
        tenant = self.operating_tenant()
        if (
            sale.pk is None
            and Sale.objects.filter(
                tenant=tenant, external_id=(values["external_id"] or "").strip()
            ).exists()
        ):
            self.add_error("external_id", "Another sale already has this external ID.")
            return cleaned_data
        # The service holds the rules: it runs on a savepoint that is always rolled back,
        # so its verdict shows as form errors; ``save_model`` then runs it for real.
        try:
            with transaction.atomic():
                write_sale(tenant, acting_as(self.request), sale if sale.pk else None, values)
                transaction.set_rollback(True)
        except ValidationError as error:
            add_service_errors(self, error)
        except PermissionDenied as error:
            self.add_error("member", str(error))
        return cleaned_data


def write_sale(tenant: Tenant, actor, sale: Sale | None, values: dict, version=None) -> Sale:
    if sale is None:
        created, _ = services.sale_upsert(
            tenant=tenant, actor=actor, source=Sale.Source.MANUAL, **values
        )
        return created
    return services.sale_update(tenant=tenant, actor=actor, sale=sale, version=version, **values)


class SalesImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 text, comma, semicolon or tab separated, at most {MAX_ROWS:,} rows.",
        error_messages={"required": "Choose a CSV file to import."},
    )

    def __init__(self, *args, platform: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if platform:
            self.fields = {
                "tenant": forms.ModelChoiceField(
                    queryset=Tenant.objects.order_by("name"),
                    label="Organisation",
                    help_text="You are the platform administrator: choose the organisation.",
                ),
                **self.fields,
            }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split it.")
        return upload


COLUMN_HELP = {
    "external_id": "The sale's id in your CRM. Rows are matched on it: a known id updates "
    "that sale, a new one creates a sale.",
    "member_email": "The email of the person credited with the sale, as in the member list.",
    "account_external_id": "The account's external ID, as in the account list.",
    "amount": "The sale's amount, e.g. 12500.50 (up to two decimals).",
    "closed_on": "The day it closed, as YYYY-MM-DD; today or earlier.",
}


@admin.register(Sale)
class SaleAdmin(CsvImportAdminMixin, TenantScopedAdmin):
    form = SaleAdminForm
    list_display = ["external_id", "member", "account", "amount", "closed_on", "source"]
    list_filter = ["source", ("closed_on", admin.DateFieldListFilter)]
    list_select_related = ["member__user", "account", "tenant"]
    list_per_page = 100
    search_fields = ["external_id"]
    search_help_text = "Search by external ID."
    autocomplete_fields = ["member", "account"]
    readonly_fields = ["source", "version"]
    date_hierarchy = None

    def get_fieldsets(self, request, obj=None):
        main = ["external_id", "member", "account", "amount", "closed_on", "seen_version"]
        if is_platform_superuser(request):
            main.insert(0, "tenant")
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(("Record", {"fields": ["source", "version"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None and is_platform_superuser(request):
            readonly.append("tenant")
        return readonly

    def save_model(self, request, obj, form, change):
        tenant = self.operating_tenant(request, obj if change else None, form)
        values = {
            name: getattr(obj, name)
            for name in ("external_id", "member", "account", "amount", "closed_on")
        }
        current = Sale.objects.get(tenant=tenant, pk=obj.pk) if change else None
        try:
            saved = write_sale(
                tenant,
                acting_as(request),
                current,
                values,
                version=form.cleaned_data.get("seen_version"),
            )
        except StaleVersion as stale:
            raise _stale(stale, "sale") from None
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.sale_delete(tenant=obj.tenant, actor=acting_as(request), sale=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for tenant in Tenant.objects.filter(
                pk__in=queryset.values_list("tenant_id", flat=True)
            ):
                services.sales_delete(
                    tenant=tenant,
                    actor=acting_as(request),
                    sales=list(queryset.filter(tenant=tenant)),
                )

    import_form = SalesImportForm
    import_template = "admin/quotas/import_sales.html"
    import_title = "Import sales from a CSV file"
    import_rejected = ImportRejected

    def run_import(self, request: HttpRequest, tenant: Tenant, data: bytes) -> str:
        result = sales_import(tenant=tenant, actor=acting_as(request), data=data)
        return (
            f"Import done: {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged."
        )

    def import_context(self) -> dict:
        return {
            "columns": [(name, COLUMN_HELP[name], False) for name in COLUMNS],
            "header": ",".join(COLUMNS),
            "max_rows": MAX_ROWS,
        }


# --- Seasonality profiles -------------------------------------------------------------


def _share_field(month_name: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"{month_name} (%)", max_digits=5, decimal_places=2, min_value=0, max_value=100
    )


class SeasonalityProfileForm(TenantScopedModelForm):
    """The twelve shares as twelve fields, January first; the service checks they total
    exactly 100."""

    # Declared on the class (not added per instance) so the admin may list them.
    share_1 = _share_field("January")
    share_2 = _share_field("February")
    share_3 = _share_field("March")
    share_4 = _share_field("April")
    share_5 = _share_field("May")
    share_6 = _share_field("June")
    share_7 = _share_field("July")
    share_8 = _share_field("August")
    share_9 = _share_field("September")
    share_10 = _share_field("October")
    share_11 = _share_field("November")
    share_12 = _share_field("December")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.shares:
            for index, share in enumerate(self.instance.shares, 1):
                if f"share_{index}" in self.fields:
                    self.fields[f"share_{index}"].initial = Decimal(share)

    def shares(self) -> list:
        return [self.cleaned_data.get(f"share_{month}") for month in range(1, 13)]

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        try:
            services.seasonality_profile_check(
                tenant=self.operating_tenant(),
                profile=self.instance if self.instance.pk else None,
                name=cleaned_data.get("name", ""),
                shares=self.shares(),
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data


@admin.register(SeasonalityProfile)
class SeasonalityProfileAdmin(TenantScopedAdmin):
    form = SeasonalityProfileForm
    list_display = ["name", "shares_shown"]
    list_select_related = ["tenant"]
    search_fields = ["name"]

    @admin.display(description="Shares, January to December (%)")
    def shares_shown(self, profile: SeasonalityProfile) -> str:
        return " · ".join(str(share) for share in profile.shares)

    def get_fieldsets(self, request, obj=None):
        main = ["name"]
        if is_platform_superuser(request):
            main.insert(0, "tenant")
        return [
            (None, {"fields": main}),
            (
                "Shares of the year",
                {
                    "fields": [f"share_{month}" for month in range(1, 13)],
                    "description": "How an annual figure spreads over the months, in %. "
                    "The twelve shares must total exactly 100.",
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and is_platform_superuser(request):
            return ["tenant"]
        return []

    def save_model(self, request, obj, form, change):
        saved = services.seasonality_profile_save(
            tenant=self.operating_tenant(request, obj if change else None, form),
            actor=acting_as(request),
            profile=obj if change else None,
            name=form.cleaned_data["name"],
            shares=form.shares(),
        )
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.seasonality_profile_delete(
            tenant=obj.tenant, actor=acting_as(request), profile=obj
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for profile in queryset.select_related("tenant"):
                services.seasonality_profile_delete(
                    tenant=profile.tenant, actor=acting_as(request), profile=profile
                )
