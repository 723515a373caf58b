"""``doudi audit verify``: recompute every chain with the key and compare the database with the
checkpoints kept outside it.

What is checked (each finding is one line naming what, where, and what it means):

- every case event: its MAC (or, for events before the key, its plain SHA-256 and the old global
  chain up to the sealed head), its columns against its document, its link to the case's
  previous event, its place in its county's chain; the case row against its last event (state,
  data, county);
- every entry of the household, payment and local-setting chains: its MAC and columns;
- every chain: numbers 1..N without a gap, each entry linked to the one before, the head row at
  the newest, and the newest number and hash each checkpoint saw still there;
- every household, payment, payment result, local setting and local-setting audit row: its
  digest is the one the last entry that wrote it recorded, each entry's "before" is the
  previous entry's "after", a row no entry wrote is covered by its payment run's or the legacy
  seal's aggregate, and no audited row is gone;
- derived columns (a row's prefecture and province) agree with its county.

What it cannot catch is :data:`LIMITS`.
"""

from __future__ import annotations

import hmac
import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import chain as ch
from core.audit.checkpoints import CheckpointRead
from core.audit.keys import AuditKey
from core.audit.store import (
    RECORD_TABLES,
    RecordTable,
    Transition,
    auditor_of,
    iter_rows,
    legacy_limits,
    origin_digests,
    record_transitions,
)
from core.policy.jurisdictions import JurisdictionRegistry
from core.storage.engine import reading
from core.storage.tables import (
    AuditEntryRow,
    AuditHeadRow,
    CaseAuditHeadRow,
    CaseEventRow,
    CaseRow,
)

LIMITS = (
    "tampering by someone holding the audit key: with it every hash can be recomputed (keep "
    "the key apart from the database and its backups)",
    "the newest entries of a chain deleted together with its head row after the last "
    "checkpoint that saw them, or at any time if the checkpoint log was cut back too (send "
    "checkpoints to an external log: DOUDI_AUDIT_SYSLOG)",
    "changes made before the keyed audit (migration 0009) to data it then sealed: the seal "
    "vouches for the state it found, not for how it got there",
    "tables outside the chain: users and tokens, eligibility decisions, holiday tables, the "
    "household_members index (derived from the household document, which is covered), a "
    "payment's document (how it was computed; its amount, status, payee and account are "
    "covered), the payment_runs summary rows, and the bulk engine's annual-review runs and "
    "tasks (proposals; confirming one is a case event, which is covered)",
)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    limits: tuple[str, ...] = LIMITS

    @property
    def ok(self) -> bool:
        return not self.problems


# -- case events -------------------------------------------------------------------------------

_EVENT_COLUMNS = (
    ("case_id", "caseId"),
    ("seq", "seq"),
    ("user_id", "userId"),
    ("action", "action"),
    ("from_state", "fromState"),
    ("to_state", "toState"),
)
_CHAIN_COLUMNS = (
    ("chain", "chain"),
    ("chain_seq", "chainSeq"),
    ("chain_prev_hash", "chainPrevHash"),
    ("key_id", "keyId"),
)
_LEGACY_COLUMNS = (("global_seq", "globalSeq"), ("global_prev_hash", "globalPrevHash"))


def _where(e: CaseEventRow) -> str:
    return f"case {e.case_id} event {e.seq} (id {e.id})"


def _mac_ok(key: AuditKey, document: Mapping[str, Any], prev: str, given: str) -> bool:
    return hmac.compare_digest(ch.mac(key.secret, document, prev), given)


def _event_problems(e: CaseEventRow, expected_prev: str | None, key: AuditKey) -> Iterator[str]:
    where = _where(e)
    doc = e.document or {}
    if e.key_id is None:
        if ch.legacy_hash(doc, e.prev_hash) != e.hash:
            yield f"{where}: tampered: its hash does not match its content"
        for column, k in _LEGACY_COLUMNS:
            if k in doc and doc[k] != getattr(e, column):
                yield f"{where}: tampered: column {column} disagrees with the hashed document"
        if e.chain is not None or e.chain_seq is not None:
            yield f"{where}: tampered: a legacy event (no key) placed in chain {e.chain}"
    elif e.key_id != key.id:
        yield (
            f"{where}: written with another audit key ({e.key_id}, this is {key.id}): "
            "verify with that key"
        )
        return
    else:
        if not _mac_ok(key, doc, e.prev_hash, e.hash):
            yield (
                f"{where}: tampered: its MAC does not match its content (changed, or "
                "re-hashed without the key)"
            )
        for column, k in _CHAIN_COLUMNS:
            if doc.get(k) != getattr(e, column):
                yield f"{where}: tampered: column {column} disagrees with the hashed document"
    for column, k in _EVENT_COLUMNS:
        if doc.get(k) != getattr(e, column):
            yield f"{where}: tampered: column {column} disagrees with the hashed document"
    if doc.get("at") != e.at.isoformat():
        yield f"{where}: tampered: column at disagrees with the hashed document"
    if expected_prev is not None and e.prev_hash != expected_prev:
        yield f"{where}: chain broken: prev_hash is not the hash of the event before it"


