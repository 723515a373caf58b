"""Phase-out (渐退期) and exit: only for income over (超过) the standard, with the cause the
document names, chosen by the official where the policy allows it, and every step saying which
rule allowed it. EXAMPLE standards as in tests/cases/test_cases.py (urban 800 yuan/month)."""

from __future__ import annotations

import datetime as dt

import pytest

import core.cases as cs
from core.cases import CaseState
from core.errors import InvalidInput
from core.households.model import Household, parse_household
from tests.support.cases import (
    AFTER,
    GUIZHOU,
    LATER,
    NINGXIA,
    YUNNAN,
    Runner,
    active,
    approver,
    officer,
    pid,
    to_publicity,
    working,
)
from tests.support.standards import with_example_standards

D = dt.date


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


def test_a_household_at_or_below_the_standard_is_never_phased_out(base):
    # 审核确认办法 art. 33: 「对就业后家庭人均收入超过当地最低生活保障标准的最低生活保障家庭，县级
    # 人民政府民政部门可以给予一定时间的渐退期」: over (超过) the standard, not at it.
    r = active(base, YUNNAN)
    for wages, words in ((2100, "still eligible"), (2400, "equals the standard")):
        _, kw = working(base, YUNNAN, wages)
        with pytest.raises(cs.PhaseOutRefused) as e:
            r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, **kw)
        assert e.value.code == "PHASE_OUT_NOT_ALLOWED" and words in e.value.message
    assert r.case.state is CaseState.ACTIVE


def test_yunnan_needs_the_cause_its_document_names(base):
    # 002 二(一): 「对因家庭成员就业创业导致收入超过低保标准的家庭」: the income must be over
    # because a member found work or started a business.
    r = active(base, YUNNAN)
    h, kw = working(base, YUNNAN)
    with pytest.raises(cs.PhaseOutRefused) as e:
        r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, household=h)
    assert "employment or business_start" in e.value.message and "就业创业" in e.value.message
    with pytest.raises(cs.PhaseOutRefused) as e:  # the spouse earns nothing
        r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, household=h,
          cause="employment", cause_member=h.members[1].id_number)  # fmt: skip
    assert "no wages income" in e.value.message
    with pytest.raises(cs.PhaseOutRefused):  # the head earns wages, not business income
        r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, household=h,
          cause="business_start", cause_member=h.members[0].id_number)  # fmt: skip
    case = r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, **kw)
    rule = case.data["phaseOut"]["rule"]
    assert rule == {
        "rule": "dibao.phase_out.allowed",
        "months": 6,
        "cause": "employment",
        "causeMember": h.members[0].id_number,
        "condition": "per-capita income 1000.00 is over the standard 800.00 "
        "(`dibao.standard.urban`); because 甲 found work (wages 3000.00 yuan/month; "
        "`dibao.phase_out.causes`)",
    }
    event = r.events[-1]
    assert event.inputs["rule"] == rule
    assert {"dibao.phase_out.allowed", "dibao.phase_out.causes", "dibao.standard.urban"} <= {
        t.path for t in event.policy
    }
    assert any("因家庭成员就业创业" in x for x in event.reasons)


def test_a_review_over_the_standard_asks_the_official_to_choose(base):
    # Yongning 004 二(一)2 allows up to 18 months: a review that finds the income over the
    # standard must not end the benefit by default (the exit cannot be undone).
    r = active(base, NINGXIA)
    h, kw = working(base, NINGXIA)
    with pytest.raises(cs.ChoiceRequired) as e:
        r(cs.record_review, approver(NINGXIA), LATER, household=h)
    assert e.value.code == "CHOICE_REQUIRED" and e.value.field == "outcome"
    assert "1 to 18 months" in e.value.message
    assert r.case.state is CaseState.ACTIVE
    case = r(cs.record_review, approver(NINGXIA), LATER, outcome="phase_out",
             phase_out_months=18, self_reported=True, **kw)  # fmt: skip
    assert case.state is CaseState.PHASING_OUT
    assert r.events[-1].inputs["rule"]["selfReported"] is True


def test_yongning_tells_the_household_of_its_phase_out_in_a_written_notice(base):
    # Yongning 004 二(一)2: 「针对渐退对象各乡镇(街道)要建立收入超标或稳定就业监测名单并做好相关
    # 记录,自纳入渐退名单之日起以正式文书的形式告知低保对象」
    r = active(base, NINGXIA)
    _, kw = working(base, NINGXIA)
    case = r(cs.record_review, approver(NINGXIA), LATER, outcome="phase_out",
             phase_out_months=6, self_reported=True, **kw)  # fmt: skip
    assert case.data["phaseOut"]["noticeRequired"] is True
    assert any("formal written notice" in x and "正式文书" in x for x in r.events[-1].reasons)
    with pytest.raises(InvalidInput, match=r"^number:"):
        r(cs.record_phase_out_notice, officer(NINGXIA), LATER, number="  ")
    with pytest.raises(InvalidInput, match="cannot precede"):
        r(cs.record_phase_out_notice, officer(NINGXIA), LATER - dt.timedelta(days=1), number="1")
    case = r(cs.record_phase_out_notice, officer(NINGXIA), LATER, number="永民渐退告〔2024〕3号")
    assert case.state is CaseState.PHASING_OUT
    assert case.data["phaseOutNotice"] == {"on": "2024-03-05", "number": "永民渐退告〔2024〕3号"}
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_phase_out_notice, officer(NINGXIA), LATER, number="again")
    # Yunnan's document says nothing of a notice: none is due
    y = active(base, YUNNAN)
    _, kw = working(base, YUNNAN)
    case = y(cs.start_phase_out, officer(YUNNAN), LATER, months=6, **kw)
    assert "noticeRequired" not in case.data["phaseOut"]


