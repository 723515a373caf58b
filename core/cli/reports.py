"""``doudi reports``: report deadlines, Guangxi's monthly statistics table, plugin campaigns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from core.cli.database import acting_user, merged_policy, open_database
from core.cli.output import DATE, emit_json, fmt_place, json_option, table, token_option, truncate
from core.errors import InvalidInput
from core.policy.service import today
from core.reports import rules as rep


@click.group()
def reports() -> None:
    """Reports officials owe: when they are due, Guangxi's monthly statistics table, and the
    campaigns (专项治理) plugins' documents order."""


def _cite(d: rep.ReportDeadline) -> str:
    s = d.parameter.source
    if s is None:
        return "-"
    doc = s.document
    return f"{s.section} {doc.number or doc.title}".strip()


@reports.command("deadlines")
@click.argument("code")
@click.option("--from", "start", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, required=True, help="Last day (YYYY-MM-DD).")
@json_option
def deadlines(code: str, start: dt.date, end: dt.date, as_json: bool) -> None:
    """Every report due at CODE between --from and --to (inclusive), each from the merged
    policy (the parameter, its value and source). Reads the policy only: no token."""
    base = merged_policy()
    where = base.jurisdiction(code)
    rep.check_window(start, end)
    found = rep.report_deadlines(
        base.resolve(where.code, start),
        start,
        end,
        policy_at=lambda d: base.resolve(where.code, d),
    )
    if as_json:
        emit_json([rep.deadline_to_json(d) for d in found])
        return
    n = len(found)
    click.echo(
        f"{n} report deadline{'s' if n != 1 else ''} at {fmt_place(where)} from "
        f"{start.isoformat()} to {end.isoformat()}"
    )
    if found:
        rows = [
            [
                d.due.isoformat(),
                d.kind,
                d.period,
                d.title_zh,
                f"{d.parameter.path} = {d.parameter.value}",
                truncate(_cite(d)),
            ]
            for d in found
        ]
        click.echo(table(["DUE", "KIND", "PERIOD", "REPORT", "PARAMETER", "SOURCE"], rows))


@reports.command("statistics")
@click.argument("code")
@click.option(
    "--month",
    default=None,
    metavar="YYYY-MM",
    help="The month the table covers; default: the previous month in China.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the table as CSV (UTF-8 with BOM; columns 项目, item, value, note) to this file.",
)
@token_option
@json_option
def statistics(
    code: str, month: str | None, csv_file: Path | None, token: str | None, as_json: bool
) -> None:
    """Guangxi's monthly statistics table (专项治理进展情况统计表) for CODE and everything under
    it: the month's figures only, not cumulative. A line the data cannot support is empty and
    says why. Needs a token whose user may read decisions at CODE."""
    from core.reports.store import monthly_statistics

    now = today()
    first = rep.previous_month(now) if month is None else rep.parse_month(month)
    if first > now:
        raise InvalidInput(f"month: {rep.month_key(first)} has not begun")
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        stats = monthly_statistics(session, runtime.policy, user, code, first)
    if csv_file is not None:
        csv_file.write_text(rep.statistics_csv(stats), encoding="utf-8-sig", newline="")
    if as_json:
        emit_json(rep.statistics_to_json(stats))
        return
    if csv_file is not None:
        click.echo(f"wrote {csv_file}", err=True)
    click.echo(
        f"{stats.title_zh}\n{stats.jurisdiction} {stats.jurisdiction_name}, {stats.month} "
        f"({stats.start.isoformat()} to {stats.end.isoformat()}; that month only, not cumulative)"
    )
    if stats.due is not None:
        click.echo(f"due by {stats.due.due.isoformat()} ({_cite(stats.due)})")
    else:
        click.echo("due: no statistics report is set here for this month")
    rows = [
        [
            f"{r.label_zh}({r.unit_zh})" + ("" if r.in_table else " *"),
            "-" if r.value is None else str(r.value),
            truncate(r.why or "", 60) if r.value is None else truncate(r.note, 60),
        ]
        for r in stats.rows
    ]
    click.echo(table(["项目", "VALUE", "NOTE"], rows))
    click.echo("* not a line of the table: supports the lines above")


@reports.command("campaigns")
@click.argument("code")
@click.option("--from", "start", type=DATE, default=None, help="Phases ending on or after.")
@click.option("--to", "end", type=DATE, default=None, help="Phases starting on or before.")
@json_option
def campaigns(code: str, start: dt.date | None, end: dt.date | None, as_json: bool) -> None:
    """Campaigns (专项治理) running at CODE — declared there or above it — and their phases.
    Reads the policy only: no token."""
    base = merged_policy()
    where = base.jurisdiction(code)
    if start is not None and end is not None:
        rep.check_window(start, end)
    chain = [j.code for j in base.registry.chain(where.code)]
    found = rep.campaign_phases(base.campaigns, chain, start, end)
    if as_json:
        emit_json([rep.phase_to_json(e) for e in found])
        return
    n = len({e.campaign.id for e in found})
    click.echo(f"{n} campaign{'s' if n != 1 else ''} at {fmt_place(where)}")
    if found:
        rows = [
            [
                e.phase.start.isoformat(),
                "ongoing" if e.phase.end is None else e.phase.end.isoformat(),
                f"{e.phase.name_zh} ({e.phase.name})",
                truncate(e.campaign.title_zh),
                e.campaign.jurisdiction,
                truncate(
                    f"{e.campaign.source.section} "
                    f"{e.campaign.source.document.number or e.campaign.source.document.title}"
                ),
            ]
            for e in found
        ]
        click.echo(table(["FROM", "TO", "PHASE", "CAMPAIGN", "WHERE", "SOURCE"], rows))
