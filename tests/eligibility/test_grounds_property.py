"""Property: over many generated households, in every province and at many dates, each thing a
decision applies — a deduction, an income left out, a single-person enrolment, a tekun minor
kept on — names the rule (a catalog path or a named document rule) and the condition that
allowed it; and each phase-out and exit a review takes records the rule that allowed it.

EXAMPLE standards (test values, not official figures) from tests.support.standards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

import core.cases as cs
from core.eligibility import evaluate
from core.errors import DoudiError
from core.households.model import parse_household
from core.policy.catalog import CORE_PARAMETERS
from core.policy.service import PolicyBase
from tests.support.cases import approver, officer, to_publicity
from tests.support.standards import with_example_standards

COUNTIES = ("530102", "450326", "522701", "140302", "640121")
CATALOG = {p.path for p in CORE_PARAMETERS}
NAMED_RULES = ("审核确认办法", "民发", "特困人员认定办法", "eligibility")


@pytest.fixture(scope="module")
def sbase(base: PolicyBase) -> PolicyBase:
    return with_example_standards(base)


def _id(birth: dt.date, seq: int) -> str:
    body = f"110101{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@st.composite
def households(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(min_value=1, max_value=4))
    members = []
    for i in range(n):
        birth = draw(st.dates(dt.date(1935, 1, 1), dt.date(2012, 12, 31)))
        m: dict[str, Any] = {"idNumber": _id(birth, i + 1), "name": f"成员{i}",
                             "relation": "head" if i == 0 else "child"}  # fmt: skip
        if draw(st.booleans()):
            m["disability"] = {
                "kind": draw(st.sampled_from(["physical", "intellectual", "mental", "visual"])),
                "grade": draw(st.integers(1, 4)),
            }
        m["seriousIllness"] = draw(st.booleans())
        m["majorIllnessMedicalAid"] = draw(st.booleans())
        m["labourCapacity"] = draw(st.sampled_from(["full", "partial", "none"]))
        m["employed"] = draw(st.booleans())
        m["hasAbleSupporter"] = draw(st.booleans())
        m["schoolLevel"] = draw(
            st.sampled_from(["none", "compulsory", "high_school", "higher_education"])
        )
        dep = draw(st.sampled_from([True, False, None]))
        if dep is not None:
            m["dependsOnFamilySupport"] = dep
        if draw(st.integers(0, 5)) == 0:
            m["tags"] = ["clergy_living_apart"]
            m["livingApartSince"] = draw(
                st.dates(max(birth, dt.date(2010, 1, 1)), dt.date(2023, 1, 1))
            ).isoformat()  # never before the birth date (the model refuses that)
        members.append(m)
    income = [
        {
            "kind": draw(st.sampled_from(["wages", "pension", "business", "transfer"])),
            "monthlyAmount": draw(st.integers(0, 4000)),
            "member": members[draw(st.integers(0, n - 1))]["idNumber"],
            **(
                {
                    "excludedAs": draw(
                        st.sampled_from(
                            ["basic_pension_base", "elderly_allowance", "preferential_pension"]
                        )
                    )
                }
                if draw(st.booleans())
                else {}
            ),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    expenses = [
        {
            "kind": draw(
                st.sampled_from(
                    ["medical", "education", "disability_rehabilitation", "employment_cost"]
                )
            ),
            "monthlyAmount": draw(st.integers(1, 800)),
            "member": members[draw(st.integers(0, n - 1))]["idNumber"],
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {
        "area": draw(st.sampled_from(["urban", "rural"])),
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
        "income": income,
        "expenses": expenses,
        **({"tags": ["relapse_monitoring"]} if draw(st.booleans()) else {}),
    }


def _named(rule: str) -> bool:
    return rule in CATALOG or any(name in rule for name in NAMED_RULES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=households(),
    county=st.sampled_from(COUNTIES),
    program=st.sampled_from(["dibao", "low_income", "tekun"]),
    as_of=st.dates(dt.date(2021, 1, 1), dt.date(2026, 6, 30)),
    continuing=st.booleans(),
)
def test_every_thing_a_decision_applies_names_its_rule_and_condition(
    sbase, data, county, program, as_of, continuing
):
    h = parse_household({**data, "county": county}, sbase.registry, dt.date(2026, 12, 1))
    ids = frozenset(m.id_number for m in h.members) if continuing else frozenset()
    d = evaluate(h, program, sbase.resolve(county, as_of), as_of, continuing=ids)
    for g in d.grounds:
        assert _named(g.rule), g
        assert g.condition.strip() and g.subject
    inc = d.income
    if inc is not None:
        deductions = [g for g in d.grounds if g.applies == "deduction"]
        assert len(deductions) == len(inc.deductions_applied)
        left_out = [x for x in inc.not_counted if x.item.excluded_as]  # type: ignore[union-attr]
        assert len([g for g in d.grounds if g.applies == "income_not_counted"]) >= len(left_out)
    if d.mode == "single_person" and d.eligible:
        alone = {g.subject for g in d.grounds if g.applies == "single_person"}
        assert alone == set(d.members_covered)
        for g in d.grounds:
            if g.applies == "single_person":
                assert g.layer and g.source is not None and g.source.quote
    if program == "tekun" and d.eligible:
        kept = {g.subject for g in d.grounds if g.applies == "minor_continuation"}
        for f in d.members:
            if f.qualifies and any(c.startswith(("minor_", "in_school_")) for c in f.conditions):
                assert f.id_number in kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    wages=st.integers(0, 6000),
    county=st.sampled_from(("530102", "522701", "640121")),
    outcome=st.sampled_from([None, "phase_out", "exit"]),
    months=st.integers(1, 20),
    self_reported=st.booleans(),
)
def test_every_phase_out_and_exit_of_a_review_records_its_rule(
    sbase, wages, county, outcome, months, self_reported
):
    r = to_publicity(sbase, county)
    confirmer = officer(county) if county == "530102" else approver(county)
    r(cs.confirm_case, confirmer, dt.date(2023, 9, 24))
    h = r.household
    assert h is not None
    data = {
        "county": county, "area": "urban", "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": [{"idNumber": m.id_number, "name": m.name, "relation": m.relation.value}
                    for m in h.members],
        "income": [{"kind": "wages", "monthlyAmount": wages, "member": h.members[0].id_number}],
    }  # fmt: skip
    later = parse_household(data, sbase.registry, dt.date(2026, 12, 1))
    kw: dict[str, Any] = {"household": later, "outcome": outcome}
    if outcome == "phase_out":
        kw.update(phase_out_months=months, cause="employment",
                  cause_member=later.members[0].id_number, self_reported=self_reported)  # fmt: skip
    if outcome == "exit":
        kw["reasons"] = ["官员说明的理由"]
    try:
        case = r(cs.record_review, confirmer, dt.date(2024, 3, 5), **kw)
    except DoudiError:
        return  # refused: nothing applied, nothing to name
    event = r.events[-1]
    if case.state.value in ("phasing_out", "exited"):
        rule = event.inputs["rule"]
        assert rule["rule"] and rule["condition"]
        assert _named(rule["rule"]), rule
        if case.state.value == "phasing_out":
            assert case.data["phaseOut"]["rule"] == rule
        else:
            assert case.data["exit"]["rule"] == rule
