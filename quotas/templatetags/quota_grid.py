"""Figures of the quota grid as people read them and as its inputs hold them."""

from decimal import Decimal

from django import template

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
