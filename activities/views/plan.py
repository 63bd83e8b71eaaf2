"""The daily plan page and its actions (DESIGN 4.5).

Views parse and authorise, call one selector or service, and render. Who sees what:

- every member opens their own plan (``?date=YYYY-MM-DD``, today in the organisation's
  time zone by default) and works it: suggest, add, reorder, complete (and log the
  activity in the same step), dismiss, reopen;
- ``?member=<id>``: a manager reads the plan of someone in their reporting tree, an
  admin anyone's, read only; anyone else's id, another organisation's included, is a 404;
- a task's actions: a 404 unless the caller sees the task, a 403 when they see it but it
  is not theirs (only the member works their plan).

htmx gets the plan block back (``activities/_plan.html``), swapped in place; a plain form
is redirected to the plan page, so everything works without JavaScript. ``plan.js`` adds
drag and drop and Alt+↑/↓ on top of the "Move up"/"Move down" buttons.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from spm.inputs import EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.views import role_required
from territories.models import Account

from ..models import ActivityType, PlanTask
from ..selectors import plan as selectors
from ..services import plan as services

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)


# --- Parsing ------------------------------------------------------------------------------


def parse_date(value: str | None, *, default: dt.date) -> dt.date:
    """``YYYY-MM-DD``; ``default`` when absent; a 400 when malformed or out of range."""
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest("Give the date as YYYY-MM-DD.") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BadRequest("That date is outside the dates this application accepts.")
    return day


def parse_id(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    value = value.strip()
    if not value.isdigit() or not 0 < int(value) < 2**63:
        raise BadRequest("An id is a whole number.")
    return int(value)


def _plan_url(date: dt.date, member: Membership | None = None, viewer=None) -> str:
    query = {"date": date.isoformat()}
    if member is not None and viewer is not None and member.pk != viewer.pk:
        query["member"] = member.pk
    return f"{reverse('activities:plan')}?{urlencode(query)}"


def _messages_of(error: ValidationError) -> list[str]:
    return list(error.messages)  # By field or not, every message once.


# --- Rendering ----------------------------------------------------------------------------


def _context(
    tenant: Tenant,
    viewer: Membership,
    owner: Membership,
    date: dt.date,
    *,
    task_errors: dict[int, list[str]] | None = None,
    add_errors: dict[str, list[str]] | None = None,
    added: dict[str, str] | None = None,
    notice: str = "",
) -> dict:
    tasks = selectors.plan_tasks(tenant=tenant, member=owner, date=date)
    gap = next(
        (t for t in tasks if t.kind == PlanTask.Kind.TARGET_GAP and t.status == "open"), None
    )
    listed = [t for t in tasks if t is not gap]
    open_tasks = [t for t in listed if t.status == PlanTask.Status.OPEN]
    closed = [t for t in listed if t.status != PlanTask.Status.OPEN]
    own = owner.pk == viewer.pk
    types = selectors.activity_type_choices(tenant=tenant) if own else []
    today = tenant.today()
    return {
        "owner": owner,
        "own": own,
        "date": date,
        "today": today,
        "is_today": date == today,
        "previous_day": date - dt.timedelta(days=1),
        "next_day": date + dt.timedelta(days=1),
        "gap": gap,
        "open_tasks": open_tasks,
        "closed_tasks": closed,
        "done_count": sum(1 for t in tasks if t.status == PlanTask.Status.DONE),
        "kept_count": sum(1 for t in tasks if t.status != PlanTask.Status.DISMISSED),
        "types": types,
        "default_type": _default_type(types),
        "accounts": selectors.account_choices(tenant=tenant, member=owner, date=date)
        if own
        else [],
        "task_errors": task_errors or {},
        "add_errors": add_errors or {},
        "added": added or {},
        "notice": notice,
        "can_log": date <= today,
        "plan_url": _plan_url(date, owner, viewer),
        "members": selectors.plan_readers_choices(tenant=tenant, viewer=viewer),
    }


def _default_type(types: list[ActivityType]) -> ActivityType | None:
    """The type preselected when completing: a call, else the first selling type."""
    for activity_type in types:
        if activity_type.name.lower() == "call":
            return activity_type
    return next((t for t in types if t.is_selling), types[0] if types else None)


def _answer(request: HttpRequest, date: dt.date, **extra) -> HttpResponse:
    """The plan block for htmx; the plan page (a redirect) for a plain form."""
    tenant, member = request.tenant, request.membership
    if request.htmx:
        context = _context(tenant, member, member, date, **extra)
        status = 400 if extra.get("task_errors") or extra.get("add_errors") else 200
        return render(request, "activities/_plan.html", context, status=status)
    for problems in (extra.get("task_errors") or {}).values():
        for problem in problems:
            messages.error(request, problem)
    for problems in (extra.get("add_errors") or {}).values():
        for problem in problems:
            messages.error(request, problem)
    if extra.get("notice"):
        messages.success(request, extra["notice"])
    return redirect(_plan_url(date))


# --- The page -----------------------------------------------------------------------------


@role_required(*EVERYONE)
def plan(request: HttpRequest) -> HttpResponse:
    """A member's plan for a day: the gap to today's target on top, the ordered tasks,
    adding, completing (and logging) in one step, dismissing, reordering."""
    tenant, viewer = request.tenant, request.membership
    date = parse_date(request.GET.get("date"), default=tenant.today())
    owner = selectors.plan_owner(
        tenant=tenant, viewer=viewer, member_id=parse_id(request.GET.get("member"))
    )
    if owner is None:
        raise Http404("No such member.")
    return render(request, "activities/plan.html", _context(tenant, viewer, owner, date))


@role_required(*EVERYONE)
@require_POST
def plan_suggest(request: HttpRequest) -> HttpResponse:
    """Suggest the day's accounts and the gap line now (again: only what is new)."""
    tenant, member = request.tenant, request.membership
    date = parse_date(request.POST.get("date"), default=tenant.today())
    done = services.plan_suggest(tenant=tenant, member=member, date=date)
    if done.added:
        notice = f"{done.added} account{'s' if done.added != 1 else ''} suggested."
    else:
        notice = "Nothing new to suggest: your plan has the top accounts already."
    return _answer(request, date, notice=notice)


