"""Comparisons on SQLite and PostgreSQL: batches with provenance, findings raised once, tasks
due in working days from each province's policy, outcomes through the case machine or the
register, dismissals, supervision, who may see what, and the reads logged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.access.roles import Forbidden
from core.calendars.workdays import default_calendar
from core.cases.store import get_case
from core.errors import InvalidInput
from core.exchange.kinds import catalog
from core.exchange.store import (
    AlreadyImported,
    TaskClosed,
    VersionConflict,
    import_batch,
    list_findings,
    read_batch,
    resolve_finding,
    run_comparison,
    supervision,
)
from core.lowincome.model import categories
from core.lowincome.store import get_entry, recognise
from core.policy.loader import PolicyLoader
from core.policy.service import build_policy_base
from core.registers.files import InvalidFile
from core.storage.tables import (
    CaseEventRow,
    DataAccessRow,
    DepartmentBatchRow,
    FindingRow,
    HouseholdRow,
)
from tests.support.households import id_number
from tests.support.layers import doc, entry
from tests.support.payments import insert_case
from tests.support.people import deaths_file, sheet, user
from tests.support.standards import with_example_standards

D = dt.date
TODAY = D(2025, 3, 10)  # a Monday
BATCH_DAY = D(2025, 3, 5)


@pytest.fixture(scope="module")
def policies():
    return with_example_standards(build_policy_base())


@pytest.fixture
def scene(db, policies, tmp_path):
    reg = policies.registry
    return {
        "db": db,
        "reg": reg,
        "dir": tmp_path / "data",
        "county": {c: user(db, reg, "county_approver", c, f"county{c}") for c in COUNTIES},
        "town": {c: user(db, reg, "township_officer", c, f"town{c}") for c in COUNTIES},
    }


COUNTIES = ("450326", "140302", "522701", "530102", "640121")


def _import(scene, county, content, kind="deaths", dept="公安", name="d.csv", day=BATCH_DAY):
    with scene["db"].sessions() as s:
        return import_batch(
            s,
            scene["county"][county],
            catalog(),
            scene["reg"],
            scene["dir"],
            kind=kind,
            department=dept,
            jurisdiction=county,
            batch_date=day,
            file_name=name,
            content=content,
            today=TODAY,
            commit=True,
        )


def _compare(scene, policies, county, on=TODAY):
    with scene["db"].sessions() as s:
        return run_comparison(
            s,
            scene["county"][county],
            policies,
            default_calendar(),
            catalog(),
            scene["dir"],
            county,
            on,
            known_categories=categories(),
        )


def _case(scene, county, seq, members=None):
    return insert_case(scene["db"].engine, scene["reg"], county, seq, members=members)


def _head(county, seq):
    return id_number(county, seq % 1000, f"19{50 + seq // 1000:02d}0101")


@pytest.mark.parametrize("county", COUNTIES)
def test_a_death_becomes_a_finding_a_task_due_in_working_days_and_a_recorded_death(
    scene, policies, county
):
    """Yongfu 003 二(六): “死亡人员未按规定及时退出社会救助”. The task is due
    dibao.investigation.start_within_working_days (3, 审核确认办法 第十五条) working days later."""
    spouse = id_number(county, 500, "19800101")
    cid = _case(scene, county, 1, [{"idNumber": spouse, "name": "配偶", "relation": "spouse"}])
    batch = _import(
        scene,
        county,
        deaths_file([(spouse, "配偶", "2025-02-10"), (id_number(county, 9), "外人", "2025-02-11")]),
    )
    assert batch.records == 2 and batch.batch.department == "gongan"
    run = _compare(scene, policies, county)
    assert (run.recipients, run.matches, run.raised) == (2, 1, 1)
    [f] = list_findings(scene["db"].sessions(), scene["county"][county], scene["reg"], county)
    assert (f.rule, f.severity, f.case_id, f.name) == ("deaths.recipient_died", "high", cid, "配偶")
    assert f.document["record"]["死亡日期"] == "2025-02-10"
    assert f.due_date == D(2025, 3, 13) and f.task_level == "township"
    assert "民发〔2021〕57号" in f.task_document["deadline"]["why"]
    assert f.document["meaning"]["sources"][0]["quote"] == "死亡人员未按规定及时退出社会救助"
    # the township verifies it and records the death through the case machine
    done = resolve_finding(
        scene["db"].sessions(),
        scene["town"][county],
        policies,
        f.id,
        "case_step",
        D(2025, 3, 11),
        action="record_death",
    )
    assert done.status == "resolved" and done.task_status == "done"
    case = get_case(scene["db"].sessions(), cid)
    assert [d["idNumber"] for d in case.data["deaths"]] == [spouse]
    assert case.data["deaths"][0]["on"] == "2025-02-10"
    # and the household shows it, for every later decision made from it
    with scene["db"].sessions() as s:
        document = s.get(HouseholdRow, case.household_id).document
    assert {m["idNumber"]: m.get("dateOfDeath") for m in document["members"]}[spouse] == (
        "2025-02-10"
    )
    with pytest.raises(TaskClosed):
        resolve_finding(
            scene["db"].sessions(),
            scene["town"][county],
            policies,
            f.id,
            "dismissed",
            D(2025, 3, 11),
            reasons="again",
        )


class _DismissWhileDeciding:
    """The policy source of a resolution that, while the case step is decided (after its reads,
    before its write), lets another official dismiss the same finding through the store: two
    officials closing one task at once, in that order."""

    def __init__(self, policies, dismiss):
        self.registry = policies.registry
        self._policies, self._dismiss = policies, dismiss

    def resolve(self, code, as_of):
        dismiss, self._dismiss = self._dismiss, None
        if dismiss is not None:
            dismiss()
        return self._policies.resolve(code, as_of)


def test_a_failed_resolution_leaves_the_database_as_it_was(scene, policies):
    """The case step and the task's closing are one transaction: when the task was closed by
    someone else between the step's decision and its write, the death is not recorded, the
    case keeps its version and audit trail, and the other official's dismissal stands."""
    county = "450326"
    cid = _case(scene, county, 6)
    head = _head(county, 6)
    _import(scene, county, deaths_file([(head, "户主6", "2025-02-20")]))
    _compare(scene, policies, county)
    [f] = list_findings(scene["db"].sessions(), scene["county"][county], scene["reg"], county)
    before = get_case(scene["db"].sessions(), cid)
    with scene["db"].engine.connect() as c:
        events = c.scalar(select(func.count()).select_from(CaseEventRow))

    def other_official():
        resolve_finding(
            scene["db"].sessions(),
            scene["county"][county],
            policies,
            f.id,
            "dismissed",
            TODAY,
            reasons="入户核实: 户籍信息有误, 本人健在",
        )

    with pytest.raises(VersionConflict):
        resolve_finding(
            scene["db"].sessions(),
            scene["town"][county],
            _DismissWhileDeciding(policies, other_official),
            f.id,
            "case_step",
            TODAY,
            action="record_death",
        )
    after = get_case(scene["db"].sessions(), cid)
    assert (after.version, after.state, after.data) == (before.version, before.state, before.data)
    assert not after.data.get("deaths")
    with scene["db"].engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(CaseEventRow)) == events
    [g] = list_findings(scene["db"].sessions(), scene["county"][county], scene["reg"], county)
    assert (g.status, g.task_status) == ("dismissed", "done")
    assert g.task_document["outcome"]["outcome"] == "dismissed"
    assert g.task_version == f.task_version + 1


