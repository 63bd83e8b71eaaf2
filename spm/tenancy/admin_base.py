"""The admin site shared by the platform superuser and each organisation's admins.

Tenant admins (role ``admin`` in their active membership) use the same site as the
platform superuser, but every model admin derives from ``TenantScopedAdmin``, which
limits the changelist, change pages, foreign-key choices, autocomplete and raw-id
lookups to the admin's own tenant. Another tenant's object is a 404. The platform
superuser works with scopes disabled and sees every tenant.
"""

import functools

from django.contrib import admin
from django.http import HttpRequest

from .context import scopes_disabled
from .models import Role, TenantOwnedModel


def is_platform_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def is_tenant_admin(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return bool(request.user.is_active and membership and membership.role == Role.ADMIN)


class SpmAdminSite(admin.AdminSite):
    site_header = "SPM administration"
    site_title = "SPM admin"
    index_title = "Organisation settings, people and territories"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_platform_superuser(request) or is_tenant_admin(request)

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        @functools.wraps(wrapped)
        def inner(request, *args, **kwargs):
            if is_platform_superuser(request):
                with scopes_disabled():
                    return wrapped(request, *args, **kwargs)
            return wrapped(request, *args, **kwargs)

        return inner

    def each_context(self, request):
        context = super().each_context(request)
        context["tenant"] = getattr(request, "tenant", None)
        return context


class PlatformOnlyAdminMixin:
    """For platform-level models (users, tenants): only the superuser sees them."""

    def has_module_permission(self, request):
        return is_platform_superuser(request)

    def has_view_permission(self, request, obj=None):
        return is_platform_superuser(request)

    def has_add_permission(self, request):
        return is_platform_superuser(request)

    def has_change_permission(self, request, obj=None):
        return is_platform_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return is_platform_superuser(request)


class TenantScopedAdmin(admin.ModelAdmin):
    """Base of every admin class for a tenant-owned model. See the module docstring."""

    def _is_tenant_admin(self, request) -> bool:
        return is_tenant_admin(request) and not is_platform_superuser(request)

    # Permissions follow the membership role rather than Django's per-model permissions,
    # so an organisation's admin needs no staff flag or permission rows.
    def has_module_permission(self, request):
        return is_platform_superuser(request) or is_tenant_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._is_tenant_admin(request):
            # The scope already limits the query; the explicit filter is the contract.
            return queryset.filter(tenant=request.tenant)
        return queryset

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not is_platform_superuser(request):
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if is_platform_superuser(request) and "tenant" not in filters:
            filters.insert(0, "tenant")
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._limit_choices(formfield, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._limit_choices(formfield, db_field, request)

    def _limit_choices(self, formfield, db_field, request):
        related = db_field.remote_field.model
        if (
            formfield is not None
            and self._is_tenant_admin(request)
            and issubclass(related, TenantOwnedModel)
        ):
            formfield.queryset = formfield.queryset.filter(tenant=request.tenant)
        return formfield

    def save_model(self, request, obj, form, change):
        if not change and self._is_tenant_admin(request):
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, TenantOwnedModel) and not instance.tenant_id:
                instance.tenant_id = form.instance.tenant_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class TenantScopedInline(admin.TabularInline):
    """Inline base with the same permission and choice limits as ``TenantScopedAdmin``."""

    def has_view_permission(self, request, obj=None):
        return is_platform_superuser(request) or is_tenant_admin(request)

    has_add_permission = has_view_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        exclude.append("tenant")
        return exclude

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related = db_field.remote_field.model
        if (
            formfield is not None
            and is_tenant_admin(request)
            and not is_platform_superuser(request)
            and issubclass(related, TenantOwnedModel)
        ):
            formfield.queryset = formfield.queryset.filter(tenant=request.tenant)
        return formfield
