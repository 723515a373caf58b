"""``doudi simulate``: a reform against the policy as it is, over the registered households of a
jurisdiction or an imported sample with weights. Aggregates only (the analyst role sees nothing
else): eligible households and persons, monthly and yearly cost, per county, winners and losers,
and the change; exported as CSV, XLSX and a chart (PNG/SVG, drawn offline).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import DATE, as_of_or_today, emit_json, json_option, table, token_option
from core.cli.snapshot import snapshots_root


def _num(v: Decimal) -> str:
    if v == v.to_integral_value():
        v = v.quantize(Decimal(1))
    return f"{v:,f}"


def _signed(v: Decimal) -> str:
    return ("+" if v > 0 else "") + _num(v)


def _money(v: Decimal) -> str:
    return f"{v:,.2f}"


def _signed_money(v: Decimal) -> str:
    return ("+" if v > 0 else "") + _money(v)


def simulation_json(sim: Any) -> dict[str, Any]:
    def row(r: Any) -> dict[str, Any]:
        return {
            "scenario": r.scenario,
            "program": r.program,
            "county": r.county,
            "countyName": r.county_name,
            "households": str(r.households),
            "eligible": {
                "baseline": str(r.eligible_baseline),
                "reform": str(r.eligible_reform),
                "change": str(r.eligible_change),
            },
            "persons": {
                "baseline": str(r.persons_baseline),
                "reform": str(r.persons_reform),
                "change": str(r.persons_change),
            },
            "monthlyCost": {
                "baseline": str(r.monthly_cost_baseline),
                "reform": str(r.monthly_cost_reform),
                "change": str(r.monthly_cost_change),
            },
            "yearlyCost": {
                "baseline": str(r.yearly_cost_baseline),
                "reform": str(r.yearly_cost_reform),
                "change": str(r.yearly_cost_change),
            },
            "winners": str(r.winners),
            "losers": str(r.losers),
            "newlyEligible": str(r.newly_eligible),
            "noLongerEligible": str(r.no_longer_eligible),
            "cannotDecide": {
                "baseline": str(r.cannot_decide_baseline),
                "reform": str(r.cannot_decide_reform),
            },
        }

    return {
        "population": sim.population,
        "asOf": sim.as_of.isoformat(),
        "weighted": sim.weighted,
        "programs": list(sim.programs),
        "engine": sim.engine,
        "reforms": [{"name": r.name, "overrides": r.describe()} for r in sim.reforms],
        "notes": list(sim.notes),
        "totals": [row(r) for r in sim.totals],
        "counties": [row(r) for r in sim.rows],
    }


@click.command("simulate")
@click.argument("code", required=False)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help='Override a catalog path (value as JSON: 800, true, "gap", ["medical"]).',
)
@click.option(
    "--scale",
    "scales",
    multiple=True,
    metavar="PATH=FACTOR",
    help="Multiply a number at every county (1.1 or 110%).",
)
@click.option(
    "--at",
    "at",
    default=None,
    help="The layer (jurisdiction) the overrides sit at; default: CODE (or national).",
)
@click.option(
    "--from",
    "start",
    type=DATE,
    default=None,
    help="Overrides apply from this date; default: --as-of.",
)
@click.option("--until", "until", type=DATE, default=None, help="Last day of the overrides.")
@click.option("--name", default="reform", show_default=True, help="The reform's name.")
@click.option(
    "--reform",
    "reform_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Reforms from a JSON file (several scenarios).",
)
@click.option(
    "--sample",
    "sample",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help='A sample instead of CODE: JSON lines {"weight": W, "household": {...}}.',
)
@click.option(
    "--snapshot",
    "snapshot_ref",
    default=None,
    help="Use this snapshot of CODE (id or directory) instead of taking one.",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    type=click.Choice(("dibao", "low_income", "tekun")),
    help="Default: dibao.",
)
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: today in China.")
@click.option(
    "--export",
    "exports",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the result: .csv, .xlsx, .png or .svg (repeat).",
)
@click.option(
    "--engine", type=click.Choice(("duckdb", "spark")), default="duckdb", show_default=True
)
@click.option("--spark-master", default="local[2]", show_default=True)
@token_option
@json_option
def simulate(
    code: str | None,
    sets: tuple[str, ...],
    scales: tuple[str, ...],
    at: str | None,
    start: dt.date | None,
    until: dt.date | None,
    name: str,
    reform_file: Path | None,
    sample: Path | None,
    snapshot_ref: str | None,
    programs: tuple[str, ...],
    as_of: dt.date | None,
    exports: tuple[Path, ...],
    engine: str,
    spark_master: str,
    token: str | None,
    as_json: bool,
) -> None:
    """Simulate a reform (parameter overrides at any layer, from a date) against the policy as
    it is, over CODE's registered households or a weighted sample: aggregates only."""
    from core.access.roles import Action, authorize, require
    from core.bulk import export
    from core.bulk.reform import Reform
    from core.bulk.service import (
        import_sample,
        parse_overrides,
        reforms_from_file,
        snapshot_for,
        temporary_root,
    )
    from core.bulk.service import (
        simulate as run_simulation,
    )
    from core.bulk.snapshot import MemorySnapshot, Snapshot
    from core.errors import InvalidInput

    if (code is None) == (sample is None):
        raise InvalidInput("give CODE (registered households) or --sample FILE, one of them")
    day = as_of_or_today(as_of)
    layer = at or code or "000000"
    reforms = []
    if sets or scales:
        reforms.append(
            Reform(name, tuple(parse_overrides(sets, scales, layer, start or day, until)))
        )
    if reform_file is not None:
        reforms.extend(reforms_from_file(reform_file, layer, start or day))
    if not reforms:
        raise InvalidInput(
            "give the reform: --set PATH=VALUE, --scale PATH=FACTOR or --reform FILE"
        )
    for p in exports:
        if p.suffix.lower() not in (".csv", ".xlsx", ".png", ".svg"):
            raise InvalidInput(f"--export {p}: .csv, .xlsx, .png or .svg")
    scratch = temporary_root()
    try:
        with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
            user = acting_user(session, token)
            base = runtime.policy
            weights = None
            population = ""
            require(user, Action.RUN_SIMULATIONS)
            snap: Snapshot | MemorySnapshot
            if sample is not None:
                snap, weights = import_sample(sample, base, day, scratch)
                n = snap.manifest.rows["households"]
                population = f"sample {sample.name} ({n} households, weighted)"
            elif snapshot_ref is not None:
                snap = snapshot_for(
                    snapshots_root(None), snapshot_ref, user, base, Action.RUN_SIMULATIONS
                )
            else:
                assert code is not None
                authorize(user, Action.RUN_SIMULATIONS, code, base.registry)
                # The analyst may not read households: the snapshot is internal to the run and
                # deleted with it; only aggregates leave. Spark reads files; DuckDB reads a
                # small population from memory.
                from core.bulk.service import registers_now
                from core.bulk.snapshot_store import export_snapshot

                snap = (
                    registers_now(runtime.engine, base, code, day, scratch)
                    if engine == "duckdb"
                    else export_snapshot(runtime.engine, base.registry, code, day, scratch)
                )
            sim = run_simulation(
                base, user, reforms, day, snapshot=snap, programs=tuple(programs) or ("dibao",),
                weights=weights, population=population, engine=engine,
                engine_options={"master": spark_master} if engine == "spark" else None,
            )  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for p in exports:
        export.write(sim, p)
    if as_json:
        emit_json({**simulation_json(sim), "exports": [str(p) for p in exports]})
        return
    click.echo(f"{sim.population}, as of {sim.as_of.isoformat()}")
    for r in sim.reforms:
        click.echo(f"  reform {r.name}: {r.describe()}")
    for note in sim.notes:
        click.echo(f"  note: {note}")
    for title, rows in (("total", sim.totals), ("by county", sim.rows)):
        click.echo(f"\n{title}:")
        click.echo(
            table(
                [
                    "reform",
                    "program",
                    "county",
                    "eligible",
                    "change",
                    "persons",
                    "change",
                    "monthly cost (yuan)",
                    "change",
                    "yearly change",
                    "winners",
                    "losers",
                ],
                [
                    [
                        r.scenario,
                        r.program,
                        f"{r.county} {r.county_name}".strip(),
                        _num(r.eligible_reform),
                        _signed(r.eligible_change),
                        _num(r.persons_reform),
                        _signed(r.persons_change),
                        _money(r.monthly_cost_reform),
                        _signed_money(r.monthly_cost_change),
                        _signed_money(r.yearly_cost_change),
                        _num(r.winners),
                        _num(r.losers),
                    ]
                    for r in rows
                ],
            )
        )
    for p in exports:
        click.echo(f"wrote {p}")