def test_the_same_finding_is_not_raised_twice_by_a_later_batch(scene, policies):
    county = "450326"
    _case(scene, county, 2)
    head = _head(county, 2)
    _import(scene, county, deaths_file([(head, "户主2", "2025-03-01")]))
    assert _compare(scene, policies, county).raised == 1
    assert _compare(scene, policies, county).raised == 0  # the same run again
    later = deaths_file([(head, "户主2", "2025-03-01"), (id_number(county, 8), "某", "2025-03-02")])
    _import(scene, county, later, name="d2.csv", day=D(2025, 3, 8))
    run = _compare(scene, policies, county)
    assert (run.matches, run.raised, run.known) == (2, 0, 2)  # in both batches, raised before
    with pytest.raises(AlreadyImported):
        _import(scene, county, later, name="again.csv", day=D(2025, 3, 8))


def test_dismissal_needs_reasons_and_stays_dismissed(scene, policies):
    county = "140302"
    _case(scene, county, 3)
    head = _head(county, 3)
    _import(
        scene,
        county,
        sheet([["身份证号", "姓名", "号牌号码"], [head, "户主3", "晋C12345"]]),
        kind="vehicles",
        name="v.csv",
    )
    _compare(scene, policies, county)
    [f] = list_findings(scene["db"].sessions(), scene["county"][county], scene["reg"], county)
    assert f.rule == "vehicles.vehicle_registered"
    assert "local rules" in f.document["meaning"]["notSet"]
    town = scene["town"][county]
    with pytest.raises(InvalidInput, match="reasons"):
        resolve_finding(scene["db"].sessions(), town, policies, f.id, "dismissed", TODAY)
    with pytest.raises(InvalidInput, match="closed by"):
        resolve_finding(
            scene["db"].sessions(), town, policies, f.id, "case_step", TODAY, action="record_death"
        )
    done = resolve_finding(
        scene["db"].sessions(),
        town,
        policies,
        f.id,
        "dismissed",
        TODAY,
        reasons="入户核实: 车辆已于2024年转让, 登记未注销",
    )
    assert done.status == "dismissed"
    assert _compare(scene, policies, county).raised == 0


