"""Dates: every date the platform accepts lies between :data:`FIRST_DATE` and :data:`LAST_DATE`.

Why these: the oldest people a household names were born after 1900 (resident ID numbers encode
the birth date; :mod:`core.households.model` refuses earlier ones), so nothing doudi records is
earlier; and nothing is decided or scheduled after 2199 (calendars, deadlines and report dates
stop there: month arithmetic near the year 9999 overflows, which is how ``calendar(from:
"9999-12-01")`` used to answer 500). Year 0001, which Python and PostgreSQL both accept, is
outside: a case dated 0001-01-01 blocked new applications for its household.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from core.errors import InvalidInput
from core.validation.paths import member

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateOutOfRange(InvalidInput):
    code = "DATE_OUT_OF_RANGE"

    def __init__(self, field: str, day: dt.date) -> None:
        super().__init__(
            f"{field + ': ' if field else ''}{day.isoformat()} is outside the dates doudi "
            f"accepts ({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})"
        )
        self.field = field


def check_date(day: dt.date, field: str = "date") -> dt.date:
    """``day`` if it lies between FIRST_DATE and LAST_DATE, else :class:`DateOutOfRange`."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if not FIRST_DATE <= day <= LAST_DATE:
        raise DateOutOfRange(field, day)
    return day


def parse_date(text: str, field: str = "date") -> dt.date:
    """A date written strictly YYYY-MM-DD, within the accepted range (INVALID_INPUT when it is
    not a date at all, DATE_OUT_OF_RANGE when it is one outside the range)."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise InvalidInput(f"{field}: {text!r} is not a date; use YYYY-MM-DD (e.g. 2021-06-01)")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {text!r} is not a valid date ({exc})") from None
    return check_date(day, field)


def dates_in(value: Any, path: str = "$") -> Iterator[tuple[str, dt.date]]:
    """Every date (a ``datetime.date``, as YAML loads ``2021-06-01``) inside ``value``, with its
    JSON path, for checking documents read from files."""
    if isinstance(value, dt.date):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from dates_in(v, path + member(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from dates_in(v, f"{path}[{i}]")


__all__ = ["FIRST_DATE", "LAST_DATE", "DateOutOfRange", "check_date", "dates_in", "parse_date"]
