"""Cases in the database: open, transition with optimistic concurrency, events, audit chain.

Every function is one unit of work with its own transaction (pass a session that is not in a
transaction). The rules are those of the pure state machine (:mod:`core.cases`); this module
adds storage:

- **Optimistic concurrency**: a transition names the version it was decided on
  (``expected_version``). It is decided in a read transaction (the case, its last event, the
  stored household; then the policy and the state machine, outside any transaction) and written
  in a short write transaction: ``UPDATE cases ... WHERE id = :id AND version = :expected``; if
  another writer got there first no row matches, the transaction is rolled back and
  :class:`~core.cases.VersionConflict` (``VERSION_CONFLICT``) is raised: of two concurrent
  writers exactly one wins and nothing of the other is written. (On PostgreSQL the second
  UPDATE waits for the first to commit, then finds the version changed; on SQLite write units
  are serialised by ``BEGIN IMMEDIATE``, queued first on a lock of this process.) The write
  lock is thus held for the writes only.
- **Order of dates**: a step is never dated before the case's last step, nor (given
  ``not_after``, today for requests and commands) in the future.
- **Audit trail**: each transition appends one ``case_events`` row, never updated or deleted.
  Events are hash-chained per case: ``seq`` runs 1, 2, ... (equal to the case's version after
  the event), ``prev_hash`` is the previous event's ``hash`` ("" for the first) and ``hash`` is
  SHA-256 over the canonical JSON of the event document (which repeats the row's own columns)
  followed by ``prev_hash``. They are also chained across the whole database: ``global_seq``
  runs 1, 2, ... over all events and ``global_prev_hash`` is the hash of the event before in
  that order; the document repeats both and a digest of the case's resulting ``data``
  (``dataHash``), so the case row can be checked against its last event. The single
  ``case_audit_head`` row holds the newest ``global_seq`` and hash; it is updated in the same
  transaction as the insert (locked ``FOR UPDATE`` on PostgreSQL, after the case row, so appends
  are serialised without deadlocks; SQLite's ``BEGIN IMMEDIATE`` serialises already).
  :func:`verify_audit_chain` recomputes everything and reports tampered, missing or orphaned
  events, gaps in the global sequence (a case deleted with its events), a head ahead of the
  events (the newest deleted) and case rows that disagree with their last event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.cases import (
    ACTIONS,
    TERMINAL,
    Case,
    CaseNotFound,
    CaseState,
    DuplicateCase,
    Transition,
    VersionConflict,
    check_access,
    event_to_json,
    with_selection,
)
from core.cases import (
    open_case as _open_case,
)
from core.cases.actions import NEEDS_HOUSEHOLD
from core.cases.availability import Availability, available_actions
from core.cases.selection import as_fraction
from core.cases.selection import select as select_next
from core.errors import DoudiError, InvalidInput
from core.households.model import Household, parse_household
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import ResolvedPolicy
from core.storage.engine import read_unit, reading, write_unit
from core.storage.scope import within
from core.storage.tables import (
    CaseAuditHeadRow,
    CaseEventRow,
    CaseRow,
    HouseholdRow,
    SpotCheckTallyRow,
    utcnow,
)

GENESIS = ""  # prev_hash of a case's first event, global_prev_hash of the database's first
HEAD_ID = 1  # the one row of case_audit_head


class PolicySource(Protocol):
    """What the store needs of a policy base (``PolicyBase`` or one with local layers)."""

    registry: JurisdictionRegistry

    def resolve(self, code: str, as_of: dt.date) -> ResolvedPolicy: ...


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    case_id: int
    seq: int
    at: dt.datetime
    user_id: int
    action: str
    from_state: str | None
    to_state: str
    document: dict[str, Any]
    prev_hash: str
    hash: str
    global_seq: int
    global_prev_hash: str


# -- SQLite writers ----------------------------------------------------------------------------

# SQLite has one writer at a time. Threads of this process that all ask for the write lock at
# once would otherwise wait in SQLite's busy handler, which sleeps in growing steps (up to
# 100 ms) and so turns a queue of a few short writes into latencies of a second; queueing them
# on a lock of our own hands the database over at once. (Other processes still wait in the
# busy handler.) PostgreSQL needs no such lock: its row locks queue writers.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS_LOCK = threading.Lock()


@contextmanager
def _writing(session: Session) -> Iterator[Session]:
    """:func:`~core.storage.engine.write_unit`, queued behind this process's other SQLite
    writers."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        with write_unit(session):
            yield session
        return
    with _SQLITE_WRITERS_LOCK:
        lock = _SQLITE_WRITERS.setdefault(engine, threading.Lock())
    with lock, write_unit(session):
        yield session


