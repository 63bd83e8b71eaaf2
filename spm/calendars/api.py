"""API for calendars: ``holidays`` and ``time-off``."""


def register(router) -> None:
    """Add this module's viewsets to the API router."""
