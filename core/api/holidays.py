"""GraphQL: Chinese working days (wired into :mod:`core.api.schema` by inheritance of
:class:`HolidayQuery` and :class:`HolidayMutation`).

- ``workCalendar(year)``: whether a year has a holiday table, where it comes from
  (chinese-calendar, a plugin, imported), its days off and make-up working days;
  ``workCalendars(fromYear, toYear)`` lists years;
- ``workingDay(date)``, ``workingDays(from, to)`` and ``addWorkingDays(start, days)``: the
  arithmetic. An answer that counts a day in a year without a holiday table is
  ``provisional: true`` and names the years (``uncoveredYears``): weekdays of such a year are
  never silently taken as final;
- ``importHolidayTable(input, force)``: the national administrator (a province_admin of
  000000) imports a year's State Council notice; every problem comes back as a userError (code
  ``INVALID_HOLIDAY_TABLE``, field the input path, e.g. ``input.holidays[2].to``) and nothing is
  written. A table that replaces chinese-calendar's or a plugin's year, or whose net count of
  weekday days off is not 13, comes back as userErrors with code ``CONFIRMATION_REQUIRED`` (one
  per reason, field ``input.year`` or ``input``) unless ``force: true``.

The calendar is the runtime's (chinese-calendar, the plugins' tables, the imported tables) or,
in the policy-only app, chinese-calendar and the plugins' tables. With a database the answers
depend on stored tables, so they are never cached (``mark_private``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from core.api.common import Info, UserError
from core.api.context import Context
from core.calendars.holidays_store import (
    HolidayImportNeedsConfirmation,
    HolidayTableInvalid,
    StoredHolidayTable,
    YearView,
    day_kind,
    import_holiday_table,
    may_import,
    parse_holiday_table,
    uncovered_ahead,
    year_view,
)
from core.calendars.workdays import DueDate, WorkCalendar
from core.errors import DoudiError, InvalidInput
from core.policy.service import today
from core.runtime import policy_calendar

MAX_DAYS = 100_000
MAX_YEARS = 100
INPUT_FILE = "GraphQL input"

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "workCalendars"): MAX_YEARS,
    ("WorkCalendarYear", "holidays"): 15,
    ("WorkCalendarYear", "workdays"): 12,
}


async def _calendar(context: Context) -> tuple[WorkCalendar, list[StoredHolidayTable]]:
    """The calendar in force for this request and the imported tables behind it."""
    if context.runtime is None:
        return policy_calendar(context.base), []
    context.mark_private()  # the answer depends on stored tables, not only on the policy
    runtime = context.runtime
    base = context.base

    def work() -> tuple[WorkCalendar, list[StoredHolidayTable]]:
        return runtime.work_calendar(base), runtime.calendars.stored()

    return await context.in_thread(work)


# -- types ---------------------------------------------------------------------------------------


@strawberry.type(
    name="WorkdayDueDate",
    description="A date counted over Chinese working days. provisional: a day counted lies in a "
    "year with no holiday table (uncoveredYears), whose weekdays were taken as working days; the "
    "date may move once that year's notice is imported.",
)
class WorkdayDueDate:
    date: dt.date
    provisional: bool
    uncovered_years: list[int]

    @classmethod
    def of(cls, due: DueDate) -> WorkdayDueDate:
        return cls(
            date=due.date, provisional=due.provisional, uncovered_years=list(due.uncovered_years)
        )


@strawberry.type(description="How many working days lie in (from, to].")
class WorkingDayCount:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    working_days: int
    provisional: bool = strawberry.field(
        description="Some day counted lies in a year with no holiday table (uncoveredYears)."
    )
    uncovered_years: list[int]


@strawberry.type(description="One day: working or not, and why.")
class WorkingDay:
    date: dt.date
    working: bool
    kind: str = strawberry.field(
        description="workday, weekend, holiday (a day off a notice gives) or make_up_workday (a "
        "weekend day worked instead, 调休上班); in a year with no holiday table workday, weekend "
        "or holiday (a weekday off by law: the 13 days of the holiday law), and provisional is "
        "true."
    )
    name: str | None = strawberry.field(description="The festival, when known (e.g. 国庆节).")
    provisional: bool


@strawberry.type(name="HolidayPeriod", description="Consecutive days off.")
class HolidayPeriodType:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    days: int
    name: str | None


@strawberry.type(name="MakeUpDay", description="A weekend day worked instead (调休上班).")
class MakeUpDayType:
    date: dt.date
    name: str | None


@strawberry.type(
    description="One year of the working-day calendar. covered: false means no holiday table "
    "(Monday to Friday are counted as working days, provisionally, except the days off fixed by "
    "law: the 13 days of the holiday law)."
)
class WorkCalendarYear:
    year: int
    covered: bool
    origin: str | None = strawberry.field(
        description="chinese-calendar, the plugin's name, or imported; null when not covered."
    )
    source: str | None = strawberry.field(
        description="chinese-calendar and its version, or the notice's title and number."
    )
    source_url: str | None
    source_date: dt.date | None
    holidays: list[HolidayPeriodType]
    workdays: list[MakeUpDayType] = strawberry.field(
        description="The make-up working days (调休上班)."
    )
    amended_by: list[str] = strawberry.field(
        description="Later notices that moved days of this year (a New Year holiday that begins "
        "in December)."
    )
    imported_at: dt.datetime | None = strawberry.field(
        description="When the table in force was imported (UTC), for imported years."
    )
    imports: int = strawberry.field(description="How many times this year was imported.")

    @classmethod
    def of(cls, v: YearView) -> WorkCalendarYear:
        return cls(
            year=v.year,
            covered=v.covered,
            origin=v.origin,
            source=v.source or None,
            source_url=v.source_url or None,
            source_date=v.source_date,
            holidays=[
                HolidayPeriodType(
                    from_=p.first, to=p.last, days=(p.last - p.first).days + 1, name=p.name or None
                )
                for p in v.periods
            ],
            workdays=[MakeUpDayType(date=w.date, name=w.name or None) for w in v.workdays],
            amended_by=list(v.amended_by),
            imported_at=v.stored.imported_at if v.stored is not None else None,
            imports=v.stored.imports if v.stored is not None else 0,
        )


@strawberry.input(description="The notice a holiday table is taken from.")
class HolidaySourceInput:
    title: str
    number: str | None = None
    date: dt.date | None = None
    url: str | None = None


@strawberry.input(description="Days off: one day (from only) or from..to (inclusive).")
class HolidayPeriodInput:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date | None = None
    name: str | None = None


@strawberry.input(description="A weekend day worked instead (调休上班).")
class MakeUpDayInput:
    date: dt.date
    name: str | None = None


@strawberry.input(
    description="A year's holiday schedule as the State Council's notice gives it (the same "
    "shape as the file of `doudi holidays import`)."
)
class HolidayTableInput:
    year: int
    source: HolidaySourceInput
    holidays: list[HolidayPeriodInput]
    workdays: list[MakeUpDayInput] = strawberry.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        source: dict[str, Any] = {"title": self.source.title}
        if self.source.number is not None:
            source["number"] = self.source.number
        if self.source.date is not None:
            source["date"] = self.source.date.isoformat()
        if self.source.url is not None:
            source["url"] = self.source.url
        holidays: list[dict[str, Any]] = []
        for p in self.holidays:
            item: dict[str, Any] = {"from": p.from_.isoformat()}
            if p.to is not None:
                item["to"] = p.to.isoformat()
            if p.name is not None:
                item["name"] = p.name
            holidays.append(item)
        workdays: list[dict[str, Any]] = []
        for w in self.workdays:
            day: dict[str, Any] = {"date": w.date.isoformat()}
            if w.name is not None:
                day["name"] = w.name
            workdays.append(day)
        return {"year": self.year, "source": source, "holidays": holidays, "workdays": workdays}


@strawberry.type(
    description="The year's calendar after the import, or userErrors (nothing written)."
)
class ImportHolidayTablePayload:
    table: WorkCalendarYear | None
    replaced: bool = strawberry.field(description="A table imported before was replaced.")
    warnings: list[str]
    user_errors: list[UserError]


def _field(json_path: str) -> str:
    return "input" + json_path[1:]


# -- resolvers -----------------------------------------------------------------------------------


@strawberry.type
class HolidayQuery:
    @strawberry.field(
        description="One year of the working-day calendar: covered or not, where its days come "
        "from, its days off and make-up working days."
    )
    async def work_calendar(self, info: Info, year: int) -> WorkCalendarYear:
        if not 1 <= year <= 9999:
            raise InvalidInput(f"{year} is not a year")
        calendar, stored = await _calendar(info.context)
        return WorkCalendarYear.of(year_view(calendar, year, stored))

    @strawberry.field(
        description="Years of the working-day calendar, fromYear..toYear (at most 100; default: "
        "every covered year and the next two years from today)."
    )
    async def work_calendars(
        self, info: Info, from_year: int | None = None, to_year: int | None = None
    ) -> list[WorkCalendarYear]:
        calendar, stored = await _calendar(info.context)
        covered = calendar.covered_years()
        now = today().year
        first = covered[0] if from_year is None else from_year
        last = max(covered[-1], now + 2) if to_year is None else to_year
        if not 1 <= first <= last <= 9999:
            raise InvalidInput(f"fromYear {first} .. toYear {last} is not a range of years")
        if last - first + 1 > MAX_YEARS:
            raise InvalidInput(f"at most {MAX_YEARS} years at once ({first}..{last} asked)")
        return [WorkCalendarYear.of(year_view(calendar, y, stored)) for y in range(first, last + 1)]

    @strawberry.field(
        description="The years from this one to `ahead` years later that have no holiday table "
        "(deadlines counted into them are provisional)."
    )
    async def uncovered_work_calendar_years(self, info: Info, ahead: int = 2) -> list[int]:
        if not 0 <= ahead <= MAX_YEARS:
            raise InvalidInput(f"ahead must be between 0 and {MAX_YEARS}")
        calendar, _ = await _calendar(info.context)
        return list(uncovered_ahead(calendar, today(), ahead))

    @strawberry.field(description="Whether a day is a working day, and why.")
    async def working_day(self, info: Info, date: dt.date) -> WorkingDay:
        calendar, stored = await _calendar(info.context)
        view = year_view(calendar, date.year, stored)
        return WorkingDay(
            date=date,
            working=calendar.is_working_day(date),
            kind=day_kind(calendar, date),
            name=view.names.get(date) or None,
            provisional=not calendar.covers(date.year),
        )

    @strawberry.field(
        description="How many working days lie after `from` up to and including `to`."
    )
    async def working_days(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> WorkingDayCount:
        if to < from_:
            raise InvalidInput(f"to ({to.isoformat()}) is before from ({from_.isoformat()})")
        calendar, _ = await _calendar(info.context)
        missing = calendar.uncovered_between(from_, to)
        return WorkingDayCount(
            from_=from_,
            to=to,
            working_days=calendar.working_days_between(from_, to),
            provisional=bool(missing),
            uncovered_years=list(missing),
        )

    @strawberry.field(
        description="The `days`-th working day after `start` (start not counted; 0: start if it "
        "is a working day, else the next one). Provisional when a day counted lies in a year "
        "with no holiday table."
    )
    async def add_working_days(self, info: Info, start: dt.date, days: int) -> WorkdayDueDate:
        if not 0 <= days <= MAX_DAYS:
            raise InvalidInput(f"days must be between 0 and {MAX_DAYS}, not {days}")
        calendar, _ = await _calendar(info.context)
        try:
            due = calendar.add_working_days(start, days)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return WorkdayDueDate.of(due)


@strawberry.type
class HolidayMutation:
    @strawberry.mutation(
        description="Import a year's holiday table from the State Council's notice (the national "
        "administrator only: a province_admin of 000000). Importing a year again replaces its "
        "table (audited). A table that replaces chinese-calendar's or a plugin's year, or whose "
        "net count of weekday days off is not 13, is refused (CONFIRMATION_REQUIRED) unless "
        "force is true."
    )
    async def import_holiday_table(
        self, info: Info, input: HolidayTableInput, force: bool = False
    ) -> ImportHolidayTablePayload:
        context = info.context
        context.mark_private()
        try:  # who asks first: an outsider learns nothing of the table, not even its validity
            user = may_import(await context.user())
        except DoudiError as exc:
            return ImportHolidayTablePayload(
                table=None,
                replaced=False,
                warnings=[],
                user_errors=[UserError(field=None, message=exc.message, code=exc.code)],
            )
        try:
            parsed = parse_holiday_table(input.to_json(), INPUT_FILE)
        except HolidayTableInvalid as exc:
            return ImportHolidayTablePayload(
                table=None,
                replaced=False,
                warnings=[],
                user_errors=[
                    UserError(field=_field(i.json_path), message=i.message, code=exc.code)
                    for i in exc.issues
                ],
            )
        try:
            runtime = context.require_runtime()
            base = context.base

            def work() -> tuple[Any, WorkCalendar, list[StoredHolidayTable]]:
                with runtime.sessions() as session:
                    result = import_holiday_table(
                        session,
                        user,
                        parsed,
                        file_name=INPUT_FILE,
                        calendar=runtime.work_calendar(base),
                        force=force,
                    )
                return result, runtime.work_calendar(base), runtime.calendars.stored()

            result, calendar, stored = await context.in_thread(work)
        except HolidayImportNeedsConfirmation as exc:
            return ImportHolidayTablePayload(
                table=None,
                replaced=False,
                warnings=[],
                user_errors=[
                    UserError(
                        field=_field(r.json_path),
                        message=f"{r.message}; if the table is right, import it again with "
                        "force: true",
                        code=exc.code,
                    )
                    for r in exc.reasons
                ],
            )
        except DoudiError as exc:
            return ImportHolidayTablePayload(
                table=None,
                replaced=False,
                warnings=[],
                user_errors=[UserError(field=None, message=exc.message, code=exc.code)],
            )
        return ImportHolidayTablePayload(
            table=WorkCalendarYear.of(year_view(calendar, parsed.year, stored)),
            replaced=result.replaced is not None,
            warnings=list(result.warnings),
            user_errors=[],
        )
