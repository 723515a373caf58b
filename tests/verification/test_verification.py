"""Verification before confirmation (逢进必核): Yangquan 001 二(五) “县级民政部门审批城乡低保、特困
人员救助供养必须通过核对机构对申请人的家庭经济状况进行核对,符合条件方可审批”. Reports per member
and data kind with their batches, stored on the case; manual reports; periodic re-verification
(Yongfu 003 二(三) “至少每半年对在享人员核对排查1次”). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from core.cases.errors import VerificationRequired
from core.cases.store import apply_transition, get_case
from core.exchange.kinds import catalog
from core.exchange.store import import_batch
from core.policy.service import build_policy_base
from core.verification.adapters import Report, Request
from core.verification.store import (
    due_verifications,
    list_reports,
    record_manual_report,
    request_verification,
    verify_due,
)
from tests.support.households import id_number
from tests.support.payments import insert_case
from tests.support.people import assess_property, sheet, user
from tests.support.standards import with_example_standards

D = dt.date
ON = D(2025, 3, 20)
YANGQUAN = "140302"


@pytest.fixture(scope="module")
def policies():
    return with_example_standards(build_policy_base())


def _in_publicity(db, reg, county, seq):
    cid = insert_case(
        db.engine,
        reg,
        county,
        seq,
        state="in_publicity",
        data={
            "publicity": {"start": "2025-03-01", "days": 7, "ends": "2025-03-08"},
            "firstReview": {"on": "2025-02-28", "opinion": ""},
        },
    )
    assess_property(db.engine, cid)
    return cid


def _head(county, seq):
    return id_number(county, seq % 1000, f"19{50 + seq // 1000:02d}0101")


def _confirm(db, policies, approver, cid):
    case = get_case(db.sessions(), cid)
    return apply_transition(
        db.sessions(), policies, cid, case.version, "confirm_case", approver, ON
    )


def test_confirmation_waits_for_a_passed_report_from_the_department_data(db, policies, tmp_path):
    reg = policies.registry
    approver = user(db, reg, "county_approver", YANGQUAN)
    data = tmp_path / "data"
    clean = _in_publicity(db, reg, YANGQUAN, 1)
    with pytest.raises(VerificationRequired):
        _confirm(db, policies, approver, clean)
    with db.sessions() as s:
        import_batch(
            s,
            approver,
            catalog(),
            reg,
            data,
            kind="vehicles",
            department="公安",
            jurisdiction=YANGQUAN,
            batch_date=D(2025, 3, 1),
            file_name="v.csv",
            content=sheet(
                [["身份证号", "姓名", "号牌号码"], [_head(YANGQUAN, 2), "户主2", "晋C99999"]]
            ),
            today=ON,
            commit=True,
        )
    supporter = id_number("140302", 900, "19450101")
    record, report = request_verification(
        db.sessions(),
        approver,
        policies,
        catalog(),
        data,
        clean,
        ON,
        supporters=[(supporter, "赡养人", "child")],
    )
    assert record.passed and record.source == "platform" and record.case_id == clean
    people = {p.role: p for p in report.people}
    assert set(people) == {"member", "supporter"}
    vehicles = next(k for k in people["member"].kinds if k.kind == "vehicles")
    assert (vehicles.found, vehicles.as_of) == (0, D(2025, 3, 1))
    assert "deaths" in report.not_covered  # no death list imported: said, not assumed clean
    case = get_case(db.sessions(), clean)
    assert case.data["verification"]["passed"] is True
    assert record.number in case.data["verification"]["notes"]
    confirmed, _ = _confirm(db, policies, approver, clean)
    assert confirmed.state.value == "active"

    car = _in_publicity(db, reg, YANGQUAN, 2)
    record, report = request_verification(
        db.sessions(), approver, policies, catalog(), data, car, ON
    )
    assert not record.passed
    assert any("车辆登记" in w and "第十七条" in w and "local rules" in w for w in report.warnings)
    [answer] = [k for p in report.people for k in p.kinds if k.kind == "vehicles" and k.found]
    assert answer.records[0]["号牌号码"] == "晋C99999" and len(answer.batches) == 1
    with pytest.raises(VerificationRequired):
        _confirm(db, policies, approver, car)
    assert [r.number for r in list_reports(db.sessions(), approver, reg, case_id=car)] == [
        record.number
    ]


def test_a_manual_report_with_its_number(db, policies):
    reg = policies.registry
    approver = user(db, reg, "county_approver", YANGQUAN)
    cid = _in_publicity(db, reg, YANGQUAN, 3)
    record = record_manual_report(
        db.sessions(),
        approver,
        policies,
        cid,
        ON,
        number="阳核〔2025〕0312号",
        passed=True,
        notes="核对平台纸质报告",
    )
    assert (record.source, record.number) == ("manual", "阳核〔2025〕0312号")
    assert _confirm(db, policies, approver, cid)[0].state.value == "active"


class Platform:
    """A province's platform (a plugin's adapter): answers with its own numbers."""

    name = "gx_platform"

    def verify(self, request: Request) -> Report:
        return Report(self.name, "GX-0001", request.on, ())


def test_a_plugged_adapter_and_periodic_reverification(db, policies, tmp_path):
    reg = policies.registry
    county = "450326"  # Guangxi: dibao.verification.interval_months = 6
    approver = user(db, reg, "county_approver", county)
    cid = insert_case(
        db.engine,
        reg,
        county,
        4,
        data={"decision": {"on": "2024-06-01", "level": "township", "by": 1}},
    )
    due = due_verifications(db.sessions(), approver, policies, county, D(2025, 3, 1))
    assert [(d.case_id, d.due, d.interval_months) for d in due] == [(cid, D(2024, 12, 1), 6)]
    record, _ = request_verification(
        db.sessions(),
        approver,
        policies,
        catalog(),
        tmp_path,
        cid,
        D(2025, 3, 1),
        adapter="gx_platform",
        adapters={"gx_platform": Platform()},
    )
    assert (record.adapter, record.number) == ("gx_platform", "GX-0001")
    case = get_case(db.sessions(), cid)
    assert case.data["lastPeriodicVerification"] == {"on": "2025-03-01", "passed": True}
    assert due_verifications(db.sessions(), approver, policies, county, D(2025, 8, 31)) == []
    [(_due, r, err)] = verify_due(
        db.sessions(), approver, policies, catalog(), tmp_path, county, D(2025, 9, 1)
    )
    assert err is None and r is not None and r.adapter == "department_data"
