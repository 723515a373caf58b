"""The bulk jobs, each defined once and run on any engine (:mod:`core.bulk.engines`): decide a
snapshot, the annual review, the reform simulation.

A job reads a snapshot's Parquet files, registers the policy table it built from the merged
policy (once per county and date) and the date it decides on (a one-row table, :data:`PARAMS`),
and returns Ibis expressions; the caller writes them to Parquet (large results) or brings them
back as Arrow (aggregates). The simulation is a :class:`~core.bulk.engines.Plan` over named
tables: DuckDB compiles it once per process and programs, whatever the date, the policy or the
households (they are all data). Nothing here knows which engine runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from core.bulk import rules
from core.bulk.engines import BulkEngine, Input, Plan, compiled
from core.bulk.policy_table import SCHEMA as POLICY_SCHEMA
from core.bulk.policy_table import policy_table
from core.bulk.review import IN_PAYMENT, ReviewScope, in_scope, proposals
from core.bulk.snapshot import SCHEMAS, MemorySnapshot, Snapshot
from core.policy.service import PolicyBase

# What the decision rules read of a snapshot (its item tables are summed into these at export).
DECIDE_INPUTS = ("households", "members", "deaths", "marked")
# What the jobs read.
INPUTS = (*DECIDE_INPUTS, "cases")
# The date a job decides on, as data: one row.
PARAMS = pa.schema([("as_of", pa.date32())])
# A sample's weights: thousandths of a household per household.
WEIGHTS = pa.schema([("hh_id", pa.int64()), ("weight_milli", pa.int64())])


def params_table(as_of: dt.date) -> pa.Table:
    return pa.table({"as_of": pa.array([as_of], pa.date32())})


def as_of_of(params: ir.Table) -> ir.DateValue:
    """The date of a :data:`PARAMS` table, as a value any expression can use."""
    return params.as_of.as_scalar()


@dataclass
class Loaded:
    """A snapshot's tables on an engine, the policy table registered beside them and the date."""

    tables: dict[str, ir.Table]
    policy: ir.Table
    policy_arrow: pa.Table
    as_of: ir.DateValue


def load(
    engine: BulkEngine,
    snapshot: Snapshot,
    scenarios: Sequence[tuple[str, PolicyBase]],
    as_of: dt.date,
) -> Loaded:
    tables = {n: engine.read_parquet(snapshot.file(n), n, SCHEMAS[n]) for n in INPUTS}
    arrow = policy_table(scenarios, snapshot.manifest.counties, as_of)
    day = as_of_of(engine.register(params_table(as_of), "params"))
    return Loaded(tables, engine.register(arrow, "policy"), arrow, day)


def decide(
    engine: BulkEngine,
    snapshot: Snapshot,
    scenarios: Sequence[tuple[str, PolicyBase]],
    as_of: dt.date,
    programs: tuple[str, ...] = rules.PROGRAMS,
) -> tuple[ir.Table, ir.Table, Loaded]:
    """Every household of ``snapshot`` decided on ``as_of`` for ``programs`` under each
    scenario: (decisions, covered members, what was loaded)."""
    loaded = load(engine, snapshot, scenarios, as_of)
    t = loaded.tables
    decisions, covered = rules.decide(
        t["households"],
        t["members"],
        t["deaths"],
        t["marked"],
        loaded.policy,
        loaded.as_of,
        programs,
    )
    return decisions, covered, loaded


def review(
    engine: BulkEngine,
    snapshot: Snapshot,
    base: PolicyBase,
    as_of: dt.date,
    scope: ReviewScope,
) -> ir.Table:
    """The annual review's result rows (:data:`core.bulk.review.RESULT_COLUMNS`), one per
    household and program in scope."""
    loaded = load(engine, snapshot, [("baseline", base)], as_of)
    t = loaded.tables
    targets = in_scope(t["households"], t["members"], t["cases"], scope)
    # Only the households under review are decided. A tekun case in payment keeps on the minors
    # it supports (特困人员认定办法 art. 24): its members covered are the continuing ones.
    hh = t["households"].semi_join(targets, "hh_id")
    c = t["cases"]
    supported = c.filter((c.program == "tekun") & c.state.isin(IN_PAYMENT)).select(
        "hh_id", id_number=c.members_covered.split(",").unnest()
    )
    supported = supported.filter(supported.id_number != "")
    decisions, _covered = rules.decide(
        hh,
        t["members"],
        t["deaths"],
        t["marked"],
        loaded.policy,
        loaded.as_of,
        scope.programs,
        continuing=supported,
    )
    return proposals(
        targets, decisions, t["households"], loaded.policy, as_of, t["members"]
    ).order_by(["county", "hh_id", "program"])