# -- hashing -----------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text kept (the form that is hashed)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(document: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256((canonical_json(document) + prev_hash).encode("utf-8")).hexdigest()


def data_hash(data: Mapping[str, Any]) -> str:
    """The digest of a case's ``data`` that its events carry (``dataHash``)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# -- rows ↔ values -----------------------------------------------------------------------------


_CASE_COLUMNS = (
    CaseRow.id,
    CaseRow.household_id,
    CaseRow.program,
    CaseRow.county,
    CaseRow.state,
    CaseRow.version,
    CaseRow.data,
)


def case_from_row(row: CaseRow | Row[Any]) -> Case:
    """The case of a ``cases`` row (an ORM object or a row of :data:`_CASE_COLUMNS`)."""
    return Case(
        id=row.id,
        household_id=row.household_id,
        program=row.program,
        county=row.county,
        state=CaseState(row.state),
        version=row.version,
        data=dict(row.data),
    )


def _event(row: CaseEventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        case_id=row.case_id,
        seq=row.seq,
        at=row.at,
        user_id=row.user_id,
        action=row.action,
        from_state=row.from_state,
        to_state=row.to_state,
        document=dict(row.document),
        prev_hash=row.prev_hash,
        hash=row.hash,
        global_seq=row.global_seq,
        global_prev_hash=row.global_prev_hash,
    )


# The statements of a transition, built once with bind parameters: building SQLAlchemy
# expressions (and coercing a large JSON document into an INSERT's VALUES) on every call cost
# more CPU than running them.
_CASES = cast(Table, CaseRow.__table__)
_EVENTS = cast(Table, CaseEventRow.__table__)
_HEAD = cast(Table, CaseAuditHeadRow.__table__)
_READ_CASE = select(*_CASE_COLUMNS).where(CaseRow.id == bindparam("case_id"))
_LAST_EVENT = select(_EVENTS.c.hash, _EVENTS.c.document["on"].as_string()).where(
    _EVENTS.c.case_id == bindparam("case_id"), _EVENTS.c.seq == bindparam("seq")
)
_STORED_HOUSEHOLD = select(HouseholdRow.document).where(HouseholdRow.id == bindparam("hid"))
_WRITE_CASE = (
    _CASES.update()
    .where(_CASES.c.id == bindparam("case_id"), _CASES.c.version == bindparam("expected"))
    .values(
        state=bindparam("new_state"),
        version=bindparam("new_version"),
        data=bindparam("new_data", type_=_CASES.c.data.type),
        updated_at=bindparam("now", type_=_CASES.c.updated_at.type),
    )
)
_INSERT_EVENT = _EVENTS.insert().returning(_EVENTS.c.id)
_EVENT_FIELDS = tuple(c.key for c in _EVENTS.columns if c.key != "id")  # as in EventRecord
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
_MOVE_HEAD = (
    _HEAD.update()
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain head (newest global seq and hash), locked for the transaction (created on a
    database that has none yet)."""
    head = session.execute(_LOCK_HEAD).one_or_none()
    if head is not None:
        return int(head.seq), str(head.hash)
    if session.scalar(select(CaseEventRow.id).limit(1)) is not None:
        raise DoudiError(
            "the audit chain head (case_audit_head) is missing although events exist; "
            "run `doudi audit verify`"
        )
    session.execute(insert(CaseAuditHeadRow).values(id=HEAD_ID, seq=0, hash=GENESIS))
    return 0, GENESIS