def test_supervision_lists_open_and_overdue_findings(scene, policies):
    county = "522701"
    for seq in (4, 5):
        _case(scene, county, seq)
    _import(
        scene,
        county,
        sheet(
            [
                ["身份证号", "姓名", "单位名称"],
                [_head(county, 4), "户主4", "都匀市某局"],
                [_head(county, 5), "户主5", "都匀市某局"],
            ]
        ),
        kind="public_payroll",
        dept="财政",
        name="p.csv",
    )
    _compare(scene, policies, county)
    s = supervision(
        scene["db"].sessions(), scene["county"][county], scene["reg"], county, D(2025, 3, 20)
    )
    assert (s.open, s.overdue) == (2, 2)
    assert s.by_kind == {"public_payroll": {"open": 2, "overdue": 2}}
    assert {f.name for f in s.overdue_tasks} == {"户主4", "户主5"}
    s = supervision(
        scene["db"].sessions(), scene["county"][county], scene["reg"], county, D(2025, 3, 12)
    )
    assert (s.open, s.overdue) == (2, 0)


def test_register_people_are_flagged_and_tagged(scene, policies):
    county = "530102"
    person = id_number(county, 77, "19900101")
    with scene["db"].sessions() as s:
        entry = recognise(
            s,
            scene["county"][county],
            scene["reg"],
            categories(),
            id_number=person,
            name="低收入",
            county=county,
            categories=["marginal"],
            on=D(2025, 1, 1),
            decision="五华区民政局认定决定(示例)",
        )
    _import(
        scene,
        county,
        sheet(
            [
                ["身份证号", "姓名", "结算日期", "医疗总费用"],
                [person, "低收入", "2025-02-01", "60000"],
            ]
        ),
        kind="large_medical",
        dept="医保",
        name="m.csv",
    )
    run = _compare(scene, policies, county)
    assert run.by_rule == {"large_medical.tag": 1}
    e, events = get_entry(scene["db"].sessions(), scene["county"][county], scene["reg"], entry.id)
    assert e.flagged and e.document["marks"][0]["mark"] == "低保边缘户"
    [f] = list_findings(scene["db"].sessions(), scene["county"][county], scene["reg"], county)
    assert f.person_id == entry.id and f.due_date is None
    assert "no document sets a time limit" in f.task_document["deadline"]["why"]
    resolve_finding(scene["db"].sessions(), scene["town"][county], policies, f.id, "tag", TODAY)
    e, events = get_entry(scene["db"].sessions(), scene["county"][county], scene["reg"], entry.id)
    assert "大额医疗支出对象" in e.tags
    assert [ev["action"] for ev in events] == ["recognised", "flagged", "tagged"]


