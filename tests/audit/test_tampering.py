"""Issue 11: the audit chain against someone who can write the database, on SQLite and
PostgreSQL. Each test writes through the stores, then tampers with the tables directly as such a
person would (SQL, no key), and checks that ``verify`` names what was done.

The reproducers from the issue: "recomputing the plain SHA-256 hashes forges history
undetected; deleting the newest case whole, or everything, verifies as intact; households,
payments and local settings are not in the chain at all."
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pytest
from sqlalchemy import delete, insert, select, update

import core.audit.chain as ch
from core.audit.checkpoints import CheckpointLog, read_checkpoints
from core.audit.store import Checkpointer, auditor_of
from core.audit.verify import LIMITS, verify
from core.storage.tables import (
    AuditEntryRow,
    AuditHeadRow,
    AuditLegacyRow,
    CaseAuditHeadRow,
    CaseEventRow,
    CaseRow,
    DecisionRow,
    HouseholdRow,
    LocalSettingAuditRow,
    LocalSettingRow,
    MemberRow,
    PaymentResultRow,
    PaymentRow,
    PaymentRunRow,
)
from tests.support.audit_scene import PANLONG, WUHUA, Scene
from tests.support.standards import with_example_standards


@pytest.fixture(scope="module")
def example(base):
    return with_example_standards(base)


@pytest.fixture
def scene(db, example):
    return Scene(db, example)


@pytest.fixture
def checkpoints(db, tmp_path):
    """A checkpoint log in tmp and a writer over the test database (what a runtime does)."""
    path = tmp_path / "checkpoints.jsonl"
    with db.sessions() as s:
        key = auditor_of(s).key
    writer = Checkpointer(db.sessions, CheckpointLog(path, key), 60)

    class Log:
        def write(self) -> None:
            writer.flush(everything=True)

        def read(self):
            return read_checkpoints(path, key)

    yield Log()
    writer.log.close()


def problems(db, checkpoints=None) -> list[str]:
    with db.sessions() as s:
        return verify(s, checkpoints=None if checkpoints is None else checkpoints.read(),
                      registry=None).problems  # fmt: skip


def key_of(db):
    with db.sessions() as s:
        return auditor_of(s).key


# -- everything intact -------------------------------------------------------------------------


def test_a_world_written_through_the_stores_verifies(db, scene, checkpoints, registry):
    scene.active()
    scene.active(PANLONG)
    scene.standard()
    report = scene.run_payments()
    assert report.created == 2
    with db.sessions() as s:
        pid = s.scalar(select(PaymentRow.id).where(PaymentRow.county == WUHUA))
    scene.result(pid)
    checkpoints.write()
    with db.sessions() as s:
        r = verify(s, checkpoints=checkpoints.read(), registry=registry)
        chains = {c for (c,) in s.execute(select(AuditHeadRow.chain))}
    assert r.problems == []
    assert chains == {
        f"cases:{WUHUA}", f"cases:{PANLONG}", f"households:{WUHUA}", f"households:{PANLONG}",
        f"payments:{WUHUA}", f"payments:{PANLONG}", f"settings:{WUHUA}",
    }  # fmt: skip
    assert r.counts["events"] == 10 and r.counts["entries"] == 6


# -- case events -------------------------------------------------------------------------------


def test_forged_hashes_recomputed_without_the_key_are_caught(db, scene):
    """The issue's first reproducer: change an event and recompute its hash (plain SHA-256 as
    the old chain used, or an HMAC under a guessed key) and every following link."""
    cid = scene.active()
    with db.sessions() as s, s.begin():
        events = list(
            s.scalars(select(CaseEventRow).where(CaseEventRow.case_id == cid).order_by("seq"))
        )
        guess = secrets.token_bytes(32)
        prev = events[1].prev_hash
        for e in events[1:]:  # rewrite event 2 and re-link everything after it
            doc = {**e.document, "chainPrevHash": prev if e is not events[1] else e.chain_prev_hash}
            if e is events[1]:
                doc["inputs"] = {**doc["inputs"], "investigators": ["甲"]}  # one investigator
            forged = hmac.new(guess, (ch.canonical(doc) + prev).encode(), hashlib.sha256)
            s.execute(
                update(CaseEventRow)
                .where(CaseEventRow.id == e.id)
                .values(document=doc, prev_hash=prev, chain_prev_hash=doc["chainPrevHash"],
                        hash=forged.hexdigest())
            )  # fmt: skip
            prev = forged.hexdigest()
        s.execute(update(AuditHeadRow).where(AuditHeadRow.chain == f"cases:{WUHUA}")
                  .values(hash=prev))  # fmt: skip
    found = problems(db)
    assert len(found) == 4, found
    assert all("tampered: its MAC does not match its content" in p for p in found)
    assert [p.split(":")[0] for p in found] == [
        f"case {cid} event {n} (id {events[n - 1].id})" for n in (2, 3, 4, 5)
    ]


def test_whole_case_deleted_with_its_chain_head_rolled_back_is_caught_by_the_checkpoint(
    db, scene, checkpoints
):
    """The issue: "deleting the newest case whole ... verifies as intact". The deleter also puts
    the county chain's head back, so the database alone is consistent again; the checkpoint
    written before (outside the database) still names the deleted events."""
    scene.active()
    gone = scene.active()
    checkpoints.write()
    with db.sessions() as s, s.begin():
        keep = s.scalar(
            select(CaseEventRow).where(
                CaseEventRow.chain_seq == 5, CaseEventRow.chain.like("cases:%")
            )
        )
        hid = s.scalar(select(CaseRow.household_id).where(CaseRow.id == gone))
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == gone))
        s.execute(delete(CaseRow).where(CaseRow.id == gone))
        s.execute(update(AuditHeadRow).where(AuditHeadRow.chain == f"cases:{WUHUA}")
                  .values(seq=5, hash=keep.hash))  # fmt: skip
    assert hid is not None
    assert problems(db) == []  # the limit: without a checkpoint nothing shows
    found = problems(db, checkpoints)
    assert len(found) == 1, found
    assert found[0].startswith(f"chain cases:{WUHUA}: the checkpoint of ")
    assert found[0].endswith(
        "saw entry #10, the database has only up to #5: entries #6..#10 were deleted after that "
        "checkpoint"
    )


def test_deleting_the_newest_events_is_caught_by_the_head_and_by_the_checkpoint(
    db, scene, checkpoints
):
    cid = scene.active()
    checkpoints.write()
    with db.sessions() as s, s.begin():
        s.execute(delete(CaseEventRow).where(CaseEventRow.case_id == cid, CaseEventRow.seq >= 4))
    found = problems(db, checkpoints)
    assert f"case {cid}: events 4..5 missing (the case is at version 5)" in found
    assert (
        f"chain cases:{WUHUA}: entries #4..#5 missing: its head is at #5 but the newest entry is "
        "#3 (the newest were deleted)"
    ) in found
    assert any("saw entry #5, the database has only up to #3" in p for p in found), found


def test_deleting_everything_is_caught_by_the_checkpoint(db, scene, checkpoints):
    """The issue: "deleting ... everything verifies as intact"."""
    scene.active()
    scene.standard()
    scene.run_payments()
    checkpoints.write()
    with db.sessions() as s, s.begin():
        for table in (
            PaymentResultRow, PaymentRow, PaymentRunRow, CaseEventRow, CaseRow, DecisionRow,
            MemberRow, HouseholdRow, LocalSettingAuditRow, LocalSettingRow, AuditEntryRow,
            AuditHeadRow, AuditLegacyRow, CaseAuditHeadRow,
        ):  # fmt: skip
            s.execute(delete(table))
    assert problems(db) == []  # an empty database is consistent: only the checkpoint can tell
    found = problems(db, checkpoints)
    chains = [f"cases:{WUHUA}", f"households:{WUHUA}", f"payments:{WUHUA}", f"settings:{WUHUA}"]
    assert len(found) == 4, found
    for chain, p in zip(chains, sorted(found), strict=True):
        assert p.startswith(f"chain {chain}: the checkpoint of ") and "none of the chain" in p


# -- households, payments, local settings -----------------------------------------------------


def test_a_household_changed_behind_the_chain_is_caught(db, scene):
    """The issue: "households ... are not in the chain at all". A lower income makes a
    household eligible for more; the row's version is bumped as the ORM would."""
    scene.active()
    hid = scene.household()
    with db.sessions() as s, s.begin():
        row = s.get(HouseholdRow, hid)
        doc = dict(row.document)
        doc["income"] = [{**doc["income"][0], "monthlyAmount": 1.0}]
        s.execute(update(HouseholdRow).where(HouseholdRow.id == hid)
                  .values(document=doc, version=row.version + 1))  # fmt: skip
    assert problems(db) == [
        f"household {hid}: changed outside doudi: it is not as households:{WUHUA} #2 last wrote it"
    ]


