"""The rep's Day page, the week view, and the few endpoints the Day page's form calls.

Views parse and authorise, call one selector or service, and render. Who sees what:

- every member opens their own day and week and logs, changes and deletes their own
  activities there;
- ``?member=<id>``: a manager opens the day and week of someone in their reporting tree,
  read only; an admin anyone's in the organisation, and may change or delete their
  activities (a correction), not log new ones for them. Anyone else's id, another
  organisation's included, is a 404;
- one activity's edit and delete pages: a 404 unless the caller sees the activity; a 403
  when they see it but may not change it (a manager and their report's).

Dates are ``YYYY-MM-DD`` in the query string (today in the organisation's time zone by
default); a malformed one is a 400. Writes go through ``activity_create``,
``activity_update`` and ``activity_delete``; their messages are shown beside the fields.
htmx gets fragments back (the form, the row, the bar and the list, swapped in place); a
plain form is redirected to the Day page, so everything works without JavaScript.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spm.inputs import EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Role
from spm.tenancy.versioning import StaleVersion
from spm.tenancy.views import role_required

from ..forms import ActivityForm
from ..models import Activity
from ..selectors import day as selectors
from ..services import activity_create, activity_delete, activity_update, may_write

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)
STALE_EDIT = (
    "This activity was changed since you opened it: these are its values now. "
    "Change them again if you still need to, then save."
)
STALE_DELETE = "This activity was changed since you opened it: check it, then delete it again."


# --- Parsing -----------------------------------------------------------------------------


def parse_day(value: str | None, *, default: dt.date) -> dt.date:
    """``YYYY-MM-DD``; ``default`` when absent; a 400 when malformed or out of range."""
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest("Give the date as YYYY-MM-DD.") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BadRequest("That date is outside the dates the application accepts.")
    return day


def parse_member(request: HttpRequest, value: str | None) -> Membership:
    """The member whose day is asked for (the caller by default); a 404 for anyone the
    caller may not see, a 400 for an id that is not one."""
    value = (value or "").strip()
    if value and not (value.isdigit() and len(value) < 19):
        raise BadRequest("Choose a member by id.")
    member = selectors.viewed_member(
        tenant=request.tenant, viewer=request.membership, member_id=int(value) if value else None
    )
    if member is None:
        raise Http404("No such member among those you see.")
    return member


def day_url(day: dt.date, member: Membership, viewer: Membership, name: str = "activities:day"):
    query = {"date": day.isoformat()}
    if member.pk != viewer.pk:
        query["member"] = str(member.pk)
    return f"{reverse(name)}?{urlencode(query)}"


# --- Context -----------------------------------------------------------------------------


def _form_context(request, member: Membership, day: dt.date, form: ActivityForm | None = None):
    """The log form: blank (type buttons, presets, the member's own accounts to choose
    from) or as posted, with its messages."""
    tenant = request.tenant
    types = selectors.active_types(tenant=tenant)
    if form is None:
        form = ActivityForm(tenant=tenant, types=types, initial={"date": day.isoformat()})
    chosen_account = None
    if form.is_bound:
        chosen_account = selectors.account_of(tenant=tenant, account_id=form.data.get("account"))
    options = selectors.account_options(tenant=tenant, member=member, text="", day=day)
    warning = None
    kind = form.chosen_type
    if chosen_account is not None and (kind is None or kind.is_selling):
        warning = selectors.account_warning(
            tenant=tenant, member=member, account=chosen_account, day=day
        )
    return {
        "form": form,
        "types": types,
        "presets": selectors.DURATION_PRESETS,
        "chosen_type": kind,
        "chosen_account": chosen_account,
        "options": [o for o in options if chosen_account is None or o.account != chosen_account],
        "warning": warning,
    }


def _day_context(request, member: Membership, day: dt.date, form: ActivityForm | None = None):
    tenant, viewer = request.tenant, request.membership
    today = tenant.today()
    the_day = selectors.member_day(tenant=tenant, member=member, day=day)
    is_own = member.pk == viewer.pk
    context = {
        "the_day": the_day,
        "day": day,
        "today": today,
        "member": member,
        "is_own": is_own,
        # Everyone logs their own day; nobody logs a new activity for someone else.
        "can_log": is_own and day <= today,
        # Admins correct anyone's activities; managers only read their report's.
        "can_correct": may_write(viewer, member.pk),
        "previous_url": day_url(day - dt.timedelta(days=1), member, viewer),
        "next_url": day_url(day + dt.timedelta(days=1), member, viewer) if day < today else "",
        "today_url": day_url(today, member, viewer) if day != today else "",
        "week_url": day_url(day, member, viewer, "activities:week"),
        "member_query": "" if is_own else str(member.pk),
    }
    if context["can_log"]:
        context |= _form_context(request, member, day, form)
    return context


# --- The Day page --------------------------------------------------------------------------


@role_required(*EVERYONE)
@require_GET
def day(request: HttpRequest) -> HttpResponse:
    """A member's day: its activities, the selling-time bar and the log form."""
    member = parse_member(request, request.GET.get("member"))
    the_day = parse_day(request.GET.get("date"), default=request.tenant.today())
    return render(request, "activities/day.html", _day_context(request, member, the_day))