def _span(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first}..#{last}"


@dataclass
class _ChainView:
    """What verification saw of one chain: (seq, hash, prev hash, where) in seq order."""

    entries: list[tuple[int, str, str, str]] = field(default_factory=list)


def _case_problems(
    session: Session,
    key: AuditKey,
    case_ids: Sequence[int] | None,
    chains: dict[str, _ChainView],
    registry: JurisdictionRegistry | None,
    report: Report,
) -> None:
    problems = report.problems
    cases_q = select(
        CaseRow.id, CaseRow.version, CaseRow.state, CaseRow.data, CaseRow.county,
        CaseRow.prefecture, CaseRow.province,
    ).order_by(CaseRow.id)  # fmt: skip
    events_q = select(CaseEventRow).order_by(CaseEventRow.case_id, CaseEventRow.seq)
    if case_ids is not None:
        cases_q = cases_q.where(CaseRow.id.in_(case_ids))
        events_q = events_q.where(CaseEventRow.case_id.in_(case_ids))
    cases = {r.id: r for r in session.execute(cases_q)}
    report.counts["cases"] = len(cases)
    if registry is not None:
        for r in cases.values():
            _derived(problems, f"case {r.id}", r.county, r.prefecture, r.province, registry)
    seen: set[int] = set()
    current: int | None = None
    last: CaseEventRow | None = None
    n_events = 0

    def close(case_id: int, tail: CaseEventRow | None) -> None:
        c = cases[case_id]
        version = c.version
        if tail is None:
            problems.append(f"case {case_id}: no events (all {version} missing)")
        elif tail.seq < version:
            gone = (
                f"event {version}"
                if tail.seq + 1 == version
                else (f"events {tail.seq + 1}..{version}")
            )
            problems.append(f"case {case_id}: {gone} missing (the case is at version {version})")
        elif tail.seq > version:
            problems.append(
                f"case {case_id}: the case row's version {version} is behind its events"
            )
        else:
            if tail.to_state != c.state:
                problems.append(
                    f"case {case_id}: the case row's state {c.state} is not its last event's "
                    f"{tail.to_state}"
                )
            expected = (tail.document or {}).get("dataHash")
            digest = ch.legacy_data_hash if tail.key_id is None else ch.digest
            if expected is not None and digest(dict(c.data)) != expected:
                problems.append(
                    f"case {case_id}: the case row's data does not match its last event "
                    f"({_where(tail)}): altered outside the workflow"
                )
            if tail.chain is not None and tail.chain != ch.chain_name(ch.CASES, c.county):
                problems.append(
                    f"case {case_id}: the case row's county {c.county} is not its events' "
                    f"({tail.chain}): altered outside the workflow"
                )

    for e in session.scalars(events_q.execution_options(yield_per=2000)):
        n_events += 1
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
            prev: str | None = ch.GENESIS
        elif last is not None and last.seq == e.seq - 1:
            prev = last.hash
        else:
            prev = None  # the predecessor is missing (reported above)
        problems.extend(_event_problems(e, prev, key))
        if e.chain is not None and e.chain_seq is not None:
            chains.setdefault(e.chain, _ChainView()).entries.append(
                (e.chain_seq, e.hash, e.chain_prev_hash or "", _where(e))
            )
        last = e
    if current is not None and current in cases:
        close(current, last)
    for case_id in sorted(cases.keys() - seen):
        close(case_id, None)
    report.counts["events"] = n_events


