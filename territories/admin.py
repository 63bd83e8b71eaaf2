"""The territory admin: where an organisation's admins build the territory tree, put
reps on territories, and place accounts (by hand, by rules or by CSV import).

Every class derives from ``TenantScopedAdmin`` / ``TenantScopedInline``: an
organisation's admin sees and can choose only their own organisation's rows; the
platform superuser sees every organisation. Writes go through ``services`` so that
moves are recorded in the history and the reps are told; the forms check the input
first, so a mistake shows as a form error and nothing is saved.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from spm.tenancy.admin_base import TenantScopedAdmin, TenantScopedInline, is_platform_superuser
from spm.tenancy.models import Tenant

from . import admin_views
from .forms import (
    AccountAdminForm,
    AssignmentRuleForm,
    TerritoryAdminForm,
    TerritoryMemberForm,
    TerritoryMemberFormSet,
    indented,
)
from .models import (
    Account,
    AccountAssignment,
    AssignmentRule,
    RuleOperator,
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from .selectors import territory_tree
from .services import (
    account_save,
    accounts_assign,
    assignment_rule_save,
    territory_member_add,
    territory_member_end,
    territory_member_update,
    territory_save,
)

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(amount: Decimal | None, currency: str) -> str:
    """``€125,000.00`` for the common currencies, ``CHF 125,000.00`` for the others."""
    if amount is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{currency} {amount:,.2f}"


def short_date(day) -> str:
    return f"{day.day} {day:%b %Y}"


def tenant_of(request, obj, form=None) -> Tenant:
    """The organisation a write works in: the object's, else the chosen or the active one."""
    if form is not None and hasattr(form, "operating_tenant"):
        chosen = form.operating_tenant()
        if chosen is not None:
            return chosen
    if obj is not None and obj.tenant_id:
        return obj.tenant
    return request.tenant


def list_date(request):
    """Today where the admin works (the organisation's timezone is active per request)."""
    return request.tenant.today() if request.tenant else timezone.localdate()


