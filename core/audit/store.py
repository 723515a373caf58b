"""The audit chains in the database: heads, entries, the legacy seal and the checkpoint writer.

**Chains and locks.** Every chain has a head row in ``audit_heads`` (newest number and hash). A
write locks the head of its own chain (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time anyway), appends its entry with the next number, and moves the head, all in
its own transaction. Chains are per kind and county (``cases:140302``,
``households:140302``, ``payments:520102``) or jurisdiction (``settings:520000``), so writes in
different counties never queue on one row.

**The key** travels in ``Session.info`` (:class:`Auditor`, put there by the runtime's session
factory); a session without one uses the key of the configured settings
(:func:`core.audit.keys.load_key`), loaded when first needed.

**Checkpoints.** After a transaction that appended entries commits, the session factory's
:class:`Checkpointer` (installed by the runtime) is told; it writes the heads that moved to the
checkpoint log when ``DOUDI_AUDIT_CHECKPOINT_SECONDS`` have passed since its last checkpoint, on
a timer in the server (:meth:`Checkpointer.start`), and when the runtime closes.

**The legacy seal.** Migration 0009 records in ``audit_legacy`` the highest id of each audited
table. On the first start with the key (:func:`seal_legacy`, run by ``doudi serve``,
``doudi db upgrade`` and every command that opens the database to write), one entry in the
``legacy`` chain records the head of the old global chain of case events and, per table, the
count and aggregate digest of those rows: from then on they are as tamper-evident as new ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from core.audit import chain as ch
from core.audit.checkpoints import CheckpointLog
from core.audit.keys import AuditKey, load_key
from core.errors import DoudiError
from core.settings import load_settings
from core.storage.engine import read_unit, reading, write_unit
from core.storage.tables import (
    AuditEntryRow,
    AuditHeadRow,
    AuditLegacyRow,
    CaseAuditHeadRow,
    CaseEventRow,
    HouseholdRow,
    LocalSettingAuditRow,
    LocalSettingRow,
    PaymentResultRow,
    PaymentRow,
    utcnow,
)

log = logging.getLogger("doudi.audit")

AUDITOR = "doudi.audit"  # Session.info key of the Auditor
_PENDING = "doudi.audit.pending"  # Session.info: entries appended in the open transaction


class AuditChainBroken(DoudiError):
    """A write found the chain in a state only tampering explains (a head gone while its
    entries remain)."""

    code = "AUDIT_CHAIN_BROKEN"


class Auditor:
    """The audit key of a session factory (loaded on first use) and who to tell after a commit
    that appended entries."""

    def __init__(
        self,
        key: AuditKey | Callable[[], AuditKey],
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._key = key if isinstance(key, AuditKey) else None
        self._load = None if isinstance(key, AuditKey) else key
        self._lock = threading.Lock()
        self.on_commit = on_commit

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    assert self._load is not None
                    self._key = self._load()
        return self._key


def auditor_of(session: Session) -> Auditor:
    found = session.info.get(AUDITOR)
    if isinstance(found, Auditor):
        return found
    auditor = Auditor(lambda: load_key(load_settings()))
    session.info[AUDITOR] = auditor
    return auditor


def install(sessions: sessionmaker[Session], auditor: Auditor) -> None:
    """Give every session of ``sessions`` this auditor, and tell ``auditor.on_commit`` after
    each commit that appended entries."""
    sessions.kw.setdefault("info", {})
    sessions.kw["info"] = {**(sessions.kw["info"] or {}), AUDITOR: auditor}

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(_PENDING, False) and auditor.on_commit is not None:
            try:
                auditor.on_commit()
            except Exception:  # a committed write stays committed; the log says why
                log.exception("audit checkpoint after commit failed")

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)


def note_appended(session: Session) -> None:
    """Entries were appended in the session's transaction (the checkpointer is told at
    commit)."""
    session.info[_PENDING] = True


# -- heads -------------------------------------------------------------------------------------

_HEADS = cast(Table, AuditHeadRow.__table__)
_ENTRIES = cast(Table, AuditEntryRow.__table__)
_LOCK_HEAD = (
    select(_HEADS.c.seq, _HEADS.c.hash)
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .with_for_update()
)
MOVE_HEAD = (
    _HEADS.update()
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_INSERT_ENTRY = _ENTRIES.insert()


def create_head(session: Session, chain: str) -> None:
    """Make ``chain``'s head (number 0) unless it exists; refuse when entries of the chain
    exist without one (their head was deleted)."""
    if session.scalar(select(_HEADS.c.seq).where(_HEADS.c.chain == chain)) is not None:
        return
    if chain.startswith(ch.CASES + ":"):
        orphan = select(CaseEventRow.id).where(CaseEventRow.chain == chain).limit(1)
    else:
        orphan = select(AuditEntryRow.id).where(AuditEntryRow.chain == chain).limit(1)
    if session.scalar(orphan) is not None:
        # Seen once under load on PostgreSQL: neither the locking read nor this one found a
        # head that exists, at the moment a concurrent writer moved it. Look again before
        # calling it tampering (a write is refused then, nothing written).
        for pause in (0.02, 0.1, 0.5):
            time.sleep(pause)
            if session.scalar(select(_HEADS.c.seq).where(_HEADS.c.chain == chain)) is not None:
                log.warning("audit: the head of %s was found only on a second look", chain)
                return
        raise AuditChainBroken(
            f"the head of the audit chain {chain} is missing although its entries exist: the "
            "database was altered; run `doudi audit verify`"
        )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(_HEADS).on_conflict_do_nothing(index_elements=["chain"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(_HEADS).on_conflict_do_nothing(index_elements=["chain"])
    session.execute(stmt, {"chain": chain, "seq": 0, "hash": ch.GENESIS})


def lock_head(session: Session, chain: str) -> tuple[int, str]:
    """The head of ``chain`` (newest number and hash), locked until the transaction ends."""
    conn = session.connection()
    row = conn.execute(_LOCK_HEAD, {"head_chain": chain}).one_or_none()
    if row is None:
        create_head(session, chain)
        row = conn.execute(_LOCK_HEAD, {"head_chain": chain}).one()
    return int(row[0]), str(row[1])


def read_heads(session: Session) -> dict[str, tuple[int, str]]:
    """Every chain's head."""
    return {c: (int(s), str(h)) for c, s, h in session.execute(select(_HEADS))}


