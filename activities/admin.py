"""The activities admin: activity types, activities (with a CSV import) and plan tasks
(read only), for an organisation's admins and the platform superuser.

Every class derives from ``TenantScopedAdmin``: an organisation's admin sees and chooses
only their own organisation's rows. Every write goes through ``activities.services``
(the same rules, audit and attainment requests as the Day page and the API); the forms
run the services' checks first, so a mistake shows as a form error and nothing is saved.

Admins correct activities (change, delete) but do not log them for someone else, so the
activity list has no "Add" button: the CSV import is the one way to log for others.
A type with activities is never deleted: it is set inactive.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from quotas.admin import SeenVersionMixin
from spm.tenancy.admin_base import (
    CsvImportAdminMixin,
    TenantRelatedListFilter,
    TenantScopedAdmin,
    TenantScopedModelForm,
    acting_as,
    add_service_errors,
    adopt_saved,
    is_platform_superuser,
    scoped_tenant,
)
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.versioning import StaleVersion

from . import services
from .csv_io import COLUMNS, MAX_BYTES, MAX_ROWS, REQUIRED, ImportRejected, activities_import
from .models import Activity, ActivityType, PlanTask

TYPE_FIELDS = ("name", "category", "default_duration", "active", "position")
STALE = (
    "Someone changed this activity since you opened it (now version {version}): reload the "
    "page and make your change again."
)


# --- Activity types -----------------------------------------------------------------------


class ActivityTypeAdminForm(TenantScopedModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        candidate = ActivityType(
            pk=self.instance.pk,
            **{name: cleaned_data.get(name, getattr(self.instance, name)) for name in TYPE_FIELDS},
        )
        candidate._state.adding = self.instance._state.adding  # A change is not a new row.
        try:
            services.activity_type_check(tenant=self.operating_tenant(), activity_type=candidate)
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data

    def validate_unique(self):
        """The service's check names a clash regardless of case; the database constraint's
        own message would say it a second time."""


@admin.register(ActivityType)
class ActivityTypeAdmin(TenantScopedAdmin):
    form = ActivityTypeAdminForm
    list_display = ["name", "category", "default_duration", "active", "position"]
    list_filter = ["category", "active"]
    list_select_related = ["tenant"]
    search_fields = ["name"]
    ordering = ["position", "name"]
    actions = None  # Deleting in bulk would skip the check that a type is unused.

    def get_fields(self, request, obj=None):
        fields = list(TYPE_FIELDS)
        if is_platform_superuser(request):
            fields.insert(0, "tenant")
        return fields

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or not services.activity_type_in_use(tenant=obj.tenant, activity_type=obj)
        )

    def save_model(self, request, obj, form, change):
        saved = services.activity_type_save(
            tenant=self.operating_tenant(request, obj if change else None, form),
            actor=acting_as(request),
            activity_type=obj,
        )
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.activity_type_delete(
            tenant=obj.tenant, actor=acting_as(request), activity_type=obj
        )


# --- Activities ---------------------------------------------------------------------------


class ActivityAdminForm(SeenVersionMixin, TenantScopedModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.errors or not self.instance.pk:
            return cleaned_data
        seen = cleaned_data.get("seen_version")
        if seen is not None and seen != self.instance.version:
            raise ValidationError(STALE.format(version=self.instance.version))
        # The service holds the rules: it runs on a savepoint that is always rolled back,
        # so its verdict shows as form errors; ``save_model`` then runs it for real.
        try:
            with transaction.atomic():
                write_activity(self.instance, acting_as(self.request), cleaned_data, version=None)
                transaction.set_rollback(True)
        except ValidationError as error:
            add_service_errors(self, error)
        except PermissionDenied as error:
            self.add_error(None, str(error))
        return cleaned_data


def write_activity(activity: Activity, actor, values: dict, version: int | None) -> Activity:
    return services.activity_update(
        tenant=activity.tenant,
        actor=actor,
        activity=activity,
        type=values.get("type", activity.type),
        account=values.get("account", activity.account),
        date=values.get("date", activity.date),
        duration_minutes=values.get("duration_minutes", activity.duration_minutes),
        notes=values.get("notes", activity.notes),
        version=version,
    )


class TypeListFilter(TenantRelatedListFilter):
    title = "type"
    parameter_name = "type"
    field_name = "type"
    related_model = ActivityType


class MemberListFilter(TenantRelatedListFilter):
    """The organisation's people by name (their user read in the same query)."""

    title = "member"
    parameter_name = "member"
    field_name = "member"
    related_model = Membership

    def lookups(self, request, model_admin):
        rows = Membership.objects.select_related("user", "tenant").order_by(
            "tenant__name", "user__name", "user__email"
        )
        tenant = scoped_tenant(request)
        if tenant is not None:
            return [(str(row.pk), row.name) for row in rows.filter(tenant=tenant)]
        tenant_id = request.GET.get("tenant__id__exact", "")
        if tenant_id.isdigit():
            rows = rows.filter(tenant_id=int(tenant_id))
        return [(str(row.pk), f"{row.tenant.name} · {row.name}") for row in rows]