def _append_event(
    session: Session, case_id: int, t: Transition, user_id: int, prev_hash: str
) -> EventRecord:
    # Core statements, not the ORM's unit of work: one INSERT and one UPDATE, nothing to flush.
    head_seq, head_hash = _lock_head(session)
    at = utcnow()
    seq = t.case.version
    global_seq = head_seq + 1
    document = {
        "caseId": case_id,
        "seq": seq,
        "globalSeq": global_seq,
        "globalPrevHash": head_hash,
        "at": at.isoformat(),
        "userId": user_id,
        "dataHash": data_hash(dict(t.case.data)),
        **event_to_json(t.event),
    }
    record = EventRecord(
        id=0,
        case_id=case_id,
        seq=seq,
        at=at,
        user_id=user_id,
        action=t.event.action,
        from_state=None if t.event.from_state is None else t.event.from_state.value,
        to_state=t.event.to_state.value,
        document=document,
        prev_hash=prev_hash,
        hash=event_hash(document, prev_hash),
        global_seq=global_seq,
        global_prev_hash=head_hash,
    )
    values = {f: getattr(record, f) for f in _EVENT_FIELDS}
    event_id = session.execute(_INSERT_EVENT, values).scalar_one()
    session.execute(_MOVE_HEAD, {"new_seq": global_seq, "new_hash": record.hash})
    return replace(record, id=int(event_id))


# -- operations --------------------------------------------------------------------------------