SUMMARY_COLUMNS = (
    "scenario",
    "program",
    "county",
    "households",
    "eligible_baseline",
    "eligible_reform",
    "persons_baseline",
    "persons_reform",
    "cost_baseline_fen",
    "cost_reform_fen",
    "winners",
    "losers",
    "newly_eligible",
    "no_longer_eligible",
    "cannot_decide_baseline",
    "cannot_decide_reform",
)


def simulate_plan(
    programs: tuple[str, ...], weighted: bool, baseline: str = "baseline"
) -> Plan:
    """The simulation over tables named ``households``, ``members``, ``deaths``, ``marked`` (a
    snapshot's), ``policy`` (:func:`core.bulk.policy_table.policy_table`, ``baseline`` its
    first scenario), ``params`` (the date) and, if ``weighted``, ``weights``."""
    schemas = {n: SCHEMAS[n] for n in DECIDE_INPUTS}
    schemas.update(policy=POLICY_SCHEMA, params=PARAMS)
    if weighted:
        schemas["weights"] = WEIGHTS

    def build(t: Mapping[str, ir.Table]) -> ir.Table:
        decisions, _covered = rules.decide(
            t["households"],
            t["members"],
            t["deaths"],
            t["marked"],
            t["policy"],
            as_of_of(t["params"]),
            programs,
        )
        return summary(decisions, t["households"], t.get("weights"), baseline)

    return Plan(("simulate", programs, weighted, baseline), schemas, build)


def summary(
    decisions: ir.Table, households: ir.Table, weights: ir.Table | None, baseline: str
) -> ir.Table:
    """Per county, program and reform scenario: eligible households and persons and the monthly
    cost, baseline beside reform, winners and losers (amount up / down), households newly
    eligible or no longer eligible. Counts and money are weighted by ``weights`` (hh_id,
    weight_milli: thousandths; none: every household 1) and summed as integers (thousandths ×
    fen), so every engine gives the same figures."""
    if weights is None:
        w = households.select("hh_id", weight_milli=ibis.literal(1000, "int64"))
    else:
        w = weights
    b = decisions.filter(decisions.scenario == baseline)
    r = decisions.filter(decisions.scenario != baseline)
    b = b.select(
        "program",
        "hh_id",
        "county",
        b_status=b.status,
        b_covered=b.covered,
        b_amount=b.amount_fen.fill_null(0),
    )
    r = r.select(
        "scenario",
        "program",
        "hh_id",
        r_status=r.status,
        r_covered=r.covered,
        r_amount=r.amount_fen.fill_null(0),
    )
    j = rules._drop_right(b.join(r, ["program", "hh_id"]))
    j = rules._drop_right(j.join(w, "hh_id"))
    wt = j.weight_milli
    be, re_ = j.b_status == "eligible", j.r_status == "eligible"

    def count(cond: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(cond, wt, 0).sum().cast("!int64")

    return (
        j.group_by(["scenario", "program", "county"])
        .aggregate(
            households=wt.sum().cast("!int64"),
            eligible_baseline=count(be),
            eligible_reform=count(re_),
            persons_baseline=(wt * j.b_covered).sum().cast("!int64"),
            persons_reform=(wt * j.r_covered).sum().cast("!int64"),
            cost_baseline_fen=(wt * j.b_amount).sum().cast("!int64"),
            cost_reform_fen=(wt * j.r_amount).sum().cast("!int64"),
            winners=count(j.r_amount > j.b_amount),
            losers=count(j.r_amount < j.b_amount),
            newly_eligible=count(~be & re_),
            no_longer_eligible=count(be & ~re_),
            cannot_decide_baseline=count(j.b_status == "cannot_decide"),
            cannot_decide_reform=count(j.r_status == "cannot_decide"),
        )
        .select(*SUMMARY_COLUMNS)
        .order_by(["scenario", "program", "county"])
    )


def simulate(
    engine: BulkEngine,
    snapshot: Snapshot | MemorySnapshot,
    scenarios: Sequence[tuple[str, PolicyBase]],
    as_of: dt.date,
    programs: tuple[str, ...],
    weights: pa.Table | None = None,
) -> pa.Table:
    """The simulation (:func:`simulate_plan`, :data:`SUMMARY_COLUMNS`) of ``snapshot``'s
    households, on disk or in memory, the first scenario the baseline."""
    inputs: dict[str, Input] = {n: snapshot.input(n) for n in DECIDE_INPUTS}
    inputs["policy"] = policy_table(scenarios, snapshot.manifest.counties, as_of)
    inputs["params"] = params_table(as_of)
    if weights is not None:
        inputs["weights"] = weights
    plan = simulate_plan(tuple(programs), weights is not None, scenarios[0][0])
    return engine.run(plan, inputs)


def compile_default() -> None:
    """Compile the simulation the console asks for by default (dibao, registered households):
    a server that does it at start answers the first simulation as fast as the next (importing
    the engine and compiling take a second or two, once per process)."""
    compiled(simulate_plan(("dibao",), weighted=False))