def test_who_may_see_department_data_and_every_read_is_logged(scene, policies):
    county = "640121"
    reg = scene["reg"]
    batch = _import(scene, county, deaths_file([(id_number(county, 3), "某", "2025-01-01")]))
    clerk = user(scene["db"], reg, "village_clerk", county)
    with pytest.raises(Forbidden):
        read_batch(scene["db"].sessions(), clerk, reg, scene["dir"], batch.batch.id)
    outsider = user(scene["db"], reg, "county_approver", "450326", "outsider")
    with pytest.raises(Forbidden):
        read_batch(scene["db"].sessions(), outsider, reg, scene["dir"], batch.batch.id)
    auditor = user(scene["db"], reg, "auditor", county)
    _, rows = read_batch(scene["db"].sessions(), auditor, reg, scene["dir"], batch.batch.id)
    assert rows[0]["record"]["死亡日期"] == "2025-01-01"
    with scene["db"].engine.connect() as c:
        log = c.execute(select(DataAccessRow).where(DataAccessRow.action == "read_batch")).one()
    assert log.user_id == auditor.id and log.document["batch"] == batch.batch.id
    with pytest.raises(Forbidden):
        run_comparison(
            scene["db"].sessions(),
            scene["town"][county],
            policies,
            default_calendar(),
            catalog(),
            scene["dir"],
            county,
            TODAY,
        )


def test_an_unknown_department_or_a_department_that_does_not_send_the_kind(scene):
    content = deaths_file([(id_number("450326", 1), "某", "2025-01-01")])
    with pytest.raises(InvalidInput, match="unknown department '气象局'"):
        _import(scene, "450326", content, dept="气象局")
    with pytest.raises(InvalidInput, match="医保 does not send"):
        _import(scene, "450326", content, dept="医保")
    bad = sheet([["身份证号", "姓名", "死亡日期"], ["123", "某", "2025-01-01"]], encoding="gbk")
    with pytest.raises(InvalidFile, match="第 2 行 身份证号"):
        _import(scene, "450326", bad)
    with scene["db"].engine.connect() as c:
        assert c.execute(select(DepartmentBatchRow)).all() == []
    assert (
        not list((scene["dir"] / "exchange").glob("*.parquet"))
        if (scene["dir"] / "exchange").exists()
        else True
    )


@pytest.fixture(scope="module")
def yongfu_limit():
    """The policies with a county's own time limit (a test layer, not a document): 永福县 450326
    starts an investigation within 5 working days; the rest of Guilin keeps the 3 of
    审核确认办法 第十五条."""
    base = build_policy_base()
    loader = PolicyLoader(base.registry, base.catalog, {"fixture": ["450326"]})
    layer, issues = loader.validate(
        "fixture",
        "inline.yaml",
        doc("450326", {"dibao.investigation.start_within_working_days": [entry(5, "2020-01-01")]}),
    )
    assert not issues and layer is not None
    return build_policy_base(extra_layers=[layer])


