"""Assignment rules and the assignment history."""

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter

from spm.tenancy.admin_base import TenantScopedAdmin, adopt_saved, is_platform_superuser

from ..forms import (
    AssignmentRuleForm,
)
from ..models import (
    AccountAssignment,
    AssignmentRule,
    RuleOperator,
)
from ..services import (
    assignment_rule_save,
)
from .common import (
    ScheduledListFilter,
    TerritoryListFilter,
)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(TenantScopedAdmin):
    form = AssignmentRuleForm
    list_display = ["priority", "territory", "field", "operator", "values", "active"]
    list_display_links = ["values"]
    list_editable = ["priority", "active"]
    list_filter = [TerritoryListFilter, "field", "active"]
    list_select_related = ["territory"]
    search_fields = ["value", "territory__name"]
    autocomplete_fields = ["territory"]

    def get_fieldsets(self, request, obj=None):
        first = ["territory"]
        if is_platform_superuser(request):
            first.insert(0, "tenant")
        return [
            (None, {"fields": first}),
            (
                "Which accounts",
                {
                    "fields": ["field", "operator", "value", "value_to"],
                    "description": "An account matches when its field satisfies the "
                    "operator and value(s).",
                },
            ),
            ("Priority", {"fields": ["priority", "active"]}),
        ]

    @admin.display(description="Value(s)", ordering="value")
    def values(self, obj: AssignmentRule) -> str:
        if obj.operator == RuleOperator.BETWEEN:
            return f"{obj.value} … {obj.value_to}"
        return obj.value

    def save_model(self, request, obj, form, change):
        saved = assignment_rule_save(
            tenant=self.operating_tenant(request, obj if change else None, form),
            actor=request.user,
            rule=obj if change else None,
            territory=obj.territory,
            field=obj.field,
            operator=obj.operator,
            value=obj.value,
            value_to=obj.value_to,
            priority=obj.priority,
            active=obj.active,
        )
        if not change:
            adopt_saved(obj, saved)


@admin.register(AccountAssignment)
class AccountAssignmentAdmin(TenantScopedAdmin):
    """Read-only: the history is appended by the services, never edited by hand."""

    list_display = [
        "account",
        "moved_from",
        "moved_to",
        "effective_date",
        "source",
        "changed_by",
        "status",
    ]
    list_filter = ["source", ("effective_date", DateFieldListFilter), ScheduledListFilter]
    list_select_related = ["account", "from_territory", "to_territory", "changed_by"]
    search_fields = ["account__name"]
    search_help_text = "Search by account name."

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": "Assignment history", **(extra_context or {})}
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="From", ordering="from_territory__name")
    def moved_from(self, obj: AccountAssignment) -> str:
        return obj.from_territory.name if obj.from_territory else "(unassigned)"

    @admin.display(description="To", ordering="to_territory__name")
    def moved_to(self, obj: AccountAssignment) -> str:
        return obj.to_territory.name if obj.to_territory else "(unassigned)"

    @admin.display(description="Status", ordering="applied_at")
    def status(self, obj: AccountAssignment) -> str:
        return "Applied" if obj.applied_at else "Scheduled"
