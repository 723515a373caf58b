"""Cases in the database, on SQLite and PostgreSQL: optimistic concurrency, the hash-chained
audit trail (tampering and deletion detected), migrations matching the models."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, func, inspect, select, update

import core.cases.store as store
from core.access.roles import User
from core.access.tokens import create_user
from core.audit import chain as ch
from core.audit.store import auditor_of
from core.cases import CaseForbidden, CaseState, DuplicateCase, VersionConflict, WrongLevel
from core.households.store import create_household
from core.storage.engine import current_revision, head_revision, make_engine, upgrade
from core.storage.tables import AuditHeadRow, Base, CaseEventRow, CaseRow
from tests.support.households import household_doc, id_number
from tests.support.standards import with_example_standards

YUNNAN = "530102"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)


@pytest.fixture(scope="module")
def base(base):
    """With example standards: every confirmation is evaluated by the eligibility engine."""
    return with_example_standards(base)


def make_user(db: Any, registry: Any, role: str, name: str) -> User:
    with db.sessions() as s:
        u, _ = create_user(s, name, role, YUNNAN, registry)
    return u


@pytest.fixture
def world(db, registry):
    clerk = make_user(db, registry, "village_clerk", "clerk")
    officers = [make_user(db, registry, "township_officer", f"officer{i}") for i in range(4)]
    approver = make_user(db, registry, "county_approver", "approver")
    with db.sessions() as s:
        h = create_household(
            s,
            clerk,
            household_doc(
                YUNNAN, (id_number(YUNNAN, 1), "张三", "head"), propertyWithinLocalRules=True
            ),
            registry,
        )
    return {
        "clerk": clerk,
        "officers": officers,
        "approver": approver,
        "household": h.id,
        "registry": registry,
        "seq": itertools.count(10),
    }


def new_household(db, world) -> int:
    """Another household (a household has one open case of a program at a time)."""
    n = next(world["seq"])
    doc = household_doc(
        YUNNAN, (id_number(YUNNAN, n), "李四", "head"), propertyWithinLocalRules=True
    )
    with db.sessions() as s:
        return create_household(s, world["clerk"], doc, world["registry"]).id


def count(db, model) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def new_case(db, base, world, household: int | None = None) -> int:
    hid = new_household(db, world) if household is None else household
    with db.sessions() as s:
        case, event = store.open_case(
            s, base, world["officers"][0], DAY0, household_id=hid, program="dibao"
        )
    assert case.id > 0 and case.version == 1 and event.seq == 1 and event.prev_hash == ""
    return case.id


def step(db, base, case_id: int, version: int, action: str, actor: User, on=DAY0, **kw):
    with db.sessions() as s:
        return store.apply_transition(s, base, case_id, version, action, actor, on, **kw)


def run_to_active(db, base, world) -> int:
    officer = world["officers"][0]
    cid = new_case(db, base, world)
    step(db, base, cid, 1, "record_investigation", officer, investigators=["甲", "乙"])
    step(db, base, cid, 2, "record_first_review", officer)
    step(db, base, cid, 3, "start_publicity", officer)
    case, _ = step(db, base, cid, 4, "confirm_case", officer, AFTER)
    assert case.state is CaseState.ACTIVE and case.version == 5
    return cid


# -- migrations ----------------------------------------------------------------------------------


def test_migrations_from_empty_create_the_case_tables_matching_the_models(db_url):
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(ctx, Base.metadata) == []
            assert {"cases", "case_events", "case_audit_head"} <= set(
                inspect(conn).get_table_names()
            )
    finally:
        engine.dispose()


# -- transitions and events ----------------------------------------------------------------------


def test_transitions_are_stored_with_chained_events(db, base, world):
    cid = run_to_active(db, base, world)
    with db.sessions() as s:
        case = store.get_case(s, cid)
        events = store.list_events(s, cid)
        assert store.verify_audit_chain(s) == []
    assert case.state is CaseState.ACTIVE and case.data["benefitFrom"] == "2023-10-01"
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.to_state for e in events] == [
        "accepted",
        "investigated",
        "first_reviewed",
        "in_publicity",
        "active",
    ]
    for prev, e in itertools.pairwise(events):
        assert e.prev_hash == prev.hash
        assert e.hash == store.event_hash(_key(db).secret, e.document, e.prev_hash)
    last = events[-1].document
    assert last["actor"]["name"] == "officer0" and last["fromState"] == "in_publicity"
    level = next(p for p in last["policy"] if p["path"] == "dibao.approval.confirming_level")
    assert level["value"] == "township" and level["layer"]["origin"] == "yunnan"


def test_a_refused_step_writes_nothing(db, base, world):
    cid = new_case(db, base, world)
    with pytest.raises(WrongLevel):
        step(db, base, cid, 1, "record_investigation", world["clerk"], investigators=["a", "b"])
    with db.sessions() as s:
        assert store.get_case(s, cid).version == 1
    assert count(db, CaseEventRow) == 1


def test_stale_expected_version_is_a_conflict_and_nothing_is_written(db, base, world):
    cid = new_case(db, base, world)
    a, b = world["officers"][:2]
    with db.sessions() as s1, db.sessions() as s2:
        seen_by_a = store.get_case(s1, cid).version
        seen_by_b = store.get_case(s2, cid).version
        store.apply_transition(
            s2, base, cid, seen_by_b, "record_investigation", b, DAY0, investigators=["甲", "乙"]
        )
        with pytest.raises(VersionConflict) as e:
            store.apply_transition(
                s1,
                base,
                cid,
                seen_by_a,
                "record_investigation",
                a,
                DAY0,
                investigators=["丙", "丁"],
            )
    assert e.value.code == "VERSION_CONFLICT"
    with db.sessions() as s:
        events = store.list_events(s, cid)
        assert store.get_case(s, cid).version == 2
        assert store.verify_audit_chain(s) == []
    assert [e.document["inputs"]["investigators"] for e in events[1:]] == [["乙", "甲"]]


def test_concurrent_officials_exactly_one_wins(db, base, world, monkeypatch):
    """Four officials act on the same case at once. On PostgreSQL all of them read version 1
    before any writes (a barrier after the step is computed), so the conditional UPDATE decides;
    SQLite serialises write units and the others read the new version."""
    cid = new_case(db, base, world)
    n = len(world["officers"])
    start = threading.Barrier(n, timeout=30)
    if db.backend == "postgresql":
        computed = threading.Barrier(n, timeout=30)
        original = store.ACTIONS["record_investigation"]

        def compute_then_wait(*args, **kw):
            out = original(*args, **kw)
            computed.wait()
            return out

        monkeypatch.setitem(store.ACTIONS, "record_investigation", compute_then_wait)

    results: list[object] = []
    lock = threading.Lock()

    def act(officer: User) -> None:
        start.wait()
        try:
            with db.sessions() as s:
                r: object = store.apply_transition(
                    s, base, cid, 1, "record_investigation", officer, DAY0,
                    investigators=[officer.name, "村干部"],
                )  # fmt: skip
        except Exception as exc:  # collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=act, args=(o,)) for o in world["officers"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, VersionConflict)]
    assert len(wins) == 1 and len(conflicts) == n - 1, results
    with db.sessions() as s:
        assert store.get_case(s, cid).version == 2
        assert len(store.list_events(s, cid)) == 2
        assert store.verify_audit_chain(s) == []


# -- the audit chain -----------------------------------------------------------------------------
#
# More tampering (forged MACs, whole-case deletion against checkpoints, households, payments and
# local settings changed behind the chain) is in tests/audit.

CHAIN = f"cases:{YUNNAN}"


def _key(db):
    with db.sessions() as s:
        return auditor_of(s).key


def test_tampered_event_is_detected(db, base, world):
    cid = run_to_active(db, base, world)
    other = run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        row = s.scalar(
            select(CaseEventRow).where(CaseEventRow.case_id == cid, CaseEventRow.seq == 2)
        )
        doc = dict(row.document)
        doc["inputs"] = {**doc["inputs"], "investigators": ["甲"]}  # a visit by one person
        s.execute(update(CaseEventRow).where(CaseEventRow.id == row.id).values(document=doc))
        s.execute(
            update(CaseEventRow)
            .where(CaseEventRow.case_id == other, CaseEventRow.seq == 3)
            .values(to_state="active")
        )
    with db.sessions() as s:
        problems = store.verify_audit_chain(s)
    assert any(f"case {cid} event 2" in p and "MAC does not match" in p for p in problems)
    assert any(f"case {other} event 3" in p and "to_state" in p for p in problems)
    assert len(problems) == 2, problems


def test_rehashed_tampering_without_the_key_is_detected(db, base, world):
    """Recomputing the tampered event's hash (plain SHA-256, as before the keyed audit, or an
    HMAC under a guessed key) does not make a valid MAC, and the next event's link breaks."""
    cid = run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        row = s.scalar(
            select(CaseEventRow).where(CaseEventRow.case_id == cid, CaseEventRow.seq == 2)
        )
        doc = {**row.document, "reasons": ["edited"]}
        s.execute(
            update(CaseEventRow)
            .where(CaseEventRow.id == row.id)
            .values(document=doc, hash=ch.legacy_hash(doc, row.prev_hash))
        )
    with db.sessions() as s:
        problems = store.verify_audit_chain(s)
    second, third = _event_id(db, cid, 2), _event_id(db, cid, 3)
    assert problems == [
        f"case {cid} event 2 (id {second}): tampered: its MAC does not match its content "
        "(changed, or re-hashed without the key)",
        f"case {cid} event 3 (id {third}): chain broken: prev_hash is not the hash of the event "
        "before it",
        f"chain {CHAIN}: case {cid} event 3 (id {third}): broken link: it does not follow entry #2",
    ]


