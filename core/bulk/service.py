"""What the CLI and the API ask of the bulk engine: take a snapshot, run or resume an annual
review, simulate a reform. Checks who asks before anything else; the jobs themselves are in
:mod:`core.bulk.jobs` and run on the engine named (DuckDB by default, Spark where configured).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.access.roles import Action, User, authorize, require
from core.bulk import jobs
from core.bulk.engines import open_engine
from core.bulk.reform import Reform, check_reform, hidden_at, reform_base, violations
from core.bulk.review import ReviewScope, reason_line
from core.bulk.review_store import (
    ReviewRun,
    create_run,
    fail_run,
    finish_run,
    get_run,
    mark_running,
    run_by_id,
    set_units,
    store_unit,
    units_done,
)
from core.bulk.rules import PROGRAMS
from core.bulk.snapshot import (
    Manifest,
    MemorySnapshot,
    Snapshot,
    SnapshotError,
    SnapshotWriter,
    document_lines,
    find_snapshot,
    new_snapshot_id,
    open_snapshot,
    read_documents,
)
from core.bulk.snapshot_store import count_households, export_snapshot, read_registers
from core.errors import InvalidInput
from core.households.model import InvalidHousehold, household_to_json, parse_household
from core.policy.service import PolicyBase

Progress = Callable[[str, int, int], None]  # (stage, done, total)
UNIT_LEVEL = "county"  # doudi's households carry no township yet


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


# -- snapshots -----------------------------------------------------------------------------------


def take_snapshot(
    engine: Engine,
    base: PolicyBase,
    user: User | None,
    code: str,
    as_of: dt.date,
    root: Path,
    progress: Progress = _noop,
) -> Snapshot:
    """Export the registers at ``code`` (READ_HOUSEHOLDS there: a snapshot holds personal data)."""
    authorize(user, Action.READ_HOUSEHOLDS, code, base.registry)
    return export_snapshot(
        engine,
        base.registry,
        code,
        as_of,
        root,
        progress=lambda done, total: progress("snapshot", done, total),
    )


# Up to this many households, a job on the registers reads them into memory (tens of megabytes at
# most); beyond, they are exported to Parquet, with bounded memory.
MEMORY_HOUSEHOLDS = 20_000


def registers_now(
    engine: Engine, base: PolicyBase, code: str, as_of: dt.date, root: Path
) -> Snapshot | MemorySnapshot:
    """The registers at ``code`` as they are now, for one job run at once and forgotten (the
    caller authorizes): in memory for a small population, else a snapshot under ``root`` (a
    scratch directory the caller removes)."""
    if count_households(engine, base.registry, code) <= MEMORY_HOUSEHOLDS:
        return read_registers(engine, base.registry, code, as_of)
    return export_snapshot(engine, base.registry, code, as_of, root)


def snapshot_for(
    root: Path, ref: str, user: User | None, base: PolicyBase, action: Action
) -> Snapshot:
    snap = find_snapshot(root, ref)
    authorize(user, action, snap.manifest.jurisdiction, base.registry)
    return snap


def list_snapshots_for(
    root: Path, user: User | None, base: PolicyBase, code: str | None = None
) -> list[Snapshot]:
    """Snapshots the user may see (their metadata only): under the user's jurisdiction."""
    from core.bulk.snapshot import list_snapshots

    if user is None or not (user.may(Action.READ_HOUSEHOLDS) or user.may(Action.RUN_SIMULATIONS)):
        require(user, Action.READ_HOUSEHOLDS)
    assert user is not None
    if code is not None:
        action = (
            Action.READ_HOUSEHOLDS if user.may(Action.READ_HOUSEHOLDS) else Action.RUN_SIMULATIONS
        )
        authorize(user, action, code, base.registry)
    reg = base.registry
    return [
        s
        for s in list_snapshots(root, None if code is None else reg.get(code).code)
        if reg.is_within(s.manifest.jurisdiction, user.jurisdiction)
    ]


# -- annual review -------------------------------------------------------------------------------


def _results_path(work: Path, run_id: int) -> Path:
    return work / "reviews" / str(run_id) / "results.parquet"


def _counties_within(snapshot: Snapshot, base: PolicyBase, code: str) -> tuple[str, ...]:
    """The snapshot's counties a review at ``code`` covers (empty: all of them)."""
    reg = base.registry
    j = reg.get(code)
    whole = snapshot.manifest.jurisdiction
    if snapshot.manifest.source == "sample" or not reg.is_within(j.code, whole):
        raise InvalidInput(
            f"snapshot {snapshot.id} holds the registers of {whole}, which do not cover all of "
            f"{j.code} {j.name}: take a snapshot at {j.code}"
        )
    if j.code == reg.get(whole).code:
        return ()
    inside = tuple(c for c in snapshot.manifest.counties if reg.is_within(c, j.code))
    return inside or (j.code,)