@role_required(*EVERYONE)
@require_POST
def plan_add(request: HttpRequest) -> HttpResponse:
    """Add a task by hand, with an account of one's territories if chosen."""
    tenant, member = request.tenant, request.membership
    date = parse_date(request.POST.get("date"), default=tenant.today())
    account_id = parse_id(request.POST.get("account"))
    account = None
    if account_id is not None:
        account = Account.objects.filter(tenant=tenant, pk=account_id).first()
        if account is None:
            return _answer(
                request,
                date,
                add_errors={"account": ["No such account in this organisation."]},
                added=request.POST.dict(),
            )
    try:
        task = services.plan_task_add(
            tenant=tenant,
            actor=member,
            member=member,
            date=date,
            title=request.POST.get("title", ""),
            account=account,
        )
    except ValidationError as error:
        return _answer(request, date, add_errors=error.message_dict, added=request.POST.dict())
    return _answer(request, date, notice=f"Added “{task.title}”.")


@role_required(*EVERYONE)
@require_POST
def plan_reorder(request: HttpRequest) -> HttpResponse:
    """Put one's open tasks of the day in a new order (``ids``, first to last): what
    drag and drop and Alt+↑/↓ send."""
    tenant, member = request.tenant, request.membership
    date = parse_date(request.POST.get("date"), default=tenant.today())
    try:
        services.plan_tasks_reorder(
            tenant=tenant, actor=member, member=member, date=date, ids=request.POST.getlist("ids")
        )
    except ValidationError as error:
        if request.headers.get("X-Requested-With") == "fetch":
            return HttpResponse(" ".join(_messages_of(error)), status=400)
        return _answer(request, date, task_errors={0: _messages_of(error)})
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)  # plan.js has the new order on screen already.
    return _answer(request, date)


def _task_or_404(request: HttpRequest, pk: int) -> PlanTask:
    task = selectors.visible_task(tenant=request.tenant, viewer=request.membership, task_id=pk)
    if task is None:
        raise Http404("No such task.")
    if task.member_id != request.membership.pk:
        raise PermissionDenied("Only the plan's own member can change it.")
    return task


@role_required(*EVERYONE)
@require_POST
def plan_task_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Move up" / "Move down" buttons (``direction`` up or down)."""
    task = _task_or_404(request, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        raise BadRequest("Move a task up or down.")
    try:
        services.plan_task_move(
            tenant=request.tenant,
            actor=request.membership,
            task=task,
            offset=-1 if direction == "up" else 1,
        )
    except ValidationError as error:
        return _answer(request, task.date, task_errors={task.pk: _messages_of(error)})
    return _answer(request, task.date)


@role_required(*EVERYONE)
@require_POST
def plan_task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done; "Complete and log" (``log``) logs its activity in the same step,
    with the chosen type and minutes."""
    tenant, member = request.tenant, request.membership
    task = _task_or_404(request, pk)
    log = request.POST.get("log") == "1"
    kind = None
    if log:
        type_id = parse_id(request.POST.get("type"))
        kind = ActivityType.objects.filter(tenant=tenant, pk=type_id).first() if type_id else None
    try:
        done = services.plan_task_complete(
            tenant=tenant,
            actor=member,
            task=task,
            log=log,
            type=kind,
            duration_minutes=request.POST.get("duration_minutes", ""),
        )
    except ValidationError as error:
        return _answer(request, task.date, task_errors={task.pk: _messages_of(error)})
    if done.activity is not None:
        notice = (
            f"Done: “{done.title}”, and {done.activity.type.name.lower()} of "
            f"{done.activity.duration_minutes} min logged."
        )
    else:
        notice = f"Done: “{done.title}”."
    return _answer(request, task.date, notice=notice)


@role_required(*EVERYONE)
@require_POST
def plan_task_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a task aside for the day."""
    task = _task_or_404(request, pk)
    try:
        services.plan_task_dismiss(tenant=request.tenant, actor=request.membership, task=task)
    except ValidationError as error:
        return _answer(request, task.date, task_errors={task.pk: _messages_of(error)})
    return _answer(request, task.date, notice=f"Set aside: “{task.title}”.")


@role_required(*EVERYONE)
@require_POST
def plan_task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a done or dismissed task again."""
    task = _task_or_404(request, pk)
    services.plan_task_reopen(tenant=request.tenant, actor=request.membership, task=task)
    return _answer(request, task.date, notice=f"Reopened: “{task.title}”.")
