"""The quota pages people read: "My quota", a quota's own page, team attainment and the
encroachment list, with the one write a rep makes here (acknowledge).

Views parse and authorise, call one selector or service, and render. Who sees what:

- a quota's page: its member, their managers up the tree, admins; anyone else (another
  organisation's people included) gets a 404, as for a missing quota;
- "My quota": every member, for their own quotas (a manager's is their team's number);
- team attainment, its exports and the encroachment list: managers (their reporting
  tree, direct and indirect) and admins (anyone's team, or the whole organisation);
  reps get a 403. A team lead outside what the viewer sees is a 404;
- acknowledging: only the quota's own member, only a published quota
  (``quota_acknowledge``), with the version they saw: a figure changed meanwhile is
  answered with the new figure, never acknowledged blind.

Months are ``YYYY-MM`` in the query string; a malformed month or metric is a 400.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from spm.tenancy.models import Role
from spm.tenancy.versioning import StaleVersion
from spm.tenancy.views import role_required
from spm.web.tables import sort_links, sorted_rows

from .. import exports, rules
from ..models import Metric, Quota
from ..selectors import pages as selectors
from ..selectors.encroachment import team_encroachments
from ..selectors.progress import TeamAttainment, team_attainment
from ..services import quota_acknowledge
from . import charts

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)
MANAGERS = (Role.ADMIN, Role.MANAGER)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ENCROACHMENTS_PER_PAGE = 50
# Columns of the team table people may sort by, and the row value behind each.
TEAM_SORTS = {
    "name": lambda row: row.member.name.lower(),
    "effective": lambda row: row.quota.effective_amount,
    "achieved": lambda row: row.achieved,
    "attainment": lambda row: row.attainment_pct,
    "pace": lambda row: row.pace_pct,
    "projected": lambda row: row.projected,
    "achievability": lambda row: row.achievability.ratio,
}
# Figures read best largest first; names A to Z.
DESCENDING_FIRST = {"effective", "achieved", "attainment", "pace", "projected", "achievability"}


# --- Parsing ---------------------------------------------------------------------------------


def parse_month(value: str | None, *, default: dt.date) -> dt.date:
    """``YYYY-MM`` as the month's first day; ``default`` when absent; a 400 when malformed."""
    if not value:
        return default.replace(day=1)
    match = MONTH.match(value.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2200:
        raise BadRequest("Give the month as YYYY-MM.")
    return dt.date(int(match[1]), int(match[2]), 1)


def parse_metric(value: str | None) -> str:
    if not value:
        return Metric.REVENUE
    if value not in Metric.values:
        raise BadRequest(f"Choose a metric among {', '.join(Metric.values)}.")
    return value


def month_choices(months: list[dt.date], chosen: dt.date, today: dt.date) -> list[dt.date]:
    """The months to offer, newest first: those with quotas, this month and the chosen one."""
    return sorted({*months, today.replace(day=1), chosen}, reverse=True)


# --- My quota ----------------------------------------------------------------------------------


def _progress_charts(summary) -> list[tuple]:
    """Each quota of the summary with its progress chart (``None`` without targets)."""
    today = summary.today if summary.month == summary.today.replace(day=1) else None
    return [
        (progress, charts.progress_chart(progress.series, today=today) if progress.series else None)
        for progress in summary.quotas
    ]


@role_required(*EVERYONE)
def mine(request: HttpRequest) -> HttpResponse:
    """The member's own quotas of a month (this month by default): today's target, the
    month's figures, what is left and needed per day, the progress chart; acknowledge."""
    tenant, member = request.tenant, request.membership
    today = tenant.today()
    month = parse_month(request.GET.get("month"), default=today)
    summary = selectors.my_quota_month(tenant=tenant, member=member, month=month, today=today)
    months = selectors.quota_months(tenant=tenant, member=member)
    context = {
        "summary": summary,
        "today": today,
        "is_current": month == today.replace(day=1),
        "is_past": month < today.replace(day=1),
        "quotas": _progress_charts(summary),
        "months": month_choices(months, month, today),
        "has_reports": member.direct_reports.exists() if member.is_manager else False,
    }
    return render(request, "quotas/my_quota.html", context)


def _back(request: HttpRequest, quota: Quota) -> str:
    """Where an acknowledgement returns: the posted ``next`` when it is ours, else My quota
    on the quota's month."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return f"{reverse('quotas:mine')}?{urlencode({'month': f'{quota.month:%Y-%m}'})}"


@role_required(*EVERYONE)
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The member agrees to their published quota, as it was when they read it
    (``version``). htmx gets the acknowledgement block back; a plain form is redirected."""
    tenant, member = request.tenant, request.membership
    quota = selectors.visible_quota(tenant=tenant, viewer=member, quota_id=pk)
    if quota is None:
        raise Http404("No such quota.")
    version = request.POST.get("version", "")
    if version and not version.isdigit():
        raise BadRequest("The version is a whole number.")
    problem, status = "", 200
    try:
        quota = quota_acknowledge(
            tenant=tenant, actor=member, quota=quota, version=int(version) if version else None
        )
    except PermissionDenied:
        raise  # Someone else's quota they may read (a manager's report): 403.
    except StaleVersion as stale:
        quota = stale.current
        problem, status = (
            f"This quota changed since you opened the page: it is now "
            f"{_figure(quota)}. Check the new figure, then acknowledge it.",
            409,
        )
    except ValidationError as error:
        problem, status = " ".join(error.messages), 400
    done = "" if problem else f"You acknowledged your {_label(quota)} quota."
    if request.htmx:
        # htmx swaps only successful answers: the block says what happened either way.
        quota = Quota.objects.select_related("acknowledged_by").get(tenant=tenant, pk=quota.pk)
        response = render(
            request,
            "quotas/_page_acknowledge.html",
            {"quota": quota, "problem": problem, "done": done, "next": _back(request, quota)},
        )
        response["X-Quota-Status"] = str(status)
        return response
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect(_back(request, quota))


def _figure(quota: Quota) -> str:
    if quota.metric == Metric.REVENUE:
        return f"{quota.amount:,.2f}"
    return f"{quota.amount:,.0f} {Metric(quota.metric).label.lower()}"


def _label(quota: Quota) -> str:
    return f"{quota.month:%B %Y} {Metric(quota.metric).label.lower()}"


# --- A quota's page ------------------------------------------------------------------------------


@role_required(*EVERYONE)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A quota's page: its effective amount and why, weekly and daily targets,
    achievability, attainment so far and its history."""
    tenant, viewer = request.tenant, request.membership
    quota = selectors.visible_quota(tenant=tenant, viewer=viewer, quota_id=pk)
    if quota is None:
        raise Http404("No such quota.")
    today = tenant.today()
    detail = selectors.quota_detail(tenant=tenant, quota=quota, today=today)
    return render(
        request,
        "quotas/quota_detail.html",
        {
            "detail": detail,
            "quota": quota,
            "today": today,
            "is_own": quota.member_id == viewer.pk,
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        },
    )


# --- Team attainment ----------------------------------------------------------------------------


def team_view(request: HttpRequest) -> tuple[TeamAttainment, list, str]:
    """The team asked for (``month``, ``metric``, ``manager``), as the page and the exports
    read it: a manager's own team by default, the whole organisation for an admin."""
    tenant, viewer = request.tenant, request.membership
    today = tenant.today()
    month = parse_month(request.GET.get("month"), default=today)
    metric = parse_metric(request.GET.get("metric"))
    leads = selectors.team_leads(tenant=tenant, viewer=viewer)
    raw = request.GET.get("manager", "").strip()
    lead = None
    if raw:
        if not raw.isdigit():
            raise BadRequest("Choose a manager by id.")
        lead = next((person for person in leads if person.pk == int(raw)), None)
        if lead is None:
            raise Http404("No such team among those you see.")
    elif not viewer.is_admin:
        lead = viewer
    # The stored figures are the latest: today's for this month, the final ones of a
    # month gone by (its attainment was computed up to its last day).
    if lead is None:
        team = selectors.organisation_attainment(
            tenant=tenant, month=month, as_of=today, metric=metric
        )
    else:
        team = team_attainment(tenant=tenant, manager=lead, month=month, as_of=today, metric=metric)
    return team, leads, raw


@role_required(*MANAGERS)
def team(request: HttpRequest) -> HttpResponse:
    """Where the team stands this month: the share of reps at ≥ 100% and on pace, the
    per-rep table, the distribution and the team's pace over the month."""
    tenant = request.tenant
    team, leads, chosen = team_view(request)
    rows, sort_key, descending = sorted_rows(team.rows, request.GET.get("sort", "name"), TEAM_SORTS)
    today = tenant.today()
    last = rules.month_bounds(team.month)[1]
    query = {"month": f"{team.month:%Y-%m}", "metric": team.metric}
    if chosen:
        query["manager"] = chosen
    context = {
        "team": team,
        "rows": rows,
        "flagged": sum(1 for row in team.rows if row.flagged),
        "sort": {"key": sort_key, "descending": descending},
        "columns": sort_links(TEAM_SORTS, sort_key, descending, descending_first=DESCENDING_FIRST),
        "leads": leads,
        "chosen": chosen,
        "metric_label": Metric(team.metric).label,
        "metric_choices": Metric.choices,
        "month_options": _recent_months(today, team.month),
        "query": urlencode(query),
        "is_current": team.month == today.replace(day=1),
        "today": today,
        "pace_chart": charts.pace_chart(team.pace_series, month=team.month, last=last),
        "distribution_chart": charts.distribution_chart(team.distribution),
        "unit": exports.unit_of(team.metric),
    }
    return render(request, "quotas/team.html", context)


def _recent_months(today: dt.date, chosen: dt.date, count: int = 18) -> list[dt.date]:
    """The last ``count`` months up to next month, newest first, with the chosen one."""
    months, month = [], today.replace(day=1)
    month = (month + dt.timedelta(days=32)).replace(day=1)  # Next month: plans ahead.
    for _ in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return sorted({*months, chosen}, reverse=True)


@role_required(*MANAGERS)
def team_csv(request: HttpRequest) -> HttpResponse:
    team, _, _ = team_view(request)
    return exports.team_csv(team, tenant=request.tenant)


@role_required(*MANAGERS)
def team_xlsx(request: HttpRequest) -> HttpResponse:
    team, _, _ = team_view(request)
    return exports.team_xlsx(team, tenant=request.tenant)


# --- Encroachment ------------------------------------------------------------------------------


@role_required(*MANAGERS)
def encroachment(request: HttpRequest) -> HttpResponse:
    """Sales of a month (and the rows other apps add: selling activities) on accounts
    outside every territory their seller worked on the day: a manager's reporting tree
    (and their own), everyone's for an admin."""
    tenant, viewer = request.tenant, request.membership
    today = tenant.today()
    month = parse_month(request.GET.get("month"), default=today)
    first, last = rules.month_bounds(month)
    found = team_encroachments(tenant=tenant, viewer=viewer, start=first, end=last)
    page = Paginator(found, ENCROACHMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "quotas/encroachment.html",
        {
            "month": month,
            "page": page,
            "total": len(found),
            "sales": sum(1 for item in found if item.is_sale),
            "others": sum(1 for item in found if not item.is_sale),
            "amount": sum((item.amount for item in found if item.is_sale), 0),
            "month_options": _recent_months(today, month),
            "today": today,
        },
    )
