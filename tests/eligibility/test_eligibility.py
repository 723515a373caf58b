"""The eligibility engine: each program's rules per province, traced to layer and source.

No source document sets a dibao or tekun standard in yuan, so the module adds EXAMPLE standards
with a test layer (urban 800, rural 600, tekun basic 1,040 yuan/month in the five provinces and
Beijing); the not-set path runs against the installed policy alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from stdnum.cn import ric

from core.eligibility import (
    Decision,
    TemporaryRequest,
    add_months,
    decision_to_json,
    evaluate,
    not_set_message,
)
from core.errors import InvalidInput, PluginLoadError, PolicyDataError
from core.households.model import Household, parse_household
from core.plugin.hookspecs import Program, hookimpl
from core.plugin.manager import build_plugin_manager
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.loader import PolicyLoader
from core.policy.model import Layer
from core.policy.service import PolicyBase, build_policy_base
from tests.support.layers import doc, entry

D = dt.date
AS_OF = D(2023, 9, 1)  # after Yongfu's plan (2023-07-04) and the 2022 national notice

YUNNAN, GUANGXI, GUIZHOU, SHANXI, NINGXIA = "530102", "450326", "522701", "140302", "640121"
BEIJING = "110101"  # no province plugin: the national layer alone
NINGXIA_OTHER = "640104"  # 兴庆区, Yinchuan: Ningxia, but not Yongning

EXAMPLE_CODES = ("530000", "450000", "520000", "140000", "640000", "110000")


def _layer(base: PolicyBase, data: dict[str, Any], covers: list[str]) -> Layer:
    loader = PolicyLoader(base.registry, base.catalog, {"fixture": covers})
    layer, issues = loader.validate("fixture", "inline.yaml", data)
    if issues:
        raise PolicyDataError(issues)
    assert layer is not None
    return layer


@pytest.fixture(scope="module")
def sbase(base: PolicyBase) -> PolicyBase:
    """The installed policy plus example standards (from 2020) in the five provinces and Beijing."""
    layers = [
        _layer(
            base,
            doc(
                code,
                {
                    "dibao.standard.urban": [entry(800, "2020-01-01")],
                    "dibao.standard.rural": [entry(600, "2020-01-01")],
                    "tekun.standard.basic": [entry(1040, "2020-01-01")],
                },
            ),
            [code],
        )
        for code in EXAMPLE_CODES
    ]
    return build_policy_base(extra_layers=layers)


_seq = iter(range(1, 10**6))


def pid(birth: str) -> str:
    """A valid ID number for someone born on ``birth`` (YYYYMMDD); stdnum computes the check
    digit from a placeholder one."""
    p = f"110101{birth}{next(_seq) % 1000:03d}"
    return p + ric.calc_check_digit(p + "0")


def person(birth: str = "19800101", relation: str = "spouse", **extra: Any) -> dict[str, Any]:
    return {"idNumber": pid(birth), "name": f"成员{birth}", "relation": relation, **extra}


def household(
    registry: JurisdictionRegistry,
    county: str,
    members: list[dict[str, Any]],
    income: list[tuple[float, int | None]] = (),  # type: ignore[assignment]
    expenses: list[tuple[str, float, int | None]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> Household:
    """Household JSON through the real parser; ``income`` as (amount, member index or None)."""
    members[0]["relation"] = "head"
    data = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
        "income": [
            {
                "kind": "wages",
                "monthlyAmount": a,
                "member": None if i is None else members[i]["idNumber"],
            }
            for a, i in income
        ],
        "expenses": [
            {"kind": k, "monthlyAmount": a, "member": None if i is None else members[i]["idNumber"]}
            for k, a, i in expenses
        ],
        **extra,
    }
    return parse_household(data, registry, AS_OF)


def run(
    base: PolicyBase, h: Household, program: str = "dibao", as_of: dt.date = AS_OF, **kw: Any
) -> Decision:
    return evaluate(
        h, program, base.resolve(h.county, as_of), as_of, plugin_programs=base.plugin_programs, **kw
    )


def three(registry: JurisdictionRegistry, county: str, total: float, **kw: Any) -> Household:
    """Three adults, ``total`` yuan of wages a month earned by the head."""
    return household(registry, county, [person(), person(), person("19750505")], [(total, 0)], **kw)


def traced(d: Decision, path: str) -> Any:
    return next(t for t in d.trace if t.path == path)


# -- dibao: whole household ------------------------------------------------------------------------


def test_whole_household_gap_amount_review_approval_and_trace(sbase, registry):
    h = three(registry, YUNNAN, 1500)
    d = run(sbase, h)
    assert (d.status, d.eligible, d.mode) == ("eligible", True, "whole_household")
    assert d.members_covered == tuple(m.id_number for m in h.members)
    assert d.per_capita_income == Decimal("500.00")
    assert (d.standard, d.standard_path) == (Decimal("800.00"), "dibao.standard.urban")
    assert d.monthly_amount == Decimal("900.00")  # (800 − 500) × 3
    assert d.approval_level == "township"  # Yunnan delegates confirmation
    assert d.next_review == D(2024, 9, 1)  # stable income: yearly (national)
    assert d.income is not None and d.income.living_members == 3
    assert any("gap method" in r and "900.00" in r for r in d.reasons)
    # every parameter used is traced with its layer and source
    std = traced(d, "dibao.standard.urban")
    assert (std.value, std.is_set, std.jurisdiction_code, std.origin) == (
        800,
        True,
        "530000",
        "fixture",
    )
    assert std.effective_from == D(2020, 1, 1) and std.source.quote == "测试"
    level = traced(d, "dibao.approval.confirming_level")
    assert (level.jurisdiction_code, level.jurisdiction_level, level.origin) == (
        "530000",
        "province",
        "yunnan",
    )
    assert level.source.document.title and level.source.section and level.source.quote
    review = traced(d, "dibao.review.interval_months.stable_income")
    assert (review.value, review.jurisdiction_code, review.origin) == (12, "000000", "national")
    assert review.source.document.number  # 民发〔2021〕57号
    paths = [t.path for t in d.trace]
    assert "dibao.income.deductions" in paths and "dibao.benefit.method" in paths
    assert len(paths) == len(set(paths))


def test_rural_standard_by_area(sbase, registry):
    d = run(sbase, three(registry, YUNNAN, 2100, area="rural"))  # 700 ≥ rural 600
    assert d.standard_path == "dibao.standard.rural" and d.standard == Decimal("600.00")
    assert d.status == "ineligible"


def test_deductions_applied_where_the_province_allows_them_for_every_household(sbase, registry):
    # Yunnan 002 二(一): 「在核算困难群众家庭收入财产时,落实好因病、因残、因学和就业成本等刚性支出
    # 扣减政策」 — every household. 2,700 over 3 = 900 ≥ 800; after 400 medical + 200 education + 60
    # employment cost it is 680 < 800.
    h = three(
        registry,
        YUNNAN,
        2700,
        expenses=[("medical", 400, 1), ("education", 200, None), ("employment_cost", 60, 0)],
    )
    d = run(sbase, h)
    inc = d.income
    assert {e.kind.value for e in inc.deductions_applied} == {
        "medical",
        "education",
        "employment_cost",
    }
    assert inc.deductions_not_applied == ()
    assert inc.total_income == Decimal("2700.00")
    assert d.status == "eligible" and d.mode == "whole_household"
    assert d.per_capita_income == (Decimal(2700) - inc.total_deductions) / 3
    assert traced(d, "dibao.income.deductions").origin == "yunnan"
    # each deduction names the rule and the layer that allowed it
    by_kind = {g.subject.split(" ")[0]: g for g in d.grounds if g.applies == "deduction"}
    assert set(by_kind) == {"medical", "education", "employment_cost"}
    assert by_kind["medical"].layer == "530000" and by_kind["medical"].rule == (
        "dibao.income.deductions"
    )
    # the employment cost is the national definition of wages (审核确认办法 art. 13(一)), which
    # Yunnan lists too: credited to the national rule
    assert by_kind["employment_cost"].layer == "000000"
    assert "扣除必要的就业成本" in by_kind["employment_cost"].source.quote


@pytest.mark.parametrize("county", [GUIZHOU, SHANXI, NINGXIA, BEIJING])
def test_only_the_national_employment_cost_where_no_document_allows_more(sbase, registry, county):
    # 审核确认办法 art. 13(一): 「工资性收入指就业人员通过各种途径得到的全部劳动报酬和各种福利并扣除
    # 必要的就业成本」: wages are counted net of the employment cost everywhere; other rigid
    # spending only where a local document allows it.
    h = three(
        registry,
        county,
        2700,
        expenses=[("medical", 400, 1), ("education", 200, None), ("employment_cost", 30, 0)],
    )
    d = run(sbase, h)
    inc = d.income
    assert [e.kind.value for e in inc.deductions_applied] == ["employment_cost"]
    assert inc.total_deductions == Decimal("30.00")
    assert len(inc.deductions_not_applied) == 2
    for x in inc.deductions_not_applied:
        assert "`dibao.income.deductions` here allows only employment_cost" in x.why
    assert d.per_capita_income == Decimal("890.00")
    assert d.status == "ineligible"
    assert traced(d, "dibao.income.deductions").jurisdiction_code == "000000"


def test_guangxi_deductions_only_from_the_plan_date(sbase, registry):
    ill = person(seriousIllness=True)
    h = household(registry, GUANGXI, [person(), ill, person()], [(2700, 0)],
                  expenses=[("medical", 400, 1)])  # fmt: skip
    assert run(sbase, h, as_of=D(2023, 7, 3)).income.deductions_applied == ()
    assert len(run(sbase, h, as_of=D(2023, 7, 4)).income.deductions_applied) == 1


def test_property_not_assessed_cannot_decide_and_excess_property_refused(sbase, registry):
    d = run(sbase, three(registry, YUNNAN, 900, propertyWithinLocalRules=None))
    assert (d.status, d.eligible) == ("cannot_decide", None)
    assert "property not yet assessed" in d.reasons[0]
    d = run(sbase, three(registry, YUNNAN, 900, propertyWithinLocalRules=False))
    assert (d.status, d.eligible) == ("ineligible", False)
    assert "exceeds the local rules" in d.reasons[0]


def test_dead_members_their_income_and_spending_do_not_count(sbase, registry):
    dead = person("19400101", dateOfDeath="2023-05-01")
    h = household(
        registry,
        YUNNAN,
        [person(), person("19820202"), dead],
        income=[(1000, 0), (900, 2)],
        expenses=[("medical", 300, 2)],
    )
    d = run(sbase, h)
    inc = d.income
    assert inc.living_members == 2
    assert inc.total_income == Decimal("1000.00")
    assert [x.item.monthly_amount for x in inc.not_counted] == [Decimal("900.00")]
    assert "died on 2023-05-01" in inc.not_counted[0].why
    assert "died on 2023-05-01" in inc.deductions_not_applied[0].why
    assert d.per_capita_income == Decimal("500.00")
    assert d.monthly_amount == Decimal("600.00")  # (800 − 500) × 2
    assert dead["idNumber"] not in d.members_covered
    # the same household before the death: three members, the pension counts
    before = run(sbase, h, as_of=D(2023, 4, 1))
    assert before.income.living_members == 3 and before.income.total_income == Decimal("1900.00")


# -- dibao: single person --------------------------------------------------------------------------


def test_yunnan_single_person_severe_disability_in_marginal_household(sbase, registry):
    disabled = person(
        "19700101", disability={"kind": "physical", "grade": 1}, labourCapacity="none"
    )
    h = household(registry, YUNNAN, [person(), person("19820202"), disabled], [(3000, 0), (50, 2)])
    d = run(sbase, h)  # per-capita 1,016.67: above 800, below 1.5 × 800 = 1,200
    assert (d.status, d.mode) == ("eligible", "single_person")
    assert d.members_covered == (disabled["idNumber"],)
    assert d.monthly_amount == Decimal("750.00")  # 800 − own income 50
    (finding,) = d.members
    # a jobless adult too (民发〔2022〕83号 一(一)): both conditions are met
    assert finding.conditions == ("severe_disability", "jobless_adult_severe_disability")
    assert finding.own_income == Decimal("50.00")
    assert any("marginal household" in r for r in d.reasons)
    (ground,) = d.grounds
    assert (ground.applies, ground.subject) == ("single_person", disabled["idNumber"])
    assert ground.rule == "dibao.single_person.conditions"
    assert "marginal household" in ground.condition
    paths = {t.path for t in d.trace}
    assert {
        "dibao.single_person.enabled",
        "dibao.single_person.conditions",
        "low_income.marginal_multiple",
    } <= paths
    assert traced(d, "dibao.single_person.conditions").origin == "yunnan"


def test_single_person_needs_a_marginal_household(sbase, registry):
    # employed: not a jobless adult, whom 民发〔2022〕83号 一(一) admits whatever the income
    disabled = person("19700101", disability={"kind": "physical", "grade": 1}, employed=True)
    h = household(registry, YUNNAN, [person(), person(), disabled], [(3900, 0)])  # 1,300 ≥ 1,200
    d = run(sbase, h)
    assert d.status == "ineligible"
    assert d.members[0].qualifies is False
    assert any("not a marginal household" in r for r in d.reasons)


def test_national_groups_are_a_floor_under_a_provincial_list(sbase, registry):
    # 审核确认办法 art. 8(一): 「最低生活保障边缘家庭中持有中华人民共和国残疾人证的一级、二级重度残
    # 疾人和三级智力残疾人、三级精神残疾人」 may apply alone. Yunnan's list (002 二(一): 「重度残疾
    # 人、重病患者,经本人申请,参照“单人户”纳入低保」) names its own groups; it does not withdraw the
    # national one, so grade-3 intellectual disability qualifies in Yunnan as in Beijing.
    member = person("19900101", disability={"kind": "intellectual", "grade": 3})
    for county in (YUNNAN, BEIJING):
        h = household(
            registry,
            county,
            [person(), person(), member | {"idNumber": pid("19900101")}],
            [(3000, 0)],
        )
        d = run(sbase, h)
        assert (d.status, d.mode) == ("eligible", "single_person"), county
        (ground,) = d.grounds
        assert ground.layer == "000000" and ground.source.document.number in (
            "民发〔2021〕57号",
            "民发〔2022〕83号",  # which restates the 2021 groups and adds one
        )
        assert "grade-3 intellectual or mental disability" in ground.condition


def test_ningxia_single_person_needs_lost_labour_capacity_and_family_support(sbase, registry):
    # Yongning 004 二(一)1: 「对生活困难,完全或部分丧失劳动能力,靠家庭供养的重度残疾人和罹患重特大
    # 疾病获得医保部门的重特大疾病医疗救助的人员,经本人申请,…按照“单人户”纳入低保」. Before the
    # national 审核确认办法 (2021-07-01) Yongning's own rule is the only one: both groups must have
    # lost all or part of their labour capacity AND depend on family support; no marginal household
    # is named.
    before = D(2021, 3, 1)

    def patient(**extra: Any) -> dict[str, Any]:
        return person("19650101", seriousIllness=True, majorIllnessMedicalAid=True, **extra)

    def decide(member: dict[str, Any], as_of: dt.date = before) -> Decision:
        h = household(registry, NINGXIA, [person(), person(), member], [(3000, 0)])
        return run(sbase, h, as_of=as_of)

    ok = decide(patient(labourCapacity="partial", dependsOnFamilySupport=True))
    assert (ok.status, ok.mode) == ("eligible", "single_person")
    (ground,) = ok.grounds
    assert ground.layer == "640121"
    assert ground.rule == "dibao.single_person.additional_requirements"
    assert "lost all or part of their labour capacity: met" in ground.condition
    assert "depends on family support: met" in ground.condition
    assert "靠家庭供养" in ground.source.quote

    full = decide(patient(labourCapacity="full", dependsOnFamilySupport=True))
    assert full.status == "ineligible"
    alone = decide(patient(labourCapacity="none", dependsOnFamilySupport=False))
    assert alone.status == "ineligible"
    unknown = decide(patient(labourCapacity="none"))
    assert unknown.status == "cannot_decide"
    assert "dependsOnFamilySupport not recorded" in unknown.reasons[0]
    # no major-illness medical aid: not Yongning's group
    no_aid = person(
        "19650101", seriousIllness=True, labourCapacity="none", dependsOnFamilySupport=True
    )
    assert decide(no_aid).status == "ineligible"
    # From 2021-07-01 the national groups apply in Yongning too, without those requirements
    # (art. 8(二): 最低生活保障边缘家庭中患有当地有关部门认定的重特大疾病的人员).
    later = decide(patient(labourCapacity="full"), as_of=AS_OF)
    assert later.status == "eligible" and later.grounds[0].layer == "000000"


def test_national_2022_jobless_adult_with_severe_disability(sbase, registry):
    # Per-capita 2,000: far from marginal. From 2022-10-20 a jobless severely disabled adult may
    # still be enrolled alone (民发〔2022〕83号 一(一)); before, or when employed, not.
    def make(employed: bool) -> Household:
        adult = person("19900101", disability={"kind": "visual", "grade": 2}, employed=employed)
        return household(registry, BEIJING, [person(), person(), adult], [(6000, 0)])

    d = run(sbase, make(False))
    assert (d.status, d.mode, d.monthly_amount) == ("eligible", "single_person", Decimal("800.00"))
    assert "jobless_adult_severe_disability" in d.members[0].conditions
    conditions = traced(d, "dibao.single_person.conditions")
    assert conditions.effective_from == D(2022, 10, 20) and conditions.origin == "national"
    assert run(sbase, make(False), as_of=D(2022, 9, 1)).status == "ineligible"
    assert run(sbase, make(True)).status == "ineligible"
    # Yunnan's list does not name the group, but it is a national entitlement that a provincial
    # list does not withdraw (the national groups are a floor): eligible there too, on the
    # national rule.
    yn = run(
        sbase,
        household(
            registry,
            YUNNAN,
            [person(), person(), person("19900101", disability={"kind": "visual", "grade": 2})],
            [(6000, 0)],
        ),
    )
    assert (yn.status, yn.mode) == ("eligible", "single_person")
    assert yn.grounds[0].layer == "000000" and "民发〔2022〕83号 一(一)" in yn.grounds[0].condition


def test_no_qualifying_member_says_which_conditions_apply(sbase, registry):
    d = run(sbase, three(registry, NINGXIA, 3000))
    assert d.status == "ineligible"
    assert any(
        "severe_disability, serious_illness_with_major_illness_medical_aid" in r for r in d.reasons
    )


# -- not set ---------------------------------------------------------------------------------------


def test_cannot_decide_when_the_standard_is_not_set(base, registry):
    h = three(registry, YUNNAN, 900)
    as_of = D(2023, 6, 1)
    d = evaluate(h, "dibao", base.resolve(YUNNAN, as_of), as_of)
    assert (d.status, d.eligible, d.monthly_amount) == ("cannot_decide", None, None)
    assert (
        d.reasons[0] == "cannot decide: `dibao.standard.urban` is not set for 530102 on 2023-06-01"
    )
    assert d.missing == ("dibao.standard.urban",)
    assert d.per_capita_income == Decimal("300.00")  # still shown
    entry_ = traced(d, "dibao.standard.urban")
    assert (entry_.is_set, entry_.value, entry_.source) == (False, None, None)
    for program in ("low_income", "tekun"):
        other = evaluate(h, program, base.resolve(YUNNAN, as_of), as_of)
        assert other.status != "eligible"
    assert (
        not_set_message("x.y", "530102", as_of)
        == "cannot decide: `x.y` is not set for 530102 on 2023-06-01"
    )


def test_review_interval_not_set_gives_no_date_but_decides(sbase, registry):
    d = run(
        sbase, three(registry, BEIJING, 900), as_of=D(2020, 6, 1)
    )  # national rules from 2020-08-25
    assert d.status == "eligible" and d.next_review is None
    assert "dibao.review.interval_months.stable_income" in d.missing


# -- next review -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("county", "income_class", "months"),
    [
        (SHANXI, "irregular_with_labour", 3),  # Yangquan: quarterly
        (SHANXI, "slow_change", 6),
        (SHANXI, "stable", 12),
        (BEIJING, "irregular_with_labour", 6),  # national: every six months
        (BEIJING, "slow_change", 12),
    ],
)
def test_next_review_from_the_province_interval(sbase, registry, county, income_class, months):
    d = run(sbase, three(registry, county, 900, incomeClass=income_class))
    assert d.status == "eligible"
    assert d.next_review == add_months(AS_OF, months)
    path = {"stable": "stable_income"}.get(income_class, income_class)
    assert d.review_path == f"dibao.review.interval_months.{path}"
    assert traced(d, d.review_path).value == months


def test_add_months_keeps_to_the_month():
    assert add_months(D(2023, 11, 30), 3) == D(2024, 2, 29)
    assert add_months(D(2023, 8, 31), 1) == D(2023, 9, 30)
    assert add_months(D(2023, 9, 1), 12) == D(2024, 9, 1)


# -- low income ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("county", "total", "status", "category"),
    [
        (GUIZHOU, 1500, "eligible", "dibao_household"),  # 500: dibao counts as low income
        (GUIZHOU, 3000, "eligible", "marginal"),  # 1,000 < 1.5 × 800
        (GUIZHOU, 4200, "eligible", "low_income_band"),  # 1,400: within 1–2 × 800
        (GUIZHOU, 4800, "eligible", "low_income_band"),  # 1,600 = 2 × 800: the band includes it
        (GUIZHOU, 5100, "ineligible", None),  # 1,700 > 2 × 800
        (BEIJING, 1500, "ineligible", None),  # qualifies for dibao itself
        (BEIJING, 3000, "eligible", "marginal"),
        (BEIJING, 4200, "ineligible", None),  # 1,400 ≥ 1.5 × 800, no wider band
    ],
)
def test_low_income_guizhou_band_and_national_marginal(
    sbase, registry, county, total, status, category
):
    d = run(sbase, three(registry, county, total), "low_income")
    assert (d.status, d.category) == (status, category)
    if status == "eligible":
        assert d.mode == "whole_household" and len(d.members_covered) == 3
    paths = {t.path for t in d.trace}
    assert {
        "low_income.marginal_multiple",
        "low_income.income_multiple_max",
        "low_income.dibao_counts_as_low_income",
    } <= paths
    if county == GUIZHOU:
        assert traced(d, "low_income.income_multiple_max").jurisdiction_code == "522700"


def test_low_income_property_rules(sbase, registry):
    d = run(sbase, three(registry, BEIJING, 3000, propertyWithinLocalRules=None), "low_income")
    assert d.status == "cannot_decide"
    d = run(sbase, three(registry, BEIJING, 3000, propertyWithinLocalRules=False), "low_income")
    assert d.status == "ineligible"


# -- tekun -----------------------------------------------------------------------------------------


def orphan(registry: JurisdictionRegistry, county: str, age: int) -> Household:
    birth = f"{AS_OF.year - age - 1}1001"  # turned ``age`` last October
    return household(registry, county, [person(birth, hasAbleSupporter=False)])


@pytest.mark.parametrize(
    ("county", "age", "status"),
    [
        (NINGXIA, 17, "eligible"),  # Yongning: minors up to 18
        (NINGXIA_OTHER, 17, "ineligible"),  # elsewhere in Ningxia: the national 16
        (BEIJING, 17, "ineligible"),
        (YUNNAN, 17, "ineligible"),
        (BEIJING, 15, "eligible"),
        (NINGXIA, 18, "ineligible"),
    ],
)
def test_tekun_minors(sbase, registry, county, age, status):
    d = run(sbase, orphan(registry, county, age), "tekun")
    assert d.status == status
    limit = traced(d, "tekun.minor_age_limit")
    assert limit.value == (18 if county == NINGXIA else 16)
    if status == "eligible":
        assert d.monthly_amount == Decimal("1040.00") and d.standard_path == "tekun.standard.basic"
        assert d.next_review == D(2024, 9, 1)  # yearly
        assert d.members[0].conditions == (f"under_{limit.value}",)


def test_tekun_needs_inability_to_work_no_supporter_and_low_income(sbase, registry):
    old = person("19500101", hasAbleSupporter=False)
    assert run(sbase, household(registry, BEIJING, [old]), "tekun").status == "eligible"
    supported = person("19500101")  # has an able supporter (the default)
    assert run(sbase, household(registry, BEIJING, [supported]), "tekun").status == "ineligible"
    worker = person("19800101", hasAbleSupporter=False)
    assert run(sbase, household(registry, BEIJING, [worker]), "tekun").status == "ineligible"
    rich = person("19500101", hasAbleSupporter=False)
    d = run(sbase, household(registry, BEIJING, [rich], [(900, 0)]), "tekun")  # ≥ dibao 800
    assert d.status == "ineligible" and "not below" in " ".join(d.members[0].reasons)
    for kind, grade, ok in (
        ("mental", 3, True),
        ("physical", 2, True),
        ("physical", 3, False),
        ("visual", 1, True),
        ("visual", 2, False),
    ):
        m = person("19800101", hasAbleSupporter=False, disability={"kind": kind, "grade": grade})
        assert run(sbase, household(registry, BEIJING, [m]), "tekun").eligible is ok, (kind, grade)


@pytest.mark.parametrize(
    ("failed", "level"),
    [
        ([], "self_care"),
        (["eating"], "partial_loss"),
        (["eating", "dressing", "bathing"], "partial_loss"),
        (["eating", "dressing", "bathing", "toileting"], "full_loss"),
        (
            ["eating", "dressing", "bed_transfer", "toileting", "indoor_walking", "bathing"],
            "full_loss",
        ),
    ],
)
def test_tekun_self_care_levels(sbase, registry, failed, level):
    m = person("19400101", hasAbleSupporter=False, selfCareFailed=failed)
    d = run(sbase, household(registry, BEIJING, [m]), "tekun")
    assert d.members[0].self_care == level
    assert {"tekun.self_care.partial_loss_min_failed", "tekun.self_care.full_loss_min_failed"} <= {
        t.path for t in d.trace
    }


def test_tekun_cannot_decide_without_the_basic_standard(base, registry):
    layer = _layer(
        base, doc("110000", {"dibao.standard.urban": [entry(800, "2020-01-01")]}), ["110000"]
    )
    b = build_policy_base(extra_layers=[layer])
    d = run(b, household(registry, BEIJING, [person("19500101", hasAbleSupporter=False)]), "tekun")
    assert d.status == "cannot_decide"
    assert (
        d.reasons[0] == "cannot decide: `tekun.standard.basic` is not set for 110101 on 2023-09-01"
    )
    assert d.missing == ("tekun.standard.basic",)
    # nobody who could qualify: no need for the standard
    d = run(b, household(registry, BEIJING, [person("19800101")]), "tekun")
    assert d.status == "ineligible"


# -- temporary assistance --------------------------------------------------------------------------


def test_temporary_graded_without_township_limit_goes_to_the_county(sbase, registry):
    h = three(registry, YUNNAN, 3000)
    d = run(sbase, h, "temporary", request=TemporaryRequest("emergency", Decimal(500), "fire"))
    assert (d.status, d.approval_level, d.one_off_amount) == (
        "eligible",
        "county",
        Decimal("500.00"),
    )
    assert "temporary.approval.township_limit" in d.missing
    assert any(
        "is not set for 530102 on 2023-09-01" in r and "county approves" in r for r in d.reasons
    )
    assert any("先行救助" in r for r in d.reasons)
    assert traced(d, "temporary.approval.graded").origin == "yunnan"


def test_temporary_township_limit_splits_approval(base, registry):
    layer = _layer(
        base,
        doc("530000", {"temporary.approval.township_limit": [entry(1000, "2022-07-01")]}),
        ["530000"],
    )
    b = build_policy_base(extra_layers=[layer])
    h = three(registry, YUNNAN, 3000)
    small = run(b, h, "temporary", request=TemporaryRequest("expenditure", Decimal(1000)))
    assert small.approval_level == "township"
    # the income test of 民发〔2018〕23号 二(一) cannot be applied without the local figure: said
    assert small.missing == ("temporary.expenditure.disposable_income_limit",)
    assert not any("先行救助" in r for r in small.reasons)  # assist-first is for emergencies
    large = run(b, h, "temporary", request=TemporaryRequest("expenditure", Decimal("1000.01")))
    assert large.approval_level == "county"
    major = run(
        b, h, "temporary", request=TemporaryRequest("emergency", Decimal(500), major_hardship=True)
    )
    assert major.approval_level == "county" and any("一事一议" in r for r in major.reasons)


def test_temporary_request_is_required_and_checked(sbase, registry):
    h = three(registry, YUNNAN, 3000)
    with pytest.raises(InvalidInput, match="needs a request"):
        run(sbase, h, "temporary")
    with pytest.raises(InvalidInput):
        TemporaryRequest("emergency", Decimal(0))
    with pytest.raises(InvalidInput):
        TemporaryRequest("flood", Decimal(10))  # type: ignore[arg-type]


# -- plugin programs -------------------------------------------------------------------------------


def test_guizhou_1960s_workers_through_the_hook(sbase, registry):
    worker = person("19400101", tags=["retrenched_1960s_worker"])
    h = household(registry, GUIZHOU, [person(), worker])
    d = run(sbase, h, "retrenched_1960s_workers")
    assert (d.status, d.plugin, d.monthly_amount) == ("eligible", "guizhou", Decimal(400))
    assert d.members_covered == (worker["idNumber"],)
    (amount,) = d.trace
    assert (amount.path, amount.value, amount.jurisdiction_code, amount.origin) == (
        "programs.retrenched_1960s_workers.monthly_amount",
        400,
        "522700",
        "guizhou",
    )
    assert amount.effective_from == D(2021, 1, 1) and "400" in amount.source.quote
    assert decision_to_json(d)["plugin"] == "guizhou"
    # nobody tagged; and outside Qiannan the program does not exist
    assert (
        run(sbase, household(registry, GUIZHOU, [person()]), "retrenched_1960s_workers").status
        == "ineligible"
    )
    outside = run(
        sbase,
        household(registry, YUNNAN, [worker | {"idNumber": pid("19400101")}]),
        "retrenched_1960s_workers",
    )
    assert outside.status == "ineligible" and "exists only in 522700" in outside.reasons[0]
    # before 2021 the amount is not set
    early = run(sbase, h, "retrenched_1960s_workers", as_of=D(2020, 6, 1))
    assert early.reasons == (
        "cannot decide: `programs.retrenched_1960s_workers.monthly_amount` is not set for 522701 "
        "on 2020-06-01",
    )


def test_unknown_program_is_a_clear_error(sbase, registry):
    with pytest.raises(
        InvalidInput,
        match=r"unknown program 'pension'; known programs: dibao, low_income, tekun, temporary, "
        r"retrenched_1960s_workers",
    ):
        run(sbase, three(registry, YUNNAN, 900), "pension")


class _Broken:
    @hookimpl
    def doudi_programs(self):
        return [Program(id="broken", name="Broken", name_zh="坏", scope="000000")]

    @hookimpl
    def doudi_evaluate_program(self, program_id):
        return {"eligible": True} if program_id == "broken" else None


class _Silent:
    @hookimpl
    def doudi_programs(self):
        return [Program(id="silent", name="Silent", name_zh="无", scope="000000")]


def test_a_plugin_returning_a_wrong_type_is_named(sbase, registry):
    pm = build_plugin_manager(extra={"broken": _Broken(), "silent": _Silent()})
    programs = build_policy_base(pm).plugin_programs
    h = three(registry, YUNNAN, 900)
    policy = sbase.resolve(YUNNAN, AS_OF)
    with pytest.raises(
        PluginLoadError, match=r"plugin 'broken'.*returned a dict; expected Decision"
    ):
        evaluate(h, "broken", policy, AS_OF, plugin_programs=programs)
    with pytest.raises(InvalidInput, match="no plugin implements doudi_evaluate_program"):
        evaluate(h, "silent", policy, AS_OF, plugin_programs=programs)
    assert pm.evaluate_program("dibao", h, policy, AS_OF) is None


# -- the API's guards and the JSON -----------------------------------------------------------------


def test_policy_must_match_the_household_and_date(sbase, registry):
    h = three(registry, YUNNAN, 900)
    with pytest.raises(InvalidInput, match="resolved for 450326"):
        evaluate(h, "dibao", sbase.resolve(GUANGXI, AS_OF), AS_OF)
    with pytest.raises(InvalidInput, match="resolved on 2023-01-01"):
        evaluate(h, "dibao", sbase.resolve(YUNNAN, D(2023, 1, 1)), AS_OF)


def test_decision_status_and_eligible_must_agree():
    with pytest.raises(ValueError, match="eligible=None"):
        Decision("x", "cannot_decide", False, "110101", AS_OF)
    with pytest.raises(ValueError, match="unknown decision status"):
        Decision("x", "maybe", None, "110101", AS_OF)  # type: ignore[arg-type]


def test_fast_built_decisions_equal_normally_built_ones(sbase, registry):
    for d in (
        run(sbase, three(registry, YUNNAN, 1500)),
        run(sbase, three(registry, YUNNAN, 3000)),
        run(sbase, orphan(registry, NINGXIA, 17), "tekun"),
    ):
        again = Decision(**{f.name: getattr(d, f.name) for f in dataclasses.fields(d)})
        assert again == d and hash(again) == hash(d) and repr(again) == repr(d)
        assert dataclasses.replace(d, plugin="x").plugin == "x"
        assert dataclasses.asdict(d)["program"] == d.program
        with pytest.raises(dataclasses.FrozenInstanceError):
            d.status = "eligible"  # type: ignore[misc]
        inc = d.income
        if inc is not None:
            assert (
                type(inc)(**{f.name: getattr(inc, f.name) for f in dataclasses.fields(inc)}) == inc
            )


def test_decision_to_json(sbase, registry):
    h = three(registry, YUNNAN, 1500, expenses=[("medical", 150, 0)])
    out = decision_to_json(run(sbase, h))
    json.dumps(out, ensure_ascii=False)  # no custom encoder needed
    assert out["status"] == "eligible" and out["mode"] == "whole_household"
    assert out["asOf"] == "2023-09-01" and out["nextReview"] == "2024-09-01"
    assert out["perCapitaIncome"] == 450.0 and out["monthlyAmount"] == 1050.0
    assert out["standard"] == 800.0 and out["standardPath"] == "dibao.standard.urban"
    assert out["approvalLevel"] == "township"
    assert out["income"]["deductions"][0] | {} == {
        "kind": "medical",
        "member": h.members[0].id_number,
        "monthlyAmount": 150.0,
        "applied": True,
        "why": "",
    }
    assert out["income"]["income"][0]["counted"] is True
    std = next(t for t in out["trace"] if t["path"] == "dibao.standard.urban")
    assert std["layer"] == {
        "code": "530000",
        "name": "云南省",
        "level": "province",
        "origin": "fixture",
        "kind": "plugin",
    }
    assert std["effectiveFrom"] == "2020-01-01" and std["source"]["quote"] == "测试"
    level = next(t for t in out["trace"] if t["path"] == "dibao.approval.confirming_level")
    assert level["source"]["title"] and level["source"]["section"] and level["source"]["quote"]
    assert set(out) >= {
        "membersCovered",
        "reasons",
        "missing",
        "members",
        "oneOffAmount",
        "reviewPath",
        "category",
    }
