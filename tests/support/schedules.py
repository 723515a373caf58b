"""Officials, households and cases driven through the cases store (so the stored data is what
the state machine writes), for the deadline and review tests over stored cases.

Confirmation evaluates the household: give the world a policy with standards in yuan
(:func:`tests.support.standards.with_example_standards`, test values)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import core.cases.store as store
from core.access.roles import User
from core.access.tokens import create_user
from core.calendars.workdays import default_calendar
from core.households.store import create_household
from tests.support.households import household_doc, id_number

D = dt.date
SHANXI, GUANGXI, YUNNAN = "140302", "450326", "530102"


class World:
    """Officials at a county, households and cases driven through the cases store."""

    def __init__(self, db: Any, policy: Any) -> None:
        self.db, self.policy = db, policy
        self.registry = policy.registry
        self.calendar = default_calendar(policy.holiday_tables)
        self.n = itertools.count(1)
        self.users: dict[tuple[str, str], User] = {}

    def user(self, role: str, code: str) -> User:
        key = (role, code)
        if key not in self.users:
            with self.db.sessions() as s:
                self.users[key], _ = create_user(s, f"{role}@{code}", role, code, self.registry)
        return self.users[key]

    def household(self, county: str, income_class: str) -> int:
        n = next(self.n)
        members = [
            (id_number(county, 2 * n), f"户主{n}", "head"),
            (id_number(county, 2 * n + 1), f"配偶{n}", "spouse"),
        ]
        doc = household_doc(
            county, *members, incomeClass=income_class, propertyWithinLocalRules=True,
            income=[{"kind": "wages", "monthlyAmount": 1000, "member": members[0][0]}],
        )  # fmt: skip
        with self.db.sessions() as s:
            return create_household(
                s, self.user("village_clerk", county), doc, self.registry, today=D(2024, 1, 1)
            ).id

    def open(self, county: str, income_class: str, on: dt.date, program: str = "dibao") -> int:
        hid = self.household(county, income_class)
        with self.db.sessions() as s:
            case, _ = store.open_case(
                s, self.policy, self.user("township_officer", county), on,
                household_id=hid, program=program,
            )  # fmt: skip
        return case.id

    def step(self, cid: int, action: str, role: str, on: dt.date, **kw: Any) -> Any:
        with self.db.sessions() as s:
            case = store.get_case(s, cid)
            actor = self.user(role, case.county)
            return store.apply_transition(
                s, self.policy, cid, case.version, action, actor, on, **kw
            )[0]

    def to_publicity(self, cid: int, start: dt.date) -> None:
        officer = "township_officer"
        self.step(cid, "record_investigation", officer, start, investigators=["甲", "乙"])
        self.step(cid, "record_first_review", "township_officer", start + dt.timedelta(days=1))
        self.step(cid, "start_publicity", "township_officer", start + dt.timedelta(days=2))

    def active(self, county: str, income_class: str, opened: dt.date) -> int:
        cid = self.open(county, income_class, opened)
        self.to_publicity(cid, opened + dt.timedelta(days=2))
        self.step(cid, "record_verification", "county_approver", opened + dt.timedelta(days=6),
                  passed=True)  # fmt: skip
        confirmer = "township_officer" if county == GUANGXI else "county_approver"
        case = self.step(cid, "confirm_case", confirmer, opened + dt.timedelta(days=12))
        assert case.state.value == "active", case
        return cid
