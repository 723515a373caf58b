"""Chinese working days: statutory holidays (法定节假日) and make-up working days (调休上班).

A :class:`WorkCalendar` knows the years ``chinese-calendar`` covers plus any :class:`HolidayTable`
given to it (from a plugin or imported into the database); a table for a year chinese-calendar
covers replaces chinese-calendar's data for that year, and among tables for the same year the last
one given wins. For any other year a working day is Monday to Friday except the 13 days off the
law fixes (from 2025; see :func:`statutory_days`): 元旦 1 January, 劳动节 1-2 May, 国庆节 1-3
October on the Gregorian calendar, and 春节 (除夕 to 初三), 清明节, 端午节 and 中秋节 by the lunar
calendar, computed with the ``holidays`` library. An answer that relies on such a year is still
*provisional* (:class:`DueDate` says so and names the years): the make-up working days (调休) and
the placement of substitute days off (补假) are only known from the State Council's notice.

Pure logic: dates come in as arguments, nothing here reads the clock, files or the database.

Speed: the calendar precomputes, over the span of covered years and the
:data:`PROVISIONAL_HORIZON_YEARS` after the last of them, the sorted ordinals of every working day
and the running count of working days per day, so :meth:`WorkCalendar.add_working_days` is two list
lookups (O(1); outside the span working days are counted in closed form, Monday to Friday) and a
cached :class:`DueDate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate

import chinese_calendar
import holidays as _holidays_lib
from chinese_calendar import constants as _cc

from core.plugin.hookspecs import HolidayTable

CHINESE_CALENDAR = "chinese-calendar"
_MAX_ORDINAL = dt.date.max.toordinal()
_ONE_DAY = dt.timedelta(days=1)
CHINESE_CALENDAR_SOURCE = f"{CHINESE_CALENDAR} {chinese_calendar.__version__}"

# 《全国年节及纪念日放假办法》(国务院令; as revised by the State Council's decision of
# 2024-11-10, in force from 2025-01-01), art. 2: 元旦 1 January (1 day), 劳动节 1-2 May
# (2 days), 国庆节 1-3 October (3 days) are days off on fixed Gregorian dates. The lunar
# festivals (春节, 清明节, 端午节, 中秋节) and the make-up working days cannot be known before
# the State Council's notice for the year.
# Before 2025 the numbers differ (劳动节 was one day until 2024), so the rule applies from 2025 on.
STATUTORY_RULE_SINCE = 2025
_FIXED_DAYS_OFF: tuple[tuple[int, int, str], ...] = (
    (1, 1, "元旦"),
    (5, 1, "劳动节"),
    (5, 2, "劳动节"),
    (10, 1, "国庆节"),
    (10, 2, "国庆节"),
    (10, 3, "国庆节"),
)
PROVISIONAL_HORIZON_YEARS = 10
"""How many years after the last covered one the fixed statutory days off are applied to years
with no table (beyond that, Monday to Friday in closed form)."""

TableInput = HolidayTable | tuple[str, HolidayTable]
"""A table, or ``(origin, table)`` as :attr:`core.policy.service.PolicyBase.holiday_tables`
holds them (origin: the plugin's name, or ``"imported"``)."""


@dataclass(frozen=True, slots=True)
class DueDate:
    """A date computed over working days.

    ``provisional`` is True when a day counted lies in a year with no holiday table (its weekdays,
    except the days off fixed by law, were taken as working days; the State Council's notice may
    still move some); ``uncovered_years`` names those years.
    """

    date: dt.date
    provisional: bool
    uncovered_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One covered year: its days off and make-up working days, and where they come from.

    ``origin`` is ``"chinese-calendar"``, a plugin's name, or ``"imported"``; ``source`` is
    ``"chinese-calendar 1.11.0"`` or the table's document title and number.
    """

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    origin: str
    source: str
    table: HolidayTable | None = None
    amended_by: tuple[str, ...] = ()  # later notices that moved some of its days (DayChange)


@dataclass(frozen=True, slots=True)
class DayChange:
    """One day of a year that a *later* notice moves: the State Council's notice for year Y may
    start the New Year holiday in the last days of December of Y-1 (the 2019 notice: 2018-12-29
    worked, 2018-12-30 and -31 off). ``working`` is what the day becomes; ``source`` names the
    notice. Applied after every table, whatever the year's own source."""

    day: dt.date
    working: bool
    source: str


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays with ordinal in [1, ordinal] (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _nth_weekday(m: int) -> int:
    """The ordinal of the m-th Monday-to-Friday day counted from 0001-01-01 (m >= 1)."""
    weeks, rest = divmod(m - 1, 5)
    return weeks * 7 + rest + 1


def statutory_fixed_days(year: int) -> dict[dt.date, str]:
    """The days off the law fixes on the Gregorian calendar in ``year`` (empty before 2025), with
    their festival names: 1 January, 1-2 May, 1-3 October (weekend days included)."""
    if year < STATUTORY_RULE_SINCE:
        return {}
    return {dt.date(year, m, d): name for m, d, name in _FIXED_DAYS_OFF}


# The festivals of 《全国年节及纪念日放假办法》 art. 2 (2024 revision) as the holidays library names
# them in Chinese (it also lists days that are not days off for everyone, e.g. 妇女节).
_STATUTORY_ZH = frozenset(
    {"元旦", "农历除夕", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
)


@lru_cache(maxsize=256)
def statutory_days(year: int) -> dict[dt.date, str]:
    """Every day off the law fixes in ``year`` (empty before 2025), with its festival's name:
    元旦, 春节 (农历除夕 and 正月初一 to 初三), 清明节, 劳动节 (1-2 May), 端午节, 中秋节, 国庆节
    (1-3 October) — 13 days, 12 dates when 中秋 falls on 1 October (2031: 中秋节、国庆节).

    The lunar dates come from the ``holidays`` library (its China calendar agrees with
    chinese-calendar on every day of 2019-2026, and with two lunar libraries on 2025-2099);
    beyond the years it computes, the fixed Gregorian days alone (:func:`statutory_fixed_days`).
    Substitute days off (补假) and make-up working days (调休) are not included: the State
    Council places them in its notice for the year."""
    if year < STATUTORY_RULE_SINCE:
        return {}
    out: dict[dt.date, str] = {}
    found: Mapping[dt.date, str]
    try:
        found = _holidays_lib.country_holidays("CN", years=year, observed=False, language="zh_CN")
    except NotImplementedError:  # pragma: no cover - the library covers every year asked here
        found = {}
    for day, names in sorted(found.items()):
        kept = [n for n in str(names).split("; ") if n in _STATUTORY_ZH]
        if kept:
            out[day] = "、".join(kept)
    return out or statutory_fixed_days(year)


def chinese_calendar_names(year: int) -> dict[dt.date, str]:
    """chinese-calendar's festival names (Chinese) of the days off and make-up days of ``year``."""
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    return {
        day: chinese.get(name, name)
        for table in (_cc.holidays, _cc.workdays)
        for day, name in table.items()
        if day.year == year
    }


def holiday_periods(
    days: Iterable[dt.date], names: Mapping[dt.date, str] | None = None
) -> list[tuple[dt.date, dt.date, str]]:
    """Days off grouped into periods of consecutive days with the same name:
    ``(first, last, name)``, in order (name "" when unknown)."""
    names = names or {}
    out: list[tuple[dt.date, dt.date, str]] = []
    for day in sorted(set(days)):
        name = names.get(day, "")
        if out and out[-1][1] + _ONE_DAY == day and out[-1][2] == name:
            out[-1] = (out[-1][0], day, name)
        else:
            out.append((day, day, name))
    return out


def _cc_years() -> dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]]:
    holidays: dict[int, set[dt.date]] = {}
    workdays: dict[int, set[dt.date]] = {}
    for day in _cc.holidays:
        holidays.setdefault(day.year, set()).add(day)
    for day in _cc.workdays:
        workdays.setdefault(day.year, set()).add(day)
    first, last = min(holidays), max(holidays)
    return {
        y: (frozenset(holidays.get(y, ())), frozenset(workdays.get(y, ())))
        for y in range(first, last + 1)
    }


_CC_YEARS = _cc_years()


def table_title(table: HolidayTable) -> str:
    """The table's document title and its number in brackets, if it has one."""
    doc = table.source.document
    title = doc.title or doc.id
    return f"{title} ({doc.number})" if doc.number else title


class WorkCalendar:
    """Chinese working days: chinese-calendar's years, plus HolidayTable objects for other years
    (a table for a year chinese-calendar covers replaces its data for that year)."""

    __slots__ = (
        "_base_hi",
        "_base_lo",
        "_counts",
        "_days",
        "_due",
        "_first",
        "_flags",
        "_gapless",
        "_last",
        "_ndays",
        "_size",
        "_uncovered_days",
        "_years",
    )

    def __init__(
        self, tables: Iterable[TableInput] = (), changes: Iterable[DayChange] = ()
    ) -> None:
        years: dict[int, YearSchedule] = {
            y: YearSchedule(y, h, w, CHINESE_CALENDAR, CHINESE_CALENDAR_SOURCE)
            for y, (h, w) in _CC_YEARS.items()
        }
        for item in tables:
            origin, table = item if isinstance(item, tuple) else ("imported", item)
            _check_table(table)
            years[table.year] = YearSchedule(
                table.year, table.holidays, table.workdays, origin, table_title(table), table
            )
        loose: list[DayChange] = []  # days of uncovered years (which stay provisional)
        for change in changes:
            sched = years.get(change.day.year)
            if sched is None:
                loose.append(change)
                continue
            if change.working:
                hol, work = sched.holidays - {change.day}, sched.workdays | {change.day}
            else:
                hol, work = sched.holidays | {change.day}, sched.workdays - {change.day}
            amended = sched.amended_by
            if change.source not in amended:
                amended = (*amended, change.source)
            years[sched.year] = replace(sched, holidays=hol, workdays=work, amended_by=amended)
        self._years = years
        first_year = min(years)
        last_year = min(max(years) + PROVISIONAL_HORIZON_YEARS, dt.MAXYEAR)
        self._first = dt.date(first_year, 1, 1).toordinal()
        self._last = dt.date(last_year, 12, 31).toordinal()
        flags = bytearray(self._last - self._first + 1)
        for i in range(len(flags)):
            flags[i] = 1 if (self._first + i - 1) % 7 < 5 else 0
        # Uncovered years of the span (gaps between covered years, and the horizon after the
        # last): the days off fixed by law are never working days (provisional all the same).
        gaps = [y for y in range(first_year, last_year + 1) if y not in years]
        for y in gaps:
            for day in statutory_days(y):
                flags[day.toordinal() - self._first] = 0
        for sched in years.values():
            for day in sched.holidays:
                flags[day.toordinal() - self._first] = 0
            for day in sched.workdays:
                flags[day.toordinal() - self._first] = 1
        for change in loose:
            if self._first <= change.day.toordinal() <= self._last:
                flags[change.day.toordinal() - self._first] = 1 if change.working else 0
        self._flags = bytes(flags)
        self._days = [self._first + i for i, f in enumerate(flags) if f]
        self._ndays = len(self._days)
        self._size = len(flags)
        # counts[i]: working days from the start of the span through ordinal first + i (W).
        self._counts = list(accumulate(flags))
        # uncovered_days[i]: days of uncovered years through ordinal first + i (all 0 when every
        # year of the span is covered: then no check is needed at all).
        self._gapless = not gaps
        uncovered = bytearray(self._size)
        for y in gaps:
            lo = dt.date(y, 1, 1).toordinal() - self._first
            hi = dt.date(y, 12, 31).toordinal() - self._first + 1
            uncovered[lo:hi] = b"\x01" * (hi - lo)
        self._uncovered_days = [] if self._gapless else list(accumulate(uncovered))
        # Weekday counts just outside the span, for the closed-form parts of W and its inverse.
        self._base_lo = _weekdays_through(self._first - 1)
        self._base_hi = _weekdays_through(self._last)
        self._due: dict[int, DueDate] = {}

    # -- what is known -----------------------------------------------------------------------

    def covers(self, year: int) -> bool:
        return year in self._years

    def covered_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def table_source(self, year: int) -> str:
        """Where a covered year's days come from: ``"chinese-calendar 1.11.0"`` or the table's
        document title and number ("" for a year not covered)."""
        sched = self._years.get(year)
        return sched.source if sched is not None else ""

    def schedule(self, year: int) -> YearSchedule | None:
        """The days off and make-up working days of a covered year (None if not covered)."""
        return self._years.get(year)

    def uncovered_years(self, first: int, last: int) -> tuple[int, ...]:
        """Years in [first, last] with no holiday table."""
        return tuple(y for y in range(first, last + 1) if y not in self._years)

    def uncovered_between(self, start: dt.date, end: dt.date) -> tuple[int, ...]:
        """Years without a holiday table among the days in (start, end] (or (end, start]): a
        :meth:`working_days_between` count over them is provisional."""
        lo, hi = (start, end) if start <= end else (end, start)
        if lo == hi:
            return ()
        return self.uncovered_years((lo + _ONE_DAY).year, hi.year)

    def provisional_days_off(self, year: int) -> dict[dt.date, str]:
        """The weekdays of an uncovered ``year`` taken as days off because the law fixes them
        (:func:`statutory_days`: the Gregorian and the lunar festivals), with their names; empty
        for a covered year, a year before 2025 and a year beyond the horizon."""
        if year in self._years:
            return {}
        return {
            day: name
            for day, name in statutory_days(year).items()
            if day.weekday() < 5 and not self.is_working_day(day)
        }

    # -- arithmetic ------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; in an uncovered year Monday to Friday except the days
        off fixed by law (the caller must check :meth:`covers` before treating that as final)."""
        o = day.toordinal()
        if self._first <= o <= self._last:
            return self._flags[o - self._first] == 1
        return (o - 1) % 7 < 5

    def _count_through(self, o: int) -> int:
        """W(o): working days with ordinal <= o, counted from the start of the span (may be <= 0
        before it)."""
        if o < self._first:
            return _weekdays_through(o) - self._base_lo
        if o <= self._last:
            return self._counts[o - self._first]
        return len(self._days) + _weekdays_through(o) - self._base_hi

    def _kth(self, k: int) -> int:
        """The ordinal of the working day x with W(x) == k."""
        n = len(self._days)
        if 1 <= k <= n:
            return self._days[k - 1]
        if k > n:
            return _nth_weekday(k - n + self._base_hi)
        return _nth_weekday(k + self._base_lo)

    def add_working_days(self, start: dt.date, n: int) -> DueDate:
        """The n-th working day after ``start`` (``start`` itself not counted). ``n == 0`` gives
        ``start`` if it is a working day, else the next working day. Provisional if any day walked
        lies in a year with no holiday table."""
        # Fast path (a start inside the covered span, a result inside it, no uncovered year
        # walked): two list lookups and a cached answer.
        i = start.toordinal() - self._first
        if n > 0 and 0 <= i < self._size:
            k = self._counts[i] + n
            if k <= self._ndays:
                r = self._days[k - 1]
                if self._gapless or (
                    self._uncovered_days[r - self._first] == self._uncovered_days[i]
                ):
                    due = self._due.get(r)
                    if due is None:
                        due = self._due[r] = DueDate(dt.date.fromordinal(r), False, ())
                    return due
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        o = start.toordinal()
        if n == 0:
            result = self._kth(self._count_through(o - 1) + 1)
            first_year = start.year
        else:
            result = self._kth(self._count_through(o) + n)
            first_year = start.year if start.month != 12 or start.day != 31 else start.year + 1
        if result > _MAX_ORDINAL:
            raise ValueError(f"{n} working days after {start.isoformat()} is past 9999-12-31")
        day = dt.date.fromordinal(result)
        missing = self.uncovered_years(first_year, day.year)
        return DueDate(day, bool(missing), missing)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative (minus those in (end, start]) if end < start."""
        return self._count_through(end.toordinal()) - self._count_through(start.toordinal())

    def __repr__(self) -> str:
        years = self.covered_years()
        return f"WorkCalendar({years[0]}..{years[-1]}, {len(years)} years covered)"


def _check_table(table: HolidayTable) -> None:
    stray = sorted(d for d in table.holidays | table.workdays if d.year != table.year)
    if stray:
        raise ValueError(f"holiday table {table.year}: {stray[0].isoformat()} is not in the year")
    both = sorted(table.holidays & table.workdays)
    if both:
        raise ValueError(
            f"holiday table {table.year}: {both[0].isoformat()} is both a holiday and a workday"
        )


@lru_cache(maxsize=32)
def _cached(tables: tuple[TableInput, ...], changes: tuple[DayChange, ...]) -> WorkCalendar:
    return WorkCalendar(tables, changes)


def default_calendar(
    tables: Iterable[TableInput] = (), changes: Iterable[DayChange] = ()
) -> WorkCalendar:
    """The calendar for ``tables`` (HolidayTables or ``(origin, table)`` pairs, later ones win),
    cached: the same tables give the same object. For the policy-only app:
    ``default_calendar(base.holiday_tables)``."""
    return _cached(tuple(tables), tuple(changes))
