"""The notification centre: the active membership's notifications, read and unread.

A notification belongs to one membership; anyone else's (another member's, another
organisation's) is a 404, indistinguishable from one that does not exist.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from spm.tenancy.models import Role
from spm.tenancy.views import role_required

from .models import Notification
from .selectors import notifications_for
from .services import notifications_mark_read

NOTIFICATIONS_PER_PAGE = 25

any_member = role_required(Role.ADMIN, Role.MANAGER, Role.REP)


def _own_notification(request: HttpRequest, pk) -> Notification:
    if not str(pk).strip().isdigit():
        raise Http404("No such notification.")
    return get_object_or_404(
        notifications_for(tenant=request.tenant, recipient=request.membership), pk=int(pk)
    )


def _safe_local_url(request: HttpRequest, url: str) -> str | None:
    """``url`` when it points into this site, else None (never an open redirect)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@any_member
def index(request: HttpRequest) -> HttpResponse:
    """Newest first; unread ones highlighted."""
    notifications = notifications_for(tenant=request.tenant, recipient=request.membership)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/index.html", {"page": page})


@any_member
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (POST ``id``) or, without an id, all of them."""
    tenant, recipient = request.tenant, request.membership
    raw_id = request.POST.get("id")
    if raw_id is not None:
        notification = _own_notification(request, raw_id)
        notifications_mark_read(tenant=tenant, recipient=recipient, ids=[notification.pk])
        if request.htmx:
            notification.refresh_from_db(fields=["read_at"])
            return render(
                request, "notifications/_item_marked.html", {"notification": notification}
            )
    else:
        count = notifications_mark_read(tenant=tenant, recipient=recipient, ids=None)
        if count:
            messages.success(
                request, f"Marked {count} notification{'s' if count != 1 else ''} as read."
            )
        else:
            messages.info(request, "You had no unread notifications.")
    return redirect(_safe_local_url(request, request.POST.get("next", "")) or "notifications:index")


@any_member
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read, then go where it points (only ever inside the site)."""
    notification = _own_notification(request, pk)
    if notification.read_at is None:
        notifications_mark_read(
            tenant=request.tenant, recipient=request.membership, ids=[notification.pk]
        )
    return redirect(_safe_local_url(request, notification.url) or reverse("notifications:index"))
