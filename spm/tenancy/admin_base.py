"""The admin site shared by the platform superuser and each organisation's admins.

Tenant admins (role ``admin`` in their active membership) use the same site as the
platform superuser, but every model admin derives from ``TenantScopedAdmin``, which
limits the changelist, change pages, foreign-key choices, autocomplete and raw-id
lookups to the admin's own tenant. Another tenant's object is a 404. The platform
superuser works with scopes disabled and sees every tenant.

Autocomplete and raw-id lookups need nothing extra: Django answers both from the
*target* model's admin ``get_queryset``, which is the tenant-filtered one below.

This module is the one toolkit of every tenant admin class:

- ``TenantScopedModelForm``: the form knows the request and the organisation it works
  in (``operating_tenant()``); its ``clean()`` calls the service's check and shows the
  service's errors with ``add_service_errors`` (re-exported from ``spm.tenancy.forms``,
  which the application's own pages use too) — forms carry no business rule;
- ``TenantScopedAdmin.save_model`` calls a service and hands the saved row back to the
  admin with ``adopt_saved``; a ``ValidationError`` the form could not foresee (two
  people saving at once) becomes an error message, with nothing saved;
- ``TenantRelatedListFilter``: a filter on a relation that offers only the rows of the
  admin's own organisation.
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import UniqueConstraint
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .context import across_tenants
from .forms import add_service_errors as add_service_errors  # Part of the toolkit.
from .models import Role, Tenant, TenantOwnedModel


def is_platform_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def acting_as(request: HttpRequest):
    """Who the services see acting: the platform superuser's user, or the admin's membership."""
    return request.user if is_platform_superuser(request) else request.membership


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
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            if is_platform_superuser(request):
                # The platform superuser administers every organisation.
                with across_tenants():
                    return wrapped(request, *args, **kwargs)
            return wrapped(request, *args, **kwargs)

        return inner

    def _refusal(self, request: HttpRequest):
        """Visitors log in through the application's own login (allauth: two-factor
        authentication, rate limits); members without the admin role get the 403 page."""
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        if not self.has_permission(request):
            raise PermissionDenied("The admin site is for your organisation's admins.")
        return None

    def login(self, request, extra_context=None):
        """The admin has no login form of its own: see ``_refusal``."""
        if request.user.is_authenticated and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, reverse("account_login"))
        raise PermissionDenied("The admin site is for your organisation's admins.")

    def each_context(self, request):
        context = super().each_context(request)
        context["tenant"] = getattr(request, "tenant", None)
        return context


# Fields holding secrets (invitation keys, token digests, password hashes). No admin
# filter, lookup or search may touch them: ``?key__regex=^a`` answered row counts would
# let an admin recover a whole key by bisection.
SECRET_FIELD_NAMES = frozenset({"key", "digest", "password", "secret", "recovery_codes"})


class RefuseSecretLookupsMixin:
    """Refuses (400) any change-list lookup through a secret field, whoever asks."""

    def lookup_allowed(self, lookup, value, request=None):
        if SECRET_FIELD_NAMES.intersection(lookup.split(LOOKUP_SEP)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return [
            name
            for name in fields
            if not SECRET_FIELD_NAMES.intersection(name.lstrip("^=@").split(LOOKUP_SEP))
        ]


class MissingObjectIs404Mixin:
    """An id that names no row this admin may see — another organisation's, or none at
    all — is a 404 on every object page (change, delete, history and the bare ``<id>/``
    link), never Django's redirect to the index or a 403 (DESIGN 3: no existence leak)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this ID.")
        return obj

    def get_urls(self):
        urls = super().get_urls()
        # Django's last pattern redirects ``<id>/`` to ``<id>/change/`` without looking.
        *kept, redirect = urls
        info = self.opts.app_label, self.opts.model_name

        def object_link(request, object_id):
            self.get_object(request, unquote(object_id))
            return HttpResponseRedirect(
                reverse(f"admin:{info[0]}_{info[1]}_change", args=[object_id])
            )

        return [*kept, path(str(redirect.pattern), self.admin_site.admin_view(object_link))]


class PlatformOnlyAdminMixin(MissingObjectIs404Mixin, RefuseSecretLookupsMixin):
    """For platform-level models (users, tenants): only the superuser sees them. To
    anyone else an object page is a 404, like an id that does not exist."""

    def get_object(self, request, object_id, from_field=None):
        if not is_platform_superuser(request):
            raise Http404("No such object.")
        return super().get_object(request, object_id, from_field)

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


