"""``doudi audit``: verify the keyed audit chains; write a checkpoint of their heads."""

from __future__ import annotations

from pathlib import Path

import click

from core.cli.database import open_database
from core.cli.output import emit_json, json_option
from core.errors import DoudiError


@click.group()
def audit() -> None:
    """The tamper-evident audit trail of cases, households, payments and local settings."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@audit.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A checkpoint log to compare with (repeatable; default: the configured "
    "DOUDI_AUDIT_CHECKPOINTS log), e.g. lines extracted from the syslog copy.",
)
@json_option
def audit_verify(checkpoint_files: tuple[Path, ...], as_json: bool) -> None:
    """Recompute every audit chain with the audit key and compare the database with the
    checkpoints. Exit 0 when intact; exit 1 listing each problem on stdout, one per line. Says
    what it cannot detect."""
    from core.audit.checkpoints import CheckpointRead, merge, read_checkpoints
    from core.audit.verify import verify

    with open_database(create=False) as runtime, runtime.sessions() as session:
        key = runtime.audit_key
        paths = list(checkpoint_files) or [runtime.settings.audit_checkpoints_path]
        reads = [read_checkpoints(p, key) for p in paths]
        checkpoints = reads[0]
        if len(reads) > 1:
            checkpoints = CheckpointRead(
                paths[0],
                exists=any(r.exists for r in reads),
                lines=sum(r.lines for r in reads),
                newest=merge(reads),
                last_at=max((r.last_at for r in reads if r.last_at), default=None),
                bad=[b for r in reads for b in r.bad],
            )
        report = verify(
            session, checkpoints=checkpoints, registry=runtime.policy.registry, key=key
        )
    c = report.counts
    events, cases = c.get("events", 0), c.get("cases", 0)
    entries, chains = c.get("entries", 0), c.get("chains", 0)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "events": events,
                "cases": cases,
                "entries": entries,
                "chains": chains,
                "keyId": key.id,
                "problems": report.problems,
                "notes": report.notes,
                "limits": list(report.limits),
            }
        )
    else:
        if report.ok:
            click.echo(
                f"ok: {_plural(events, 'event')} in {_plural(cases, 'case')} and "
                f"{_plural(entries, 'entry').replace('entrys', 'entries')} in "
                f"{_plural(chains, 'chain')}, all intact (audit key {key.id})"
            )
        else:
            for p in report.problems:
                click.echo(p)
        for note in report.notes:
            click.echo(note)
        click.echo("not detectable:")
        for limit in report.limits:
            click.echo(f"  - {limit}")
    if not report.ok:
        n = len(report.problems)
        raise DoudiError(
            f"the audit trail is broken: {_plural(n, 'problem')} found in "
            f"{_plural(events, 'event')} of {_plural(cases, 'case')} and "
            f"{_plural(entries, 'entry').replace('entrys', 'entries')}"
        )


@audit.command("checkpoint")
@json_option
def audit_checkpoint(as_json: bool) -> None:
    """Write the heads of every audit chain to the checkpoint log now (for a timer before
    backups; the server also writes them every DOUDI_AUDIT_CHECKPOINT_SECONDS)."""
    with open_database(create=False) as runtime:
        written = runtime.checkpoint(everything=True)
        path = runtime.settings.audit_checkpoints_path
    if as_json:
        emit_json({"chains": written, "log": str(path)})
    else:
        click.echo(f"checkpoint: {_plural(written, 'chain')} written to {path}")
