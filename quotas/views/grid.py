"""The manager's quota grid: a reporting tree × the months of a fiscal year, one metric.

Views parse and authorise, call one service or selector, and render. Managers work on
their reporting tree (their own row is read-only: their manager sets it), admins on
everyone; reps get a 403. A member id outside what the viewer sees (another
organisation's, or outside a manager's tree) is a 404, and nothing is changed.

Every write goes through ``quotas.services``: a cell or a block of cells (typed, pasted,
filled right) through ``quotas_save_many`` with the version each cell read, so a stale
cell is answered with "changed by someone else" and the current value, never
overwritten. The browser posts with ``Accept: application/json`` and gets JSON (saved
cells, totals, or errors by cell); without the script the page is a plain form that
posts every cell and is redirected back, or shown again with its errors.
"""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from spm.tenancy.models import Role
from spm.tenancy.views import role_required

from .. import grid_csv
from ..forms import (
    CellsInvalid,
    CopyLastYearForm,
    GridImportForm,
    GridViewForm,
    PostedCell,
    SpreadForm,
    posted_cells,
    posted_ids,
)
from ..models import Metric, Quota, SeasonalityProfile
from ..selectors import grid as selectors
from ..services import (
    QuotaCell,
    QuotaCellsInvalid,
    quotas_copy_last_year,
    quotas_publish,
    quotas_save_many,
    quotas_spread_annual,
)

MANAGERS = (Role.ADMIN, Role.MANAGER)
BLANK_MESSAGE = "Enter 0 to set no quota for this month."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _view_of(request: HttpRequest, data) -> tuple[int, str]:
    """The year and metric asked for; a bad one is a 400."""
    tenant = request.tenant
    form = GridViewForm(data, default_year=selectors.fiscal_year_of(tenant, tenant.today()))
    if not form.is_valid():
        raise CellsInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return form.cleaned_data["year"], form.cleaned_data["metric"]