def open_case(
    session: Session,
    policies: PolicySource,
    actor: User,
    on: dt.date,
    *,
    household_id: int,
    program: str,
    not_after: dt.date | None = None,
    at_county: str | None = None,
    **inputs: Any,
) -> tuple[Case, EventRecord]:
    """Accept an application for the stored household ``household_id``; returns (case, event).

    A household has at most one open (not exited, rejected or granted) case of a program:
    another application is refused (``DUPLICATE_CASE``). The household row is locked for the
    transaction (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises write units), so
    two concurrent applications cannot both pass the check. ``not_after`` (today, for requests
    and commands): a later ``on`` is refused. ``at_county``: the county where an emergency
    happened, for a household registered elsewhere (temporary assistance where the policy there
    allows it; the case is that county's).
    """
    _not_in_future(on, not_after)
    with _writing(session):
        county = session.scalar(
            select(HouseholdRow.county).where(HouseholdRow.id == household_id).with_for_update()
        )
        if county is None:
            raise CaseNotFound(f"no household {household_id}")
        if at_county is not None and at_county != county:
            target = policies.registry.get(at_county)
            if target.level.value != "county":
                raise InvalidInput(f"atCounty: {at_county} is a {target.level.value}, not a county")
            inputs["registered_county"] = county
            county = target.code
        policy = policies.resolve(county, on)
        t = _open_case(actor, policy, on, household_id=household_id, program=program, **inputs)
        open_id = session.scalar(
            select(CaseRow.id)
            .where(
                CaseRow.household_id == household_id,
                CaseRow.program == program,
                CaseRow.state.not_in([s.value for s in TERMINAL]),
            )
            .limit(1)
        )
        if open_id is not None:
            raise DuplicateCase(
                f"household {household_id} already has an open {program} case ({open_id})"
            )
        prefecture, province = policies.registry.prefecture_and_province(county)
        now = utcnow()
        row = CaseRow(
            household_id=household_id,
            program=program,
            county=county,
            prefecture=prefecture,
            province=province,
            state=t.case.state.value,
            version=t.case.version,
            data=dict(t.case.data),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        case = replace(t.case, id=row.id)
        event = _append_event(session, row.id, replace(t, case=case), actor.id, GENESIS)
        return case, event


def get_case(session: Session, case_id: int) -> Case:
    with reading(session):
        row = session.execute(_READ_CASE, {"case_id": case_id}).one_or_none()
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        return case_from_row(row)


def read_case(
    session: Session, user: User | None, case_id: int, registry: JurisdictionRegistry
) -> Case:
    """The case, for a user who may read households at its county (else UNAUTHENTICATED or
    FORBIDDEN; NOT_FOUND when there is no such case)."""
    require(user, Action.READ_HOUSEHOLDS)
    case = get_case(session, case_id)
    authorize(user, Action.READ_HOUSEHOLDS, case.county, registry)
    return case


def read_cases(
    session: Session,
    user: User | None,
    case_ids: Iterable[int],
    registry: JurisdictionRegistry,
) -> dict[int, Case | DoudiError]:
    """Several cases at once, for lists that show each item's case (one statement whatever
    their number): each id maps to its case, or to the error :func:`read_case` would raise for
    it alone (NOT_FOUND, FORBIDDEN), so that one case out of reach fails only its own item."""
    require(user, Action.READ_HOUSEHOLDS)
    ids = sorted(set(case_ids))
    out: dict[int, Case | DoudiError] = {}
    if not ids:
        return out
    with reading(session):
        found = {
            r.id: case_from_row(r)
            for r in session.execute(select(*_CASE_COLUMNS).where(CaseRow.id.in_(ids)))
        }
    for i in ids:
        case = found.get(i)
        if case is None:
            out[i] = CaseNotFound(f"no case {i}")
            continue
        try:
            authorize(user, Action.READ_HOUSEHOLDS, case.county, registry)
        except DoudiError as exc:
            out[i] = exc
            continue
        out[i] = case
    return out


def cases_of_households(
    session: Session,
    user: User | None,
    household_ids: Iterable[int],
    registry: JurisdictionRegistry,
) -> dict[int, list[Case]]:
    """The cases of several households at once, oldest first (one statement whatever their
    number); only the cases the user may read (a household that moved keeps its earlier cases
    at their county)."""
    require(user, Action.READ_HOUSEHOLDS)
    ids = sorted(set(household_ids))
    out: dict[int, list[Case]] = {i: [] for i in ids}
    if not ids:
        return out
    q = select(*_CASE_COLUMNS).where(CaseRow.household_id.in_(ids)).order_by(CaseRow.id)
    with reading(session):
        cases = [case_from_row(r) for r in session.execute(q)]
    for case in cases:
        try:
            authorize(user, Action.READ_HOUSEHOLDS, case.county, registry)
        except DoudiError:
            continue
        out[case.household_id].append(case)
    return out


def cases_within(code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    """Cases at ``code`` or under it (by the stored county / prefecture / province)."""
    return within(CaseRow, code, registry)


def list_cases(
    session: Session,
    *,
    county: str | None = None,
    program: str | None = None,
    state: str | None = None,
    limit: int = 100,
    within: tuple[str, JurisdictionRegistry] | None = None,
    after: int | None = None,
) -> list[Case]:
    """Cases by id, at most ``limit``: of ``county``, or ``within`` a jurisdiction (code and
    registry) and under it; of a program and in a state; with ids after ``after``."""
    with reading(session):
        q = select(CaseRow).order_by(CaseRow.id).limit(limit)
        if county is not None:
            q = q.where(CaseRow.county == county)
        if within is not None:
            q = q.where(cases_within(*within))
        if program is not None:
            q = q.where(CaseRow.program == program)
        if state is not None:
            q = q.where(CaseRow.state == state)
        if after is not None:
            q = q.where(CaseRow.id > after)
        return [case_from_row(r) for r in session.scalars(q)]


def _not_in_future(on: dt.date, not_after: dt.date | None) -> None:
    if not_after is not None and on > not_after:
        raise InvalidInput(f"on: {on.isoformat()} is in the future")


def _parse_stored(document: Any, case: Case, registry: JurisdictionRegistry) -> Household:
    if document is None:
        raise CaseNotFound(f"household {case.household_id} of case {case.id} is gone")
    return parse_household(document, registry, dt.date.max)


def apply_transition(
    session: Session,
    policies: PolicySource,
    case_id: int,
    expected_version: int,
    action: str,
    actor: User,
    on: dt.date,
    *,
    not_after: dt.date | None = None,
    **inputs: Any,
) -> tuple[Case, EventRecord]:
    """Take step ``action`` (a name in :data:`core.cases.ACTIONS`) on the case as of version
    ``expected_version``; returns (case, event). The steps of :data:`NEEDS_HOUSEHOLD`
    (confirmation and review re-evaluate the household, a death is checked against it and
    re-evaluated, a head change checks its new head and account) get the stored household
    unless ``household`` is given.

    Checked in this order, and nothing is written when one fails: ``on`` not after
    ``not_after`` (today, for requests and commands: INVALID_INPUT); FORBIDDEN when ``actor``
    may not act on the case (so that an outsider learns nothing of it); VERSION_CONFLICT when
    the case is no longer at ``expected_version``; ``on`` not before the case's last step
    (INVALID_INPUT); then the step's own rules.

    The step is decided in a read transaction and written in a short write transaction whose
    ``UPDATE ... WHERE version = :expected`` finds whether someone else wrote in between
    (VERSION_CONFLICT): the write lock is held for the writes only, not for the policy, the
    household and the eligibility engine.
    """
    step = ACTIONS.get(action)
    if step is None:
        raise InvalidInput(f"unknown case action '{action}'; one of {', '.join(sorted(ACTIONS))}")
    _not_in_future(on, not_after)
    registry = policies.registry
    with read_unit(session):
        # Columns, not an ORM object: nothing of the case stays in the session's identity map to
        # go stale after the UPDATE below.
        row = session.execute(_READ_CASE, {"case_id": case_id}).one_or_none()
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        case = case_from_row(row)
        check_access(actor, case, (j.code for j in registry.chain(case.county)))
        if case.version != expected_version:
            raise VersionConflict(
                f"case {case_id} has changed since it was read (version {expected_version}, now "
                f"{case.version}); load it again"
            )
        last = session.execute(
            _LAST_EVENT, {"case_id": case_id, "seq": expected_version}
        ).one_or_none()
        prev_hash, last_on = (GENESIS, None) if last is None else (last[0], last[1])
        if last_on and on < dt.date.fromisoformat(last_on):
            raise InvalidInput(f"on: {on.isoformat()} is before the case's last step ({last_on})")
        document = None
        wants_household = action in NEEDS_HOUSEHOLD and inputs.get("household") is None
        if wants_household:
            document = session.scalar(_STORED_HOUSEHOLD, {"hid": case.household_id})
    if inputs.pop("evaluate", None) is False:
        raise InvalidInput(
            "evaluate: confirmation always evaluates eligibility; false is not allowed"
        )
    if wants_household:
        inputs["household"] = _parse_stored(document, case, registry)
    t = step(case, actor, policies.resolve(case.county, on), on, **inputs)
    with _writing(session):
        if t.selection is not None:
            t = _decide_selection(session, t)
        result = session.execute(
            _WRITE_CASE,
            {
                "case_id": case_id,
                "expected": expected_version,
                "new_state": t.case.state.value,
                "new_version": t.case.version,
                "new_data": dict(t.case.data),
                "now": utcnow(),
            },
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionConflict(
                f"case {case_id} was changed by someone else at the same time; load it again"
            )
        event = _append_event(session, case_id, t, actor.id, prev_hash)
    return t.case, event


def case_actions(
    session: Session,
    policies: PolicySource,
    case_id: int,
    actor: User,
    on: dt.date,
    *,
    not_after: dt.date | None = None,
) -> tuple[Case, list[Availability]]:
    """The case and, for each step, whether ``actor`` may take it on ``on`` and why not
    (:func:`core.cases.availability.available_actions`: the machine's own checks, nothing
    written). Whoever may read the case may ask; others get FORBIDDEN first."""
    _not_in_future(on, not_after)
    registry = policies.registry
    with read_unit(session):
        case = read_case(session, actor, case_id, registry)
        last = session.execute(
            _LAST_EVENT, {"case_id": case_id, "seq": case.version}
        ).one_or_none()
        document = session.scalar(_STORED_HOUSEHOLD, {"hid": case.household_id})
    last_on = dt.date.fromisoformat(last[1]) if last is not None and last[1] else None
    household = None if document is None else _parse_stored(document, case, registry)
    found = available_actions(
        case,
        actor,
        lambda day: policies.resolve(case.county, day),
        on,
        household,
        last_step=last_on,
    )
    return case, found


def _decide_selection(session: Session, t: Transition) -> Transition:
    """Decide a spot-check selection against the running count of its pool, county and month
    (locked: ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock is held already), and
    count the decision. Called inside the step's write transaction, so a step refused later
    (VERSION_CONFLICT) leaves the count as it was. Lock order: tally, case row, audit head."""
    req = t.selection
    assert req is not None
    key = {"pool": req.pool, "county": t.case.county, "month": req.month}
    values = {**key, "decisions": 0, "selected": 0, "ratio": req.ratio}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        session.execute(
            postgresql.insert(SpotCheckTallyRow).values(values).on_conflict_do_nothing()
        )
    else:
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(SpotCheckTallyRow).values(values).on_conflict_do_nothing())
    where = [getattr(SpotCheckTallyRow, k) == v for k, v in key.items()]
    decisions, selected = session.execute(
        select(SpotCheckTallyRow.decisions, SpotCheckTallyRow.selected)
        .where(*where)
        .with_for_update()
    ).one()
    sel = select_next(decisions, selected, as_fraction(req.ratio))
    session.execute(
        update(SpotCheckTallyRow)
        .where(*where)
        .values(decisions=sel.position, selected=sel.selected_so_far, ratio=req.ratio)
    )
    return with_selection(t, sel)


@dataclass(frozen=True, slots=True)
class Tally:
    pool: str
    county: str
    month: str
    decisions: int
    selected: int
    ratio: str


def spot_check_tallies(
    session: Session, *, county: str | None = None, month: str | None = None
) -> list[Tally]:
    """The running counts of the spot-check pools (of one county and month if given)."""
    with reading(session):
        q = select(SpotCheckTallyRow).order_by(
            SpotCheckTallyRow.county, SpotCheckTallyRow.month, SpotCheckTallyRow.pool
        )
        if county is not None:
            q = q.where(SpotCheckTallyRow.county == county)
        if month is not None:
            q = q.where(SpotCheckTallyRow.month == month)
        return [
            Tally(r.pool, r.county, r.month, r.decisions, r.selected, r.ratio)
            for r in session.scalars(q)
        ]


def list_events(session: Session, case_id: int) -> list[EventRecord]:
    """A case's events, oldest first."""
    with reading(session):
        rows = session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.seq)
        )
        return [_event(r) for r in rows]