def _legacy_global(session: Session, report: Report, seal: Mapping[str, Any] | None) -> None:
    """The old global chain of events written before the key, up to its frozen head and the
    sealed head."""
    q = (
        select(
            CaseEventRow.id, CaseEventRow.case_id, CaseEventRow.seq, CaseEventRow.global_seq,
            CaseEventRow.global_prev_hash, CaseEventRow.hash,
        )
        .where(CaseEventRow.key_id.is_(None))
        .order_by(CaseEventRow.global_seq)
    )  # fmt: skip
    problems = report.problems
    last_seq, last_hash, count = 0, ch.GENESIS, 0
    for event_id, case_id, seq, gseq, gprev, h in session.execute(q):
        count += 1
        where = f"legacy global event #{gseq} (case {case_id} event {seq}, id {event_id})"
        if gseq is None:
            problems.append(f"{where}: no global number (a legacy event must have one)")
            continue
        if gseq > last_seq + 1:
            problems.append(
                f"legacy global chain: events {_span(last_seq + 1, gseq - 1)} missing (deleted, "
                f"possibly with their case), before {where}"
            )
        elif gprev != last_hash:
            problems.append(
                f"{where}: legacy global chain broken: global_prev_hash is not the hash of "
                f"global event #{last_seq}"
            )
        last_seq, last_hash = gseq, h
    head = session.get(CaseAuditHeadRow, 1)
    if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        if head.seq > last_seq:
            problems.append(
                f"legacy global chain: events {_span(last_seq + 1, head.seq)} missing: its head is "
                f"at #{head.seq} but the newest legacy event is #{last_seq}"
            )
        else:
            problems.append(
                f"legacy global chain: its head (#{head.seq}) is not its newest event (#{last_seq})"
            )
    elif head is None and last_seq:
        problems.append(f"legacy global chain: its head is missing (newest event #{last_seq})")
    if seal is not None:
        sealed = seal.get("caseEvents") or {}
        if (sealed.get("globalSeq"), sealed.get("globalHash")) != (last_seq, last_hash) or (
            sealed.get("count") != count
        ):
            problems.append(
                f"legacy events: the seal recorded {sealed.get('count')} events up to global "
                f"#{sealed.get('globalSeq')}; the database now has {count} up to #{last_seq} "
                "with another hash: events before the keyed audit were changed or deleted "
                "after it was sealed"
            )
    elif count:
        problems.append(
            f"legacy events: {count} events from before the keyed audit are not sealed: start "
            "doudi once with its audit key (`doudi db upgrade`) to seal them"
        )
    report.counts["legacy_events"] = count


# -- entries and chains ------------------------------------------------------------------------

_ENTRY_COLUMNS = (("chain", "chain"), ("seq", "seq"), ("user_id", "userId"), ("kind", "kind"))