def _event_id(db, case_id: int, seq: int) -> int:
    with db.sessions() as s:
        return int(
            s.scalar(
                select(CaseEventRow.id).where(
                    CaseEventRow.case_id == case_id, CaseEventRow.seq == seq
                )
            )
        )


def test_deleted_events_are_detected(db, base, world):
    middle = run_to_active(db, base, world)
    tail = run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == middle, CaseEventRow.seq == 3))
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == tail, CaseEventRow.seq == 5))
    with db.sessions() as s:
        problems = store.verify_audit_chain(s)
        assert store.verify_audit_chain(s, [middle]) == [f"case {middle}: event 3 missing"]
    assert f"case {middle}: event 3 missing" in problems
    assert f"case {tail}: event 5 missing (the case is at version 5)" in problems
    # middle's event 3 is the county's #3; tail's event 5 is the newest, #10
    assert any(p.startswith(f"chain {CHAIN}: entries #3 missing") for p in problems), problems
    assert (
        f"chain {CHAIN}: entries #10 missing: its head is at #10 but the newest entry is #9 "
        "(the newest were deleted)"
    ) in problems
    assert len(problems) == 4, problems


def test_case_row_altered_behind_the_events_is_detected(db, base, world):
    cid = run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        s.execute(update(CaseRow).where(CaseRow.id == cid).values(state="exited"))
    with db.sessions() as s:
        assert store.verify_audit_chain(s) == [
            f"case {cid}: the case row's state exited is not its last event's active"
        ]