def events_of_cases(session: Session, case_ids: Iterable[int]) -> dict[int, list[EventRecord]]:
    """The events of several cases at once, each oldest first (one statement whatever their
    number). Like :func:`list_events`, for cases already read by someone who may read them."""
    ids = sorted(set(case_ids))
    out: dict[int, list[EventRecord]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (
        select(CaseEventRow)
        .where(CaseEventRow.case_id.in_(ids))
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    )
    with reading(session):
        for r in session.scalars(q):
            out[r.case_id].append(_event(r))
    return out


# -- audit -------------------------------------------------------------------------------------

_COLUMNS = (
    ("case_id", "caseId"),
    ("seq", "seq"),
    ("user_id", "userId"),
    ("action", "action"),
    ("from_state", "fromState"),
    ("to_state", "toState"),
)
# Hashed since the global chain (migration 0003); events written before it lack them.
_GLOBAL_COLUMNS = (("global_seq", "globalSeq"), ("global_prev_hash", "globalPrevHash"))


def _where(e: CaseEventRow) -> str:
    return f"case {e.case_id} event {e.seq} (id {e.id})"


def _event_problems(e: CaseEventRow, expected_prev: str | None) -> Iterator[str]:
    where = _where(e)
    if event_hash(e.document, e.prev_hash) != e.hash:
        yield f"{where}: tampered: its hash does not match its content"
    for column, key in _COLUMNS:
        if e.document.get(key) != getattr(e, column):
            yield f"{where}: tampered: column {column} disagrees with the hashed document"
    for column, key in _GLOBAL_COLUMNS:
        if key in e.document and e.document[key] != getattr(e, column):
            yield f"{where}: tampered: column {column} disagrees with the hashed document"
    if e.document.get("at") != e.at.isoformat():
        yield f"{where}: tampered: column at disagrees with the hashed document"
    if expected_prev is not None and e.prev_hash != expected_prev:
        yield f"{where}: chain broken: prev_hash is not the hash of the event before it"


def _span(first: int, last: int) -> str:
    return f"event #{first}" if first == last else f"events #{first}..#{last}"


def _global_problems(session: Session) -> Iterator[str]:
    """The chain over all events in ``global_seq`` order, and its head."""
    q = select(
        CaseEventRow.id,
        CaseEventRow.case_id,
        CaseEventRow.seq,
        CaseEventRow.global_seq,
        CaseEventRow.global_prev_hash,
        CaseEventRow.hash,
    ).order_by(CaseEventRow.global_seq)
    last_seq, last_hash = 0, GENESIS
    for event_id, case_id, seq, gseq, gprev, h in session.execute(
        q.execution_options(yield_per=1000)
    ):
        where = f"global event #{gseq} (case {case_id} event {seq}, id {event_id})"
        if gseq > last_seq + 1:
            yield (
                f"global chain: {_span(last_seq + 1, gseq - 1)} missing (deleted, possibly with "
                f"their case), before {where}"
            )
        elif gprev != last_hash:
            yield (
                f"{where}: global chain broken: global_prev_hash is not the hash of global event "
                f"#{last_seq}"
            )
        last_seq, last_hash = gseq, h
    head = session.get(CaseAuditHeadRow, HEAD_ID)
    if head is None:
        if last_seq:
            yield f"global chain: the chain head is missing (the newest event is #{last_seq})"
        return
    if head.seq > last_seq:
        yield (
            f"global chain: {_span(last_seq + 1, head.seq)} missing: the chain head is at "
            f"#{head.seq} but the newest event is #{last_seq} (the newest events were deleted)"
        )
    elif head.seq < last_seq:
        yield (
            f"global chain: the chain head is at #{head.seq} but events go up to #{last_seq} "
            "(the head was rolled back)"
        )
    elif head.hash != last_hash:
        yield f"global chain: the chain head's hash is not the hash of global event #{last_seq}"


def count_cases_and_events(session: Session) -> tuple[int, int]:
    """How many cases and case events the database holds."""
    with reading(session):
        cases = session.scalar(select(func.count()).select_from(CaseRow)) or 0
        events = session.scalar(select(func.count()).select_from(CaseEventRow)) or 0
    return int(cases), int(events)


def verify_audit_chain(session: Session, case_ids: Sequence[int] | None = None) -> list[str]:
    """Every problem in the audit trail (empty: intact): a tampered event (hash, columns), a
    missing one (a gap in ``seq``, or fewer events than the case's version), a broken link,
    events of a case that does not exist, a case row that disagrees with its last event (state
    or data); and, over all events (not when ``case_ids`` is given), a gap or broken link in the
    global chain (events deleted, a case deleted with its events) or a chain head that does not
    match the newest event (the newest events deleted)."""
    problems: list[str] = []
    with reading(session):
        cases_q = select(CaseRow.id, CaseRow.version, CaseRow.state, CaseRow.data).order_by(
            CaseRow.id
        )
        events_q = select(CaseEventRow).order_by(CaseEventRow.case_id, CaseEventRow.seq)
        if case_ids is not None:
            cases_q = cases_q.where(CaseRow.id.in_(case_ids))
            events_q = events_q.where(CaseEventRow.case_id.in_(case_ids))
        cases = {
            cid: (version, state, data) for cid, version, state, data in session.execute(cases_q)
        }
        seen: set[int] = set()
        current: int | None = None
        last: CaseEventRow | None = None

        def close(case_id: int, tail: CaseEventRow | None) -> None:
            version, state, data = cases[case_id]
            if tail is None:
                problems.append(f"case {case_id}: no events (all {version} missing)")
            elif tail.seq < version:
                gone = (
                    f"event {version}"
                    if tail.seq + 1 == version
                    else f"events {tail.seq + 1}..{version}"
                )
                problems.append(
                    f"case {case_id}: {gone} missing (the case is at version {version})"
                )
            elif tail.seq > version:
                problems.append(
                    f"case {case_id}: the case row's version {version} is behind its events"
                )
            else:
                if tail.to_state != state:
                    problems.append(
                        f"case {case_id}: the case row's state {state} is not its last event's "
                        f"{tail.to_state}"
                    )
                expected = tail.document.get("dataHash")
                if expected is not None and data_hash(dict(data)) != expected:
                    problems.append(
                        f"case {case_id}: the case row's data does not match its last event "
                        f"({_where(tail)}): altered outside the workflow"
                    )

        for e in session.scalars(events_q.execution_options(yield_per=1000)):
            if e.case_id != current:
                if current is not None and current in cases:
                    close(current, last)
                current, last = e.case_id, None
                seen.add(e.case_id)
                if e.case_id not in cases:
                    problems.append(f"case {e.case_id}: events exist but the case does not")
            expected_next = 1 if last is None else last.seq + 1
            if e.seq != expected_next:
                gap = (
                    f"event {expected_next} missing"
                    if e.seq == expected_next + 1
                    else f"events {expected_next}..{e.seq - 1} missing"
                )
                problems.append(f"case {e.case_id}: {gap}")
            if e.seq == 1:
                prev: str | None = GENESIS
            elif last is not None and last.seq == e.seq - 1:
                prev = last.hash
            else:
                prev = None  # the predecessor is missing (reported above)
            problems.extend(_event_problems(e, prev))
            last = e
        if current is not None and current in cases:
            close(current, last)
        for case_id in cases.keys() - seen:
            close(case_id, None)
        if case_ids is None:
            problems.extend(_global_problems(session))
    return problems


__all__ = [
    "GENESIS",
    "EventRecord",
    "PolicySource",
    "apply_transition",
    "canonical_json",
    "cases_of_households",
    "cases_within",
    "data_hash",
    "event_hash",
    "events_of_cases",
    "get_case",
    "list_cases",
    "list_events",
    "open_case",
    "read_case",
    "read_cases",
    "verify_audit_chain",
]
