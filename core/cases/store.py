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
- **Audit trail**: each transition appends one ``case_events`` row, never updated or deleted,
  in two chains: the case's own (``seq`` runs 1, 2, ... equal to the case's version after the
  event; ``prev_hash`` is the previous event's ``hash``, "" for the first) and its county's
  (``chain`` ``cases:<county>``, ``chain_seq`` 1, 2, ... over the county's events,
  ``chain_prev_hash``). ``hash`` is HMAC-SHA256 under the audit key (:mod:`core.audit.chain`)
  of the event document, which repeats the row's columns, both chains' links and a digest of
  the case's resulting ``data`` (``dataHash``, so the case row can be checked against its last
  event), followed by ``prev_hash``. The county chain's head (``audit_heads``) moves in the same
  transaction: it is locked after the case row, so writes of one county queue on it briefly
  and writes of different counties never wait for each other. On PostgreSQL the write is two
  statements (the case's conditional UPDATE together with the head lock, then the event INSERT
  together with the head's move) between BEGIN and COMMIT, and the read before it one
  statement in autocommit. Verification is :mod:`core.audit.verify`.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Engine, Row, Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.audit import chain as ch
from core.audit.store import MOVE_HEAD, auditor_of, lock_head, note_appended
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
from core.households.store import note_member_death
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import PolicySource
from core.storage.engine import quick_read, reading, write_unit
from core.storage.scope import within
from core.storage.tables import CaseEventRow, CaseRow, HouseholdRow, SpotCheckTallyRow, utcnow
from core.validation import (
    MAX_LIST_ITEMS,
    MAX_NOTE,
    check_count,
    check_date,
    check_finite,
    check_text,
)

GENESIS = ""  # prev_hash of a case's first event


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
    chain: str | None = None  # None: written before the keyed audit (migration 0009)
    chain_seq: int | None = None
    chain_prev_hash: str | None = None
    key_id: str | None = None
    global_seq: int | None = None  # legacy events only
    global_prev_hash: str | None = None


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


def event_hash(secret: bytes, document: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of an event: HMAC-SHA256 under the audit key (:func:`core.audit.chain.mac`)."""
    return ch.mac(secret, document, prev_hash)


def data_hash(data: Mapping[str, Any]) -> str:
    """The digest of a case's ``data`` that its events carry (``dataHash``)."""
    return ch.digest(dict(data))


# -- rows ↔ values -----------------------------------------------------------------------------


_CASES = cast(Table, CaseRow.__table__)
# Table columns, not ORM attributes: a statement of the ORM's goes through its compile and
# loading layers on every execution, which cost more CPU than the database's work.
_CASE_COLUMNS = (
    _CASES.c.id,
    _CASES.c.household_id,
    _CASES.c.program,
    _CASES.c.county,
    _CASES.c.state,
    _CASES.c.version,
    _CASES.c.data,
)


def case_from_row(row: CaseRow | Row[*tuple[Any, ...]]) -> Case:
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
        chain=row.chain,
        chain_seq=row.chain_seq,
        chain_prev_hash=row.chain_prev_hash,
        key_id=row.key_id,
        global_seq=row.global_seq,
        global_prev_hash=row.global_prev_hash,
    )


# The statements of a transition, built once with bind parameters: building SQLAlchemy
# expressions (and coercing a large JSON document into an INSERT's VALUES) on every call cost
# more CPU than running them.
_EVENTS = cast(Table, CaseEventRow.__table__)
_HOUSEHOLDS = cast(Table, HouseholdRow.__table__)
_READ_CASE = select(*_CASE_COLUMNS).where(_CASES.c.id == bindparam("case_id"))
# The case and its last event in one statement (one round trip); the household's document too
# for the steps that re-evaluate it.
_LAST = _EVENTS.alias("last")
_READ_FOR_STEP = (
    select(*_CASE_COLUMNS, _LAST.c.hash, _LAST.c.document["on"].as_string())
    .select_from(
        _CASES.outerjoin(
            _LAST, (_LAST.c.case_id == _CASES.c.id) & (_LAST.c.seq == _CASES.c.version)
        )
    )
    .where(_CASES.c.id == bindparam("case_id"))
)
_READ_FOR_STEP_WITH_HOUSEHOLD = (
    select(*_CASE_COLUMNS, _LAST.c.hash, _LAST.c.document["on"].as_string(), _HOUSEHOLDS.c.document)
    .select_from(
        _CASES.outerjoin(
            _LAST, (_LAST.c.case_id == _CASES.c.id) & (_LAST.c.seq == _CASES.c.version)
        ).outerjoin(_HOUSEHOLDS, _HOUSEHOLDS.c.id == _CASES.c.household_id)
    )
    .where(_CASES.c.id == bindparam("case_id"))
)
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
_INSERT_CASE = _CASES.insert().returning(_CASES.c.id)
_LOCK_HOUSEHOLD = (
    select(_HOUSEHOLDS.c.county).where(_HOUSEHOLDS.c.id == bindparam("hid")).with_for_update()
)
_OPEN_CASE_OF = (
    select(_CASES.c.id)
    .where(
        _CASES.c.household_id == bindparam("hid"),
        _CASES.c.program == bindparam("program"),
        _CASES.c.state.not_in([s.value for s in TERMINAL]),
    )
    .limit(1)
)
_EVENT_FIELDS = (
    "case_id",
    "seq",
    "at",
    "user_id",
    "action",
    "from_state",
    "to_state",
    "document",
    "prev_hash",
    "hash",
    "chain",
    "chain_seq",
    "chain_prev_hash",
    "key_id",
)

# PostgreSQL: the case's conditional UPDATE and the lock of its county's chain head in one
# statement, the case first (the uncorrelated EXISTS is evaluated once, before the head is
# scanned: of two writers of one case, the second waits on the case row, never holding the
# head); then the event INSERT and the head's move in one statement.
_PG_WRITE_CASE_LOCK_HEAD = text(
    "WITH c AS (UPDATE cases SET state = :new_state, version = :new_version, "
    "data = :new_data, updated_at = :now WHERE id = :case_id AND version = :expected "
    "RETURNING id) "
    "SELECT (SELECT count(*) FROM c) AS written, h.seq, h.hash FROM (SELECT 1) AS one "
    "LEFT JOIN LATERAL (SELECT seq, hash FROM audit_heads WHERE chain = :chain "
    "AND EXISTS (SELECT 1 FROM c) FOR UPDATE) AS h ON true"
).bindparams(
    bindparam("new_data", type_=_CASES.c.data.type),
    bindparam("now", type_=_CASES.c.updated_at.type),
)
_PG_INSERT_EVENT_MOVE_HEAD = text(
    "WITH h AS (UPDATE audit_heads SET seq = :chain_seq, hash = :hash WHERE chain = :chain) "
    "INSERT INTO case_events (case_id, seq, at, user_id, action, from_state, to_state, "
    "document, prev_hash, hash, chain, chain_seq, chain_prev_hash, key_id) VALUES (:case_id, "
    ":seq, :at, :user_id, :action, :from_state, :to_state, :document, :prev_hash, :hash, "
    ":chain, :chain_seq, :chain_prev_hash, :key_id) RETURNING id"
).bindparams(
    bindparam("document", type_=_EVENTS.c.document.type),
    bindparam("at", type_=_EVENTS.c.at.type),
)


def _event_record(
    session: Session,
    case_id: int,
    t: Transition,
    user_id: int,
    prev_hash: str,
    chain: str,
    head: tuple[int, str],
) -> EventRecord:
    key = auditor_of(session).key
    at = utcnow()
    chain_seq = head[0] + 1
    document = {
        "caseId": case_id,
        "seq": t.case.version,
        "chain": chain,
        "chainSeq": chain_seq,
        "chainPrevHash": head[1],
        "at": at.isoformat(),
        "userId": user_id,
        "keyId": key.id,
        "dataHash": data_hash(t.case.data),
        **event_to_json(t.event),
    }
    return EventRecord(
        id=0,
        case_id=case_id,
        seq=t.case.version,
        at=at,
        user_id=user_id,
        action=t.event.action,
        from_state=None if t.event.from_state is None else t.event.from_state.value,
        to_state=t.event.to_state.value,
        document=document,
        prev_hash=prev_hash,
        hash=event_hash(key.secret, document, prev_hash),
        chain=chain,
        chain_seq=chain_seq,
        chain_prev_hash=head[1],
        key_id=key.id,
    )


def _append_event(
    session: Session, case_id: int, county: str, t: Transition, user_id: int, prev_hash: str
) -> EventRecord:
    """Lock the county's chain head, insert the event, move the head (Core statements: nothing
    for the ORM to flush)."""
    chain = ch.chain_name(ch.CASES, county)
    head = lock_head(session, chain)
    record = _event_record(session, case_id, t, user_id, prev_hash, chain, head)
    values = {f: getattr(record, f) for f in _EVENT_FIELDS}
    conn = session.connection()
    event_id = conn.execute(_INSERT_EVENT, values).scalar_one()
    conn.execute(
        MOVE_HEAD, {"head_chain": chain, "new_seq": record.chain_seq, "new_hash": record.hash}
    )
    note_appended(session)
    return replace(record, id=int(event_id))


def _write_transition(
    session: Session, case: Case, expected_version: int, t: Transition, user_id: int, prev_hash: str
) -> EventRecord:
    """The write of :func:`apply_transition`, in the caller's write transaction."""
    params = {
        "case_id": case.id,
        "expected": expected_version,
        "new_state": t.case.state.value,
        "new_version": t.case.version,
        "new_data": dict(t.case.data),
        "now": utcnow(),
    }
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        result = conn.execute(_WRITE_CASE, params)
        if result.rowcount != 1:
            raise _conflict(case.id)
        return _append_event(session, case.id, case.county, t, user_id, prev_hash)
    chain = ch.chain_name(ch.CASES, case.county)
    written, seq, h = conn.execute(_PG_WRITE_CASE_LOCK_HEAD, {**params, "chain": chain}).one()
    if written != 1:
        raise _conflict(case.id)
    # No head: the county's chain has none yet (its first event was written before the keyed
    # audit); lock_head makes it, unless entries of the chain exist (tampering).
    head = lock_head(session, chain) if seq is None else (int(seq), str(h))
    record = _event_record(session, case.id, t, user_id, prev_hash, chain, head)
    values = {f: getattr(record, f) for f in _EVENT_FIELDS}
    event_id = conn.execute(_PG_INSERT_EVENT_MOVE_HEAD, values).scalar_one()
    note_appended(session)
    return replace(record, id=int(event_id))


def _conflict(case_id: int) -> VersionConflict:
    return VersionConflict(
        f"case {case_id} was changed by someone else at the same time; load it again"
    )


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
        conn = session.connection()
        county = conn.execute(_LOCK_HOUSEHOLD, {"hid": household_id}).scalar()
        if county is None:
            raise CaseNotFound(f"no household {household_id}")
        for name, value in inputs.items():
            _check_inputs(value, name)
        if at_county is not None and at_county != county:
            target = policies.registry.get(at_county)
            if target.level.value != "county":
                raise InvalidInput(f"atCounty: {at_county} is a {target.level.value}, not a county")
            inputs["registered_county"] = county
            county = target.code
        policy = policies.resolve(county, on)
        t = _open_case(actor, policy, on, household_id=household_id, program=program, **inputs)
        open_id = conn.execute(_OPEN_CASE_OF, {"hid": household_id, "program": program}).scalar()
        if open_id is not None:
            raise DuplicateCase(
                f"household {household_id} already has an open {program} case ({open_id})"
            )
        prefecture, province = policies.registry.prefecture_and_province(county)
        now = utcnow()
        case_id = conn.execute(
            _INSERT_CASE,
            {
                "household_id": household_id,
                "program": program,
                "county": county,
                "prefecture": prefecture,
                "province": province,
                "state": t.case.state.value,
                "version": t.case.version,
                "data": dict(t.case.data),
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        case = replace(t.case, id=case_id)
        event = _append_event(session, case_id, county, replace(t, case=case), actor.id, GENESIS)
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


def _check_inputs(value: Any, path: str) -> None:
    """A step's inputs within the platform's limits (:mod:`core.validation`): free text of at
    most MAX_NOTE characters with no control characters but line breaks, lists of at most
    MAX_LIST_ITEMS, finite numbers, dates in range. (A household given is validated already.)"""
    if isinstance(value, str):
        check_text(value, path, MAX_NOTE)
    elif isinstance(value, list | tuple):
        check_count(value, path, MAX_LIST_ITEMS)
        for i, item in enumerate(value):
            _check_inputs(item, f"{path}[{i}]")
    elif isinstance(value, Mapping):
        for k, item in value.items():
            _check_inputs(item, f"{path}.{k}")
    elif isinstance(value, float | Decimal):
        check_finite(value, path)
    elif isinstance(value, dt.date):
        check_date(value, path)


def _not_in_future(on: dt.date, not_after: dt.date | None) -> None:
    check_date(on, "on")  # year 0001 would be before every later step (DUPLICATE_CASE for ever)
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
    then: Callable[[Session, Case, EventRecord], None] | None = None,
    **inputs: Any,
) -> tuple[Case, EventRecord]:
    """Take step ``action`` (a name in :data:`core.cases.ACTIONS`) on the case as of version
    ``expected_version``; returns (case, event). ``then`` runs in the step's write
    transaction after the event (a caller's own writes that stand or fall with the step: an
    exception from it rolls the step back too). The steps of :data:`NEEDS_HOUSEHOLD`
    (confirmation and review re-evaluate the household, a death is checked against it and
    re-evaluated, a head change checks its new head and account) get the stored household
    unless ``household`` is given.

    Checked in this order, and nothing is written when one fails: ``on`` not after
    ``not_after`` (today, for requests and commands: INVALID_INPUT); FORBIDDEN when ``actor``
    may not act on the case (so that an outsider learns nothing of it); VERSION_CONFLICT when
    the case is no longer at ``expected_version``; ``on`` not before the case's last step
    (INVALID_INPUT); then the step's own rules.

    The step is decided on one read (the case, its last event and, when needed, the household)
    and written in a short write transaction whose ``UPDATE ... WHERE version = :expected``
    finds whether someone else wrote in between (VERSION_CONFLICT): the locks (the case row,
    its county's chain head) are held for the writes only, not for the policy, the household
    and the eligibility engine.
    """
    step = ACTIONS.get(action)
    if step is None:
        raise InvalidInput(f"unknown case action '{action}'; one of {', '.join(sorted(ACTIONS))}")
    _not_in_future(on, not_after)
    registry = policies.registry
    wants_household = action in NEEDS_HOUSEHOLD and inputs.get("household") is None
    with quick_read(session):
        # One statement: the case, its last event (and the household). Columns, not an ORM
        # object: nothing of the case stays in the session's identity map to go stale after the
        # UPDATE below.
        row = (
            session.connection()
            .execute(
                _READ_FOR_STEP_WITH_HOUSEHOLD if wants_household else _READ_FOR_STEP,
                {"case_id": case_id},
            )
            .one_or_none()
        )
    if row is None:
        raise CaseNotFound(f"no case {case_id}")
    case = case_from_row(row)
    check_access(actor, case, (j.code for j in registry.chain(case.county)))
    for name, value in inputs.items():
        if not isinstance(value, Household):
            _check_inputs(value, name)
    if case.version != expected_version:
        raise VersionConflict(
            f"case {case_id} has changed since it was read (version {expected_version}, now "
            f"{case.version}); load it again"
        )
    prev_hash = GENESIS if row[7] is None else str(row[7])
    last_on = row[8]
    if last_on and on < dt.date.fromisoformat(last_on):
        raise InvalidInput(f"on: {on.isoformat()} is before the case's last step ({last_on})")
    if inputs.pop("evaluate", None) is False:
        raise InvalidInput(
            "evaluate: confirmation always evaluates eligibility; false is not allowed"
        )
    if wants_household:
        inputs["household"] = _parse_stored(row[9], case, registry)
    t = step(case, actor, policies.resolve(case.county, on), on, **inputs)
    with _writing(session):
        if t.selection is not None:  # the tally first: lock order tally, case row, chain head
            t = _decide_selection(session, t)
        event = _write_transition(session, case, expected_version, t, actor.id, prev_hash)
        if action == "record_death":
            _death_into_household(session, actor, t, event, registry)
        if then is not None:
            then(session, t.case, event)
    return t.case, event


def _death_into_household(
    session: Session, actor: User, t: Transition, event: EventRecord, registry: JurisdictionRegistry
) -> None:
    """The household of a case that recorded a death shows it too (the member's
    ``dateOfDeath``), in the step's transaction: the household, not the case, is what every
    later decision on it reads."""
    died = t.event.inputs["dateOfDeath"]
    note_member_death(
        session,
        actor,
        t.case.household_id,
        t.event.inputs["idNumber"],
        died if isinstance(died, dt.date) else dt.date.fromisoformat(str(died)),
        registry,
        caseId=t.case.id,
        caseEvent=event.seq,
    )


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
    require(actor, Action.READ_HOUSEHOLDS)
    with quick_read(session):  # one statement: the case, its last event and the household
        row = (
            session.connection()
            .execute(_READ_FOR_STEP_WITH_HOUSEHOLD, {"case_id": case_id})
            .one_or_none()
        )
    if row is None:
        raise CaseNotFound(f"no case {case_id}")
    case = case_from_row(row)
    authorize(actor, Action.READ_HOUSEHOLDS, case.county, registry)
    last_on = dt.date.fromisoformat(row[8]) if row[8] else None
    household = None if row[9] is None else _parse_stored(row[9], case, registry)
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


def count_cases_and_events(session: Session) -> tuple[int, int]:
    """How many cases and case events the database holds."""
    with reading(session):
        cases = session.scalar(select(func.count()).select_from(CaseRow)) or 0
        events = session.scalar(select(func.count()).select_from(CaseEventRow)) or 0
    return int(cases), int(events)


def verify_audit_chain(session: Session, case_ids: Sequence[int] | None = None) -> list[str]:
    """Every problem :func:`core.audit.verify.verify` finds (the cases given, or everything,
    against the checkpoints when a runtime's settings name them); empty: intact."""
    from core.audit.verify import verify

    return verify(session, case_ids=case_ids).problems


__all__ = [
    "GENESIS",
    "EventRecord",
    "PolicySource",
    "apply_transition",
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
