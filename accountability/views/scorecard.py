"""A manager's scorecard (DESIGN 4.6): their team at quota, their own action items done on
time, their team's reviews on time.

``/accountability/scorecard/`` is the caller's own (managers and admins);
``/accountability/scorecard/<member_id>/`` anyone's the caller may see: the manager
themselves, anyone above them in their reporting line, admins. Reps are refused (403);
anyone else's id, another organisation's included, is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from spm.tenancy.models import Role
from spm.tenancy.views import role_required

from ..selectors import scorecard as selectors

READERS = (Role.ADMIN, Role.MANAGER)


def _render(request: HttpRequest, subject) -> HttpResponse:
    tenant, viewer = request.tenant, request.membership
    card = selectors.manager_scorecard(tenant=tenant, manager=subject)
    context = {
        "card": card,
        "own": subject.pk == viewer.pk,
        "choices": selectors.scorecard_choices(tenant=tenant, viewer=viewer),
    }
    return render(request, "accountability/scorecard.html", context)


@role_required(*READERS)
def scorecard_mine(request: HttpRequest) -> HttpResponse:
    member_id = request.GET.get("member", "").strip()
    if member_id:
        if not member_id.isdigit() or not 0 < int(member_id) < 2**63:
            raise Http404("No such manager.")
        return scorecard(request, int(member_id))
    return _render(request, request.membership)


@role_required(*READERS)
def scorecard(request: HttpRequest, member_id: int) -> HttpResponse:
    subject = selectors.scorecard_subject(
        tenant=request.tenant, viewer=request.membership, member_id=member_id
    )
    if subject is None:
        raise Http404("No such manager.")
    return _render(request, subject)
