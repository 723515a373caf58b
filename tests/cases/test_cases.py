"""The case state machine (pure): each province's chain from its merged policy, refusals, events.

No source document sets a dibao standard in yuan, so reviews run against EXAMPLE standards added
by a test layer (urban 800 yuan/month), as in tests/test_eligibility.py; likewise the township
limit of temporary assistance (no document read for the project sets one) is a test value.
"""

from __future__ import annotations

import datetime as dt

import pytest

import core.cases as cs
from core.access.roles import Role, User
from core.cases import CaseState
from core.errors import InvalidInput
from core.policy.service import PolicyBase
from tests.support.cases import (
    AFTER,
    CLERK,
    DAY0,
    GUANGXI,
    GUIZHOU,
    LATER,
    NINGXIA,
    SHANXI,
    YUNNAN,
    D,
    Tally,
    active,
    approver,
    household,
    officer,
    opened,
    pid,
    staff,
    tekun_household,
    to_publicity,
    traced,
    working,
)
from tests.support.standards import with_example_standards


@pytest.fixture(scope="module")
def base(base: PolicyBase) -> PolicyBase:
    """Installed policy + example dibao/tekun standards and a temporary township limit: the
    engine evaluates every confirmation, so it needs standards."""
    return with_example_standards(base)


@pytest.fixture(scope="module")
def sbase(base: PolicyBase) -> PolicyBase:
    return base


# -- confirmation: who, when, after what --------------------------------------------------------


def test_yunnan_township_confirms_after_publicity(base):
    r = to_publicity(base, YUNNAN)
    assert r.case.data["publicity"]["days"] == 7
    with pytest.raises(cs.PublicityNotOver):
        r(cs.confirm_case, officer(YUNNAN), DAY0 + dt.timedelta(5))
    with pytest.raises(cs.WrongLevel) as e:
        r(cs.confirm_case, approver(YUNNAN), AFTER)
    assert e.value.code == "WRONG_LEVEL"
    case = r(cs.confirm_case, officer(YUNNAN), AFTER)
    assert case.state is CaseState.ACTIVE
    assert case.data["benefitFrom"] == "2023-10-01"  # the month after approval
    assert case.data["amount"] == "900.00"  # (800 - 1500 / 3) × 3, by the engine
    assert len(case.data["membersCovered"]) == 3
    ev = r.events[-1]
    level = traced(ev, "dibao.approval.confirming_level")
    assert (level.value, level.origin, level.jurisdiction_code) == ("township", "yunnan", "530000")
    assert level.source.quote
    assert ev.actor.role == "township_officer" and ev.inputs["level"] == "township"
    # a township confirmation in Yunnan has no spot-check ratio: never selected
    assert case.data["spotCheck"]["selected"] is False


def test_confirmation_always_evaluates_and_an_amount_by_hand_is_lower_with_reasons(base):
    h = household(base, YUNNAN, 1500)  # the engine: 900.00 a month, 3 members covered
    r = to_publicity(base, YUNNAN)
    with pytest.raises(InvalidInput):  # no household: no confirmation
        cs.confirm_case(r.case, officer(YUNNAN), base.resolve(YUNNAN, AFTER), AFTER)
    with pytest.raises(cs.NotEligible):  # the engine decides, whatever the amount asked
        r(cs.confirm_case, officer(YUNNAN), AFTER, household=household(base, YUNNAN, 5000),
          monthly_amount="100", reasons=["x"])  # fmt: skip
    with pytest.raises(cs.AmountTooHigh) as e:
        r(cs.confirm_case, officer(YUNNAN), AFTER, household=h, monthly_amount="900.01",
          reasons=["more"])  # fmt: skip
    assert (e.value.code, e.value.field) == ("AMOUNT_TOO_HIGH", "monthlyAmount")
    with pytest.raises(cs.ReasonsRequired):
        r(cs.confirm_case, officer(YUNNAN), AFTER, household=h, monthly_amount="700")
    for bad in ("1e30", "-5", "0.001", "Infinity", "NaN", "abc", "10000000.01"):
        with pytest.raises(InvalidInput) as e:
            r(cs.confirm_case, officer(YUNNAN), AFTER, household=h, monthly_amount=bad,
              reasons=["x"])  # fmt: skip
        assert e.value.message.startswith("monthlyAmount:"), bad
    case = r(cs.confirm_case, officer(YUNNAN), AFTER, household=h, monthly_amount="700",
             reasons=["已有部分赡养费"])  # fmt: skip
    assert case.data["amount"] == "700.00" and len(case.data["membersCovered"]) == 3
    inputs = r.events[-1].inputs
    assert inputs["amount"] == "700.00" and inputs["decision"]["amount"] == "900.00"
    assert inputs["reasons"] == ["已有部分赡养费"] and "已有部分赡养费" in r.events[-1].reasons


