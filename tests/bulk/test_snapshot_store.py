"""Snapshots from SQLite and PostgreSQL: every stored household, member, item and case exported
exactly (money to the fen, the birth date from the ID number, the member each item belongs to),
one point in time (a write during the export is not in it), bounded batches, and a failure
half-way leaves no snapshot and a usable database."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

import core.bulk.service as service
from core.access.roles import Forbidden
from core.bulk.snapshot import SnapshotError, list_snapshots, open_snapshot
from core.bulk.snapshot_store import export_snapshot
from core.households.model import parse_household
from tests.support.bulk_world import YUNNAN, BulkWorld
from tests.support.standards import with_example_standards

AS_OF = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


@pytest.fixture
def w(db, base) -> BulkWorld:
    return BulkWorld(db, base)


def _varied(w: BulkWorld, n: int) -> list[int]:
    ids = []
    for k in range(n):
        doc = w.doc(wages=1000 + k * 0.37, size=1 + k % 4, prop=(True, None, False)[k % 3])
        numbers = [m["idNumber"] for m in doc["members"]]
        doc["income"].append({"kind": "pension", "monthlyAmount": 0.01 * k, "member": None})
        doc["expenses"] = [
            {"kind": "medical", "monthlyAmount": 12.34 + k, "member": numbers[-1]},
            {"kind": "education", "monthlyAmount": 9999999.99, "member": None},
        ]
        doc["members"][-1]["disability"] = {"kind": "visual", "grade": 1 + k % 4}
        if k % 5 == 0:
            doc["members"][-1]["dateOfDeath"] = "2024-01-31"
        ids.append(w.household(doc))
    return ids


def test_the_export_holds_every_stored_fact_exactly(w, tmp_path):
    hids = _varied(w, 30)
    cid = w.active(hids[0])
    snap = service.take_snapshot(w.db.engine, w.base, w.users["approver"], YUNNAN, AS_OF, tmp_path)
    m = snap.manifest
    assert (m.jurisdiction, m.as_of, m.source) == (YUNNAN, AS_OF, w.db.backend)
    assert m.rows["households"] == 30 and m.rows["documents"] == 30 and m.rows["cases"] == 1
    assert m.counties == [YUNNAN]
    assert open_snapshot(snap.path).manifest.sha256 == m.sha256
    assert [s.id for s in list_snapshots(tmp_path)] == [snap.id]

    households = pq.read_table(snap.file("households")).to_pylist()
    members = pq.read_table(snap.file("members")).to_pylist()
    incomes = pq.read_table(snap.file("incomes")).to_pylist()
    expenses = pq.read_table(snap.file("expenses")).to_pylist()
    documents = {r["hh_id"]: r for r in pq.read_table(snap.file("documents")).to_pylist()}
    assert [h["hh_id"] for h in households] == sorted(hids)
    pid_of = {(r["hh_id"], r["id_number"]): r["pid"] for r in members}
    assert len(set(pid_of.values())) == len(members)
    for h in households:
        doc = json.loads(documents[h["hh_id"]]["document"])
        model = parse_household(
            {k: v for k, v in doc.items() if not k.startswith("_")}, w.registry, dt.date.max
        )
        assert (h["county"], h["area"], h["property_ok"]) == (
            model.county, model.area.value, model.property_within_local_rules
        )  # fmt: skip
        assert (h["prefecture"], h["province"]) == ("530100", "530000")
        mine = [r for r in members if r["hh_id"] == h["hh_id"]]
        assert [r["id_number"] for r in mine] == [x.id_number for x in model.members]
        assert [r["birth_date"] for r in mine] == [x.birth_date for x in model.members]
        assert [r["death_date"] for r in mine] == [x.date_of_death for x in model.members]
        assert [(r["disability_kind"], r["disability_grade"]) for r in mine] == [
            (x.disability.kind.value, x.disability.grade) if x.disability else (None, None)
            for x in model.members
        ]
        items = [r for r in incomes if r["hh_id"] == h["hh_id"]]
        assert [(r["kind"], r["amount_fen"], r["pid"]) for r in items] == [
            (
                i.kind.value,
                int(i.monthly_amount * 100),
                None if i.member is None else pid_of[(h["hh_id"], i.member)],
            )
            for i in model.income
        ]
        spent = [r for r in expenses if r["hh_id"] == h["hh_id"]]
        assert [r["amount_fen"] for r in spent] == [
            int(e.monthly_amount * 100) for e in model.expenses
        ]
    assert max(r["amount_fen"] for r in expenses) == 999999999  # 9,999,999.99 yuan, exact
    assert {r["amount_fen"] for r in incomes if r["pid"] is None} >= {0, 1, 29}
    case = pq.read_table(snap.file("cases")).to_pylist()[0]
    assert (case["case_id"], case["hh_id"], case["state"], case["amount_fen"]) == (
        cid, hids[0], "active", int(Decimal(w.case(cid).data["amount"]) * 100)
    )  # fmt: skip


def test_a_snapshot_is_one_point_in_time(w, tmp_path):
    _varied(w, 40)
    late: dict[str, int] = {}

    def write_meanwhile(done: int, total: int) -> None:
        # Another official writes while the export streams: a household, and a case (read
        # after the households): neither is in the snapshot.
        if not late:
            t = threading.Thread(target=lambda: late.update(hid=w.household(w.doc())))
            t.start()
            t.join()
            late["case"] = w.opened(late["hid"])

    snap = export_snapshot(
        w.db.engine, w.registry, YUNNAN, AS_OF, tmp_path, progress=write_meanwhile,
        block_size=4096,
    )  # fmt: skip
    assert late
    assert snap.manifest.rows["households"] == 40 and snap.manifest.rows["cases"] == 0
    ids = pq.read_table(snap.file("households")).column("hh_id").to_pylist()
    assert late["hid"] not in ids


def test_a_failure_half_way_leaves_no_snapshot_and_a_usable_database(w, tmp_path):
    _varied(w, 40)

    def fail(done: int, total: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        export_snapshot(
            w.db.engine, w.registry, YUNNAN, AS_OF, tmp_path, progress=fail, block_size=4096
        )
    assert list(tmp_path.rglob("*.parquet")) == []
    assert list_snapshots(tmp_path) == []
    # The database answers at once, and the next export is whole.
    snap = export_snapshot(w.db.engine, w.registry, YUNNAN, AS_OF, tmp_path)
    assert snap.manifest.rows["households"] == 40


def test_a_bad_document_is_a_clear_error(w, tmp_path):
    hid = w.household(w.doc())
    from sqlalchemy import update

    from core.storage.tables import HouseholdRow

    with w.db.sessions() as s, s.begin():
        s.execute(
            update(HouseholdRow)
            .where(HouseholdRow.id == hid)
            .values(document={"county": YUNNAN, "members": "not a list"})
        )
    with pytest.raises(SnapshotError, match="could not be read"):
        export_snapshot(w.db.engine, w.registry, YUNNAN, AS_OF, tmp_path)
    assert list_snapshots(tmp_path) == []


def test_only_who_may_read_households_there_takes_a_snapshot(w, tmp_path):
    w.household(w.doc())
    for who in ("analyst", "outsider"):
        with pytest.raises(Forbidden):
            service.take_snapshot(w.db.engine, w.base, w.users[who], YUNNAN, AS_OF, tmp_path)
    assert not tmp_path.joinpath(YUNNAN).exists()
    snap = service.take_snapshot(w.db.engine, w.base, w.users["auditor"], "530000", AS_OF, tmp_path)
    assert snap.manifest.rows["households"] == 1
