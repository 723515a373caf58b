"""Date windows asked for by users (calendars, report deadlines, due reviews): one check, and
the bounds every date doudi accepts has (:mod:`core.validation.dates`), so every query refuses
the same nonsense with the same words."""

from __future__ import annotations

import datetime as dt

from core.errors import InvalidInput
from core.validation.dates import FIRST_DATE, LAST_DATE, check_date

# Days a window may touch: the dates doudi accepts anywhere (month arithmetic near year 1 or
# 9999 overflows, and nothing in social assistance is scheduled outside these years).
FIRST_DAY = FIRST_DATE
LAST_DAY = LAST_DATE


def check_window(start: dt.date, end: dt.date, max_days: int, what: str = "a window") -> None:
    """DATE_OUT_OF_RANGE unless both days lie between FIRST_DAY and LAST_DAY; INVALID_INPUT
    unless ``start <= end`` and [start, end] holds at most ``max_days`` days (``what`` names the
    window in the message)."""
    for name, day in (("from", start), ("to", end)):
        check_date(day, name)
    if end < start:
        raise InvalidInput(f"to: {end.isoformat()} is before from: {start.isoformat()}")
    days = (end - start).days + 1
    if days > max_days:
        raise InvalidInput(
            f"to: {what} covers at most {max_days} days, not {days}; ask for a shorter window"
        )


__all__ = ["FIRST_DAY", "LAST_DAY", "check_window"]
