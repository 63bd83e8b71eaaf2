"""The team's selling time (``activities:team``) and its CSV export.

Managers see their reporting tree, direct and indirect (and themselves when they log
time); admins the whole organisation; reps get a 403. A month is chosen with
``?month=YYYY-MM`` (this month by default, in the organisation's time zone); a malformed
one is a 400. The table sorts by any column with ``?sort=`` (``-`` first: descending);
people with nothing logged always come last when sorting by a figure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from quotas.serializers import parse_month
from spm.tenancy.models import Role
from spm.tenancy.views import role_required
from spm.web.exports import csv_download
from spm.web.tables import sort_links, sorted_rows

from ..selectors.team import TeamSellingTime, team_month
from ..services import hours_and_minutes

MANAGERS = (Role.ADMIN, Role.MANAGER)
MONTHS_OFFERED = 13
SORTS = {
    "name": lambda row: row.member.name.lower(),
    "hours": lambda row: row.figures.total_minutes or None,
    "selling": lambda row: row.figures.selling_pct,
    "days": lambda row: row.figures.days_logged or None,
}
DESCENDING_FIRST = {"hours", "days"}
CSV_HEADER = [
    "member",
    "email",
    "month",
    "hours",
    "total_minutes",
    "selling_minutes",
    "non_selling_minutes",
    "selling_pct",
    "target_pct",
    "below_target",
    "days_logged",
]

# The trend chart's geometry (an inline SVG scaled by CSS), as quotas' charts draw theirs.
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def chosen_month(request: HttpRequest, today: dt.date) -> dt.date:
    raw = request.GET.get("month", "").strip()
    if not raw:
        return today.replace(day=1)
    try:
        return parse_month(raw)
    except ValueError as error:
        raise BadRequest(str(error)) from None


def trend_chart(team: TeamSellingTime) -> dict | None:
    """Coordinates of the weekly ratio (0–100%) and of the target line; ``None`` when no
    week has minutes."""
    if not any(week.total_minutes for week in team.trend):
        return None
    inner_width, inner_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_width / len(team.trend)

    def y(pct: Decimal | float) -> float:
        return round(TOP + inner_height * (1 - float(pct) / 100), 1)

    points = []
    for n, week in enumerate(team.trend):
        if week.selling_pct is not None:
            points.append({"x": round(LEFT + slot * (n + 0.5), 1), "y": y(week.selling_pct)})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "y_ticks": [{"position": y(value), "label": f"{value}%"} for value in (0, 25, 50, 75, 100)],
        "x_ticks": [
            {"position": round(LEFT + slot * (n + 0.5), 1), "label": f"{week.period_start:%-d %b}"}
            for n, week in enumerate(team.trend)
            if n % 3 == 0 or n == len(team.trend) - 1
        ],
        "line": " ".join(f"{point['x']},{point['y']}" for point in points),
        "points": points,
        "target": y(team.target_pct),
    }


def month_options(today: dt.date, chosen: dt.date) -> list[dt.date]:
    months, month = [], today.replace(day=1)
    for _ in range(MONTHS_OFFERED):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return sorted({*months, chosen}, reverse=True)


def _team(request: HttpRequest) -> TeamSellingTime:
    tenant = request.tenant
    today = tenant.today()
    return team_month(
        tenant=tenant, viewer=request.membership, month=chosen_month(request, today), today=today
    )


@role_required(*MANAGERS)
def team(request: HttpRequest) -> HttpResponse:
    """The month per person (hours, selling ratio against the target, days logged), the
    headline, the team's weekly ratio over twelve weeks and the sortable table."""
    today = request.tenant.today()
    team = _team(request)
    rows, sort_key, descending = sorted_rows(team.rows, request.GET.get("sort", "name"), SORTS)
    return render(
        request,
        "activities/team.html",
        {
            "team": team,
            "rows": rows,
            "sort": {"key": sort_key, "descending": descending},
            "columns": sort_links(SORTS, sort_key, descending, descending_first=DESCENDING_FIRST),
            "query": urlencode({"month": f"{team.month:%Y-%m}"}),
            "month_options": month_options(today, team.month),
            "is_current": team.month == today.replace(day=1),
            "today": today,
            "chart": trend_chart(team),
            "total_time": hours_and_minutes(team.total.total_minutes),
        },
    )


@role_required(*MANAGERS)
def team_csv(request: HttpRequest) -> HttpResponse:
    """The page's table as CSV: one row per person, by name, figures as numbers."""
    team = _team(request)

    def lines():
        for row in team.rows:
            figures = row.figures
            yield [
                row.member.name,
                row.member.user.email,
                f"{team.month:%Y-%m}",
                row.hours,
                figures.total_minutes,
                figures.selling_minutes,
                figures.non_selling_minutes,
                figures.selling_pct,
                team.target_pct,
                "yes" if figures.below_target else "no",
                figures.days_logged,
            ]

    return csv_download(f"selling-time-{team.month:%Y-%m}.csv", CSV_HEADER, lines())
