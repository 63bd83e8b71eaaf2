"""API for territories and accounts."""


def register(router) -> None:
    """Add this module's viewsets to the API router."""
