"""Single-person enrolment (单人户): on the member's own application (经本人申请), and in
Yongning after the assessment its document names.

审核确认办法 art. 8: 「符合下列情形之一的人员，可以单独提出申请」; Yunnan 002 二(一):
「重度残疾人、重病患者,经本人申请,参照“单人户”纳入低保」; Yongning 二(一)1: 「…的人员,经本人申请,
通过家庭经济状况核对、入户调查和民主评议等手段综合评估生活困难程度,按照“单人户”纳入低保」.
A single-person decision covers only members whose own application the case records.
EXAMPLE standards as in tests/cases/test_cases.py (urban 800 yuan/month)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import core.cases as cs
from core.cases import CaseState
from core.errors import InvalidInput
from core.households.model import Household, parse_household
from core.policy.service import PolicyBase
from tests.support.cases import (
    AFTER,
    DAY0,
    GUANGXI,
    LATER,
    NINGXIA,
    YUNNAN,
    Runner,
    active,
    approver,
    officer,
    opened,
    pid,
    to_publicity,
    traced,
)
from tests.support.layers import entry
from tests.support.standards import with_example_standards

PATH = "dibao.single_person.own_application_required"


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


def _household(base: PolicyBase, county: str, disabled: str, wages: float = 3000) -> Household:
    """Three members, the head earning ``wages`` (over the standard as a whole household at
    3,000), the child severely disabled (grade 1), not able to work, depending on the family."""
    members: list[dict[str, Any]] = [
        {"idNumber": pid(), "name": "甲", "relation": "head"},
        {"idNumber": pid(), "name": "乙", "relation": "spouse"},
        {"idNumber": disabled, "name": "丙", "relation": "child",
         "disability": {"kind": "physical", "grade": 1}, "labourCapacity": "none",
         "dependsOnFamilySupport": True},
    ]  # fmt: skip
    data = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
        "income": [{"kind": "wages", "monthlyAmount": wages, "member": members[0]["idNumber"]}],
    }
    return parse_household(data, base.registry, dt.date(2024, 1, 1))


def _confirmer(county: str):
    return approver(county) if county == NINGXIA else officer(county)


@pytest.mark.parametrize(
    ("county", "origin", "words"),
    [
        (YUNNAN, "yunnan", "重度残疾人、重病患者,经本人申请"),
        (NINGXIA, "ningxia", "经本人申请,通过家庭经济状况核对、入户调查和民主评议"),
        (GUANGXI, "national", "可以单独提出申请"),
    ],
)
def test_a_single_person_decision_waits_for_the_members_own_application(base, county, origin,
                                                                         words):  # fmt: skip
    disabled = pid("20050101")
    h = _household(base, county, disabled)
    r = to_publicity(base, county)
    with pytest.raises(cs.OwnApplicationRequired) as e:
        r(cs.confirm_case, _confirmer(county), AFTER, household=h)
    assert e.value.code == "OWN_APPLICATION_REQUIRED"
    assert f"丙 ({disabled})" in e.value.message and words in e.value.message
    assert r.case.state is CaseState.IN_PUBLICITY and "ownApplications" not in r.case.data

    with pytest.raises(cs.MemberNotFound):  # only a living member of the household applies
        r(cs.record_own_application, officer(county), AFTER, household=h, member=pid())
    case = r(cs.record_own_application, officer(county), AFTER, household=h, member=disabled)
    assert case.data["ownApplications"] == {disabled: AFTER.isoformat()}
    assert r.events[-1].inputs == {"member": disabled, "note": ""}
    with pytest.raises(cs.InvalidTransition):  # once is enough
        r(cs.record_own_application, officer(county), AFTER, household=h, member=disabled)

    if county == NINGXIA:  # the assessment Yongning's sentence names (see below)
        _assessed(r)
    case = r(cs.confirm_case, _confirmer(county), AFTER, household=h)
    assert case.state is CaseState.ACTIVE
    assert case.data["mode"] == "single_person" and case.data["membersCovered"] == [disabled]
    assert traced(r.events[-1], PATH).origin == origin


def _assessed(r: Runner) -> None:
    r(cs.record_verification, approver(NINGXIA), AFTER, passed=True)
    r(cs.record_democratic_appraisal, officer(NINGXIA), AFTER, appraisal="评议通过：生活确有困难")


def test_yongning_assesses_a_single_person_by_verification_home_visit_and_appraisal(base):
    # Yongning 二(一)1: 「经本人申请,通过家庭经济状况核对、入户调查和民主评议等手段综合评估生活困难
    # 程度,按照“单人户”纳入低保」: each means before the single-person decision.
    disabled = pid("20050101")
    h = _household(base, NINGXIA, disabled)
    r = opened(base, NINGXIA)
    r(cs.record_investigation, officer(NINGXIA), DAY0, investigators=["甲", "乙"],
      method="neighbour_visit")  # fmt: skip
    r(cs.record_first_review, officer(NINGXIA), DAY0)
    r(cs.start_publicity, officer(NINGXIA), DAY0)
    r(cs.record_own_application, officer(NINGXIA), AFTER, household=h, member=disabled)
    with pytest.raises(cs.VerificationRequired) as e:
        r(cs.confirm_case, approver(NINGXIA), AFTER, household=h)
    assert "家庭经济状况核对、入户调查和民主评议" in e.value.message
    r(cs.record_verification, approver(NINGXIA), AFTER, passed=True)
    with pytest.raises(cs.HomeVisitRequired) as e:  # a neighbour visit is not 入户调查
        r(cs.confirm_case, approver(NINGXIA), AFTER, household=h)
    r(cs.record_investigation, approver(NINGXIA), AFTER, investigators=["丙", "丁"])
    with pytest.raises(cs.AppraisalRequired) as e:
        r(cs.confirm_case, approver(NINGXIA), AFTER, household=h)
    assert e.value.code == "APPRAISAL_REQUIRED" and "recordDemocraticAppraisal" in e.value.message
    with pytest.raises(InvalidInput):
        r(cs.record_democratic_appraisal, officer(NINGXIA), AFTER, appraisal="  ")
    case = r(cs.record_democratic_appraisal, officer(NINGXIA), AFTER, appraisal="评议通过")
    assert case.data["democraticAppraisal"] == {"on": AFTER.isoformat(), "appraisal": "评议通过"}
    case = r(cs.confirm_case, approver(NINGXIA), AFTER, household=h)
    assert case.data["mode"] == "single_person"
    assert traced(r.events[-1], "dibao.single_person.assessment_means").origin == "ningxia"
    # a whole household needs none of it: Yongning's sentence is about 单人户
    r = to_publicity(base, NINGXIA)
    assert r(cs.confirm_case, approver(NINGXIA), AFTER).data["mode"] == "whole_household"


def test_a_whole_household_decision_needs_no_own_application(base):
    r = active(base, YUNNAN)  # three members, per capita 500 yuan: the whole household
    assert r.case.data["mode"] == "whole_household" and "ownApplications" not in r.case.data


def test_a_review_covers_a_member_alone_only_on_their_own_application(base):
    # The household was enrolled whole; its income rose, and the disabled child alone still
    # qualifies: the review covers them alone only once they applied on their own.
    disabled = pid("20050101")
    r = active(base, YUNNAN)
    assert r.household is not None
    h = _household(base, YUNNAN, disabled)
    with pytest.raises(cs.OwnApplicationRequired):
        r(cs.record_review, officer(YUNNAN), LATER, household=h)
    assert r.case.state is CaseState.ACTIVE and r.case.data["mode"] == "whole_household"
    r(cs.record_own_application, officer(YUNNAN), LATER, household=h, member=disabled)
    case = r(cs.record_review, officer(YUNNAN), LATER, household=h)
    assert case.data["mode"] == "single_person" and case.data["membersCovered"] == [disabled]
    # covered alone already: the next review asks nothing more
    case = r(cs.record_review, officer(YUNNAN), LATER + dt.timedelta(days=1), household=h)
    assert case.data["membersCovered"] == [disabled]


def test_where_the_policy_does_not_require_it_the_engine_decides_alone(base):
    # A county layer setting the path false (a test layer, not a document): the decision
    # covers the member without a recorded application, as before the rule.
    local = with_example_standards(base, {GUANGXI: {PATH: [entry(False, "2020-01-01")]}})
    disabled = pid("20050101")
    r = to_publicity(local, GUANGXI)
    h = _household(local, GUANGXI, disabled)
    case = r(cs.confirm_case, officer(GUANGXI), AFTER, household=h)
    assert case.data["mode"] == "single_person" and "ownApplications" not in case.data
