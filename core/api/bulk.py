"""GraphQL: the bulk engine — snapshots, the annual review (年度核查) and reform simulation
(wired into :mod:`core.api.schema` by one line each).

Queries ``snapshots``, ``annualReviews``, ``annualReview``, ``reviewTask`` (with its full
``trace``: the traced engine on the document the run's snapshot holds, checked against the run)
and ``simulateReform`` (aggregates only: what an analyst may see); mutations ``takeSnapshot``,
``runAnnualReview``, ``resumeAnnualReview`` and ``confirmUnchangedReviews`` answer
``userErrors`` and write nothing when refused. Everything needs a token and is never cached. The
jobs run on DuckDB in the server (the CLI also runs them on Spark); they run in a worker thread,
so a long annual review holds one request open for its duration.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core.access.roles import Action, User, require
from core.api.common import Info, PageInfo, UserError, database_id, user_errors
from core.api.context import Context
from core.api.eligibility import Decision
from core.api.households import HouseholdInput
from core.bulk import review_store, service
from core.bulk.reform import Override, Reform
from core.bulk.review import ReviewScope, reason_line_zh, task_row
from core.bulk.snapshot import MemorySnapshot, Snapshot
from core.eligibility import decision_to_json
from core.errors import DoudiError, InvalidInput
from core.policy.service import today
from core.storage.cursors import decode_cursor, encode_cursor

MAX_TASKS = review_store.MAX_PAGE
DEFAULT_TASKS = 100
MAX_SAMPLE = 10_000

LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "snapshots"): 100,
    ("Query", "annualReviews"): 100,
    ("AnnualReview", "progress"): 200,
    ("ReviewTaskConnection", "edges"): MAX_TASKS,
    ("Simulation", "counties"): 1000,
    ("Simulation", "totals"): 30,
}


def _root(context: Context) -> Path:
    return context.require_runtime().settings.data_dir / "snapshots"


def _work(context: Context) -> Path:
    return context.require_runtime().settings.data_dir / "bulk"


def _yuan(fen: int | None) -> float | None:
    return None if fen is None else float(Decimal(fen) / 100)


# -- types ---------------------------------------------------------------------------------------


@strawberry.type(
    name="Snapshot",
    description="The stored registers of a jurisdiction as Parquet (households, members, income, "
    "expenses, cases, documents), the input of every bulk job. Metadata only.",
)
class SnapshotType:
    id: strawberry.ID
    jurisdiction: str
    jurisdiction_name: str
    as_of: dt.date = strawberry.field(description="The date bulk jobs decide on.")
    taken_at: dt.datetime
    source: str = strawberry.field(description="sqlite or postgresql.")
    isolation: str
    households: int
    members: int
    cases: int
    counties: list[str]

    @classmethod
    def of(cls, s: Snapshot) -> SnapshotType:
        m = s.manifest
        return cls(
            id=strawberry.ID(m.id),
            jurisdiction=m.jurisdiction,
            jurisdiction_name=m.jurisdiction_name,
            as_of=m.as_of,
            taken_at=m.taken_at,
            source=m.source,
            isolation=m.isolation,
            households=m.rows.get("households", 0),
            members=m.rows.get("members", 0),
            cases=m.rows.get("cases", 0),
            counties=list(m.counties),
        )


@strawberry.type(name="ReviewScope", description="Who an annual review re-decides.")
class ReviewScopeType:
    in_payment: bool = strawberry.field(description="Cases in payment (原保障对象).")
    applicants: bool = strawberry.field(description="Applications not decided (新增申请对象).")
    exited_since: dt.date | None = strawberry.field(
        description="Cases exited since (退出保障对象)."
    )
    tags: list[str] = strawberry.field(
        description="Households with a member (or themselves) tagged so, with or without a case."
    )
    programs: list[str]
    counties: list[str] = strawberry.field(description="Only these counties (empty: all).")


@strawberry.input(
    description="Who an annual review re-decides (default: in payment and applicants)."
)
class ReviewScopeInput:
    in_payment: bool = True
    applicants: bool = True
    exited_since: dt.date | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    programs: list[str] = strawberry.field(default_factory=lambda: ["dibao", "tekun"])

    def scope(self) -> ReviewScope:
        return ReviewScope(
            in_payment=self.in_payment,
            applicants=self.applicants,
            exited_since=self.exited_since,
            tags=tuple(self.tags),
            programs=tuple(self.programs),
        )


@strawberry.type(description="How many tasks a run opened with one proposal.")
class ProposalCount:
    proposal: str
    count: int


@strawberry.type(
    description="A run's progress at one unit: a township where the data has one (doudi's "
    "households carry none yet, so the county)."
)
class ReviewUnit:
    unit: str
    level: str
    total: int
    stored: int
    done: bool


@strawberry.type(
    description="The full trace of a task's household: the traced engine on the document the "
    "run's snapshot holds, and whether it agrees with the run (status, mode, members covered, "
    "amount)."
)
class ReviewTrace:
    agrees: bool
    differences: list[str]
    policy_note: str | None = strawberry.field(
        description="Set when the merged policy changed since the run (traced with today's)."
    )
    decision: Decision


@strawberry.type(
    name="ReviewTask",
    description="What an annual review found for one case (or one household of a tagged group "
    "without a case): the proposal (continue, raise, lower, phase_out, exit, cannot_decide; "
    "eligible or not_eligible outside payment) and the reason in one line. Officials decide: "
    "a task changes nothing by itself. status: open, confirmed (by a batch confirmation), "
    "superseded (the case moved on by another step). Money is yuan.",
)
class ReviewTaskType:
    id: strawberry.ID
    review_id: strawberry.ID
    case_id: strawberry.ID | None
    household_id: strawberry.ID
    household_version: int
    program: str
    county: str
    unit: str
    scope: str = strawberry.field(description="in_payment, applicant, exited or tagged.")
    case_state: str | None
    case_version: int | None
    proposal: str
    reason: str
    reason_zh: str = strawberry.field(description="The reason in Chinese, as the console shows it.")
    current_amount: float | None
    new_amount: float | None
    decision_status: str
    mode: str | None
    members_covered: int
    per_capita_income: float | None
    standard: float | None
    missing: str | None = strawberry.field(description="The parameter not set, if any.")
    status: str
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    event_id: strawberry.ID | None = strawberry.field(
        description="The case event the confirmation wrote (its audit trail)."
    )
    run_as_of: strawberry.Private[dt.date]

    @classmethod
    def of(cls, t: review_store.ReviewTask) -> ReviewTaskType:
        d = t.decision
        return cls(
            id=strawberry.ID(str(t.id)),
            review_id=strawberry.ID(str(t.run_id)),
            case_id=None if t.case_id is None else strawberry.ID(str(t.case_id)),
            household_id=strawberry.ID(str(t.household_id)),
            household_version=t.household_version,
            program=t.program,
            county=t.county,
            unit=t.unit,
            scope=t.scope,
            case_state=t.case_state,
            case_version=t.case_version,
            proposal=t.proposal,
            reason=t.reason,
            reason_zh=reason_line_zh(
                task_row(d, t.proposal, t.case_state, t.current_amount_fen),
                dt.date.fromisoformat(d["asOf"]),
                t.county,
            ),
            current_amount=_yuan(t.current_amount_fen),
            new_amount=_yuan(t.new_amount_fen),
            decision_status=d["status"],
            mode=d.get("mode"),
            members_covered=int(d.get("covered") or 0),
            per_capita_income=_yuan(d.get("pciFen")),
            standard=_yuan(d.get("standardFen")),
            missing=d.get("missing"),
            status=t.status,
            confirmed_by=t.confirmed_by,
            confirmed_at=t.confirmed_at,
            event_id=None if t.event_id is None else strawberry.ID(str(t.event_id)),
            run_as_of=dt.date.fromisoformat(d["asOf"]),
        )

    @strawberry.field(description="The full trace, re-run now on the run's snapshot.")
    async def trace(self, info: Info) -> ReviewTrace:
        return await _trace(info.context, int(self.id))


@strawberry.type(description="One task in a list, with its cursor.")
class ReviewTaskEdge:
    cursor: str
    node: ReviewTaskType


@strawberry.type(description="A page of review tasks, by id (Relay connection).")
class ReviewTaskConnection:
    edges: list[ReviewTaskEdge]
    page_info: PageInfo


@strawberry.type(
    name="AnnualReview",
    description="An annual review run (年度核查) of a jurisdiction on a date: its scope, the "
    "snapshot it decided, its status (running, done, failed: a failed or interrupted run is "
    "resumed with resumeAnnualReview), the proposals it made and its progress per unit.",
)
class AnnualReviewType:
    id: strawberry.ID
    jurisdiction: str
    as_of: dt.date
    status: str
    engine: str
    snapshot_id: str
    policy_version: str
    scope: ReviewScopeType
    proposals: list[ProposalCount]
    tasks_count: int
    error: str | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, r: review_store.ReviewRun) -> AnnualReviewType:
        s = r.scope
        return cls(
            id=strawberry.ID(str(r.id)),
            jurisdiction=r.jurisdiction,
            as_of=r.as_of,
            status=r.status,
            engine=r.engine,
            snapshot_id=r.snapshot_id,
            policy_version=r.policy_version,
            scope=ReviewScopeType(
                in_payment=s.in_payment,
                applicants=s.applicants,
                exited_since=s.exited_since,
                tags=list(s.tags),
                programs=list(s.programs),
                counties=list(s.counties),
            ),
            proposals=[
                ProposalCount(proposal=k, count=v)
                for k, v in sorted(r.counts.get("proposals", {}).items())
            ],
            tasks_count=int(r.counts.get("tasks", 0)),
            error=r.error,
            created_by=r.created_by,
            created_at=r.created_at,
            finished_at=r.finished_at,
        )

    @strawberry.field(description="Progress per unit (the county: no township is recorded).")
    async def progress(self, info: Info) -> list[ReviewUnit]:
        rid = int(self.id)
        units = await _read(info.context, lambda s, u: review_store.progress(s, rid))
        return [ReviewUnit(unit=x.unit, level=x.unit_level, total=x.total, stored=x.stored,
                           done=x.done) for x in units]  # fmt: skip

    @strawberry.field(
        description="The run's tasks within your jurisdiction, by id, at most 500 a page; "
        "filtered by county (or any code above), proposal and status."
    )
    async def tasks(
        self,
        info: Info,
        county: str | None = None,
        proposal: str | None = None,
        status: str | None = None,
        first: int = DEFAULT_TASKS,
        after: str | None = None,
    ) -> ReviewTaskConnection:
        rid = int(self.id)
        registry = info.context.base.registry
        after_id = None if after is None else decode_cursor("review_task", after)
        found = await _read(
            info.context,
            lambda s, u: review_store.list_tasks(
                s, u, rid, registry, county=county, proposal=proposal, status=status,
                first=first + 1, after=after_id,
            ),
        )  # fmt: skip
        more = len(found) > first
        edges = [
            ReviewTaskEdge(cursor=encode_cursor("review_task", t.id), node=ReviewTaskType.of(t))
            for t in found[:first]
        ]
        return ReviewTaskConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type(description="The run, or userErrors (nothing written).")
class AnnualReviewPayload:
    review: AnnualReviewType | None
    user_errors: list[UserError]


@strawberry.type(description="A task the batch left alone, and why (the case is unchanged).")
class SkippedReview:
    task_id: strawberry.ID
    case_id: strawberry.ID | None
    message: str
    code: str


@strawberry.type(
    description="The tasks confirmed (each case got its own audited review event) and those "
    "left to the officials, with the reason."
)
class ConfirmReviewsPayload:
    confirmed: list[strawberry.ID]
    events: list[strawberry.ID]
    skipped: list[SkippedReview]
    user_errors: list[UserError]


@strawberry.type(description="The snapshot taken, or userErrors.")
class SnapshotPayload:
    snapshot: SnapshotType | None
    user_errors: list[UserError]


@strawberry.input(
    description="One parameter override of a reform: a catalog path at a jurisdiction (any "
    "layer: 000000 national, a province, a prefecture or a county) from a date, to a value "
    '(JSON: 800, true, "gap", ["medical"]) or to the baseline value times a scale.'
)
class OverrideInput:
    path: str
    at: str
    from_: dt.date = strawberry.field(name="from")
    until: dt.date | None = None
    value: JSON | None = None
    scale: str | None = strawberry.field(default=None, description='A decimal, e.g. "1.1".')


@strawberry.input(description="A named reform: one or more overrides.")
class ReformInput:
    name: str
    overrides: list[OverrideInput]


@strawberry.input(description="A household of a sample, with its weight (how many it stands for).")
class SampleHouseholdInput:
    weight: float = 1.0
    household: HouseholdInput


@strawberry.input(
    description="Whom a simulation decides: the registered households of a jurisdiction (a "
    "fresh snapshot, or one given by id), or a sample of households with weights."
)
class PopulationInput:
    jurisdiction: str | None = None
    snapshot: strawberry.ID | None = None
    sample: list[SampleHouseholdInput] | None = None


@strawberry.type(
    name="SimulationRow",
    description='A reform against the baseline at one county (or "total"), for one program. '
    "Counts are households or persons (weighted for a sample); money is yuan.",
)
class SimulationRowType:
    reform: str
    program: str
    county: str
    county_name: str
    households: float
    eligible_baseline: float
    eligible_reform: float
    eligible_change: float
    persons_baseline: float
    persons_reform: float
    persons_change: float
    monthly_cost_baseline: float
    monthly_cost_reform: float
    monthly_cost_change: float
    yearly_cost_baseline: float
    yearly_cost_reform: float
    yearly_cost_change: float
    winners: float = strawberry.field(description="Households whose amount goes up.")
    losers: float = strawberry.field(description="Households whose amount goes down.")
    newly_eligible: float
    no_longer_eligible: float
    cannot_decide_baseline: float
    cannot_decide_reform: float

    @classmethod
    def of(cls, r: service.SimulationRow) -> SimulationRowType:
        return cls(
            reform=r.scenario,
            program=r.program,
            county=r.county,
            county_name=r.county_name,
            households=float(r.households),
            eligible_baseline=float(r.eligible_baseline),
            eligible_reform=float(r.eligible_reform),
            eligible_change=float(r.eligible_change),
            persons_baseline=float(r.persons_baseline),
            persons_reform=float(r.persons_reform),
            persons_change=float(r.persons_change),
            monthly_cost_baseline=float(r.monthly_cost_baseline),
            monthly_cost_reform=float(r.monthly_cost_reform),
            monthly_cost_change=float(r.monthly_cost_change),
            yearly_cost_baseline=float(r.yearly_cost_baseline),
            yearly_cost_reform=float(r.yearly_cost_reform),
            yearly_cost_change=float(r.yearly_cost_change),
            winners=float(r.winners),
            losers=float(r.losers),
            newly_eligible=float(r.newly_eligible),
            no_longer_eligible=float(r.no_longer_eligible),
            cannot_decide_baseline=float(r.cannot_decide_baseline),
            cannot_decide_reform=float(r.cannot_decide_reform),
        )


@strawberry.type(description="A reform as simulated.")
class SimulatedReform:
    name: str
    overrides: str


@strawberry.type(
    name="Simulation",
    description="A reform simulation: aggregates only (never a household or a person). notes "
    "say where a reform does not reach (a more specific layer wins, not in force on the date) "
    "and which plugin rules it breaks. csv is the table as the CLI exports it (UTF-8); chart "
    "the result in the console from counties.",
)
class SimulationType:
    population: str
    as_of: dt.date
    weighted: bool
    programs: list[str]
    reforms: list[SimulatedReform]
    notes: list[str]
    totals: list[SimulationRowType]
    counties: list[SimulationRowType]
    csv: str


# -- resolvers -----------------------------------------------------------------------------------


async def _read(context: Context, work: Any) -> Any:
    context.mark_private()
    user = await context.user()
    return await context.in_session(lambda s: work(s, user))


def _id(raw: str, what: str) -> int:
    found = database_id(raw)
    if found is None:
        raise review_store.ReviewNotFound(f"no {what} {raw!r}")
    return found


async def _trace(context: Context, task_id: int) -> ReviewTrace:
    from core.bulk.explain import explain, task_continuing
    from core.bulk.snapshot import open_snapshot

    base = context.base

    def work(session: Any, user: User) -> ReviewTrace:
        task = review_store.get_task(session, user, task_id, base.registry)
        run = review_store.get_run(session, user, task.run_id, base.registry)
        d = task.decision
        bulk = {"status": d["status"], "mode": d["mode"], "covered": d["covered"],
                "amount_fen": d["amountFen"]}  # fmt: skip
        snap = open_snapshot(Path(run.snapshot_path))
        x = explain(
            snap, task.household_id, task.program, run.as_of, base, bulk,
            continuing=task_continuing(snap, task.household_id),
        )  # fmt: skip
        note = (
            None
            if base.version == run.policy_version
            else f"the merged policy changed since the run ({run.policy_version} → "
            f"{base.version}): traced with today's"
        )
        return ReviewTrace(
            agrees=bool(x.agrees),
            differences=list(x.differences),
            policy_note=note,
            decision=Decision.from_json(decision_to_json(x.decision)),
        )

    return await _read(context, work)  # type: ignore[no-any-return]


class _SnapshotRefused(Exception):
    """A snapshot argument refused: its userError names the field ``snapshot``."""

    def __init__(self, error: DoudiError) -> None:
        super().__init__(error.message)
        self.error = error


def _snapshot_by_id(root: Path, ref: str, user: User | None, context: Context) -> Snapshot:
    """A stored snapshot by its id only (never a directory of the server's disk), for a user who
    may read households where it was taken."""
    from core.bulk.snapshot import SNAPSHOT_ID

    try:
        if not SNAPSHOT_ID.match(ref):
            raise InvalidInput(f"snapshot: {ref!r} is not a snapshot id")
        return service.snapshot_for(root, ref, user, context.base, Action.READ_HOUSEHOLDS)
    except DoudiError as exc:
        raise _SnapshotRefused(exc) from None


def _reforms(reforms: list[ReformInput]) -> list[Reform]:
    out = []
    for k, r in enumerate(reforms):
        overrides = []
        for i, o in enumerate(r.overrides):
            scale = None
            if o.scale is not None:
                try:
                    scale = Decimal(o.scale)
                except InvalidOperation:
                    raise InvalidInput(
                        f"reforms[{k}].overrides[{i}].scale: a decimal, not {o.scale!r}"
                    ) from None
            overrides.append(
                Override(o.path, o.at, o.from_, value=o.value, scale=scale, until=o.until)
            )
        out.append(Reform(r.name, tuple(overrides)))
    return out


def _simulate(
    context: Context,
    user: User,
    population: PopulationInput,
    reforms: list[ReformInput],
    as_of: dt.date,
    programs: tuple[str, ...],
) -> SimulationType:
    from core.access.roles import authorize
    from core.bulk import export
    from core.bulk.snapshot import SNAPSHOT_ID

    base = context.base
    runtime = context.require_runtime()
    given = [x for x in (population.jurisdiction, population.snapshot, population.sample) if x]
    if len(given) != 1:
        raise InvalidInput("population: give one of jurisdiction, snapshot or sample")
    require(user, Action.RUN_SIMULATIONS)
    scratch = service.temporary_root()
    try:
        weights = None
        label = ""
        snap: Snapshot | MemorySnapshot
        if population.sample is not None:
            if len(population.sample) > MAX_SAMPLE:
                raise InvalidInput(f"population.sample: at most {MAX_SAMPLE} households")
            items = (
                (
                    f"population.sample[{k}]",
                    {"weight": s.weight, "household": s.household.to_json()},
                )
                for k, s in enumerate(population.sample)
            )
            snap, weights = service.sample_snapshot(items, base, as_of, scratch, "sample")
            label = f"sample of {len(population.sample)} households, weighted"
        elif population.snapshot is not None:
            if not SNAPSHOT_ID.match(str(population.snapshot)):  # an id, never a directory
                raise InvalidInput(
                    f"population.snapshot: {population.snapshot!r} is not a snapshot id"
                )
            snap = service.snapshot_for(
                _root(context), str(population.snapshot), user, base, Action.RUN_SIMULATIONS
            )
        else:
            assert population.jurisdiction is not None
            authorize(user, Action.RUN_SIMULATIONS, population.jurisdiction, base.registry)
            snap = service.registers_now(
                runtime.engine, base, population.jurisdiction, as_of, scratch
            )
        sim = service.simulate(
            base, user, _reforms(reforms), as_of, snapshot=snap, programs=programs,
            weights=weights, population=label,
        )  # fmt: skip
        text = export.csv_text(sim)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return SimulationType(
        population=sim.population,
        as_of=sim.as_of,
        weighted=sim.weighted,
        programs=list(sim.programs),
        reforms=[SimulatedReform(name=r.name, overrides=r.describe()) for r in sim.reforms],
        notes=list(sim.notes),
        totals=[SimulationRowType.of(r) for r in sim.totals],
        counties=[SimulationRowType.of(r) for r in sim.rows],
        csv=text,
    )


# -- root fields ---------------------------------------------------------------------------------


@strawberry.type
class BulkQuery:
    @strawberry.field(
        description="Snapshots of a jurisdiction (or within yours), newest first: metadata only "
        "(token required: households readers, or analysts)."
    )
    async def snapshots(self, info: Info, jurisdiction: str | None = None) -> list[SnapshotType]:
        base, root = info.context.base, _root(info.context)
        found = await _read(
            info.context, lambda s, u: service.list_snapshots_for(root, u, base, jurisdiction)
        )
        return [SnapshotType.of(x) for x in found]

    @strawberry.field(
        description="Annual review runs at a jurisdiction and under it (and those above it that "
        "cover it), newest first: at most `first` (1 to 100), older than run `before` when "
        "given (the next page: the last id shown)."
    )
    async def annual_reviews(
        self,
        info: Info,
        jurisdiction: str,
        first: int = review_store.DEFAULT_RUNS,
        before: strawberry.ID | None = None,
    ) -> list[AnnualReviewType]:
        registry = info.context.base.registry
        older = None if before is None else _id(before, "review run")
        runs = await _read(
            info.context,
            lambda s, u: review_store.list_runs(
                s, u, jurisdiction, registry, first=first, before=older
            ),
        )
        return [AnnualReviewType.of(r) for r in runs]

    @strawberry.field(description="An annual review run by id.")
    async def annual_review(self, info: Info, id: strawberry.ID) -> AnnualReviewType:
        registry = info.context.base.registry
        rid = _id(id, "review run")
        run = await _read(info.context, lambda s, u: review_store.get_run(s, u, rid, registry))
        return AnnualReviewType.of(run)

    @strawberry.field(description="A review task by id.")
    async def review_task(self, info: Info, id: strawberry.ID) -> ReviewTaskType:
        registry = info.context.base.registry
        tid = _id(id, "review task")
        task = await _read(info.context, lambda s, u: review_store.get_task(s, u, tid, registry))
        return ReviewTaskType.of(task)

    @strawberry.field(
        description="Simulate one or more reforms against the policy as it is, over a population "
        "(registered households of a jurisdiction, a snapshot, or a weighted sample), on asOf "
        "(default today in China), for programs (dibao, low_income, tekun; default dibao). "
        "Aggregates only: an analyst may ask (RUN_SIMULATIONS), and sees no household or person."
    )
    async def simulate_reform(
        self,
        info: Info,
        population: PopulationInput,
        reforms: list[ReformInput],
        as_of: dt.date | None = None,
        programs: list[str] | None = None,
    ) -> SimulationType:
        context = info.context
        context.mark_private()
        user = await context.user()
        day = as_of or today()
        progs = tuple(programs or ("dibao",))
        return await context.in_thread(
            lambda: _simulate(context, user, population, reforms, day, progs)
        )


@strawberry.type
class BulkMutation:
    @strawberry.mutation(
        description="Take a snapshot of the registers at a jurisdiction (households readers "
        "there; a snapshot holds personal data). asOf: the date bulk jobs decide on."
    )
    async def take_snapshot(
        self, info: Info, jurisdiction: str, as_of: dt.date | None = None
    ) -> SnapshotPayload:
        context = info.context
        context.mark_private()
        try:
            user = await context.user()
            runtime = context.require_runtime()
            snap = await context.in_thread(
                lambda: service.take_snapshot(
                    runtime.engine, context.base, user, jurisdiction, as_of or today(),
                    _root(context),
                )
            )  # fmt: skip
        except DoudiError as exc:
            return SnapshotPayload(
                snapshot=None, user_errors=user_errors(exc, "jurisdiction", info=info)
            )
        return SnapshotPayload(snapshot=SnapshotType.of(snap), user_errors=[])

    @strawberry.mutation(
        description="Run the annual review (年度核查) at a jurisdiction on asOf (default today): "
        "snapshot the registers (or decide the snapshot given by id, one that covers the "
        "jurisdiction), re-decide every case in scope in bulk, open one review task per case "
        "(county approvers and province administrators). Runs to the end before it answers "
        "(annualReviews shows it running, with its progress); an interrupted run is resumed "
        "with resumeAnnualReview."
    )
    async def run_annual_review(
        self,
        info: Info,
        jurisdiction: str,
        as_of: dt.date | None = None,
        scope: ReviewScopeInput | None = None,
        snapshot: strawberry.ID | None = None,
    ) -> AnnualReviewPayload:
        context = info.context
        context.mark_private()
        try:
            user = await context.user()
            runtime = context.require_runtime()
            chosen = (scope or ReviewScopeInput()).scope()
            root = _root(context)

            def work() -> review_store.ReviewRun:
                snap = None
                if snapshot is not None:
                    require(user, Action.RUN_REVIEWS)  # who asks, before any snapshot is read
                    snap = _snapshot_by_id(root, str(snapshot), user, context)
                return service.run_review(
                    runtime.engine, runtime.sessions, context.base, user, jurisdiction,
                    as_of or today(), chosen, snapshots=root, work=_work(context), snapshot=snap,
                )  # fmt: skip

            run = await context.in_thread(work)
        except _SnapshotRefused as exc:
            return AnnualReviewPayload(
                review=None, user_errors=user_errors(exc.error, "snapshot", info=info)
            )
        except DoudiError as exc:
            return AnnualReviewPayload(
                review=None, user_errors=user_errors(exc, "jurisdiction", info=info)
            )
        return AnnualReviewPayload(review=AnnualReviewType.of(run), user_errors=[])

    @strawberry.mutation(description="Go on with an interrupted or failed annual review run.")
    async def resume_annual_review(self, info: Info, id: strawberry.ID) -> AnnualReviewPayload:
        context = info.context
        context.mark_private()
        try:
            user = await context.user()
            runtime = context.require_runtime()
            rid = _id(id, "review run")
            run = await context.in_thread(
                lambda: service.resume_review(
                    runtime.sessions, context.base, user, rid, work=_work(context)
                )
            )
        except DoudiError as exc:
            return AnnualReviewPayload(review=None, user_errors=user_errors(exc, "id", info=info))
        return AnnualReviewPayload(review=AnnualReviewType.of(run), user_errors=[])

    @strawberry.mutation(
        description="Confirm at once the 'continue' (no change) tasks of a run, within a county "
        "or these tasks: each case gets its own review event through the case workflow, which "
        "checks that you confirm at the case's level (dibao. or tekun.approval.confirming_level) "
        "and audits it. Tasks whose case or household changed since the run, or that the traced "
        "engine no longer finds unchanged on the day, are left to the officials (skipped). "
        "on: the review date (default today in China)."
    )
    async def confirm_unchanged_reviews(
        self,
        info: Info,
        review: strawberry.ID,
        county: str | None = None,
        task_ids: list[strawberry.ID] | None = None,
        on: dt.date | None = None,
    ) -> ConfirmReviewsPayload:
        context = info.context
        context.mark_private()
        try:
            user = await context.user()
            rid = _id(review, "review run")
            ids = None if task_ids is None else [_id(t, "review task") for t in task_ids]
            base = context.base
            day = on or today()
            result = await context.in_session(
                lambda s: review_store.confirm_unchanged(
                    s, base, user, rid, day, county=county, task_ids=ids, not_after=today()
                )
            )
        except DoudiError as exc:
            return ConfirmReviewsPayload(
                confirmed=[],
                events=[],
                skipped=[],
                user_errors=user_errors(exc, "review", info=info),
            )
        return ConfirmReviewsPayload(
            confirmed=[strawberry.ID(str(i)) for i in result.confirmed],
            events=[strawberry.ID(str(i)) for i in result.events],
            skipped=[
                SkippedReview(
                    task_id=strawberry.ID(str(x.task_id)),
                    case_id=None if x.case_id is None else strawberry.ID(str(x.case_id)),
                    message=x.why,
                    code=x.code,
                )
                for x in result.skipped
            ],
            user_errors=[],
        )


__all__ = ["LIST_SIZES", "BulkMutation", "BulkQuery"]
