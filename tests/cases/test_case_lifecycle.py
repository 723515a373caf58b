"""The case machine in payment (pure): the amount history, deaths re-evaluated, the head and
account change, periodic verification and home visits, tekun care.

No source document sets a dibao standard in yuan: the EXAMPLE standards of
:func:`tests.cases.test_cases.with_example_standards` (urban 800 yuan/month, tekun 1040) are test
values, as in tests/test_cases.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

import core.cases as cs
from core.access.roles import Role
from core.cases import CaseState
from core.errors import InvalidInput
from core.households.model import Household, parse_household
from core.policy.service import PolicyBase
from tests.support.cases import (
    AFTER,
    CLERK,
    DAY0,
    GUIZHOU,
    LATER,
    NINGXIA,
    SHANXI,
    YUNNAN,
    Runner,
    approver,
    officer,
    opened,
    pid,
    staff,
    tekun_household,
    to_publicity,
    traced,
)
from tests.support.standards import with_example_standards

D = dt.date


@pytest.fixture(scope="module")
def base(base: PolicyBase) -> PolicyBase:
    return with_example_standards(base)


class Family:
    """Three people (head earning the wages, spouse, sibling; urban) of one county, built into a
    household again and again as their facts change."""

    NAMES = ("甲", "乙", "丙")

    def __init__(self, base: PolicyBase, county: str) -> None:
        self.base, self.county = base, county
        self.people = [pid(), pid(), pid("19750505")]

    def __call__(
        self,
        wages: float,
        *,
        account_holder: int | None = 0,
        head: int = 0,
        dead: dict[int, str] | None = None,
        property_ok: bool | None = True,
    ) -> Household:
        """Member ``account_holder`` holds the payment account (None: no account), ``head`` is
        the head, ``dead`` gives dates of death by member."""
        relations = ["spouse", "spouse", "sibling"]
        relations[head] = "head"
        members: list[dict[str, Any]] = [
            {"idNumber": self.people[i], "name": self.NAMES[i], "relation": relations[i]}
            for i in range(3)
        ]
        for i, day in (dead or {}).items():
            members[i]["dateOfDeath"] = day
        data: dict[str, Any] = {
            "county": self.county,
            "area": "urban",
            "incomeClass": "stable",
            "propertyWithinLocalRules": property_ok,
            "members": members,
            "income": [{"kind": "wages", "monthlyAmount": wages, "member": self.people[0]}],
        }
        if account_holder is not None:
            data["paymentAccount"] = {
                "holderIdNumber": self.people[account_holder],
                "holderName": self.NAMES[account_holder],
                "bank": "农村信用合作社(示例)",
                "accountNumber": "6228480012345678",
            }
        return parse_household(data, self.base.registry, D(2025, 1, 1))


def clerk(county: str) -> Any:
    return staff(county, Role.VILLAGE_CLERK)


def in_payment(base: PolicyBase, county: str, h: Household, case_id: int = 1) -> Runner:
    r = to_publicity(base, county, case_id=case_id)
    r.household = h
    if county == SHANXI:
        r(cs.record_verification, approver(county), AFTER, passed=True)
    confirmer = approver(county) if county in (SHANXI, NINGXIA, GUIZHOU) else officer(county)
    r(cs.confirm_case, confirmer, AFTER)
    assert r.case.state is CaseState.ACTIVE
    return r


# -- the amount history --------------------------------------------------------------------------


def test_amounts_start_at_confirmation_and_follow_reviews(base):
    family = Family(base, YUNNAN)
    r = in_payment(base, YUNNAN, family(1500))  # (800 - 500) × 3 = 900
    assert r.case.data["amounts"] == [{"from": "2023-10-01", "amount": "900.00"}]
    assert r.case.data["amount"] == "900.00"
    r(cs.record_review, officer(YUNNAN), D(2024, 3, 5), household=family(1500))
    r(cs.record_review, officer(YUNNAN), D(2024, 9, 5), household=family(1800))
    assert r.case.data["amounts"] == [
        {"from": "2023-10-01", "amount": "900.00"},  # the March review continued it: no entry
        {"from": "2024-10-01", "amount": "600.00"},  # lowered: (800 - 600) × 3
    ]
    assert r.case.data["amount"] == "600.00"
    # a second decision in the same month governs from the same first of the month
    r(cs.record_review, officer(YUNNAN), D(2024, 9, 20), household=family(2100))
    assert [a["amount"] for a in r.case.data["amounts"]] == ["900.00", "300.00"]
    for month, expected in (
        (D(2023, 9, 1), None),  # before the benefit starts
        (D(2023, 10, 31), "900.00"),
        (D(2024, 9, 1), "900.00"),
        (D(2024, 10, 1), "300.00"),
        (D(2030, 1, 1), "300.00"),
    ):
        got = cs.amount_on(r.case.data, month)
        assert got == (None if expected is None else Decimal(expected)), month
    # temporary assistance is one-off: no monthly history
    t = opened(base, YUNNAN, program="temporary", amount="800", case_id=9)
    assert "amounts" not in t(cs.confirm_case, officer(YUNNAN), DAY0).data


def test_with_amount_replaces_entries_from_the_new_date():
    old = [{"from": "2024-01-01", "amount": "100.00"}, {"from": "2024-06-01", "amount": "90.00"}]
    out = cs.with_amount(old, D(2024, 6, 1), Decimal("80.00"))
    assert out == [
        {"from": "2024-01-01", "amount": "100.00"},
        {"from": D(2024, 6, 1), "amount": Decimal("80.00")},
    ]
    assert cs.with_amount(old, D(2024, 3, 1), Decimal("1"))[-1]["from"] == D(2024, 3, 1)
    assert len(cs.with_amount(old, D(2024, 3, 1), Decimal("1"))) == 2


# -- deaths: the household re-evaluated ---------------------------------------------------------


def test_a_death_lowers_the_amount_from_the_next_month(base):
    family = Family(base, YUNNAN)
    h = family(1500)  # per capita 500: 900 a month for three
    r = in_payment(base, YUNNAN, h)
    spouse = h.members[1].id_number
    case = r(cs.record_death, CLERK, LATER, id_number=spouse, household=h)
    # two left, 1500 between them: 750 per capita, (800 - 750) × 2 = 100 from April
    assert case.state is CaseState.ACTIVE
    assert case.data["amount"] == "100.00" and case.data["adjustFrom"] == "2024-04-01"
    assert case.data["amounts"][-1] == {"from": "2024-04-01", "amount": "100.00"}
    assert case.data["membersCovered"] == [h.members[0].id_number, h.members[2].id_number]
    assert case.data["recheckBy"] == "2024-06-05"  # national: within 3 months
    ev = r.events[-1]
    assert ev.inputs["recomputed"] == {"status": "eligible", "amount": "100.00"}
    assert any("900.00 → 100.00" in x and "2024-04-01" in x for x in ev.reasons), ev.reasons
    assert traced(ev, "dibao.standard.urban").value == 800
    assert traced(ev, "dibao.death.recheck_within_months").value == 3
    assert "headChangeRequired" not in case.data  # the spouse was not the head


def test_the_earner_dies_the_amount_rises_and_the_head_must_change(base):
    family = Family(base, GUIZHOU)
    h = family(1500)
    r = in_payment(base, GUIZHOU, h)
    head = h.members[0].id_number
    case = r(cs.record_death, clerk(GUIZHOU), LATER, id_number=head, household=h)
    # no income left for two: (800 - 0) × 2
    assert case.data["amount"] == "1600.00" and case.data["amounts"][-1]["from"] == "2024-04-01"
    assert case.data["headChangeRequired"] is True
    # Qiannan: head and account changed in the following month (次月): by its last day
    assert case.data["headChangeDue"] == "2024-04-30"
    limit = traced(r.events[-1], "payments.deceased_head_update_months")
    assert (limit.value, limit.origin) == (1, "guizhou")


def test_no_head_change_limit_where_the_policy_sets_none(base):
    family = Family(base, YUNNAN)
    h = family(1500)
    r = in_payment(base, YUNNAN, h)
    case = r(cs.record_death, CLERK, LATER, id_number=h.members[0].id_number, household=h)
    assert case.data["headChangeRequired"] is True and "headChangeDue" not in case.data
    assert any("sets no time limit" in x for x in r.events[-1].reasons)
    assert traced(r.events[-1], "payments.deceased_head_update_months").is_set is False


def test_not_eligible_or_undecided_after_a_death_keeps_paying_until_the_recheck(base):
    family = Family(base, YUNNAN)
    h = family(2100)  # per capita 700: 300 a month
    r = in_payment(base, YUNNAN, h)
    case = r(cs.record_death, CLERK, LATER, id_number=h.members[1].id_number, household=h)
    # two left with 2100: 1050 per capita, over the standard
    assert case.state is CaseState.ACTIVE and case.data["amount"] == "300.00"
    assert case.data["amounts"] == [{"from": "2023-10-01", "amount": "300.00"}]
    assert case.data["recheckBy"] == "2024-06-05"
    assert r.events[-1].inputs["recomputed"] == {"status": "ineligible", "amount": None}
    assert any("continues unchanged" in x for x in r.events[-1].reasons)

    family = Family(base, SHANXI)
    h = family(1500)
    r = in_payment(base, SHANXI, h)
    undecided = family(1500, property_ok=None)  # property not assessed again
    case = r(
        cs.record_death, clerk(SHANXI), LATER, id_number=h.members[2].id_number, household=undecided
    )
    assert case.data["amount"] == "900.00" and len(case.data["amounts"]) == 1
    assert r.events[-1].inputs["recomputed"]["status"] == "cannot_decide"


def test_earlier_deaths_stay_dead_in_later_evaluations(base):
    family = Family(base, YUNNAN)
    h = family(1500)
    r = in_payment(base, YUNNAN, h)
    r(cs.record_death, CLERK, LATER, id_number=h.members[1].id_number, household=h)
    # the stored household does not record the first death: the case does
    case = r(cs.record_death, CLERK, D(2024, 4, 2), id_number=h.members[2].id_number, household=h)
    # the head alone with 1500: over the standard, so paid unchanged (100) until the re-check
    assert case.data["amount"] == "100.00" and case.data["membersCovered"] == [
        h.members[0].id_number
    ]
    case = r(cs.record_death, CLERK, D(2024, 5, 2), id_number=h.members[0].id_number, household=h)
    assert case.state is CaseState.EXITED and case.data["exit"]["reason"] == "death"


def test_a_phasing_out_case_keeps_its_amount_after_a_death(base):
    family = Family(base, YUNNAN)
    h = family(1500)
    r = in_payment(base, YUNNAN, h)
    working = family(3000)  # the head found work: 1,000 per capita, over the standard
    r(cs.start_phase_out, officer(YUNNAN), LATER, months=6, household=working,
      cause="employment", cause_member=working.members[0].id_number)  # fmt: skip
    case = r(cs.record_death, CLERK, D(2024, 4, 1), id_number=h.members[1].id_number, household=h)
    assert case.state is CaseState.PHASING_OUT and case.data["amount"] == "900.00"
    assert r.events[-1].inputs["recomputed"]["status"] == "not_recomputed"


def test_tekun_amount_after_a_relative_dies(base):
    h = tekun_household(base, NINGXIA)
    covered, nephew = (m.id_number for m in h.members)
    r = opened(base, NINGXIA, program="tekun", case_id=2)
    r.household = h
    r(cs.record_investigation, officer(NINGXIA), DAY0, investigators=["甲", "乙"])
    r(cs.record_self_care, approver(NINGXIA), DAY0, failed_indicators=5)
    r(cs.record_first_review, officer(NINGXIA), DAY0)
    if r.case.data["spotCheck"]["selected"]:
        r(cs.record_spot_check, approver(NINGXIA), DAY0, upheld=True)
    r(cs.start_publicity, officer(NINGXIA), DAY0)
    r(cs.confirm_case, approver(NINGXIA), AFTER)
    assert r.case.data["amounts"] == [{"from": "2023-10-01", "amount": "1040.00"}]
    case = r(cs.record_death, staff(NINGXIA, Role.VILLAGE_CLERK), LATER, id_number=nephew)
    # the person covered still qualifies; the nephew was not the head
    assert case.data["membersCovered"] == [covered] and case.data["amount"] == "1040.00"
    assert "headChangeRequired" not in case.data
    assert r.events[-1].inputs["recomputed"] == {"status": "eligible", "amount": "1040.00"}


# -- the head and account change -----------------------------------------------------------------


def test_head_change_is_refused_until_the_household_has_a_living_head_and_account(base):
    family = Family(base, YUNNAN)
    h = family(1500)  # the head holds the account
    r = in_payment(base, YUNNAN, h)
    head, spouse, _ = (m.id_number for m in h.members)
    with pytest.raises(cs.InvalidTransition):  # nothing pending
        r(cs.record_head_change, officer(YUNNAN), LATER, household=h)
    r(cs.record_death, CLERK, LATER, id_number=head, household=h)
    later = D(2024, 3, 20)
    with pytest.raises(cs.HeadNotChanged) as e:  # the household still names the dead head
        r(cs.record_head_change, officer(YUNNAN), later, household=h)
    assert e.value.code == "HEAD_NOT_CHANGED"
    new_head_old_account = family(1500, head=1, dead={0: "2024-03-05"})
    with pytest.raises(cs.PaymentAccountRequired) as e:  # the account is the dead head's
        r(cs.record_head_change, officer(YUNNAN), later, household=new_head_old_account)
    assert e.value.code == "PAYMENT_ACCOUNT_REQUIRED"
    no_account = family(1500, head=1, account_holder=None)
    with pytest.raises(cs.PaymentAccountRequired):
        r(cs.record_head_change, officer(YUNNAN), later, household=no_account)
    changed = family(1500, head=1, account_holder=1)
    with pytest.raises(cs.WrongLevel):
        r(cs.record_head_change, CLERK, later, household=changed)
    case = r(cs.record_head_change, officer(YUNNAN), later, household=changed)
    assert case.state is CaseState.ACTIVE and case.data["headChangeRequired"] is False
    assert case.data["headChange"] == {
        "on": "2024-03-20",
        "headIdNumber": spouse,
        "accountHolderIdNumber": spouse,
    }
    assert r.events[-1].action == "record_head_change"
    with pytest.raises(cs.InvalidTransition):  # done
        r(cs.record_head_change, officer(YUNNAN), later, household=changed)


def test_the_account_holders_death_requires_a_new_account(base):
    family = Family(base, YUNNAN)
    h = family(1500, account_holder=1)  # the spouse holds the account
    r = in_payment(base, YUNNAN, h)
    case = r(cs.record_death, CLERK, LATER, id_number=h.members[1].id_number, household=h)
    assert case.data["headChangeRequired"] is True and "headChangeDue" not in case.data
    with pytest.raises(cs.PaymentAccountRequired):
        r(cs.record_head_change, officer(YUNNAN), LATER, household=h)
    case = r(cs.record_head_change, approver(YUNNAN), LATER, household=family(1500))
    assert case.data["headChange"]["accountHolderIdNumber"] == h.members[0].id_number


# -- periodic checks in payment ------------------------------------------------------------------


def test_periodic_verification_of_a_case_in_payment(base):
    family = Family(base, SHANXI)
    r = in_payment(base, SHANXI, family(1500))
    working = family(3000)
    before = r.case.data["verification"]
    with pytest.raises(cs.WrongLevel):
        r(cs.record_verification, officer(SHANXI), LATER, passed=True)
    with pytest.raises(InvalidInput):
        r(cs.record_verification, approver(SHANXI), LATER, passed="no")
    case = r(cs.record_verification, approver(SHANXI), LATER, passed=False, notes="存款超标")
    assert case.state is CaseState.ACTIVE
    assert case.data["lastPeriodicVerification"] == {"on": "2024-03-05", "passed": False}
    assert case.data["verification"] == before  # the pre-decision verification is kept
    assert "needs a review" in r.events[-1].reasons[-1]
    r(cs.start_phase_out, approver(SHANXI), LATER, months=6, household=working,
      cause="employment", cause_member=working.members[0].id_number)  # fmt: skip
    case = r(cs.record_verification, approver(SHANXI), D(2024, 4, 5), passed=True)
    assert case.data["lastPeriodicVerification"] == {"on": "2024-04-05", "passed": True}
    r(cs.exit_case, approver(SHANXI), D(2024, 10, 5), reason="income_over_standard")
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_verification, approver(SHANXI), D(2024, 11, 5), passed=True)


def test_home_visits_of_a_case_in_payment(base):
    family = Family(base, YUNNAN)
    r = to_publicity(base, YUNNAN)
    with pytest.raises(cs.InvalidTransition):  # not yet in payment
        r(cs.record_home_visit, officer(YUNNAN), AFTER, investigators=["甲", "乙"])
    r(cs.confirm_case, officer(YUNNAN), AFTER, household=family(1500))
    with pytest.raises(cs.TooFewInvestigators):  # national: at least 2
        r(cs.record_home_visit, officer(YUNNAN), LATER, investigators=["甲", " 甲 "])
    with pytest.raises(InvalidInput):  # a lone text is not a list of names
        r(cs.record_home_visit, officer(YUNNAN), LATER, investigators="甲乙")
    with pytest.raises(cs.WrongLevel):
        r(cs.record_home_visit, CLERK, LATER, investigators=["甲", "乙"])
    case = r(cs.record_home_visit, approver(YUNNAN), LATER, investigators=["乙", "甲"],
             findings="无变化")  # fmt: skip
    assert case.data["lastHomeVisit"] == {"on": "2024-03-05", "investigators": ["乙", "甲"]}
    assert r.events[-1].inputs == {"investigators": ["乙", "甲"], "findings": "无变化"}
    assert traced(r.events[-1], "dibao.investigation.min_investigators").value == 2


def tekun_active(base: PolicyBase) -> Runner:
    r = opened(base, NINGXIA, program="tekun", case_id=3)
    r.household = tekun_household(base, NINGXIA)
    r(cs.record_investigation, officer(NINGXIA), DAY0, investigators=["甲", "乙"])
    r(cs.record_self_care, approver(NINGXIA), DAY0, failed_indicators=2)
    r(cs.record_first_review, officer(NINGXIA), DAY0)
    if r.case.data["spotCheck"]["selected"]:
        r(cs.record_spot_check, approver(NINGXIA), DAY0, upheld=True)
    r(cs.start_publicity, officer(NINGXIA), DAY0)
    r(cs.confirm_case, approver(NINGXIA), AFTER)
    return r


def test_tekun_care_placement_and_visits(base):
    r = tekun_active(base)
    with pytest.raises(InvalidInput) as e:
        r(cs.record_care_placement, officer(NINGXIA), LATER, mode="home")
    assert e.value.message.startswith("mode:")
    with pytest.raises(InvalidInput) as e:
        r(cs.record_care_placement, officer(NINGXIA), LATER, mode="centralised")
    assert e.value.message.startswith("institution:")
    with pytest.raises(cs.WrongLevel):
        r(cs.record_care_placement, staff(NINGXIA, Role.VILLAGE_CLERK), LATER, mode="dispersed")
    case = r(cs.record_care_placement, officer(NINGXIA), LATER, mode="dispersed")
    assert case.data["care"] == {"mode": "dispersed", "on": "2024-03-05", "institution": ""}
    case = r(cs.record_care_placement, approver(NINGXIA), D(2024, 4, 1), mode="centralised",
             institution=" 永宁县敬老院(示例) ")  # fmt: skip
    assert case.data["care"] == {
        "mode": "centralised",
        "on": "2024-04-01",
        "institution": "永宁县敬老院(示例)",
    }
    with pytest.raises(InvalidInput) as e:
        r(cs.record_care_visit, officer(NINGXIA), D(2024, 4, 2), kind="call")
    assert e.value.message.startswith("kind:")
    case = r(cs.record_care_visit, officer(NINGXIA), D(2024, 4, 2), kind="visit", note="精神好")
    assert case.data["lastCareVisit"] == {"on": "2024-04-02"}
    assert "lastCareAssessment" not in case.data
    case = r(cs.record_care_visit, officer(NINGXIA), D(2024, 5, 2), kind="carer_assessment")
    assert case.data["lastCareAssessment"] == {"on": "2024-05-02"}
    assert case.data["lastCareVisit"] == {"on": "2024-04-02"}
    assert [e.action for e in r.events[-4:]] == [
        "record_care_placement",
        "record_care_placement",
        "record_care_visit",
        "record_care_visit",
    ]


def test_tekun_care_steps_are_not_for_dibao_cases(base):
    family = Family(base, YUNNAN)
    r = in_payment(base, YUNNAN, family(1500))
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_care_placement, officer(YUNNAN), LATER, mode="dispersed")
    with pytest.raises(cs.InvalidTransition):
        r(cs.record_care_visit, officer(YUNNAN), LATER, kind="visit")
    outsider = officer(SHANXI)
    with pytest.raises(cs.CaseForbidden):
        r(cs.record_home_visit, outsider, LATER, investigators=["甲", "乙"])


def test_every_new_step_is_an_action():
    for name in (
        "record_head_change",
        "record_home_visit",
        "record_care_placement",
        "record_care_visit",
    ):
        assert cs.ACTIONS[name].__name__ == name


def test_a_case_without_a_history_keeps_its_earlier_amount_when_reviewed(base):
    """Cases confirmed before amount histories were kept: the first change seeds the history
    with the old amount from benefitFrom, so earlier months stay payable."""
    family = Family(base, YUNNAN)
    r = in_payment(base, YUNNAN, family(1500))
    legacy = dict(r.case.data)
    del legacy["amounts"]
    r.case = replace(r.case, data=legacy)
    r(cs.record_review, officer(YUNNAN), D(2024, 9, 5), household=family(1800))
    assert r.case.data["amounts"] == [
        {"from": "2023-10-01", "amount": "900.00"},
        {"from": "2024-10-01", "amount": "600.00"},
    ]


# -- the written refusal notice ------------------------------------------------------------------


def test_the_refusal_notice_is_recorded_and_closes_its_deadline(base):
    from core.calendars.schedules import case_deadlines
    from core.calendars.workdays import default_calendar

    r = to_publicity(base, NINGXIA)
    r(cs.reject_case, approver(NINGXIA), AFTER, reasons=["income above the standard"])
    calendar = default_calendar(base.holiday_tables)
    notice_day = AFTER + dt.timedelta(days=1)
    before = {d.kind: d for d in case_deadlines(r.case, base.resolve, calendar, notice_day)}
    assert not before["refusal_notice"].done
    with pytest.raises(cs.WrongLevel):  # village clerks do not give the notice
        r(cs.record_refusal_notice, clerk(NINGXIA), notice_day)
    case = r(cs.record_refusal_notice, officer(NINGXIA), notice_day, note="delivered in person")
    assert case.state is CaseState.REJECTED
    assert case.data["refusalNotice"]["on"] == notice_day.isoformat()
    after = {d.kind: d for d in case_deadlines(case, base.resolve, calendar, notice_day)}
    assert after["refusal_notice"].done and after["refusal_notice"].done_on == notice_day
    with pytest.raises(cs.InvalidTransition):  # once
        r(cs.record_refusal_notice, officer(NINGXIA), notice_day)