class ActivitiesImportForm(forms.Form):
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
    "member_email": "The email of the person who did it, as in the member list.",
    "date": "The day, as YYYY-MM-DD; today or earlier.",
    "type": "The activity type's name, as in the activity type list (any case).",
    "duration_minutes": "Whole minutes, 1 to 1440; a person's day holds 24 hours in all.",
    "account_external_id": "Optional: the account's external ID, as in the account list.",
    "notes": "Optional: up to 2,000 characters.",
}


@admin.register(Activity)
class ActivityAdmin(CsvImportAdminMixin, TenantScopedAdmin):
    form = ActivityAdminForm
    list_display = ["date", "member", "type", "category", "duration_minutes", "account", "source"]
    list_filter = [
        ("date", admin.DateFieldListFilter),
        TypeListFilter,
        "type__category",
        MemberListFilter,
        "source",
    ]
    list_select_related = ["member__user", "type", "account", "tenant"]
    list_per_page = 100
    search_fields = ["member__user__email", "account__name", "notes"]
    search_help_text = "Search by the member's email, the account's name or the notes."
    autocomplete_fields = ["account"]
    ordering = ["-date", "-pk"]
    RECORD = ["member", "source", "version", "created_at", "updated_at"]

    @admin.display(description="Category", ordering="type__category")
    def category(self, activity: Activity) -> str:
        return activity.type.get_category_display()

    def get_fieldsets(self, request, obj=None):
        main = ["member", "type", "account", "date", "duration_minutes", "notes", "seen_version"]
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(("Record", {"fields": self.RECORD[1:]}))
        if is_platform_superuser(request):
            fieldsets[0][1]["fields"].insert(0, "tenant")
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.RECORD)
        if is_platform_superuser(request):
            readonly.append("tenant")  # An activity stays in its organisation.
        return readonly

    def has_add_permission(self, request):
        return False  # Admins correct activities; they log for others only by import.

    def may_import(self, request) -> bool:
        return self.has_module_permission(request)

    def save_model(self, request, obj, form, change):
        current = Activity.objects.get(tenant=obj.tenant, pk=obj.pk)
        try:
            saved = write_activity(
                current,
                acting_as(request),
                {name: getattr(obj, name) for name in ("type", "account", "date", "notes")}
                | {"duration_minutes": obj.duration_minutes},
                version=form.cleaned_data.get("seen_version"),
            )
        except StaleVersion as stale:
            raise ValidationError(STALE.format(version=stale.current.version)) from None
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.activity_delete(tenant=obj.tenant, actor=acting_as(request), activity=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for activity in queryset.select_related("tenant", "type").order_by("pk"):
                services.activity_delete(
                    tenant=activity.tenant, actor=acting_as(request), activity=activity
                )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request)}
        return super().changelist_view(request, extra_context)

    import_form = ActivitiesImportForm
    import_template = "admin/activities/import_activities.html"
    import_title = "Import activities from a CSV file"
    import_rejected = ImportRejected

    def run_import(self, request: HttpRequest, tenant: Tenant, data: bytes) -> str:
        count = len(activities_import(tenant=tenant, actor=acting_as(request), data=data))
        return f"Import done: {count:,} activit{'y' if count == 1 else 'ies'} logged."

    def import_context(self) -> dict:
        return {
            "columns": [(name, COLUMN_HELP[name], name in REQUIRED) for name in COLUMNS],
            "header": ",".join(COLUMNS),
            "max_rows": MAX_ROWS,
        }


# --- Plan tasks -----------------------------------------------------------------------------


@admin.register(PlanTask)
class PlanTaskAdmin(TenantScopedAdmin):
    """Read only: plans are members' own, written from the Day page and the suggestions."""

    list_display = ["date", "member", "position", "title", "kind", "status", "suggested"]
    list_filter = [("date", admin.DateFieldListFilter), "status", "kind", MemberListFilter]
    list_select_related = ["member__user", "tenant"]
    list_per_page = 100
    search_fields = ["title", "member__user__email"]
    ordering = ["-date", "member__user__name", "position"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
