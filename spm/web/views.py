from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from spm.tenancy.models import Role

from . import selectors

DASHBOARDS = {
    Role.ADMIN: selectors.admin_dashboard,
    Role.MANAGER: selectors.manager_dashboard,
    Role.REP: selectors.rep_dashboard,
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for the active membership's role, with the apps' cards."""
    membership = request.membership
    if membership is None:
        return render(request, "web/no_organisation.html")
    dashboard = DASHBOARDS[membership.role](tenant=request.tenant, viewer=membership)
    cards = selectors.plugin_cards(tenant=request.tenant, viewer=membership)
    return render(
        request, f"web/home_{membership.role}.html", {"dashboard": dashboard, "cards": cards}
    )
