"""Figures of the quota grid as people read them and as its inputs hold them."""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _decimals(unit: Decimal) -> int:
    return max(0, -unit.as_tuple().exponent)


@register.filter
def grid_amount(amount: Decimal | None, unit: Decimal) -> str:
    """``12,500.00`` for money, ``12`` for counts; "" for no amount. The grid's script
    formats its live totals the same way."""
    if amount is None:
        return ""
    return f"{amount.quantize(unit):,.{_decimals(unit)}f}"


@register.filter
def grid_input(amount: Decimal | None, unit: Decimal) -> str:
    """An amount as an input holds it: no grouping, the unit's decimals (``12500.00``)."""
    if amount is None:
        return ""
    return f"{amount.quantize(unit):.{_decimals(unit)}f}"


def _flag(cell) -> SafeString:
    """A flagged cell's note: how many times its trailing rate it needs."""
    if cell.ratio is None:  # Nothing achieved in the window to compare with.
        return format_html(
            '<span aria-hidden="true">∞×</span><span class="visually-hidden">{}</span>',
            "Nothing achieved in the last 90 days to reach it from",
        )
    return format_html(
        '<span aria-hidden="true">{}×</span>'
        '<span class="visually-hidden">Needs {} times the daily rate of the last 90 days</span>',
        cell.ratio,
        cell.ratio,
    )


def _cell(row, cell, unit: Decimal) -> SafeString:
    month = f"{cell.month:%Y-%m}"
    classes = "grid-cell"
    if cell.status:
        classes += f" is-{cell.status}"
    if cell.flagged:
        classes += " is-flagged"
    if cell.error:
        classes += " has-error"
    stored = grid_input(cell.amount, unit)
    if row.editable:
        value = stored if cell.typed is None else cell.typed
        content = format_html(
            '<input type="text" class="grid-input" name="c-{}-{}-v{}" value="{}" '
            'inputmode="decimal" autocomplete="off" spellcheck="false" '
            'aria-labelledby="who-{} col-{}" aria-describedby="note-{}-{}"{}>',
            row.member_id,
            month,
            cell.version or 0,
            value,
            row.member_id,
            month,
            row.member_id,
            month,
            mark_safe(' aria-invalid="true"') if cell.error else "",
        )
    else:
        content = format_html(
            '<span class="grid-value">{}</span>', grid_amount(cell.amount, unit) or "—"
        )
    if row.is_team:
        content += format_html(
            '<span class="grid-alloc" data-allocated>{}</span>', grid_amount(cell.allocated, unit)
        )
    note = cell.error or (_flag(cell) if cell.flagged else "")
    return format_html(
        '<td class="{}" data-key="{}" data-ewd="{}" data-cd="{}" data-ramp="{}" '
        'data-flagged="{}" data-ratio="{}" data-amount="{}">{}'
        '<span class="grid-note" id="note-{}-{}">{}</span></td>',
        classes,
        cell.key,
        cell.employed_work_days,
        cell.capacity_days,
        cell.ramp_pct,
        "1" if cell.flagged else "0",
        "" if cell.ratio is None else cell.ratio,
        stored,
        content,
        row.member_id,
        month,
        note,
    )


@register.simple_tag
def grid_cells(row, grid) -> SafeString:
    """A row's month cells. Built here rather than in a template loop: a grid of 50
    people has 600 of them, and this renders them about ten times faster.

    Each editable cell is an input labelled by its row's name and its column's month,
    whose name carries the version of the quota it shows (``c-<member>-<YYYY-MM>-v<n>``);
    the data-* attributes are what the grid's script needs to judge achievability."""
    return format_html_join("", "{}", ((_cell(row, cell, grid.unit),) for cell in row.cells))
