"""``doudi holidays``: Chinese working days — the holiday tables known, importing a year's State
Council notice, and working-day arithmetic for officials.

Read commands need no token and never create a database (without one they answer from
chinese-calendar and the plugins' tables). ``import`` needs a national administrator's token
(a province_admin of 000000), and ``--force`` for a table that needs confirming.
An answer that counts days in a year without a holiday table says PROVISIONAL and names the year.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from core.calendars.holidays_store import (
    HolidayAuditEntry,
    StoredHolidayTable,
    YearView,
    day_kind,
    holiday_audit,
    import_holiday_table,
    read_holiday_file,
    uncovered_ahead,
    year_view,
)
from core.calendars.workdays import DueDate, WorkCalendar
from core.cli.database import acting_user, database_exists, open_database
from core.cli.output import (
    DATE,
    emit_json,
    json_option,
    plugin_policy,
    table,
    token_option,
    truncate,
)
from core.policy.service import today
from core.settings import load_settings

_WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_DAYS = 100_000


def _calendar() -> tuple[WorkCalendar, list[StoredHolidayTable]]:
    """The calendar in force and the imported tables (none without a database)."""
    if not database_exists(load_settings()):
        from core.runtime import policy_calendar

        return policy_calendar(plugin_policy()), []
    with open_database(create=False, policy=True) as runtime:
        return runtime.work_calendar(), runtime.calendars.stored()


def _provisional_note(years: tuple[int, ...]) -> str:
    listed = ", ".join(str(y) for y in years)
    verb = "has" if len(years) == 1 else "have"
    return (
        f"PROVISIONAL: {listed} {verb} no holiday table, so its weekdays were counted as working "
        "days (except the days off fixed by law: the 13 days of the holiday law); import the "
        "State Council's notice with `doudi holidays import FILE`"
    )


def _due_json(start: dt.date, days: int, due: DueDate) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "days": days,
        "date": due.date.isoformat(),
        "provisional": due.provisional,
        "uncovered_years": list(due.uncovered_years),
    }


def _view_json(v: YearView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "year": v.year,
        "covered": v.covered,
        "origin": v.origin,
        "source": v.source or None,
        "holidays": [
            {"from": p.first.isoformat(), "to": p.last.isoformat(), "name": p.name or None}
            for p in v.periods
        ],
        "workdays": [{"date": w.date.isoformat(), "name": w.name or None} for w in v.workdays],
        "amended_by": list(v.amended_by),
    }
    if v.stored is not None:
        out["imported"] = {
            "by": v.stored.imported_by,
            "at": v.stored.imported_at.isoformat(),
            "file": v.stored.file_name,
            "imports": v.stored.imports,
        }
    return out


@click.group()
def holidays() -> None:
    """Chinese working days: holiday tables (法定节假日 and 调休) and working-day arithmetic.

    chinese-calendar knows the years up to its last published schedule; a later year needs the
    State Council's notice, imported with `doudi holidays import FILE` (or a plugin's table).
    Until then deadlines counted into that year are PROVISIONAL.
    """


@holidays.command("list")
@click.option(
    "--ahead",
    default=2,
    show_default=True,
    type=click.IntRange(0, 50),
    help="Also check this many years after the current one.",
)
@json_option
def holidays_list(ahead: int, as_json: bool) -> None:
    """Every year with a holiday table (chinese-calendar, plugin or imported), and the years
    from this one on that have none."""
    calendar, stored = _calendar()
    views = [year_view(calendar, y, stored) for y in calendar.covered_years()]
    missing = uncovered_ahead(calendar, today(), ahead)
    if as_json:
        emit_json(
            {
                "years": [
                    {
                        "year": v.year,
                        "origin": v.origin,
                        "source": v.source,
                        "amended_by": list(v.amended_by),
                        "imported_by": v.stored.imported_by if v.stored else None,
                        "imported_at": v.stored.imported_at.isoformat() if v.stored else None,
                    }
                    for v in views
                ],
                "not_covered": list(missing),
            }
        )
        return
    rows = []
    for v in views:
        imported = ""
        if v.stored is not None:
            imported = f"{v.stored.imported_by}, {v.stored.imported_at:%Y-%m-%d}"
        rows.append([str(v.year), v.origin or "", truncate(v.source, 60), imported])
    click.echo(table(["YEAR", "FROM", "SOURCE", "IMPORTED"], rows))
    if missing:
        click.echo(
            f"not covered: {', '.join(str(y) for y in missing)} — deadlines counted into "
            f"{'this year' if len(missing) == 1 else 'these years'} are provisional until the "
            "notice is imported (`doudi holidays import FILE`)"
        )
    else:
        click.echo(f"every year from {today().year} to {today().year + ahead} is covered")


@holidays.command("show")
@click.argument("year", type=click.IntRange(1, 9999))
@json_option
def holidays_show(year: int, as_json: bool) -> None:
    """The days off and make-up working days of YEAR, and where they come from."""
    calendar, stored = _calendar()
    v = year_view(calendar, year, stored)
    if as_json:
        emit_json(_view_json(v))
        return
    if not v.covered:
        click.echo(
            f"{year}: NOT COVERED — no holiday table; Monday to Friday are counted as working "
            "days, except the days off fixed by law, and every deadline counted into it is "
            "provisional. Import the State Council's notice with `doudi holidays import FILE`."
        )
        off = sorted(v.names.items())
        if off:
            click.echo(
                "  weekdays off by law (全国年节及纪念日放假办法): "
                + ", ".join(f"{d.isoformat()} {name}" for d, name in off)
            )
        return
    click.echo(f"{year}: {v.origin}")
    click.echo(f"  source: {v.source}")
    if v.stored is not None:
        s = v.stored
        again = f", {s.imports} imports" if s.imports > 1 else ""
        click.echo(
            f"  imported by {s.imported_by} at {s.imported_at:%Y-%m-%d %H:%M} UTC from "
            f"{s.file_name}{again}"
        )
    for source in v.amended_by:
        click.echo(f"  amended by: {source} (its New Year holiday begins in December {year})")
    rows = []
    for p in v.periods:
        days = (p.last - p.first).days + 1
        span = p.first.isoformat() if days == 1 else f"{p.first.isoformat()} – {p.last.isoformat()}"
        first, last = _WEEKDAY[p.first.weekday()], _WEEKDAY[p.last.weekday()]
        rows.append([span, first if days == 1 else f"{first}–{last}", str(days), p.name])
    click.echo("days off:")
    click.echo(table(["DATES", "WEEKDAYS", "DAYS", "NAME"], rows))
    click.echo("make-up working days (调休上班):")
    if v.workdays:
        click.echo(
            table(
                ["DATE", "WEEKDAY", "NAME"],
                [[w.date.isoformat(), _WEEKDAY[w.date.weekday()], w.name] for w in v.workdays],
            )
        )
    else:
        click.echo("  (none)")


@holidays.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Confirm a table that replaces chinese-calendar's or a plugin's year, or whose count "
    "of weekday days off is not the statutory 13 (refused without it).",
)
@token_option
@json_option
def holidays_import(file: Path, force: bool, token: str | None, as_json: bool) -> None:
    """Import a year's holiday table (YAML or JSON) from the State Council's notice.

    FILE: {year, source: {title, number, date, url}, holidays: [dates or {from, to, name}],
    workdays: [dates or {date, name}]}. Every problem is reported with the file and JSON path;
    nothing is written unless the whole table is valid. Importing a year again replaces its
    table (the audit keeps the old one). Only a national administrator (a province_admin of
    000000) may import: a table applies to the whole country. A table that replaces
    chinese-calendar's or a plugin's year, or whose net count of weekday days off is not 13, is
    refused unless --force confirms it.
    """
    parsed = read_holiday_file(file)  # file problems first, whatever the token
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        result = import_holiday_table(
            session,
            user,
            parsed,
            file_name=file.name,
            calendar=runtime.work_calendar(),
            force=force,
        )
    for warning in result.warnings:
        click.echo(f"doudi: warning: {file.name}: {warning}", err=True)
    t = parsed
    off = t.days_off()
    if as_json:
        emit_json(
            {
                "year": t.year,
                "source": t.title,
                "days_off": len(off),
                "workdays": len(t.workdays),
                "replaced": None
                if result.replaced is None
                else {
                    "imported_by": result.replaced.imported_by,
                    "imported_at": result.replaced.imported_at.isoformat(),
                    "file": result.replaced.file_name,
                },
                "warnings": list(result.warnings),
                "imported_by": user.name,
            }
        )
        return
    click.echo(
        f"imported the {t.year} holiday table: {t.title} — {len(t.holidays)} holiday "
        f"entr{'ies' if len(t.holidays) != 1 else 'y'}, {len(off)} days off, "
        f"{len(t.workdays)} make-up working day{'s' if len(t.workdays) != 1 else ''}"
    )
    if result.replaced is not None:
        r = result.replaced
        click.echo(
            f"  replaced the table imported by {r.imported_by} at {r.imported_at:%Y-%m-%d %H:%M} "
            f"UTC from {r.file_name}"
        )
    click.echo(f"  deadlines counted into {t.year} are no longer provisional")


@holidays.command("audit")
@click.argument("year", type=click.IntRange(1, 9999), required=False)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@json_option
def holidays_audit(year: int | None, limit: int, as_json: bool) -> None:
    """Every holiday table import (of YEAR), newest first, with the table each one replaced."""
    if not database_exists(load_settings()):
        entries: list[HolidayAuditEntry] = []
    else:
        with open_database(create=False) as runtime, runtime.sessions() as session:
            entries = holiday_audit(session, year, limit)
    if as_json:
        emit_json(
            [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "year": e.year,
                    "action": e.action,
                    "user": e.user,
                    "role": e.role,
                    "file": e.file_name,
                    "document": e.document,
                    "previous": e.previous,
                }
                for e in entries
            ]
        )
        return
    click.echo(f"{len(entries)} import{'s' if len(entries) != 1 else ''}")
    if entries:
        rows = [
            [
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                str(e.year),
                e.action,
                f"{e.user} ({e.role})",
                e.file_name,
                ""
                if e.previous is None
                else f"{e.previous['imported_by']}, {e.previous['imported_at'][:10]}",
            ]
            for e in entries
        ]
        click.echo(table(["AT (UTC)", "YEAR", "ACTION", "USER", "FILE", "REPLACED"], rows))


@holidays.command("check")
@click.argument("dates", nargs=-1, required=True, type=DATE)
@json_option
def holidays_check(dates: tuple[dt.date, ...], as_json: bool) -> None:
    """Whether each DATE is a working day, and why (day off, make-up day, weekend)."""
    calendar, stored = _calendar()
    out: list[dict[str, Any]] = []
    for day in dates:
        kind = day_kind(calendar, day)
        v = year_view(calendar, day.year, stored)
        out.append(
            {
                "date": day.isoformat(),
                "weekday": _WEEKDAY[day.weekday()],
                "working": calendar.is_working_day(day),
                "kind": kind,
                "name": v.names.get(day) or None,
                "provisional": not calendar.covers(day.year),
            }
        )
    if as_json:
        emit_json(out)
        return
    rows = []
    for item in out:
        why = {
            "holiday": "day off",
            "make_up_workday": "make-up working day (调休上班)",
            "weekend": "weekend",
            "workday": "",
        }[str(item["kind"])]
        if item["name"]:
            why = f"{why}: {item['name']}"
        note = f"PROVISIONAL: {item['date'][:4]} not covered" if item["provisional"] else ""
        rows.append(
            [
                str(item["date"]),
                str(item["weekday"]),
                "yes" if item["working"] else "no",
                why,
                note,
            ]
        )
    click.echo(table(["DATE", "DAY", "WORKING", "WHY", ""], rows))


@holidays.command("add-working-days")
@click.argument("start", type=DATE)
@click.argument("days", type=click.IntRange(0, MAX_DAYS))
@json_option
def holidays_add_working_days(start: dt.date, days: int, as_json: bool) -> None:
    """The DAYS-th working day after START (START itself not counted; 0: START if it is a
    working day, else the next one) — e.g. a time limit of 30 working days from acceptance."""
    calendar, _ = _calendar()
    due = calendar.add_working_days(start, days)
    if as_json:
        emit_json(_due_json(start, days, due))
        return
    click.echo(
        f"{due.date.isoformat()} ({_WEEKDAY[due.date.weekday()]}): {days} working "
        f"day{'s' if days != 1 else ''} after {start.isoformat()}"
    )
    if due.provisional:
        click.echo(_provisional_note(due.uncovered_years))


@holidays.command("between")
@click.argument("start", type=DATE)
@click.argument("end", type=DATE)
@json_option
def holidays_between(start: dt.date, end: dt.date, as_json: bool) -> None:
    """How many working days lie after START up to and including END."""
    if end < start:
        raise click.BadParameter(
            f"{end.isoformat()} is before {start.isoformat()}", param_hint="END"
        )
    calendar, _ = _calendar()
    count = calendar.working_days_between(start, end)
    missing = calendar.uncovered_between(start, end)
    if as_json:
        emit_json(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "working_days": count,
                "provisional": bool(missing),
                "uncovered_years": list(missing),
            }
        )
        return
    click.echo(f"{count} working days after {start.isoformat()} up to {end.isoformat()}")
    if missing:
        click.echo(_provisional_note(missing))
