"""Forms of the manager's quota grid: which year and metric it shows, the cells it posts,
and its bulk actions (copy last year, spread an annual figure, publish, import a CSV).

Forms parse what the browser sends; the rules (amounts ≥ 0 in the metric's unit, who may
set whose quota, stale versions) are the services' (``quotas.services.quotas``), whose
messages the grid shows as they are.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django import forms

from spm.inputs import IdField, YearField

from .models import Metric

# One cell of the grid as a form field: ``c-<member id>-<YYYY-MM>-v<version>`` holds the
# amount as typed; the version the page read (0: there was no quota) is in the name, not
# in a field of its own, so a grid of 50 people × 12 months posts 600 fields, well within
# Django's limit of 1,000 per request (DATA_UPLOAD_MAX_NUMBER_FIELDS). Without "-v…" the
# cell asks for no version check.
CELL_FIELD = re.compile(
    r"^c-(?P<member>\d{1,18})-(?P<year>\d{4})-(?P<month>\d{2})(?:-v(?P<version>\d{1,10}))?$"
)
MAX_CELLS = 50_000  # A grid of 2,000 members × 12 months, twice over.
MAX_VERSION = 2**31 - 1

# Typed or pasted from a spreadsheet: "€ 12 500,00" is not ours to guess, but a currency
# sign or code around a number, spaces (also non-breaking and thin ones) and thousands
# commas are dropped before the services read it. The grid's script does the same.
CURRENCY_SIGNS = "$€£¥"
SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def normalise_amount(text: str, *, currency: str = "") -> str:
    """``text`` without spaces, currency signs or the tenant's currency code."""
    value = SPACES.sub("", text or "")
    if currency and value.upper().startswith(currency.upper()):
        value = value[len(currency) :]
    if currency and value.upper().endswith(currency.upper()):
        value = value[: -len(currency)]
    return value.strip(CURRENCY_SIGNS)


class GridViewForm(forms.Form):
    """Which fiscal year and metric the grid shows (query string, or posted beside cells)."""

    year = YearField(required=False)
    metric = forms.ChoiceField(choices=Metric.choices, required=False)

    def __init__(self, data, *, default_year: int) -> None:
        super().__init__(data)
        self.default_year = default_year

    def clean_year(self) -> int:
        return self.cleaned_data.get("year") or self.default_year

    def clean_metric(self) -> str:
        return self.cleaned_data.get("metric") or Metric.REVENUE


@dataclass(frozen=True)
class PostedCell:
    key: str  # "<member id>:<YYYY-MM>", as the page names it.
    member_id: int
    month: dt.date
    amount: str  # As typed, normalised.
    version: int | None  # None: the form did not say (no check).


class CellsInvalid(Exception):
    """The posted cells are malformed (a field name or a version): a 400, nothing saved."""


def posted_cells(data, *, months: list[dt.date], currency: str) -> list[PostedCell]:
    """Every ``c-…`` field of ``data``, for months of the grid.

    Raises ``CellsInvalid`` for a month outside ``months``, a cell given twice, or too
    many cells.
    """
    allowed = set(months)
    cells: list[PostedCell] = []
    seen: set[str] = set()
    for name in data:
        match = CELL_FIELD.match(name)
        if not match:
            continue
        if len(cells) >= MAX_CELLS:
            raise CellsInvalid(f"At most {MAX_CELLS:,} cells at once.")
        try:
            month = dt.date(int(match["year"]), int(match["month"]), 1)
        except ValueError:
            raise CellsInvalid(f"{name}: not a month.") from None
        if month not in allowed:
            raise CellsInvalid(f"{match['year']}-{match['month']} is not a month of this grid.")
        member_id = int(match["member"])
        key = f"{member_id}:{month:%Y-%m}"
        if key in seen:
            raise CellsInvalid(f"{key}: this cell is given twice.")
        seen.add(key)
        version = None
        if match["version"] is not None:
            version = int(match["version"])
            if version > MAX_VERSION:
                raise CellsInvalid(f"{name}: not a version.")
        cells.append(
            PostedCell(
                key=key,
                member_id=member_id,
                month=month,
                amount=normalise_amount(data.get(name, ""), currency=currency),
                version=version,
            )
        )
    return cells


def posted_ids(data, name: str) -> list[int]:
    """The ids posted under ``name`` (checkboxes, selects), or ``CellsInvalid``."""
    ids = []
    for raw in data.getlist(name):
        raw = raw.strip()
        if not raw.isdigit() or len(raw) > 18:
            raise CellsInvalid(f"{name}: an id is a whole number.")
        ids.append(int(raw))
    return ids


class CopyLastYearForm(forms.Form):
    """Copy last year's quotas of the chosen rows (``member``, checked by the view), ± %."""

    percent_change = forms.CharField(
        label="Change from last year (%)",
        max_length=12,
        initial="0",
        help_text="e.g. 5 for +5%, -2.5 for −2.5%.",
    )


class SpreadForm(forms.Form):
    """Spread one row's annual figure over the year's months by a seasonality profile."""

    member = IdField(label="Person or team")
    annual = forms.CharField(label="Annual figure", max_length=30)
    profile = IdField(label="Seasonality", required=False)


class GridImportForm(forms.Form):
    file = forms.FileField(label="CSV file")
