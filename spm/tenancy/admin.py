"""Admin for organisations, their people, invitations, API tokens and the audit log.

An organisation's admin sees only their own organisation here (``TenantScopedAdmin``);
organisations themselves are the platform superuser's. Every change goes through the
services, so the admin keeps the same rules and audit trail as the rest of the product.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .admin_base import PlatformOnlyAdminMixin, TenantScopedAdmin, TenantScopedModelForm
from .forms import add_service_errors
from .models import ApiToken, AuditEvent, Invitation, Membership, Role, Tenant

# What an admin may change about a member; ``services.membership_update`` takes exactly these.
MEMBER_FIELDS = ("role", "manager", "start_date", "end_date")


@admin.register(Tenant)
class TenantAdmin(PlatformOnlyAdminMixin, admin.ModelAdmin):
    """The platform's list of organisations. The superuser may deactivate one; its
    settings belong to its own admins, who change them on the settings page through
    ``tenant_update_settings`` (checks and audit), and organisations are created by
    signing up (``tenant_create``), so neither happens here."""

    list_display = ["name", "slug", "timezone", "currency", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    fields = [
        "name",
        "slug",
        "is_active",
        "timezone",
        "currency",
        "work_week",
        "weekday_weights",
        "prorate_time_off",
        "selling_target_pct",
        "fiscal_year_start_month",
        "created_at",
    ]
    readonly_fields = [name for name in fields if name != "is_active"]

    def has_add_permission(self, request):
        return False


class MembershipAdminForm(TenantScopedModelForm):
    # No ``Meta``: the admin builds the form per request, inside the tenant scope that a
    # query for the manager choices needs (a class-level field would query at import).

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is None or self.errors:
            return cleaned_data
        # The service holds the rules (no reporting loops, a manager must manage, one admin
        # at least…). Running it on a fresh copy in a savepoint that is always rolled back
        # shows its verdict as form errors; ``save_model`` then runs it for real.
        member = Membership.objects.select_related("tenant").get(pk=self.instance.pk)
        changes = {name: cleaned_data.get(name) for name in MEMBER_FIELDS}
        try:
            with transaction.atomic():
                services.membership_update(
                    tenant=member.tenant, actor=None, member=member, **changes
                )
                transaction.set_rollback(True)
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    form = MembershipAdminForm
    list_display = ["name", "email", "role", "manager_name", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "manager__user"]
    autocomplete_fields = ["manager"]
    fields = ["user", *MEMBER_FIELDS]
    readonly_fields = ["user"]

    @admin.display(description="Name", ordering="user__name")
    def name(self, member: Membership) -> str:
        return member.name

    @admin.display(description="Email", ordering="user__email")
    def email(self, member: Membership) -> str:
        return member.user.email

    @admin.display(description="Manager", ordering="manager__user__name")
    def manager_name(self, member: Membership) -> str:
        return member.manager.name if member.manager else "—"

    def has_add_permission(self, request):
        return False  # People join by invitation (see the changelist's message).

    def has_delete_permission(self, request, obj=None):
        return False  # Employment ends with an end date; the history stays.

    def changelist_view(self, request, extra_context=None):
        if IS_POPUP_VAR not in request.GET and request.method == "GET":
            messages.info(
                request,
                format_html(
                    'People join by invitation. To add someone, <a href="{}">invite them</a>; '
                    "to let someone go, set their end date.",
                    reverse("tenancy:invitations"),
                ),
            )
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (
            request.path == reverse("admin:autocomplete")
            and request.GET.get("field_name") == "manager"
        ):
            # Only managers and admins can have reports; offer nobody else.
            queryset = queryset.filter(role__in=[Role.MANAGER, Role.ADMIN])
        return queryset, may_have_duplicates

    def save_model(self, request, obj, form, change):
        member = self.get_queryset(request).get(pk=obj.pk)
        services.membership_update(
            tenant=member.tenant,
            actor=request.user,
            member=member,
            **{name: form.cleaned_data.get(name) for name in MEMBER_FIELDS},
        )


@admin.register(Invitation)
class InvitationAdmin(TenantScopedAdmin):
    list_display = ["email", "role", "manager", "status", "created_at", "expires_at"]
    list_filter = ["status", "role"]
    search_fields = ["email"]
    list_select_related = ["manager__user"]
    actions = ["revoke"]
    readonly_fields = [
        "email",
        "role",
        "manager",
        "start_date",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "membership",
    ]
    exclude = ["key"]  # The secret in the invitation link.

    def has_add_permission(self, request):
        return False  # Invitations are sent from the organisation's invitations page.

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # Revoke instead: the record of who was invited stays.

    def has_revoke_permission(self, request) -> bool:
        return self.has_module_permission(request)

    @admin.action(description="Revoke selected invitations", permissions=["revoke"])
    def revoke(self, request, queryset):
        pending = queryset.filter(status=Invitation.Status.PENDING)
        for invitation in pending:
            services.invitation_revoke(
                tenant=invitation.tenant, actor=request.user, invitation=invitation
            )
        count = len(pending)
        if count:
            self.message_user(request, f"Revoked {count} invitation{'s' * (count != 1)}.")
        else:
            self.message_user(
                request, "Only pending invitations can be revoked.", level=messages.WARNING
            )


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    list_display = ["prefix", "name", "member", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "membership__user__email"]
    list_select_related = ["membership__user"]
    actions = ["revoke"]
    readonly_fields = ["membership", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]

    @admin.display(description="Member", ordering="membership__user__email")
    def member(self, token: ApiToken) -> str:
        return token.membership.name

    def has_add_permission(self, request):
        return False  # Issued with `manage.py issue_api_token`, which prints the key once.

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # Revoke instead, so the audit log keeps pointing at the token.

    def has_revoke_permission(self, request) -> bool:
        return self.has_module_permission(request)

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(
            services.api_token_revoke(tenant=token.tenant, actor=request.user, token=token)
            for token in queryset
        )
        self.message_user(request, f"Revoked {revoked} token{'s' * (revoked != 1)}.")


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    """The audit log: written by the services, read here, never edited."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "actor", "action", "object_type", "object_id", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