def run_review(
    db: Engine,
    sessions: sessionmaker[Session],
    base: PolicyBase,
    user: User | None,
    code: str,
    as_of: dt.date,
    scope: ReviewScope,
    *,
    snapshots: Path,
    work: Path,
    snapshot: Snapshot | None = None,
    engine: str = "duckdb",
    engine_options: dict[str, Any] | None = None,
    progress: Progress = _noop,
) -> ReviewRun:
    """Run the annual review at ``code`` on ``as_of``: snapshot the registers (or use
    ``snapshot``), decide every household in scope in bulk, and open one review task per case
    (county approvers and province administrators)."""
    registry = base.registry
    authorize(user, Action.RUN_REVIEWS, code, registry)
    bad = [p for p in scope.programs if p not in ("dibao", "tekun")]
    if bad or not scope.programs:
        raise InvalidInput(f"programs: an annual review covers dibao and tekun, not {bad}")
    if snapshot is None:
        snapshot = take_snapshot(db, base, user, code, as_of, snapshots, progress)
    else:
        authorize(user, Action.READ_HOUSEHOLDS, snapshot.manifest.jurisdiction, registry)
    counties = _counties_within(snapshot, base, code)
    if counties:
        scope = ReviewScope(**{**scope.__dict__, "counties": counties})
    with sessions() as session:
        run = create_run(
            session,
            user,
            registry,
            code,
            as_of,
            scope,
            engine=engine,
            snapshot_id=snapshot.id,
            snapshot_path=str(snapshot.path),
            policy_version=base.version,
        )
    return _complete(sessions, base, run, snapshot, work, engine, engine_options, progress)


def resume_review(
    sessions: sessionmaker[Session],
    base: PolicyBase,
    user: User | None,
    run_id: int,
    *,
    work: Path,
    engine: str | None = None,
    engine_options: dict[str, Any] | None = None,
    progress: Progress = _noop,
) -> ReviewRun:
    """Go on with an interrupted or failed run: decide again only if its results are missing,
    then store the units not yet done."""
    with sessions() as session:
        run = get_run(session, user, run_id, base.registry)
        if run.status == "done":
            return run
        mark_running(session, user, run, base.registry)
    snapshot = open_snapshot(Path(run.snapshot_path))
    return _complete(
        sessions, base, run, snapshot, work, engine or run.engine, engine_options, progress
    )


def _complete(
    sessions: sessionmaker[Session],
    base: PolicyBase,
    run: ReviewRun,
    snapshot: Snapshot,
    work: Path,
    engine_name: str,
    engine_options: dict[str, Any] | None,
    progress: Progress,
) -> ReviewRun:
    results = _results_path(work, run.id)
    try:
        if not (results / "_SUCCESS").exists() and not (results.is_file()):
            progress("decide", 0, 1)
            bulk = open_engine(engine_name, **(engine_options or {}))
            try:
                expr = jobs.review(bulk, snapshot, base, run.as_of, run.scope)
                tmp = results.with_name(results.name + ".partial")
                if tmp.exists():
                    shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
                bulk.to_parquet(expr, tmp)
                tmp.rename(results)
            finally:
                bulk.close()
            progress("decide", 1, 1)
        _store(sessions, base, run, results, progress)
        with sessions() as session:
            finish_run(session, run.id)
            return run_by_id(session, run.id)
    except BaseException as exc:
        with sessions() as session:
            fail_run(session, run.id, f"{type(exc).__name__}: {exc}")
        raise


def _task_rows(table: pa.Table, run: ReviewRun, unit: str) -> list[dict[str, Any]]:
    out = []
    for r in table.to_pylist():
        decision = {
            "status": r["status"],
            "mode": r["mode"],
            "living": r["living"],
            "covered": r["covered"],
            "pciFen": r["pci_fen"],
            "standardFen": r["standard_fen"],
            "amountFen": r["amount_fen"],
            "reason": r["reason"],
            "missing": r["missing"],
            "asOf": run.as_of.isoformat(),
            "snapshot": run.snapshot_id,
        }
        out.append(
            {
                "run_id": run.id,
                "case_id": r["case_id"],
                "household_id": r["hh_id"],
                "household_version": r["version"],
                "program": r["program"],
                "county": r["county"],
                "prefecture": r["prefecture"],
                "province": r["province"] or r["county"][:2] + "0000",
                "unit": unit,
                "scope": r["scope"],
                "case_state": r["case_state"],
                "case_version": r["case_version"],
                "proposal": r["proposal"],
                "reason": reason_line(r, run.as_of, r["county"]),
                "decision": decision,
                "current_amount_fen": r["current_amount_fen"],
                "new_amount_fen": r["amount_fen"],
                "status": "open",
            }
        )
    return out


