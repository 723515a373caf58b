"""The bulk jobs, each defined once and run on any engine (:mod:`core.bulk.engines`): decide a
snapshot, the annual review, the reform simulation.

A job reads a snapshot's Parquet files, registers the policy table it built from the merged
policy (once per county and date), and returns Ibis expressions; the caller writes them to
Parquet (large results) or brings them back as Arrow (aggregates). Nothing here knows which
engine runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from core.bulk import rules
from core.bulk.engines import BulkEngine
from core.bulk.policy_table import policy_table
from core.bulk.review import IN_PAYMENT, ReviewScope, in_scope, proposals
from core.bulk.snapshot import Snapshot
from core.policy.service import PolicyBase

INPUTS = ("households", "members", "incomes", "expenses", "cases")


@dataclass
class Loaded:
    """A snapshot's tables on an engine, and the policy table registered beside them."""

    tables: dict[str, ir.Table]
    policy: ir.Table
    policy_arrow: pa.Table


def load(
    engine: BulkEngine,
    snapshot: Snapshot,
    scenarios: Sequence[tuple[str, PolicyBase]],
    as_of: dt.date,
) -> Loaded:
    tables = {n: engine.read_parquet(snapshot.file(n), n) for n in INPUTS}
    arrow = policy_table(scenarios, snapshot.manifest.counties, as_of)
    return Loaded(tables, engine.register(arrow, "policy"), arrow)


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
        t["households"], t["members"], t["incomes"], t["expenses"], loaded.policy, as_of, programs
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
        t["incomes"],
        t["expenses"],
        loaded.policy,
        as_of,
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


def simulate(
    engine: BulkEngine,
    snapshot: Snapshot,
    scenarios: Sequence[tuple[str, PolicyBase]],
    as_of: dt.date,
    programs: tuple[str, ...],
    weights: pa.Table | None = None,
) -> ir.Table:
    """Per county, program and reform scenario (the first scenario is the baseline): eligible
    households and persons and the monthly cost, baseline beside reform, winners and losers
    (amount up / down), households newly eligible or no longer eligible. Counts and money are
    weighted by ``weights`` (hh_id, weight_milli: thousandths; none: every household 1) and
    summed as integers (thousandths × fen), so every engine gives the same figures."""
    decisions, _covered, loaded = decide(engine, snapshot, scenarios, as_of, programs)
    households = loaded.tables["households"]
    if weights is None:
        w = households.select("hh_id", weight_milli=ibis.literal(1000, "int64"))
    else:
        w = engine.register(weights, "weights")
    baseline = scenarios[0][0]
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