def test_temporary_amounts_are_checked_when_opening(base):
    for bad in ("1e27", "1e-9", "0", "-5", "Infinity", "1e308"):
        with pytest.raises(InvalidInput) as e:
            opened(base, YUNNAN, program="temporary", amount=bad)
        assert e.value.message.startswith("amount:"), bad
    assert opened(base, YUNNAN, program="temporary", amount="10000000").case.data["amount"] == (
        "10000000.00"
    )


def test_an_outsider_is_forbidden_before_the_state_is_checked(base):
    r = opened(base, YUNNAN)  # accepted: confirmation is not possible yet
    for outsider in (officer(SHANXI), staff(YUNNAN, Role.AUDITOR), approver("530103")):
        with pytest.raises(cs.CaseForbidden):
            r(cs.confirm_case, outsider, AFTER)
        with pytest.raises(cs.CaseForbidden):
            r(cs.record_death, outsider, AFTER, id_number="x")
    with pytest.raises(cs.InvalidTransition):
        r(cs.confirm_case, officer(YUNNAN), AFTER)


def test_shanxi_county_confirms_only_after_verification_passes(base):
    r = to_publicity(base, SHANXI)
    with pytest.raises(cs.WrongLevel):
        r(cs.confirm_case, officer(SHANXI), AFTER)
    with pytest.raises(cs.VerificationRequired) as e:
        r(cs.confirm_case, approver(SHANXI), AFTER)
    assert e.value.code == "VERIFICATION_REQUIRED"
    with pytest.raises(cs.WrongLevel):  # the county verifies, not the township
        r(cs.record_verification, officer(SHANXI), AFTER, passed=True)
    r(cs.record_verification, approver(SHANXI), AFTER, passed=False)
    assert r.case.state is CaseState.IN_PUBLICITY
    with pytest.raises(cs.VerificationRequired):
        r(cs.confirm_case, approver(SHANXI), AFTER)
    r(cs.record_verification, approver(SHANXI), AFTER, passed=True)
    case = r(cs.confirm_case, approver(SHANXI), AFTER)
    assert case.state is CaseState.ACTIVE and "spotCheck" not in case.data
    verify = traced(r.events[-1], "dibao.verification.required_before_approval")
    assert (verify.value, verify.origin) == (True, "shanxi")


def test_rejection_needs_reasons_at_the_confirming_level(base):
    r = to_publicity(base, SHANXI)
    with pytest.raises(cs.ReasonsRequired):
        r(cs.reject_case, approver(SHANXI), AFTER, reasons=[" "])
    with pytest.raises(cs.WrongLevel):
        r(cs.reject_case, officer(SHANXI), AFTER, reasons=["收入超标"])
    case = r(cs.reject_case, approver(SHANXI), AFTER, reasons=["收入超标"])
    assert case.state is CaseState.REJECTED and r.events[-1].reasons[-1] == "收入超标"
    with pytest.raises(cs.InvalidTransition):
        r(cs.confirm_case, approver(SHANXI), AFTER)


