"""Which steps are open (core.cases.availability): each step is tried with its required inputs
left empty, and those probes are derived from the action specs, so an action added to the specs
is probed without anyone writing its probe (a forgotten probe made ``caseActions`` fail: the
step missed a keyword argument)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import core.cases as cs
from core.access.roles import Role, User
from core.cases import CaseState
from core.cases.actions import CASE_ACTIONS, IN_PAYMENT, NOTE, ActionSpec, Input, Kind
from core.cases.availability import INPUT_CODES, PROBE_INPUTS, available_actions, probe_inputs
from core.cases.machine import STAFF, VISITORS
from core.cases.model import PROGRAMS
from core.policy.service import PolicyBase
from tests.support.cases import (
    LATER,
    NINGXIA,
    YUNNAN,
    active,
    approver,
    household,
    make_case,
    officer,
    staff,
    tekun_household,
    working,
)
from tests.support.standards import with_example_standards

STEPS = [s for s in CASE_ACTIONS if not s.opens]


@pytest.fixture(scope="module")
def base(base: PolicyBase) -> PolicyBase:
    return with_example_standards(base)


def test_every_step_is_probed_with_each_required_input_and_nothing_else() -> None:
    assert set(PROBE_INPUTS) == {s.name for s in STEPS}
    for spec in STEPS:
        required = {i.name for i in spec.inputs if i.required and not i.store}
        assert set(PROBE_INPUTS[spec.name]) == required, spec.name


def _phone_call(case: Any, actor: Any, policy: Any, on: Any, *, minutes: int, note: str = ""):
    raise AssertionError("not called")


def test_an_action_added_to_the_specs_gets_its_probe() -> None:
    spec = ActionSpec(
        "record_phone_call",
        _phone_call,
        "A phone call (added by a test).",
        roles=VISITORS,
        states={"dibao": IN_PAYMENT},
        inputs=(
            Input("minutes", Kind.INT, "How long.", required=True),
            Input("called", Kind.BOOL, "Answered.", required=True),
            Input("who", Kind.LIST, "Who.", required=True),
            NOTE,
        ),
    )
    assert probe_inputs(spec) == {"minutes": -1, "called": None, "who": []}
    # each probe gets its own values: a step that changed a list would not change the next probe
    assert probe_inputs(spec)["who"] is not probe_inputs(spec)["who"]


def _case_in(program: str, state: CaseState, county: str) -> cs.Case:
    """A case in ``state`` with what any state's steps read (as the console test's cases)."""
    return make_case(
        county,
        program,
        state.value,
        openedOn="2023-08-01",
        amount="300.00",
        benefitFrom="2023-09-01",
        amounts=[{"from": "2023-09-01", "amount": "300.00"}],
        publicity={"start": "2023-08-20", "days": 7, "ends": "2023-08-27"},
        phaseOut={"decidedOn": "2023-09-04", "months": 3, "from": "2023-10-01",
                  "lastMonth": "2023-12"},
        decision={"on": "2023-09-04", "level": "county", "by": 0},
        selfCare={"on": "2023-08-10", "failedIndicators": 4, "result": "partial_loss"},
        assistedFirst={"on": "2023-09-04", "note": ""},
    )  # fmt: skip


@pytest.mark.parametrize("county", [YUNNAN, NINGXIA])
def test_any_case_in_any_state_is_probed_without_failing_outside_the_machine_s_refusals(
    base: PolicyBase, county: str
) -> None:
    """Every step for every staff role on a case of every program in every state: an answer for
    each (open, or closed with the machine's own code), never an exception."""
    on = dt.date(2023, 10, 9)
    for program in PROGRAMS:
        h = tekun_household(base, county) if program == "tekun" else household(base, county, 900)
        for state in CaseState:
            case = _case_in(program, state, county)
            for role in sorted(STAFF):
                found = available_actions(
                    case, staff(county, role), lambda d: base.resolve(county, d), on, h
                )
                assert [a.action for a in found] == [s.name for s in STEPS]
                for a in found:
                    assert a.open or a.code, (program, state, role, a)
                    if state not in dict(next(s.states for s in STEPS if s.name == a.action)).get(
                        program, ()
                    ):
                        assert not a.open, (program, state, role, a.action)


def _open(found: list[Any]) -> dict[str, tuple[bool, str | None]]:
    return {a.action: (a.open, a.code) for a in found}


def test_the_steps_of_issue_9_are_offered_where_the_machine_takes_them(base: PolicyBase) -> None:
    # Ningxia allows a phase-out of up to 18 months: a review over the standard asks the official
    # to choose (CHOICE_REQUIRED is about the inputs: the step is open, its form asks).
    r = active(base, NINGXIA)
    h, _ = working(base, NINGXIA)
    with pytest.raises(cs.ChoiceRequired):
        r(cs.record_review, approver(NINGXIA), LATER, household=h)
    assert "CHOICE_REQUIRED" in INPUT_CODES

    def steps(actor: User, case: cs.Case, hh: Any) -> dict[str, tuple[bool, str | None]]:
        county = case.county
        return _open(available_actions(case, actor, lambda d: base.resolve(county, d), LATER, hh))

    county_view = steps(approver(NINGXIA), r.case, h)
    assert county_view["record_review"] == (True, None)
    assert county_view["record_work_accepted"] == (True, None)  # the member is asked for
    assert county_view["reduce_for_refused_work"] == (True, None)
    assert county_view["record_complaint"] == (False, "INVALID_TRANSITION")  # decided already
    assert county_view["confirm_termination"][0] is False  # a dibao case
    township = steps(officer(NINGXIA), r.case, h)
    assert township["record_work_accepted"] == (True, None)
    assert township["reduce_for_refused_work"] == (False, "WRONG_LEVEL")  # the county decides

    # before the decision a complaint may be recorded by the village, the township, the county
    accepted = make_case(NINGXIA, "dibao", "accepted")
    clerk = staff(NINGXIA, Role.VILLAGE_CLERK)
    assert steps(clerk, accepted, h)["record_complaint"] == (True, None)

    # tekun in payment: the wish for centralised care and a reported change of self-care
    tekun = _case_in("tekun", CaseState.ACTIVE, YUNNAN)
    hh = tekun_household(base, YUNNAN)
    tekun_view = steps(approver(YUNNAN), tekun, hh)
    assert tekun_view["record_care_wish"] == (True, None)
    assert tekun_view["report_self_care_change"] == (True, None)
    # a termination is decided only while one is being published
    assert tekun_view["confirm_termination"] == (False, "INVALID_TRANSITION")