# -- entries -----------------------------------------------------------------------------------

Record = tuple[str, str | None, str]  # (ref, digest before or None when created, digest after)


@dataclass(frozen=True, slots=True)
class Appended:
    chain: str
    seq: int
    hash: str


def append_entry(
    session: Session,
    chain: str,
    kind: str,
    user_id: int | None,
    records: Sequence[Record] = (),
    **body: Any,
) -> Appended:
    """Append one entry to ``chain`` in the session's (write) transaction: lock the head, MAC
    the document (which lists ``records`` and ``body``), insert it, move the head."""
    key = auditor_of(session).key
    seq, prev = lock_head(session, chain)
    at = utcnow()
    document: dict[str, Any] = {
        "chain": chain,
        "seq": seq + 1,
        "at": at.isoformat(),
        "userId": user_id,
        "keyId": key.id,
        "kind": kind,
        "records": [list(r) for r in records],
        **body,
    }
    h = ch.mac(key.secret, document, prev)
    conn = session.connection()
    conn.execute(
        _INSERT_ENTRY,
        {
            "chain": chain,
            "seq": seq + 1,
            "at": at,
            "user_id": user_id,
            "kind": kind,
            "document": document,
            "prev_hash": prev,
            "hash": h,
            "key_id": key.id,
        },
    )
    conn.execute(MOVE_HEAD, {"head_chain": chain, "new_seq": seq + 1, "new_hash": h})
    note_appended(session)
    return Appended(chain, seq + 1, h)


# -- the records' digests as stored ------------------------------------------------------------


def household_row_digest(row: Any) -> str:
    return ch.household_digest(row.county, row.version, row.document)


def payment_row_digest(row: Any) -> str:
    return ch.payment_digest([getattr(row, f) for f in ch.PAYMENT_FIELDS])


def payment_result_row_digest(row: Any) -> str:
    return ch.payment_result_digest(
        row.payment_id,
        row.seq,
        row.attempt,
        row.status,
        row.on_date,
        row.note,
        row.repay_by,
        row.user_id,
    )