def _chain_seqs(db, case_id: int) -> list[int]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(CaseEventRow.chain_seq)
                .where(CaseEventRow.case_id == case_id)
                .order_by(CaseEventRow.seq)
            )
        )


def test_events_carry_their_county_chain_and_the_head_follows(db, base, world):
    first = run_to_active(db, base, world)
    second = run_to_active(db, base, world)
    assert _chain_seqs(db, first) == [1, 2, 3, 4, 5]
    assert _chain_seqs(db, second) == [6, 7, 8, 9, 10]
    key = _key(db)
    with db.sessions() as s:
        events = store.list_events(s, first) + store.list_events(s, second)
        head = s.get(AuditHeadRow, CHAIN)
        assert (head.seq, head.hash) == (10, events[-1].hash)
        # no legacy global chain for new events
        assert s.scalar(select(func.count()).where(CaseEventRow.global_seq.is_not(None))) == 0
    assert events[0].chain_prev_hash == "" and {e.chain for e in events} == {CHAIN}
    for prev, e in itertools.pairwise(events):
        assert e.chain_prev_hash == prev.hash and e.document["chainPrevHash"] == prev.hash
        assert e.document["chainSeq"] == e.chain_seq and e.key_id == key.id
        if e.case_id == prev.case_id:
            assert e.prev_hash == prev.hash
        assert e.hash == store.event_hash(key.secret, e.document, e.prev_hash)


def test_a_case_deleted_with_all_its_events_is_detected(db, base, world):
    first = run_to_active(db, base, world)
    gone = run_to_active(db, base, world)
    run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == gone))
        s.execute(delete(CaseRow).where(CaseRow.id == gone))
    with db.sessions() as s:
        problems = store.verify_audit_chain(s)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"chain {CHAIN}: entries #6..#10 missing (deleted)"), problems
    with db.sessions() as s:
        assert store.verify_audit_chain(s, [first]) == []


