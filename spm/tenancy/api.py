"""API for the tenancy core: ``me`` and ``members``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # Non-router routes such as api/v1/me/.


def register(router) -> None:
    """Add this module's viewsets to the API router."""
