"""``doudi deadlines`` and ``doudi reviews``: case deadlines and review schedules.

Both act as the user of ``--token`` / ``$DOUDI_TOKEN`` on the configured database, with the
API's access rules (the right to read households at the case's county or the jurisdiction), and
answer from the merged policy (plugins and local settings) and the working-day calendar
(chinese-calendar, plugin and imported holiday tables). Errors are one line
``doudi: error: ...`` and exit 1 (a malformed date: exit 2, like every option).

    doudi deadlines 42 --as-of 2026-10-20
    doudi reviews due 450326 --from 2026-07-01 --to 2026-07-31 --json
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from core.calendars import schedules_store
from core.calendars.schedules import Deadline, ReviewDue, deadline_to_json, review_to_json
from core.cases import CaseNotFound
from core.cli.database import acting_user, open_database
from core.cli.output import (
    DATE,
    as_of_option,
    emit_json,
    fmt_date,
    json_option,
    table,
    token_option,
    truncate,
)
from core.plugin.hookspecs import TraceEntry
from core.policy.service import today

PROGRAMS = ("dibao", "tekun")


def _case_id(raw: str) -> int:
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise CaseNotFound(f"no case with id {raw!r}")


def _rule(t: TraceEntry) -> str:
    """``path = value`` or ``path not set``."""
    return f"{t.path} = {t.value}" if t.is_set else f"{t.path} not set"


def _layer(t: TraceEntry) -> str:
    return f"{t.jurisdiction_code} {t.origin}" if t.jurisdiction_code else "-"


def _cite(t: TraceEntry) -> str:
    s = t.source
    if s is None:
        return ""
    doc = s.document
    name = doc.number or doc.title or doc.id
    return f"{name} {s.section}".strip()


def _status(d: Deadline) -> str:
    if d.done:
        return f"done {fmt_date(d.done_on)}" + (" (late)" if d.late else "")
    if d.due_date is None:
        return "no due date"
    if d.note.startswith("not recorded before"):
        return "passed"
    return "OVERDUE" if d.overdue else "open"


def _due(day: dt.date | None, provisional: bool) -> str:
    return fmt_date(day) + (" (provisional)" if provisional else "")


@click.command("deadlines")
@click.argument("case_id")
@as_of_option
@token_option
@json_option
def deadlines(case_id: str, as_of: dt.date | None, token: str | None, as_json: bool) -> None:
    """Every step's deadline of case CASE_ID: when its clock started, when it is due (working
    days with China's holidays and make-up days; "provisional" in a year with no holiday table),
    done or overdue on --as-of (default today in China), and the parameter and source behind it."""
    day = as_of or today()
    cid = _case_id(case_id)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        found = schedules_store.case_deadlines(
            session, base, runtime.work_calendar(base), user, cid, day
        )
    if as_json:
        emit_json([deadline_to_json(d) for d in found])
        return
    click.echo(f"case {cid}: {len(found)} deadline{'s' if len(found) != 1 else ''} as of {day}")
    if not found:
        return
    rows = [
        [
            d.kind,
            fmt_date(d.started_on),
            _due(d.due_date, d.provisional),
            _status(d),
            _rule(d.parameter),
            _layer(d.parameter),
            truncate(_cite(d.parameter)),
        ]
        for d in found
    ]
    headers = ["STEP", "STARTED", "DUE", "STATUS", "PARAMETER", "LAYER", "SOURCE"]
    click.echo(table(headers, rows))
    notes = [f"{d.kind}: {d.note}" for d in found if d.provisional or d.due_date is None]
    for line in notes:
        click.echo(f"  {line}")


@click.group()
def reviews() -> None:
    """Periodic checks of cases in payment (re-checks, verification, home visits, carer
    assessments, re-checks after a death, ends of phase-outs)."""


def _review_row(r: ReviewDue, county: str) -> list[str]:
    return [
        fmt_date(r.due_date),
        "OVERDUE" if r.overdue else "",
        str(r.case_id),
        county,
        r.kind,
        truncate(r.basis),
        _rule(r.parameter),
        _layer(r.parameter),
        truncate(_cite(r.parameter)),
    ]


@reviews.command("due")
@click.argument("code")
@click.option("--from", "start", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, required=True, help="Last day (YYYY-MM-DD).")
@as_of_option
@click.option(
    "--program", type=click.Choice(PROGRAMS), default=None, help="Only this program's cases."
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Print at most this many (the count says how many there are).",
)
@token_option
@json_option
def reviews_due(
    code: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None,
    program: str | None,
    limit: int | None,
    token: str | None,
    as_json: bool,
) -> None:
    """The checks due at CODE and under it by --to: those due from --from on and the earlier
    ones, OVERDUE when past --as-of (default today in China), earliest first."""
    day = as_of or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        items, refs, planner = schedules_store.due_reviews(
            session, base, user, code, start, end, day, program=program
        )
        where = base.registry.get(code)
    shown = items if limit is None else items[:limit]
    found = [planner.review(i) for i in shown]
    overdue = sum(1 for i in items if i[1] is not None and i[1] < planner.as_of_ord)
    if as_json:
        out: list[dict[str, Any]] = []
        for r in found:
            ref = refs[r.case_id]
            out.append({**review_to_json(r), "county": ref.county, "householdId": ref.household_id})
        emit_json(
            {
                "jurisdiction": where.code,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "asOf": day.isoformat(),
                "total": len(items),
                "overdue": overdue,
                "reviews": out,
            }
        )
        return
    click.echo(
        f"{len(items)} review{'s' if len(items) != 1 else ''} due by {end} at {where.code} "
        f"{where.name} ({overdue} overdue on {day})"
        + (f"; the first {len(found)}" if len(found) < len(items) else "")
    )
    if found:
        rows = [_review_row(r, refs[r.case_id].county) for r in found]
        headers = ["DUE", "", "CASE", "COUNTY", "KIND", "FROM", "PARAMETER", "LAYER", "SOURCE"]
        click.echo(table(headers, rows))