@role_required(*EVERYONE)
@require_POST
def log(request: HttpRequest) -> HttpResponse:
    """Log one of one's own activities. htmx gets the form back (blank after a save, with
    the messages otherwise) and the new list and bar beside it; a plain form is redirected
    to the Day page, or shown again with its messages."""
    tenant, viewer = request.tenant, request.membership
    today = tenant.today()
    try:  # The page to show again: the day posted (a bad one is the service's to name).
        the_day = min(parse_day(request.POST.get("date"), default=today), today)
    except BadRequest:
        the_day = today
    form = ActivityForm(request.POST, tenant=tenant, types=selectors.active_types(tenant=tenant))
    saved = None
    # Every field is optional text and the service checks the values; only text that is no
    # text at all (a NUL character) stops here, with the form's message.
    if form.is_valid():
        try:
            saved = activity_create(tenant=tenant, actor=viewer, member=viewer, **form.values())
        except ValidationError as error:
            form.show(error)
    if saved is not None and not request.htmx:
        messages.success(
            request, f"Logged {saved.type.name.lower()}, {saved.duration_minutes} min."
        )
        return redirect(day_url(saved.date, viewer, viewer))
    if saved is not None:
        form = None  # A blank form for the next one.
    context = _day_context(request, viewer, the_day, form)
    context["saved"] = saved
    if request.htmx:
        return render(request, "activities/_day_logged.html", context)
    return render(request, "activities/day.html", context, status=400)


# --- One activity: change or delete ---------------------------------------------------------


def _activity_for_change(request: HttpRequest, pk: int) -> Activity:
    activity = selectors.visible_activity(
        tenant=request.tenant, viewer=request.membership, activity_id=pk
    )
    if activity is None:
        raise Http404("No such activity.")
    if not may_write(request.membership, activity.member_id):
        raise PermissionDenied("Only its member, or an admin correcting it, may change it.")
    return activity


def _edit_form(request, activity: Activity, data=None) -> ActivityForm:
    types = selectors.active_types(tenant=request.tenant)
    if activity.type not in types:
        types.append(activity.type)  # An activity keeps an inactive type it had.
    initial = {
        "type": str(activity.type_id),
        "date": activity.date.isoformat(),
        "duration_minutes": str(activity.duration_minutes),
        "account": str(activity.account_id or ""),
        "notes": activity.notes,
        "version": str(activity.version),
    }
    return ActivityForm(data, tenant=request.tenant, types=types, initial=initial)


