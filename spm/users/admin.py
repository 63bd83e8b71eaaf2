from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from spm.tenancy.admin_base import PlatformOnlyAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(PlatformOnlyAdminMixin, DjangoUserAdmin):
    """Platform-level user administration, visible to the superuser only."""

    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
