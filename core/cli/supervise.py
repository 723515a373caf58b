"""``doudi supervise``: supervision findings (数字监督) at a jurisdiction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from core.policy.jurisdictions import load_registry
from core.settings import load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.database import database_exists, open_database
from core.cli.output import DATE, as_of_or_today, emit_json, fmt_place, json_option, table


@click.command()
@click.argument("code")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The date the findings are judged on (YYYY-MM-DD); default: today in China.",
)
@json_option
def supervise(code: str, as_of: dt.date | None, as_json: bool) -> None:
    """Supervision (数字监督) of the cases at CODE and under it: people in two dibao cases, in
    dibao and tekun at once, the dead still covered, near-relative cases without the county's
    visit, spot-checks not done. Exit 0 whatever is found."""
    from core.cases.supervision import finding_to_json, supervision_findings

    registry = load_registry()
    where = registry.get(code)
    day = as_of_or_today(as_of)
    found = []
    if database_exists(load_settings()):
        with open_database(create=False) as runtime, runtime.sessions() as session:
            found = supervision_findings(session, registry, where.code, day)
    if as_json:
        emit_json([finding_to_json(f) for f in found])
        return
    click.echo(
        f"{len(found)} finding{'s' if len(found) != 1 else ''} at {fmt_place(where)} on "
        f"{day.isoformat()}"
    )
    if found:
        rows = [
            [
                f.kind,
                f.jurisdiction,
                ", ".join(str(i) for i in f.case_ids),
                f.person_id_number or "-",
                f.message,
            ]
            for f in found
        ]
        click.echo(table(["KIND", "COUNTY", "CASES", "PERSON", "FINDING"], rows))
