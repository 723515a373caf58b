"""Case deadlines and review schedules (pure): working days with China's holidays and make-up
days checked against chinese-calendar, the uncovered year 2027 (provisional), each deadline kind
per province where the rules differ, review intervals per income class and province, overdue
flags, traces, and the bulk planner giving exactly what the per-case answers give."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import chinese_calendar
import pytest

from core.calendars.schedules import (
    MOOT,
    Deadline,
    Planner,
    ReviewDue,
    ScheduleRow,
    case_deadlines,
    case_row,
    deadline_to_json,
    next_reviews,
    review_to_json,
    schedule_row,
)
from core.calendars.workdays import WorkCalendar, default_calendar
from core.cases import Case, CaseState, jsonable
from core.eligibility import add_months
from core.policy.service import PolicyBase

D = dt.date
SHANXI, YUNNAN, GUANGXI, NINGXIA, GUIZHOU = "140302", "530102", "450326", "640121", "522701"


@pytest.fixture(scope="module")
def calendar(base: PolicyBase) -> WorkCalendar:
    return default_calendar(base.holiday_tables)


def make_case(
    county: str, program: str = "dibao", state: str = "accepted", cid: int = 7, **data: Any
) -> Case:
    return Case(cid, 3, program, county, CaseState(state), 1, jsonable(data))


# Days off the law fixes on the Gregorian calendar from 2025 (全国年节及纪念日放假办法, art. 2).
FIXED_BY_LAW = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def walk_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` by chinese-calendar (for a year it does not know:
    Monday-Friday except the days fixed by law), independently of core.calendars.workdays."""
    day, k = start, 0
    while k < n:
        day += dt.timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            working = day.weekday() < 5 and (day.month, day.day) not in FIXED_BY_LAW
        k += working
    return day


def by_kind(items: list[Deadline]) -> dict[str, Deadline]:
    out = {d.kind: d for d in items}
    assert len(out) == len(items), [d.kind for d in items]
    return out


def reviews_by_kind(items: list[ReviewDue]) -> dict[str, ReviewDue]:
    out = {r.kind: r for r in items}
    assert len(out) == len(items), [r.kind for r in items]
    return out


def deadlines(base: PolicyBase, calendar: WorkCalendar, case: Case, as_of: dt.date) -> dict:
    return by_kind(case_deadlines(case, base.resolve, calendar, as_of, history=base))


def reviews(base: PolicyBase, case: Case, income_class: str | None, as_of: dt.date) -> dict:
    return reviews_by_kind(next_reviews(case, income_class, base.resolve, as_of, history=base))


# -- working days --------------------------------------------------------------------------------


