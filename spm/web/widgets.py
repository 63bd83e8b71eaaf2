"""Form widgets shared by every app's forms, so a kind of input looks and behaves the same
on every page."""

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """The browser's own date picker.

    The browser shows the date in the user's locale but reads and submits it as an ISO date
    (``2026-03-31``), so the value is always rendered in ISO format: a localised format
    (``31.03.2026``) would leave the picker empty.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