def _grid_url(year: int, metric: str, **extra) -> str:
    return f"{reverse('quotas:grid')}?{urlencode({'year': year, 'metric': metric, **extra})}"


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A malformed request (not a person's typing: a tampered or broken form): 400."""
    if _wants_json(request):
        return JsonResponse({"errors": {}, "message": message}, status=400)
    raise BadRequest(message)  # The project's 400 page.


def _page(request, grid: selectors.Grid, *, status: int = 200, **extra) -> HttpResponse:
    tenant = request.tenant
    years = selectors.year_choices(tenant)
    if grid.year not in dict(years):
        years = sorted([*years, (grid.year, grid.year_label)])
    context = {
        "grid": grid,
        "metric_label": Metric(grid.metric).label,
        "metric_choices": Metric.choices,
        "year_choices": years,
        "last_month": grid.months[-1],
        "import_form": extra.pop("import_form", None) or GridImportForm(),
        "copy_form": extra.pop("copy_form", None) or CopyLastYearForm(),
        "expand_all": request.GET.get("expand") == "all",
        **extra,
    }
    return render(request, "quotas/grid.html", context, status=status)


@role_required(*MANAGERS)
def grid(request: HttpRequest) -> HttpResponse:
    """The grid of the viewer's reporting tree (everyone's, for an admin)."""
    try:
        year, metric = _view_of(request, request.GET)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    return _page(
        request,
        selectors.quota_grid(
            tenant=request.tenant,
            viewer=request.membership,
            year=year,
            metric=metric,
            expand_all=request.GET.get("expand") == "all",
        ),
    )


# --- Saving cells ---------------------------------------------------------------------


def _changed(
    cells: list[PostedCell], current: dict[tuple[int, dt.date], Quota]
) -> tuple[list[PostedCell], dict[str, str]]:
    """The cells that change something, and errors for cleared ones.

    The plain form posts every cell: an empty cell without a quota, or one that shows
    the stored amount at the stored version, changes nothing.
    """
    changed, errors = [], {}
    for cell in cells:
        quota = current.get((cell.member_id, cell.month))
        if not cell.amount:
            if quota is not None:
                errors[cell.key] = BLANK_MESSAGE
            continue
        if quota is not None and cell.version in (None, quota.version):
            try:
                same = Decimal(cell.amount.replace(",", "")) == quota.amount
            except ArithmeticError:
                same = False
            if same:
                continue
        changed.append(cell)
    return changed, errors


def _errors_by_cell(invalid: QuotaCellsInvalid) -> tuple[dict[str, str], dict[str, dict]]:
    errors, stale = {}, {}
    for (member_id, month, _metric), fields in invalid.cells.items():
        key = selectors.cell_key(member_id, month)
        errors[key] = " ".join(message for messages in fields.values() for message in messages)
    for (member_id, month, _metric), quota in invalid.stale.items():
        key = selectors.cell_key(member_id, month)
        stale[key] = {"amount": str(quota.amount), "version": quota.version}
    return errors, stale


def _figures(grid: selectors.Grid, keys: set[str] | None = None) -> dict:
    """What the browser updates after a save: the cells (all, or ``keys``) and totals."""
    cells = {}
    teams = {}
    for row in grid.rows:
        for cell in row.cells:
            if keys is None or cell.key in keys:
                cells[cell.key] = {
                    "amount": None if cell.amount is None else str(cell.amount),
                    "version": cell.version or 0,
                    "quota": cell.quota_id,
                    "status": cell.status,
                    "effective": None
                    if cell.effective_amount is None
                    else str(cell.effective_amount),
                    "flagged": cell.flagged,
                    "ratio": None if cell.ratio is None else str(cell.ratio),
                }
        if row.is_team:
            teams[str(row.member_id)] = {
                "allocated": [str(cell.allocated) for cell in row.cells],
                "allocated_total": str(row.allocated_total),
            }
    return {
        "cells": cells,
        "rows": {str(row.member_id): str(row.total) for row in grid.rows},
        "teams": teams,
        "columns": [str(total) for total in grid.column_totals],
        "grand_total": str(grid.grand_total),
        "reps_counted": grid.reps_counted,
        "reps_achievable": grid.reps_achievable,
        "drafts": len(grid.draft_ids),
    }


@role_required(*MANAGERS)
@require_POST
def grid_save(request: HttpRequest) -> HttpResponse:
    """Save the posted cells, all or nothing (``quotas_save_many``).

    JSON answers: 200 with the saved cells and the new totals; 400 with ``errors`` by
    cell; 409 when a cell changed since the page read it, with ``stale`` holding its
    current amount and version (and nothing saved).
    """
    tenant, viewer = request.tenant, request.membership
    try:
        year, metric = _view_of(request, request.POST)
        months = selectors.fiscal_months(tenant, year)
        cells = posted_cells(request.POST, months=months, currency=tenant.currency)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    scope = selectors.grid_scope(tenant=tenant, viewer=viewer, months=months)
    if any(cell.member_id not in scope.people for cell in cells):
        raise Http404("No such member in your team.")
    current = selectors.quotas_by_cell(
        tenant=tenant, member_ids={c.member_id for c in cells}, months=months, metric=metric
    )
    changed, errors = _changed(cells, current)
    stale: dict[str, dict] = {}
    saved: list[Quota] = []
    if not errors and changed:
        try:
            saved = quotas_save_many(
                tenant=tenant,
                actor=viewer,
                cells=[
                    QuotaCell(c.member_id, c.month, metric, c.amount, version=c.version)
                    for c in changed
                ],
            )
        except QuotaCellsInvalid as invalid:
            errors, stale = _errors_by_cell(invalid)
    if not _wants_json(request):
        return _form_answer(request, year, metric, cells, errors, saved)

    grid = selectors.quota_grid(tenant=tenant, viewer=viewer, year=year, metric=metric)
    keys = {cell.key for cell in changed} | set(stale)
    body = _figures(grid, keys)
    if errors:
        body.update(errors=errors, stale=stale, message=_not_saved(len(errors)))
        return JsonResponse(body, status=409 if stale else 400)
    body["message"] = _saved(len(saved))
    return JsonResponse(body)


def _saved(count: int) -> str:
    return "Nothing to save." if not count else f"Saved {count} cell{'s' if count > 1 else ''}."


def _not_saved(count: int) -> str:
    cells = "cell needs" if count == 1 else "cells need"
    return f"Nothing was saved: {count} {cells} your attention."


def _form_answer(request, year, metric, cells, errors, saved) -> HttpResponse:
    """The plain form's answer: back to the grid, or the grid again with its errors."""
    if not errors:
        messages.success(request, _saved(len(saved)))
        return redirect(_grid_url(year, metric))
    grid = selectors.quota_grid(
        tenant=request.tenant, viewer=request.membership, year=year, metric=metric
    )
    typed = {cell.key: cell.amount for cell in cells}
    for row in grid.rows:
        for cell in row.cells:
            cell.typed = typed.get(cell.key)
            cell.error = errors.get(cell.key, "")
    return _page(request, grid, status=400, form_errors=_not_saved(len(errors)))


# --- Bulk actions ---------------------------------------------------------------------


def _editable_ids(request, data, year: int, metric: str) -> tuple[selectors.GridScope, list[int]]:
    """The posted ``member`` ids, each one the viewer may set (else a 404)."""
    months = selectors.fiscal_months(request.tenant, year)
    scope = selectors.grid_scope(tenant=request.tenant, viewer=request.membership, months=months)
    ids = posted_ids(data, "member")
    if any(member_id not in scope.editable for member_id in ids):
        raise Http404("No such member in your team.")
    return scope, ids


def _problems(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(m for messages in error.message_dict.values() for m in messages)
    return " ".join(error.messages)


def _bulk_answer(request, year, metric, *, done: str = "", problem: str = "") -> HttpResponse:
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect(_grid_url(year, metric))


@role_required(*MANAGERS)
@require_POST
def grid_publish(request: HttpRequest) -> HttpResponse:
    """Publish the drafts of the chosen rows, the chosen quotas, or every draft in view;
    the service tells each rep once."""
    tenant = request.tenant
    try:
        year, metric = _view_of(request, request.POST)
        scope, member_ids = _editable_ids(request, request.POST, year, metric)
        quota_ids = posted_ids(request.POST, "quota")
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    months = selectors.fiscal_months(tenant, year)
    in_view = selectors.quotas_by_cell(
        tenant=tenant, member_ids=scope.editable, months=months, metric=metric
    )
    drafts = {q.pk: q for q in in_view.values() if q.status == Quota.Status.DRAFT}
    if any(quota_id not in {q.pk for q in in_view.values()} for quota_id in quota_ids):
        raise Http404("No such quota in your team's grid.")
    if request.POST.get("all"):
        chosen = set(drafts)
    else:
        wanted = set(member_ids)
        chosen = {pk for pk, q in drafts.items() if q.member_id in wanted}
        chosen |= {pk for pk in quota_ids if pk in drafts}
    if not chosen:
        return _bulk_answer(
            request, year, metric, problem="Nothing to publish: choose rows with drafts."
        )
    try:
        count = quotas_publish(tenant=tenant, actor=request.membership, quota_ids=chosen)
    except (ValidationError, PermissionDenied) as error:
        problem = _problems(error) if isinstance(error, ValidationError) else str(error)
        return _bulk_answer(request, year, metric, problem=problem)
    people = len({drafts[pk].member_id for pk in chosen})
    return _bulk_answer(
        request,
        year,
        metric,
        done=f"Published {count} quota{'s' if count != 1 else ''}; "
        f"{people} {'person was' if people == 1 else 'people were'} notified.",
    )


@role_required(*MANAGERS)
@require_POST
def grid_copy_last_year(request: HttpRequest) -> HttpResponse:
    """Set the chosen rows (every editable row when none is chosen) to last year's
    amounts ± a percentage. Months without a quota last year are left alone."""
    tenant = request.tenant
    try:
        year, metric = _view_of(request, request.POST)
        scope, member_ids = _editable_ids(request, request.POST, year, metric)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    form = CopyLastYearForm(request.POST)
    if not form.is_valid():
        return _bulk_answer(request, year, metric, problem=_problems(ValidationError(form.errors)))
    try:
        copied = quotas_copy_last_year(
            tenant=tenant,
            actor=request.membership,
            member_ids=member_ids or sorted(scope.editable),
            fiscal_year_start=selectors.fiscal_months(tenant, year)[0],
            metric=metric,
            percent_change=form.cleaned_data["percent_change"],
        )
    except QuotaCellsInvalid as invalid:
        errors, _ = _errors_by_cell(invalid)
        return _bulk_answer(request, year, metric, problem=_not_saved(len(errors)))
    except ValidationError as error:
        return _bulk_answer(request, year, metric, problem=_problems(error))
    if not copied:
        return _bulk_answer(
            request, year, metric, problem="Last year has no quotas to copy for these rows."
        )
    return _bulk_answer(request, year, metric, done=f"Copied {len(copied)} quotas from last year.")


@role_required(*MANAGERS)
@require_POST
def grid_spread(request: HttpRequest) -> HttpResponse:
    """Spread one row's annual figure over the year by a seasonality profile (or evenly)."""
    tenant = request.tenant
    try:
        year, metric = _view_of(request, request.POST)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    form = SpreadForm(request.POST)
    if not form.is_valid():
        return _bulk_answer(request, year, metric, problem=_problems(ValidationError(form.errors)))
    months = selectors.fiscal_months(tenant, year)
    scope = selectors.grid_scope(tenant=tenant, viewer=request.membership, months=months)
    member_id = form.cleaned_data["member"]
    if member_id not in scope.editable:
        raise Http404("No such member in your team.")
    profile = None
    if form.cleaned_data["profile"]:
        profile = SeasonalityProfile.objects.filter(
            tenant=tenant, pk=form.cleaned_data["profile"]
        ).first()
        if profile is None:
            raise Http404("No such seasonality profile.")
    try:
        quotas_spread_annual(
            tenant=tenant,
            actor=request.membership,
            annuals={member_id: form.cleaned_data["annual"]},
            fiscal_year_start=months[0],
            metric=metric,
            profile=profile,
        )
    except QuotaCellsInvalid as invalid:
        errors, _ = _errors_by_cell(invalid)
        return _bulk_answer(request, year, metric, problem=" ".join(errors.values()))
    except ValidationError as error:
        return _bulk_answer(request, year, metric, problem=_problems(error))
    name = scope.people[member_id].name
    how = profile.name if profile else "evenly"
    return _bulk_answer(request, year, metric, done=f"Spread {name}'s annual figure ({how}).")


# --- CSV ------------------------------------------------------------------------------


@role_required(*MANAGERS)
def grid_export(request: HttpRequest) -> HttpResponse:
    """The grid as CSV: one row per person, one column per month."""
    try:
        year, metric = _view_of(request, request.GET)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    grid = selectors.quota_grid(
        tenant=request.tenant, viewer=request.membership, year=year, metric=metric
    )
    return grid_csv.grid_download(grid)


@role_required(*MANAGERS)
@require_POST
def grid_import(request: HttpRequest) -> HttpResponse:
    """Import a grid CSV: every cell is checked first; one bad cell imports nothing and
    the page names each bad cell's row and column."""
    tenant = request.tenant
    try:
        year, metric = _view_of(request, request.POST)
    except CellsInvalid as invalid:
        return _bad_request(request, str(invalid))
    form = GridImportForm(request.POST, request.FILES)
    grid = selectors.quota_grid(tenant=tenant, viewer=request.membership, year=year, metric=metric)
    if not form.is_valid():
        return _page(request, grid, status=400, import_form=form)
    try:
        count = grid_csv.grid_import(
            grid=grid, actor=request.membership, data=form.cleaned_data["file"].read()
        )
    except grid_csv.ImportRejected as rejected:
        return _page(request, grid, status=400, import_form=form, import_errors=rejected.errors)
    messages.success(
        request,
        f"Imported {count} quota{'s' if count != 1 else ''}."
        if count
        else "The file changes nothing.",
    )
    return redirect(_grid_url(year, metric))