def _entries(
    session: Session, key: AuditKey, chains: dict[str, _ChainView], report: Report
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Check every entry; returns the payment-run entries' documents and the seal's."""
    runs: list[dict[str, Any]] = []
    seal: dict[str, Any] | None = None
    n = 0
    q = select(AuditEntryRow).order_by(AuditEntryRow.chain, AuditEntryRow.seq)
    for e in session.scalars(q.execution_options(yield_per=2000)):
        n += 1
        doc = e.document or {}
        where = f"{e.chain} entry #{e.seq} (id {e.id}, {e.kind})"
        trusted = True
        if e.key_id != key.id:
            report.problems.append(
                f"{where}: written with another audit key ({e.key_id}, this is {key.id})"
            )
            trusted = False
        elif not _mac_ok(key, doc, e.prev_hash, e.hash):
            report.problems.append(
                f"{where}: tampered: its MAC does not match its content (changed, or re-hashed "
                "without the key)"
            )
            trusted = False
        for column, k in _ENTRY_COLUMNS:
            if doc.get(k) != getattr(e, column):
                report.problems.append(
                    f"{where}: tampered: column {column} disagrees with the hashed document"
                )
        if doc.get("at") != e.at.isoformat() or doc.get("keyId") != e.key_id:
            report.problems.append(f"{where}: tampered: its time or key id disagrees")
        chains.setdefault(e.chain, _ChainView()).entries.append((e.seq, e.hash, e.prev_hash, where))
        if trusted and doc.get("kind") == "payments.run":
            runs.append(doc)
        if trusted and doc.get("kind") == "legacy.seal":
            seal = doc
    report.counts["entries"] = n
    return runs, seal


def _chain_problems(
    session: Session,
    chains: Mapping[str, _ChainView],
    checkpoints: CheckpointRead | None,
    report: Report,
) -> None:
    problems = report.problems
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(select(AuditHeadRow))}
    report.counts["chains"] = len(set(chains) | set(heads))
    by_seq: dict[str, dict[int, str]] = {}
    for name in sorted(set(chains) | set(heads)):
        view = chains.get(name, _ChainView())
        entries = sorted(view.entries)
        by_seq[name] = {s: h for s, h, _, _ in entries}
        last_seq, last_hash = 0, ch.GENESIS
        for seq, h, prev, where in entries:
            if seq > last_seq + 1:
                problems.append(
                    f"chain {name}: entries {_span(last_seq + 1, seq - 1)} missing (deleted), "
                    f"before {where}"
                )
            elif seq <= last_seq:
                problems.append(f"chain {name}: #{seq} appears twice ({where})")
                continue
            elif prev != last_hash:
                problems.append(
                    f"chain {name}: {where}: broken link: it does not follow entry #{last_seq}"
                )
            last_seq, last_hash = seq, h
        head = heads.get(name)
        if head is None:
            if last_seq:
                problems.append(f"chain {name}: its head row is missing (newest entry #{last_seq})")
        elif head[0] > last_seq:
            problems.append(
                f"chain {name}: entries {_span(last_seq + 1, head[0])} missing: its head is at "
                f"#{head[0]} but the newest entry is #{last_seq} (the newest were deleted)"
            )
        elif head[0] < last_seq:
            problems.append(
                f"chain {name}: its head is at #{head[0]} but entries go up to #{last_seq} (the "
                "head was rolled back)"
            )
        elif head[1] != last_hash:
            problems.append(f"chain {name}: its head's hash is not the hash of entry #{last_seq}")
    if checkpoints is None:
        return
    problems.extend(checkpoints.bad)
    for name, (seq, h, at) in sorted(checkpoints.newest.items()):
        have = by_seq.get(name, {})
        newest = max(have, default=0)
        if seq > newest:
            problems.append(
                f"chain {name}: the checkpoint of {at} saw entry #{seq}, the database has "
                + (f"only up to #{newest}" if newest else "none of the chain")
                + f": entries {_span(newest + 1, seq)} were deleted after that checkpoint"
            )
        elif have.get(seq) is None:
            problems.append(
                f"chain {name}: entry #{seq}, seen by the checkpoint of {at}, is missing"
            )
        elif have[seq] != h:
            problems.append(
                f"chain {name}: entry #{seq} is not the one the checkpoint of {at} saw (its hash "
                "differs): replaced after that checkpoint"
            )


# -- records -----------------------------------------------------------------------------------


def _derived(
    problems: list[str],
    what: str,
    county: str,
    prefecture: str | None,
    province: str | None,
    registry: JurisdictionRegistry,
) -> None:
    if county not in registry:
        problems.append(f"{what}: its county {county} is not a known county")
        return
    if registry.prefecture_and_province(county) != (prefecture, province):
        problems.append(
            f"{what}: its prefecture/province ({prefecture}, {province}) do not match its county "
            f"{county}: altered outside doudi (it moves the row out of its jurisdiction's scope)"
        )


def _transition_problems(ref: str, what: str, seen: Sequence[Transition]) -> Iterator[str]:
    for before, after in itertools.pairwise(seen):
        if after.prev != before.digest:
            yield (
                f"{what} ({ref}): {after.chain} #{after.seq} changed it from a state that is not "
                f"the one {before.chain} #{before.seq} left: altered between the two writes"
            )


def _records(
    session: Session,
    runs: Sequence[Mapping[str, Any]],
    seal: Mapping[str, Any] | None,
    registry: JurisdictionRegistry | None,
    report: Report,
) -> None:
    problems = report.problems
    transitions = record_transitions(session)
    limits = {k: int(v.get("maxId", 0)) for k, v in ((seal or {}).get("tables") or {}).items()}
    if seal is None:
        limits = legacy_limits(session)
        if any(v > 0 for v in limits.values()):
            problems.append(
                "legacy records: rows from before the keyed audit are not sealed: start doudi "
                "once with its audit key (`doudi db upgrade`) to seal them"
            )
    run_batches = {(int(r["runId"]), str(r["county"])): r for r in runs}
    present: set[str] = set()
    for rt in RECORD_TABLES:
        top = limits.get(rt.name, 0)
        n = 0
        for row in iter_rows(session, rt.table):
            n += 1
            ref = ch.ref(rt.name, row.id)
            present.add(ref)
            what = f"{rt.what} {row.id}"
            if registry is not None and rt.name in ("household", "payment"):
                _derived(problems, what, row.county, row.prefecture, row.province, registry)
            seen = transitions.get(ref, [])
            current = rt.digest(row)
            problems.extend(_transition_problems(ref, what, seen))
            if seen:
                if seen[-1].digest != current:
                    problems.append(
                        f"{what}: changed outside doudi: it is not as {seen[-1].chain} "
                        f"#{seen[-1].seq} last wrote it"
                    )
                if seen[0].prev is None:
                    continue  # created by that entry
            if row.id <= top:
                continue  # covered by the seal's aggregate (checked below)
            if rt.name == "payment" and (row.run_id, row.county) in run_batches:
                continue  # covered by its run's aggregate (checked below)
            problems.append(
                f"{what}: not in the audit chain: written outside doudi (no entry created it)"
            )
        report.counts[rt.name + "s"] = n
        if seal is not None and rt.name in (seal.get("tables") or {}):
            _check_batch(
                problems,
                f"the legacy seal's {rt.what} rows (ids up to {top})",
                seal["tables"][rt.name],
                list(origin_digests(session, rt, transitions, rt.table.c.id <= top)),
            )
    for ref, seen in sorted(transitions.items()):
        if ref not in present:
            problems.append(
                f"{ref.replace(':', ' ')}: deleted: {seen[-1].chain} #{seen[-1].seq} wrote it, "
                "the row is gone"
            )
    payments = next(rt for rt in RECORD_TABLES if rt.name == "payment")
    _run_batches(session, payments, run_batches, transitions, problems)


def _check_batch(
    problems: list[str], what: str, recorded: Mapping[str, Any], members: list[tuple[int, str]]
) -> None:
    if recorded.get("count") != len(members):
        problems.append(
            f"{what}: {len(members)} now, {recorded.get('count')} when recorded: rows were "
            "deleted or added outside doudi"
        )
    elif recorded.get("digest") != ch.aggregate(members):
        problems.append(f"{what}: changed outside doudi since recorded (the aggregate differs)")


def _run_batches(
    session: Session,
    payments: RecordTable,
    runs: Mapping[tuple[int, str], Mapping[str, Any]],
    transitions: Mapping[str, Sequence[Transition]],
    problems: list[str],
) -> None:
    members: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    wanted = {k for k in runs}
    for row in iter_rows(session, payments.table):
        k = (row.run_id, row.county)
        if k not in wanted:
            continue
        seen = transitions.get(ch.ref("payment", row.id))
        origin = seen[0].prev if seen and seen[0].prev is not None else payments.digest(row)
        members[k].append((row.case_id, origin))
    for (run_id, county), doc in sorted(runs.items()):
        got = sorted(members.get((run_id, county), []))
        _check_batch(
            problems,
            f"payments of run {run_id} at {county} ({doc.get('month')})",
            doc,
            got,
        )


# -- everything --------------------------------------------------------------------------------


def verify(
    session: Session,
    *,
    case_ids: Sequence[int] | None = None,
    checkpoints: CheckpointRead | None = None,
    registry: JurisdictionRegistry | None = None,
    key: AuditKey | None = None,
) -> Report:
    """Every problem in the audit trail (see the module's docstring). With ``case_ids``, only
    those cases' events and rows are checked (no chains, records or checkpoints)."""
    key = key or auditor_of(session).key
    report = Report()
    chains: dict[str, _ChainView] = {}
    with reading(session):
        _case_problems(session, key, case_ids, chains, registry, report)
        if case_ids is not None:
            return report
        runs, seal = _entries(session, key, chains, report)
        _legacy_global(session, report, seal)
        _chain_problems(session, chains, checkpoints, report)
        _records(session, runs, seal, registry, report)
        _notes(session, report, checkpoints, seal)
    return report


def _notes(
    session: Session,
    report: Report,
    checkpoints: CheckpointRead | None,
    seal: Mapping[str, Any] | None,
) -> None:
    if checkpoints is None:
        report.notes.append("checkpoints: not read (deletions of the newest entries undetectable)")
    elif not checkpoints.exists:
        report.notes.append(
            f"checkpoints: no log at {checkpoints.path}: the newest entries of a chain, a whole "
            "case or everything could be deleted undetected"
        )
    else:
        report.notes.append(
            f"checkpoints: {checkpoints.lines} lines in {checkpoints.path}, the newest of "
            f"{checkpoints.last_at}, covering {len(checkpoints.newest)} chains"
        )
    if seal is not None:
        report.notes.append(f"legacy data sealed on {seal.get('at')}")
    _ = session


__all__ = ["LIMITS", "Report", "verify"]
