"""Data written before the keyed audit (migration 0009) keeps verifying, and from the seal on it
is as tamper-evident as new data (SQLite and PostgreSQL).

The legacy rows are written at migration 0006 the way doudi wrote them then: case events hashed
with plain SHA-256 and chained across the database (``global_seq``, ``case_audit_head``),
households, a payment with a result and a local setting with no audit entry at all.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, update

import core.audit.chain as ch
import core.cases as machine
import core.cases.store as cases_store
from core.access.roles import Role, User
from core.audit.store import is_sealed, seal_legacy
from core.audit.verify import verify
from core.cli import cli
from core.storage.engine import make_engine, make_session_factory, upgrade
from core.storage.tables import (
    CaseAuditHeadRow,
    CaseEventRow,
    CaseRow,
    HouseholdRow,
    LocalSettingAuditRow,
    LocalSettingRow,
    PaymentResultRow,
    PaymentRow,
    PaymentRunRow,
    UserRow,
    utcnow,
)
from tests.support.audit_scene import WUHUA, id_number
from tests.support.cli import ok
from tests.support.standards import with_example_standards

DAY0 = dt.date(2023, 9, 4)


@pytest.fixture(scope="module")
def example(base):
    return with_example_standards(base)


def _legacy_world(url: str, example) -> dict[str, int]:
    """Write, at migration 0008 (the last before the keyed audit), what doudi wrote then."""
    upgrade(url, "0008")
    engine = make_engine(url)
    registry = example.registry
    prefecture, province = registry.prefecture_and_province(WUHUA)
    now = utcnow()
    out: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            uid = conn.execute(
                insert(UserRow.__table__).values(
                    name="officer", role="township_officer", jurisdiction=WUHUA, active=True,
                    created_at=now,
                ).returning(UserRow.__table__.c.id)
            ).scalar_one()  # fmt: skip
            officer = User(uid, "officer", Role.TOWNSHIP_OFFICER, WUHUA)
            gseq, gprev = 0, ""
            for n in (1, 2):
                head = id_number(WUHUA, n)
                doc = {
                    "county": WUHUA, "area": "urban", "incomeClass": "stable",
                    "propertyWithinLocalRules": True,
                    "members": [{"idNumber": head, "name": f"户主{n}", "relation": "head"}],
                    "income": [{"kind": "wages", "monthlyAmount": 300.0, "member": head}],
                }  # fmt: skip
                hid = conn.execute(
                    insert(HouseholdRow.__table__).values(
                        county=WUHUA, prefecture=prefecture, province=province, document=doc,
                        version=1, created_at=now, updated_at=now, created_by=uid, updated_by=uid,
                    ).returning(HouseholdRow.__table__.c.id)
                ).scalar_one()  # fmt: skip
                out[f"household{n}"] = hid
                t = machine.open_case(
                    officer, example.resolve(WUHUA, DAY0), DAY0, household_id=hid, program="dibao"
                )
                cid = conn.execute(
                    insert(CaseRow.__table__).values(
                        household_id=hid, program="dibao", county=WUHUA, prefecture=prefecture,
                        province=province, state=t.case.state.value, version=1,
                        data=dict(t.case.data), created_at=now, updated_at=now,
                    ).returning(CaseRow.__table__.c.id)
                ).scalar_one()  # fmt: skip
                out[f"case{n}"] = cid
                gseq += 1
                document = {
                    "caseId": cid, "seq": 1, "globalSeq": gseq, "globalPrevHash": gprev,
                    "at": now.isoformat(), "userId": uid,
                    "dataHash": ch.legacy_data_hash(dict(t.case.data)),
                    **machine.event_to_json(t.event),
                }  # fmt: skip
                h = ch.legacy_hash(document, "")
                conn.execute(
                    insert(CaseEventRow.__table__).values(
                        case_id=cid, seq=1, at=now, user_id=uid, action=t.event.action,
                        from_state=None, to_state=t.event.to_state.value, document=document,
                        prev_hash="", hash=h, global_seq=gseq, global_prev_hash=gprev,
                    )
                )  # fmt: skip
                gprev = h
            conn.execute(  # migration 0003 made the head
                update(CaseAuditHeadRow.__table__).values(seq=gseq, hash=gprev)
            )
            run = conn.execute(
                insert(PaymentRunRow.__table__).values(
                    jurisdiction=WUHUA, month="2023-12", at=now, user_id=uid, created=1,
                    existing=0, document={},
                ).returning(PaymentRunRow.__table__.c.id)
            ).scalar_one()  # fmt: skip
            pid = conn.execute(
                insert(PaymentRow.__table__).values(
                    run_id=run, case_id=out["case1"], household_id=out["household1"],
                    program="dibao", county=WUHUA, prefecture=prefecture, province=province,
                    month="2023-12", amount_fen=50_000, due_date=dt.date(2023, 12, 10),
                    status="paid", attempt=1, payee_name="户主1",
                    payee_id_number=id_number(WUHUA, 1), bank="中国农业银行",
                    account_number="6228000000000000001", document={}, version=2,
                    created_at=now, updated_at=now,
                ).returning(PaymentRow.__table__.c.id)
            ).scalar_one()  # fmt: skip
            out["payment"] = pid
            conn.execute(
                insert(PaymentResultRow.__table__).values(
                    payment_id=pid, seq=1, attempt=1, status="paid", on_date=dt.date(2023, 12, 12),
                    user_id=uid, at=now,
                )
            )  # fmt: skip
            sid = conn.execute(
                insert(LocalSettingRow.__table__).values(
                    jurisdiction=WUHUA, path="dibao.standard.urban", value=780,
                    effective_from=dt.date(2023, 1, 1), source_text="某县通知(测试)",
                    created_by=uid, created_at=now, updated_by=uid, updated_at=now,
                ).returning(LocalSettingRow.__table__.c.id)
            ).scalar_one()  # fmt: skip
            conn.execute(
                insert(LocalSettingAuditRow.__table__).values(
                    at=now, user_id=uid, user_name="officer", user_role="county_approver",
                    setting_id=sid, jurisdiction=WUHUA, path="dibao.standard.urban",
                    effective_from=dt.date(2023, 1, 1), old_value=800, old_origin="fixture",
                    new_value=780, source_text="某县通知(测试)",
                )
            )  # fmt: skip
            out["officer"] = uid
    finally:
        engine.dispose()
    return out


@pytest.fixture
def legacy(db_url, example):
    ids = _legacy_world(db_url, example)
    engine = make_engine(db_url)
    yield db_url, make_session_factory(engine), ids
    engine.dispose()


def test_db_upgrade_seals_the_legacy_data_and_it_verifies(legacy, monkeypatch):
    url, sessions, _ids = legacy
    monkeypatch.setenv("DOUDI_DATABASE_URL", url)
    runner = CliRunner()
    out = ok(runner.invoke(cli, ["db", "upgrade"], catch_exceptions=False))
    assert "sealed with the audit key" in out
    with sessions() as s:
        assert is_sealed(s)
        assert seal_legacy(s) is False  # once
    result = runner.invoke(cli, ["audit", "verify", "--json"], catch_exceptions=False)
    data = json.loads(ok(result))
    assert data["problems"] == [] and data["events"] == 2
    assert any(n.startswith("legacy data sealed on ") for n in data["notes"])


def test_a_legacy_case_continues_in_its_county_chain(legacy, example):
    url, sessions, ids = legacy
    upgrade(url)
    with sessions() as s:
        seal_legacy(s)
    officer = User(ids["officer"], "officer", Role.TOWNSHIP_OFFICER, WUHUA)
    with sessions() as s:
        _case, event = cases_store.apply_transition(
            s, example, ids["case1"], 1, "record_investigation", officer, DAY0,
            investigators=["甲", "乙"],
        )  # fmt: skip
    with sessions() as s:
        first = s.scalar(select(CaseEventRow).where(CaseEventRow.case_id == ids["case1"]))
        assert event.prev_hash == first.hash and first.key_id is None
        assert (event.chain, event.chain_seq, event.chain_prev_hash) == (f"cases:{WUHUA}", 1, "")
        assert verify(s).problems == []


def test_legacy_events_rehashed_after_the_seal_are_caught(legacy, example):
    """Plain SHA-256 can be recomputed by anyone: the whole legacy chain rewritten consistently,
    head included, still differs from what the seal recorded under the key."""
    url, sessions, ids = legacy
    upgrade(url)
    with sessions() as s:
        seal_legacy(s)
    with sessions() as s, s.begin():
        prev_global = ""
        for e in s.scalars(select(CaseEventRow).order_by(CaseEventRow.global_seq)):
            doc = {**e.document, "globalPrevHash": prev_global}
            if e.case_id == ids["case1"]:
                doc["reasons"] = ["rewritten"]
            h = ch.legacy_hash(doc, e.prev_hash)
            s.execute(update(CaseEventRow).where(CaseEventRow.id == e.id)
                      .values(document=doc, hash=h, global_prev_hash=prev_global))  # fmt: skip
            prev_global = h
        s.execute(update(CaseAuditHeadRow).where(CaseAuditHeadRow.id == 1)
                  .values(hash=prev_global))  # fmt: skip
    with sessions() as s:
        found = verify(s).problems
    assert len(found) == 1, found
    assert found[0].startswith("legacy events: the seal recorded 2 events up to global #2")


def test_legacy_records_changed_after_the_seal_are_caught(legacy):
    url, sessions, ids = legacy
    upgrade(url)
    with sessions() as s:
        seal_legacy(s)
    with sessions() as s, s.begin():
        s.execute(update(PaymentRow).values(account_number="6228000000000009999"))
        s.execute(update(LocalSettingRow).values(value=1780))
        doc = s.get(HouseholdRow, ids["household2"]).document
        s.execute(update(HouseholdRow).where(HouseholdRow.id == ids["household2"])
                  .values(document={**doc, "notes": "x"}))  # fmt: skip
    with sessions() as s:
        found = verify(s).problems
    assert found == [
        f"the legacy seal's household rows (ids up to {ids['household2']}): changed outside "
        "doudi since recorded (the aggregate differs)",
        f"the legacy seal's payment rows (ids up to {ids['payment']}): changed outside doudi "
        "since recorded (the aggregate differs)",
        "the legacy seal's local setting rows (ids up to 1): changed outside doudi since "
        "recorded (the aggregate differs)",
    ]


def test_unsealed_legacy_data_is_reported(legacy):
    url, sessions, _ = legacy
    upgrade(url)
    with sessions() as s:
        found = verify(s).problems
    assert found == [
        "legacy events: 2 events from before the keyed audit are not sealed: start doudi once "
        "with its audit key (`doudi db upgrade`) to seal them",
        "legacy records: rows from before the keyed audit are not sealed: start doudi once with "
        "its audit key (`doudi db upgrade`) to seal them",
    ]
