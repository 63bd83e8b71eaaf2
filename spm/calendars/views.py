"""The Calendar pages: the organisation's holidays and its people's time off.

Admins manage holidays and everyone's time off; managers read holidays and manage the
time off of their reporting tree (and their own); reps read holidays and their own
time off. Another organisation's rows, and time off outside what the viewer may see,
are 404. The inline holiday form and the delete buttons use htmx when it is there and
fall back to ordinary pages and redirects when it is not.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import push_url

from spm.inputs import EARLIEST_DATE, LATEST_DATE
from spm.tenancy.forms import add_service_errors
from spm.tenancy.models import Membership, Role
from spm.tenancy.selectors import visible_member_ids, visible_members

from . import services
from .forms import HolidayForm, TimeOffForm
from .models import Holiday, TimeOff
from .selectors import holiday_dates, holiday_list, tenant_work_days_between, time_off_list
from .services import readable_date

# A page of time off stays short enough to scan; its rows cost a fixed number of queries.
TIME_OFF_PAGE_SIZE = 50
FIRST_YEAR, LAST_YEAR = EARLIEST_DATE.year, LATEST_DATE.year


def _membership(request: HttpRequest) -> Membership:
    if request.membership is None:
        raise PermissionDenied("Join an organisation to see its calendar.")
    return request.membership


def _require_admin(request: HttpRequest) -> Membership:
    membership = _membership(request)
    if membership.role != Role.ADMIN:
        raise PermissionDenied("Only admins manage holidays.")
    return membership


def _require_time_off_manager(request: HttpRequest) -> Membership:
    membership = _membership(request)
    if membership.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("Ask your manager or an admin to record time off.")
    return membership


def _year(request: HttpRequest) -> int:
    """The year asked for (``?year=`` or a posted ``year``), else this year where the tenant is."""
    raw = request.POST.get("year") or request.GET.get("year")
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return request.tenant.today().year
    return year if FIRST_YEAR <= year <= LAST_YEAR else request.tenant.today().year


def _index_url(**params) -> str:
    query = urlencode({name: value for name, value in params.items() if value})
    return reverse("calendars:index") + (f"?{query}" if query else "")


def _get_holiday(request: HttpRequest, pk: int) -> Holiday:
    return get_object_or_404(holiday_list(tenant=request.tenant), pk=pk)


def _get_time_off(request: HttpRequest, membership: Membership, pk: int) -> TimeOff:
    """Time off the viewer may see; anything else (another tenant's, outside the tree) is 404."""
    member_ids = visible_member_ids(tenant=request.tenant, viewer=membership)
    return get_object_or_404(time_off_list(tenant=request.tenant, member_ids=member_ids), pk=pk)


# --- Holidays -------------------------------------------------------------------------


def _holidays_context(
    request: HttpRequest, *, year: int, form: HolidayForm | None = None, notice: str = ""
) -> dict:
    membership = _membership(request)
    can_manage = membership.role == Role.ADMIN
    return {
        "year": year,
        "today": request.tenant.today(),
        "holidays": list(
            holiday_list(
                tenant=request.tenant, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
            )
        ),
        "can_manage_holidays": can_manage,
        "holiday_form": (form or HolidayForm()) if can_manage else None,
        "notice": notice,
    }


def _holidays_section(request: HttpRequest, *, year: int, **context) -> HttpResponse:
    return render(
        request, "calendars/_holidays.html", _holidays_context(request, year=year, **context)
    )


@login_required
@require_http_methods(["GET", "POST"])
def holiday_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    year = _year(request)
    form = HolidayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            holiday = services.holiday_create(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            notice = f"Added {holiday.name} on {readable_date(holiday.date)}."
            if request.htmx:
                # Show the year the new holiday is in, and keep the address bar in step.
                response = _holidays_section(request, year=holiday.date.year, notice=notice)
                return push_url(response, _index_url(year=holiday.date.year))
            messages.success(request, notice)
            return redirect(_index_url(year=holiday.date.year))
    if request.htmx:
        return _holidays_section(request, year=year, form=form)
    return render(request, "calendars/holiday_form.html", {"form": form, "year": year})


@login_required
@require_http_methods(["GET", "POST"])
def holiday_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    holiday = _get_holiday(request, pk)
    if request.method == "POST":
        form = HolidayForm(request.POST)
        if form.is_valid():
            try:
                services.holiday_update(
                    tenant=request.tenant, actor=request.user, holiday=holiday, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Saved {holiday.name} ({readable_date(holiday.date)}).")
                return redirect(_index_url(year=holiday.date.year))
    else:
        form = HolidayForm(initial={"date": holiday.date, "name": holiday.name})
    return render(
        request,
        "calendars/holiday_form.html",
        {"form": form, "holiday": holiday, "year": holiday.date.year},
    )


@login_required
@require_http_methods(["GET", "POST"])
def holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    holiday = _get_holiday(request, pk)
    if request.method == "POST":
        services.holiday_delete(tenant=request.tenant, actor=request.user, holiday=holiday)
        notice = f"Deleted {holiday.name} ({readable_date(holiday.date)})."
        if request.htmx:
            return _holidays_section(request, year=holiday.date.year, notice=notice)
        messages.success(request, notice)
        return redirect(_index_url(year=holiday.date.year))
    return render(request, "calendars/holiday_confirm_delete.html", {"holiday": holiday})


# --- The Calendar page ---------------------------------------------------------------------


def _time_off_rows(request: HttpRequest, time_off: list[TimeOff]) -> list[dict]:
    """Each range with its count of work days and where it stands relative to today.

    One query reads the holidays under every listed range, whatever the number of rows.
    """
    if not time_off:
        return []
    tenant, today = request.tenant, request.tenant.today()
    holidays = holiday_dates(
        tenant=tenant,
        start=min(item.start for item in time_off),
        end=max(item.end for item in time_off),
    )
    rows = []
    for item in time_off:
        work_days = tenant_work_days_between(
            tenant=tenant, start=item.start, end=item.end, holidays=holidays
        )
        if item.end < today:
            status = "past"
        elif item.start <= today:
            status = "now"
        else:
            status = "upcoming"
        rows.append({"time_off": item, "work_days": len(work_days), "status": status})
    return rows


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    tenant = request.tenant
    year = _year(request)
    can_manage_time_off = membership.role in (Role.ADMIN, Role.MANAGER)

    members: list[Membership] = []
    selected_member: Membership | None = None
    member_ids: set[int] | None = {membership.pk}
    if can_manage_time_off:
        # The people listed in the filter are exactly those whose time off the viewer sees.
        members = list(visible_members(tenant=tenant, viewer=membership))
        member_ids = None if membership.role == Role.ADMIN else {m.pk for m in members}
        raw_member = request.GET.get("member")
        if raw_member:
            selected_member = next((m for m in members if str(m.pk) == raw_member), None)
            if selected_member is None:  # Unknown, another tenant's, or outside the tree.
                raise Http404("No such member.")
            member_ids = {selected_member.pk}

    time_off = time_off_list(
        tenant=tenant, member_ids=member_ids, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
    )
    page = Paginator(time_off, TIME_OFF_PAGE_SIZE).get_page(request.GET.get("page"))
    member_param = selected_member.pk if selected_member else None
    context = {
        **_holidays_context(request, year=year),
        "previous_year_url": _index_url(year=year - 1, member=member_param),
        "next_year_url": _index_url(year=year + 1, member=member_param),
        "this_year_url": _index_url(member=member_param),
        "can_manage_time_off": can_manage_time_off,
        "members": members,
        "selected_member": selected_member,
        "time_off_page": page,
        "time_off_rows": _time_off_rows(request, list(page.object_list)),
    }
    if page.has_previous():
        context["previous_page_url"] = _index_url(
            year=year, member=member_param, page=page.previous_page_number()
        )
    if page.has_next():
        context["next_page_url"] = _index_url(
            year=year, member=member_param, page=page.next_page_number()
        )
    add_url = reverse("calendars:time_off_create")
    context["add_time_off_url"] = (
        f"{add_url}?member={selected_member.pk}" if selected_member else add_url
    )
    return render(request, "calendars/index.html", context)


# --- Time off -------------------------------------------------------------------------------


def _time_off_notice(verb: str, time_off: TimeOff, member: Membership) -> str:
    return (
        f"{verb} time off for {member.name}: "
        f"{readable_date(time_off.start)} to {readable_date(time_off.end)}."
    )


@login_required
@require_http_methods(["GET", "POST"])
def time_off_create(request: HttpRequest) -> HttpResponse:
    membership = _require_time_off_manager(request)
    members = visible_members(tenant=request.tenant, viewer=membership)
    if request.method == "POST":
        form = TimeOffForm(request.POST, members=members)
        if form.is_valid():
            try:
                time_off = services.time_off_create(
                    tenant=request.tenant, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                member = form.cleaned_data["member"]
                messages.success(request, _time_off_notice("Booked", time_off, member))
                return redirect(_index_url(year=time_off.start.year, member=member.pk))
    else:
        initial = {"member": membership.pk}
        if request.GET.get("member", "").isdigit():
            initial["member"] = int(request.GET["member"])
        form = TimeOffForm(initial=initial, members=members)
    return render(request, "calendars/time_off_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def time_off_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_time_off_manager(request)
    time_off = _get_time_off(request, membership, pk)
    if request.method == "POST":
        form = TimeOffForm(request.POST)
        if form.is_valid():
            try:
                services.time_off_update(
                    tenant=request.tenant,
                    actor=request.user,
                    time_off=time_off,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _time_off_notice("Saved", time_off, time_off.member))
                return redirect(_index_url(year=time_off.start.year, member=time_off.member_id))
    else:
        form = TimeOffForm(
            initial={"start": time_off.start, "end": time_off.end, "reason": time_off.reason}
        )
    return render(request, "calendars/time_off_form.html", {"form": form, "time_off": time_off})


@login_required
@require_http_methods(["GET", "POST"])
def time_off_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_time_off_manager(request)
    time_off = _get_time_off(request, membership, pk)
    if request.method == "POST":
        services.time_off_delete(tenant=request.tenant, actor=request.user, time_off=time_off)
        if request.htmx:
            # The row asked to be replaced by the answer: an empty one removes it.
            return HttpResponse("")
        messages.success(request, _time_off_notice("Deleted", time_off, time_off.member))
        return redirect(_index_url(year=time_off.start.year))
    return render(request, "calendars/time_off_confirm_delete.html", {"time_off": time_off})
