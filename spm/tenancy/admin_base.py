"""The admin site shared by the platform superuser and each organisation's admins.

Tenant admins (role ``admin`` in their active membership) use the same site as the
platform superuser, but every model admin derives from ``TenantScopedAdmin``, which
limits the changelist, change pages, foreign-key choices, autocomplete and raw-id
lookups to the admin's own tenant. Another tenant's object is a 404. The platform
superuser works with scopes disabled and sees every tenant.

Autocomplete and raw-id lookups need nothing extra: Django answers both from the
*target* model's admin ``get_queryset``, which is the tenant-filtered one below.
"""

import functools

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import UniqueConstraint
from django.http import HttpRequest

from .context import scopes_disabled
from .models import Role, Tenant, TenantOwnedModel


def is_platform_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def is_tenant_admin(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return bool(request.user.is_active and membership and membership.role == Role.ADMIN)


def scoped_tenant(request: HttpRequest) -> Tenant | None:
    """The tenant an admin request is limited to; ``None`` for the platform superuser."""
    if is_platform_superuser(request) or not is_tenant_admin(request):
        return None
    return request.tenant


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


def limit_choices_to_tenant(formfield, db_field, tenant: Tenant | None):
    """Narrow a relation's choices to ``tenant``: its rows, its people, itself.

    Users are not tenant-owned, so a bare user field would list every person on the
    platform; they are limited to the tenant's members.
    """
    if formfield is None or tenant is None or not hasattr(formfield, "queryset"):
        return formfield
    related = db_field.remote_field.model
    if issubclass(related, TenantOwnedModel):
        formfield.queryset = formfield.queryset.filter(tenant=tenant)
    elif related is get_user_model():
        formfield.queryset = formfield.queryset.filter(memberships__tenant=tenant).distinct()
    elif related is Tenant:
        formfield.queryset = formfield.queryset.filter(pk=tenant.pk)
    return formfield


class TenantScopedModelForm(forms.ModelForm):
    """Admin form of a tenant-owned model whose ``tenant`` field is not on the form.

    ``TenantScopedAdmin.get_form`` sets ``admin_tenant`` on the class it builds for each
    request. A new object gets that tenant before validation, so unique constraints
    that include ``tenant`` (e.g. one holiday per date) are reported on the form,
    instead of Django skipping them for the missing field and the database refusing
    the row with an error page.
    """

    admin_tenant: Tenant | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.admin_tenant is not None and self.instance.tenant_id is None:
            self.instance.tenant = self.admin_tenant

    def validate_unique(self):
        super().validate_unique()
        if "tenant" in self.fields or self.instance.tenant_id is None:
            return  # Django validated them with the field, or there is no tenant yet.
        exclude = self._get_validation_exclusions() - {"tenant"}
        errors = []
        for model_class, constraints in self.instance.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, UniqueConstraint) and "tenant" in constraint.fields:
                    try:
                        constraint.validate(model_class, self.instance, exclude=exclude)
                    except ValidationError as error:
                        errors.append(error)
        if errors:
            self._update_errors(ValidationError(errors))


class TenantScopedAdmin(admin.ModelAdmin):
    """Base of every admin class for a tenant-owned model. See the module docstring."""

    form = TenantScopedModelForm

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

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and is_platform_superuser(request) and "tenant" not in readonly:
            # Moving a row to another tenant would leave its relations behind.
            readonly.append("tenant")
        return readonly

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if is_platform_superuser(request) and "tenant" not in filters:
            filters.insert(0, "tenant")
        return filters

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory built this class for this request alone.
        form.admin_tenant = scoped_tenant(request)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return limit_choices_to_tenant(formfield, db_field, scoped_tenant(request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return limit_choices_to_tenant(formfield, db_field, scoped_tenant(request))

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

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        tenant = scoped_tenant(request)
        return queryset if tenant is None else queryset.filter(tenant=tenant)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        exclude.append("tenant")  # Always the parent's: ``save_formset`` sets it.
        return exclude

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return limit_choices_to_tenant(formfield, db_field, scoped_tenant(request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return limit_choices_to_tenant(formfield, db_field, scoped_tenant(request))
