from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from spm.tenancy.admin_base import PlatformOnlyAdminMixin, TenantScopedInline
from spm.tenancy.models import Membership

from .models import User


class MembershipInline(TenantScopedInline):
    """Which organisations a person belongs to, read-only: roles and reporting lines are
    changed in each organisation (through its services), never from the platform side."""

    model = Membership
    fk_name = "user"
    fields = ["tenant", "role", "manager", "start_date", "end_date"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "organisations"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant", "manager__user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(PlatformOnlyAdminMixin, DjangoUserAdmin):
    """Platform-level user administration, visible to the superuser only."""

    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


# The platform-level models of the libraries (groups, e-mail addresses, two-factor
# authenticators) follow the same rule: the superuser's alone, a 404 to anyone else's id.
for model, library_admin in [
    (Group, GroupAdmin),
    (EmailAddress, EmailAddressAdmin),
    (Authenticator, AuthenticatorAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(
        model,
        type(f"Platform{library_admin.__name__}", (PlatformOnlyAdminMixin, library_admin), {}),
    )