def setting_row_digest(row: Any) -> str:
    return ch.setting_digest(
        row.jurisdiction, row.path, row.value, row.effective_from, row.until, row.source_text
    )


def setting_audit_row_digest(row: Any) -> str:
    return ch.setting_audit_digest(
        row.setting_id,
        row.user_id,
        row.jurisdiction,
        row.path,
        row.effective_from,
        row.until,
        row.old_value,
        row.new_value,
        row.source_text,
    )


@dataclass(frozen=True, slots=True)
class RecordTable:
    name: str  # the prefix of refs: household:12
    table: Table
    digest: Callable[[Any], str]
    what: str  # for messages


RECORD_TABLES: tuple[RecordTable, ...] = (
    RecordTable(
        "household", cast(Table, HouseholdRow.__table__), household_row_digest, "household"
    ),
    RecordTable("payment", cast(Table, PaymentRow.__table__), payment_row_digest, "payment"),
    RecordTable(
        "payment_result",
        cast(Table, PaymentResultRow.__table__),
        payment_result_row_digest,
        "payment result",
    ),
    RecordTable(
        "setting", cast(Table, LocalSettingRow.__table__), setting_row_digest, "local setting"
    ),
    RecordTable(
        "setting_audit",
        cast(Table, LocalSettingAuditRow.__table__),
        setting_audit_row_digest,
        "local-setting audit row",
    ),
)


def iter_rows(session: Session, table: Table, *where: Any) -> Iterator[Any]:
    q = select(table).where(*where).order_by(table.c.id).execution_options(yield_per=2000)
    yield from session.execute(q)


@dataclass(frozen=True, slots=True)
class Transition:
    """One record written by one entry."""

    chain: str
    seq: int
    prev: str | None
    digest: str


def record_transitions(session: Session) -> dict[str, list[Transition]]:
    """Every record any entry wrote, with its transitions in the order written (by entry id:
    within one record, entries are written one after the other under its row lock)."""
    out: dict[str, list[Transition]] = {}
    q = (
        select(_ENTRIES.c.chain, _ENTRIES.c.seq, _ENTRIES.c.document)
        .order_by(_ENTRIES.c.id)
        .execution_options(yield_per=2000)
    )
    for chain, seq, document in session.execute(q):
        for item in (document or {}).get("records") or ():
            if isinstance(item, list) and len(item) == 3:
                ref, prev, d = item
                out.setdefault(str(ref), []).append(Transition(chain, seq, prev, str(d)))
    return out


def origin_digests(
    session: Session,
    rt: RecordTable,
    transitions: Mapping[str, Sequence[Transition]],
    *where: Any,
) -> Iterator[tuple[int, str]]:
    """(id, digest as created) of the rows of ``rt`` matching ``where``: the state before the
    first entry that changed it, or the current state when none did."""
    for row in iter_rows(session, rt.table, *where):
        seen = transitions.get(ch.ref(rt.name, row.id))
        if seen and seen[0].prev is not None:
            yield row.id, seen[0].prev
        else:
            yield row.id, rt.digest(row)


# -- the legacy seal ---------------------------------------------------------------------------


def legacy_limits(session: Session) -> dict[str, int]:
    """Per table, the highest id before the keyed audit (migration 0009)."""
    return {
        n: int(m) for n, m in session.execute(select(AuditLegacyRow.name, AuditLegacyRow.max_id))
    }


def legacy_event_head(session: Session) -> tuple[int, int, str]:
    """(number of legacy events, head seq, head hash) of the old global chain."""
    count = session.scalar(
        select(func.count()).select_from(CaseEventRow).where(CaseEventRow.key_id.is_(None))
    )
    head = session.get(CaseAuditHeadRow, 1)
    return int(count or 0), (head.seq if head else 0), (head.hash if head else ch.GENESIS)


def legacy_baseline(
    session: Session, limits: Mapping[str, int], transitions: Mapping[str, Sequence[Transition]]
) -> dict[str, dict[str, Any]]:
    """What the seal records per table: the highest legacy id, how many of those rows there
    are and the aggregate of their digests as they were (see :func:`origin_digests`)."""
    out: dict[str, dict[str, Any]] = {}
    for rt in RECORD_TABLES:
        top = limits.get(rt.name, 0)
        if top <= 0:
            continue
        members = list(origin_digests(session, rt, transitions, rt.table.c.id <= top))
        out[rt.name] = {"maxId": top, "count": len(members), "digest": ch.aggregate(members)}
    return out


