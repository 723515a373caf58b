"""The parameter catalog: the dotted paths every layer, API and comparison uses (PARAMETERS.md).

A path here is never renamed or given another meaning. Units: ``months``, ``days`` (calendar),
``working_days`` (Chinese working days), ``day_of_month``, ``yuan_per_month`` (per person unless
noted), ``yuan``, ``ratio`` (0–1), ``multiple`` (of another parameter), ``bool``, ``enum``,
``list``, ``count``, ``years``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from core.errors import UnknownParameter
from core.plugin.hookspecs import ParameterSpec

_INTEGER_UNITS = {"months", "days", "working_days", "day_of_month", "count", "years"}

# Allowed items of the list-valued parameters.
NEAR_RELATIVE_RELATIONS = (
    "spouse",  # 配偶
    "parent",  # 父母
    "child",  # 子女
    "sibling",  # 兄弟姐妹
    "paternal_grandparent",  # 祖父母
    "maternal_grandparent",  # 外祖父母
    "paternal_grandchild",  # 孙子女
    "maternal_grandchild",  # 外孙子女
    "uncle_aunt",  # 伯叔姑舅姨
    "paternal_cousin",  # 堂兄弟姐妹
    "maternal_cousin",  # 表兄弟姐妹
    "brothers_child",  # 侄子女
    "sisters_child",  # 甥子女
    "spouse_parent",  # 配偶的父母
    "spouse_sibling",  # 配偶的兄弟姐妹
    "spouse_sibling_spouse",  # 配偶的兄弟姐妹的配偶
    "child_spouse",  # 子女的配偶
    "child_spouse_parent",  # 子女的配偶的父母
)
SINGLE_PERSON_CONDITIONS = (
    "severe_disability",  # 重度残疾 (grade 1–2)
    "intellectual_or_mental_disability_grade_3",  # 三级智力、精神残疾
    "serious_illness",  # 重病 / 重特大疾病
    "serious_illness_with_major_illness_medical_aid",  # 罹患重特大疾病获得重特大疾病医疗救助
    "clergy_living_apart",  # 脱离家庭、在宗教场所居住三年以上的宗教教职人员
    "jobless_adult_severe_disability",  # 成年无业重度残疾人
)
INCOME_DEDUCTIONS = ("medical", "disability_rehabilitation", "education", "employment_cost")
DEDUCTION_SCOPES = (
    "all_households",  # every household applying
    "low_income_with_hardship_member",  # 防止返贫监测对象 / 低收入 with 重病、重残人员、高校就读生
)
SINGLE_PERSON_MEANS = (
    "verification",  # 家庭经济状况核对 (a verification that passed)
    "home_visit",  # 入户调查
    "democratic_appraisal",  # 民主评议
)
SINGLE_PERSON_REQUIREMENTS = (
    "labour_capacity_lost_all_or_part",  # 完全或部分丧失劳动能力
    "depends_on_family_support",  # 靠家庭供养
    "marginal_household",  # 低保边缘家庭中的
)
# Income the national rules do not count (审核确认办法 art. 13; 特困人员认定办法 art. 6).
INCOME_EXCLUSIONS = (
    "preferential_pension",  # 优待抚恤金
    "family_planning_award",  # 计划生育奖励与扶助金
    "scholarship",  # 奖学金
    "heroism_award",  # 见义勇为等奖励性补助
    "assistance",  # 政府发放的各类社会救助款物
    "basic_pension_base",  # 城乡居民基本养老保险基础养老金
    "elderly_allowance",  # 高龄津贴
    "social_insurance",  # 基本医疗保险等社会保险 (特困人员认定办法 art. 6)
    "local_exclusion",  # 设区的市级以上地方人民政府规定的其他收入
)
SCHOOL_LEVELS_IN_SCHOOL = ("compulsory", "high_school", "secondary_vocational")
PHASE_OUT_CAUSES = (
    "employment",  # 就业
    "business_start",  # 创业
)
SELF_CARE_LEVELS = ("self_care", "partial_loss", "full_loss")
EMERGENCY_LOCATION_GROUNDS = (
    "any_emergency",
    "migrant_worker_without_work_or_family_support",  # 暂时找不到工作又得不到家庭支持的外来务工人员
    "stranded",  # 因交通管控等原因暂时滞留的临时遇困人员
)


def _p(
    path: str,
    unit: str,
    description: str,
    label_zh: str = "",
    *,
    choices: Iterable[str] = (),
    type_: str | None = None,
) -> ParameterSpec:
    if type_ is None:
        if unit in _INTEGER_UNITS:
            type_ = "integer"
        elif unit == "bool":
            type_ = "boolean"
        elif unit in ("enum", "list"):
            type_ = unit
        else:
            type_ = "number"
    minimum: float | None = None
    maximum: float | None = None
    if type_ in ("integer", "number"):
        minimum = 0
    if unit == "day_of_month":
        minimum, maximum = 1, 31
    if unit == "ratio":
        maximum = 1
    return ParameterSpec(
        path=path,
        type=type_,  # type: ignore[arg-type]  # narrowed above to a ValueType literal
        unit=unit,
        description=description,
        label_zh=label_zh,
        choices=tuple(choices),
        minimum=minimum,
        maximum=maximum,
    )


CORE_PARAMETERS: tuple[ParameterSpec, ...] = (
    # dibao 最低生活保障 ----------------------------------------------------------------------
    _p("dibao.standard.urban", "yuan_per_month", "Urban dibao standard", "城市低保标准"),
    _p("dibao.standard.rural", "yuan_per_month", "Rural dibao standard", "农村低保标准"),
    _p(
        "dibao.benefit.method",
        "enum",
        "How the monthly amount is computed: the gap to the standard, or in bands",
        "低保金计算方法(补差/分档)",
        choices=("gap", "banded"),
    ),
    _p(
        "dibao.benefit.start",
        "enum",
        "When payment starts",
        "低保金起始发放时间",
        choices=("month_after_approval",),
    ),
    _p(
        "dibao.review.interval_months.stable_income",
        "months",
        "Re-check interval for households whose income has not changed for years",
        "收入长期稳定家庭复核周期",
    ),
    _p(
        "dibao.review.interval_months.slow_change",
        "months",
        "Re-check interval for households whose income changes little",
        "收入变化不大家庭复核周期",
    ),
    _p(
        "dibao.review.interval_months.irregular_with_labour",
        "months",
        "Re-check interval for households with irregular income and a member able to work",
        "收入不固定且有劳动能力家庭复核周期",
    ),
    _p(
        "dibao.review.home_visit_after_change",
        "bool",
        "A change reported by the household or found by verification needs the township's home "
        "visit before the benefit is stopped, reduced or raised",
        "变动家庭先入户核查再停发、减发或增发",
    ),
    _p(
        "dibao.review.annual_review",
        "bool",
        "A yearly review (年度核查) of every beneficiary",
        "低保年度核查",
    ),
    _p(
        "dibao.verification.required_before_approval",
        "bool",
        "Economic-status verification (核对) must pass before confirmation",
        "逢进必核",
    ),
    _p(
        "dibao.verification.interval_months",
        "months",
        "Periodic verification of every beneficiary through the verification system",
        "在享人员经济状况核对周期",
    ),
    _p(
        "dibao.home_visit.interval_months.irregular_with_labour",
        "months",
        "Home visits to irregular-income households with labour capacity",
        "收入不固定有劳动能力家庭入户调查周期",
    ),
    _p(
        "dibao.home_visit.new_applicant_ratio",
        "ratio",
        "Share of new applicants visited at home",
        "新申请对象入户调查比例",
    ),
    _p(
        "dibao.approval.confirming_level",
        "enum",
        "Who confirms (审核确认) dibao",
        "低保审核确认层级",
        choices=("township", "county"),
    ),
    _p(
        "dibao.approval.county_spot_check_ratio",
        "ratio",
        "Share of township confirmations the county re-checks",
        "县级对乡镇审核确认的抽查比例",
    ),
    _p("dibao.approval.publicity_days", "days", "Publicity (公示) period", "公示期"),
    _p(
        "dibao.approval.time_limit_working_days",
        "working_days",
        "Acceptance to decision",
        "审核确认时限",
    ),
    _p(
        "dibao.approval.time_limit_special_working_days",
        "working_days",
        "Acceptance to decision in special cases",
        "特殊情况审核确认时限",
    ),
    _p(
        "dibao.approval.time_limit_delegated_working_days",
        "working_days",
        "Acceptance to decision where confirmation is delegated to the township",
        "审核确认权限下放乡镇的办理时限",
    ),
    _p(
        "dibao.investigation.start_within_working_days",
        "working_days",
        "The household economic investigation starts within this after acceptance",
        "受理后启动家庭经济状况调查时限",
    ),
    _p(
        "dibao.investigation.min_investigators",
        "count",
        "Investigators per home visit, at least",
        "每组调查人员最少人数",
    ),
    _p(
        "tekun.investigation.min_investigators",
        "count",
        "Investigators per home visit of a tekun applicant, at least; not set: one (特困人员认定"
        "办法 names no number; dibao's rule, 审核确认办法 art. 16, is not applied to tekun)",
        "特困调查人员最少人数",
    ),
    _p(
        "dibao.verification.start_within_working_days",
        "working_days",
        "The county starts information verification within this after the township asks",
        "县级启动信息核对时限",
    ),
    _p(
        "dibao.approval.county_review_working_days",
        "working_days",
        "The county gives its opinion within this after receiving the file",
        "县级审核确认时限",
    ),
    _p(
        "dibao.approval.refusal_notice_working_days",
        "working_days",
        "A refusal is notified in writing within this after the decision",
        "不予确认书面告知时限",
    ),
    _p(
        "dibao.near_relative.filing_required",
        "bool",
        "Near relatives of staff are registered separately (备案)",
        "近亲属备案",
    ),
    _p(
        "dibao.near_relative.county_home_visit_ratio",
        "ratio",
        "County home visits of filed applicants",
        "县级对备案申请人入户核查比例",
    ),
    _p(
        "dibao.near_relative.relations",
        "list",
        "Which relations count as near relatives",
        "近亲属范围",
        choices=NEAR_RELATIVE_RELATIONS,
    ),
    _p(
        "tekun.near_relative.filing_required",
        "bool",
        "Tekun applicants who are near relatives of staff are registered separately (备案); not "
        "set: not filed (the national filing rule, 审核确认办法 art. 11, is dibao's); the "
        "relations are dibao.near_relative.relations",
        "特困近亲属备案",
    ),
    _p(
        "tekun.near_relative.county_home_visit_ratio",
        "ratio",
        "County home visits of filed tekun applicants; not set: none required",
        "县级对备案特困申请人入户核查比例",
    ),
    _p(
        "dibao.single_person.enabled",
        "bool",
        "Severely disabled / seriously ill members may be enrolled alone (单人户)",
        "单人保",
    ),
    _p(
        "dibao.single_person.conditions",
        "list",
        "Which conditions qualify a member for single-person enrolment; the national list is a "
        "floor that a province or county adds to (see NATIONAL_FLOOR_PATHS)",
        "单人保条件",
        choices=SINGLE_PERSON_CONDITIONS,
    ),
    _p(
        "dibao.single_person.additional_requirements",
        "list",
        "What a member meeting a condition of the same layer's dibao.single_person.conditions "
        "must also show (Yongning: 完全或部分丧失劳动能力, 靠家庭供养). Not set: the member must "
        "be in a marginal household (低保边缘家庭), as the national rule says of its groups; set: "
        "exactly what it lists (marginal_household among them or not). The national layer's "
        "conditions are not subject to another layer's requirements",
        "单人保附加条件",
        choices=SINGLE_PERSON_REQUIREMENTS,
    ),
    _p(
        "dibao.single_person.assessment_means",
        "list",
        "How hardship is assessed before a single-person decision (单人户): each listed means must "
        "be on the case first — a verification that passed (recordVerification), a home visit "
        "(recordInvestigation, method home_visit), a democratic appraisal "
        "(recordDemocraticAppraisal). Not set: none beyond the procedure every case follows",
        "单人保评估手段",
        choices=SINGLE_PERSON_MEANS,
    ),
    _p(
        "dibao.single_person.own_application_required",
        "bool",
        "Single-person enrolment (单人户) only on the member's own application (经本人申请), "
        "recorded on the case (recordOwnApplication) before a decision covers them (审核确认办法 "
        "art. 8: 可以单独提出申请). Not set or false: a single-person decision needs none",
        "单人保须经本人申请",
    ),
    _p(
        "dibao.income.deductions",
        "list",
        "Rigid spending deducted before the income test; the national employment cost is a "
        "floor every household keeps (see NATIONAL_FLOOR_PATHS)",
        "刚性支出扣减",
        choices=INCOME_DEDUCTIONS,
    ),
    _p(
        "dibao.income.deductions_scope",
        "enum",
        "Which households the rigid spending of dibao.income.deductions is deducted for: every "
        "household, or only low-income households (防止返贫监测对象, or per-capita income before "
        "deducting below low_income.marginal_multiple × the standard) with a seriously ill or "
        "severely disabled member or a college student, for the whole-household test; not set: "
        "every household (no source in force limits it)",
        "刚性支出扣减适用范围",
        choices=DEDUCTION_SCOPES,
    ),
    _p(
        "dibao.income.excluded",
        "list",
        "Income not counted in the dibao income test (审核确认办法 art. 13: "
        "下列收入不计入家庭收入); an income item marked excludedAs one of these is left out",
        "不计入家庭收入的收入",
        choices=INCOME_EXCLUSIONS,
    ),
    _p("dibao.phase_out.min_months", "months", "Shortest phase-out (渐退期)", "渐退期下限"),
    _p("dibao.phase_out.max_months", "months", "Longest phase-out (渐退期)", "渐退期上限"),
    _p(
        "dibao.phase_out.exit_next_month_when_stable",
        "bool",
        "Leave the month after income becomes stable during phase-out",
        "渐退期内收入稳定次月退出",
    ),
    _p(
        "dibao.phase_out.allowed",
        "bool",
        "A household whose per-capita income has risen over (超过) the standard may be given a "
        "phase-out (渐退期) instead of leaving at once; the official chooses",
        "低保渐退",
    ),
    _p(
        "dibao.phase_out.causes",
        "list",
        "What must have lifted the income over the standard for a phase-out: a member's "
        "employment (就业) or starting a business (创业)",
        "渐退原因",
        choices=PHASE_OUT_CAUSES,
    ),
    _p(
        "dibao.phase_out.written_notice_required",
        "bool",
        "The household is told of its phase-out (渐退) in a formal written notice (正式文书) from "
        "the day it enters the phase-out list: due that day (recordPhaseOutNotice), listed "
        "among the case's deadlines until recorded",
        "渐退正式文书告知",
    ),
    _p(
        "dibao.phase_out.requires_self_report",
        "bool",
        "A phase-out only after the household reported the higher income itself (经主动报告后)",
        "渐退须主动报告",
    ),
    _p(
        "dibao.death.recheck_within_months",
        "months",
        "Re-check of the household after a member dies",
        "家庭成员死亡后复核时限",
    ),
    _p(
        "dibao.refused_work.limit",
        "count",
        "Consecutive refusals without good reason of suitable jobs before the person's own "
        "benefit is reduced or stopped",
        "拒绝就业次数上限",
    ),
    # low_income 低保边缘 / 低收入 -------------------------------------------------------------
    _p(
        "low_income.marginal_multiple",
        "multiple",
        "A marginal household's per-capita income is below this × the dibao standard",
        "低保边缘家庭收入倍数",
    ),
    _p(
        "low_income.income_multiple_max",
        "multiple",
        "Upper bound (× the dibao standard) for low-income recognition",
        "低收入认定收入倍数上限",
    ),
    _p(
        "low_income.dibao_counts_as_low_income",
        "bool",
        "Dibao households are low-income without a new test",
        "低保对象直接认定为低收入",
    ),
    # tekun 特困人员救助供养 ---------------------------------------------------------------------
    _p(
        "tekun.standard.basic",
        "yuan_per_month",
        "Tekun basic-living standard (基本生活标准); set by local governments",
        "特困人员基本生活标准",
    ),
    _p(
        "tekun.standard.basic_min_multiple_of_urban_dibao",
        "multiple",
        "The tekun basic-living standard is at least this × the urban dibao standard",
        "特困基本生活标准不低于城市低保标准的倍数",
    ),
    _p("tekun.minor_age_limit", "years", "Minors are covered up to this age", "未成年人年龄上限"),
    _p(
        "tekun.minor_continuation_age",
        "years",
        "A minor already supported keeps the support until this age",
        "未成年特困人员继续供养至年龄",
    ),
    _p(
        "tekun.minor_continuation_in_school",
        "list",
        "Schooling during which a supported minor keeps the support after that age",
        "年满18周岁仍在校继续供养",
        choices=SCHOOL_LEVELS_IN_SCHOOL,
    ),
    _p(
        "tekun.income.excluded",
        "list",
        "Income not counted in the tekun income test (特困人员认定办法 art. 6)",
        "特困不计入收入",
        choices=INCOME_EXCLUSIONS,
    ),
    _p(
        "tekun.self_care.partial_loss_min_failed",
        "count",
        "Failed indicators (of 6) that mean partial loss of self-care",
        "部分丧失生活自理能力(未达标指标数)",
    ),
    _p(
        "tekun.self_care.full_loss_min_failed",
        "count",
        "Failed indicators (of 6) that mean complete loss of self-care",
        "完全丧失生活自理能力(未达标指标数)",
    ),
    _p(
        "tekun.self_care.county_spot_check_ratio",
        "ratio",
        "County spot-checks of township self-care assessments",
        "县级抽查比例(自理能力评估)",
    ),
    _p(
        "tekun.investigation.time_limit_working_days",
        "working_days",
        "Township investigation of a tekun application",
        "乡镇调查核实时限",
    ),
    _p(
        "tekun.approval.publicity_days",
        "days",
        "Publicity (公示) period of a tekun application",
        "特困公示期",
    ),
    _p(
        "tekun.approval.confirming_level",
        "enum",
        "Who confirms (审核确认) tekun support",
        "特困人员审核确认层级",
        choices=("township", "county"),
    ),
    _p(
        "tekun.approval.county_decision_working_days",
        "working_days",
        "The county checks and decides within this",
        "县级确认时限",
    ),
    _p(
        "tekun.approval.county_spot_check_ratio",
        "ratio",
        "Share of township tekun applications the county spot-checks before confirming",
        "县级对乡镇审核材料的抽查比例",
    ),
    _p(
        "tekun.benefit.start",
        "enum",
        "When support starts",
        "救助供养起始时间",
        choices=("month_after_approval",),
    ),
    _p(
        "tekun.self_care.reassess_within_working_days",
        "working_days",
        "Self-care is reassessed within this after a reported change",
        "自理能力变化后重新评估时限",
    ),
    _p(
        "tekun.care_assessment.interval_months",
        "months",
        "Assessment of the appointed carer (监护照料评估)",
        "监护照料评估周期",
    ),
    _p("tekun.review.interval_months", "months", "Periodic re-check of tekun", "特困复核周期"),
    _p(
        "tekun.centralised_care.admit_all_willing",
        "bool",
        "Every tekun person willing to live in a care institution is placed in centralised care "
        "(subject to tekun.centralised_care.self_care_levels)",
        "有意愿者全部集中供养",
    ),
    _p(
        "tekun.centralised_care.self_care_levels",
        "list",
        "Which persons tekun.centralised_care.admit_all_willing covers, by self-care level "
        "(Yongning: 生活不能自理 only)",
        "有意愿集中供养的自理能力范围",
        choices=SELF_CARE_LEVELS,
    ),
    # temporary 临时救助 -------------------------------------------------------------------------
    _p(
        "temporary.approval.graded",
        "bool",
        "Township approves small amounts, county the rest (分级审批)",
        "分级审批",
    ),
    _p(
        "temporary.approval.township_limit",
        "yuan",
        "The most a township may approve alone",
        "乡镇审批额度上限",
    ),
    _p(
        "temporary.advance_assistance",
        "bool",
        "Assist first, paperwork after (先行救助)",
        "先行救助",
    ),
    _p(
        "temporary.paperwork_within_working_days",
        "working_days",
        "After assisting first, the paperwork is completed within this (no national limit: set "
        "only where a document gives one)",
        "先行救助后补齐手续时限",
    ),
    _p(
        "temporary.apply_at_emergency_location",
        "bool",
        "Help where the emergency happens, no hukou restriction",
        "急难发生地实施救助",
    ),
    _p(
        "temporary.emergency_location_grounds",
        "list",
        "Who may be helped where the emergency happens rather than where registered (not set: "
        "anyone in an emergency)",
        "急难发生地救助对象",
        choices=EMERGENCY_LOCATION_GROUNDS,
    ),
    _p(
        "temporary.case_by_case_major_hardship",
        "bool",
        "Case-by-case decisions (一事一议) for major hardship",
        "一事一议",
    ),
    _p(
        "temporary.unemployed_no_income_months",
        "months",
        "Months without income that qualify an uninsured unemployed person",
        "未参保失业人员连续无收入月数",
    ),
    _p(
        "temporary.expenditure.disposable_income_limit",
        "yuan",
        "Expenditure-type assistance (支出型): per-capita disposable income must in principle be "
        "below this, the local per-capita disposable income of the previous year (yuan per "
        "person per year; set by local governments)",
        "当地上年度人均可支配收入",
    ),
    # payments, reports, other -----------------------------------------------------------------
    _p(
        "payments.monthly_due_day",
        "day_of_month",
        "Basic-living money is paid by this day of the month",
        "每月发放截止日",
    ),
    _p(
        "payments.failed_repay_by",
        "enum",
        "When a failed payment must be paid again",
        "发放失败补发时限",
        choices=("month_end",),
    ),
    _p(
        "payments.unclaimed_reminder_months",
        "months",
        "Unclaimed this long → remind",
        "未领取提醒时限",
    ),
    _p(
        "payments.unclaimed_investigation_months",
        "months",
        "Unclaimed this long → investigate",
        "未支取核查时限",
    ),
    _p(
        "payments.deceased_head_update_months",
        "months",
        "Change head and account after the head dies",
        "户主死亡后变更时限",
    ),
    _p(
        "reports.village_monthly_due_day",
        "day_of_month",
        "Village report to the township is due by this day",
        "村(居)月报截止日",
    ),
    _p(
        "reports.township_to_county_due",
        "enum",
        "Township report to the county is due",
        "乡镇报县时限",
        choices=("month_end",),
    ),
    _p(
        "reports.monthly_statistics_due_day",
        "day_of_month",
        "Monthly statistics (previous month, not cumulative) are due by this day",
        "月度统计报送截止日",
    ),
    _p(
        "price_linkage.cpi_trigger",
        "ratio",
        "CPI rise (year on year, one month) that starts price subsidies",
        "价格联动CPI启动条件",
    ),
    _p(
        "price_linkage.food_cpi_trigger",
        "ratio",
        "Food CPI rise that starts price subsidies",
        "价格联动食品CPI启动条件",
    ),
    _p("hotline.levels", "count", "Levels of the complaint hotline", "投诉举报热线层级"),
)


# What doudi does not act on yet. A path listed here has values that doudi records, resolves and
# shows, but no step or decision reads; the API (``applied``, ``notAppliedNote``) and the CLI
# (``doudi policy catalog/get/show``) say so beside it, never silently. A test fails when a path
# with values anywhere is neither read by code nor listed here, or is listed and read.
RECORDED_NOT_APPLIED = "recorded, not yet applied by doudi"
NOT_YET_APPLIED: Mapping[str, str] = MappingProxyType(
    {
        "price_linkage.cpi_trigger": (
            "doudi pays no price subsidies (价格临时补贴) and holds no CPI figures: the trigger is "
            "recorded and shown for reference only"
        ),
        "price_linkage.food_cpi_trigger": (
            "doudi pays no price subsidies (价格临时补贴) and holds no food-price index: the "
            "trigger is recorded and shown for reference only"
        ),
        "hotline.levels": (
            "doudi records no complaints, reports or hotline calls (投诉举报): the number of "
            "hotline levels is recorded and shown for reference only"
        ),
    }
)


def applied(path: str) -> bool:
    """Whether doudi acts on ``path`` (see :data:`NOT_YET_APPLIED`)."""
    return path not in NOT_YET_APPLIED


def not_applied_note(path: str) -> str:
    """ "" for a path doudi acts on; else "recorded, not yet applied by doudi: <why>"."""
    why = NOT_YET_APPLIED.get(path)
    return "" if why is None else f"{RECORDED_NOT_APPLIED}: {why}"


# Paths whose national value is a floor: a province or county adds to the national list but does
# not take from it (the national rule is later, or the local text does not say it narrows).
# ``dibao.single_person.conditions``: 审核确认办法 art. 8 lets these persons apply alone wherever
# they live, and 民发〔2022〕83号 一(一) adds jobless adults with a severe disability; a provincial
# list written before or beside them names its own groups, it does not withdraw the national
# ones. ``dibao.income.deductions``: wages are counted net of the necessary employment cost
# (审核确认办法 art. 13(一): 扣除必要的就业成本), which is the definition of wage income, not a
# local option. The eligibility engine applies the union and names the layer of each item.
NATIONAL_FLOOR_PATHS = frozenset({"dibao.single_person.conditions", "dibao.income.deductions"})


# Local governments set amounts each year (standards and limits in yuan) and record them as local
# settings. Procedural rules — who confirms, time limits, ratios, phase-out lengths — come from
# policy documents and are shipped as plugin data, so no local setting can switch a province's
# chain off.
LOCALLY_SET_UNITS = frozenset({"yuan_per_month", "yuan"})


def locally_settable(spec: ParameterSpec) -> bool:
    """Whether an official may record ``spec`` as a local setting."""
    return spec.unit in LOCALLY_SET_UNITS


class Catalog(Mapping[str, ParameterSpec]):
    """An ordered, read-only mapping from path to spec, with prefix look-ups."""

    def __init__(self, specs: Iterable[ParameterSpec]) -> None:
        self._specs: dict[str, ParameterSpec] = {}
        for spec in specs:
            if spec.path in self._specs:
                raise ValueError(f"parameter '{spec.path}' declared twice")
            self._specs[spec.path] = spec

    def __getitem__(self, path: str) -> ParameterSpec:
        return self._specs[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def spec(self, path: str) -> ParameterSpec:
        """The spec of ``path``; an unknown path raises :class:`UnknownParameter` with hints."""
        try:
            return self._specs[path]
        except KeyError:
            raise UnknownParameter(self.unknown_message(path)) from None

    def paths(self, prefix: str | None = None) -> list[str]:
        """Paths in catalog order, optionally those equal to or under ``prefix``."""
        if not prefix:
            return list(self._specs)
        prefix = prefix.rstrip(".")
        under = prefix + "."
        found = [p for p in self._specs if p == prefix or p.startswith(under)]
        if not found:
            raise UnknownParameter(f"no catalog parameter under prefix '{prefix}'")
        return found

    def unknown_message(self, path: str) -> str:
        import difflib

        close = difflib.get_close_matches(path, self._specs, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown parameter path '{path}'{hint}"


def check_value(spec: ParameterSpec, value: Any) -> str | None:
    """Why ``value`` is not a valid value of ``spec``, or None if it is. (None values are ends.)"""
    if spec.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if spec.type in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a{'n integer' if spec.type == 'integer' else ' number'}"
        if spec.type == "integer" and not float(value).is_integer():
            return "must be an integer"
        if spec.minimum is not None and value < spec.minimum:
            return f"must be at least {spec.minimum:g}"
        if spec.maximum is not None and value > spec.maximum:
            return f"must be at most {spec.maximum:g}"
        return None
    if spec.type == "enum":
        return None if value in spec.choices else f"must be one of {', '.join(spec.choices)}"
    if spec.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of strings"
        bad = [v for v in value if spec.choices and v not in spec.choices]
        if bad:
            return f"unknown item(s) {', '.join(bad)}; allowed: {', '.join(spec.choices)}"
        return None
    return f"unsupported type {spec.type}"  # pragma: no cover - ValueType is closed
