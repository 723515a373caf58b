"""``doudi snapshot`` and ``doudi snapshots``: the stored registers as Parquet, the input of every
bulk job (DuckDB here, Spark where the data lives).

A snapshot holds personal data: taking one needs a token that may read households at CODE.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import (
    DATE,
    as_of_or_today,
    emit_json,
    json_option,
    table,
    token_option,
)


def snapshots_root(out: Path | None) -> Path:
    from core.settings import load_settings

    return out if out is not None else load_settings().data_dir / "snapshots"


def manifest_json(s: Any) -> dict[str, Any]:
    return {"path": str(s.path), **s.manifest.to_json()}


def progress_bar(label: str) -> Any:
    """A click progress bar fed (done, total) — on stderr, so --json output stays clean."""
    state: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = state.get(stage)
        if bar is None:
            bar = click.progressbar(
                length=max(total, 1),
                label=f"{label}: {stage}",
                file=sys.stderr,
            )
            bar.__enter__()
            state[stage] = bar
            state[f"{stage}.done"] = 0
        step = done - state[f"{stage}.done"]
        if step > 0:
            bar.update(step)
            state[f"{stage}.done"] = done
        if done >= total:
            bar.__exit__(None, None, None)
            state[stage] = _Finished()

    return update


class _Finished:
    def update(self, _n: int) -> None:
        return None

    def __exit__(self, *_a: Any) -> None:
        return None


@click.command("snapshot")
@click.argument("code")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The date bulk jobs decide on (YYYY-MM-DD); default: today in China.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of snapshots; default: $DOUDI_DATA_DIR/snapshots.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@token_option
@json_option
def snapshot(
    code: str,
    as_of: dt.date | None,
    out: Path | None,
    quiet: bool,
    token: str | None,
    as_json: bool,
) -> None:
    """Export the households, members, income, expenses, cases and documents at CODE and under it
    to Parquet (OUT/CODE/AS_OF/ID/), streamed with bounded memory in one read transaction."""
    from core.bulk.service import take_snapshot

    day = as_of_or_today(as_of)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        session.close()
        progress = (lambda *_: None) if quiet or as_json else progress_bar("snapshot")
        snap = take_snapshot(
            runtime.engine, runtime.policy, user, code, day, snapshots_root(out), progress
        )
    if as_json:
        emit_json(manifest_json(snap))
        return
    m = snap.manifest
    click.echo(f"snapshot {m.id} of {m.jurisdiction} {m.jurisdiction_name} as of {m.as_of}")
    click.echo(f"  at:        {snap.path}")
    click.echo(f"  read:      {m.source}, {m.isolation}")
    click.echo("  rows:      " + ", ".join(f"{k} {v}" for k, v in m.rows.items()))
    click.echo(f"  counties:  {len(m.counties)}")


@click.group("snapshots")
def snapshots() -> None:
    """Snapshots taken with `doudi snapshot`: list them, and trace one household of one."""


@snapshots.command("list")
@click.argument("code", required=False)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of snapshots; default: $DOUDI_DATA_DIR/snapshots.",
)
@token_option
@json_option
def snapshots_list(code: str | None, out: Path | None, token: str | None, as_json: bool) -> None:
    """Snapshots (of CODE, or within your jurisdiction), newest first: metadata only."""
    from core.bulk.service import list_snapshots_for

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found = list_snapshots_for(snapshots_root(out), user, runtime.policy, code)
    if as_json:
        emit_json([manifest_json(s) for s in found])
        return
    if not found:
        click.echo("no snapshots")
        return
    click.echo(
        table(
            ["id", "jurisdiction", "as of", "taken at", "households", "cases", "source"],
            [
                [
                    s.id,
                    f"{s.manifest.jurisdiction} {s.manifest.jurisdiction_name}",
                    s.manifest.as_of.isoformat(),
                    s.manifest.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    str(s.manifest.rows.get("households", 0)),
                    str(s.manifest.rows.get("cases", 0)),
                    s.manifest.source,
                ]
                for s in found
            ],
        )
    )


@snapshots.command("explain")
@click.argument("snapshot_ref", metavar="SNAPSHOT")
@click.argument("household_id", type=int)
@click.option(
    "--program",
    type=click.Choice(("dibao", "low_income", "tekun")),
    default="dibao",
    show_default=True,
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Decide on this date; default: the snapshot's.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of snapshots; default: $DOUDI_DATA_DIR/snapshots.",
)
@token_option
@json_option
def snapshots_explain(
    snapshot_ref: str,
    household_id: int,
    program: str,
    as_of: dt.date | None,
    out: Path | None,
    token: str | None,
    as_json: bool,
) -> None:
    """The full trace of one household of a snapshot (SNAPSHOT: its id or directory): the
    traced engine on the document the snapshot holds, checked against the bulk decision."""
    from core.access.roles import Action
    from core.bulk.engines import DuckDBEngine
    from core.bulk.explain import explain
    from core.bulk.jobs import decide
    from core.bulk.service import snapshot_for
    from core.eligibility import decision_to_json

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        snap = snapshot_for(snapshots_root(out), snapshot_ref, user, base, Action.READ_HOUSEHOLDS)
    day = as_of or snap.manifest.as_of
    engine = DuckDBEngine()
    try:
        decisions, _covered, _loaded = decide(engine, snap, [("baseline", base)], day, (program,))
        rows = engine.to_arrow(decisions.filter(decisions.hh_id == household_id)).to_pylist()
    finally:
        engine.close()
    x = explain(snap, household_id, program, day, base, rows[0] if rows else None)
    if as_json:
        emit_json(
            {
                "householdId": household_id,
                "householdVersion": x.household_version,
                "bulk": rows[0] if rows else None,
                "agrees": x.agrees,
                "differences": list(x.differences),
                "decision": decision_to_json(x.decision),
            }
        )
        return
    print_explanation(x, rows[0] if rows else None)


def print_explanation(x: Any, bulk: dict[str, Any] | None) -> None:
    d = x.decision
    click.echo(
        f"household {x.household_id} (version {x.household_version}), {x.program} on "
        f"{x.as_of.isoformat()}: {d.status.upper()}"
    )
    if d.mode:
        click.echo(f"  mode:     {d.mode} ({len(d.members_covered)} covered)")
    if d.monthly_amount is not None:
        click.echo(f"  amount:   {d.monthly_amount} yuan/month")
    for r in d.reasons:
        click.echo(f"  - {r}")
    click.echo("  policy used:")
    for t in d.trace:
        where = f"{t.jurisdiction_code} ({t.origin})" if t.is_set else "not set"
        click.echo(f"    {t.path} = {json.dumps(t.value, ensure_ascii=False)}  [{where}]")
    if bulk is None:
        click.echo("  bulk: the household is not in the bulk result")
    elif x.agrees:
        click.echo("  bulk: the bulk decision agrees (status, mode, members covered, amount)")
    else:
        click.echo("  bulk: DIFFERS — " + "; ".join(x.differences))
