"""Figures of the quota pages as people read them: amounts grouped to the metric's unit,
percentages to one decimal, and a dash for what is not known yet."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()
DASH = "—"


def _decimals(unit: Decimal) -> int:
    return max(0, -Decimal(unit).as_tuple().exponent)


@register.filter
def amount(value: Decimal | None, unit: Decimal = Decimal("0.01")) -> str:
    """``12,500.00`` for money, ``12`` for counts; a dash for ``None``."""
    if value is None:
        return DASH
    unit = Decimal(unit)
    return f"{Decimal(value).quantize(unit, rounding=ROUND_HALF_UP):,.{_decimals(unit)}f}"


@register.filter
def pct(value: Decimal | None) -> str:
    """``82.4%``; a dash for ``None``."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}%"


@register.filter
def ratio(value: Decimal | None) -> str:
    """``1.8×``; a dash for ``None``."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}×"


@register.filter
def ramp(value: Decimal) -> str:
    """``80%``, ``33.33%``."""
    return f"{Decimal(value).normalize():f}%"


@register.filter
def share_width(value: Decimal | None, ceiling: int = 100) -> str:
    """A percentage as a CSS width, capped at ``ceiling``%: ``"62.5%"``."""
    if value is None:
        return "0%"
    return f"{min(max(float(value), 0.0), float(ceiling)):.1f}%"


@register.filter
def part_of(value: Decimal | None, whole: Decimal | None) -> str:
    """``value`` as a CSS width of ``whole`` (capped at 100%)."""
    if value is None or not whole:
        return "0%"
    return f"{min(max(float(value) / float(whole) * 100, 0.0), 100.0):.1f}%"


@register.filter
def plain(value: Decimal | None) -> str:
    """A decimal without trailing zeros: ``1.5``, ``2``."""
    if value is None:
        return DASH
    return f"{Decimal(value).normalize():f}"
