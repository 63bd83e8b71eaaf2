"""Temporary views for routes whose pages are being built; replaced by the real views."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def placeholder(request, *args, **kwargs) -> HttpResponse:
    return HttpResponse("Not built yet.", status=501)
