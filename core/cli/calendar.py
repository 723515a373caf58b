"""``doudi calendar CODE``: what is due at a jurisdiction — the same entries as the GraphQL
``calendar`` and the ``/calendar/{code}.ics`` feed — as a table, JSON or an iCalendar file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from core.calendars import feed
from core.cli.database import acting_user, open_database
from core.cli.output import DATE, emit_json, fmt_place, json_option, table, token_option, truncate
from core.policy.service import today


def _when(e: feed.CalendarEntry) -> str:
    return e.start.isoformat() if e.end is None else f"{e.start.isoformat()}..{e.end.isoformat()}"


def _flags(e: feed.CalendarEntry) -> str:
    flags = [
        name
        for name, on in (
            ("provisional", e.provisional),
            ("overdue", e.overdue),
            ("ongoing", e.clipped),
        )
        if on
    ]
    return ",".join(flags) or "-"


@click.command("calendar")
@click.argument("code")
@click.option(
    "--from", "start", type=DATE, default=None, help="First day; default: 30 days before today."
)
@click.option(
    "--to", "end", type=DATE, default=None, help="Last day (at most 400 days); default: 365 "
    "days after today.",
)  # fmt: skip
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the calendar as an iCalendar (.ics) file, for a calendar app.",
)
@token_option
@json_option
def calendar_command(
    code: str,
    start: dt.date | None,
    end: dt.date | None,
    ics_file: Path | None,
    token: str | None,
    as_json: bool,
) -> None:
    """What is due at CODE and under it: open case deadlines and due reviews (provisional ones
    marked), payment days, failed payments to pay again, report deadlines and campaign phases,
    by date, each with the parameter and source behind it. Needs a token whose user may read
    households at CODE."""
    from core.calendars.feed import window
    from core.calendars.feed_store import load_calendar

    now = today()
    s, e = window(start, end, now)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        cal = load_calendar(session, base, runtime.work_calendar(base), user, code, s, e, now)
    if ics_file is not None:
        ics_file.write_bytes(feed.render_ics(cal, dt.datetime.now(dt.UTC)))
    if as_json:
        emit_json(feed.calendar_to_json(cal))
        return
    if ics_file is not None:
        click.echo(f"wrote {ics_file}", err=True)
    n = len(cal.entries)
    click.echo(
        f"{n} calendar entr{'ies' if n != 1 else 'y'} at {fmt_place(cal.jurisdiction)} from "
        f"{s.isoformat()} to {e.isoformat()} (as of {now.isoformat()})"
    )
    if not cal.entries:
        return
    rows = [
        [
            _when(x),
            x.kind,
            truncate(x.title_zh, 44),
            "-" if x.case_id is None else str(x.case_id),
            x.jurisdiction,
            _flags(x),
            "-"
            if x.parameter is None
            else truncate(f"{x.parameter.path} = {x.parameter.value}", 64),
        ]
        for x in cal.entries
    ]
    click.echo(table(["DATE", "KIND", "WHAT", "CASE", "WHERE", "FLAGS", "PARAMETER"], rows))
    if any(x.provisional for x in cal.entries):
        years = sorted({y for x in cal.entries for y in x.uncovered_years})
        click.echo(
            "provisional: no published holiday schedule for "
            + ", ".join(str(y) for y in years)
            + " (weekdays counted as working days; `doudi holidays import` makes them final)"
        )