def _edit_context(request, activity: Activity, form: ActivityForm, page_day: dt.date, **extra):
    tenant = request.tenant
    chosen = activity.account
    if form.is_bound:
        chosen = selectors.account_of(tenant=tenant, account_id=form.data.get("account"))
    options = selectors.account_options(
        tenant=tenant, member=activity.member, text="", day=activity.date
    )
    return {
        "activity": activity,
        "form": form,
        "types": form.types.values(),
        "presets": selectors.DURATION_PRESETS,
        "chosen_account": chosen,
        "options": [o for o in options if chosen is None or o.account != chosen],
        "page_day": page_day,
        "member_query": ""
        if activity.member_id == request.membership.pk
        else str(activity.member_id),
        "back_url": day_url(page_day, activity.member, request.membership),
        **extra,
    }


def _row_context(request, activity: Activity, page_day: dt.date) -> dict:
    activity.encroachment = None
    if activity.account_id is not None and activity.type.is_selling:
        activity.encroachment = selectors.account_warning(
            tenant=request.tenant,
            member=activity.member,
            account=activity.account,
            day=activity.date,
        )
    return {
        "activity": activity,
        "can_correct": True,
        "page_day": page_day,
        "member_query": ""
        if activity.member_id == request.membership.pk
        else str(activity.member_id),
    }


def _changed_answer(request, activity: Activity | None, page_day: dt.date, member: Membership):
    """htmx's answer to a change or a deletion: the row (none when it left the day) and,
    out of band, the day's new bar."""
    context = {
        "bar": selectors.day_bar(tenant=request.tenant, member=member, day=page_day),
        "activity": None,
    }
    if activity is not None and activity.date == page_day:
        context |= _row_context(request, activity, page_day)
    return render(request, "activities/_row_changed.html", context)


def _gone(request, page_day: dt.date, member: Membership) -> HttpResponse:
    """The activity was deleted meanwhile (in another tab, by an admin): its row goes."""
    if request.htmx:
        return _changed_answer(request, None, page_day, member)
    messages.info(request, "That activity was deleted meanwhile.")
    return redirect(day_url(page_day, member, request.membership))


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one activity in place (htmx swaps its row for the form and back) or on a page
    of its own; a stale version shows the activity's current values instead."""
    tenant, viewer = request.tenant, request.membership
    activity = _activity_for_change(request, pk)
    page_day = parse_day(request.GET.get("day") or request.POST.get("day"), default=activity.date)
    if request.method == "GET":
        if request.GET.get("show") == "row":  # Cancelled: the row as it was.
            return render(
                request, "activities/_day_row.html", _row_context(request, activity, page_day)
            )
        template = "activities/_row_edit.html" if request.htmx else "activities/activity_edit.html"
        return render(
            request,
            template,
            _edit_context(request, activity, _edit_form(request, activity), page_day),
        )

    form = _edit_form(request, activity, request.POST)
    template = "activities/_row_edit.html" if request.htmx else "activities/activity_edit.html"
    if not form.is_valid():  # A NUL character; the service checks everything else.
        context = _edit_context(request, activity, form, page_day)
        return render(request, template, context, status=200 if request.htmx else 400)
    try:
        saved = activity_update(
            tenant=tenant,
            actor=viewer,
            activity=activity,
            version=form.version_seen(),
            **form.values(),
        )
    except Activity.DoesNotExist:
        return _gone(request, page_day, activity.member)
    except StaleVersion as stale:
        current = selectors.visible_activity(
            tenant=tenant, viewer=viewer, activity_id=stale.current.pk
        )
        form = _edit_form(request, current)
        context = _edit_context(request, current, form, page_day, stale=STALE_EDIT)
        return render(request, template, context, status=200 if request.htmx else 409)
    except ValidationError as error:
        form.show(error)
        context = _edit_context(request, activity, form, page_day)
        return render(request, template, context, status=200 if request.htmx else 400)
    if request.htmx:
        saved = selectors.visible_activity(tenant=tenant, viewer=viewer, activity_id=saved.pk)
        return _changed_answer(request, saved, page_day, activity.member)
    messages.success(request, "Activity saved.")
    return redirect(day_url(saved.date, activity.member, viewer))


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one activity, after asking (in its row with htmx, on a page without)."""
    tenant, viewer = request.tenant, request.membership
    activity = _activity_for_change(request, pk)
    page_day = parse_day(request.GET.get("day") or request.POST.get("day"), default=activity.date)
    context = {
        "activity": activity,
        "page_day": page_day,
        "member_query": "" if activity.member_id == viewer.pk else str(activity.member_id),
        "back_url": day_url(page_day, activity.member, viewer),
    }
    if request.method == "GET":
        template = (
            "activities/_row_delete.html" if request.htmx else "activities/activity_delete.html"
        )
        return render(request, template, context)
    version = request.POST.get("version", "").strip()
    try:
        activity_delete(
            tenant=tenant,
            actor=viewer,
            activity=activity,
            version=int(version) if version.isdigit() and len(version) < 10 else None,
        )
    except Activity.DoesNotExist:
        return _gone(request, page_day, activity.member)
    except StaleVersion:
        current = selectors.visible_activity(tenant=tenant, viewer=viewer, activity_id=activity.pk)
        context |= {"activity": current, "stale": STALE_DELETE}
        template = (
            "activities/_row_delete.html" if request.htmx else "activities/activity_delete.html"
        )
        return render(request, template, context, status=200 if request.htmx else 409)
    if request.htmx:
        return _changed_answer(request, None, page_day, activity.member)
    messages.success(request, "Activity deleted.")
    return redirect(day_url(page_day, activity.member, viewer))


# --- The form's helpers: accounts and the encroachment warning -----------------------------


@role_required(*EVERYONE)
@require_GET
def account_search(request: HttpRequest) -> HttpResponse:
    """The accounts matching ``q`` as ``<option>``s: the member's own first, then any of
    the organisation's by name or external id; at most ``ACCOUNT_OPTIONS``."""
    member = parse_member(request, request.GET.get("member"))
    the_day = parse_day(request.GET.get("date"), default=request.tenant.today())
    text = request.GET.get("q", "")
    options = selectors.account_options(
        tenant=request.tenant, member=member, text=text, day=the_day
    )
    return render(
        request,
        "activities/_account_options.html",
        {"options": options, "text": text.strip(), "chosen_account": None},
    )