def _store(
    sessions: sessionmaker[Session],
    base: PolicyBase,
    run: ReviewRun,
    results: Path,
    progress: Progress,
) -> None:
    data = ds.dataset(str(results), format="parquet")
    counts = data.to_table(columns=["county"]).column("county")
    totals = {str(v["values"]): int(v["counts"]) for v in pc.value_counts(counts).to_pylist()}
    with sessions() as session:
        set_units(session, run.id, totals, UNIT_LEVEL)
        done = units_done(session, run.id)
    total = sum(totals.values())
    stored = sum(totals[u] for u in done if u in totals)
    progress("store", stored, total)
    for unit in sorted(totals):
        if unit in done:
            continue
        table = data.to_table(filter=pc.field("county") == unit)
        rows = _task_rows(table, run, unit)
        with sessions() as session:
            store_unit(session, run.id, unit, rows)
        stored += len(rows)
        progress("store", stored, total)


# -- reform simulation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationRow:
    scenario: str
    program: str
    county: str
    county_name: str
    households: Decimal
    eligible_baseline: Decimal
    eligible_reform: Decimal
    persons_baseline: Decimal
    persons_reform: Decimal
    monthly_cost_baseline: Decimal  # yuan
    monthly_cost_reform: Decimal
    winners: Decimal
    losers: Decimal
    newly_eligible: Decimal
    no_longer_eligible: Decimal
    cannot_decide_baseline: Decimal
    cannot_decide_reform: Decimal

    @property
    def monthly_cost_change(self) -> Decimal:
        return self.monthly_cost_reform - self.monthly_cost_baseline

    @property
    def yearly_cost_baseline(self) -> Decimal:
        return self.monthly_cost_baseline * 12

    @property
    def yearly_cost_reform(self) -> Decimal:
        return self.monthly_cost_reform * 12

    @property
    def yearly_cost_change(self) -> Decimal:
        return self.monthly_cost_change * 12

    @property
    def eligible_change(self) -> Decimal:
        return self.eligible_reform - self.eligible_baseline

    @property
    def persons_change(self) -> Decimal:
        return self.persons_reform - self.persons_baseline


@dataclass(frozen=True)
class Simulation:
    population: str  # "registered households of CODE NAME (snapshot ID)" / "sample FILE"
    as_of: dt.date
    weighted: bool
    programs: tuple[str, ...]
    reforms: tuple[Reform, ...]
    rows: tuple[SimulationRow, ...]  # per county
    totals: tuple[SimulationRow, ...]  # per scenario and program, county "total"
    notes: tuple[str, ...] = field(default=())
    engine: str = "duckdb"


_MILLI = Decimal(1000)


def _rows(table: pa.Table, base: PolicyBase, weighted: bool) -> list[SimulationRow]:
    out = []
    for r in table.to_pylist():

        def n(key: str, r: dict[str, Any] = r) -> Decimal:
            return Decimal(r[key]) / _MILLI

        def money(key: str, r: dict[str, Any] = r) -> Decimal:
            return (Decimal(r[key]) / _MILLI / 100).quantize(Decimal("0.01"))

        code = r["county"]
        name = base.registry.get(code).name if code != "total" else "合计"
        out.append(
            SimulationRow(
                scenario=r["scenario"],
                program=r["program"],
                county=code,
                county_name=name,
                households=n("households"),
                eligible_baseline=n("eligible_baseline"),
                eligible_reform=n("eligible_reform"),
                persons_baseline=n("persons_baseline"),
                persons_reform=n("persons_reform"),
                monthly_cost_baseline=money("cost_baseline_fen"),
                monthly_cost_reform=money("cost_reform_fen"),
                winners=n("winners"),
                losers=n("losers"),
                newly_eligible=n("newly_eligible"),
                no_longer_eligible=n("no_longer_eligible"),
                cannot_decide_baseline=n("cannot_decide_baseline"),
                cannot_decide_reform=n("cannot_decide_reform"),
            )
        )
    return out


