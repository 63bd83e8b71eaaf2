"""Admin for holidays and time off. Saves and deletes go through the calendar services,
which audit the change and trigger the recomputation of work days and quotas."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from spm.tenancy.admin_base import (
    TenantScopedAdmin,
    TenantScopedModelForm,
    add_service_errors,
    adopt_saved,
)

from . import services
from .models import Holiday, TimeOff


@admin.register(Holiday)
class HolidayAdmin(TenantScopedAdmin):
    list_display = ["date", "name"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            holiday = self.get_queryset(request).get(pk=obj.pk)
            services.holiday_update(
                tenant=holiday.tenant,
                actor=request.user,
                holiday=holiday,
                date=data["date"],
                name=data["name"],
            )
        else:
            holiday = services.holiday_create(
                tenant=self.operating_tenant(request, obj, form),
                actor=request.user,
                date=data["date"],
                name=data["name"],
            )
            adopt_saved(obj, holiday)

    def delete_model(self, request, obj):
        services.holiday_delete(tenant=obj.tenant, actor=request.user, holiday=obj)

    def delete_queryset(self, request, queryset):
        for holiday in queryset.select_related("tenant"):
            services.holiday_delete(tenant=holiday.tenant, actor=request.user, holiday=holiday)


class TimeOffAdminForm(TenantScopedModelForm):
    # No ``Meta``: the admin builds the form per request, inside the tenant scope that a
    # query for the member choices needs (a class-level field would query at import).

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            member = self.instance.member  # Read-only on change: a range belongs to one person.
        else:
            member = cleaned_data.get("member")
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if member is None or start is None or end is None:
            return cleaned_data  # The missing field already has its own error.
        try:
            services.time_off_check(
                tenant=member.tenant,
                member=member,
                start=start,
                end=end,
                exclude=self.instance if self.instance.pk else None,
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data


@admin.register(TimeOff)
class TimeOffAdmin(TenantScopedAdmin):
    form = TimeOffAdminForm
    fields = ["member", "start", "end", "reason"]
    list_display = ["member", "start", "end", "reason"]
    list_select_related = ["member__user"]
    search_fields = ["member__user__email", "member__user__name", "reason"]
    autocomplete_fields = ["member"]
    date_hierarchy = "start"
    ordering = ["-start"]

    def get_exclude(self, request, obj=None):
        # The member decides the tenant, even for the platform superuser.
        return [*super().get_exclude(request, obj), "tenant"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "member"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            time_off = self.get_queryset(request).select_related("member__user").get(pk=obj.pk)
            services.time_off_update(
                tenant=time_off.tenant,
                actor=request.user,
                time_off=time_off,
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
            )
        else:
            member = data["member"]
            time_off = services.time_off_create(
                tenant=member.tenant,
                actor=request.user,
                member=member,
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
            )
            adopt_saved(obj, time_off)

    def delete_model(self, request, obj):
        services.time_off_delete(tenant=obj.tenant, actor=request.user, time_off=obj)

    def delete_queryset(self, request, queryset):
        for time_off in queryset.select_related("tenant", "member__user"):
            services.time_off_delete(tenant=time_off.tenant, actor=request.user, time_off=time_off)
