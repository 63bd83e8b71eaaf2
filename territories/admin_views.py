"""The account admin's own pages: the intermediate page of “Assign to territory…”,
the preview-then-apply pages of the assignment rules, and CSV export (the import has
pages of its own: ``admin/imports.py``).

Each function is called by ``AccountAdmin`` (an action or a custom admin URL) with the
model admin and the request; it parses the input, calls one service, and reports
with a message. The organisation is the admin's own; the platform superuser works on
the organisation of the selected accounts, or the one chosen in the form.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from spm.tenancy.admin_base import is_platform_superuser
from spm.tenancy.context import carried
from spm.tenancy.models import Tenant

from . import rules as engine
from .csv_io import accounts_export
from .forms import AccountsAssignForm, RulesApplyForm
from .models import Account, Territory
from .services import accounts_assign, assignment_rules_apply, assignment_rules_preview

# The intermediate pages name this many accounts, then say how many more there are.
SHOWN = 20
# The rules preview lists at most this many moves and conflicts; the counts cover all.
PREVIEW_ROWS = 200


def _plural(count: int, word: str = "account") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _short_date(day) -> str:
    return f"{day.day} {day:%b %Y}"


def _context(model_admin, request: HttpRequest, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        **extra,
    }


def _selection_tenant(model_admin, request: HttpRequest, queryset: QuerySet) -> Tenant | None:
    """The organisation of the selected accounts (the platform superuser may select any)."""
    if not is_platform_superuser(request):
        return request.tenant
    tenant_ids = list(queryset.order_by().values_list("tenant_id", flat=True).distinct()[:2])
    if len(tenant_ids) != 1:
        model_admin.message_user(
            request, "Select accounts of one organisation at a time.", messages.WARNING
        )
        return None
    return Tenant.objects.get(pk=tenant_ids[0])


def _selection_fields(request: HttpRequest) -> dict:
    """What the intermediate page posts back so the admin finds the same selection."""
    return {
        "action": request.POST.get("action", ""),
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }


def _selection_summary(queryset: QuerySet) -> dict:
    count = queryset.count()
    names = list(queryset.values_list("name", flat=True)[:SHOWN])
    return {"count": count, "names": names, "more": max(count - len(names), 0)}


# --- Assign to territory… -----------------------------------------------------------


def assign_accounts(model_admin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """The “Assign to territory…” action: choose a territory and a date, then move."""
    tenant = _selection_tenant(model_admin, request, queryset)
    if tenant is None:
        return None
    if "confirm" in request.POST:
        form = AccountsAssignForm(request.POST, tenant=tenant)
        if form.is_valid():
            territory = form.cleaned_data["territory"]
            effective_date = form.cleaned_data["effective_date"]
            try:
                result = accounts_assign(
                    tenant=tenant,
                    actor=request.user,
                    account_ids=list(queryset.values_list("pk", flat=True)),
                    territory=territory,
                    effective_date=effective_date,
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                _report_assignment(model_admin, request, result, territory, effective_date)
                return None
    else:
        form = AccountsAssignForm(tenant=tenant)
    return TemplateResponse(
        request,
        "admin/territories/assign_accounts.html",
        _context(
            model_admin,
            request,
            "Assign accounts to a territory",
            form=form,
            tenant=tenant,
            selection=_selection_summary(queryset),
            **_selection_fields(request),
        ),
    )


def _report_assignment(model_admin, request, result, territory: Territory | None, day) -> None:
    where = f"to {territory.name}" if territory else "out of their territory"
    place = f"in {territory.name}" if territory else "unassigned"
    if result.moved:
        text = f"{_plural(result.moved)} moved {where}."
    elif result.scheduled:
        text = f"{_plural(result.scheduled)} will move {where} on {_short_date(day)}."
    else:
        model_admin.message_user(
            request, f"Nothing changed: the selected accounts were already {place}.", messages.INFO
        )
        return
    if result.unchanged:
        text += f" {_plural(result.unchanged)} {'was' if result.unchanged == 1 else 'were'} already {place}."
    model_admin.message_user(request, text, messages.SUCCESS)


# --- Assignment rules ---------------------------------------------------------------


@dataclass
class PlanRow:
    account: str
    from_name: str
    to_name: str


@dataclass
class ConflictRow:
    account: str
    territories: str


def _plan_context(tenant: Tenant, plan: engine.Plan) -> dict:
    """Names for the first moves and conflicts of ``plan`` (two queries)."""
    moves, conflicts = plan.moves[:PREVIEW_ROWS], plan.conflicts[:PREVIEW_ROWS]
    ids = {account_id for account_id, *_ in moves} | {account_id for account_id, _ in conflicts}
    names = dict(
        Account.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name") if ids else []
    )
    territories = dict(Territory.objects.filter(tenant=tenant).values_list("pk", "name"))

    def territory(pk: int | None) -> str:
        return territories.get(pk, "—") if pk is not None else "(unassigned)"

    return {
        "plan": plan,
        "move_rows": [
            PlanRow(names.get(account_id, "?"), territory(old), territory(new))
            for account_id, old, new in moves
        ],
        "conflict_rows": [
            ConflictRow(names.get(account_id, "?"), ", ".join(territory(t) for t in ids))
            for account_id, ids in conflicts
        ],
        "more_moves": len(plan.moves) - len(moves),
        "more_conflicts": len(plan.conflicts) - len(conflicts),
    }


def _report_rules(model_admin, request, plan: engine.Plan) -> None:
    text = f"Assignment rules applied: {_plural(len(plan.moves))} moved."
    if plan.conflicts:
        text += (
            f" {_plural(len(plan.conflicts))} matched rules of two territories at the same "
            "priority and stayed where they were (listed below)."
        )
    model_admin.message_user(
        request, text, messages.WARNING if plan.conflicts else messages.SUCCESS
    )


def _render_plan(model_admin, request, tenant, plan, *, applied: bool, scope: str, **extra):
    title = "Assignment rules applied" if applied else "Preview: apply assignment rules"
    return TemplateResponse(
        request,
        "admin/territories/rules_preview.html",
        _context(
            model_admin,
            request,
            title,
            tenant=tenant,
            applied=applied,
            scope=scope,
            changelist_url=reverse("admin:territories_account_changelist"),
            **_plan_context(tenant, plan),
            **extra,
        ),
    )


def apply_rules_to_selection(
    model_admin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """The “Apply assignment rules…” action: a preview, then apply on confirmation."""
    tenant = _selection_tenant(model_admin, request, queryset)
    if tenant is None:
        return None
    account_ids = queryset.values("pk")
    scope = f"the {_plural(queryset.count(), 'selected account')}"
    if "apply" in request.POST:
        plan = assignment_rules_apply(tenant=tenant, actor=request.user, account_ids=account_ids)
        _report_rules(model_admin, request, plan)
        if not plan.conflicts:
            return None
        return _render_plan(model_admin, request, tenant, plan, applied=True, scope=scope)
    plan = assignment_rules_preview(tenant=tenant, account_ids=account_ids)
    return _render_plan(
        model_admin,
        request,
        tenant,
        plan,
        applied=False,
        scope=scope,
        **_selection_fields(request),
    )


def apply_rules_to_all(model_admin, request: HttpRequest) -> HttpResponse:
    """“Apply rules to all accounts…”: choose the scope, preview, then apply."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    platform = is_platform_superuser(request)
    data = request.POST if request.method == "POST" else request.GET
    submitted = request.method == "POST" or "preview" in request.GET
    form = RulesApplyForm(data if submitted else None, platform=platform)
    if not (submitted and form.is_valid()):
        return TemplateResponse(
            request,
            "admin/territories/rules_apply_all.html",
            _context(model_admin, request, "Apply assignment rules to all accounts", form=form),
        )
    tenant = form.cleaned_data["tenant"] if platform else request.tenant
    only_unassigned = form.cleaned_data["only_unassigned"]
    scope = "all unassigned accounts" if only_unassigned else "all accounts"
    if request.method == "POST":
        plan = assignment_rules_apply(
            tenant=tenant, actor=request.user, only_unassigned=only_unassigned
        )
        _report_rules(model_admin, request, plan)
        if not plan.conflicts:
            return HttpResponseRedirect(reverse("admin:territories_account_changelist"))
        return _render_plan(model_admin, request, tenant, plan, applied=True, scope=scope)
    plan = assignment_rules_preview(tenant=tenant, only_unassigned=only_unassigned)
    return _render_plan(
        model_admin,
        request,
        tenant,
        plan,
        applied=False,
        scope=scope,
        apply_all=True,
        only_unassigned=only_unassigned,
        chosen_tenant=tenant if platform else None,
    )


# --- CSV ------------------------------------------------------------------------------


def _csv_response(accounts: QuerySet, name: str) -> StreamingHttpResponse:
    rows = accounts.select_related("territory").order_by("name", "pk").iterator(chunk_size=2000)
    # Read as the server streams it, after the view has left the organisation's context.
    response = StreamingHttpResponse(
        carried(accounts_export(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _export_name(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    today = tenant.today() if tenant else None
    slug = tenant.slug if tenant and not is_platform_superuser(request) else "all"
    return f"accounts-{slug}-{today:%Y-%m-%d}" if today else f"accounts-{slug}"


def export_accounts(model_admin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    """The “Export selected to CSV” action."""
    return _csv_response(queryset, _export_name(request))


def export_changelist(model_admin, request: HttpRequest) -> HttpResponse:
    """The “Export CSV” button: the account list as filtered and searched on screen."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    changelist = model_admin.get_changelist_instance(request)
    return _csv_response(changelist.get_queryset(request), _export_name(request))