def _totals(table: pa.Table) -> pa.Table:
    keys = ["scenario", "program"]
    sums = [c for c in jobs.SUMMARY_COLUMNS if c not in ("scenario", "program", "county")]
    grouped = table.group_by(keys).aggregate([(c, "sum") for c in sums])
    cols = {k: grouped.column(k) for k in keys}
    cols["county"] = pa.array(["total"] * grouped.num_rows)
    for c in sums:
        cols[c] = grouped.column(f"{c}_sum")
    return (
        pa.table(cols).select(list(jobs.SUMMARY_COLUMNS)).sort_by([(k, "ascending") for k in keys])
    )


def simulate(
    base: PolicyBase,
    user: User | None,
    reforms: Sequence[Reform],
    as_of: dt.date,
    *,
    snapshot: Snapshot | MemorySnapshot,
    programs: tuple[str, ...] = ("dibao",),
    weights: pa.Table | None = None,
    population: str = "",
    engine: str = "duckdb",
    engine_options: dict[str, Any] | None = None,
) -> Simulation:
    """Baseline against each reform over ``snapshot``'s households (on disk or in memory;
    weighted by ``weights`` for a sample). Returns aggregates only: never a household or a
    person."""
    require(user, Action.RUN_SIMULATIONS)
    if snapshot.manifest.source != "sample":
        authorize(user, Action.RUN_SIMULATIONS, snapshot.manifest.jurisdiction, base.registry)
    bad = [p for p in programs if p not in PROGRAMS]
    if bad or not programs:
        raise InvalidInput(f"programs: one or more of {', '.join(PROGRAMS)}, not {bad}")
    if not reforms:
        raise InvalidInput("give at least one reform (an override of a catalog path)")
    names = [r.name for r in reforms]
    if len(set(names)) != len(names):
        raise InvalidInput("reforms: each needs its own name")
    counties = snapshot.manifest.counties
    scenarios: list[tuple[str, PolicyBase]] = [("baseline", base)]
    notes: list[str] = []
    checked = []
    for r in reforms:
        r = check_reform(base, r)
        checked.append(r)
        reformed = reform_base(base, r, counties, as_of)
        scenarios.append((r.name, reformed))
        notes.extend(f"{r.name}: {n}" for n in hidden_at(reformed, r, counties, as_of))
        notes.extend(
            f"{r.name}: breaks a rule at {v}" for v in violations(reformed, counties, as_of)
        )
    bulk = open_engine(engine, **(engine_options or {}))
    try:
        table = jobs.simulate(bulk, snapshot, scenarios, as_of, programs, weights)
    finally:
        bulk.close()
    rows = _rows(table, base, weights is not None)
    totals = _rows(_totals(table), base, weights is not None)
    m = snapshot.manifest
    read = (
        f"snapshot {m.id}"
        if isinstance(snapshot, Snapshot)
        else f"as stored at {m.taken_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return Simulation(
        population=population
        or f"registered households of {m.jurisdiction} {m.jurisdiction_name} ({read})",
        as_of=as_of,
        weighted=weights is not None,
        programs=programs,
        reforms=tuple(checked),
        rows=tuple(rows),
        totals=tuple(totals),
        notes=tuple(notes),
        engine=engine,
    )


# -- imported samples ----------------------------------------------------------------------------

MAX_WEIGHT = Decimal(1_000_000)


def _weight(raw: Any, where: str) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(f"{where}: weight: a number > 0, not {raw!r}")
    try:
        w = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{where}: weight: a number > 0, not {raw!r}") from None
    if not w.is_finite() or w <= 0 or w > MAX_WEIGHT:
        raise InvalidInput(f"{where}: weight: a number > 0 and at most {MAX_WEIGHT}")
    milli = w * 1000
    if milli != milli.to_integral_value():
        raise InvalidInput(f"{where}: weight: at most three decimals ({raw!r})")
    return int(milli)


def _sample_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8-sig") as f:
        for k, line in enumerate(f, start=1):
            if line.strip():
                yield k, line


def import_sample(
    path: Path, base: PolicyBase, as_of: dt.date, root: Path
) -> tuple[Snapshot, pa.Table]:
    """A snapshot of the households in ``path`` (JSON lines: ``{"weight": W, "household":
    {...}}``, the household in the format of ``schema/household.schema.json``), validated one by
    one (an error names the line and the field), and its weights table."""

    def items() -> Iterator[tuple[str, Any]]:
        for k, line in _sample_lines(path):
            where = f"{path.name} line {k}"
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise InvalidInput(f"{where}: not JSON ({exc})") from None
            yield where, item

    return sample_snapshot(items(), base, as_of, root, path.name)