@role_required(*EVERYONE)
@require_GET
def account_warning(request: HttpRequest) -> HttpResponse:
    """Whether logging a selling activity on ``account`` would show as encroachment: the
    account's territory and its owner, before saving. Nothing for no account, one in the
    member's territories, or a non-selling type."""
    tenant = request.tenant
    member = parse_member(request, request.GET.get("member"))
    the_day = parse_day(request.GET.get("date"), default=tenant.today())
    account = selectors.account_of(tenant=tenant, account_id=request.GET.get("account"))
    types = {str(kind.pk): kind for kind in selectors.active_types(tenant=tenant)}
    kind = types.get(request.GET.get("type", ""))
    warning = None
    if account is not None and (kind is None or kind.is_selling):
        warning = selectors.account_warning(
            tenant=tenant, member=member, account=account, day=the_day
        )
    return render(request, "activities/_account_warning.html", {"warning": warning})


# --- The week --------------------------------------------------------------------------------


@role_required(*EVERYONE)
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    """A member's ISO week: each day's minutes and selling ratio, and the week's."""
    tenant, viewer = request.tenant, request.membership
    member = parse_member(request, request.GET.get("member"))
    today = tenant.today()
    the_day = parse_day(request.GET.get("date"), default=today)
    the_week = selectors.member_week(tenant=tenant, member=member, day=the_day)
    days = [(bar, day_url(bar.start, member, viewer)) for bar in the_week.days]
    return render(
        request,
        "activities/week.html",
        {
            "week": the_week,
            "days": days,
            "member": member,
            "is_own": member.pk == viewer.pk,
            "today": today,
            "previous_url": day_url(the_week.previous, member, viewer, "activities:week"),
            "next_url": (
                day_url(the_week.next, member, viewer, "activities:week")
                if the_week.next <= today
                else ""
            ),
            "this_week_url": (
                day_url(today, member, viewer, "activities:week")
                if not the_week.start <= today <= the_week.end
                else ""
            ),
            "day_url": day_url(the_day if the_day <= today else today, member, viewer),
        },
    )