def test_the_newest_events_deleted_with_the_case_row_rolled_back_is_detected(db, base, world):
    """The last event deleted and the case row put back exactly as it was before it: the case's
    own chain is consistent again, its county chain's head is not."""
    run_to_active(db, base, world)
    officer = world["officers"][0]
    cid = new_case(db, base, world)
    step(db, base, cid, 1, "record_investigation", officer, investigators=["甲", "乙"])
    step(db, base, cid, 2, "record_first_review", officer)
    at4, _ = step(db, base, cid, 3, "start_publicity", officer)
    step(db, base, cid, 4, "confirm_case", officer, AFTER)
    with db.sessions() as s, s.begin():
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == cid, CaseEventRow.seq == 5))
        s.execute(
            update(CaseRow)
            .where(CaseRow.id == cid)
            .values(version=at4.version, state=at4.state.value, data=dict(at4.data))
        )
    with db.sessions() as s:
        assert store.verify_audit_chain(s, [cid]) == []  # the per-case chain alone cannot tell
        assert store.verify_audit_chain(s) == [
            f"chain {CHAIN}: entries #10 missing: its head is at #10 but the newest entry is #9 "
            "(the newest were deleted)"
        ]


def test_case_data_changed_behind_the_events_is_detected(db, base, world):
    cid = run_to_active(db, base, world)
    with db.sessions() as s, s.begin():
        data = dict(s.scalar(select(CaseRow.data).where(CaseRow.id == cid)))
        data["amount"] = 99999
        s.execute(update(CaseRow).where(CaseRow.id == cid).values(data=data))
    with db.sessions() as s:
        assert store.verify_audit_chain(s) == [
            f"case {cid}: the case row's data does not match its last event "
            f"(case {cid} event 5 (id {_event_id(db, cid, 5)})): altered outside the workflow"
        ]


def test_concurrent_writers_on_many_cases_leave_a_clean_county_chain(db, base, world):
    """Officials advance different cases of one county at once: every event gets its own number
    in the county's chain, the links hold and the head is the newest event."""
    officers = world["officers"]
    cids = [new_case(db, base, world) for _ in officers]
    start = threading.Barrier(len(officers), timeout=30)
    errors: list[BaseException] = []

    def work(officer: User, cid: int) -> None:
        start.wait()
        try:
            step(db, base, cid, 1, "record_investigation", officer, investigators=["甲", "乙"])
            step(db, base, cid, 2, "record_first_review", officer)
            step(db, base, cid, 3, "start_publicity", officer)
        except BaseException as exc:  # checked below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=a) for a in zip(officers, cids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    n = 4 * len(officers)
    with db.sessions() as s:
        assert store.verify_audit_chain(s) == []
        seqs = sorted(s.scalars(select(CaseEventRow.chain_seq)))
        head = s.get(AuditHeadRow, CHAIN)
    assert seqs == list(range(1, n + 1)) and head.seq == n


# -- one open case per household and program ------------------------------------------------------


def test_a_second_open_application_of_the_same_program_is_refused(db, base, world):
    hid = world["household"]
    cid = new_case(db, base, world, hid)
    officer = world["officers"][0]
    with db.sessions() as s, pytest.raises(DuplicateCase) as e:
        store.open_case(s, base, officer, DAY0, household_id=hid, program="dibao")
    assert (e.value.code, e.value.field) == ("DUPLICATE_CASE", "program")
    assert count(db, CaseRow) == 1 and count(db, CaseEventRow) == 1
    with db.sessions() as s:  # another program is another case
        store.open_case(s, base, officer, DAY0, household_id=hid, program="tekun")
    step(db, base, cid, 1, "reject_case", officer, reasons=["撤回申请"])  # closed: apply again
    assert new_case(db, base, world, hid) > cid


def test_concurrent_applications_for_one_household_only_one_is_accepted(db, base, world):
    hid = world["household"]
    officers = world["officers"]
    start = threading.Barrier(len(officers), timeout=30)
    results: list[object] = []
    lock = threading.Lock()

    def apply(officer: User) -> None:
        start.wait()
        try:
            with db.sessions() as s:
                r: object = store.open_case(
                    s, base, officer, DAY0, household_id=hid, program="dibao"
                )
        except Exception as exc:  # collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=apply, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [r for r in results if isinstance(r, tuple)]
    dups = [r for r in results if isinstance(r, DuplicateCase)]
    assert len(wins) == 1 and len(dups) == len(officers) - 1, results
    assert count(db, CaseRow) == 1


def test_an_outsider_is_forbidden_before_the_version_is_checked(db, base, world, registry):
    cid = new_case(db, base, world)
    with db.sessions() as s:
        outsider, _ = create_user(s, "外县", "township_officer", "530103", registry)
    with pytest.raises(CaseForbidden):  # not VERSION_CONFLICT: the version is not revealed
        step(db, base, cid, 99, "record_investigation", outsider, investigators=["a", "b"])
