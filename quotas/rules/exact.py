"""Exact arithmetic for the quota rules: whole numbers, rounding half up, never a float.

Amounts cross the boundary as ``Decimal`` and are turned into whole numbers of
hundredths (cents for money, hundredths of a deal for counts) before any arithmetic,
so a result is always the exact rational number rounded once. Inside, arrays are
``int64`` while every intermediate product provably fits; when it might not (amounts
near the int64 range, weights with many decimal places) the same code runs on arrays
of Python integers, which are exact at any size and only slower.
"""

from collections.abc import Iterable, Sequence
from decimal import Decimal

import numpy as np

# Products below 2**61 leave room for the doubling in the half-up formula.
_INT64_SAFE = 2**61


def exact_number(value) -> Decimal:
    """``value`` as a finite ``Decimal``; floats are refused because they are not exact."""
    if isinstance(value, float | bool):
        raise TypeError(f"Use a Decimal, an int or a numeric string, not {value!r}.")
    number = value if isinstance(value, Decimal) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number.")
    return number


def hundredths(value) -> int:
    """``value`` as a whole number of hundredths; more than two decimal places is an error."""
    numerator, denominator = exact_number(value).as_integer_ratio()
    whole, rest = divmod(numerator * 100, denominator)
    if rest:
        raise ValueError(f"{value} has more than two decimal places.")
    return whole


def hundredths_array(values: Iterable) -> np.ndarray:
    """``hundredths`` of every value, as ``int64`` (or Python integers beyond its range)."""
    numbers = [hundredths(value) for value in values]
    return as_int_array(numbers)


def as_int_array(numbers: Sequence[int]) -> np.ndarray:
    """An ``int64`` array of ``numbers``, or an object array when one does not fit."""
    if numbers and max(abs(number) for number in numbers) >= _INT64_SAFE:
        array = np.empty(len(numbers), dtype=object)
        array[:] = [int(number) for number in numbers]
        return array
    return np.asarray(numbers, dtype=np.int64)


def power_of_ten_exponent(unit: Decimal) -> int:
    """The exponent ``k`` of a unit ``10**k`` (``-2`` for 0.01, ``0`` for 1)."""
    sign, digits, exponent = unit.normalize().as_tuple()
    if sign or digits != (1,) or not isinstance(exponent, int) or exponent < -2:
        raise ValueError(f"A metric's unit must be a power of ten of at least 0.01, not {unit}.")
    return exponent


def _abs_max(array: np.ndarray) -> int:
    if array.size == 0:
        return 0
    return max(abs(int(array.max())), abs(int(array.min())))


def multiply(*factors) -> np.ndarray:
    """The element-wise product of integer arrays, exact: ``int64`` when it surely fits
    (judged from the factors' largest magnitudes), Python integers otherwise."""
    arrays = [np.asarray(factor) for factor in factors]
    bound = 1
    for array in arrays:
        bound *= max(_abs_max(array), 1) if array.dtype != object else _INT64_SAFE
    if bound >= _INT64_SAFE:
        arrays = [array.astype(object) for array in arrays]
    product = arrays[0]
    for array in arrays[1:]:
        product = product * array
    return product


def div_round_half_up(a, b, d) -> np.ndarray:
    """``a × b ÷ d`` rounded half up (away from zero), element by element, exactly.

    ``a`` may have any sign; ``b ≥ 0`` and ``d > 0``. All three are integer arrays (or
    scalars) of the same shape. Writing ``|a| = q·d + r`` gives
    ``|a|·b/d = q·b + r·b/d`` with ``r < d``, so the only large product is ``q·b``, which
    is no larger than the result itself: the rounding never needs ``a × b``.
    """
    a, b, d = np.asarray(a), np.asarray(b), np.asarray(d)
    if any(array.dtype == object for array in (a, b, d)):
        a, b, d = a.astype(object), b.astype(object), d.astype(object)
    elif a.size and b.size and d.size:
        a_max, b_max, d_max = _abs_max(a), _abs_max(b), _abs_max(d)
        d_min = max(int(d.min()), 1)
        if 2 * b_max * d_max + d_max >= _INT64_SAFE or (a_max // d_min + 1) * b_max >= _INT64_SAFE:
            a, b, d = a.astype(object), b.astype(object), d.astype(object)
    negative = a < 0
    magnitude = np.where(negative, -a, a)
    quotient, remainder = magnitude // d, magnitude % d
    rounded = quotient * b + (2 * remainder * b + d) // (2 * d)
    return np.where(negative, -rounded, rounded)


def to_decimals(units: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """Decimals ``units[i] × 10**exponents[i]`` (434 78 cents → ``Decimal('434.78')``).

    Built from strings, which ``Decimal`` reads exactly whatever its context precision.
    Daily targets repeat a handful of values, so each distinct value is converted once.
    """
    result = np.empty(len(units), dtype=object)
    for exponent in np.unique(exponents):
        rows = np.flatnonzero(exponents == exponent)
        distinct, codes = np.unique(units[rows], return_inverse=True)
        converted = np.empty(len(distinct), dtype=object)
        converted[:] = [Decimal(f"{int(value)}E{int(exponent)}") for value in distinct]
        result[rows] = converted[codes]
    return result
