"""Spot-check selection that guarantees its minimum (不低于) for every county and month (pure).

A document that says the county checks "不低于30%" (特困人员认定办法 art. 16, Yongning 004 二(三)8)
or "50%以上" (Yongfu 003 二(三); 以上 includes the number itself, 民法典 art. 1259) of a kind of
township decision sets a floor that must hold in every county and every month, not on average.
A per-case draw cannot promise that: a month with four township confirmations may see none
checked. Instead each kind of decision (a *pool*) keeps a running count per county and month:
the n-th decision of the month is selected when fewer than ⌈r·n⌉ have been selected so far
(*forced*), and otherwise at random with probability r (the documents ask for a random check,
随机抽查; the random extra keeps the township from knowing which files will be checked, while the
floor holds at every moment of the month, so a month that ends early is never short).

The counts live in the database (``spot_check_tallies``, locked in the write transaction of the
step, see :mod:`core.cases.store`); this module is the rule. The ratio is that in force on the
step's date; if it changes within a month, the n-th decision needs ⌈r_n·n⌉ with its own r_n.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# The pools, and the step whose decisions they count.
DIBAO_TOWNSHIP_CONFIRMATION = "dibao_township_confirmation"  # confirm_case by a township
TEKUN_FILE = "tekun_file"  # record_first_review of a tekun application
TEKUN_SELF_CARE = "tekun_self_care"  # record_self_care by a township (preliminary)
POOLS = (DIBAO_TOWNSHIP_CONFIRMATION, TEKUN_FILE, TEKUN_SELF_CARE)


def as_fraction(ratio: Any) -> Fraction:
    """A policy ratio (0–1) exactly: 0.3 is 3/10, never 0.299999…"""
    return Fraction(str(ratio))


def required(ratio: Fraction, n: int) -> int:
    """The least number selected among ``n`` decisions: ⌈r·n⌉ (at most n)."""
    if ratio <= 0 or n <= 0:
        return 0
    return min(n, math.ceil(ratio * n))


@dataclass(frozen=True, slots=True)
class SelectionRequest:
    """What a step asks the store to decide: one more decision in ``pool`` for the case's
    county in ``month`` ("YYYY-MM") at ``ratio`` (the value of ``path`` on the step's date)."""

    pool: str
    month: str
    ratio: str  # as the policy gives it, e.g. "0.3"
    path: str
    quote: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    selected: bool
    forced: bool
    position: int  # n: this decision is the n-th of the pool, county and month
    selected_so_far: int  # including this one
    required: int  # ⌈r·n⌉

    def words(self, req: SelectionRequest, county: str) -> str:
        state = "selected" if self.selected else "not selected"
        how = " (needed to keep the minimum)" if self.forced else (" (at random)")
        return (
            f"county spot-check: {state}{how}: decision {self.position} of {req.pool} in "
            f"{county} in {req.month}, {self.selected_so_far} of {self.position} selected, at "
            f"least ⌈{req.ratio} × {self.position}⌉ = {self.required} required by "
            f"`{req.path}`" + (f" “{req.quote}”" if req.quote else "")
        )


def _draw(ratio: Fraction) -> bool:
    """True with probability ``ratio``, from the operating system's randomness."""
    return secrets.randbelow(ratio.denominator) < ratio.numerator


def select(
    decisions: int,
    selected: int,
    ratio: Fraction,
    draw: Callable[[Fraction], bool] = _draw,
) -> Selection:
    """The next decision after ``decisions`` of which ``selected`` were selected."""
    n = decisions + 1
    need = required(ratio, n)
    if ratio >= 1:
        return Selection(True, True, n, selected + 1, need)
    if ratio <= 0:
        return Selection(False, False, n, selected, 0)
    if selected < need:
        return Selection(True, True, n, selected + 1, need)
    chosen = draw(ratio)
    return Selection(chosen, False, n, selected + (1 if chosen else 0), need)


__all__ = [
    "DIBAO_TOWNSHIP_CONFIRMATION",
    "POOLS",
    "TEKUN_FILE",
    "TEKUN_SELF_CARE",
    "Selection",
    "SelectionRequest",
    "as_fraction",
    "required",
    "select",
]