class ServiceErrorsAsMessages:
    """A safety net for the rare write the form could not foresee (two people saving at
    the same moment): the service refuses it, the whole save is rolled back, and the
    admin sees why instead of an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(
                request, "Nothing was saved: " + " ".join(error.messages), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


class FormWithRequestMixin:
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # A new class per request, so this is not shared.
        return form


# --- List filters -------------------------------------------------------------------


class TerritoryListFilter(admin.SimpleListFilter):
    """Territories of the admin's own organisation only, in tree order.

    Django's default related-field filter would list every organisation's territories.
    """

    title = "territory"
    parameter_name = "territory"

    def lookups(self, request, model_admin):
        if not is_platform_superuser(request):
            return [
                (str(territory.pk), indented(territory.name, depth))
                for territory, depth in territory_tree(tenant=request.tenant)
            ]
        territories = Territory.objects.select_related("tenant").order_by("tenant__name", "name")
        tenant_id = request.GET.get("tenant__id__exact")
        if tenant_id and tenant_id.isdigit():
            territories = territories.filter(tenant_id=int(tenant_id))
        return [(str(t.pk), f"{t.tenant.name} · {t.name}") for t in territories]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(territory_id=int(value))


class UnassignedListFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assignment"

    def lookups(self, request, model_admin):
        return [("unassigned", "Unassigned"), ("assigned", "In a territory")]

    def queryset(self, request, queryset):
        if self.value() == "unassigned":
            return queryset.filter(territory__isnull=True)
        if self.value() == "assigned":
            return queryset.filter(territory__isnull=False)
        return queryset


class ScheduledListFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("applied", "Applied"), ("scheduled", "Scheduled")]

    def queryset(self, request, queryset):
        if self.value() == "applied":
            return queryset.filter(applied_at__isnull=False)
        if self.value() == "scheduled":
            return queryset.filter(applied_at__isnull=True)
        return queryset


# --- Territories --------------------------------------------------------------------


class TerritoryMemberInline(TenantScopedInline):
    model = TerritoryMember
    form = TerritoryMemberForm
    formset = TerritoryMemberFormSet
    fields = ["member", "role", "start_date", "end_date"]
    autocomplete_fields = ["member"]
    extra = 1
    # Assignments are history: people leave a territory by an end date, not a deletion.
    can_delete = False
    verbose_name = "member"
    verbose_name_plural = "Owner and overlay members"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__user")


@admin.register(Territory)
class TerritoryAdmin(ServiceErrorsAsMessages, FormWithRequestMixin, TenantScopedAdmin):
    form = TerritoryAdminForm
    list_display = [
        "tree_name",
        "depth",
        "parent",
        "active",
        "owners",
        "overlays",
        "accounts",
        "potential",
    ]
    list_display_links = ["tree_name"]
    list_filter = ["active"]
    list_select_related = ["parent", "tenant"]
    list_per_page = 100
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    inlines = [TerritoryMemberInline]

    # --- The list, in tree order with figures per territory.

    def _tree(self, request) -> dict[int, tuple[int, int]]:
        """Each visible territory's (position in tree order, depth), once per request."""
        cached = getattr(request, "_territory_tree", None)
        if cached is not None:
            return cached
        if is_platform_superuser(request):
            # One tree per organisation, organisations by name: the superuser's view only.
            tenants = Tenant.objects.filter(pk__in=Territory.objects.values("tenant_id")).order_by(
                "name"
            )
        else:
            tenants = [request.tenant]
        positions: dict[int, tuple[int, int]] = {}
        for tenant in tenants:
            for territory, depth in territory_tree(tenant=tenant):
                positions[territory.pk] = (len(positions), depth)
        request._territory_tree = positions
        return positions

    def get_ordering(self, request):
        # Tree order: an expression, since ``get_queryset`` orders before it annotates.
        tree = self._tree(request)
        if not tree:
            # A Case with no branch compiles to a bare constant, which PostgreSQL reads
            # as a column position ("ORDER BY 0").
            return ["name"]
        position = Case(
            *[When(pk=pk, then=Value(position)) for pk, (position, _) in tree.items()],
            default=Value(len(tree)),
            output_field=IntegerField(),
        )
        return [position.asc()]

    def get_queryset(self, request):
        tree = self._tree(request)
        current = Q(start_date__lte=list_date(request)) & (
            Q(end_date__isnull=True) | Q(end_date__gte=list_date(request))
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                account_count=Count("accounts"),
                total_potential=Coalesce(Sum("accounts__annual_potential"), Value(Decimal("0"))),
                tree_depth=Case(
                    *[When(pk=pk, then=Value(depth)) for pk, (_, depth) in tree.items() if depth],
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            )
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=TerritoryMember.objects.filter(current)
                    .select_related("member__user")
                    .order_by("start_date", "pk"),
                    to_attr="current_members",
                )
            )
        )

    @admin.display(description="Territory", ordering="name")
    def tree_name(self, obj: Territory) -> str:
        return indented(obj.name, obj.tree_depth)

    @admin.display(description="Depth", ordering="tree_depth")
    def depth(self, obj: Territory) -> int:
        return obj.tree_depth

    def _names(self, obj: Territory, role: str) -> str:
        names = [link.member.name for link in obj.current_members if link.role == role]
        return ", ".join(names) or "—"

    @admin.display(description="Owner")
    def owners(self, obj: Territory) -> str:
        return self._names(obj, TerritoryRole.OWNER)

    @admin.display(description="Overlay")
    def overlays(self, obj: Territory) -> str:
        return self._names(obj, TerritoryRole.OVERLAY)

    @admin.display(description="Accounts", ordering="account_count")
    def accounts(self, obj: Territory) -> str:
        url = reverse("admin:territories_account_changelist") + f"?territory={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.account_count)

    @admin.display(description="Total potential", ordering="total_potential")
    def potential(self, obj: Territory) -> str:
        return money(obj.total_potential, obj.tenant.currency)

    # --- The change form.

    def get_fieldsets(self, request, obj=None):
        fields = ["name", "parent", "description", "active"]
        if is_platform_superuser(request):
            fields.insert(0, "tenant")
        fieldsets = [(None, {"fields": fields})]
        if obj is not None:
            fieldsets.append(("Accounts", {"fields": ["accounts_summary"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["accounts_summary"]
        if obj is not None and is_platform_superuser(request):
            readonly.append("tenant")
        return readonly

    @admin.display(description="Accounts in this territory")
    def accounts_summary(self, obj: Territory) -> str:
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:territories_account_changelist") + f"?territory={obj.pk}"
        count = obj.account_count
        return format_html(
            '{} account{}, {} total annual potential. <a href="{}">View them in the account list</a>',
            count,
            "" if count == 1 else "s",
            money(obj.total_potential, obj.tenant.currency),
            url,
        )

    def save_model(self, request, obj, form, change):
        saved = territory_save(
            tenant=tenant_of(request, obj if change else None, form),
            actor=request.user,
            territory=obj if change else None,
            name=obj.name,
            parent=obj.parent,
            description=obj.description,
            active=obj.active,
        )
        if not change:
            # The admin goes on with ``obj`` (inlines, history, redirect).
            obj.pk, obj.tenant, obj.created_at = saved.pk, saved.tenant, saved.created_at
            obj._state.adding, obj._state.db = False, saved._state.db

    def save_formset(self, request, form, formset, change):
        if formset.model is not TerritoryMember:
            return super().save_formset(request, form, formset, change)
        territory = form.instance
        tenant = territory.tenant
        changed = [f for f in formset.forms if f.instance.pk and f.has_changed()]
        added = [f for f in formset.forms if f.instance.pk is None and f.has_changed()]
        stored = TerritoryMember.objects.select_related("territory", "member__user").in_bulk(
            [f.instance.pk for f in changed]
        )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        # Changes first: ending the old owner makes room for the new one added below.
        for row in changed:
            data, link = row.cleaned_data, stored[row.instance.pk]
            if row.changed_data == ["end_date"] and data["end_date"] is not None:
                link = territory_member_end(
                    tenant=tenant, actor=request.user, link=link, end_date=data["end_date"]
                )
            else:
                link = territory_member_update(
                    tenant=tenant,
                    actor=request.user,
                    link=link,
                    role=data["role"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                )
            formset.changed_objects.append((link, row.changed_data))
        for row in added:
            data = row.cleaned_data
            link = territory_member_add(
                tenant=tenant,
                actor=request.user,
                territory=territory,
                member=data["member"],
                role=data["role"],
                start_date=data["start_date"],
                end_date=data.get("end_date"),
            )
            formset.new_objects.append(link)
        return None


# --- Accounts -----------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(ServiceErrorsAsMessages, FormWithRequestMixin, TenantScopedAdmin):
    form = AccountAdminForm
    list_display = [
        "name",
        "external_id",
        "territory",
        "industry",
        "country",
        "region",
        "postal_code",
        "potential",
    ]
    list_filter = [TerritoryListFilter, UnassignedListFilter, "industry", "country"]
    list_select_related = ["territory", "tenant"]
    list_per_page = 100
    search_fields = ["name", "external_id", "postal_code"]
    search_help_text = "Search by name, external ID or postal code."
    autocomplete_fields = ["territory"]
    actions = ["assign_to_territory", "apply_assignment_rules", "export_selected_csv"]
    readonly_fields = ["history"]

    @admin.display(description="Annual potential", ordering="annual_potential")
    def potential(self, obj: Account) -> str:
        return money(obj.annual_potential, obj.tenant.currency)

    def get_fieldsets(self, request, obj=None):
        main = ["name", "external_id"]
        if is_platform_superuser(request):
            main.insert(0, "tenant")
        territory = ["territory", "effective_date"] + (["history"] if obj else [])
        return [
            (None, {"fields": main}),
            ("Location and industry", {"fields": ["industry", "country", "region", "postal_code"]}),
            ("Potential", {"fields": ["annual_potential"]}),
            ("Territory", {"fields": territory}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["history"]
        if obj is not None and is_platform_superuser(request):
            readonly.append("tenant")
        return readonly

    @admin.display(description="Assignment history")
    def history(self, obj: Account) -> str:
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:territories_accountassignment_changelist")
        return format_html(
            '<a href="{}?account__id__exact={}">Every move of this account</a>', url, obj.pk
        )

    def save_model(self, request, obj, form, change):
        tenant = tenant_of(request, obj if change else None, form)
        target = obj.territory
        # The territory changes only through ``accounts_assign`` below (history, notices).
        current_id = form.initial.get("territory") if change else None
        obj.territory_id = current_id
        saved = account_save(
            tenant=tenant,
            actor=request.user,
            account=obj if change else None,
            name=obj.name,
            external_id=obj.external_id,
            industry=obj.industry,
            country=obj.country,
            region=obj.region,
            postal_code=obj.postal_code,
            annual_potential=obj.annual_potential,
            territory=obj.territory,
        )
        if not change:
            obj.pk, obj.tenant = saved.pk, saved.tenant
            obj._state.adding, obj._state.db = False, saved._state.db
        if (target.pk if target else None) == current_id:
            return
        effective_date = form.cleaned_data.get("effective_date") or tenant.today()
        result = accounts_assign(
            tenant=tenant,
            actor=request.user,
            account_ids=[obj.pk],
            territory=target,
            effective_date=effective_date,
        )
        where = f"to {target.name}" if target else "out of its territory"
        if result.scheduled:
            self.message_user(
                request, f"{obj.name} will move {where} on {short_date(effective_date)}."
            )
        elif result.moved:
            obj.territory = target
            self.message_user(request, f"{obj.name} moved {where}.")

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(lambda request: function(self, request))

        return [
            path(
                "import/",
                view(admin_views.import_accounts),
                name="territories_account_import",
            ),
            path(
                "export/",
                view(admin_views.export_changelist),
                name="territories_account_export",
            ),
            path(
                "apply-rules/",
                view(admin_views.apply_rules_to_all),
                name="territories_account_apply_rules",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Assign to territory…", permissions=["change"])
    def assign_to_territory(self, request, queryset):
        return admin_views.assign_accounts(self, request, queryset)

    @admin.action(description="Apply assignment rules…", permissions=["change"])
    def apply_assignment_rules(self, request, queryset):
        return admin_views.apply_rules_to_selection(self, request, queryset)

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return admin_views.export_accounts(self, request, queryset)


# --- Assignment rules ---------------------------------------------------------------


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ServiceErrorsAsMessages, FormWithRequestMixin, TenantScopedAdmin):
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
            tenant=tenant_of(request, obj if change else None, form),
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
            obj.pk, obj.tenant = saved.pk, saved.tenant
            obj._state.adding, obj._state.db = False, saved._state.db


# --- Assignment history -------------------------------------------------------------


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
