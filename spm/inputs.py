"""Bounded input: one mechanism per class of input, used by every app.

- **Dates** are within ``EARLIEST_DATE`` … ``LATEST_DATE``. Every model ``DateField``
  carries ``sane_date`` (so model forms, the admin, model serializers and ``full_clean``
  refuse the rest), and every other date input — a plain form, an API field, a query
  filter — is one of the fields below. A structural test holds both rules.
- **Years** in query strings are ``YearField``: the same window.
- **Ids** in query filters are ``IdFilter``: whole numbers that fit the database.
- **NUL bytes** in a path or query string are refused before any view runs
  (``RejectNulBytesMiddleware``): PostgreSQL cannot store them and answers with an error.
  Form and API text fields refuse them already (Django's and DRF's ``CharField``).
"""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import SuspiciousOperation, ValidationError
from rest_framework import serializers

# Employment can start decades back; nothing in a sales plan lies a lifetime ahead. Beyond
# the window, dates are typing mistakes (0202 for 2020) or probes, and a range from year 1
# to 9999 costs every calendar computation millions of days.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
DATE_WINDOW_MESSAGE = f"Choose a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."


def sane_date(value: dt.date | None) -> None:
    """Validator: ``value`` lies within the window."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(DATE_WINDOW_MESSAGE, code="date_out_of_range")


class DateField(forms.DateField):
    """A form (or filter) date within the window."""

    default_validators = [sane_date]


class YearField(forms.IntegerField):
    """A year within the window, e.g. a ``?year=`` filter."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", EARLIEST_DATE.year)
        kwargs.setdefault("max_value", LATEST_DATE.year)
        super().__init__(**kwargs)


class ApiDateField(serializers.DateField):
    """An API date within the window."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.append(sane_date)


class DateFilter(django_filters.DateFilter):
    field_class = DateField


class YearFilter(django_filters.NumberFilter):
    field_class = YearField


# Database ids: whole numbers from 1 to PostgreSQL's bigint maximum.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """An id in a query filter: a whole number (``1.9`` is refused, never truncated) that
    fits the database."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is a 400, whatever the page."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            raise SuspiciousOperation("NUL byte in the address.")
        return self.get_response(request)