def test_income_equal_to_the_standard_exits_found_ineligible_without_a_phase_out(base):
    r = active(base, YUNNAN)
    h, kw = working(base, YUNNAN, 2400)  # 800 per capita = the standard
    with pytest.raises(cs.PhaseOutRefused):
        r(cs.record_review, officer(YUNNAN), LATER, phase_out_months=6, **kw)
    case = r(cs.record_review, officer(YUNNAN), LATER, household=h)
    assert case.state is CaseState.EXITED
    assert case.data["exit"]["reason"] == "found_ineligible"
    assert "equals the standard" in case.data["exit"]["rule"]["condition"]


def test_national_phase_out_has_no_maximum_before_the_2022_notice(base):
    # 审核确认办法 art. 33 (2021-07-01): 「可以给予一定时间的渐退期」 — a length the official sets;
    # the 6-month ceiling comes with 民发〔2022〕83号 (2022-10-20).
    r = to_publicity_on(base, GUIZHOU, D(2021, 9, 1))
    r(cs.confirm_case, approver(GUIZHOU), D(2021, 9, 20))
    _, kw = working(base, GUIZHOU)
    case = r(cs.start_phase_out, approver(GUIZHOU), D(2022, 1, 10), months=9, **kw)
    assert case.data["phaseOut"]["months"] == 9
    assert any("no maximum is set" in x for x in r.events[-1].reasons)


def to_publicity_on(base, county, day):
    t = cs.open_case(
        officer(county), base.resolve(county, day), day, household_id=7, program="dibao"
    )
    r = Runner(base, t.case)
    r(cs.record_investigation, officer(county), day, investigators=["甲", "乙"])
    r(cs.record_first_review, officer(county), day + dt.timedelta(1))
    r(cs.start_publicity, officer(county), day + dt.timedelta(2))
    return r


def test_an_exit_instead_of_an_allowed_phase_out_needs_reasons_and_names_the_rule(base):
    r = active(base, YUNNAN)
    with pytest.raises(cs.ReasonsRequired):
        r(cs.exit_case, officer(YUNNAN), LATER, reason="income_over_standard")
    case = r(cs.exit_case, officer(YUNNAN), LATER, reason="income_over_standard",
             reasons=["户主稳定就业，家庭自愿退出"])  # fmt: skip
    assert case.data["exit"]["rule"] == {
        "rule": "dibao.phase_out.allowed",
        "condition": "a phase-out is allowed here and the official chose the exit",
        "reasons": ["户主稳定就业，家庭自愿退出"],
    }


def test_a_single_person_case_failing_for_another_reason_is_not_income_over_the_standard(base):
    # The household of a single-person case is over the standard by construction: only the
    # covered member's own income can be "over the standard".
    def eh(disability: dict) -> Household:
        members = [
            {"idNumber": pid(), "name": "甲", "relation": "head"},
            {"idNumber": pid(), "name": "乙", "relation": "spouse"},
            {"idNumber": disabled, "name": "丙", "relation": "child", "employed": True,
             "disability": disability},
        ]  # fmt: skip
        data = {
            "county": YUNNAN,
            "area": "urban",
            "incomeClass": "stable",
            "propertyWithinLocalRules": True,
            "members": members,
            "income": [{"kind": "wages", "monthlyAmount": 3000, "member": members[0]["idNumber"]}],
        }
        return parse_household(data, base.registry, D(2024, 1, 1))

    disabled = pid("19700101")
    h = eh({"kind": "physical", "grade": 1})
    r = to_publicity(base, YUNNAN)
    r(cs.record_own_application, officer(YUNNAN), AFTER, household=h, member=disabled)
    case = r(cs.confirm_case, officer(YUNNAN), AFTER, household=h)
    assert case.data["mode"] == "single_person"
    regraded = eh({"kind": "physical", "grade": 3})
    with pytest.raises(cs.PhaseOutRefused):
        r(cs.record_review, officer(YUNNAN), LATER, household=regraded, phase_out_months=6,
          cause="employment", cause_member=regraded.members[0].id_number)  # fmt: skip
    case = r(cs.record_review, officer(YUNNAN), LATER, household=regraded)
    assert case.data["exit"]["reason"] == "found_ineligible"
    assert case.data["exit"]["rule"]["rule"] == "eligibility"
