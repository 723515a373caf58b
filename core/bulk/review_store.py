"""Annual review runs in the database: the run, its progress per unit, the review tasks it opens
on cases, and the batch confirmation of "no change".

- A run's tasks are stored unit by unit (a township where the data has one — doudi's households
  carry no township yet, so the unit is the county), each unit in one write transaction with
  its progress row marked done: a run interrupted at any point is resumed by storing the units
  not done (:func:`units_done`), never twice.
- Officials decide. A task only proposes; every change to a case goes through the case workflow
  (:func:`core.cases.store.apply_transition`), which checks the acting official's role and level,
  the case's version, and appends the audited event. :func:`confirm_unchanged` confirms a batch
  of ``continue`` tasks at once this way: each case gets its own ``record_review`` event (decided
  again by the traced engine on the stored household, which must still be the version the run
  decided), and the task records who confirmed it and the event.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.bulk.review import ReviewScope
from core.cases.store import apply_transition, get_case
from core.eligibility import evaluate
from core.errors import DoudiError, InvalidInput
from core.households.model import parse_household
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import PolicySource
from core.storage.engine import reading, write_unit
from core.storage.scope import within
from core.storage.tables import (
    CaseRow,
    HouseholdRow,
    ReviewProgressRow,
    ReviewRunRow,
    ReviewTaskRow,
    UserRow,
    utcnow,
)

MAX_PAGE = 500
DEFAULT_RUNS = 50  # runs a listing shows unless asked for more
MAX_RUNS = 100
_INSERT_CHUNK = 5000


class ReviewNotFound(DoudiError):
    code = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class ReviewRun:
    id: int
    jurisdiction: str
    as_of: dt.date
    status: str
    engine: str
    snapshot_id: str
    snapshot_path: str
    policy_version: str
    scope: ReviewScope
    counts: dict[str, Any]
    error: str | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class UnitProgress:
    unit: str
    unit_level: str
    total: int
    stored: int
    done: bool


@dataclass(frozen=True, slots=True)
class ReviewTask:
    id: int
    run_id: int
    case_id: int | None
    household_id: int
    household_version: int
    program: str
    county: str
    unit: str
    scope: str
    case_state: str | None
    case_version: int | None
    proposal: str
    reason: str
    decision: dict[str, Any]
    current_amount_fen: int | None
    new_amount_fen: int | None
    status: str  # open / confirmed / superseded (the case moved on by another step)
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    event_id: int | None


def _run(row: ReviewRunRow, user_name: str) -> ReviewRun:
    return ReviewRun(
        id=row.id,
        jurisdiction=row.jurisdiction,
        as_of=row.as_of,
        status=row.status,
        engine=row.engine,
        snapshot_id=row.snapshot_id,
        snapshot_path=row.snapshot_path,
        policy_version=row.policy_version,
        scope=ReviewScope.from_json(dict(row.scope)),
        counts=dict(row.counts),
        error=row.error,
        created_by=user_name,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


# -- runs ----------------------------------------------------------------------------------------


def create_run(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    code: str,
    as_of: dt.date,
    scope: ReviewScope,
    *,
    engine: str,
    snapshot_id: str,
    snapshot_path: str,
    policy_version: str,
) -> ReviewRun:
    """A new run at ``code`` (county approvers and province administrators within their
    jurisdiction; FORBIDDEN otherwise, nothing written)."""
    user = authorize(user, Action.RUN_REVIEWS, code, registry)
    j = registry.get(code)
    with write_unit(session):
        row = ReviewRunRow(
            jurisdiction=j.code,
            as_of=as_of,
            status="running",
            engine=engine,
            snapshot_id=snapshot_id,
            snapshot_path=snapshot_path,
            policy_version=policy_version,
            scope=scope.to_json(),
            counts={},
            created_by=user.id,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return _run(row, user.name)


def _load_run(session: Session, run_id: int) -> tuple[ReviewRunRow, str]:
    found = session.execute(
        select(ReviewRunRow, UserRow.name)
        .join(UserRow, UserRow.id == ReviewRunRow.created_by)
        .where(ReviewRunRow.id == run_id)
    ).one_or_none()
    if found is None:
        raise ReviewNotFound(f"no review run {run_id}")
    return found[0], found[1]


def _may_read_run(user: User, run_jurisdiction: str, registry: JurisdictionRegistry) -> None:
    """A run is read at its jurisdiction or by officials under it (who see their part of it)."""
    if user.may(Action.READ_HOUSEHOLDS) and registry.is_within(user.jurisdiction, run_jurisdiction):
        return
    authorize(user, Action.READ_HOUSEHOLDS, run_jurisdiction, registry)


def run_by_id(session: Session, run_id: int) -> ReviewRun:
    """A run, for the service that already checked who asks."""
    with reading(session):
        row, name = _load_run(session, run_id)
        return _run(row, name)


def get_run(
    session: Session, user: User | None, run_id: int, registry: JurisdictionRegistry
) -> ReviewRun:
    """A run, for a user who may read households at its jurisdiction."""
    user = require(user, Action.READ_HOUSEHOLDS)
    with reading(session):
        row, name = _load_run(session, run_id)
        _may_read_run(user, row.jurisdiction, registry)
        return _run(row, name)


def list_runs(
    session: Session,
    user: User | None,
    code: str,
    registry: JurisdictionRegistry,
    *,
    first: int = DEFAULT_RUNS,
    before: int | None = None,
) -> list[ReviewRun]:
    """Runs at ``code`` and under it, and those above it that cover it, newest first: at most
    ``first`` (1 to :data:`MAX_RUNS`), older than run ``before`` when given (the next page)."""
    authorize(user, Action.READ_HOUSEHOLDS, code, registry)
    if not 1 <= first <= MAX_RUNS:
        raise InvalidInput(f"first: between 1 and {MAX_RUNS}, not {first}")
    here = registry.get(code).code
    out: list[ReviewRun] = []
    with reading(session):
        q = (
            select(ReviewRunRow, UserRow.name)
            .join(UserRow, UserRow.id == ReviewRunRow.created_by)
            .order_by(ReviewRunRow.id.desc())
        )
        if before is not None:
            q = q.where(ReviewRunRow.id < before)
        # A province holds every county's runs of every year: read newest first, in chunks,
        # and stop at a full page instead of loading them all.
        result = session.execute(q.execution_options(yield_per=200))
        try:
            for r, n in result:
                if registry.is_within(r.jurisdiction, here) or registry.is_within(
                    here, r.jurisdiction
                ):
                    out.append(_run(r, n))
                    if len(out) == first:
                        break
        finally:
            result.close()
    return out


def set_units(session: Session, run_id: int, totals: dict[str, int], level: str) -> None:
    """Record the units of a run and how many tasks each will hold (kept if already there)."""
    with write_unit(session):
        have = set(
            session.scalars(
                select(ReviewProgressRow.unit).where(ReviewProgressRow.run_id == run_id)
            )
        )
        for unit, total in sorted(totals.items()):
            if unit not in have:
                session.add(
                    ReviewProgressRow(
                        run_id=run_id,
                        unit=unit,
                        unit_level=level,
                        total=total,
                        stored=0,
                        done=False,
                    )
                )


def units_done(session: Session, run_id: int) -> set[str]:
    with reading(session):
        return set(
            session.scalars(
                select(ReviewProgressRow.unit).where(
                    ReviewProgressRow.run_id == run_id, ReviewProgressRow.done
                )
            )
        )


def progress(session: Session, run_id: int) -> list[UnitProgress]:
    with reading(session):
        rows = session.scalars(
            select(ReviewProgressRow)
            .where(ReviewProgressRow.run_id == run_id)
            .order_by(ReviewProgressRow.unit)
        )
        return [UnitProgress(r.unit, r.unit_level, r.total, r.stored, r.done) for r in rows]


def store_unit(session: Session, run_id: int, unit: str, tasks: Sequence[dict[str, Any]]) -> None:
    """Store one unit's tasks and mark the unit done, in one transaction (whatever a previous,
    interrupted attempt left of the unit is replaced)."""
    with write_unit(session):
        session.execute(
            delete(ReviewTaskRow).where(ReviewTaskRow.run_id == run_id, ReviewTaskRow.unit == unit)
        )
        for k in range(0, len(tasks), _INSERT_CHUNK):
            session.execute(insert(ReviewTaskRow), list(tasks[k : k + _INSERT_CHUNK]))
        session.execute(
            update(ReviewProgressRow)
            .where(ReviewProgressRow.run_id == run_id, ReviewProgressRow.unit == unit)
            .values(stored=len(tasks), done=True, finished_at=utcnow())
        )


def finish_run(session: Session, run_id: int) -> dict[str, Any]:
    """Mark a run done with its counts by proposal (and by scope)."""
    with write_unit(session):
        by = session.execute(
            select(ReviewTaskRow.proposal, ReviewTaskRow.scope, func.count())
            .where(ReviewTaskRow.run_id == run_id)
            .group_by(ReviewTaskRow.proposal, ReviewTaskRow.scope)
        ).all()
        proposals: Counter[str] = Counter()
        scopes: Counter[str] = Counter()
        for p, s, n in by:
            proposals[p] += int(n)
            scopes[s] += int(n)
        counts = {
            "proposals": dict(proposals),
            "scopes": dict(scopes),
            "tasks": sum(proposals.values()),
        }
        session.execute(
            update(ReviewRunRow)
            .where(ReviewRunRow.id == run_id)
            .values(status="done", counts=counts, finished_at=utcnow(), error=None)
        )
        return counts


def fail_run(session: Session, run_id: int, error: str) -> None:
    with write_unit(session):
        session.execute(
            update(ReviewRunRow)
            .where(ReviewRunRow.id == run_id)
            .values(status="failed", error=error[:2000])
        )


def mark_running(
    session: Session, user: User | None, run: ReviewRun, registry: JurisdictionRegistry
) -> None:
    """Resuming: the run is running again (RUN_REVIEWS at its jurisdiction)."""
    authorize(user, Action.RUN_REVIEWS, run.jurisdiction, registry)
    with write_unit(session):
        session.execute(
            update(ReviewRunRow).where(ReviewRunRow.id == run.id).values(status="running")
        )


# -- tasks ---------------------------------------------------------------------------------------


def _tasks_query(run_id: int) -> Any:
    confirmer = UserRow.__table__.alias("confirmer")
    return (
        select(ReviewTaskRow, CaseRow.version, confirmer.c.name)
        .outerjoin(CaseRow, CaseRow.id == ReviewTaskRow.case_id)
        .outerjoin(confirmer, confirmer.c.id == ReviewTaskRow.confirmed_by)
        .where(ReviewTaskRow.run_id == run_id)
    )


def _task(row: ReviewTaskRow, case_version: int | None, confirmer: str | None) -> ReviewTask:
    status = row.status
    if status == "open" and row.case_id is not None and case_version != row.case_version:
        status = "superseded"
    return ReviewTask(
        id=row.id,
        run_id=row.run_id,
        case_id=row.case_id,
        household_id=row.household_id,
        household_version=row.household_version,
        program=row.program,
        county=row.county,
        unit=row.unit,
        scope=row.scope,
        case_state=row.case_state,
        case_version=row.case_version,
        proposal=row.proposal,
        reason=row.reason,
        decision=dict(row.decision),
        current_amount_fen=row.current_amount_fen,
        new_amount_fen=row.new_amount_fen,
        status=status,
        confirmed_by=confirmer,
        confirmed_at=row.confirmed_at,
        event_id=row.event_id,
    )


def list_tasks(
    session: Session,
    user: User | None,
    run_id: int,
    registry: JurisdictionRegistry,
    *,
    county: str | None = None,
    proposal: str | None = None,
    status: str | None = None,
    first: int = 100,
    after: int | None = None,
) -> list[ReviewTask]:
    """A run's tasks within the user's jurisdiction (READ_HOUSEHOLDS), by id."""
    require(user, Action.READ_HOUSEHOLDS)
    assert user is not None
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    with reading(session):
        run, _name = _load_run(session, run_id)
        _may_read_run(user, run.jurisdiction, registry)
        if county is not None:
            authorize(user, Action.READ_HOUSEHOLDS, county, registry)
        q = _tasks_query(run_id).where(within(ReviewTaskRow, user.jurisdiction, registry))
        if county is not None:
            q = q.where(within(ReviewTaskRow, county, registry))
        if proposal is not None:
            q = q.where(ReviewTaskRow.proposal == proposal)
        if status in ("open", "confirmed"):
            q = q.where(ReviewTaskRow.status == status)
        if after is not None:
            q = q.where(ReviewTaskRow.id > after)
        q = q.order_by(ReviewTaskRow.id).limit(first if status != "superseded" else MAX_PAGE)
        out = [_task(t, v, n) for t, v, n in session.execute(q)]
    if status is not None:
        out = [t for t in out if t.status == status][:first]
    return out


def get_task(
    session: Session, user: User | None, task_id: int, registry: JurisdictionRegistry
) -> ReviewTask:
    require(user, Action.READ_HOUSEHOLDS)
    with reading(session):
        confirmer = UserRow.__table__.alias("confirmer")
        found = session.execute(
            select(ReviewTaskRow, CaseRow.version, confirmer.c.name)
            .outerjoin(CaseRow, CaseRow.id == ReviewTaskRow.case_id)
            .outerjoin(confirmer, confirmer.c.id == ReviewTaskRow.confirmed_by)
            .where(ReviewTaskRow.id == task_id)
        ).one_or_none()
        if found is None:
            raise ReviewNotFound(f"no review task {task_id}")
        authorize(user, Action.READ_HOUSEHOLDS, found[0].county, registry)
        return _task(*found)


def task_for_household(
    session: Session,
    user: User | None,
    run_id: int,
    household_id: int,
    program: str,
    registry: JurisdictionRegistry,
) -> ReviewTask:
    require(user, Action.READ_HOUSEHOLDS)
    with reading(session):
        found = session.execute(
            _tasks_query(run_id).where(
                ReviewTaskRow.household_id == household_id, ReviewTaskRow.program == program
            )
        ).one_or_none()
        if found is None:
            raise ReviewNotFound(
                f"review run {run_id} has no {program} task for household {household_id}"
            )
        authorize(user, Action.READ_HOUSEHOLDS, found[0].county, registry)
        return _task(*found)


@dataclass(frozen=True, slots=True)
class Skipped:
    task_id: int
    case_id: int | None
    why: str
    code: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    run_id: int
    confirmed: tuple[int, ...]  # task ids
    events: tuple[int, ...]  # the case events written, one per confirmed task
    skipped: tuple[Skipped, ...]


def confirm_unchanged(
    session: Session,
    policies: PolicySource,
    user: User | None,
    run_id: int,
    on: dt.date,
    *,
    county: str | None = None,
    task_ids: Iterable[int] | None = None,
    not_after: dt.date | None = None,
) -> BatchResult:
    """Confirm at once the ``continue`` tasks of a run (within ``county``, or these
    ``task_ids``): each case gets a periodic review (``record_review``) on ``on`` through the case
    workflow, which checks that ``user`` confirms at the case's level (the township officer or the
    county approver, as ``dibao.approval.confirming_level`` and ``tekun.approval.confirming_level``
    say) and appends
    the audited event.

    A task is skipped, with the reason, and its case left alone when: it is not ``continue`` or
    not open; the case moved on since the run (another version); the household was changed since
    the snapshot; the traced engine, deciding again on ``on``, does not find the same amount (the
    policy changed); or the workflow refuses (wrong level, outside the jurisdiction)."""
    require(user, Action.READ_HOUSEHOLDS)
    assert user is not None
    registry = policies.registry
    with reading(session):
        run, _name = _load_run(session, run_id)
        _may_read_run(user, run.jurisdiction, registry)
        if county is not None:
            authorize(user, Action.READ_HOUSEHOLDS, county, registry)
        q = _tasks_query(run_id).where(
            ReviewTaskRow.proposal == "continue",
            ReviewTaskRow.status == "open",
            within(ReviewTaskRow, user.jurisdiction, registry),
        )
        if county is not None:
            q = q.where(within(ReviewTaskRow, county, registry))
        ids = None if task_ids is None else sorted(set(task_ids))
        if ids is not None:
            q = q.where(ReviewTaskRow.id.in_(ids))
        tasks = [_task(t, v, n) for t, v, n in session.execute(q.order_by(ReviewTaskRow.id))]
        found = {t.id for t in tasks}
        missing = [] if ids is None else [i for i in ids if i not in found]
    skipped: list[Skipped] = [
        Skipped(
            i, None, "not an open 'continue' task of this run within your jurisdiction", "NOT_FOUND"
        )
        for i in missing
    ]
    confirmed: list[int] = []
    events: list[int] = []
    for task in tasks:
        if task.case_id is None or task.case_version is None:
            skipped.append(Skipped(task.id, None, "no case to confirm", "INVALID_INPUT"))
            continue
        if task.status != "open":
            skipped.append(
                Skipped(
                    task.id, task.case_id, "the case moved on since the run", "VERSION_CONFLICT"
                )
            )
            continue
        try:
            case = get_case(session, task.case_id)
            with reading(session):
                stored = session.execute(
                    select(HouseholdRow.version, HouseholdRow.document).where(
                        HouseholdRow.id == task.household_id
                    )
                ).one_or_none()
            if stored is None or stored[0] != task.household_version:
                skipped.append(
                    Skipped(
                        task.id,
                        task.case_id,
                        "the household was changed since the snapshot: review it by hand",
                        "VERSION_CONFLICT",
                    )
                )
                continue
            household = parse_household(stored[1], registry, dt.date.max)
            # A tekun case keeps on the minors it supports, as record_review decides.
            continuing = (
                frozenset(case.data.get("membersCovered") or ())
                if case.program == "tekun"
                else frozenset()
            )
            decision = evaluate(
                household,
                case.program,
                policies.resolve(case.county, on),
                on,
                continuing=continuing,
            )
            amount = None if decision.monthly_amount is None else int(decision.monthly_amount * 100)
            if decision.status != "eligible" or amount != task.new_amount_fen:
                skipped.append(
                    Skipped(
                        task.id,
                        task.case_id,
                        f"decided again on {on.isoformat()}, the case is no longer 'no change' "
                        f"({decision.status}, {decision.monthly_amount}): review it by hand",
                        "CHANGED",
                    )
                )
                continue
            _case, event = apply_transition(
                session,
                policies,
                task.case_id,
                task.case_version,
                "record_review",
                user,
                on,
                not_after=not_after,
                household=household,
            )
        except DoudiError as exc:
            skipped.append(Skipped(task.id, task.case_id, exc.message, exc.code))
            continue
        with write_unit(session):
            session.execute(
                update(ReviewTaskRow)
                .where(ReviewTaskRow.id == task.id)
                .values(
                    status="confirmed",
                    confirmed_by=user.id,
                    confirmed_at=utcnow(),
                    event_id=event.id,
                )
            )
        confirmed.append(task.id)
        events.append(event.id)
    return BatchResult(run_id, tuple(confirmed), tuple(events), tuple(skipped))


def count_tasks(session: Session, run_id: int) -> dict[str, int]:
    with reading(session):
        rows = session.execute(
            select(ReviewTaskRow.status, func.count())
            .where(ReviewTaskRow.run_id == run_id)
            .group_by(ReviewTaskRow.status)
        ).all()
    return {s: int(n) for s, n in rows}