def is_sealed(session: Session) -> bool:
    with reading(session):
        return session.get(AuditHeadRow, ch.LEGACY) is not None


def needs_seal(session: Session) -> bool:
    limits = legacy_limits(session)
    return any(v > 0 for v in limits.values()) and not is_sealed(session)


def seal_legacy(session: Session) -> bool:
    """Write the legacy seal if there is legacy data and no seal yet; True when written."""
    with read_unit(session):
        if not needs_seal(session):
            return False
    with write_unit(session):
        lock_head(session, ch.LEGACY)
        head = session.get(AuditHeadRow, ch.LEGACY)
        if head is not None and head.seq > 0:
            return False  # another process sealed first
        limits = legacy_limits(session)
        count, gseq, ghash = legacy_event_head(session)
        tables = legacy_baseline(session, limits, record_transitions(session))
        append_entry(
            session,
            ch.LEGACY,
            "legacy.seal",
            None,
            caseEvents={"count": count, "globalSeq": gseq, "globalHash": ghash},
            tables=tables,
        )
    log.info("audit: sealed the data written before the audit key")
    return True


# -- checkpoints -------------------------------------------------------------------------------


@dataclass
class Checkpointer:
    """Writes the heads that moved to the checkpoint log: at most every ``interval`` seconds
    after writes (0: after every write), on :meth:`flush`, and on a timer once
    :meth:`start`-ed."""

    sessions: Callable[[], Session]
    log: CheckpointLog
    interval: float
    clock: Callable[[], float] = time.monotonic
    _written: dict[str, tuple[int, str]] = field(default_factory=dict, init=False)
    _dirty: bool = field(default=False, init=False)
    _last: float = field(default=float("-inf"), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def mark(self) -> None:
        """Entries were committed: write a checkpoint if one is due."""
        self._dirty = True
        if self.clock() - self._last >= self.interval:
            self.flush()

    def flush(self, *, everything: bool = False) -> int:
        """Write the heads that moved since this process's last checkpoint (its first writes
        them all; ``everything``: all heads now); returns how many chains were written."""
        with self._lock:
            if not self._dirty and not everything:
                return 0
            self._dirty = False
            with self.sessions() as session, read_unit(session):
                heads = read_heads(session)
            moved = (
                heads
                if everything
                else {c: h for c, h in heads.items() if self._written.get(c) != h}
            )
            try:
                self.log.append(utcnow(), moved)
            except Exception:
                self._dirty = True
                raise
            self._written.update(moved)
            self._last = self.clock()
            return len(moved)

    def start(self) -> None:
        """Flush on a timer (every ``interval`` seconds, at least every second when 0)."""
        if self._thread is not None:
            return
        period = max(self.interval, 1.0)

        def run() -> None:
            while not self._stop.wait(period):
                try:
                    if self._dirty:
                        self.flush()
                except Exception:
                    log.exception("audit checkpoint failed")

        self._thread = threading.Thread(target=run, name="doudi-audit-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            if self._dirty:
                self.flush()
        except Exception:
            log.exception("audit checkpoint at shutdown failed")
        finally:
            self.log.close()


def entries_of(session: Session, chains: Iterable[str]) -> list[AuditEntryRow]:
    return list(
        session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.chain.in_(list(chains)))
            .order_by(AuditEntryRow.chain, AuditEntryRow.seq)
        )
    )


__all__ = [
    "AUDITOR",
    "MOVE_HEAD",
    "RECORD_TABLES",
    "Appended",
    "AuditChainBroken",
    "Auditor",
    "Checkpointer",
    "Record",
    "RecordTable",
    "Transition",
    "append_entry",
    "auditor_of",
    "create_head",
    "household_row_digest",
    "install",
    "is_sealed",
    "legacy_baseline",
    "legacy_event_head",
    "legacy_limits",
    "lock_head",
    "needs_seal",
    "note_appended",
    "origin_digests",
    "payment_result_row_digest",
    "payment_row_digest",
    "read_heads",
    "record_transitions",
    "seal_legacy",
    "setting_audit_row_digest",
    "setting_row_digest",
]
