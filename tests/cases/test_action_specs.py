"""The action specs (core.cases.actions) agree with the steps of the state machine: the same
keyword inputs (required the same way), the stored household where the step reads it, the
programs and states a step is taken in, and the roles it accepts. The API, the command line and
the docs are generated from the specs, so a spec that drifted from its step would mislead all
three; these tests fail first, naming the action.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import pytest

from core.access.roles import Role, User
from core.cases import Case, CaseForbidden, CaseState, InvalidTransition, WrongLevel
from core.cases.actions import CASE_ACTIONS, SPECS, ActionSpec, Kind
from core.cases.machine import STAFF
from core.cases.model import PROGRAMS
from core.errors import InvalidInput
from core.policy.service import PolicyBase

YUNNAN = "530102"  # confirming level: township (dibao.approval.confirming_level)
ON = dt.date(2024, 3, 5)
# Keyword parameters of a step that are not inputs: the case id given when a case is stored,
# and the stored household (supplied by the store; see ActionSpec.household).
INTERNAL = {"case_id", "household"}


def _keywords(spec: ActionSpec) -> dict[str, inspect.Parameter]:
    return {
        p.name: p
        for p in inspect.signature(spec.step).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize("spec", CASE_ACTIONS, ids=lambda s: s.name)
def test_the_spec_declares_exactly_the_step_s_inputs(spec: ActionSpec) -> None:
    params = _keywords(spec)
    declared = {i.name: i for i in spec.inputs if not i.deprecated and not i.store}
    assert set(declared) == set(params) - INTERNAL - set(spec.supplied), (
        f"{spec.name}: declare the step's inputs in core/cases/actions.py"
    )
    assert set(spec.supplied) <= set(params), spec.name
    assert not {i.name for i in spec.inputs} & set(spec.supplied), spec.name
    for name, i in declared.items():
        assert i.required == (params[name].default is inspect.Parameter.empty), name
        if i.default is not None:  # what the API shows is what the step does
            assert i.default_value == params[name].default, name
    assert spec.household == ("household" in params)
    assert spec.name == spec.step.__name__ or (spec.opens and spec.step.__name__ == "open_case")


def test_an_input_the_store_reads_is_a_parameter_of_the_store() -> None:
    from core.cases import store

    read = [(s, i) for s in CASE_ACTIONS for i in s.inputs if i.store]
    assert [(s.name, i.name) for s, i in read] == [("open", "at_county")]
    for spec, i in read:
        fn = store.open_case if spec.opens else store.apply_transition
        assert i.name in inspect.signature(fn).parameters, (spec.name, i.name)


def test_the_only_deprecated_input_is_the_one_the_store_refuses() -> None:
    deprecated = [(s.name, i.name) for s in CASE_ACTIONS for i in s.inputs if i.deprecated]
    assert deprecated == [("confirm_case", "evaluate")]


def _sample(spec: ActionSpec) -> dict[str, Any]:
    """A value of the right kind for every required input, and the household if read."""
    out: dict[str, Any] = {}
    for i in spec.inputs:
        if not i.required:
            continue
        out[i.name] = {
            Kind.TEXT: i.choices[0] if i.choices else "文本",
            Kind.LIST: ["甲", "乙"],
            Kind.BOOL: True,
            Kind.INT: 1,
            Kind.AMOUNT: "100",
            Kind.DATE: ON,
            Kind.ID: 1,
        }[i.kind]
    if spec.household:
        out["household"] = None
    return out


def _case(program: str, state: CaseState) -> Case:
    return Case(7, 1, program, YUNNAN, state, 3, {"amount": "100"})


def _refusal(spec: ActionSpec, case: Case, actor: User, base: PolicyBase) -> Exception | None:
    """What the step raises for ``case`` (anything: past the checks under test, a step may
    stumble on the bare case built here), or None."""
    try:
        spec.step(case, actor, base.resolve(YUNNAN, ON), ON, **_sample(spec))
    except Exception as exc:
        return exc
    return None


def _refused_by_state(exc: Exception | None) -> bool:
    return isinstance(exc, InvalidTransition) and (
        "is not possible in state" in exc.message or "does not apply to a" in exc.message
    )


STEPS = [s for s in CASE_ACTIONS if not s.opens]


@pytest.mark.parametrize("spec", STEPS, ids=lambda s: s.name)
def test_the_states_in_the_spec_are_those_the_step_takes(
    spec: ActionSpec, base: PolicyBase
) -> None:
    approver = User(20, "approver", Role.COUNTY_APPROVER, YUNNAN)
    for program in PROGRAMS:
        for state in CaseState:
            allowed = state in spec.states.get(program, ())
            refused = _refused_by_state(_refusal(spec, _case(program, state), approver, base))
            assert refused != allowed, f"{spec.name} on a {program} case {state.value}"


@pytest.mark.parametrize("spec", STEPS, ids=lambda s: s.name)
def test_the_roles_in_the_spec_are_those_the_step_accepts(
    spec: ActionSpec, base: PolicyBase
) -> None:
    program = next(iter(spec.states))
    case = _case(program, spec.states[program][0])
    passed = []
    for role in Role:
        exc = _refusal(spec, case, User(30, role.value, role, YUNNAN), base)
        if role not in STAFF:
            assert isinstance(exc, CaseForbidden), (spec.name, role)
        elif role not in spec.roles:
            assert isinstance(exc, WrongLevel), (spec.name, role)
        elif not isinstance(exc, WrongLevel):
            passed.append(role)
        else:
            assert spec.by_level, f"{spec.name}: {role.value} refused although in the spec"
    # one level or the other, by the policy; every role without a level condition
    assert passed if spec.by_level else passed == list(spec.roles), spec.name


def test_an_input_is_refused_the_same_way_whatever_its_surface() -> None:
    spec = SPECS["record_care_placement"]
    with pytest.raises(InvalidInput, match=r"^mode: one of centralised, dispersed, not 'x'"):
        spec.prepare({"mode": "x"})
    with pytest.raises(InvalidInput, match=r"^mode: record_care_placement needs mode="):
        spec.prepare({"institution": "敬老院"})
    with pytest.raises(InvalidInput, match=r"^passed: record_care_placement takes no such input"):
        spec.prepare({"mode": "dispersed", "passed": True})
    assert spec.prepare({"mode": "dispersed", "institution": None}) == {"mode": "dispersed"}
    opening = SPECS["open"]
    with pytest.raises(InvalidInput, match=r"^amount: only for temporary applications"):
        opening.prepare({"household_id": "3", "program": "dibao", "amount": 5})
    relatives = opening.prepare(
        {
            "household_id": "3",
            "program": "temporary",
            "amount": 120.5,
            "near_relatives": [{"userId": "12", "relation": "parent"}],
        }
    )
    assert relatives == {
        "household_id": 3,
        "program": "temporary",
        "amount": "120.5",
        "near_relatives": [{"userId": 12, "relation": "parent"}],
    }
    with pytest.raises(InvalidInput, match=r"^nearRelatives\[0\]\.userId: not an id"):
        opening.prepare(
            {
                "household_id": 3,
                "program": "dibao",
                "near_relatives": [{"userId": "x", "relation": "p"}],
            }
        )


def test_a_refusal_points_at_the_input_it_is_about() -> None:
    spec = SPECS["start_phase_out"]
    from core.cases import PhaseOutTooLong, VersionConflict

    assert spec.field_of(PhaseOutTooLong("at most 12 months")) == "months"
    assert spec.field_of(VersionConflict("changed")) == "expectedVersion"
    assert spec.field_of(InvalidInput("on: 2999-01-01 is in the future")) == "on"
    assert spec.field_of(InvalidInput("months: a whole number")) == "months"
    assert spec.field_of(InvalidInput("reasons: not an input of this action")) is None
    opening = SPECS["open"]
    assert opening.field_of(InvalidInput("nearRelatives[0].relation: unknown")) == "nearRelatives"
    from core.cases import CaseNotFound

    assert opening.field_of(CaseNotFound("no household 9")) == "householdId"
    # an error class's own field holds where the action has that argument, else the mapping
    from core.cases import ChoiceRequired, MemberNotFound

    assert SPECS["record_death"].field_of(MemberNotFound("not a member")) == "idNumber"
    assert SPECS["record_review"].field_of(MemberNotFound("causeMember: no")) == "causeMember"
    assert SPECS["reduce_for_refused_work"].field_of(MemberNotFound("member: no")) == "member"
    assert SPECS["record_review"].field_of(ChoiceRequired("choose")) == "outcome"
    assert opening.field_of(InvalidInput("atCounty: 530103 is not a county")) == "atCounty"
    # every error mapping points at an argument of the action
    for s in CASE_ACTIONS:
        assert set(s.errors.values()) <= set(s.arguments), s.name