def test_order_of_the_chain_and_objection_reopens_investigation(base):
    r = opened(base, YUNNAN)
    with pytest.raises(cs.InvalidTransition):
        r(cs.start_publicity, officer(YUNNAN), DAY0)
    with pytest.raises(cs.TooFewInvestigators):  # national: at least 2 per visit
        r(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲", "甲"])
    r(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲", "乙"])
    r(cs.record_first_review, officer(YUNNAN), DAY0)
    r(cs.start_publicity, officer(YUNNAN), DAY0)
    case = r(cs.record_objection, CLERK, DAY0 + dt.timedelta(2), reason="有车辆未申报")
    assert case.state is CaseState.ACCEPTED and "publicity" not in case.data
    assert case.data["objections"][0]["reason"] == "有车辆未申报"
    with pytest.raises(cs.InvalidTransition):
        r(cs.confirm_case, officer(YUNNAN), AFTER)


# -- Guangxi spot-check --------------------------------------------------------------------------


def test_guangxi_county_checks_at_least_half_of_each_months_township_confirmations(base):
    # Yongfu 003 二(三): 「县民政局社会救助股通过广西社会救助信息管理系统对乡镇每月新审核认定的低保
    # 对象进行50%以上的线上核查」: a floor for every county and month, not an average.
    tally: Tally = {}
    flags = []
    for case_id in range(1, 8):
        r = to_publicity(base, GUANGXI, case_id=case_id, tally=tally)
        case = r(cs.confirm_case, officer(GUANGXI), AFTER)
        spot = case.data["spotCheck"]
        assert (spot["ratio"], spot["pool"], spot["month"]) == (
            0.5,
            "dibao_township_confirmation",
            "2023-09",
        )
        flags.append(spot["selected"])
        n = len(flags)
        assert sum(flags) >= -(-n // 2)  # ⌈0.5·n⌉ at every moment of the month
        assert spot["required"] == -(-n // 2) and spot["position"] == n
        assert any("dibao.approval.county_spot_check_ratio" in x for x in r.events[-1].reasons)
    # the county overturns one: the case exits as found ineligible
    r = to_publicity(base, GUANGXI, case_id=99)  # the first of its own tally: selected
    case = r(cs.confirm_case, officer(GUANGXI), AFTER)
    assert case.data["spotCheck"]["selected"] is True and case.data["spotCheck"]["forced"]
    with pytest.raises(cs.WrongLevel):
        r(cs.record_spot_check, officer(GUANGXI), AFTER, upheld=True)
    with pytest.raises(cs.ReasonsRequired):
        r(cs.record_spot_check, approver(GUANGXI), AFTER, upheld=False)
    case = r(cs.record_spot_check, approver(GUANGXI), AFTER, upheld=False, reasons=["有经营性收入"])
    assert case.state is CaseState.EXITED and case.data["exit"]["reason"] == "found_ineligible"


# -- phase-out -----------------------------------------------------------------------------------


def test_ningxia_phase_out_up_to_18_months_and_exit_when_stable(base):
    # Yongning 004 二(一)2: 「低保对象家庭人均收入超过当地低保标准的,经主动报告后,可给予最多18个月
    # 的渐退期,到期后予以清退。渐退期内收入或就业已达到稳定的,次月即可退出。」
    r = active(base, NINGXIA)
    _, kw = working(base, NINGXIA)
    with pytest.raises(cs.PhaseOutTooLong) as e:
        r(cs.start_phase_out, approver(NINGXIA), LATER, months=19, self_reported=True, **kw)
    assert e.value.code == "PHASE_OUT_TOO_LONG"
    with pytest.raises(cs.PhaseOutRefused) as refused:  # 经主动报告后
        r(cs.start_phase_out, approver(NINGXIA), LATER, months=18, **kw)
    assert "selfReported" in refused.value.message and "经主动报告后" in refused.value.message
    case = r(cs.start_phase_out, approver(NINGXIA), LATER, months=18, self_reported=True, **kw)
    assert case.state is CaseState.PHASING_OUT
    phase = dict(case.data["phaseOut"])
    rule = phase.pop("rule")
    assert phase == {
        "decidedOn": "2024-03-05",
        "months": 18,
        "from": "2024-04-01",
        "lastMonth": "2025-09",
        "noticeRequired": True,  # 以正式文书的形式告知 (tests/cases/test_phase_out.py)
    }
    assert rule["rule"] == "dibao.phase_out.allowed" and rule["selfReported"] is True
    assert rule["cause"] == "employment" and "over the standard" in rule["condition"]
    assert traced(r.events[-1], "dibao.phase_out.max_months").origin == "ningxia"
    with pytest.raises(cs.PhaseOutNotAllowed):  # income over standard: not before the end
        r(cs.exit_case, approver(NINGXIA), D(2024, 6, 1), reason="income_over_standard")
    case = r(cs.record_income_stable, approver(NINGXIA), D(2024, 6, 10))
    assert case.state is CaseState.EXITED
    exit_ = dict(case.data["exit"])
    assert exit_.pop("rule")["rule"] == "dibao.phase_out.exit_next_month_when_stable"
    assert exit_ == {"on": "2024-06-10", "reason": "income_over_standard", "lastMonth": "2024-06"}


def test_yunnan_phase_out_between_6_and_12_months(base):
    # Yunnan 002 二(一): 「对因家庭成员就业创业导致收入超过低保标准的家庭,可根据实际情况给予半年至
    # 一年的“渐退期”」
    r = active(base, YUNNAN)
    _, kw = working(base, YUNNAN)
    with pytest.raises(cs.PhaseOutTooLong):
        r(cs.start_phase_out, officer(YUNNAN), LATER, months=13, **kw)
    with pytest.raises(cs.PhaseOutTooShort):
        r(cs.start_phase_out, officer(YUNNAN), LATER, months=5, **kw)
    case = r(cs.start_phase_out, officer(YUNNAN), LATER, months=12, **kw)
    assert case.data["phaseOut"]["lastMonth"] == "2025-03"
    with pytest.raises(cs.PhaseOutNotAllowed):  # no early exit on stable income in Yunnan
        r(cs.record_income_stable, officer(YUNNAN), D(2024, 6, 10))
    case = r(cs.exit_case, officer(YUNNAN), D(2025, 3, 20), reason="income_over_standard")
    assert case.state is CaseState.EXITED


def test_national_phase_out_at_most_6_months(base):
    # 民发〔2022〕83号 一(三): 「对就业后家庭人均收入超过当地低保标准的低保家庭，可给予原则上不超过
    # 6个月的渐退期」
    r = active(base, GUIZHOU)  # no provincial phase-out rule: the 2022 national notice
    _, kw = working(base, GUIZHOU)
    with pytest.raises(cs.PhaseOutTooLong):
        r(cs.start_phase_out, approver(GUIZHOU), LATER, months=7, **kw)
    r(cs.start_phase_out, approver(GUIZHOU), LATER, months=6, **kw)


# -- who may act ---------------------------------------------------------------------------------


def test_recusal_of_a_near_relative_and_county_visit_of_a_filed_case(base):
    relative = officer(YUNNAN, uid=11)
    r = opened(base, YUNNAN, near_relatives=[{"userId": 11, "relation": "parent"}])
    assert r.case.data["filed"] is True  # national: near relatives are filed (备案)
    with pytest.raises(cs.RecusalRequired) as e:
        r(cs.record_investigation, relative, DAY0, investigators=["甲", "乙"])
    assert e.value.code == "RECUSAL_REQUIRED"
    with pytest.raises(cs.RecusalRequired):
        cs.open_case(
            relative,
            base.resolve(YUNNAN, DAY0),
            DAY0,
            household_id=7,
            program="dibao",
            near_relatives=[{"userId": 11, "relation": "spouse"}],
        )
    r(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲", "乙"])
    r(cs.record_first_review, officer(YUNNAN), DAY0)
    r(cs.start_publicity, officer(YUNNAN), DAY0)
    with pytest.raises(cs.RecusalRequired):
        r(cs.confirm_case, relative, AFTER)
    with pytest.raises(cs.CountyVisitRequired):
        r(cs.confirm_case, officer(YUNNAN), AFTER)
    # a township visit during publicity is not recorded (an objection reopens the investigation)
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_investigation, officer(YUNNAN), AFTER, investigators=["甲", "乙"])
    # the county's own visit may still come during publicity; then the township confirms
    r(cs.record_investigation, approver(YUNNAN), AFTER, investigators=["丙", "丁"])
    assert r.case.state is CaseState.IN_PUBLICITY and r.case.data["countyHomeVisit"] is True
    assert r(cs.confirm_case, officer(YUNNAN), AFTER).state is CaseState.ACTIVE


def test_county_visit_then_township_confirms_a_filed_case(base):
    r = opened(base, YUNNAN, near_relatives=[{"userId": 11, "relation": "sibling"}])
    r(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲", "乙"])
    r(cs.record_investigation, approver(YUNNAN), DAY0, investigators=["丙", "丁"])
    assert r.case.data["countyHomeVisit"] is True and r.case.state is CaseState.INVESTIGATED
    r(cs.record_first_review, officer(YUNNAN), DAY0)
    r(cs.start_publicity, officer(YUNNAN), DAY0)
    assert r(cs.confirm_case, officer(YUNNAN), AFTER).state is CaseState.ACTIVE


def test_forbidden_roles_and_jurisdictions_and_wrong_level(base):
    r = opened(base, YUNNAN)
    auditor = User(40, "auditor", Role.AUDITOR, "530000")
    admin = User(41, "admin", Role.PROVINCE_ADMIN, "530000")
    for who in (auditor, admin, officer(SHANXI)):
        with pytest.raises(cs.CaseForbidden) as e:
            r(cs.record_investigation, who, DAY0, investigators=["甲", "乙"])
        assert e.value.code == "FORBIDDEN"
    with pytest.raises(cs.WrongLevel):  # a village clerk does not make the home visit
        r(cs.record_investigation, CLERK, DAY0, investigators=["甲", "乙"])
    # a county approver whose jurisdiction is the province reaches the county
    r(
        cs.record_investigation,
        User(42, "p", Role.COUNTY_APPROVER, "530000"),
        DAY0,
        investigators=["a", "b"],
    )
    with pytest.raises(cs.WrongLevel):
        r(cs.record_first_review, approver(YUNNAN), DAY0)
    with pytest.raises(InvalidInput):  # the policy must be the case's county on the step's date
        cs.record_first_review(r.case, officer(YUNNAN), base.resolve(SHANXI, DAY0), DAY0)
    with pytest.raises(InvalidInput):
        cs.record_first_review(r.case, officer(YUNNAN), base.resolve(YUNNAN, DAY0), AFTER)


def test_refused_work_stops_only_the_members_own_benefit(base):
    # 审核确认办法 art. 34: 「无正当理由，连续3次拒绝接受介绍的与其健康状况、劳动能力等相适应的工作
    # 的，县级人民政府民政部门应当决定减发或者停发其本人的最低生活保障金」
    r = active(base, YUNNAN)
    worker, other, third = r.case.data["membersCovered"]
    for n in range(2):
        r(cs.record_work_refusal, officer(YUNNAN), LATER, member=worker, note=f"第{n + 1}次")
    r(cs.record_work_accepted, officer(YUNNAN), LATER, member=worker)  # no longer 连续
    for _ in range(2):
        r(cs.record_work_refusal, officer(YUNNAN), LATER, member=worker)
    r(cs.record_work_refusal, officer(YUNNAN), LATER, member=worker, good_reason=True)  # 正当理由
    with pytest.raises(cs.RefusedWorkBelowLimit):
        r(cs.reduce_for_refused_work, approver(YUNNAN), LATER, member=worker)
    with pytest.raises(cs.MemberNotFound):
        r(cs.record_work_refusal, officer(YUNNAN), LATER, member=pid())
    case = r(cs.record_work_refusal, officer(YUNNAN), LATER, member=worker)
    assert case.data["refusedWork"] == {worker: 3}
    # the household does not exit: only the refusing member's benefit stops
    with pytest.raises(cs.InvalidTransition) as e:
        r(cs.exit_case, officer(YUNNAN), LATER, reason="refused_work")
    assert "reduce_for_refused_work" in e.value.message
    with pytest.raises(cs.WrongLevel):  # the county decides
        r(cs.reduce_for_refused_work, officer(YUNNAN), LATER, member=worker)
    with pytest.raises(InvalidInput):  # a reduction between their share stopped and today's
        r(cs.reduce_for_refused_work, approver(YUNNAN), LATER, member=worker, stop=False,
          monthly_amount="100", reasons=["减发"])  # fmt: skip
    case = r(cs.reduce_for_refused_work, approver(YUNNAN), LATER, member=worker)
    assert case.data["membersCovered"] == [other, third]
    assert case.data["amount"] == "600.00"  # 900 for three → their share of 300 stopped
    assert case.data["amounts"][-1] == {"from": "2024-04-01", "amount": "600.00"}
    rule = r.events[-1].inputs["rule"]
    assert rule["rule"] == "dibao.refused_work.limit" and rule["refusals"] == 3
    assert traced(r.events[-1], "dibao.refused_work.limit").value == 3


# -- review with the eligibility engine ------------------------------------------------------


def test_review_continues_raises_phases_out_or_exits(sbase):
    h = household(sbase, YUNNAN, 1500)
    r = to_publicity(sbase, YUNNAN)
    case = r(cs.confirm_case, officer(YUNNAN), AFTER, household=h)
    assert case.data["amount"] == "900.00" and len(case.data["membersCovered"]) == 3
    case = r(cs.record_review, officer(YUNNAN), LATER, household=h)
    assert r.events[-1].inputs["outcome"] == "continue"
    assert any(t.path == "dibao.standard.urban" for t in r.events[-1].policy)
    case = r(cs.record_review, officer(YUNNAN), LATER, household=household(sbase, YUNNAN, 900))
    assert r.events[-1].inputs["outcome"] == "raise" and case.data["amount"] == "1500.00"
    richer = household(sbase, YUNNAN, 3000)
    cause = {"cause": "employment", "cause_member": richer.members[0].id_number}
    with pytest.raises(cs.PhaseOutTooLong):
        r(cs.record_review, officer(YUNNAN), LATER, household=richer, phase_out_months=13,
          **cause)  # fmt: skip
    case = r(
        cs.record_review, officer(YUNNAN), LATER, household=richer, phase_out_months=6, **cause
    )
    assert case.state is CaseState.PHASING_OUT and r.events[-1].inputs["outcome"] == "phase_out"

    # Where a phase-out is allowed, a review never exits by default: the official chooses.
    r2 = to_publicity(sbase, YUNNAN)
    r2(cs.confirm_case, officer(YUNNAN), AFTER, household=h)
    with pytest.raises(cs.ChoiceRequired):
        r2(cs.record_review, officer(YUNNAN), LATER, household=richer)
    with pytest.raises(cs.ReasonsRequired):
        r2(cs.record_review, officer(YUNNAN), LATER, household=richer, outcome="exit")
    case = r2(cs.record_review, officer(YUNNAN), LATER, household=richer, outcome="exit",
              reasons=["收入稳定，本人申请退出"])  # fmt: skip
    assert case.state is CaseState.EXITED
    assert case.data["exit"]["reason"] == "income_over_standard"
    assert case.data["exit"]["rule"]["rule"] == "dibao.phase_out.allowed"

    r3 = to_publicity(sbase, YUNNAN)
    with pytest.raises(cs.NotEligible):
        r3(cs.confirm_case, officer(YUNNAN), AFTER, household=richer)


def test_death_adjusts_or_exits(sbase):
    h = household(sbase, YUNNAN, 1500)
    r = to_publicity(sbase, YUNNAN)
    r(cs.confirm_case, officer(YUNNAN), AFTER, household=h)
    head, *others = r.case.data["membersCovered"]
    assert head == h.head.id_number
    # only a member of the case's household, in any spelling of the number
    for stranger in (pid(), "garbage", ""):
        with pytest.raises(cs.MemberNotFound) as e:
            r(cs.record_death, CLERK, LATER, id_number=stranger, household=h)
        assert (e.value.code, e.value.field) == ("NOT_FOUND", "idNumber")
    case = r(cs.record_death, CLERK, LATER, id_number=f" {head.lower()} ", household=h)
    assert case.state is CaseState.ACTIVE and case.data["headChangeRequired"] is True
    assert r.events[-1].inputs["wasHead"] is True and r.events[-1].inputs["idNumber"] == head
    assert case.data["adjustFrom"] == "2024-04-01" and case.data["recheckBy"] == "2024-06-05"
    with pytest.raises(cs.InvalidTransition):  # the same death twice
        r(cs.record_death, CLERK, LATER, id_number=head, household=h)
    case = r(cs.record_death, CLERK, LATER, id_number=others[0], household=h)
    assert "headChangeRequired" not in case.data or r.events[-1].inputs["wasHead"] is False
    assert r.events[-1].inputs["wasHead"] is False  # the household says who is head
    case = r(cs.record_death, CLERK, LATER, id_number=others[1], household=h)
    assert case.state is CaseState.EXITED and case.data["exit"]["reason"] == "death"


def test_tekun_case_exits_only_when_the_person_covered_dies(sbase):
    h = tekun_household(sbase, NINGXIA)
    covered, other = (m.id_number for m in h.members)
    r = opened(sbase, NINGXIA, program="tekun", case_id=2)
    r.household = h
    r(cs.record_investigation, officer(NINGXIA), DAY0, investigators=["甲", "乙"])
    r(cs.record_self_care, approver(NINGXIA), DAY0, failed_indicators=5)
    r(cs.record_first_review, officer(NINGXIA), DAY0)
    if r.case.data["spotCheck"]["selected"]:
        r(cs.record_spot_check, approver(NINGXIA), DAY0, upheld=True)
    r(cs.start_publicity, officer(NINGXIA), DAY0)
    case = r(cs.confirm_case, approver(NINGXIA), AFTER)
    assert case.data["membersCovered"] == [covered]
    case = r(
        cs.record_death, staff(NINGXIA, Role.VILLAGE_CLERK), LATER, id_number=other
    )  # a relative not covered
    assert case.state is CaseState.ACTIVE and case.data["membersCovered"] == [covered]
    case = r(cs.record_death, staff(NINGXIA, Role.VILLAGE_CLERK), LATER, id_number=covered)
    assert case.state is CaseState.EXITED and case.data["exit"]["reason"] == "death"


# -- tekun and temporary ---------------------------------------------------------------------


def test_tekun_self_care_spot_check_and_county_confirmation(base):
    # Yongning 004 二(三)8: 「乡镇(街道)对辖区内特困人员生活自理能力提出初步评估意见,县民政局经抽查
    # (比例不低于30%)核实后作出最终评估结论」; 特困人员认定办法 art. 16: 「按照不低于30%的比例随机
    # 抽查核实」. The first decision of the month is always selected (⌈0.3 × 1⌉ = 1).
    r = opened(base, NINGXIA, program="tekun")
    r(cs.record_investigation, officer(NINGXIA), DAY0, investigators=["甲", "乙"])
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_first_review, officer(NINGXIA), DAY0)
    case = r(cs.record_self_care, officer(NINGXIA), DAY0, failed_indicators=5)
    assert case.data["selfCare"]["result"] == "full_loss"
    assert case.data["selfCare"]["preliminary"] is True
    assert case.data["selfCareCheck"]["selected"] is True
    assert traced(r.events[-1], "tekun.self_care.county_spot_check_ratio").value == 0.3
    with pytest.raises(cs.SpotCheckRequired):  # the county concludes first
        r(cs.record_first_review, officer(NINGXIA), DAY0)
    case = r(cs.record_self_care, approver(NINGXIA), DAY0, failed_indicators=4)
    assert case.data["selfCareCheck"]["done"] is True
    assert case.data["selfCareCheck"]["upheld"] is True  # full loss either way
    assert case.data["selfCare"]["by"] == "county"
    case = r(cs.record_first_review, officer(NINGXIA), DAY0)
    assert case.data["spotCheck"]["selected"] is True
    assert traced(r.events[-1], "tekun.approval.county_spot_check_ratio").value == 0.3
    r(cs.start_publicity, officer(NINGXIA), DAY0)
    with pytest.raises(cs.WrongLevel):
        r(cs.confirm_case, officer(NINGXIA), AFTER)
    with pytest.raises(cs.SpotCheckRequired):
        r(cs.confirm_case, approver(NINGXIA), AFTER)
    r(cs.record_spot_check, approver(NINGXIA), AFTER, upheld=True)
    assert r(cs.confirm_case, approver(NINGXIA), AFTER).state is CaseState.ACTIVE


def test_temporary_graded_by_amount_and_assist_first(sbase):
    small = opened(sbase, YUNNAN, program="temporary", amount="800")
    with pytest.raises(cs.WrongLevel):
        small(cs.confirm_case, approver(YUNNAN), DAY0)
    assert small(cs.confirm_case, officer(YUNNAN), DAY0).state is CaseState.GRANTED
    big = opened(sbase, YUNNAN, program="temporary", amount="1500")
    with pytest.raises(cs.WrongLevel):
        big(cs.confirm_case, officer(YUNNAN), DAY0)
    case = big(cs.assist_first, officer(YUNNAN), DAY0)
    assert case.state is CaseState.ASSISTED and case.data["paperworkDue"] is True
    with pytest.raises(cs.WrongLevel):
        big(cs.record_paperwork, officer(YUNNAN), AFTER)
    case = big(cs.record_paperwork, approver(YUNNAN), AFTER)
    assert case.state is CaseState.GRANTED and case.data["decision"]["level"] == "county"
    limit = traced(big.events[-1], "temporary.approval.township_limit")
    assert (limit.value, limit.origin) == (1000, "fixture")
    with pytest.raises(InvalidInput):
        opened(sbase, YUNNAN, program="temporary")


def test_events_are_json_ready(base):
    import json

    r = to_publicity(base, YUNNAN)
    r(cs.confirm_case, officer(YUNNAN), AFTER)
    for ev in r.events:
        out = cs.event_to_json(ev)
        json.dumps(out)
        assert out["actor"]["role"] == "township_officer"
    last = cs.event_to_json(r.events[-1])
    assert (last["fromState"], last["toState"]) == ("in_publicity", "active")
    p = next(p for p in last["policy"] if p["path"] == "dibao.approval.confirming_level")
    assert p["layer"]["origin"] == "yunnan" and p["source"]["quote"]
