"""The unread notification count for the bell in the page shell."""

from collections.abc import Callable

from django.http import HttpRequest

from .selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """``unread_notification_count``: counted lazily, once per request, only for members.

    Templates call the callable when they use the variable, so a page that shows no bell
    costs no query, a page that shows it costs one COUNT on an index, and anonymous
    visitors and users without a membership cost nothing.
    """
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}

    def count() -> int:
        if not hasattr(request, "_unread_notification_count"):
            request._unread_notification_count = unread_count(
                tenant=membership.tenant, recipient=membership
            )
        return request._unread_notification_count

    return {"unread_notification_count": count}
