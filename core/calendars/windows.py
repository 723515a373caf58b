"""Date windows asked for by users (calendars, report deadlines, due reviews): one check, one
set of bounds, so every query refuses the same nonsense with the same words."""

from __future__ import annotations

import datetime as dt

from core.errors import InvalidInput

# Days a window may touch: month arithmetic near year 1 or 9999 overflows, and nothing in
# social assistance is scheduled outside these years.
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def check_window(start: dt.date, end: dt.date, max_days: int, what: str = "a window") -> None:
    """INVALID_INPUT unless both days lie between FIRST_DAY and LAST_DAY, ``start <= end``, and
    [start, end] holds at most ``max_days`` days (``what`` names the window in the message)."""
    for name, day in (("from", start), ("to", end)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput(
                f"{name}: {day.isoformat()} is out of range "
                f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})"
            )
    if end < start:
        raise InvalidInput(f"to: {end.isoformat()} is before from: {start.isoformat()}")
    days = (end - start).days + 1
    if days > max_days:
        raise InvalidInput(
            f"to: {what} covers at most {max_days} days, not {days}; ask for a shorter window"
        )


__all__ = ["FIRST_DAY", "LAST_DAY", "check_window"]
