"""The annual review (年度核查) on SQLite and PostgreSQL: scope, proposals and reasons per case,
review tasks, batch confirmation through the case workflow (audited), progress per unit,
resuming an interrupted run, and who may do what.

Qiannan's notice (黔南州民政局, 关于开展2021年度低保年度核查…, 一): "将原保障对象、新增申请对象、
2020年1月以来退出保障对象、脱贫攻坚殉职人员遗属、脱贫不稳定户、边缘易致贫户、重病重残人员等纳入
核查范围，确保'应保尽保、应退尽退'" — cases in payment, new applicants, those exited since a date
and the listed groups (here: tagged members) are re-decided on current facts and standards.

Standards are the EXAMPLE values of tests.support.standards (urban 800 yuan/month): test values.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

import core.bulk.service as service
from core.access.roles import Forbidden
from core.bulk.explain import explain, task_continuing
from core.bulk.review import PROPOSALS, ReviewScope, reason_line, reason_line_zh, task_row
from core.bulk.review_store import confirm_unchanged, list_runs, list_tasks, progress
from core.bulk.snapshot import open_snapshot
from core.cases.store import verify_audit_chain
from core.errors import InvalidInput
from core.storage.tables import ReviewRunRow, ReviewTaskRow
from tests.support.bulk_world import AFTER, YUNNAN, BulkWorld
from tests.support.standards import with_example_standards

AS_OF = dt.date(2024, 6, 1)
PANLONG = "530103"


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


@pytest.fixture
def w(db, base) -> BulkWorld:
    return BulkWorld(db, base)


def _scene(w: BulkWorld) -> dict[str, int]:
    """Households and cases (ids by name). Urban standard 800; members 甲 乙 丙."""
    out: dict[str, int] = {}

    def active(name: str, wages: float, later: float | None = None, prop=True) -> None:
        doc = w.doc(wages=1500)
        hid = w.household(doc)
        out[name] = hid
        out[f"{name}_case"] = w.active(hid)
        if later is not None or prop is not True:
            w.change(hid, {**doc, "income": [{**doc["income"][0], "monthlyAmount": later or 1500}],
                           "propertyWithinLocalRules": prop})  # fmt: skip

    active("cont", 1500)  # per capita 500: (800 − 500) × 3 = 900, as confirmed
    active("raise", 1500, later=1200)  # 400: 1200
    active("lower", 1500, later=2100)  # 700: 300
    active("phase", 1500, later=3000)  # 1000 ≥ 800: Yunnan allows a phase-out (max 12 months)
    active("unknown", 1500, prop=None)  # property not assessed: cannot decide
    hid = w.household(w.doc(wages=1500))
    out["applicant"], out["applicant_case"] = hid, w.opened(hid)
    hid = w.household(w.doc(wages=1500))
    out["exited"], out["exited_case"] = hid, w.active(hid)
    w.step(out["exited_case"], "exit_case", "officer", dt.date(2024, 1, 10), reason="moved_away")
    out["tagged"] = w.household(w.doc(wages=6000, tags=("clergy_living_apart",)))
    out["untouched"] = w.household(w.doc(wages=1500))  # no case, no tag: out of scope
    out["shanxi"] = w.household(
        w.doc("140302", wages=1500, tags=("clergy_living_apart",)), who="shanxi_clerk"
    )
    return out


def _run(w: BulkWorld, tmp_path: Path, who: str = "approver", code: str = YUNNAN, **kw):
    scope = ReviewScope(exited_since=dt.date(2024, 1, 1), tags=("clergy_living_apart",), **kw)
    return service.run_review(
        w.db.engine, w.db.sessions, w.base, w.users[who], code, AS_OF, scope,
        snapshots=tmp_path / "snapshots", work=tmp_path / "work",
    )  # fmt: skip


def _tasks(w: BulkWorld, run_id: int, who: str = "approver"):
    with w.db.sessions() as s:
        return list_tasks(s, w.users[who], run_id, w.registry, first=500)


def _zh(t) -> str:
    as_of = dt.date.fromisoformat(t.decision["asOf"])
    return reason_line_zh(
        task_row(t.decision, t.proposal, t.case_state, t.current_amount_fen), as_of, t.county
    )


def test_a_run_proposes_per_case_with_the_reason_in_one_line(w, tmp_path):
    ids = _scene(w)
    run = _run(w, tmp_path)
    assert run.status == "done" and run.jurisdiction == YUNNAN
    tasks = {t.household_id: t for t in _tasks(w, run.id)}
    by = {
        name: tasks[ids[name]] for name in ids if not name.endswith("_case") and ids[name] in tasks
    }
    assert {n: t.proposal for n, t in by.items()} == {
        "cont": "continue",
        "raise": "raise",
        "lower": "lower",
        "phase": "phase_out",
        "unknown": "cannot_decide",
        "applicant": "eligible",
        "exited": "eligible",
        # 乙, clergy apart since 2015 (三年以上), qualifies alone: art. 8(三) names no marginal
        # household, and 乙 earns nothing.
        "tagged": "eligible",
    }
    assert {n: t.scope for n, t in by.items()} == {
        "cont": "in_payment", "raise": "in_payment", "lower": "in_payment",
        "phase": "in_payment", "unknown": "in_payment", "applicant": "applicant",
        "exited": "exited", "tagged": "tagged",
    }  # fmt: skip
    assert by["raise"].reason == (
        "raise: per-capita income 400.00 is below the standard 800.00: the whole household; "
        "amount 900.00 → 1200.00 yuan/month"
    )
    assert by["cont"].reason.startswith("continue: per-capita income 500.00 is below")
    assert by["cont"].reason.endswith("amount 900.00 unchanged")
    assert by["lower"].new_amount_fen == 30000 and by["lower"].current_amount_fen == 90000
    assert by["phase"].reason == (
        "phase out (渐退) may be granted: per-capita income 1000.00 is not below the standard "
        "800.00; no member qualifies alone"
    )
    assert by["unknown"].reason.startswith("cannot decide: property not yet assessed")
    # The same reasons in Chinese, for the console: from what each task keeps.
    zh = {n: _zh(t) for n, t in by.items()}
    assert zh["raise"] == (
        "提高补助：家庭人均收入 400.00 元低于保障标准 800.00 元：整户纳入；"
        "金额 900.00 → 1200.00 元/月"
    )
    assert zh["cont"] == (
        "继续保障：家庭人均收入 500.00 元低于保障标准 800.00 元：整户纳入；金额 900.00 元不变"
    )
    assert zh["phase"] == (
        "可给予渐退期：家庭人均收入 1000.00 元不低于保障标准 800.00 元，且无成员可按单人户纳入"
    )
    assert zh["unknown"] == "无法认定：尚未按当地规定核定家庭财产"
    assert zh["tagged"] == (
        "符合条件：家庭人均收入 2000.00 元不低于保障标准 800.00 元；1 人可按单人户纳入；"
        "每月 800.00 元"
    )
    assert by["tagged"].case_id is None
    assert all(t.case_id == ids[f"{n}_case"] for n, t in by.items() if n != "tagged")
    assert all("\n" not in t.reason for t in by.values())
    assert run.counts["tasks"] == 8 and run.counts["proposals"]["continue"] == 1
    with w.db.sessions() as s:
        units = progress(s, run.id)
    assert [(u.unit, u.unit_level, u.total, u.stored, u.done) for u in units] == [
        (YUNNAN, "county", 8, 8, True)
    ]


def test_every_task_is_one_call_from_its_full_trace_and_they_agree(w, tmp_path):
    _scene(w)
    run = _run(w, tmp_path)
    snap = open_snapshot(Path(run.snapshot_path))
    for t in _tasks(w, run.id):
        d = t.decision
        bulk = {"status": d["status"], "mode": d["mode"], "covered": d["covered"],
                "amount_fen": d["amountFen"]}  # fmt: skip
        x = explain(snap, t.household_id, t.program, run.as_of, w.base, bulk,
                    continuing=task_continuing(snap, t.household_id))  # fmt: skip
        assert x.agrees, (t, x.differences)
        assert x.decision.reasons and x.decision.trace  # the engine's full account


def test_no_change_is_confirmed_in_a_batch_by_the_level_that_confirms_audited(w, tmp_path):
    ids = _scene(w)
    run = _run(w, tmp_path)
    on = dt.date(2024, 6, 3)
    # Yunnan: dibao is confirmed by the township (dibao.approval.confirming_level), so the
    # county approver's batch is refused case by case by the workflow, and nothing changes.
    with w.db.sessions() as s:
        refused = confirm_unchanged(s, w.base, w.users["approver"], run.id, on)
    assert refused.confirmed == () and [x.code for x in refused.skipped] == ["WRONG_LEVEL"]
    assert w.case(ids["cont_case"]).version == 5
    with w.db.sessions() as s:
        done = confirm_unchanged(s, w.base, w.users["officer"], run.id, on)
    assert len(done.confirmed) == 1 and done.skipped == ()
    case = w.case(ids["cont_case"])
    assert case.version == 6 and case.data["lastReview"]["on"] == "2024-06-03"
    tasks = {t.household_id: t for t in _tasks(w, run.id)}
    cont = tasks[ids["cont"]]
    assert cont.status == "confirmed" and cont.confirmed_by == "officer"
    assert cont.event_id == done.events[0]
    with w.db.sessions() as s:
        assert verify_audit_chain(s) == []
    # Confirming again does nothing; a case moved on by another step shows as superseded.
    with w.db.sessions() as s:
        again = confirm_unchanged(s, w.base, w.users["officer"], run.id, on)
    assert again.confirmed == () and again.skipped == ()
    w.step(ids["raise_case"], "record_work_refusal", "officer", on)
    assert {t.household_id: t.status for t in _tasks(w, run.id)}[ids["raise"]] == "superseded"


def test_a_household_changed_since_the_snapshot_is_left_to_the_officials(w, tmp_path):
    ids = _scene(w)
    run = _run(w, tmp_path)
    doc = w.doc(wages=1500, seq=None)
    w.change(ids["cont"], {**doc, "members": doc["members"]})
    with w.db.sessions() as s:
        result = confirm_unchanged(s, w.base, w.users["officer"], run.id, dt.date(2024, 6, 3))
    assert result.confirmed == ()
    assert [x.code for x in result.skipped] == ["VERSION_CONFLICT"]
    assert "changed since the snapshot" in result.skipped[0].why
    assert w.case(ids["cont_case"]).version == 5


def test_an_interrupted_run_resumes_with_the_units_not_done(w, tmp_path, monkeypatch):
    _scene(w)
    # A second unit: a tagged household of Panlong (530103) in the same prefecture.
    from core.access.tokens import create_user

    with w.db.sessions() as s:
        w.users["panlong"], _ = create_user(s, "panlong", "village_clerk", PANLONG, w.registry)
    w.household(w.doc(PANLONG, wages=100, tags=("clergy_living_apart",)), who="panlong")
    real = service.store_unit
    calls: list[str] = []

    def failing(session, run_id, unit, tasks):
        calls.append(unit)
        if unit == PANLONG:
            raise RuntimeError("the database went away")
        return real(session, run_id, unit, tasks)

    monkeypatch.setattr(service, "store_unit", failing)
    with pytest.raises(RuntimeError):
        _run(w, tmp_path, who="admin", code="530100")
    with w.db.sessions() as s:
        run = list_runs(s, w.users["admin"], "530100", w.registry)[0]
        units = {u.unit: u.done for u in progress(s, run.id)}
    assert run.status == "failed" and "the database went away" in (run.error or "")
    assert units == {YUNNAN: True, PANLONG: False}
    wuhua_ids = {t.id for t in _tasks(w, run.id, "admin") if t.county == YUNNAN}
    assert len(wuhua_ids) == 8

    def tracking(session, run_id, unit, tasks):
        calls.append(unit)
        return real(session, run_id, unit, tasks)

    monkeypatch.setattr(service, "store_unit", tracking)
    calls.clear()
    resumed = service.resume_review(
        w.db.sessions, w.base, w.users["admin"], run.id, work=tmp_path / "work"
    )
    assert resumed.status == "done" and resumed.counts["tasks"] == 9
    tasks = _tasks(w, run.id, "admin")
    assert {t.id for t in tasks if t.county == YUNNAN} == wuhua_ids  # not stored again
    assert calls == [PANLONG]
    assert len(tasks) == 9 and len({(t.household_id, t.program) for t in tasks}) == 9


def test_who_may_run_and_read_reviews(w, tmp_path):
    _scene(w)
    for who in ("auditor", "officer", "clerk", "analyst", "outsider"):
        with pytest.raises(Forbidden):
            _run(w, tmp_path, who=who)
    with w.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewRunRow)) == 0
    assert not (tmp_path / "snapshots").exists()  # refused before the registers were read
    run = _run(w, tmp_path)
    for who in ("analyst", "outsider"):
        with w.db.sessions() as s, pytest.raises(Forbidden):
            list_tasks(s, w.users[who], run.id, w.registry)
    assert len(_tasks(w, run.id, "auditor")) == 8  # the auditor reads
    with w.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewTaskRow)) == 8


def test_the_shanxi_household_is_not_in_a_yunnan_run_and_phase_out_needs_a_policy(w, tmp_path):
    ids = _scene(w)
    run = _run(w, tmp_path, programs=("dibao",))
    assert ids["shanxi"] not in {t.household_id for t in _tasks(w, run.id)}
    assert AFTER < AS_OF


def test_officials_under_a_run_see_and_confirm_their_part(w, tmp_path):
    """A run at the prefecture (530100, by the province administrator): Wuhua's officials list
    their county's tasks and confirm its "no change" batch; Shanxi's see nothing of it."""
    ids = _scene(w)
    run = _run(w, tmp_path, who="admin", code="530100")
    with w.db.sessions() as s:
        mine = list_tasks(s, w.users["officer"], run.id, w.registry)
        runs = list_runs(s, w.users["officer"], YUNNAN, w.registry)
    assert {t.county for t in mine} == {YUNNAN} and len(mine) == 8
    assert [r.id for r in runs] == [run.id]
    with w.db.sessions() as s:
        done = confirm_unchanged(s, w.base, w.users["officer"], run.id, dt.date(2024, 6, 3))
    assert len(done.confirmed) == 1 and w.case(ids["cont_case"]).version == 6
    with w.db.sessions() as s, pytest.raises(Forbidden):
        list_tasks(s, w.users["outsider"], run.id, w.registry)


def test_a_tekun_minor_kept_on_is_continued_explained_and_confirmed_alike(w, tmp_path):
    """特困人员认定办法 art. 24: "特困人员中的未成年人，可继续享有救助供养待遇至18周岁" — 甲,
    supported since 15, is 16 on the review's date (past tekun.minor_age_limit 16): the run, the
    task's trace and the batch confirmation all keep them on, as record_review does."""
    from tests.support.households import id_number

    minor = id_number(YUNNAN, 901, birth="20080115")
    doc = w.doc(wages=0, size=1, seq=900)
    doc["members"] = [{"idNumber": minor, "name": "甲", "relation": "head",
                       "hasAbleSupporter": False}]  # fmt: skip
    doc["income"] = []
    hid = w.household(doc)
    cid = w.active(hid, "tekun")
    assert w.case(cid).data["membersCovered"] == [minor]
    run = _run(w, tmp_path, programs=("tekun",))
    (task,) = [t for t in _tasks(w, run.id) if t.household_id == hid]
    assert task.proposal == "continue", task.reason
    d = task.decision
    bulk = {"status": d["status"], "mode": d["mode"], "covered": d["covered"],
            "amount_fen": d["amountFen"]}  # fmt: skip
    snap = open_snapshot(Path(run.snapshot_path))
    x = explain(snap, hid, "tekun", run.as_of, w.base, bulk, continuing=task_continuing(snap, hid))
    assert x.agrees, x.differences
    assert any(g.applies == "minor_continuation" for g in x.decision.grounds)
    # Without the case's support the same person is not kept on: the continuation is the case's.
    alone = explain(snap, hid, "tekun", run.as_of, w.base, bulk)
    assert not alone.agrees
    with w.db.sessions() as s:  # Yunnan's townships confirm tekun (002 二(一))
        refused = confirm_unchanged(s, w.base, w.users["approver"], run.id, dt.date(2024, 6, 3))
    assert refused.confirmed == () and refused.skipped[0].code == "WRONG_LEVEL"
    with w.db.sessions() as s:
        done = confirm_unchanged(s, w.base, w.users["officer"], run.id, dt.date(2024, 6, 3))
    assert done.confirmed == (task.id,) and done.skipped == ()
    assert w.case(cid).data["lastReview"]["status"] == "eligible"
    with w.db.sessions() as s:
        assert verify_audit_chain(s) == []


