from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for the active membership's role."""
    membership = request.membership
    if membership is None:
        return render(request, "web/no_organisation.html")
    return render(request, f"web/home_{membership.role}.html")
