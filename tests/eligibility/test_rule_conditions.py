"""Rules applied with every condition their documents attach (issue 9), quoted per province.

EXAMPLE standards (test values, not official): urban dibao 800, rural 600, tekun basic 1,040
yuan/month, from tests.support.standards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from stdnum.cn import ric

from core.eligibility import Decision, TemporaryRequest, evaluate
from core.households.model import Household, parse_household
from core.policy.loader import PolicyLoader
from core.policy.service import PolicyBase, build_policy_base
from tests.support.layers import doc, entry

D = dt.date
AS_OF = D(2024, 3, 1)
YUNNAN, GUANGXI, GUIZHOU, NINGXIA, BEIJING = "530102", "450326", "522701", "640121", "110101"

_seq = iter(range(1, 10**6))


def with_standards(base: PolicyBase, extra: dict[str, dict[str, Any]] | None = None) -> PolicyBase:
    """``base`` + EXAMPLE standards in the five provinces and Beijing, and ``extra`` values by
    code (test values, not official figures)."""
    values: dict[str, dict[str, Any]] = {
        code: {
            "dibao.standard.urban": [entry(800, "2020-01-01")],
            "dibao.standard.rural": [entry(600, "2020-01-01")],
            "tekun.standard.basic": [entry(1040, "2020-01-01")],
        }
        for code in ("530000", "450000", "520000", "140000", "640000", "110000")
    }
    for code, params in (extra or {}).items():
        values.setdefault(code, {}).update(params)
    layers = []
    for code, params in values.items():
        loader = PolicyLoader(base.registry, base.catalog, {"fixture": [code]})
        layer, issues = loader.validate("fixture", "inline.yaml", doc(code, params))
        assert not issues and layer is not None, issues
        layers.append(layer)
    return build_policy_base(extra_layers=layers)


@pytest.fixture(scope="module")
def sbase(base: PolicyBase) -> PolicyBase:
    return with_standards(base)


def pid(birth: str = "19800101") -> str:
    p = f"110101{birth}{next(_seq) % 1000:03d}"
    return p + ric.calc_check_digit(p + "0")


def member(birth: str = "19800101", relation: str = "spouse", **extra: Any) -> dict[str, Any]:
    return {"idNumber": pid(birth), "name": f"成员{birth}", "relation": relation, **extra}


def home(
    base: PolicyBase,
    county: str,
    members: list[dict[str, Any]],
    income: list[dict[str, Any]] = (),  # type: ignore[assignment]
    expenses: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> Household:
    members[0]["relation"] = "head"
    data = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": members,
        "income": list(income),
        "expenses": list(expenses),
        **extra,
    }
    return parse_household(data, base.registry, AS_OF)


def wages(amount: float, who: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"kind": "wages", "monthlyAmount": amount, "member": who and who["idNumber"], **extra}


def run(base: PolicyBase, h: Household, program: str = "dibao", as_of: dt.date = AS_OF,
        **kw: Any) -> Decision:  # fmt: skip
    return evaluate(h, program, base.resolve(h.county, as_of), as_of, **kw)


# -- R1: Yongfu deducts rigid spending only for low-income households with a hardship member ------


def test_yongfu_deductions_only_for_low_income_households_with_a_hardship_member(sbase):
    # 003 二(二): 「对于防止返贫监测对象和其他收入低于低保边缘家庭标准的低收入人口，家中有重病、
    # 重残人员、高校就读生，且家庭财产状况符合规定的，扣减医疗、教育、康复费用等刚性支出后符合条件
    # 的，整户纳入低保范围。」 2,700 over 3 = 900: not below 800, below 1.5 × 800 = 1,200.
    def household(m2: dict[str, Any], **extra: Any) -> Household:
        head = member()
        return home(sbase, GUANGXI, [head, m2, member("19750505")], [wages(2700, head)],
                    [{"kind": "medical", "monthlyAmount": 400, "member": m2["idNumber"]}],
                    **extra)  # fmt: skip

    # no seriously ill, severely disabled or college member: nothing deducted, not eligible
    plain = run(sbase, household(member()))
    assert plain.income.deductions_applied == () and plain.status == "ineligible"
    (refused,) = plain.income.deductions_not_applied
    assert "dibao.income.deductions_scope" in refused.why and "重病" in refused.why
    # a seriously ill member: deducted (900 − 133.33 = 766.67 < 800), the ground names both rules
    ill = run(sbase, household(member(seriousIllness=True)))
    assert ill.status == "eligible" and ill.mode == "whole_household"
    (ground,) = ill.grounds
    assert ground.applies == "deduction" and ground.rule == "dibao.income.deductions_scope"
    assert "below the marginal standard" in ground.condition and "seriously ill" in ground.condition
    assert ground.layer == "450326" and "高校就读生" in ground.source.quote
    # a college student, or a grade-2 disability (重残): deducted too
    college = run(sbase, household(member("20050101", schoolLevel="higher_education")))
    assert college.status == "eligible"
    disabled = run(sbase, household(member(disability={"kind": "physical", "grade": 2})))
    assert disabled.status == "eligible"
    # grade 3 is not 重残
    grade3 = run(sbase, household(member(disability={"kind": "physical", "grade": 3})))
    assert grade3.income.deductions_applied == ()


def test_yongfu_deductions_need_a_low_income_household_or_the_monitoring_tag(sbase):
    head, ill = member(), member(seriousIllness=True)
    cost = {"kind": "medical", "monthlyAmount": 1000, "member": ill["idNumber"]}
    richer = home(sbase, GUANGXI, [head, ill, member()], [wages(3900, head)], [cost])
    d = run(sbase, richer)  # 1,300 before deducting: not below 1,200
    assert d.income.deductions_applied == ()
    assert "not below 1.5 × 800.00 = 1200.00" in d.income.deductions_not_applied[0].why
    head, ill = member(), member(seriousIllness=True)
    cost = {"kind": "medical", "monthlyAmount": 1600, "member": ill["idNumber"]}
    monitored = home(sbase, GUANGXI, [head, ill, member()], [wages(3900, head)], [cost],
                     tags=["relapse_monitoring"])  # fmt: skip
    d = run(sbase, monitored)  # 防止返贫监测对象: deducted, (3,900 − 1,600) / 3 = 766.67
    assert len(d.income.deductions_applied) == 1 and d.status == "eligible"
    assert "防止返贫监测对象" in d.grounds[0].condition


def test_yongfu_deductions_are_for_the_whole_household_test_only(sbase):
    # 「…整户纳入低保范围」: low-income recognition is decided on the income before deducting.
    head, ill = member(), member(seriousIllness=True)
    h = home(sbase, GUANGXI, [head, ill, member()], [wages(2700, head)],
             [{"kind": "medical", "monthlyAmount": 400, "member": ill["idNumber"]}])  # fmt: skip
    li = run(sbase, h, "low_income")
    assert li.income.deductions_applied == () and li.per_capita_income == Decimal("900.00")
    assert "whole-household dibao test" in li.income.deductions_not_applied[0].why


# -- R4: clergy ----------------------------------------------------------------------------------


def test_clergy_apart_three_years_or_more_whatever_the_households_income(sbase):
    # 审核确认办法 art. 8(三): 「脱离家庭、在宗教场所居住三年以上（含三年）的生活困难的宗教教职人员
    # 」: no marginal household named; three years included.
    def clergy(since: str | None) -> Decision:
        head = member()
        priest = member("19700101", tags=["clergy_living_apart"],
                        **({"livingApartSince": since} if since else {}))  # fmt: skip
        h = home(sbase, BEIJING, [head, priest, member()], [wages(7500, head)])  # 2,500 each
        return run(sbase, h)

    ok = clergy("2021-03-01")  # exactly three years on 2024-03-01
    assert (ok.status, ok.mode) == ("eligible", "single_person")
    assert "审核确认办法 art. 8(三)" in ok.grounds[0].condition
    assert clergy("2021-03-02").status == "ineligible"  # a day short of three years
    unknown = clergy(None)
    assert unknown.status == "cannot_decide" and "livingApartSince" in unknown.reasons[0]


# -- R8: tekun minors --------------------------------------------------------------------------


def test_a_supported_minor_keeps_tekun_support_to_18_and_beyond_while_in_school(sbase):
    # 特困人员认定办法 art. 24: 「特困人员中的未成年人，可继续享有救助供养待遇至18周岁；年满18周岁
    # 仍在接受义务教育或者在普通高中、中等职业学校就读的，可继续享有救助供养待遇。」
    def orphan(birth: str, **extra: Any) -> Household:
        return home(sbase, GUIZHOU, [member(birth, hasAbleSupporter=False, **extra)])

    child = orphan("20070601")  # 16 on 2024-03-01: not under Guizhou's (national) 16
    assert run(sbase, child, "tekun").status == "ineligible"  # a new application
    kept = run(sbase, child, "tekun", continuing=frozenset({child.members[0].id_number}))
    assert kept.status == "eligible"
    (ground,) = kept.grounds
    assert ground.applies == "minor_continuation" and ground.rule == "tekun.minor_continuation_age"
    assert "可继续享有救助供养待遇至18周岁" in ground.source.quote
    adult = orphan("20051201", schoolLevel="high_school")  # 18, in high school
    ids = frozenset({adult.members[0].id_number})
    school = run(sbase, adult, "tekun", continuing=ids)
    assert school.status == "eligible"
    assert school.grounds[0].rule == "tekun.minor_continuation_in_school"
    college = orphan("20051201", schoolLevel="higher_education")
    assert run(sbase, college, "tekun", continuing=frozenset({college.members[0].id_number})
               ).status == "ineligible"  # fmt: skip
    unknown = orphan("20051201", inSchool=True)
    d = run(sbase, unknown, "tekun", continuing=frozenset({unknown.members[0].id_number}))
    assert d.status == "cannot_decide" and "schoolLevel" in d.reasons[0]


# -- R12: income the national rules do not count ----------------------------------------------


def test_income_the_national_rules_exclude_is_not_counted(sbase):
    # 审核确认办法 art. 13: 「下列收入不计入家庭收入：（一）国家规定的优待抚恤金…（三）“十四五”期间
    # ，中央确定的城乡居民基本养老保险基础养老金」
    head = member("19500101")
    h = home(sbase, YUNNAN, [head, member("19520101")], [
        wages(1000, head),
        {"kind": "pension", "monthlyAmount": 700, "member": head["idNumber"],
         "excludedAs": "basic_pension_base"},
    ])  # fmt: skip
    d = run(sbase, h, as_of=D(2024, 3, 1))
    assert d.per_capita_income == Decimal("500.00") and d.status == "eligible"
    (g,) = d.grounds
    assert (g.applies, g.rule) == ("income_not_counted", "dibao.income.excluded")
    assert "十四五" in g.source.quote
    # after the 14th five-year plan (2025) the basic pension base counts again (no later text)
    later = run(sbase, h, as_of=D(2026, 3, 1))
    assert later.per_capita_income == Decimal("850.00") and later.status != "eligible"
    # 特困人员认定办法 art. 6: 高龄津贴 is not counted for tekun
    old = member("19400101", hasAbleSupporter=False)
    allowance = {"kind": "transfer", "monthlyAmount": 900, "member": old["idNumber"],
                 "excludedAs": "elderly_allowance"}  # fmt: skip
    t = home(sbase, YUNNAN, [old], [allowance])
    tk = run(sbase, t, "tekun")
    assert tk.status == "eligible" and tk.grounds[0].rule == "tekun.income.excluded"


# -- R10 and the unemployed: temporary assistance -----------------------------------------------


def test_expenditure_assistance_has_an_income_test(sbase):
    # 民发〔2018〕23号 二(一): 「支出型救助对象…原则上其家庭人均可支配收入应低于当地上年度人均可支配
    # 收入，且家庭财产状况符合当地有关规定」
    b = with_standards(
        sbase,
        {"530102": {"temporary.expenditure.disposable_income_limit": [entry(30000, "2023-01-01")]}},
    )  # a local figure: a test value, not the official one
    head = member()
    rich = home(b, YUNNAN, [head, member()], [wages(50000, head)])  # 300,000 a year each
    req = TemporaryRequest("expenditure", Decimal(900))
    d = run(b, rich, "temporary", request=req)
    assert d.status == "ineligible" and "原则上" in d.reasons[-1]
    why = ("突发大病，医疗支出远超收入",)
    req_why = TemporaryRequest("expenditure", Decimal(900), exception_reasons=why)
    excused = run(b, rich, "temporary", request=req_why)
    assert excused.status == "eligible" and "原则上" in excused.grounds[0].condition
    poor_head = member()
    poor = home(b, YUNNAN, [poor_head, member()], [wages(2000, poor_head)])  # 12,000 a year
    ok = run(b, poor, "temporary", request=req)
    assert ok.status == "eligible" and ok.grounds[0].rule == (
        "temporary.expenditure.disposable_income_limit"
    )
    # an emergency has no such test
    assert run(b, rich, "temporary", request=TemporaryRequest("emergency", Decimal(900))
               ).status == "eligible"  # fmt: skip


def test_uninsured_unemployed_need_three_months_without_income(sbase):
    # Yongning 004 二(二)4: 「连续三个月无收入来源,生活困难且失业保险政策无法覆盖的农民工等未参保
    # 失业人员」; nationally 民发〔2022〕83号 二(一): 「连续3个月无收入来源」.
    h = home(sbase, NINGXIA, [member()])

    def ask(months: int | None, insured: bool | None) -> Decision:
        req = TemporaryRequest(
            "emergency",
            Decimal(800),
            category="unemployed_uninsured",
            months_without_income=months,
            unemployment_insured=insured,
        )
        return run(sbase, h, "temporary", request=req)

    assert ask(3, False).status == "eligible"
    assert ask(3, False).grounds[0].rule == "temporary.unemployed_no_income_months"
    assert ask(2, False).status == "ineligible"
    assert ask(5, True).status == "ineligible"
    assert ask(None, False).status == "cannot_decide"
