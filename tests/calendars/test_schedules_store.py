"""Deadlines and reviews of stored cases, on SQLite and PostgreSQL: cases taken through the
state machine by the cases store (so the data is what the machine writes), read in bulk with
their households' income class, scoped to a jurisdiction, with access checks.

No source document sets a dibao standard in yuan: confirmation runs against the EXAMPLE
standards of ``tests.support.standards.with_example_standards`` (test values, not official)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.access.roles import Forbidden, Unauthenticated
from core.calendars import schedules_store
from core.cases import CaseNotFound
from core.eligibility import add_months
from core.errors import InvalidInput
from core.storage.tables import CaseRow
from tests.support.schedules import GUANGXI, SHANXI, YUNNAN, World
from tests.support.standards import with_example_standards

D = dt.date


@pytest.fixture(scope="module")
def policy(base):
    return with_example_standards(base)


@pytest.fixture
def world(db, policy) -> World:
    return World(db, policy)


def test_deadlines_of_a_case_the_machine_took_to_payment(world):
    cid = world.active(SHANXI, "irregular_with_labour", D(2026, 9, 25))
    with world.db.sessions() as s:
        found = schedules_store.case_deadlines(
            s, world.policy, world.calendar, world.user("auditor", "140300"), cid, D(2026, 10, 9)
        )
    kinds = {d.kind: d for d in found}
    assert set(kinds) == {
        "investigation_start",
        "verification_start",
        "time_limit",
        "publicity_end",
        "county_review",
    }
    # accepted Friday 09-25 (2026: Mid-autumn 09-25..27, National Day 10-01..07): 09-28, 09-29,
    # 09-30 are the 3 working days
    inv = kinds["investigation_start"]
    assert inv.due_date == D(2026, 9, 30) and inv.done and inv.done_on == D(2026, 9, 27)
    assert kinds["verification_start"].done_on == D(2026, 10, 1)
    assert kinds["verification_start"].late  # a holiday, after the due date
    assert kinds["publicity_end"].due_date == D(2026, 10, 6)
    review = kinds["county_review"]
    assert review.started_on == D(2026, 10, 6) and review.done_on == D(2026, 10, 7)
    assert not any(d.overdue for d in found)


def test_due_reviews_of_a_jurisdiction(world):
    a = world.active(SHANXI, "irregular_with_labour", D(2024, 3, 1))  # decided 03-13: +3 months
    b = world.active(SHANXI, "stable", D(2024, 3, 1))  # +12 months
    c = world.active("140321", "slow_change", D(2024, 1, 2))  # Pingding: decided 01-14, +6
    g = world.active(GUANGXI, "irregular_with_labour", D(2024, 2, 1))
    pending = world.open(SHANXI, "stable", D(2024, 3, 1))  # not in payment: no reviews
    auditor = world.user("auditor", "140300")
    with world.db.sessions() as s:
        items, refs, planner = schedules_store.due_reviews(
            s, world.policy, auditor, "140300", D(2024, 7, 1), D(2024, 7, 31), D(2024, 7, 10)
        )
        reviews = [planner.review(i) for i in items]
    got = [(r.case_id, r.kind, r.due_date, r.overdue) for r in reviews]
    assert got == [
        (a, "dibao_review", D(2024, 6, 13), True),
        (c, "dibao_review", D(2024, 7, 14), False),
    ]
    assert refs[a].county == SHANXI and refs[c].county == "140321" and pending not in refs
    assert b in refs and g not in refs
    assert reviews[0].parameter.origin == "shanxi" and reviews[0].interval == 3
    with world.db.sessions() as s:
        items, refs, planner = schedules_store.due_reviews(
            s, world.policy, world.user("county_approver", GUANGXI), GUANGXI,
            D(2024, 8, 1), D(2024, 8, 31), D(2024, 8, 1),
        )  # fmt: skip
        kinds = {planner.review(i).kind: planner.review(i) for i in items}
    decided = D(2024, 2, 13)
    assert set(kinds) == {"dibao_review", "periodic_verification", "home_visit"}
    assert kinds["dibao_review"].due_date == add_months(decided, 6)
    assert kinds["periodic_verification"].due_date == D(2024, 8, 7)  # verified 02-07
    assert kinds["home_visit"].due_date == D(2024, 8, 3)  # visited 02-03, before the decision
    assert kinds["home_visit"].basis == "home visit before the decision 2024-02-03"


def test_reviews_follow_the_recorded_checks(world):
    cid = world.active(GUANGXI, "irregular_with_labour", D(2024, 2, 1))
    world.step(cid, "record_verification", "county_approver", D(2024, 7, 20), passed=True)
    world.step(cid, "record_home_visit", "township_officer", D(2024, 7, 22),
               investigators=["甲", "乙"])  # fmt: skip
    approver = world.user("county_approver", GUANGXI)
    with world.db.sessions() as s:
        case, found = schedules_store.case_reviews(s, world.policy, approver, cid, D(2024, 8, 1))
    kinds = {r.kind: r for r in found}
    assert case.id == cid
    assert kinds["periodic_verification"].due_date == D(2025, 1, 20)
    assert kinds["periodic_verification"].basis == "last verification 2024-07-20"
    assert kinds["home_visit"].due_date == D(2025, 1, 22)
    assert [r.due_date for r in found] == sorted(r.due_date for r in found)


def test_access_and_input_checks(world):
    cid = world.active(SHANXI, "stable", D(2024, 3, 1))
    outsider = world.user("county_approver", YUNNAN)
    with world.db.sessions() as s:
        with pytest.raises(Forbidden):
            schedules_store.case_deadlines(
                s, world.policy, world.calendar, outsider, cid, D(2024, 4, 1)
            )
        with pytest.raises(Unauthenticated):
            schedules_store.due_reviews(
                s, world.policy, None, SHANXI, D(2024, 1, 1), D(2024, 2, 1), D(2024, 1, 1)
            )
        with pytest.raises(Forbidden):
            schedules_store.due_reviews(
                s, world.policy, outsider, "140000", D(2024, 1, 1), D(2024, 2, 1), D(2024, 1, 1)
            )
        with pytest.raises(CaseNotFound):
            schedules_store.case_deadlines(
                s, world.policy, world.calendar, outsider, cid + 100, D(2024, 4, 1)
            )
        mine = world.user("county_approver", SHANXI)
        with pytest.raises(InvalidInput, match="before from"):
            schedules_store.due_reviews(
                s, world.policy, mine, SHANXI, D(2024, 3, 1), D(2024, 2, 1), D(2024, 1, 1)
            )
        with pytest.raises(InvalidInput, match="at most"):
            schedules_store.due_reviews(
                s, world.policy, mine, SHANXI, D(2020, 3, 1), D(2024, 2, 1), D(2024, 1, 1)
            )


def test_calendar_items_open_deadlines_and_reviews_in_the_window(world):
    accepted = world.open(SHANXI, "stable", D(2024, 6, 3))  # investigation due 06-06
    rejected = world.open(SHANXI, "stable", D(2024, 5, 6))
    world.step(rejected, "reject_case", "county_approver", D(2024, 6, 4), reasons=["收入超标"])
    old = world.open(SHANXI, "stable", D(2023, 1, 3))
    world.step(old, "reject_case", "county_approver", D(2023, 1, 9), reasons=["收入超标"])
    active = world.active(SHANXI, "irregular_with_labour", D(2024, 3, 1))  # review due 06-13
    approver = world.user("county_approver", SHANXI)
    with world.db.sessions() as s:
        due = schedules_store.calendar_items(
            s, world.policy, world.calendar, approver, SHANXI, D(2024, 6, 1), D(2024, 6, 30),
            D(2024, 6, 1),
        )  # fmt: skip
    deadlines = {(d.case_id, d.kind): d for d in due.deadlines}
    assert deadlines[(accepted, "investigation_start")].due_date == D(2024, 6, 6)
    assert (accepted, "time_limit") not in deadlines  # due in July, after the window
    assert deadlines[(rejected, "refusal_notice")].due_date == D(2024, 6, 7)
    assert all(cid != old for cid, _ in deadlines)  # rejected long before: not read
    assert all(not d.done for d in due.deadlines)
    assert [(r.case_id, r.kind, r.due_date) for r in due.reviews] == [
        (active, "dibao_review", D(2024, 6, 13))
    ]
    assert due.counties[accepted] == SHANXI
    assert old not in due.counties


def test_rows_carry_the_income_class_and_the_scope(world):
    a = world.active(SHANXI, "slow_change", D(2024, 3, 1))
    b = world.open(GUANGXI, "irregular_with_labour", D(2024, 3, 1))
    with world.db.sessions() as s:
        rows, refs = schedules_store.read_rows(s, world.registry, "140000")
        assert [(r.case_id, r.income_class, r.state) for r in rows] == [
            (a, "slow_change", "active")
        ]
        rows, _ = schedules_store.read_rows(s, world.registry, "000000", states=("accepted",))
        assert [(r.case_id, r.income_class) for r in rows] == [(b, "irregular_with_labour")]
        # a case whose data lacks keys is read defensively
        s.execute(update(CaseRow).where(CaseRow.id == a).values(data={"decision": {}}))
        s.commit()
        rows, _ = schedules_store.read_rows(s, world.registry, SHANXI)
        assert rows[0].decided is None and rows[0].opened is None
    assert refs[a].household_id > 0
