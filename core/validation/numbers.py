"""Numbers: finite everywhere, and amounts in yuan within the domain's bounds.

NaN and the infinities are not numbers anyone can pay or compare: JSON cannot even carry them
(Python's parser and YAML's ``.nan``/``.inf`` let them in), and one stored standard of NaN made
every eligibility answer of its county fail. A yuan amount is at most:

- :data:`MAX_MONTHLY_YUAN` (一千万元) per month — an income, an expense, a standard, a benefit:
  thousands of times any dibao standard or the income of a household that applies, and every
  such amount stays exact in fen as a 64-bit integer and as a float (below 2**53);
- :data:`MAX_ASSET_YUAN` (一万亿元) for an asset's value (a house, a business), which is recorded
  to show a household is above the line, however far.

``1e308`` is finite but no amount: it is refused as out of range.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from core.errors import InvalidInput
from core.validation.paths import member

MAX_MONTHLY_YUAN = 10_000_000
MAX_ASSET_YUAN = 10**12


class NotFinite(InvalidInput):
    code = "NOT_A_FINITE_NUMBER"


class NumberOutOfRange(InvalidInput):
    code = "NUMBER_OUT_OF_RANGE"


def _is_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Decimal):
        return not value.is_finite()
    return False


def check_finite(value: Any, field: str = "value") -> Any:
    """``value`` unless it is NaN or an infinity (float or Decimal): :class:`NotFinite`."""
    if _is_non_finite(value):
        raise NotFinite(f"{field}: {value} is not a finite number")
    return value


def check_number(
    value: Any,
    field: str = "value",
    *,
    minimum: float | None = 0,
    maximum: float = MAX_MONTHLY_YUAN,
) -> Any:
    """A finite number between ``minimum`` and ``maximum`` (defaults: a monthly yuan amount)."""
    check_finite(value, field)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput(f"{field}: must be a number")
    if minimum is not None and value < minimum:
        raise NumberOutOfRange(f"{field}: {value} is below {minimum:g}")
    if value > maximum:
        raise NumberOutOfRange(f"{field}: {value:g} is above {maximum:,} (the most doudi accepts)")
    return value


def non_finite_in(value: Any, path: str = "$") -> Iterator[str]:
    """The JSON paths of every NaN or infinity inside ``value``."""
    if _is_non_finite(value):
        yield path
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from non_finite_in(v, path + member(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from non_finite_in(v, f"{path}[{i}]")


__all__ = [
    "MAX_ASSET_YUAN",
    "MAX_MONTHLY_YUAN",
    "NotFinite",
    "NumberOutOfRange",
    "check_finite",
    "check_number",
    "non_finite_in",
]
