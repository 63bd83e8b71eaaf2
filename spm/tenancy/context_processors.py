from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict:
    return {
        "membership": getattr(request, "membership", None),
        "tenant": getattr(request, "tenant", None),
        "memberships": getattr(request, "memberships", []),
    }
