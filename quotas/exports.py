"""Team attainment as a file: CSV (through ``spm.web.exports``, the one CSV writer) and XLSX
(pandas with openpyxl). Both hold the same header row and rows as the page's table, in
the same order (by name), figures as numbers: money and counts to their unit,
percentages to 0.01, an unknown figure as an empty cell.

The views decide who may export what (the page's rules); this module only writes.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
from django.http import HttpResponse
from django.utils.text import slugify

from spm.tenancy.models import Tenant
from spm.web.exports import csv_download, safe_cell

from . import metrics
from .selectors.progress import TeamAttainment, TeamRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "member",
    "email",
    "team_quota",
    "month",
    "metric",
    "status",
    "amount",
    "ramp_pct",
    "effective_amount",
    "achieved",
    "expected_to_date",
    "attainment_pct",
    "pace_pct",
    "projected",
    "required_daily_rate",
    "actual_daily_rate_90_days",
    "achievability_ratio",
    "flagged",
]
# Columns in the metric's unit (money for revenue), and those in %.
AMOUNT_COLUMNS = {
    "amount",
    "effective_amount",
    "achieved",
    "expected_to_date",
    "projected",
    "required_daily_rate",
    "actual_daily_rate_90_days",
}
PERCENT_COLUMNS = {"ramp_pct", "attainment_pct", "pace_pct"}


def unit_of(metric: str) -> Decimal:
    return metrics.units().get(metric, Decimal("0.01"))


def _row(row: TeamRow, team: TeamAttainment) -> list:
    quota = row.quota
    judged = row.achievability
    return [
        row.member.name,
        row.member.user.email,
        "yes" if row.is_team else "no",
        f"{team.month:%Y-%m}",
        team.metric,
        quota.status,
        quota.amount,
        quota.ramp_pct,
        quota.effective_amount,
        row.achieved,
        row.expected_to_date,
        row.attainment_pct,
        row.pace_pct,
        row.projected,
        judged.required_daily_rate,
        judged.actual_daily_rate,
        judged.ratio,
        "yes" if row.flagged else "no",
    ]


def team_rows(team: TeamAttainment) -> list[list]:
    return [_row(row, team) for row in team.rows]


def _filename(team: TeamAttainment, tenant: Tenant, extension: str) -> str:
    who = "organisation" if team.manager is None else slugify(team.manager.name) or "team"
    return (
        f"team-attainment-{slugify(tenant.slug)}-{who}-{team.month:%Y-%m}-{team.metric}.{extension}"
    )


def team_csv(team: TeamAttainment, *, tenant: Tenant) -> HttpResponse:
    return csv_download(_filename(team, tenant, "csv"), HEADER, team_rows(team))


def team_xlsx(team: TeamAttainment, *, tenant: Tenant) -> HttpResponse:
    """One sheet, a header row, figures as numbers with a number format each (Excel
    holds numbers as doubles: 15 significant digits, ample for a quota to the cent)."""
    frame = pd.DataFrame(
        [
            [
                float(value)
                if isinstance(value, Decimal)
                else safe_cell(value)
                if isinstance(value, str)
                else value
                for value in values
            ]
            for values in team_rows(team)
        ],
        columns=HEADER,
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Team attainment")
        sheet = writer.sheets["Team attainment"]
        decimals = max(0, -unit_of(team.metric).as_tuple().exponent)
        amount_format = "#,##0" + ("." + "0" * decimals if decimals else "")
        for position, name in enumerate(HEADER, start=1):
            letter = sheet.cell(row=1, column=position).column_letter
            sheet.column_dimensions[letter].width = max(12, len(name) + 2)
            number_format = (
                amount_format
                if name in AMOUNT_COLUMNS
                else "0.00"
                if name in PERCENT_COLUMNS or name == "achievability_ratio"
                else None
            )
            if number_format:
                for (cell,) in sheet.iter_rows(
                    min_row=2, min_col=position, max_col=position, max_row=len(frame) + 1
                ):
                    cell.number_format = number_format
        sheet.freeze_panes = "B2"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(team, tenant, "xlsx")}"'
    return response
