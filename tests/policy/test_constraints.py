"""Floor/ceiling rules from plugins, and conflicts across layers in time."""

from __future__ import annotations

import datetime as dt

from core.policy.constraints import CheckStatus, ViolationKind
from core.policy.service import build_policy_base
from tests.support.layers import doc, entry

D = dt.date
RULE = "yunnan.tekun_basic_standard_floor"


def kunming(make_layer, urban: float, tekun: float, start: str = "2023-01-01"):
    data = doc(
        "530100",
        {
            "dibao.standard.urban": [entry(urban, start)],
            "tekun.standard.basic": [entry(tekun, start)],
        },
    )
    return build_policy_base(extra_layers=[make_layer(data, covers=["530100"])])


def test_yunnan_tekun_floor_is_violated_with_rule_and_both_sources(make_layer):
    b = kunming(make_layer, urban=800, tekun=1000)  # 1000 < 1.3 × 800 = 1040
    (check,) = [c for c in b.checks("530102", D(2023, 6, 1)) if c.rule.rule.id == RULE]
    assert check.status is CheckStatus.VIOLATED
    assert check.bound == 1040
    (v,) = [v for v in b.violations("530102", D(2023, 6, 1)) if v.kind is ViolationKind.CONSTRAINT]
    assert v.path == "tekun.standard.basic"
    assert v.value.value == 1000 and v.value.layer.jurisdiction.code == "530100"
    assert v.other is not None and v.other.path == "dibao.standard.urban"
    assert v.rule is not None and v.rule.plugin == "yunnan"
    assert "1.3倍" in v.rule.rule.source.quote
    assert "1040" in v.message


def test_yunnan_tekun_floor_passes_and_is_unchecked_when_values_missing(base, make_layer):
    ok = kunming(make_layer, urban=800, tekun=1040)
    (check,) = [c for c in ok.checks("530102", D(2023, 6, 1)) if c.rule.rule.id == RULE]
    assert check.status is CheckStatus.OK
    (check,) = [c for c in base.checks("530102", D(2023, 6, 1)) if c.rule.rule.id == RULE]
    assert check.status is CheckStatus.NOT_CHECKED and "not set" in check.message


def test_rule_applies_only_in_scope_and_from_its_date(make_layer):
    b = kunming(make_layer, urban=800, tekun=1000, start="2022-01-01")
    assert not [c for c in b.checks("530102", D(2022, 6, 30)) if c.rule.rule.id == RULE]
    assert [c for c in b.checks("530102", D(2022, 7, 1)) if c.rule.rule.id == RULE]
    assert not [c for c in b.checks("640121", D(2023, 1, 1)) if c.rule.rule.id == RULE]


def test_core_consistency_rule(make_layer):
    data = doc("530100", {"dibao.phase_out.min_months": [entry(13, "2023-01-01")]})
    b = build_policy_base(extra_layers=[make_layer(data, covers=["530100"])])
    found = [v for v in b.violations("530100", D(2023, 6, 1)) if v.rule is not None]
    assert [v.rule.rule.id for v in found] == ["core.phase_out_min_not_above_max"]


def test_ningxia_phase_out_conflicts_with_the_later_national_rule(base):
    assert not base.violations("640121", D(2021, 6, 1))
    (v,) = [
        v
        for v in base.violations("640121", D(2023, 6, 1))
        if v.path == "dibao.phase_out.max_months"
    ]
    assert v.kind is ViolationKind.LATER_GENERAL_RULE
    assert v.value.value == 18 and v.value.source.document.number == "永民发〔2020〕138号"
    assert v.other.value == 6 and v.other.layer.jurisdiction.code == "000000"
    assert "民发〔2022〕83号" in v.message and "永民发〔2020〕138号" in v.message
    # The local value is kept.
    assert base.parameter("640121", "dibao.phase_out.max_months", D(2023, 6, 1)).value == 18


def test_all_violations_reports_each_layer_once(base):
    found = base.all_violations(D(2023, 6, 1))
    where = {(j.code, v.path) for j, v in found}
    assert ("640121", "dibao.phase_out.max_months") in where
    assert ("530000", "dibao.phase_out.max_months") in where
    assert len(found) == len(where)


def test_a_restated_unchanged_national_value_is_not_a_later_rule(base):
    # National 16 has stood since 2014 (restated in 2021); Yongning's 18 of 2020 overrides it
    # without conflict.
    found = [
        v for v in base.violations("640121", D(2024, 1, 1)) if v.path == "tekun.minor_age_limit"
    ]
    assert found == []
    p = base.parameter("640121", "tekun.minor_age_limit", D(2024, 1, 1))
    assert p.value == 18 and p.overrides[0].in_force_since == D(2014, 5, 1)