def test_a_household_inserted_behind_the_chain_is_caught(db, scene):
    hid = scene.household()
    with db.sessions() as s, s.begin():
        row = s.get(HouseholdRow, hid)
        new = s.execute(
            insert(HouseholdRow).values(
                county=row.county, prefecture=row.prefecture, province=row.province,
                document=row.document, version=1, created_at=row.created_at,
                updated_at=row.updated_at,
            ).returning(HouseholdRow.id)
        ).scalar_one()  # fmt: skip
    assert problems(db) == [
        f"household {new}: not in the audit chain: written outside doudi (no entry created it)"
    ]


def test_a_payment_changed_deleted_or_added_behind_the_chain_is_caught(db, scene):
    """The issue: "payments ... are not in the chain at all". Paying more, into another
    account, deleting one, adding one."""
    for _ in range(3):
        scene.active()
    run = scene.run_payments().run_id
    with db.sessions() as s:
        p1, p2, p3 = s.scalars(select(PaymentRow.id).order_by(PaymentRow.id))
    scene.result(p3)  # p3 also has a result: its digest moved on
    with db.sessions() as s, s.begin():
        s.execute(update(PaymentRow).where(PaymentRow.id == p1).values(amount_fen=999_900))
        s.execute(update(PaymentRow).where(PaymentRow.id == p3)
                  .values(account_number="6228000000000009999"))  # fmt: skip
        s.execute(delete(PaymentRow).where(PaymentRow.id == p2))
    found = problems(db)
    assert (
        f"payment {p3}: changed outside doudi: it is not as payments:{WUHUA} #2 last wrote it"
        in (found)
    )
    assert (
        f"payments of run {run} at {WUHUA} (2024-03): 2 now, 3 when recorded: rows were deleted "
        "or added outside doudi"
    ) in found
    assert len(found) == 2, found  # p1's change hides in the run's aggregate, already wrong
    with db.sessions() as s, s.begin():
        rid = s.scalar(select(PaymentResultRow.id))
        s.execute(delete(PaymentResultRow))
    assert (
        f"payment_result {rid}: deleted: payments:{WUHUA} #2 wrote it, the row is gone"
    ) in problems(db)


