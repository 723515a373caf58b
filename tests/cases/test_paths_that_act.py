"""Catalog paths that had values but changed nothing now act, each quoted from its document:
the township's home visit of every new applicant (Yongfu), the county's visit of filed near
relatives (national, Yangquan), when payment starts (national), the wish for centralised care
(Yunnan, Yongning) and the reassessment of self-care after a reported change (national)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import core.cases as cs
from core.cases import CaseState
from core.errors import InvalidInput
from core.households.model import Household, household_to_json, parse_household
from core.policy.service import PolicyBase
from tests.support.cases import (
    AFTER,
    DAY0,
    GUANGXI,
    LATER,
    NINGXIA,
    SHANXI,
    YUNNAN,
    Runner,
    active,
    approver,
    officer,
    opened,
    tekun_household,
    to_publicity,
    traced,
)
from tests.support.standards import with_example_standards


@pytest.fixture(scope="module")
def base(base: PolicyBase) -> PolicyBase:
    return with_example_standards(base)


def test_yongfu_township_visits_every_new_applicant_at_home(base):
    # 003 二(三): 「乡镇人民政府对新申请对象做到100%入户调查」
    r = opened(base, GUANGXI)
    r(cs.record_investigation, officer(GUANGXI), DAY0, investigators=["甲", "乙"],
      method="neighbour_visit")  # fmt: skip
    assert r.case.data["investigations"][0]["method"] == "neighbour_visit"
    with pytest.raises(cs.HomeVisitRequired) as e:
        r(cs.record_first_review, officer(GUANGXI), DAY0)
    assert e.value.code == "HOME_VISIT_REQUIRED" and "100%入户调查" in e.value.message
    with pytest.raises(InvalidInput):
        r(cs.record_investigation, officer(GUANGXI), DAY0, investigators=["甲", "乙"],
          method="phone")  # fmt: skip
    r(cs.record_investigation, officer(GUANGXI), DAY0, investigators=["甲", "乙"])
    case = r(cs.record_first_review, officer(GUANGXI), DAY0)
    assert case.state is CaseState.FIRST_REVIEWED
    assert traced(r.events[-1], "dibao.home_visit.new_applicant_ratio").value == 1.0
    # elsewhere no document asks for it: a neighbour visit suffices
    y = opened(base, YUNNAN)
    y(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲", "乙"],
      method="neighbour_visit")  # fmt: skip
    assert y(cs.record_first_review, officer(YUNNAN), DAY0).state is CaseState.FIRST_REVIEWED


def test_payment_starts_the_month_after_the_decision_as_the_national_rule_says(base):
    # 审核确认办法 art. 21: 「从作出确认同意决定之日下月起发放最低生活保障金」
    r = to_publicity(base, YUNNAN)
    case = r(cs.confirm_case, officer(YUNNAN), AFTER)
    assert case.data["benefitFrom"] == "2023-10-01"
    start = traced(r.events[-1], "dibao.benefit.start")
    assert (start.value, start.jurisdiction_code) == ("month_after_approval", "000000")


def test_a_filed_near_relative_case_needs_the_county_visit_the_ratio_names(base):
    # 审核确认办法 art. 20: 「对单独登记备案…的最低生活保障申请，县级人民政府民政部门应当入户调查」
    r = to_publicity(base, YUNNAN, near_relatives=[{"userId": 77, "relation": "parent"}])
    with pytest.raises(cs.CountyVisitRequired) as e:
        r(cs.confirm_case, officer(YUNNAN), AFTER)
    assert "dibao.near_relative.county_home_visit_ratio" in e.value.message
    assert "县级人民政府民政部门应当入户调查" in e.value.message


def tekun_active(base: PolicyBase, county: str, failed: int) -> Runner:
    r = tekun_in_publicity(base, county, failed)
    r(cs.confirm_case, tekun_confirmer(base, county), AFTER)
    return r


def tekun_in_publicity(base: PolicyBase, county: str, failed: int) -> Runner:
    r = opened(base, county, program="tekun", case_id=3)
    r.household = tekun_household(base, county)
    r(cs.record_investigation, officer(county), DAY0, investigators=["甲", "乙"])
    r(cs.record_self_care, approver(county), DAY0, failed_indicators=failed)
    r(cs.record_first_review, officer(county), DAY0)
    if r.case.data["spotCheck"]["selected"]:
        r(cs.record_spot_check, approver(county), DAY0, upheld=True)
    r(cs.start_publicity, officer(county), DAY0)
    return r


def tekun_confirmer(base: PolicyBase, county: str) -> Any:
    """The official at the level that confirms tekun in ``county``."""
    level = base.resolve(county, AFTER).value("tekun.approval.confirming_level")
    return officer(county) if level == "township" else approver(county)


def test_yunnan_townships_confirm_tekun_and_counties_elsewhere(base):
    # Yunnan 002 二(一): 「低保、特困供养审核确认权限下放至乡镇(街道)」; elsewhere 特困人员认定办法
    # art. 16: the county 「并在15个工作日内提出确认意见」
    r = tekun_in_publicity(base, YUNNAN, failed=2)
    with pytest.raises(cs.WrongLevel):
        r(cs.confirm_case, approver(YUNNAN), AFTER)
    case = r(cs.confirm_case, officer(YUNNAN), AFTER)
    assert case.state is CaseState.ACTIVE
    assert traced(r.events[-1], "tekun.approval.confirming_level").origin == "yunnan"
    # ending support stays with the county (art. 26: 「县级人民政府民政部门应当作出终止决定」);
    # the delegation speaks of 审核确认 only
    with pytest.raises(cs.WrongLevel):
        r(cs.exit_case, officer(YUNNAN), LATER, reason="found_ineligible", reasons=["复核"])
    r(cs.exit_case, approver(YUNNAN), LATER, reason="found_ineligible", reasons=["复核"])
    assert r(cs.confirm_termination, approver(YUNNAN), LATER + dt.timedelta(days=7)).state is (
        CaseState.EXITED
    )
    r = tekun_in_publicity(base, NINGXIA, failed=2)
    with pytest.raises(cs.WrongLevel):
        r(cs.confirm_case, officer(NINGXIA), AFTER)
    assert r(cs.confirm_case, approver(NINGXIA), AFTER).state is CaseState.ACTIVE
    assert traced(r.events[-1], "tekun.approval.confirming_level").origin == "national"


def test_willing_persons_are_placed_in_yunnan_and_those_who_need_care_in_ningxia(
    base,
):
    # Yunnan 002 二(二): 「确保有集中供养意愿的特困人员100%入住供养服务机构」
    r = tekun_active(base, YUNNAN, failed=0)  # looks after themselves
    case = r(cs.record_care_wish, officer(YUNNAN), LATER, willing=True)
    assert case.data["careWish"]["mustPlace"] is True
    assert traced(r.events[-1], "tekun.centralised_care.admit_all_willing").origin == "yunnan"
    # Yongning 004 二(三)6: 「确保有集中供养意愿,生活不能自理的特困人员全部实现集中供养」
    r = tekun_active(base, NINGXIA, failed=0)
    case = r(cs.record_care_wish, officer(NINGXIA), LATER, willing=True)
    assert case.data["careWish"]["mustPlace"] is False
    assert any("covers only partial_loss, full_loss" in x for x in r.events[-1].reasons)
    r = tekun_active(base, NINGXIA, failed=2)  # partial loss of self-care
    case = r(cs.record_care_wish, officer(NINGXIA), LATER, willing=True)
    assert case.data["careWish"]["mustPlace"] is True
    case = r(cs.record_care_wish, officer(NINGXIA), LATER, willing=False)
    assert case.data["careWish"]["mustPlace"] is False


def test_a_reported_change_of_self_care_is_reassessed_by_the_county(base):
    # 特困人员认定办法 art. 23: 「县级人民政府民政部门应当自接到报告之日起10个工作日内组织复核评估」
    r = tekun_active(base, YUNNAN, failed=2)
    with pytest.raises(cs.InvalidTransition):  # nothing reported
        r(cs.record_self_care, approver(YUNNAN), LATER, failed_indicators=5)
    case = r(cs.report_self_care_change, officer(YUNNAN), LATER, reported_by="照料服务人")
    assert case.data["selfCareChange"]["withinWorkingDays"] == 10
    assert any("10个工作日内组织复核评估" in x for x in r.events[-1].reasons)
    with pytest.raises(cs.WrongLevel):  # the county reassesses
        r(cs.record_self_care, officer(YUNNAN), LATER, failed_indicators=5)
    case = r(cs.record_self_care, approver(YUNNAN), LATER + dt.timedelta(days=3),
             failed_indicators=5)  # fmt: skip
    assert case.data["selfCare"]["result"] == "full_loss"
    assert case.data["selfCareHistory"][0]["result"] == "partial_loss"
    assert case.data["selfCareChange"]["reassessedOn"] == "2024-03-08"


def test_a_complaint_during_the_decision_needs_the_countys_home_visit(base):
    # 审核确认办法 art. 20: 「对单独登记备案或者在审核确认阶段接到投诉、举报的最低生活保障申请，县级
    # 人民政府民政部门应当入户调查」
    r = to_publicity(base, YUNNAN)
    r(cs.record_complaint, officer(YUNNAN), DAY0 + dt.timedelta(4), reason="举报有经营收入")
    with pytest.raises(cs.CountyVisitRequired) as e:
        r(cs.confirm_case, officer(YUNNAN), AFTER)
    assert "投诉、举报" in e.value.message
    r(cs.record_investigation, approver(YUNNAN), AFTER, investigators=["县甲", "县乙"])
    assert r(cs.confirm_case, officer(YUNNAN), AFTER).state is CaseState.ACTIVE


def test_a_tekun_termination_is_published_for_7_days_first(base):
    # 特困人员认定办法 art. 26: 「对拟终止救助供养的特困人员…公示。公示期为7天。公示期满无异议的，
    # 县级人民政府民政部门应当作出终止决定并从下月起终止救助供养」 (Ningxia: the county confirms
    # tekun; Yunnan delegates it to the township, see above)
    r = tekun_active(base, NINGXIA, failed=2)
    case = r(cs.exit_case, approver(NINGXIA), LATER, reason="found_ineligible",
             reasons=["有了赡养能力的子女"])  # fmt: skip
    assert case.state is CaseState.ACTIVE  # still supported while published
    assert case.data["terminationPublicity"]["ends"] == "2024-03-12"
    assert r.events[-1].inputs["outcome"] == "termination_publicity"
    with pytest.raises(cs.PublicityNotOver):
        r(cs.confirm_termination, approver(NINGXIA), LATER + dt.timedelta(days=3))
    with pytest.raises(cs.WrongLevel):
        r(cs.confirm_termination, officer(NINGXIA), LATER + dt.timedelta(days=7))
    case = r(cs.confirm_termination, approver(NINGXIA), LATER + dt.timedelta(days=7))
    assert case.state is CaseState.EXITED
    assert case.data["exit"]["lastMonth"] == "2024-03"  # from the next month
    assert case.data["exit"]["rule"]["publicity"]["ends"] == "2024-03-12"
    # an objection that holds: the termination is withdrawn, with reasons
    r = tekun_active(base, NINGXIA, failed=2)
    r(cs.exit_case, approver(NINGXIA), LATER, reason="found_ineligible", reasons=["复核"])
    with pytest.raises(cs.ReasonsRequired):
        r(cs.confirm_termination, approver(NINGXIA), LATER + dt.timedelta(days=7), upheld=False)
    case = r(cs.confirm_termination, approver(NINGXIA), LATER + dt.timedelta(days=7),
             upheld=False, reasons=["公示期间有异议，调查核实仍符合条件"])  # fmt: skip
    assert case.state is CaseState.ACTIVE and "terminationPublicity" not in case.data
    # a death ends support directly (art. 24(一))
    assert r(cs.record_death, approver(NINGXIA), LATER + dt.timedelta(days=8),
             id_number=r.household.members[0].id_number).state is CaseState.EXITED  # fmt: skip


def _earning(base: PolicyBase, h: Household, wages: float) -> Household:
    """The same household with the head earning ``wages``."""
    doc = household_to_json(h)
    doc["income"] = [{**doc["income"][0], "monthlyAmount": wages}]
    return parse_household(doc, base.registry, LATER)


def test_shanxi_visits_a_changed_household_before_its_benefit_moves(base):
    # Yangquan 001 二(一): 「对于经个人报告或信息核对发现的家庭人口或经济状况有变动的低保家庭,由乡镇
    # (街道办事处)组织人员入户核查,依复核情况及时报请县级民政部门停发、减发或增发补助金」
    r = active(base, SHANXI)
    h = r.household
    assert h is not None
    case = r(cs.report_change, officer(SHANXI), LATER, what="户主工资上涨")
    assert case.data["changeReported"] == {"on": "2024-03-05", "what": "户主工资上涨"}
    # facts unchanged: a review that continues moves nothing and needs no visit
    assert r(cs.record_review, approver(SHANXI), LATER, household=h).data["amount"] == "900.00"
    richer = _earning(base, h, 2100)  # per capita 700: (800 − 700) × 3 = 300
    with pytest.raises(cs.HomeVisitRequired) as e:
        r(cs.record_review, approver(SHANXI), LATER, household=richer)
    assert "reported by the household" in e.value.message and "入户核查" in e.value.message
    r(cs.record_home_visit, officer(SHANXI), LATER, investigators=["甲", "乙"])
    case = r(cs.record_review, approver(SHANXI), LATER, household=richer)
    assert case.data["amount"] == "300.00"
    assert traced(r.events[-1], "dibao.review.home_visit_after_change").origin == "shanxi"
    # a periodic verification that does not pass (信息核对发现) is a change too
    later = LATER + dt.timedelta(days=30)
    r(cs.record_verification, approver(SHANXI), later, passed=False)
    poorer = _earning(base, h, 900)  # per capita 300: 1500
    with pytest.raises(cs.HomeVisitRequired) as e:
        r(cs.record_review, approver(SHANXI), later, household=poorer)
    assert "found by verification" in e.value.message
    r(cs.record_home_visit, officer(SHANXI), later, investigators=["甲", "乙"])
    assert r(cs.record_review, approver(SHANXI), later, household=poorer).data["amount"] == (
        "1500.00"
    )
    # Yunnan's document sets no such rule: its review lowers the benefit without a visit
    r = active(base, YUNNAN)
    r(cs.report_change, officer(YUNNAN), LATER, what="户主工资上涨")
    assert r.household is not None
    case = r(cs.record_review, officer(YUNNAN), LATER, household=_earning(base, r.household, 2100))
    assert case.data["amount"] == "300.00"


def _tekun_to_publicity(base: PolicyBase, county: str, investigators: list[str]) -> Runner:
    """A tekun application by a staff member's parent, visited by ``investigators``."""
    r = opened(base, county, program="tekun", case_id=4,
               near_relatives=[{"userId": 77, "relation": "parent"}])  # fmt: skip
    r.household = tekun_household(base, county)
    r(cs.record_investigation, officer(county), DAY0, investigators=investigators)
    r(cs.record_self_care, approver(county), DAY0, failed_indicators=2)
    r(cs.record_first_review, officer(county), DAY0)
    if r.case.data["spotCheck"]["selected"]:
        r(cs.record_spot_check, approver(county), DAY0, upheld=True)
    r(cs.start_publicity, officer(county), DAY0)
    if county == SHANXI:
        r(cs.record_verification, approver(county), AFTER, passed=True)
    return r


