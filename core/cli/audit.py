"""``doudi audit``: verify the hash-chained audit trail."""

from __future__ import annotations

import click

from core.cli.database import open_database
from core.cli.output import emit_json, json_option
from core.errors import DoudiError


@click.group()
def audit() -> None:
    """The tamper-evident audit trail of cases."""


@audit.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain of every case event in the database. Exit 0 when intact; exit 1
    listing each tampered, missing or orphaned event on stdout, one per line."""
    from core.cases.store import count_cases_and_events, verify_audit_chain

    with open_database(create=False) as runtime, runtime.sessions() as session:
        problems = verify_audit_chain(session)
        cases, events = count_cases_and_events(session)
    if as_json:
        emit_json({"ok": not problems, "events": events, "cases": cases, "problems": problems})
    elif not problems:
        click.echo(
            f"ok: {events} event{'s' if events != 1 else ''} in {cases} "
            f"case{'s' if cases != 1 else ''}, chain intact"
        )
    else:
        for p in problems:
            click.echo(p)
    if problems:
        n = len(problems)
        raise DoudiError(
            f"the audit trail is broken: {n} problem{'s' if n != 1 else ''} found in {events} "
            f"event{'s' if events != 1 else ''} of {cases} case{'s' if cases != 1 else ''}"
        )