@pytest.mark.parametrize("proposal", PROPOSALS)
def test_every_reason_reads_in_chinese_with_the_same_figures(proposal):
    """Each reason the rules give, under each proposal, in Chinese: the same figures as the
    English line, no English word (the parameter not set is named by its path)."""
    from core.bulk.review import _LOW_INCOME_ZH, _REASONS_ZH

    reasons = [*_REASONS_ZH, *_LOW_INCOME_ZH, "below_standard", "single_person",
               "members_qualify", "standard_not_set"]  # fmt: skip
    for reason in reasons:
        for state in ("active", "phasing_out"):
            row = {
                "proposal": proposal, "reason": reason, "case_state": state, "covered": 2,
                "status": "cannot_decide" if reason.endswith("not_set") else "eligible",
                "missing": "dibao.standard.rural" if reason.endswith("not_set") else None,
                "pci_fen": 43210, "standard_fen": 80000, "amount_fen": 120000,
                "current_amount_fen": 90000,
            }  # fmt: skip
            en = reason_line(row, dt.date(2024, 6, 1), "530102")
            zh = reason_line_zh(row, dt.date(2024, 6, 1), "530102")
            words = re.sub(r"`[a-z_.]+`", "", zh)
            assert not re.search(r"[A-Za-z]{2,}", words), (proposal, reason, zh)
            for figure in re.findall(r"\d+\.\d\d|\d{4}-\d\d-\d\d|5301\d\d", en):
                assert figure in zh, (proposal, reason, figure, en, zh)


def test_runs_are_listed_newest_first_a_page_at_a_time(w, tmp_path):
    # Every county's runs of every year accumulate: a listing reads one page, not them all.
    _scene(w)
    ids = [_run(w, tmp_path).id for _ in range(3)]
    with w.db.sessions() as s:
        page = list_runs(s, w.users["officer"], YUNNAN, w.registry, first=2)
        rest = list_runs(s, w.users["officer"], YUNNAN, w.registry, first=2, before=page[-1].id)
        assert [r.id for r in list_runs(s, w.users["officer"], YUNNAN, w.registry)] == ids[::-1]
        for bad in (0, 101):
            with pytest.raises(InvalidInput, match="first: between 1 and 100"):
                list_runs(s, w.users["officer"], YUNNAN, w.registry, first=bad)
    assert [r.id for r in page] == [ids[2], ids[1]] and [r.id for r in rest] == [ids[0]]