def adopt_saved(obj: models.Model, saved: models.Model) -> None:
    """Copy a row a service created back onto the admin's unsaved ``obj``: the admin goes
    on with ``obj`` (inlines, change message, redirect)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


class TenantScopedModelForm(forms.ModelForm):
    """Admin form of a tenant-owned model whose ``tenant`` field is not on the form.

    ``TenantScopedAdmin.get_form`` sets ``admin_tenant`` and ``request`` on the class it
    builds for each request. A new object gets that tenant before validation, so unique
    constraints that include ``tenant`` (e.g. one holiday per date) are reported on the
    form, instead of Django skipping them for the missing field and the database
    refusing the row with an error page.

    A subclass declares no fields itself (``fields = ()``): the admin chooses them per
    request, inside the organisation's scope, because building a choice field of a
    tenant-owned model at import time would query with no organisation active.
    """

    admin_tenant: Tenant | None = None
    request: HttpRequest | None = None

    def operating_tenant(self) -> Tenant | None:
        """The organisation this form writes in: the one the platform superuser chose,
        the object's, or the request's."""
        chosen = getattr(self, "cleaned_data", {}).get("tenant")
        if chosen is not None:
            return chosen
        if self.instance.tenant_id:
            return self.instance.tenant
        return self.admin_tenant or getattr(self.request, "tenant", None)

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


class TenantScopedAdmin(MissingObjectIs404Mixin, RefuseSecretLookupsMixin, admin.ModelAdmin):
    """Base of every admin class for a tenant-owned model. See the module docstring."""

    form = TenantScopedModelForm

    def operating_tenant(self, request, obj=None, form=None) -> Tenant:
        """The organisation a write works in: the form's choice, the object's, the request's."""
        if form is not None and hasattr(form, "operating_tenant"):
            chosen = form.operating_tenant()
            if chosen is not None:
                return chosen
        if obj is not None and obj.tenant_id:
            return obj.tenant
        return request.tenant

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A safety net for the rare write the form could not foresee (two people saving
        # at the same moment): the service refuses it, the whole save is rolled back
        # (the admin saves in one transaction), and the admin sees why.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(
                request, "Nothing was saved: " + " ".join(error.messages), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

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
        form.request = request
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


class TenantRelatedListFilter(admin.SimpleListFilter):
    """Filter a change list by a relation to a tenant-owned model (``field_name``),
    offering only the rows of the admin's organisation. Django's own related filter
    reads the target table without the explicit tenant filter.

    The platform superuser sees every organisation's rows, prefixed by the organisation,
    or only those of the organisation chosen in the ``tenant`` filter.
    """

    field_name: str
    related_model: type[TenantOwnedModel]

    def choices_for(self, tenant: Tenant) -> list[tuple[int, str]]:
        """``(pk, label)`` of the organisation's rows, in the order to offer them."""
        rows = self.related_model.objects.filter(tenant=tenant)
        return [(row.pk, str(row)) for row in rows.order_by(*self.related_model._meta.ordering)]

    def lookups(self, request, model_admin):
        tenant = scoped_tenant(request)
        if tenant is not None:
            return [(str(pk), label) for pk, label in self.choices_for(tenant)]
        rows = self.related_model.objects.select_related("tenant").order_by("tenant__name", "pk")
        tenant_id = request.GET.get("tenant__id__exact", "")
        if tenant_id.isdigit():
            rows = rows.filter(tenant_id=int(tenant_id))
        return [(str(row.pk), f"{row.tenant.name} · {row}") for row in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{f"{self.field_name}_id": int(value)})


class CsvImportAdminMixin:
    """An “Import CSV” page (``<app>_<model>_import``) for a tenant-scoped admin: all or
    nothing, every problem named by row and column.

    A subclass names its ``import_form`` (a form with ``file``, and ``tenant`` for the
    platform superuser, taking ``platform=``), ``import_template`` and ``import_title``,
    the exception ``import_rejected`` its reader raises (carrying ``errors``), and
    implements ``run_import(request, tenant, data)``, which writes through the services and
    returns the success message; ``import_context()`` adds what its template shows.
    """

    import_form: type[forms.Form]
    import_template: str
    import_title: str
    import_rejected: type[Exception]
    shown_errors = 200  # Problems listed, then how many more there are.

    def may_import(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def run_import(self, request: HttpRequest, tenant: Tenant, data: bytes) -> str:
        raise NotImplementedError

    def import_context(self) -> dict:
        return {}

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest):
        if not self.may_import(request):
            raise PermissionDenied
        platform = is_platform_superuser(request)
        errors: list[str] = []
        error_count = 0
        if request.method == "POST":
            form = self.import_form(request.POST, request.FILES, platform=platform)
            if form.is_valid():
                tenant = form.cleaned_data["tenant"] if platform else request.tenant
                try:
                    done = self.run_import(request, tenant, form.cleaned_data["file"].read())
                except self.import_rejected as rejected:
                    error_count = len(rejected.errors)
                    errors = [str(error) for error in rejected.errors[: self.shown_errors]]
                except PermissionDenied as refused:
                    errors, error_count = [str(refused)], 1
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    changelist = f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                    return HttpResponseRedirect(reverse(changelist))
        else:
            form = self.import_form(platform=platform)
        return TemplateResponse(
            request,
            self.import_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": self.import_title,
                "form": form,
                "errors": errors,
                "more_errors": error_count - len(errors),
                **self.import_context(),
            },
        )