def test_the_national_day_week_is_skipped(base, calendar):
    """Accepted on Monday 2026-09-28: 3 working days are 09-29, 09-30 and, after the holiday
    of 10-01..10-07, Thursday 10-08."""
    case = make_case(SHANXI, openedOn=D(2026, 9, 28))
    found = deadlines(base, calendar, case, D(2026, 9, 29))
    start = found["investigation_start"]
    assert start.due_date == walk_working_days(D(2026, 9, 28), 3) == D(2026, 10, 8)
    assert not start.provisional and start.uncovered_years == ()
    assert all(not chinese_calendar.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert found["verification_start"].due_date == D(2026, 10, 8)
    limit = found["time_limit"]
    assert limit.amount == 30 and limit.parameter.path == "dibao.approval.time_limit_working_days"
    assert limit.due_date == walk_working_days(D(2026, 9, 28), 30)
    assert limit.conditions[0].path == "dibao.approval.confirming_level"
    assert limit.conditions[0].value == "county"
    # nothing done, nothing overdue yet; the due day itself is not overdue
    assert not any(d.done or d.overdue for d in found.values())
    on_due = deadlines(base, calendar, case, D(2026, 10, 8))["investigation_start"]
    after = deadlines(base, calendar, case, D(2026, 10, 9))["investigation_start"]
    assert (on_due.overdue, after.overdue) == (False, True)


def test_a_make_up_saturday_counts_as_a_working_day(base, calendar):
    """Accepted on 2026-09-30: 10-08 (1), 10-09 (2), Saturday 10-10, a make-up day (3)."""
    case = make_case(SHANXI, openedOn=D(2026, 9, 30))
    due = deadlines(base, calendar, case, D(2026, 9, 30))["investigation_start"].due_date
    assert due == D(2026, 10, 10) == walk_working_days(D(2026, 9, 30), 3)
    assert due.weekday() == 5 and chinese_calendar.is_workday(due)


def test_a_deadline_in_a_year_without_holiday_table_is_provisional(base, calendar):
    assert not calendar.covers(2027)
    case = make_case(SHANXI, openedOn=D(2026, 12, 21))
    found = deadlines(base, calendar, case, D(2026, 12, 22))
    assert found["investigation_start"].due_date == D(2026, 12, 24)
    assert not found["investigation_start"].provisional
    limit = found["time_limit"]
    assert limit.provisional and limit.uncovered_years == (2027,)
    assert limit.due_date == walk_working_days(D(2026, 12, 21), 30)  # Monday-Friday in 2027
    assert "provisional: no holiday table for 2027" in limit.note
    assert deadline_to_json(limit)["provisional"] is True


# -- deadline kinds per province ----------------------------------------------------------------


def test_shanxi_county_confirms_county_review_after_publicity(base, calendar):
    case = make_case(
        SHANXI,
        state="in_publicity",
        openedOn=D(2024, 3, 1),
        investigations=[{"on": D(2024, 3, 5), "byCounty": False}],
        verification={"on": D(2024, 3, 11), "passed": True},
        firstReview={"on": D(2024, 3, 12)},
        publicity={"start": D(2024, 3, 13), "days": 7, "ends": D(2024, 3, 20)},
    )
    found = deadlines(base, calendar, case, D(2024, 4, 15))
    assert set(found) == {
        "investigation_start",
        "verification_start",
        "time_limit",
        "publicity_end",
        "county_review",
    }
    pub = found["publicity_end"]
    assert (pub.due_date, pub.unit, pub.done, pub.done_on) == (
        D(2024, 3, 20), "days", True, D(2024, 3, 20),
    )  # fmt: skip
    review = found["county_review"]
    assert review.started_on == D(2024, 3, 20)
    assert review.due_date == walk_working_days(D(2024, 3, 20), 10) == D(2024, 4, 3)
    assert review.overdue and not review.done
    assert review.parameter.path == "dibao.approval.county_review_working_days"
    assert review.parameter.origin == "national"
    inv = found["investigation_start"]
    assert inv.done and inv.done_on == D(2024, 3, 5) and not inv.late  # 3 wd: 03-06
    ver = found["verification_start"]
    assert ver.done and ver.late and ver.due_date == D(2024, 3, 6)
    assert found["time_limit"].due_date == walk_working_days(D(2024, 3, 1), 30)


@pytest.mark.parametrize(
    ("county", "accepted"), [(YUNNAN, D(2023, 9, 4)), (GUANGXI, D(2023, 9, 4))]
)
def test_township_confirmation_20_days_and_no_county_review(base, calendar, county, accepted):
    case = make_case(
        county,
        state="in_publicity",
        openedOn=accepted,
        publicity={"start": accepted + dt.timedelta(days=5), "days": 7},
    )
    found = deadlines(base, calendar, case, accepted)
    assert "county_review" not in found
    limit = found["time_limit"]
    assert limit.parameter.path == "dibao.approval.time_limit_delegated_working_days"
    assert limit.amount == 20 and limit.conditions[0].value == "township"
    assert limit.conditions[0].origin in ("yunnan", "guangxi")
    assert limit.due_date == walk_working_days(accepted, 20)


def test_township_confirming_before_the_delegated_limit_existed_has_no_due_date(base, calendar):
    """Yunnan delegated confirmation on 2022-06-28; the 20-day limit dates from 2022-10-20:
    in between no figure is set, and none is guessed."""
    case = make_case(YUNNAN, openedOn=D(2022, 8, 1))
    limit = deadlines(base, calendar, case, D(2022, 12, 1))["time_limit"]
    assert limit.due_date is None and not limit.overdue
    assert not limit.parameter.is_set
    assert "time_limit_delegated_working_days` is not set for 530102 on 2022-08-01" in limit.note


def test_guangxi_was_county_confirmed_before_2023_07_04(base, calendar):
    case = make_case(GUANGXI, openedOn=D(2023, 6, 1), publicity={"start": D(2023, 6, 20)})
    found = deadlines(base, calendar, case, D(2023, 6, 2))
    assert found["time_limit"].amount == 30
    # the publicity ended 06-27, still under the county's confirmation
    assert found["county_review"].due_date == walk_working_days(D(2023, 6, 27), 10)


def test_refusal_notice_after_a_rejection(base, calendar):
    data = {"openedOn": D(2024, 5, 6), "decision": {"on": D(2024, 5, 20), "rejected": True}}
    case = make_case(NINGXIA, state="rejected", **data)
    found = deadlines(base, calendar, case, D(2024, 6, 1))
    notice = found["refusal_notice"]
    assert notice.due_date == walk_working_days(D(2024, 5, 20), 3) and notice.overdue
    # steps never recorded before the decision are not overdue any more
    inv = found["investigation_start"]
    assert not inv.done and not inv.overdue and "no longer due" in inv.note
    assert found["time_limit"].done and found["time_limit"].done_on == D(2024, 5, 20)
    noticed = {**data, "decision": {**data["decision"], "noticeOn": D(2024, 5, 21)}}
    case = make_case(NINGXIA, state="rejected", **noticed)
    notice = deadlines(base, calendar, case, D(2024, 6, 1))["refusal_notice"]
    assert notice.done and notice.done_on == D(2024, 5, 21) and not notice.overdue


def _tekun_in_publicity(county):
    return make_case(
        county,
        program="tekun",
        state="in_publicity",
        openedOn=D(2024, 9, 23),
        selfCare={"on": D(2024, 9, 26)},
        firstReview={"on": D(2024, 10, 18)},
        publicity={"start": D(2024, 10, 21), "days": 7},
    )


def test_tekun_steps(base, calendar):
    found = deadlines(base, calendar, _tekun_in_publicity(NINGXIA), D(2024, 10, 29))
    assert set(found) == {"tekun_investigation", "publicity_end", "county_decision"}
    inv = found["tekun_investigation"]
    # 2024: National Day 10-01..10-07, make-up Sunday 09-29 and Saturday 10-12
    assert inv.due_date == walk_working_days(D(2024, 9, 23), 15) == D(2024, 10, 17)
    assert inv.done and inv.done_on == D(2024, 10, 18) and inv.late and not inv.overdue
    assert inv.parameter.path == "tekun.investigation.time_limit_working_days"
    pub = found["publicity_end"]
    assert pub.parameter.path == "tekun.approval.publicity_days" and pub.due_date == D(2024, 10, 28)
    decision = found["county_decision"]
    assert decision.started_on == D(2024, 10, 28)
    assert decision.due_date == walk_working_days(D(2024, 10, 28), 15)
    assert not decision.overdue
    # Yunnan 002 二(一): 「低保、特困供养审核确认权限下放至乡镇(街道)」: no county decision to wait
    # for, and no document sets the township a limit for it
    found = deadlines(base, calendar, _tekun_in_publicity(YUNNAN), D(2024, 10, 29))
    assert set(found) == {"tekun_investigation", "publicity_end"}


def test_temporary_paperwork_has_no_figure_and_says_so(base, calendar):
    case = make_case(
        YUNNAN,
        program="temporary",
        state="assisted",
        openedOn=D(2024, 2, 1),
        assistedFirst={"on": D(2024, 2, 2)},
        paperworkDue=True,
    )
    [paperwork] = case_deadlines(case, base.resolve, calendar, D(2025, 1, 1), history=base)
    assert paperwork.kind == "paperwork" and paperwork.due_date is None
    assert not paperwork.overdue and not paperwork.done
    assert paperwork.parameter.path == "temporary.paperwork_within_working_days"
    assert not paperwork.parameter.is_set
    assert "is not set for 530102 on 2024-02-02" in paperwork.note
    done = make_case(
        YUNNAN, program="temporary", state="granted", openedOn=D(2024, 2, 1),
        assistedFirst={"on": D(2024, 2, 2)}, paperworkDue=False,
        decision={"on": D(2024, 2, 9)},
    )  # fmt: skip
    [paperwork] = case_deadlines(done, base.resolve, calendar, D(2025, 1, 1), history=base)
    assert paperwork.done and paperwork.done_on == D(2024, 2, 9)


def test_after_a_death_recheck_and_head_change(base, calendar):
    """Qiannan: the head and account are changed in the month after the death (次月); the
    household is re-checked within 3 months (national)."""
    data = {
        "openedOn": D(2024, 1, 2),
        "decision": {"on": D(2024, 2, 1)},
        "deaths": [{"on": D(2024, 5, 20), "idNumber": "x", "head": True}],
        "headChangeRequired": True,
    }
    case = make_case(GUIZHOU, state="active", **data)
    found = deadlines(base, calendar, case, D(2024, 7, 1))
    recheck, head = found["death_recheck"], found["head_change"]
    assert recheck.due_date == D(2024, 8, 20) and recheck.unit == "months"
    assert not recheck.overdue
    assert head.due_date == D(2024, 6, 30) and head.overdue
    assert head.parameter.path == "payments.deceased_head_update_months"
    assert head.parameter.origin == "guizhou" and "次月" in head.parameter.source.quote
    changed = make_case(
        GUIZHOU, state="active", **{**data, "headChangeRequired": False,
                                    "headChange": {"on": D(2024, 6, 12)},
                                    "lastReview": {"on": D(2024, 7, 30)}},
    )  # fmt: skip
    found = deadlines(base, calendar, changed, D(2024, 9, 1))
    assert found["head_change"].done and found["head_change"].done_on == D(2024, 6, 12)
    assert found["death_recheck"].done and found["death_recheck"].done_on == D(2024, 7, 30)
    # Shanxi has no head-change figure: listed without a due date
    shanxi = make_case(SHANXI, state="active", **data)
    head = deadlines(base, calendar, shanxi, D(2024, 7, 1))["head_change"]
    assert head.due_date is None and not head.parameter.is_set


# -- reviews -------------------------------------------------------------------------------------


def active(county: str, decided: dt.date, program: str = "dibao", **data: Any) -> Case:
    return make_case(
        county, program=program, state="active", openedOn=decided - dt.timedelta(days=30),
        decision={"on": decided}, **data,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("county", "months"),
    [
        (SHANXI, {"stable": 12, "slow_change": 6, "irregular_with_labour": 3}),
        (YUNNAN, {"stable": 12, "slow_change": 12, "irregular_with_labour": 6}),
        (NINGXIA, {"stable": 12, "slow_change": 12, "irregular_with_labour": 6}),
    ],
)
def test_review_interval_by_income_class(base, county, months):
    decided = D(2025, 3, 31)
    for income_class, n in months.items():
        found = reviews(base, active(county, decided), income_class, D(2025, 4, 1))
        review = found["dibao_review"]
        assert review.due_date == add_months(decided, n)
        assert review.interval == n and review.basis == "decision 2025-03-31"
        key = "stable_income" if income_class == "stable" else income_class
        assert review.parameter.path == f"dibao.review.interval_months.{key}"
        assert review.parameter.origin == ("shanxi" if county == SHANXI else "national")
        assert not review.overdue
    reviewed = active(county, decided, lastReview={"on": D(2025, 9, 2), "status": "eligible"})
    review = reviews(base, reviewed, "slow_change", D(2026, 1, 1))["dibao_review"]
    assert review.basis == "last review 2025-09-02"
    assert review.due_date == add_months(D(2025, 9, 2), months["slow_change"])
    assert review.overdue == (review.due_date < D(2026, 1, 1))


def test_guangxi_verification_and_home_visits_every_six_months(base):
    case = active(
        GUANGXI, D(2024, 1, 15), verification={"on": D(2024, 1, 5), "passed": True},
        investigations=[{"on": D(2023, 12, 20)}],
    )  # fmt: skip
    found = reviews(base, case, "irregular_with_labour", D(2024, 8, 1))
    assert set(found) == {"dibao_review", "periodic_verification", "home_visit"}
    ver = found["periodic_verification"]
    assert ver.due_date == D(2024, 7, 5) and ver.overdue
    assert ver.basis == "verification before the decision 2024-01-05"
    assert ver.parameter.path == "dibao.verification.interval_months"
    assert ver.parameter.origin == "guangxi" and "每半年" in ver.parameter.source.quote
    visit = found["home_visit"]
    assert visit.due_date == D(2024, 6, 20) and visit.basis.startswith("home visit before")
    later = active(
        GUANGXI, D(2024, 1, 15), lastPeriodicVerification={"on": D(2024, 7, 1), "passed": True},
        lastHomeVisit={"on": D(2024, 6, 18)},
    )  # fmt: skip
    found = reviews(base, later, "irregular_with_labour", D(2024, 8, 1))
    assert found["periodic_verification"].due_date == D(2025, 1, 1)
    assert found["home_visit"].due_date == D(2024, 12, 18)
    assert found["home_visit"].basis == "last home visit 2024-06-18"
    # home visits only for households with irregular income and labour capacity
    assert set(reviews(base, later, "stable", D(2024, 8, 1))) == {
        "dibao_review",
        "periodic_verification",
    }
    # elsewhere neither exists
    assert set(reviews(base, active(NINGXIA, D(2024, 1, 15)), IRREG, D(2024, 8, 1))) == {
        "dibao_review"
    }


IRREG = "irregular_with_labour"


def test_guangxi_rule_reaches_cases_decided_before_it(base):
    """Cases decided before 2023-07-04 are verified within 6 months of the rule's first day."""
    found = reviews(base, active(GUANGXI, D(2022, 5, 10)), "stable", D(2024, 1, 10))
    ver = found["periodic_verification"]
    assert ver.due_date == D(2024, 1, 4) and ver.overdue
    assert ver.basis == "the rule in force from 2023-07-04"


def test_guizhou_annual_review(base):
    found = reviews(base, active(GUIZHOU, D(2025, 3, 10)), "stable", D(2025, 4, 1))
    annual = found["annual_review"]
    assert annual.due_date == D(2026, 12, 31) and annual.unit == "year_end"
    assert annual.parameter.path == "dibao.review.annual_review"
    assert annual.parameter.origin == "guizhou" and not annual.overdue
    assert found["dibao_review"].due_date == D(2026, 3, 10)
    reviewed = active(GUIZHOU, D(2025, 3, 10), lastReview={"on": D(2026, 5, 1)})
    assert reviews(base, reviewed, "stable", D(2026, 6, 1))["annual_review"].due_date == D(
        2027, 12, 31
    )
    old = reviews(base, active(GUIZHOU, D(2019, 10, 30)), "stable", D(2022, 2, 1))
    assert old["annual_review"].due_date == D(2021, 12, 31) and old["annual_review"].overdue
    assert old["annual_review"].basis == "the rule in force from 2021-01-01"
    shanxi = reviews(base, active(SHANXI, D(2025, 3, 10)), "stable", D(2025, 4, 1))
    assert "annual_review" not in shanxi


def test_tekun_yearly_and_carer_assessment(base):
    found = reviews(base, active(NINGXIA, D(2024, 6, 3), program="tekun"), None, D(2024, 7, 1))
    assert set(found) == {"tekun_review"}
    assert found["tekun_review"].due_date == D(2025, 6, 3)
    assert found["tekun_review"].parameter.path == "tekun.review.interval_months"
    dispersed = active(
        GUIZHOU, D(2024, 6, 3), program="tekun", care={"mode": "dispersed", "on": D(2024, 6, 10)},
        lastCareAssessment={"on": D(2024, 8, 31)},
    )  # fmt: skip
    care = reviews(base, dispersed, None, D(2024, 10, 15))["care_assessment"]
    assert care.due_date == D(2024, 9, 30) and care.overdue
    assert care.basis == "last carer assessment 2024-08-31"
    assert care.parameter.origin == "guizhou" and care.interval == 1
    appointed = active(
        GUIZHOU, D(2024, 6, 3), program="tekun", care={"mode": "dispersed", "on": D(2024, 6, 10)}
    )
    care = reviews(base, appointed, None, D(2024, 6, 11))["care_assessment"]
    assert care.due_date == D(2024, 7, 10) and care.basis == "carer appointed 2024-06-10"
    unknown = reviews(base, active(GUIZHOU, D(2024, 6, 3), program="tekun"), None, D(2024, 6, 4))
    assert unknown["care_assessment"].due_date == D(2024, 7, 3)
    assert "care mode not recorded" in unknown["care_assessment"].note
    centralised = active(
        GUIZHOU, D(2024, 6, 3), program="tekun", care={"mode": "centralised", "on": D(2024, 6, 3)}
    )
    assert set(reviews(base, centralised, None, D(2024, 6, 4))) == {"tekun_review"}


def test_death_recheck_and_phase_out_end(base):
    case = active(
        YUNNAN, D(2024, 1, 10),
        deaths=[{"on": D(2024, 3, 31), "idNumber": "x", "head": False}],
    )  # fmt: skip
    found = reviews(base, case, "stable", D(2024, 7, 1))
    death = found["death_recheck"]
    assert death.due_date == D(2024, 6, 30) and death.overdue and death.basis == "death 2024-03-31"
    assert death.parameter.path == "dibao.death.recheck_within_months"
    reviewed = active(
        YUNNAN, D(2024, 1, 10), deaths=[{"on": D(2024, 3, 31), "idNumber": "x", "head": False}],
        lastReview={"on": D(2024, 4, 15)},
    )  # fmt: skip
    assert "death_recheck" not in reviews(base, reviewed, "stable", D(2024, 7, 1))
    phasing = make_case(
        NINGXIA, state="phasing_out", openedOn=D(2023, 1, 1), decision={"on": D(2023, 2, 1)},
        phaseOut={"decidedOn": D(2024, 2, 15), "months": 18, "from": D(2024, 3, 1),
                  "lastMonth": "2025-08"},
    )  # fmt: skip
    end = reviews(base, phasing, "stable", D(2025, 1, 1))["phase_out_end"]
    assert end.due_date == D(2025, 8, 31) and end.basis == "phase-out decided 2024-02-15"
    assert end.parameter.path == "dibao.phase_out.max_months" and end.parameter.value == 18


def test_yongning_phase_out_notice_is_due_the_day_the_phase_out_is_decided(base, calendar):
    # Yongning 004 二(一)2: 「自纳入渐退名单之日起以正式文书的形式告知低保对象」
    data = {
        "openedOn": D(2023, 1, 1),
        "decision": {"on": D(2023, 2, 1)},
        "phaseOut": {"decidedOn": D(2024, 2, 15), "months": 6, "from": D(2024, 3, 1),
                     "lastMonth": "2024-08"},
    }  # fmt: skip
    case = make_case(NINGXIA, state="phasing_out", **data)
    notice = deadlines(base, calendar, case, D(2024, 3, 1))["phase_out_notice"]
    assert notice.due_date == D(2024, 2, 15) and notice.overdue and not notice.done
    assert notice.parameter.path == "dibao.phase_out.written_notice_required"
    assert notice.title_zh == "渐退正式文书告知" and "on 2024-02-15 itself" in notice.note
    case = make_case(NINGXIA, state="phasing_out", phaseOutNotice={"on": D(2024, 2, 16)}, **data)
    notice = deadlines(base, calendar, case, D(2024, 3, 1))["phase_out_notice"]
    assert notice.done and notice.done_on == D(2024, 2, 16) and not notice.overdue
    assert notice.late  # a day after the decision
    assert "phase_out_notice" not in deadlines(
        base, calendar, make_case(YUNNAN, state="phasing_out", **data), D(2024, 3, 1)
    )


def test_no_reviews_unless_in_payment(base):
    for state in ("accepted", "in_publicity", "exited", "rejected"):
        case = make_case(
            SHANXI, state=state, openedOn=D(2024, 1, 1), decision={"on": D(2024, 2, 1)}
        )
        assert next_reviews(case, "stable", base.resolve, D(2024, 3, 1), history=base) == []


def test_json_forms(base, calendar):
    case = active(SHANXI, D(2025, 3, 31))
    [review] = next_reviews(case, "stable", base.resolve, D(2025, 4, 1), history=base)
    out = review_to_json(review)
    assert out["dueDate"] == "2026-03-31" and out["parameter"]["isSet"] is True
    assert out["parameter"]["layer"]["code"] == "140300"
    assert out["parameter"]["source"]["quote"] == "对常年收入无变化的低保家庭,每年复核一次"
    first = case_deadlines(case, base.resolve, calendar, D(2025, 4, 1), history=base)[0]
    assert deadline_to_json(first)["startedOn"] == "2025-03-01"


# -- the bulk planner ------------------------------------------------------------------------------


def random_rows(n: int, seed: int = 5) -> list[ScheduleRow]:
    rnd = random.Random(seed)
    counties = [SHANXI, YUNNAN, GUANGXI, NINGXIA, GUIZHOU, "522702", "140321"]
    classes = ["stable", "slow_change", IRREG, None]
    rows = []
    first = D(2020, 6, 1).toordinal()
    for i in range(n):
        opened = first + rnd.randrange(2200)
        program = rnd.choice(["dibao", "dibao", "tekun", "temporary"])
        state = rnd.choice(["accepted", "in_publicity", "active", "active", "phasing_out",
                            "rejected", "assisted"])  # fmt: skip
        inv = opened + rnd.randrange(1, 9) if rnd.random() < 0.8 else None
        pub = opened + rnd.randrange(5, 30) if rnd.random() < 0.7 else None
        decided = (pub or opened) + rnd.randrange(7, 40) if state not in (
            "accepted", "in_publicity", "assisted") else None  # fmt: skip
        last = decided + rnd.randrange(30, 500) if decided and rnd.random() < 0.5 else None
        deaths = ((decided + 40, rnd.random() < 0.5),) if decided and rnd.random() < 0.2 else ()
        rows.append(
            ScheduleRow(
                i + 1, rnd.choice(counties), program, state, rnd.choice(classes), opened, inv,
                inv and inv + rnd.randrange(0, 6), pub and pub - 1, pub, decided,
                state == "rejected", None, last, None,
                decided and decided + rnd.randrange(-20, 200) if rnd.random() < 0.3 else None,
                rnd.choice([None, "dispersed", "centralised"]), None,
                decided if rnd.random() < 0.3 else None,
                (decided, 6, decided + 200) if decided and state == "phasing_out" else None,
                deaths, None, opened + 1 if program == "temporary" else None, None,
            )
        )  # fmt: skip
    return rows


def test_the_bulk_plan_is_the_per_case_answer(base, calendar):
    """plan() over many rows gives what deadlines() and reviews() give case by case: every
    item without a window; with a window exactly the open ones due by its end (a death's
    re-check once, as a deadline)."""
    rows = random_rows(3000)
    as_of = D(2025, 6, 1)
    until = D(2025, 7, 31)
    one = Planner.for_base(base, as_of, calendar)
    expected_all, expected_window = [], []
    for row in rows:
        dl, rv = one.deadlines(row), one.reviews(row)
        expected_all += dl + [i for i in rv if i[4].kind != "death_recheck"]
        expected_window += [
            i for i in dl + [i for i in rv if i[4].kind != "death_recheck"]
            if i[2] is None and i[1] is not None and i[1] <= until.toordinal()
        ]  # fmt: skip
    bulk = Planner.for_base(base, as_of, calendar)
    assert sorted(bulk.plan(rows), key=repr) == sorted(expected_all, key=repr)
    window = Planner.for_base(base, as_of, calendar).plan(rows, until=until)
    assert sorted(window, key=repr) == sorted(expected_window, key=repr)
    assert len(window) > 100 and any(i[2] == MOOT for i in expected_all)
    only_reviews = Planner.for_base(base, as_of).plan(rows, until=until, deadlines=False)
    assert {i[4].category for i in only_reviews} == {"review"}
    assert any(i[4].kind == "death_recheck" for i in only_reviews)


def test_resolving_per_policy_period_equals_resolving_per_day(base, calendar):
    """With the policy's history the planner resolves once per period; the answers are those
    of resolving on each case's own days."""
    rows = random_rows(400, seed=11)
    as_of = D(2025, 6, 1)
    per_period = Planner.for_base(base, as_of, calendar)
    per_day = Planner(base.resolve, as_of, calendar)  # no history: one resolution per day
    a, b = per_period.plan(rows), per_day.plan(rows)
    # rules that came in after a case's basis are placed by their first day only with history
    later = {i[0] for i in a + b if i[4].basis == "the rule in force from"}
    assert len(later) < len(rows) / 2
    assert [x for x in a if x[0] not in later] == [x for x in b if x[0] not in later]
    assert [x[0:4] for x in a if x[0] not in later] == [x[0:4] for x in b if x[0] not in later]


def test_rows_from_machine_data_read_defensively():
    row = schedule_row(
        9, SHANXI, "dibao", "active",
        {"openedOn": "2024-01-02", "investigations": [{"on": "2024-01-08"}, {"on": "2024-01-04"}],
         "decision": {"on": "2024-02-01", "level": "county"},
         "lastHomeVisit": {"on": "2024-06-01"}, "phaseOut": {}, "deaths": [{"idNumber": "x"}],
         "care": None, "assistedFirst": None},
        "stable",
    )  # fmt: skip
    assert row.opened == D(2024, 1, 2).toordinal()
    assert row.investigated == D(2024, 1, 4).toordinal()
    assert row.last_home_visit == D(2024, 6, 1).toordinal()
    assert row.decided == D(2024, 2, 1).toordinal() and row.phase_out is None
    assert row.deaths == () and row.care_mode is None and row.assisted_first is None
    assert case_row(make_case(SHANXI), "stable").income_class == "stable"


def test_the_benchmark_runs(capsys):
    """benchmarks/schedules.py still builds its cases and measures the real planner."""
    from benchmarks import schedules as bench

    assert bench.main(["--cases", "3000", "--rounds", "1", "--no-payments"]) == 0
    out = capsys.readouterr().out
    assert "3,000 cases in payment over 33 counties" in out
    assert "due in window" in out and "every deadline and review" in out
    assert "µs/case" in out


def test_what_a_death_left_to_do_is_not_overdue_once_the_case_left_payment(base, calendar):
    data = {
        "openedOn": D(2024, 1, 2),
        "decision": {"on": D(2024, 2, 1)},
        "deaths": [{"on": D(2024, 5, 20), "idNumber": "x", "head": True}],
        "exit": {"on": D(2024, 6, 3), "reason": "moved_away"},
    }
    found = deadlines(base, calendar, make_case(GUIZHOU, state="exited", **data), D(2025, 1, 1))
    for kind in ("death_recheck", "head_change"):
        assert not found[kind].done and not found[kind].overdue
        assert "no longer due" in found[kind].note