def test_tekun_is_held_to_dibao_procedure_only_where_a_document_says_so(base):
    # 审核确认办法 art. 16 「每组调查人员不得少于2人」, art. 11 「有近亲属关系的，乡镇人民政府
    # （街道办事处）应当单独登记备案」 and art. 20 (the county's visit) are the dibao 办法's;
    # 特困人员认定办法 sets no number of investigators. Yangquan 001 二(二) files every
    # applicant for 社会救助待遇 「近亲属已享受社会救助待遇的…报县级民政部门备案管理」 and
    # 「县级民政部门应对实行备案的申请人全部入户核查」; Yongfu 003 二(五) 「严格落实近亲属备案
    # 制度，防范社会救助经办过程中的“人情保”“关系保”」 files them, naming no visit.
    d = opened(base, YUNNAN, near_relatives=[{"userId": 77, "relation": "parent"}])
    assert d.case.data["filed"] is True
    with pytest.raises(cs.TooFewInvestigators) as e:
        d(cs.record_investigation, officer(YUNNAN), DAY0, investigators=["甲"])
    assert "每组调查人员不得少于2人" in e.value.message

    r = _tekun_to_publicity(base, YUNNAN, ["甲"])  # one investigator, not filed
    assert r.case.data["filed"] is False
    assert r(cs.confirm_case, officer(YUNNAN), AFTER).state is CaseState.ACTIVE

    r = _tekun_to_publicity(base, SHANXI, ["甲"])
    assert r.case.data["filed"] is True
    with pytest.raises(cs.CountyVisitRequired) as e:
        r(cs.confirm_case, approver(SHANXI), AFTER)
    assert "tekun.near_relative.county_home_visit_ratio" in e.value.message
    assert "全部入户核查" in e.value.message
    r(cs.record_investigation, approver(SHANXI), AFTER, investigators=["丙"])  # the county's visit
    assert r(cs.confirm_case, approver(SHANXI), AFTER).state is CaseState.ACTIVE
    assert traced(r.events[-1], "tekun.near_relative.county_home_visit_ratio").origin == "shanxi"

    r = _tekun_to_publicity(base, GUANGXI, ["甲"])
    assert r.case.data["filed"] is True
    assert traced(r.events[0], "tekun.near_relative.filing_required").origin == "guangxi"
    assert r(cs.confirm_case, approver(GUANGXI), AFTER).state is CaseState.ACTIVE
    assert any("no rule requires the county's home visit" in x for x in r.events[-1].reasons)