def sample_snapshot(
    items: Iterable[tuple[str, Any]], base: PolicyBase, as_of: dt.date, root: Path, name: str
) -> tuple[Snapshot, pa.Table]:
    """A snapshot of sample households, each ``(where, {"weight": W, "household": {...}})``
    (``where`` names it in errors: a line, an input index), and its weights table."""
    taken = dt.datetime.now(dt.UTC)
    writer = SnapshotWriter(root, "sample", as_of, new_snapshot_id(taken))
    hh_ids: list[int] = []
    weights: list[int] = []

    def documents() -> Iterator[dict[str, Any]]:
        for k, (where, item) in enumerate(items, start=1):
            if not isinstance(item, dict) or "household" not in item:
                raise InvalidInput(f'{where}: expected {{"weight": W, "household": {{...}}}}')
            w = _weight(item.get("weight", 1), where)
            try:
                h = parse_household(item["household"], base.registry, as_of)
            except InvalidHousehold as exc:
                raise InvalidInput(f"{where}: {exc.message}") from None
            doc = household_to_json(h)
            doc.update(_id=k, _version=1, _province=None, _prefecture=None)
            hh_ids.append(k)
            weights.append(w)
            yield doc

    try:
        for batch, lines in read_documents(document_lines(documents())):
            writer.write_documents(batch, lines)
        if not hh_ids:
            raise InvalidInput(f"{name}: no households")
        snap = writer.finish(
            Manifest(
                id=writer.final.name,
                jurisdiction="sample",
                jurisdiction_name=name,
                as_of=as_of,
                taken_at=taken,
                source="sample",
                isolation="a file",
            )
        )
    except BaseException:
        writer.abort()
        raise
    table = pa.table(
        {"hh_id": pa.array(hh_ids, pa.int64()), "weight_milli": pa.array(weights, pa.int64())}
    )
    return snap, table


def temporary_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="doudi-bulk-"))


def parse_overrides(
    sets: Iterable[str], scales: Iterable[str], at: str, start: dt.date, until: dt.date | None
) -> list[Any]:
    """``PATH=VALUE`` (the value as JSON: 800, true, "gap", ["medical"]) and ``PATH=FACTOR``
    texts into overrides at ``at`` from ``start``."""
    from core.bulk.reform import Override

    out = []
    for text in sets:
        path, sep, raw = text.partition("=")
        if not sep or not path.strip():
            raise InvalidInput(f"--set {text!r}: write PATH=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.append(Override(path.strip(), at, start, value=value, until=until))
    for text in scales:
        path, sep, raw = text.partition("=")
        try:
            factor = Decimal(raw.strip().rstrip("%")) / (100 if raw.strip().endswith("%") else 1)
        except (InvalidOperation, ValueError):
            raise InvalidInput(f"--scale {text!r}: write PATH=FACTOR (1.1 or 110%)") from None
        if not sep or not path.strip():
            raise InvalidInput(f"--scale {text!r}: write PATH=FACTOR")
        out.append(Override(path.strip(), at, start, scale=factor, until=until))
    return out


def reforms_from_file(path: Path, default_at: str, default_start: dt.date) -> list[Reform]:
    """Reforms from a JSON file: ``[{"name": N, "overrides": [{"path", "value" | "scale",
    "at", "from", "until"}]}]``."""
    from core.bulk.reform import Override

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a JSON reform file ({exc})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: a list of reforms")
    out = []
    for i, r in enumerate(data):
        where = f"{path.name} [{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("overrides"), list):
            raise InvalidInput(f"{where}: {{'name': ..., 'overrides': [...]}}")
        overrides = []
        for k, o in enumerate(r["overrides"]):
            w = f"{where}.overrides[{k}]"
            if not isinstance(o, dict) or "path" not in o:
                raise InvalidInput(f"{w}: needs a path")
            try:
                start = dt.date.fromisoformat(o["from"]) if o.get("from") else default_start
                until = dt.date.fromisoformat(o["until"]) if o.get("until") else None
                scale = Decimal(str(o["scale"])) if o.get("scale") is not None else None
            except (ValueError, InvalidOperation) as exc:
                raise InvalidInput(f"{w}: {exc}") from None
            overrides.append(
                Override(
                    str(o["path"]),
                    str(o.get("at", default_at)),
                    start,
                    value=o.get("value"),
                    scale=scale,
                    until=until,
                )
            )
        out.append(Reform(str(r.get("name", f"reform{i + 1}")), tuple(overrides)))
    return out


__all__ = [
    "Simulation",
    "SimulationRow",
    "SnapshotError",
    "import_sample",
    "list_snapshots_for",
    "parse_overrides",
    "reforms_from_file",
    "resume_review",
    "run_review",
    "simulate",
    "snapshot_for",
    "take_snapshot",
]
