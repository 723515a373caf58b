"""Holiday tables in the database: import a State Council schedule for a year, list and show the
years known, and keep every process's :class:`~core.calendars.workdays.WorkCalendar` in step with
them.

**The file** (YAML or JSON; the ``importHolidayTable`` mutation takes the same shape)::

    year: 2027
    source:
      title: 国务院办公厅关于2027年部分节假日安排的通知
      number: 国办发明电〔2026〕…号          # optional, but cite it when the notice has one
      date: "2026-11-…"                     # optional: the notice's date
      url: https://www.gov.cn/…             # optional
    holidays:                               # the days off, as the notice lists them
      - {from: "2027-01-01", to: "2027-01-03", name: 元旦}
      - "2027-04-05"                        # a single day is fine too
    workdays:                               # the weekend days worked instead (调休上班)
      - {date: "2027-02-20", name: 春节}
      - "2027-09-26"

What a real notice looks like, and therefore what is checked (every problem is reported at once,
naming the file and the JSON path of the item, e.g. ``2027.yaml: $.holidays[2].to: ...``):

- every day lies in ``year`` — except that a notice's New Year holiday may begin in the last
  week of December of the year before (the 2019 notice: 2018-12-29 worked, 12-30 and 12-31 off);
  such days are applied to that year as amendments (:class:`~core.calendars.workdays.DayChange`);
- 1 January is a day off (元旦 is in every notice);
- a make-up working day is always a Saturday or a Sunday, and never also a day off;
- a holiday period (consecutive days off) that holds only weekend days moves no working day: it
  is a mistake (a wrong year or month, usually); a period is at most 15 days long;
- no day is listed twice; no unknown keys (a typo such as ``holiday:`` is not ignored).

Refused unless the importer confirms (``force=True``; ``--force`` in the CLI, ``force: true`` in
GraphQL), raising :class:`HolidayImportNeedsConfirmation` (``CONFIRMATION_REQUIRED``) with every
reason and nothing written: a net count of weekday days off (days off on Monday–Friday minus
make-up days) other than the 13 statutory days since 2025 (《全国年节及纪念日放假办法》, 2024
revision); a year whose data came from chinese-calendar or a plugin until now. Both are also
warnings of a confirmed import.

Warnings (the import goes ahead): a make-up day more than 14 days from any day off.

**Who**: only a national administrator (a ``province_admin`` of ``000000``) imports: a table
applies to the whole country, so a provincial administrator may not change it. Reading needs no
token. Importing a year again replaces its table in one transaction (the audit keeps the old
one, with who imported it and when); a failed import changes nothing.

**Where the calendar comes from** (:class:`CalendarProvider`, used by
:meth:`core.runtime.Runtime.work_calendar`): chinese-calendar, then the plugins' tables
(``PolicyBase.holiday_tables``), then the imported tables. The provider checks the database's
holiday revision at most once per ``ttl`` seconds (default 1) and at once after an import by
this process, and rebuilds only when it changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.access.roles import Forbidden, Role, Unauthenticated, User
from core.calendars.workdays import (
    CHINESE_CALENDAR,
    DayChange,
    WorkCalendar,
    chinese_calendar_names,
    default_calendar,
    holiday_periods,
)
from core.errors import DoudiError
from core.plugin.hookspecs import Document, HolidayTable, Source
from core.policy.jurisdictions import NATIONAL_CODE
from core.policy.loader import parse_text
from core.storage.engine import read_unit, reading, write_unit
from core.storage.tables import HolidayTableAuditRow, HolidayTableRow, UserRow

log = logging.getLogger(__name__)

IMPORTED = "imported"
FIRST_YEAR, LAST_YEAR = 2000, 2199
MAX_PERIOD_DAYS = 15
MAX_WORKDAY_DISTANCE = 14
STATUTORY_DAYS_SINCE_2025 = 13
EARLY_NEW_YEAR_DAYS = 7  # a notice's New Year holiday may begin this many days before 1 January
MAX_TEXT = 500
ISSUER = "国务院办公厅"
DEFAULT_TTL_S = 1.0
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_IMPORT_LOCK = 0x686F6C6964  # "holid": serialises imports on PostgreSQL


# -- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HolidayIssue:
    """One problem in a holiday table, located by file and JSON path."""

    file: str
    json_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.json_path}: {self.message}"


class HolidayTableInvalid(DoudiError):
    """A holiday table failed validation; carries every problem found. Nothing was written."""

    code = "INVALID_HOLIDAY_TABLE"

    def __init__(self, file: str, issues: Sequence[HolidayIssue]) -> None:
        self.file = file
        self.issues = tuple(issues)
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in holiday table {file}, nothing imported"
        super().__init__(head + ":\n" + "\n".join(f"  - {i}" for i in self.issues))


class HolidayImportNeedsConfirmation(DoudiError):
    """A valid table that may well be wrong (an unusual count of days off, or it replaces
    chinese-calendar's or a plugin's data): imported only when confirmed. Nothing was written."""

    code = "CONFIRMATION_REQUIRED"

    def __init__(self, file: str, year: int, reasons: Sequence[HolidayIssue]) -> None:
        self.file = file
        self.year = year
        self.reasons = tuple(reasons)
        listed = "; ".join(f"{r.json_path}: {r.message}" for r in self.reasons)
        super().__init__(
            f"{file}: the {year} holiday table needs confirming, nothing imported: {listed} — if "
            "it is right, import it again with --force (importHolidayTable: force: true)"
        )


# -- the validated table -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HolidaySource:
    title: str
    number: str = ""
    date: dt.date | None = None
    url: str = ""
    issuer: str = ISSUER


@dataclass(frozen=True, slots=True)
class HolidayPeriod:
    """Consecutive days off as the notice lists them (``first`` == ``last`` for one day)."""

    first: dt.date
    last: dt.date
    name: str = ""

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class MakeUpDay:
    """A weekend day worked instead (调休上班)."""

    date: dt.date
    name: str = ""


@dataclass(frozen=True, slots=True)
class ParsedHolidayTable:
    """A validated holiday table (what a file or the mutation's input gives)."""

    year: int
    source: HolidaySource
    holidays: tuple[HolidayPeriod, ...]
    workdays: tuple[MakeUpDay, ...]
    warnings: tuple[str, ...] = ()
    # What the importer must confirm (each is also in warnings): an unusual count of days off.
    confirm: tuple[HolidayIssue, ...] = field(default=(), compare=False)

    def days_off(self) -> list[dt.date]:
        return sorted(d for p in self.holidays for d in p.days())

    def names(self) -> dict[dt.date, str]:
        out = {d: p.name for p in self.holidays for d in p.days() if p.name}
        out.update({w.date: w.name for w in self.workdays if w.name})
        return out

    def holiday_table(self, note: str = "") -> HolidayTable:
        """The table of ``year`` (days of December before it are :meth:`changes`)."""
        doc = Document(
            id=f"holiday-table-{self.year}",
            title=self.source.title,
            number=self.source.number,
            issuer=self.source.issuer,
            date=self.source.date,
            url=self.source.url,
            note=note,
        )
        return HolidayTable(
            self.year,
            frozenset(d for d in self.days_off() if d.year == self.year),
            frozenset(w.date for w in self.workdays if w.date.year == self.year),
            Source(doc),
        )

    def changes(self) -> tuple[DayChange, ...]:
        """The days of the year before that this notice moves (its New Year holiday)."""
        source = self.title
        off = [DayChange(d, False, source) for d in self.days_off() if d.year < self.year]
        worked = [DayChange(w.date, True, source) for w in self.workdays if w.date.year < self.year]
        return tuple(sorted(off + worked, key=lambda c: c.day))

    @property
    def title(self) -> str:
        s = self.source
        return f"{s.title} ({s.number})" if s.number else s.title

    def to_json(self) -> dict[str, Any]:
        source: dict[str, Any] = {"title": self.source.title}
        if self.source.number:
            source["number"] = self.source.number
        if self.source.date is not None:
            source["date"] = self.source.date.isoformat()
        if self.source.url:
            source["url"] = self.source.url
        if self.source.issuer != ISSUER:
            source["issuer"] = self.source.issuer
        return {
            "year": self.year,
            "source": source,
            "holidays": [
                {"from": p.first.isoformat(), "to": p.last.isoformat(), "name": p.name}
                for p in self.holidays
            ],
            "workdays": [{"date": w.date.isoformat(), "name": w.name} for w in self.workdays],
        }


class _Issues:
    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[HolidayIssue] = []

    def add(self, path: str, message: str) -> None:
        self.found.append(HolidayIssue(self.file, path, message))


def _weekday(day: dt.date) -> str:
    return _WEEKDAYS[day.weekday()]


def _text(value: Any, path: str, issues: _Issues, *, required: bool = False) -> str:
    if value is None:
        if required:
            issues.add(path, "is required")
        return ""
    if not isinstance(value, str):
        issues.add(path, f"must be text, not {type(value).__name__}")
        return ""
    text = value.strip()
    if required and not text:
        issues.add(path, "must not be empty")
    if len(text) > MAX_TEXT:
        issues.add(path, f"is longer than {MAX_TEXT} characters")
    return text


def _date(value: Any, path: str, issues: _Issues) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        issues.add(path, f"{value!r} is not a date; use YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        issues.add(path, f"'{value}' is not a valid date ({exc})")
        return None


def _unknown_keys(
    data: Mapping[str, Any], allowed: Iterable[str], path: str, issues: _Issues
) -> None:
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            issues.add(
                f"{path}.{key}" if isinstance(key, str) else path,
                f"unknown key {key!r}; allowed: {', '.join(allowed)}",
            )


def _in_year(day: dt.date, year: int, path: str, issues: _Issues) -> bool:
    if day.year == year:
        return True
    early = dt.date(year, 1, 1) - dt.timedelta(days=EARLY_NEW_YEAR_DAYS)
    if early <= day < dt.date(year, 1, 1):
        return True  # the New Year holiday beginning in late December
    issues.add(
        path,
        f"{day.isoformat()} is not in {year} (only the New Year holiday may begin in the last "
        f"{EARLY_NEW_YEAR_DAYS} days of December {year - 1})",
    )
    return False


def parse_holiday_table(data: Any, file: str) -> ParsedHolidayTable:
    """Validate a holiday table (parsed YAML/JSON, or the mutation's input in that shape).

    Raises :class:`HolidayTableInvalid` listing every problem (file and JSON path each)."""
    issues = _Issues(file)
    if not isinstance(data, Mapping):
        issues.add(
            "$",
            f"a holiday table is a mapping with year, source, holidays, workdays; got "
            f"{type(data).__name__}",
        )
        raise HolidayTableInvalid(file, issues.found)
    _unknown_keys(data, ("year", "source", "holidays", "workdays"), "$", issues)

    year = data.get("year")
    if "year" not in data:
        issues.add("$.year", "is required")
        year = None
    elif isinstance(year, bool) or not isinstance(year, int):
        issues.add("$.year", f"must be a whole number (e.g. 2027), not {year!r}")
        year = None
    elif not FIRST_YEAR <= year <= LAST_YEAR:
        issues.add("$.year", f"{year} is not a year between {FIRST_YEAR} and {LAST_YEAR}")
        year = None

    source = _source(data.get("source"), year, issues)
    holidays, workdays = _days(data, year, issues)
    if issues.found or year is None or source is None:
        raise HolidayTableInvalid(file, issues.found)
    warnings, confirm = _check_table(year, holidays, workdays, issues)
    if issues.found:
        raise HolidayTableInvalid(file, issues.found)
    return ParsedHolidayTable(
        year,
        source,
        tuple(p for p, _ in holidays),
        tuple(w for w, _ in workdays),
        warnings,
        confirm,
    )


def _source(raw: Any, year: int | None, issues: _Issues) -> HolidaySource | None:
    if raw is None:
        issues.add("$.source", "is required: the notice's title (and number, date, url)")
        return None
    if not isinstance(raw, Mapping):
        issues.add("$.source", "must be a mapping with title, number, date, url")
        return None
    _unknown_keys(raw, ("title", "number", "date", "url", "issuer"), "$.source", issues)
    title = _text(raw.get("title"), "$.source.title", issues, required=True)
    number = _text(raw.get("number"), "$.source.number", issues)
    issuer = _text(raw.get("issuer"), "$.source.issuer", issues) or ISSUER
    url = _text(raw.get("url"), "$.source.url", issues)
    if url and not re.match(r"^https?://\S+$", url):
        issues.add("$.source.url", f"'{url}' is not an http(s) address")
    day = None
    if raw.get("date") is not None:
        day = _date(raw.get("date"), "$.source.date", issues)
        if day is not None and year is not None and day > dt.date(year, 12, 31):
            issues.add(
                "$.source.date",
                f"{day.isoformat()} is after {year}: the notice for a year comes before it",
            )
    return HolidaySource(title, number, day, url, issuer)


def _days(
    data: Mapping[str, Any], year: int | None, issues: _Issues
) -> tuple[list[tuple[HolidayPeriod, str]], list[tuple[MakeUpDay, str]]]:
    holidays: list[tuple[HolidayPeriod, str]] = []
    workdays: list[tuple[MakeUpDay, str]] = []
    raw_holidays = data.get("holidays")
    if not isinstance(raw_holidays, list) or not raw_holidays:
        issues.add("$.holidays", "must be a non-empty list of dates or {from, to} ranges")
        raw_holidays = []
    raw_workdays = data.get("workdays", [])
    if raw_workdays is None:
        raw_workdays = []
    if not isinstance(raw_workdays, list):
        issues.add("$.workdays", "must be a list of dates (the weekend days worked instead)")
        raw_workdays = []

    for i, item in enumerate(raw_holidays):
        path = f"$.holidays[{i}]"
        name = ""
        if isinstance(item, Mapping):
            _unknown_keys(item, ("from", "to", "date", "name"), path, issues)
            name = _text(item.get("name"), f"{path}.name", issues)
            if "date" in item:
                if "from" in item or "to" in item:
                    issues.add(path, "give either date or from/to, not both")
                    continue
                first = last = _date(item["date"], f"{path}.date", issues)
                first_path = last_path = f"{path}.date"
            elif "from" in item:
                first = _date(item["from"], f"{path}.from", issues)
                last = _date(item["to"], f"{path}.to", issues) if "to" in item else first
                first_path, last_path = f"{path}.from", f"{path}.to" if "to" in item else path
            else:
                issues.add(path, "needs date, or from (and to)")
                continue
        else:
            first = last = _date(item, path, issues)
            first_path = last_path = path
        if first is None or last is None or year is None:
            continue
        ok = _in_year(first, year, first_path, issues)
        if last_path != first_path or last != first:
            ok = _in_year(last, year, last_path, issues) and ok
        if not ok:
            continue
        if last < first:
            issues.add(last_path, f"{last.isoformat()} is before {first.isoformat()}")
            continue
        length = (last - first).days + 1
        if length > MAX_PERIOD_DAYS:
            issues.add(
                path,
                f"a holiday period of {length} days ({first.isoformat()} to {last.isoformat()}); "
                f"no notice gives more than {MAX_PERIOD_DAYS} in a row",
            )
            continue
        holidays.append((HolidayPeriod(first, last, name), path))

    for i, item in enumerate(raw_workdays):
        path = f"$.workdays[{i}]"
        name = ""
        day_path = path
        if isinstance(item, Mapping):
            _unknown_keys(item, ("date", "name"), path, issues)
            name = _text(item.get("name"), f"{path}.name", issues)
            if "date" not in item:
                issues.add(path, "needs date")
                continue
            day_path = f"{path}.date"
            day = _date(item["date"], day_path, issues)
        else:
            day = _date(item, path, issues)
        if day is None or year is None or not _in_year(day, year, day_path, issues):
            continue
        if day.weekday() < 5:
            issues.add(
                day_path,
                f"{day.isoformat()} is a {_weekday(day)}: a make-up working day (调休上班) is "
                "always a Saturday or Sunday",
            )
            continue
        workdays.append((MakeUpDay(day, name), day_path))
    return holidays, workdays


def _check_table(
    year: int,
    holidays: list[tuple[HolidayPeriod, str]],
    workdays: list[tuple[MakeUpDay, str]],
    issues: _Issues,
) -> tuple[tuple[str, ...], tuple[HolidayIssue, ...]]:
    """The checks across items; returns the warnings and what must be confirmed (also warned)."""
    seen: dict[dt.date, str] = {}
    for period, path in holidays:
        for day in period.days():
            if day in seen:
                issues.add(path, f"{day.isoformat()} is already listed at {seen[day]}")
            else:
                seen[day] = path
    off = set(seen)
    worked: dict[dt.date, str] = {}
    for w, path in workdays:
        if w.date in worked:
            issues.add(path, f"{w.date.isoformat()} is already listed at {worked[w.date]}")
        elif w.date in off:
            issues.add(
                path,
                f"{w.date.isoformat()} is both a day off (at {seen[w.date]}) and a make-up "
                "working day",
            )
        worked[w.date] = path
    new_year = dt.date(year, 1, 1)
    if off and new_year not in off:
        issues.add(
            "$.holidays",
            f"{new_year.isoformat()} (元旦) is not a day off; every notice gives New Year's Day",
        )
    # Periods of consecutive days off (whatever items they were listed in).
    for first, last, _ in holiday_periods(off):
        span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        if all(d.weekday() >= 5 for d in span):
            days = ", ".join(f"{d.isoformat()} ({_weekday(d)})" for d in span)
            issues.add(
                seen[first],
                f"the days off {days} are all weekend days: a holiday period moves at least one "
                "working day (wrong year or month?)",
            )
    warnings: list[str] = []
    for day, path in sorted(worked.items()):
        distance = min((abs((day - d).days) for d in off), default=None)
        if distance is not None and distance > MAX_WORKDAY_DISTANCE:
            warnings.append(
                f"{path}: {day.isoformat()} is {distance} days from the nearest day off; a "
                "make-up day is usually the weekend next to a holiday"
            )
    in_year_off = [d for d in off if d.year == year and d.weekday() < 5]
    in_year_worked = [d for d in worked if d.year == year]
    net = len(in_year_off) - len(in_year_worked)
    confirm: list[HolidayIssue] = []
    if year >= 2025 and net != STATUTORY_DAYS_SINCE_2025:
        unusual = HolidayIssue(
            issues.file,
            "$",
            f"{len(in_year_off)} weekday days off minus {len(in_year_worked)} make-up days is "
            f"{net}; since 2025 there are {STATUTORY_DAYS_SINCE_2025} statutory days off a year "
            "(check the table against the notice)",
        )
        confirm.append(unusual)
        warnings.append(f"{unusual.json_path}: {unusual.message}")
    return tuple(warnings), tuple(confirm)


def read_holiday_file(path: Path) -> ParsedHolidayTable:
    """Read and validate a holiday table file (``.yaml``, ``.yml`` or ``.json``)."""
    name = path.name
    if not name.endswith((".yaml", ".yml", ".json")):
        raise HolidayTableInvalid(
            name, [HolidayIssue(name, "$", "use a .yaml, .yml or .json file")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HolidayTableInvalid(name, [HolidayIssue(name, "$", "is not UTF-8 text")]) from None
    try:
        data = parse_text(text, name)
    except ValueError as exc:
        raise HolidayTableInvalid(name, [HolidayIssue(name, "$", str(exc))]) from None
    return parse_holiday_table(data, name)


# -- stored tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredHolidayTable:
    """An imported table: the table, where it was imported from, who imported it and when."""

    table: ParsedHolidayTable
    file_name: str
    imported_by: str
    imported_at: dt.datetime
    imports: int  # how many times this year was imported (1: never replaced)

    @property
    def year(self) -> int:
        return self.table.year

    def holiday_table(self) -> HolidayTable:
        note = (
            f"imported into doudi by {self.imported_by} on {self.imported_at.date().isoformat()} "
            f"from {self.file_name}"
        )
        return self.table.holiday_table(note)


@dataclass(frozen=True, slots=True)
class ImportResult:
    stored: StoredHolidayTable
    replaced: StoredHolidayTable | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HolidayAuditEntry:
    id: int
    at: dt.datetime
    year: int
    action: str  # "imported" (first time) or "replaced"
    user: str
    role: str
    file_name: str
    document: dict[str, Any]
    previous: dict[str, Any] | None  # {"document", "file_name", "imported_by", "imported_at"}


def _parsed_from_json(doc: Mapping[str, Any]) -> ParsedHolidayTable:
    """A stored document back as a table (it was validated when imported)."""
    src = doc["source"]
    source = HolidaySource(
        src["title"],
        src.get("number", ""),
        dt.date.fromisoformat(src["date"]) if src.get("date") else None,
        src.get("url", ""),
        src.get("issuer", ISSUER),
    )
    return ParsedHolidayTable(
        int(doc["year"]),
        source,
        tuple(
            HolidayPeriod(
                dt.date.fromisoformat(p["from"]), dt.date.fromisoformat(p["to"]), p.get("name", "")
            )
            for p in doc["holidays"]
        ),
        tuple(
            MakeUpDay(dt.date.fromisoformat(w["date"]), w.get("name", "")) for w in doc["workdays"]
        ),
    )


def _stored(row: HolidayTableRow, user_name: str, imports: int) -> StoredHolidayTable:
    return StoredHolidayTable(
        _parsed_from_json(row.document), row.file_name, user_name, row.imported_at, imports
    )


def may_import(user: User | None) -> User:
    """Only a national administrator (a province_admin of 000000) imports holiday tables: a table
    applies to the whole country."""
    if user is None:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    if user.role is not Role.PROVINCE_ADMIN:
        raise Forbidden(
            f"a {user.role.value} may not import holiday tables (only a national administrator, "
            f"a province_admin of {NATIONAL_CODE}, may)"
        )
    if user.jurisdiction != NATIONAL_CODE:
        raise Forbidden(
            f"a province_admin of {user.jurisdiction} may not import holiday tables: a table "
            f"applies to the whole country, so only a national administrator (a province_admin "
            f"of {NATIONAL_CODE}) may"
        )
    return user


def import_holiday_table(
    session: Session,
    user: User | None,
    table: ParsedHolidayTable,
    *,
    file_name: str,
    calendar: WorkCalendar | None = None,
    force: bool = False,
) -> ImportResult:
    """Store ``table`` as the schedule of its year, replacing any imported before (audited).

    ``calendar`` is the one in force (default: chinese-calendar's years only): a year whose data
    came from chinese-calendar or a plugin until now, like a table with an unusual count of days
    off, is refused with :class:`HolidayImportNeedsConfirmation` unless ``force`` (and then
    warned). One transaction: on any error nothing changes. Concurrent imports queue; each is
    audited, the last one wins."""
    user = may_import(user)
    warnings = list(table.warnings)
    confirm = list(table.confirm)
    sched = (calendar if calendar is not None else default_calendar()).schedule(table.year)
    if sched is not None and sched.origin != IMPORTED:
        who = "chinese-calendar" if sched.origin == CHINESE_CALENDAR else "plugin "
        who += "" if sched.origin == CHINESE_CALENDAR else f"'{sched.origin}'"
        replaces = HolidayIssue(
            file_name, "$.year", f"this table replaces {who}'s data for {table.year}"
        )
        confirm.insert(0, replaces)
        warnings.append(f"{replaces.json_path}: {replaces.message}")
    if confirm and not force:
        raise HolidayImportNeedsConfirmation(file_name, table.year, confirm)
    result = _write(session, user, table, file_name, tuple(warnings))
    _notify_write()
    return result


def _write(
    session: Session,
    user: User,
    table: ParsedHolidayTable,
    file_name: str,
    warnings: tuple[str, ...],
) -> ImportResult:
    doc = table.to_json()
    with write_unit(session):
        if session.get_bind().dialect.name == "postgresql":
            # Imports queue (SQLite's write unit already does): two imports of a year at once
            # both succeed, the second replacing the first, each audited.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
        row = session.scalar(
            select(HolidayTableRow).where(HolidayTableRow.year == table.year).with_for_update()
        )
        imports = (
            session.scalar(
                select(func.count())
                .select_from(HolidayTableAuditRow)
                .where(HolidayTableAuditRow.year == table.year)
            )
            or 0
        )
        replaced: StoredHolidayTable | None = None
        previous: dict[str, Any] | None = None
        now = _now()
        if row is not None:
            old_user = session.get(UserRow, row.imported_by)
            old_name = old_user.name if old_user is not None else f"user {row.imported_by}"
            replaced = _stored(row, old_name, imports)
            previous = {
                "document": row.document,
                "file_name": row.file_name,
                "imported_by": old_name,
                "imported_at": row.imported_at.isoformat(),
            }
            row.title = table.source.title
            row.number = table.source.number
            row.issued_on = table.source.date
            row.url = table.source.url
            row.document = doc
            row.file_name = file_name
            row.imported_by = user.id
            row.imported_at = now
        else:
            row = HolidayTableRow(
                year=table.year,
                title=table.source.title,
                number=table.source.number,
                issued_on=table.source.date,
                url=table.source.url,
                document=doc,
                file_name=file_name,
                imported_by=user.id,
                imported_at=now,
            )
            session.add(row)
        session.add(
            HolidayTableAuditRow(
                at=now,
                year=table.year,
                action="replaced" if replaced is not None else "imported",
                user_id=user.id,
                user_name=user.name,
                user_role=user.role.value,
                file_name=file_name,
                document=doc,
                previous=previous,
            )
        )
        session.flush()
    stored = StoredHolidayTable(table, file_name, user.name, now, imports + 1)
    return ImportResult(stored, replaced, warnings)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stored_tables(session: Session) -> list[StoredHolidayTable]:
    """Every imported table, by year."""
    with reading(session):
        rows = session.execute(
            select(HolidayTableRow, UserRow.name)
            .join(UserRow, UserRow.id == HolidayTableRow.imported_by)
            .order_by(HolidayTableRow.year)
        ).all()
        counts = dict(
            session.execute(
                select(HolidayTableAuditRow.year, func.count()).group_by(HolidayTableAuditRow.year)
            ).all()
        )
    return [_stored(row, name, int(counts.get(row.year, 1))) for row, name in rows]


def holiday_audit(
    session: Session, year: int | None = None, limit: int = 100
) -> list[HolidayAuditEntry]:
    """Imports, newest first (of ``year`` if given)."""
    query = select(HolidayTableAuditRow).order_by(HolidayTableAuditRow.id.desc()).limit(limit)
    if year is not None:
        query = query.where(HolidayTableAuditRow.year == year)
    with reading(session):
        rows = session.scalars(query).all()
    return [
        HolidayAuditEntry(
            r.id,
            r.at,
            r.year,
            r.action,
            r.user_name,
            r.user_role,
            r.file_name,
            r.document,
            r.previous,
        )
        for r in rows
    ]


def holidays_revision(session: Session) -> int:
    """Changes with every import (the newest audit id; 0 before the first)."""
    with reading(session):
        return int(session.scalar(select(func.max(HolidayTableAuditRow.id))) or 0)


def calendar_inputs(
    stored: Iterable[StoredHolidayTable],
) -> tuple[list[tuple[str, HolidayTable]], list[DayChange]]:
    """The imported tables as WorkCalendar inputs: ``(origin, table)`` pairs and the days of
    December that their notices' New Year holidays move."""
    tables: list[tuple[str, HolidayTable]] = []
    changes: list[DayChange] = []
    for s in sorted(stored, key=lambda s: s.year):
        tables.append((IMPORTED, s.holiday_table()))
        changes.extend(s.table.changes())
    return tables, changes


def build_calendar(
    plugin_tables: Iterable[tuple[str, HolidayTable]], stored: Iterable[StoredHolidayTable]
) -> WorkCalendar:
    """chinese-calendar, then the plugins' tables, then the imported ones (cached)."""
    imported, changes = calendar_inputs(stored)
    return default_calendar([*plugin_tables, *imported], changes)


# -- the process-local write signal ----------------------------------------------------------------

_generation = 0
_generation_lock = Lock()


def holidays_write_generation() -> int:
    """Increases after every import by this process (providers re-check then)."""
    return _generation


def _notify_write() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


class CalendarProvider:
    """The current :class:`WorkCalendar`: the given plugin tables plus the database's imported
    tables, rebuilt only when either changes (the database is asked at most once per ``ttl``
    seconds, and at once after an import by this process)."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        ttl: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._lock = Lock()
        self._stored: list[StoredHolidayTable] | None = None
        self._revision: int | None = None
        self._generation = -1
        self._checked_at = float("-inf")
        self._plugins: tuple[tuple[str, HolidayTable], ...] | None = None
        self._calendar: WorkCalendar | None = None
        self.rebuilds = 0

    def invalidate(self) -> None:
        with self._lock:
            self._checked_at = float("-inf")

    def stored(self) -> list[StoredHolidayTable]:
        """The imported tables as last read (reads them first if need be)."""
        with self._lock:
            self._refresh()
            assert self._stored is not None
            return list(self._stored)

    def current(self, plugin_tables: Sequence[tuple[str, HolidayTable]] = ()) -> WorkCalendar:
        plugins = tuple(plugin_tables)
        with self._lock:
            changed = self._refresh()
            if (
                changed
                or self._calendar is None
                or not (plugins is self._plugins or plugins == self._plugins)
            ):
                assert self._stored is not None
                self._calendar = build_calendar(plugins, self._stored)
                self._plugins = plugins
                self.rebuilds += 1
            return self._calendar

    def _refresh(self) -> bool:
        """Re-read the stored tables if due and changed; True when they changed."""
        now = self._clock()
        generation = holidays_write_generation()
        if (
            self._stored is not None
            and generation == self._generation
            and now - self._checked_at < self._ttl
        ):
            return False
        changed = False
        try:
            with self._sessions() as session, read_unit(session):
                revision = int(session.scalar(select(func.max(HolidayTableAuditRow.id))) or 0)
                if self._stored is None or revision != self._revision:
                    self._stored = stored_tables(session)
                    self._revision = revision
                    changed = True
        except SQLAlchemyError:
            if self._stored is None:
                raise
            log.exception("could not read the holiday tables; using the last known ones")
            return False
        self._checked_at = now
        self._generation = generation
        return changed


# -- views for the CLI and the API ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YearView:
    """One year as officials read it: covered or not, where its days come from, the periods
    off (with names where known) and the make-up days."""

    year: int
    covered: bool
    origin: str | None  # "chinese-calendar", a plugin's name, "imported"; None: not covered
    source: str
    periods: tuple[HolidayPeriod, ...] = ()
    workdays: tuple[MakeUpDay, ...] = ()
    amended_by: tuple[str, ...] = ()
    stored: StoredHolidayTable | None = None
    source_url: str = ""
    source_date: dt.date | None = None
    names: Mapping[dt.date, str] = field(default_factory=dict)


def year_view(
    calendar: WorkCalendar, year: int, stored: Iterable[StoredHolidayTable] = ()
) -> YearView:
    by_year = {s.year: s for s in stored}
    sched = calendar.schedule(year)
    if sched is None:  # names: the weekdays off by law only (calendar.provisional_days_off)
        return YearView(year, False, None, "", names=calendar.provisional_days_off(year))
    names: dict[dt.date, str] = {}
    if sched.origin == CHINESE_CALENDAR:
        names.update(chinese_calendar_names(year))
    mine = by_year.get(year) if sched.origin == IMPORTED else None
    if mine is not None:
        names.update(mine.table.names())
    following = by_year.get(year + 1)
    if following is not None:  # its New Year holiday may begin in this December
        names.update({d: n for d, n in following.table.names().items() if d.year == year})
    periods = tuple(
        HolidayPeriod(first, last, name)
        for first, last, name in holiday_periods(sched.holidays, names)
    )
    workdays = tuple(MakeUpDay(d, names.get(d, "")) for d in sorted(sched.workdays))
    url, day = "", None
    if sched.table is not None:
        url, day = sched.table.source.document.url, sched.table.source.document.date
    return YearView(
        year,
        True,
        sched.origin,
        sched.source,
        periods,
        workdays,
        sched.amended_by,
        mine,
        url,
        day,
        names,
    )


def uncovered_ahead(calendar: WorkCalendar, today: dt.date, years: int = 2) -> tuple[int, ...]:
    """The years from ``today``'s to ``years`` after it that have no holiday table."""
    return calendar.uncovered_years(today.year, today.year + years)


def day_kind(calendar: WorkCalendar, day: dt.date) -> str:
    """``workday``, ``weekend``, ``holiday`` (a day off a notice gives) or ``make_up_workday``
    (a weekend day worked instead); in an uncovered year ``workday``, ``weekend`` or ``holiday``
    (a weekday off by law: the 13 days of the holiday law, see
    :meth:`~core.calendars.workdays.WorkCalendar.provisional_days_off`)."""
    sched = calendar.schedule(day.year)
    if sched is not None:
        if day in sched.holidays:
            return "holiday"
        if day in sched.workdays:
            return "make_up_workday"
    if day.weekday() >= 5:
        return "weekend"
    return "workday" if calendar.is_working_day(day) else "holiday"


__all__ = [
    "IMPORTED",
    "CalendarProvider",
    "HolidayAuditEntry",
    "HolidayImportNeedsConfirmation",
    "HolidayIssue",
    "HolidayPeriod",
    "HolidaySource",
    "HolidayTableInvalid",
    "ImportResult",
    "MakeUpDay",
    "ParsedHolidayTable",
    "StoredHolidayTable",
    "YearView",
    "build_calendar",
    "calendar_inputs",
    "day_kind",
    "holiday_audit",
    "holidays_revision",
    "import_holiday_table",
    "may_import",
    "parse_holiday_table",
    "read_holiday_file",
    "stored_tables",
    "uncovered_ahead",
    "year_view",
]