def test_a_run_writes_each_new_finding_once_with_its_task_due_by_its_county_and_program(
    scene, yongfu_limit
):
    """What a comparison writes in bulk, at a prefecture (Guilin 450300) over two counties:
    one finding per (rule, subject, person, record) however many batches report it, one task
    per finding, each due by its own county's and program's time limit (dibao: 5 working days
    in 永福县 by its own setting, 3 in 秀峰区; tekun: 15, under the same rule; a register entry:
    none), opened on the run's day at the finding's place; the register entry flagged. A second
    run writes nothing; a later batch raises only what is new."""
    db, reg, policies = scene["db"], scene["reg"], yongfu_limit
    path = "dibao.investigation.start_within_working_days"
    assert policies.resolve("450326", TODAY).get(path).value == 5
    assert policies.resolve("450302", TODAY).get(path).value == 3
    pref = user(db, reg, "county_approver", "450300", "guilin")
    dibao_yf = _case(scene, "450326", 11)
    spouse = id_number("450302", 512, "19800101")
    dibao_xf = _case(
        scene, "450302", 12, [{"idNumber": spouse, "name": "配偶", "relation": "spouse"}]
    )
    tekun_xf = insert_case(db.engine, reg, "450302", 13, program="tekun")
    person = id_number("450326", 78, "19900101")
    with db.sessions() as s:
        entry_ = recognise(
            s,
            scene["county"]["450326"],
            reg,
            categories(),
            id_number=person,
            name="低收入",
            county="450326",
            categories=["marginal"],
            on=D(2025, 1, 1),
            decision="永福县民政局认定决定(示例)",
        )
    deaths = [
        (_head("450326", 11), "户主11", "2025-02-03"),
        (spouse, "配偶", "2025-02-04"),
        (_head("450302", 13), "户主13", "2025-02-05"),
        (person, "低收入", "2025-02-06"),
        (id_number("450302", 900), "外人", "2025-02-07"),
    ]

    def batch(kind, dept, content, name, day=BATCH_DAY):
        with db.sessions() as s:
            import_batch(
                s, pref, catalog(), reg, scene["dir"], kind=kind, department=dept,
                jurisdiction="450300", batch_date=day, file_name=name, content=content,
                today=TODAY, commit=True,
            )  # fmt: skip

    def compare():
        with db.sessions() as s:
            return run_comparison(
                s, pref, policies, default_calendar(), catalog(), scene["dir"], "450300", TODAY,
                known_categories=categories(),
            )  # fmt: skip

    def written():
        with db.engine.connect() as c:
            findings = c.execute(select(FindingRow.id, FindingRow.key)).all()
            # the task on each finding's row: open, version 1, opened on the run's day
            tasks = (
                c.execute(
                    select(FindingRow.id).where(
                        FindingRow.status == "open",
                        FindingRow.task_version == 1,
                        FindingRow.opened_on == TODAY,
                        FindingRow.task_level.is_not(None),
                    )
                )
                .scalars()
                .all()
            )
        return findings, tasks

    batch("deaths", "公安", deaths_file(deaths), "d1.csv")
    # the head of 永福县's case reported again by 殡葬 (same death, same key)
    batch("deaths", "殡葬", deaths_file(deaths[:1]), "d2.csv", D(2025, 3, 6))
    batch(
        "vehicles",
        "公安",
        sheet([["身份证号", "姓名", "号牌号码"], [_head("450302", 12), "户主12", "桂C12345"]]),
        "v.csv",
    )
    run = compare()
    assert (run.matches, run.raised, run.known) == (6, 5, 1)
    assert run.by_rule == {
        "deaths.recipient_died": 3,
        "deaths.registered_person_died": 1,
        "vehicles.vehicle_registered": 1,
    }
    findings, tasks = written()
    assert len(findings) == len({k for _, k in findings}) == 5
    assert sorted(tasks) == sorted(i for i, _ in findings)  # one task each
    got = {
        (f.case_id, f.person_id, f.rule): (
            f.county, f.document["program"], f.due_date, f.task_level, f.opened_on,
            f.task_document["deadline"]["value"], f.run_id,
        )
        for f in list_findings(db.sessions(), pref, reg, "450300")
    }  # fmt: skip
    r = run.run_id
    assert got == {
        (dibao_yf, None, "deaths.recipient_died"): (
            "450326", "dibao", D(2025, 3, 17), "township", TODAY, 5, r,
        ),
        (dibao_xf, None, "deaths.recipient_died"): (
            "450302", "dibao", D(2025, 3, 13), "township", TODAY, 3, r,
        ),
        (dibao_xf, None, "vehicles.vehicle_registered"): (
            "450302", "dibao", D(2025, 3, 13), "township", TODAY, 3, r,
        ),
        (tekun_xf, None, "deaths.recipient_died"): (
            "450302", "tekun", D(2025, 3, 31), "township", TODAY, 15, r,
        ),
        (None, entry_.id, "deaths.registered_person_died"): (
            "450326", "low_income", None, "township", TODAY, None, r,
        ),
    }  # fmt: skip
    e, events = get_entry(db.sessions(), scene["county"]["450326"], reg, entry_.id)
    assert e.flagged and [ev["action"] for ev in events] == ["recognised", "flagged"]
    # the same run again: everything known, nothing written
    again = compare()
    assert (again.matches, again.raised, again.known, again.by_rule) == (6, 0, 6, {})
    assert written() == (findings, tasks)
    # a later batch: only the new death is raised
    batch("deaths", "公安", deaths_file([*deaths, (_head("450302", 12), "户主12", "2025-03-01")]),
          "d3.csv", D(2025, 3, 7))  # fmt: skip
    later = compare()
    assert (later.raised, later.by_rule) == (1, {"deaths.recipient_died": 1})
    findings, tasks = written()
    assert len(findings) == len({k for _, k in findings}) == len(tasks) == 6
