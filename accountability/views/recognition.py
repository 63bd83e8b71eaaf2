"""The leaderboard and giving a recognition.

Who sees what:

- the leaderboard: every member of the organisation (it is the organisation's), for the
  month, quarter or year holding ``?at=YYYY-MM`` (``?period=month|quarter|year``; the
  current month by default); a malformed period or month is a 400;
- giving a recognition (POST only): managers, for the members of their reporting tree,
  and admins, for anyone but themselves; reps get a 403. The service decides and its
  messages are shown on the leaderboard beside the form (400, nothing written).
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from spm.inputs import IdField
from spm.tenancy.models import Membership, Role
from spm.tenancy.views import role_required

from ..selectors.recognition import (
    PeriodKind,
    add_months,
    givable_members,
    last_closed_month,
    leaderboard,
)
from ..services import recognition_give

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)
GIVERS = (Role.ADMIN, Role.MANAGER)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PERIOD_LABELS = {PeriodKind.MONTH: "Month", PeriodKind.QUARTER: "Quarter", PeriodKind.YEAR: "Year"}
MONTHS_OFFERED = 24


class GiveForm(forms.Form):
    """Parses the dialog's fields; the service decides who may be recognised."""

    member = IdField(label="Who")
    title = forms.CharField(label="Title", max_length=100, required=False)
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next = forms.CharField(required=False)


def parse_period(request: HttpRequest) -> tuple[str, dt.date]:
    kind = request.GET.get("period") or PeriodKind.MONTH
    if kind not in PeriodKind.CHOICES:
        raise BadRequest("Choose the period among month, quarter and year.")
    value = (request.GET.get("at") or "").strip()
    if not value:
        return kind, request.tenant.today().replace(day=1)
    match = MONTH.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2200:
        raise BadRequest("Give the month as YYYY-MM.")
    return kind, dt.date(int(match[1]), int(match[2]), 1)


def _month_options(today: dt.date, at: dt.date) -> list[dt.date]:
    this_month = today.replace(day=1)
    months = [add_months(this_month, -n) for n in range(MONTHS_OFFERED)]
    if at not in months:
        months.append(at)
    return sorted(months, reverse=True)


def _render(
    request: HttpRequest, kind: str, at: dt.date, form: GiveForm | None = None, status: int = 200
) -> HttpResponse:
    tenant, viewer = request.tenant, request.membership
    board = leaderboard(tenant=tenant, kind=kind, at=at)
    givable = givable_members(tenant=tenant, viewer=viewer) if viewer.role in GIVERS else []
    here = f"{reverse('accountability:leaderboard')}?{urlencode({'period': kind, 'at': f'{at:%Y-%m}'})}"
    return render(
        request,
        "accountability/leaderboard.html",
        {
            "board": board,
            "kind": kind,
            "at": at,
            "periods": PERIOD_LABELS,
            "month_options": _month_options(tenant.today(), at),
            "last_closed": last_closed_month(tenant),
            "givable": givable,
            "givable_ids": {member.pk for member in givable},
            "form": form,
            "here": here,
        },
        status=status,
    )


@role_required(*EVERYONE)
def leaderboard_page(request: HttpRequest) -> HttpResponse:
    """Ranked by attainment, selling ratio and streak; the month's quota club; and the
    form to give a recognition for managers and admins."""
    kind, at = parse_period(request)
    return _render(request, kind, at)


def _back(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("accountability:leaderboard")


@role_required(*GIVERS)
@require_POST
def recognition_give_view(request: HttpRequest) -> HttpResponse:
    form = GiveForm(request.POST)
    kind, at = PeriodKind.MONTH, request.tenant.today().replace(day=1)
    if form.is_valid():
        values = form.cleaned_data
        member = Membership.objects.filter(tenant=request.tenant, pk=values["member"]).first()
        try:
            if member is None:
                raise ValidationError({"member": ["Choose someone from the list."]})
            recognition_give(
                tenant=request.tenant,
                actor=request.membership,
                member=member,
                title=values["title"],
                reason=values["reason"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"{member.name} has been recognised and told.")
            return redirect(_back(request, values.get("next", "")))
    return _render(request, kind, at, form=form, status=400)
