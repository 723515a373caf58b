"""Pure case-machine drivers: officials, households with valid ID numbers, and a runner that
applies steps to one case, resolving the policy at the case's county on each date.

Confirmations evaluate the household, so the policy base needs standards in yuan: use
:func:`tests.support.standards.with_example_standards` (test values, not official).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from stdnum.cn import ric

import core.cases as cs
from core.access.roles import Role, User
from core.cases import Case, CaseState, Transition, jsonable
from core.cases.selection import as_fraction, select
from core.households.model import Household, parse_household
from core.policy.service import PolicyBase

D = dt.date
YUNNAN, GUANGXI, GUIZHOU, SHANXI, NINGXIA = "530102", "450326", "522701", "140302", "640121"
DAY0 = D(2023, 9, 4)

CLERK = User(1, "clerk", Role.VILLAGE_CLERK, YUNNAN)


def staff(county: str, role: Role, uid: int = 0) -> User:
    uid = uid or {Role.TOWNSHIP_OFFICER: 10, Role.COUNTY_APPROVER: 20}.get(role, 30)
    return User(uid, f"{role.value}-{county}", role, county)


def officer(county: str, uid: int = 10) -> User:
    return staff(county, Role.TOWNSHIP_OFFICER, uid)


def approver(county: str, uid: int = 20) -> User:
    return staff(county, Role.COUNTY_APPROVER, uid)


Step = Callable[..., Transition]

_seq = iter(range(1, 10**6))


def pid(birth: str = "19800101") -> str:
    p = f"110101{birth}{next(_seq) % 1000:03d}"
    return p + ric.calc_check_digit(p + "0")


def household(base: PolicyBase, county: str, wages: float) -> Household:
    """Three members (head, spouse, sibling), the head earning ``wages`` (urban)."""
    members = [
        {"idNumber": pid(), "name": "甲", "relation": "head"},
        {"idNumber": pid(), "name": "乙", "relation": "spouse"},
        {"idNumber": pid("19750505"), "name": "丙", "relation": "sibling"},
    ]
    data = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
        "income": [{"kind": "wages", "monthlyAmount": wages, "member": members[0]["idNumber"]}],
    }
    return parse_household(data, base.registry, DAY0)


def tekun_household(base: PolicyBase, county: str) -> Household:
    """An old person alone without an able supporter (tekun), with a nephew not covered."""
    members = [
        {"idNumber": pid("19400101"), "name": "甲", "relation": "head",
         "hasAbleSupporter": False, "labourCapacity": "none"},
        {"idNumber": pid("19900101"), "name": "乙", "relation": "other"},
    ]  # fmt: skip
    data = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
    }
    return parse_household(data, base.registry, DAY0)


def eligible(base: PolicyBase, county: str, program: str) -> Household:
    if program == "tekun":
        return tekun_household(base, county)
    return household(base, county, 1500)


# Running spot-check counts, per pool, county and month, as the store keeps them (the pure
# machine leaves the selection to it): shared by the cases of a test that passes the same dict.
Tally = dict[tuple[str, str, str], tuple[int, int]]


def decide_selection(t: Transition, tally: Tally) -> Transition:
    """``t`` with its spot-check selection decided against ``tally`` (as the store does)."""
    req = t.selection
    if req is None:
        return t
    key = (req.pool, t.case.county, req.month)
    decisions, selected = tally.get(key, (0, 0))
    sel = select(decisions, selected, as_fraction(req.ratio))
    tally[key] = (sel.position, sel.selected_so_far)
    return cs.with_selection(t, sel)


class Runner:
    """Applies steps to one case, resolving the policy at its county on each date; confirmation
    and deaths get the case's household (an eligible one of the case's program by default).
    Spot-check selections are decided against ``tally`` (a new, empty one by default: the
    first decision of a month is then always selected)."""

    def __init__(
        self,
        base: PolicyBase,
        case: Case,
        household: Household | None = None,
        tally: Tally | None = None,
    ) -> None:
        self.base = base
        self.case = case
        self.events: list[cs.CaseEvent] = []
        self.household = household
        self.tally: Tally = {} if tally is None else tally

    def __call__(self, step: Step, actor: User, on: dt.date, **kw: Any) -> Case:
        if (
            step in (cs.confirm_case, cs.record_death, cs.record_paperwork)
            and "household" not in kw
        ):
            if self.household is None:
                self.household = eligible(self.base, self.case.county, self.case.program)
            kw["household"] = self.household
        t = step(self.case, actor, self.base.resolve(self.case.county, on), on, **kw)
        t = decide_selection(t, self.tally)
        assert t.case.version == self.case.version + 1
        assert t.event.from_state == self.case.state and t.event.to_state == t.case.state
        self.case = t.case
        self.events.append(t.event)
        return t.case


def opened(
    base: PolicyBase,
    county: str,
    program: str = "dibao",
    case_id: int = 1,
    tally: Tally | None = None,
    **kw: Any,
) -> Runner:
    t = cs.open_case(
        officer(county),
        base.resolve(county, DAY0),
        DAY0,
        household_id=7,
        program=program,
        case_id=case_id,
        **kw,
    )
    assert t.case.state is CaseState.ACCEPTED and t.case.version == 1
    assert t.event.from_state is None
    r = Runner(base, t.case, tally=tally)
    r.events.append(t.event)
    return r


def to_publicity(base: PolicyBase, county: str, **kw: Any) -> Runner:
    r = opened(base, county, **kw)
    r(cs.record_investigation, officer(county), DAY0 + dt.timedelta(1), investigators=["甲", "乙"])
    r(cs.record_first_review, officer(county), DAY0 + dt.timedelta(2))
    r(cs.start_publicity, officer(county), DAY0 + dt.timedelta(3))
    assert r.case.state is CaseState.IN_PUBLICITY
    return r


AFTER = DAY0 + dt.timedelta(20)  # publicity (7 days) over


def traced(event: cs.CaseEvent, path: str) -> Any:
    return next(t for t in event.policy if t.path == path)


LATER = D(2024, 3, 5)


def active(base: PolicyBase, county: str) -> Runner:
    """A dibao case confirmed (in payment) at ``county``, by its confirming level."""
    r = to_publicity(base, county)
    if county == SHANXI:
        r(cs.record_verification, approver(county), AFTER, passed=True)
    confirmer = approver(county) if county in (SHANXI, NINGXIA, GUIZHOU) else officer(county)
    r(cs.confirm_case, confirmer, AFTER)
    assert r.case.state is CaseState.ACTIVE
    return r


def working(base: PolicyBase, county: str, wages: float = 3000) -> tuple[Household, dict]:
    """The household after the head found work (per capita 1,000 > 800), and the phase-out
    inputs naming that cause (就业)."""
    h = household(base, county, wages)
    kw = {"household": h, "cause": "employment", "cause_member": h.members[0].id_number}
    return h, kw


def make_case(
    county: str, program: str = "dibao", state: str = "accepted", cid: int = 7, **data: Any
) -> Case:
    """A case as the machine stores it (household 3, version 1), without running the machine."""
    return Case(cid, 3, program, county, CaseState(state), 1, jsonable(data))