def test_a_changed_payment_amount_alone_is_caught(db, scene):
    scene.active()
    scene.active()
    run = scene.run_payments().run_id
    with db.sessions() as s, s.begin():
        first = s.scalar(select(PaymentRow.id).order_by(PaymentRow.id))
        s.execute(update(PaymentRow).where(PaymentRow.id == first).values(amount_fen=999_900))
    assert problems(db) == [
        f"payments of run {run} at {WUHUA} (2024-03): changed outside doudi since recorded (the "
        "aggregate differs)"
    ]


def test_a_local_setting_changed_behind_the_chain_is_caught(db, scene):
    """The issue: "local settings are not in the chain at all": a standard raised by SQL."""
    scene.standard(780)
    with db.sessions() as s, s.begin():
        sid = s.scalar(select(LocalSettingRow.id))
        aid = s.scalar(select(LocalSettingAuditRow.id))
        s.execute(update(LocalSettingRow).values(value=9000))
        s.execute(update(LocalSettingAuditRow).values(new_value=9000))
    assert problems(db) == [
        f"local setting {sid}: changed outside doudi: it is not as settings:{WUHUA} #1 last "
        "wrote it",
        f"local-setting audit row {aid}: changed outside doudi: it is not as settings:{WUHUA} #1 "
        "last wrote it",
    ]


def test_an_entry_rewritten_without_the_key_is_caught(db, scene):
    """Rewriting a household's entry to match a changed row needs the key."""
    hid = scene.household()
    with db.sessions() as s, s.begin():
        row = s.get(HouseholdRow, hid)
        doc = {**row.document, "notes": "改过"}
        s.execute(update(HouseholdRow).where(HouseholdRow.id == hid).values(document=doc))
        entry = s.scalar(select(AuditEntryRow))
        new_digest = ch.household_digest(row.county, row.version, doc)
        edoc = {**entry.document, "records": [[f"household:{hid}", None, new_digest]]}
        s.execute(update(AuditEntryRow).where(AuditEntryRow.id == entry.id).values(
            document=edoc, hash=ch.legacy_hash(edoc, entry.prev_hash)))  # fmt: skip
    found = problems(db)
    assert found[0] == (
        f"households:{WUHUA} entry #1 (id {entry.id}, household.created): tampered: its MAC does "
        "not match its content (changed, or re-hashed without the key)"
    )
    assert found[1:] == [f"chain households:{WUHUA}: its head's hash is not the hash of entry #1"]


# -- what it cannot catch ----------------------------------------------------------------------


def test_with_the_key_history_can_be_rewritten_as_the_limits_say(db, scene):
    """The first limit, shown: whoever holds the key recomputes a valid MAC."""
    assert LIMITS[0].startswith("tampering by someone holding the audit key")
    cid = scene.opened()
    key = key_of(db)
    with db.sessions() as s, s.begin():
        e = s.scalar(select(CaseEventRow).where(CaseEventRow.case_id == cid))
        doc = {**e.document, "reasons": ["rewritten"]}
        h = ch.mac(key.secret, doc, e.prev_hash)
        s.execute(update(CaseEventRow).where(CaseEventRow.id == e.id).values(document=doc, hash=h))
        s.execute(update(AuditHeadRow).where(AuditHeadRow.chain == e.chain).values(hash=h))
    assert problems(db) == []


def test_a_database_verified_with_another_key_says_so(db, scene, monkeypatch, tmp_path):
    cid = scene.opened()
    from core.audit.keys import AuditKey

    other = AuditKey.of(secrets.token_bytes(32), "test")
    with db.sessions() as s:
        found = verify(s, key=other).problems
    assert found and found[0].startswith(f"case {cid} event 1 ")
    assert "written with another audit key" in found[0]
