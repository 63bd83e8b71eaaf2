"""The territory tree and who works each territory."""

from decimal import Decimal

from django.contrib import admin
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html

from spm.tenancy.admin_base import (
    TenantScopedAdmin,
    TenantScopedInline,
    adopt_saved,
    is_platform_superuser,
)
from spm.tenancy.models import Tenant

from ..forms import (
    TerritoryAdminForm,
    TerritoryMemberForm,
    TerritoryMemberFormSet,
    indented,
)
from ..models import (
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from ..selectors import territory_tree
from ..services import (
    territory_member_add,
    territory_member_end,
    territory_member_update,
    territory_save,
)
from .common import (
    list_date,
    money,
)


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
class TerritoryAdmin(TenantScopedAdmin):
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
            tenant=self.operating_tenant(request, obj if change else None, form),
            actor=request.user,
            territory=obj if change else None,
            name=obj.name,
            parent=obj.parent,
            description=obj.description,
            active=obj.active,
        )
        if not change:
            adopt_saved(obj, saved)

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
