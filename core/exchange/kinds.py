"""The catalog of department data kinds (pure): what each department sends, its record schema,
and what a match with a person doudi pays or registers means — for which program, under which
rule, by whom it is verified and by when, and the document behind it.

Where no document sets what a match implies (which vehicles or businesses disqualify a
household is left to local rules the documents do not give), the meaning says so in
``not_set``; the finding repeats it to the official instead of applying a rule nobody wrote.

Every kind's records are normalised to the same columns for matching (:data:`RECORD_COLUMNS`):
``on`` (the kind's date field), ``grade``, ``status`` and ``place`` hold the fields a condition
reads; ``key`` identifies the same record across batches (a later batch repeating it raises no
new finding); ``record`` is the row as JSON (what the official reads).

Plugins add kinds through the ``doudi_data_kinds`` hook (:func:`catalog`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.errors import InvalidInput

# Departments a batch may come from: code → name.
DEPARTMENTS: dict[str, str] = {
    "gongan": "公安",
    "binzang": "殡葬",
    "weijian": "卫健",
    "shichang": "市场监管",
    "zhujian": "住建",
    "budongchan": "不动产登记",
    "renshe": "人社",
    "gongjijin": "住房公积金",
    "caizheng": "财政",
    "yibao": "医保",
    "canlian": "残联",
    "jiaoyu": "教育",
    "xiangcun": "乡村振兴",
    "fagai": "发展改革",
}

RECORD_COLUMNS = ("id_number", "name", "kind", "key", "on", "grade", "status", "place", "record")

SEVERITIES = ("high", "medium", "low")
PROGRAMS = ("dibao", "tekun", "low_income")


@dataclass(frozen=True, slots=True)
class Cite:
    """A document, its section and its own words."""

    document: str
    section: str
    quote: str


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A column of a kind's file: its Chinese header, type, and the normalised column it fills
    (``on``, ``grade``, ``status``, ``place``; "" = kept in ``record`` only)."""

    header: str
    type: str  # text / date / money / int
    required: bool = False
    fills: str = ""
    key: bool = False  # part of the record's identity


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a match means for one program."""

    program: str  # dibao / tekun / low_income
    rule: str  # stable id, e.g. "deaths.recipient_died"
    severity: str
    summary: str
    summary_zh: str
    action: str  # what resolves it: record_death / review / update_household / tag / exit
    sources: tuple[Cite, ...]
    not_set: str = ""  # where no document sets what the match implies
    deadline_path: str | None = None  # a working_days catalog path for the task's due date
    level: str = "township"  # who verifies it
    tag: str | None = None  # the low-income tag an "update"/"tag" outcome sets


@dataclass(frozen=True, slots=True)
class DataKind:
    id: str
    title: str
    title_zh: str
    departments: tuple[str, ...]  # codes of DEPARTMENTS
    mode: str  # "events": every batch adds records; "state": a batch is the department's full
    # list on its date (only the newest batch of a department and jurisdiction is current)
    fields: tuple[FieldSpec, ...]
    condition: str  # the match condition (see core.exchange.matching.CONDITIONS)
    meanings: tuple[Meaning, ...]
    note: str = ""
    plugin: str = ""  # "" for the core's kinds

    def meaning(self, program: str) -> Meaning | None:
        return next((m for m in self.meanings if m.program == program), None)

    def problems(self) -> list[str]:
        out = []
        for d in self.departments:
            if d not in DEPARTMENTS:
                out.append(f"kind {self.id}: unknown department {d!r}")
        for m in self.meanings:
            if m.program not in PROGRAMS:
                out.append(f"kind {self.id}: meaning for unknown program {m.program!r}")
            if m.severity not in SEVERITIES:
                out.append(f"kind {self.id}: severity {m.severity!r}")
            if not m.sources and not m.not_set:
                out.append(f"kind {self.id} ({m.program}): give a source or say what is not set")
        if self.mode not in ("events", "state"):
            out.append(f"kind {self.id}: mode events or state")
        if not any(f.key for f in self.fields):
            out.append(f"kind {self.id}: no field identifies a record (key)")
        return out


# -- documents ---------------------------------------------------------------------------------

NATIONAL = "最低生活保障审核确认办法 (民政部 2021, 民发〔2021〕57号 commonly cited)"
TEKUN_RULES = "特困人员认定办法 (民政部 2021, 民发〔2021〕43号 commonly cited)"
QIANNAN = "黔南州民政局 关于开展2021年度低保年度核查暨社会救助相关工作通知 (2021)"
YANGQUAN = "阳泉市民政局 规范社会救助管理的通知 (2019-08-01)"
YUNNAN = "云南省民政厅 关于进一步做好社会救助兜底保障相关事项的通知 (2022-06-28)"
YONGFU = "永福县民政局 全县困难群众救助保障政策落实专项治理“精准抓、抓精准”工作方案 (2023-07-04)"
YONGNING = "永宁县困难群众基本生活保障工作实施方案 (永民发〔2020〕138号)"

ART17 = Cite(
    NATIONAL,
    "第十七条",
    "依法依规查询共同生活家庭成员的户籍、纳税记录、社会保险缴纳、不动产登记、市场主体登记、"
    "住房公积金缴纳、车船登记",
)
ART31 = Cite(
    NATIONAL,
    "第三十一条",
    "根据核查情况及时报县级人民政府民政部门办理最低生活保障金增发、减发、停发手续",
)
YANGQUAN_RECHECK = Cite(
    YANGQUAN,
    "二(一)",
    "由乡镇(街道办事处)组织人员入户核查,依复核情况及时报请县级民政部门停发、减发或增发补助金",
)
YONGFU_COMPARE = Cite(
    YONGFU,
    "二(三)",
    "运用数据比对结果，开展精准入户排查",
)
YONGFU_TAGS = Cite(
    YONGFU,
    "附件",
    "当月底在社会救助信息管理系统对低收入人口共计…进行标记",
)
DEADLINE_NOTE = (
    "no document sets a time limit for verifying a data-comparison finding; doudi takes the "
    "limit for starting an investigation of the household's economic status "
    "(dibao.investigation.start_within_working_days, 最低生活保障审核确认办法 第十五条), as the "
    "finding is verified by such an investigation"
)
_DIBAO_DEADLINE = "dibao.investigation.start_within_working_days"
_TEKUN_DEADLINE = "tekun.investigation.time_limit_working_days"


def _review(
    program: str,
    rule: str,
    summary: str,
    summary_zh: str,
    sources: tuple[Cite, ...],
    not_set: str = "",
    severity: str = "medium",
) -> Meaning:
    return Meaning(
        program,
        rule,
        severity,
        summary,
        summary_zh,
        "review",
        sources,
        not_set,
        _DIBAO_DEADLINE if program == "dibao" else _TEKUN_DEADLINE if program == "tekun" else None,
    )


def _for_cases(
    rule: str, summary: str, summary_zh: str, sources: tuple[Cite, ...], not_set: str = ""
) -> tuple[Meaning, ...]:
    return (
        _review("dibao", rule, summary, summary_zh, sources, not_set),
        _review("tekun", rule, summary, summary_zh, sources, not_set),
        Meaning(
            "low_income",
            rule,
            "medium",
            summary,
            summary_zh,
            "reassess",
            (*sources, YONGFU_COMPARE),
            not_set,
        ),
    )


def _tag(kind: str, tag: str, summary: str, extra: tuple[Cite, ...] = ()) -> Meaning:
    return Meaning(
        "low_income",
        f"{kind}.tag",
        "low",
        summary,
        f"标记: {tag}",
        "tag",
        (YONGFU_TAGS, *extra),
        tag=tag,
    )


_DEATH_SOURCES = (
    Cite(YONGFU, "二(六)", "死亡人员未按规定及时退出社会救助"),
    Cite(QIANNAN, "三", '健全完善动态监测、报告、处置机制,坚决遏制"死亡补贴"'),
    Cite(YUNNAN, "三(三)", "以“人情保”、“关系保”“死亡保”整治为重点"),
)
_VALUE_NOT_SET = (
    "which {what} a household may have is set by local rules (财产状况符合当地相关规定); no "
    "document in doudi gives them: the township checks the household and the county decides"
)

CORE_KINDS: tuple[DataKind, ...] = (
    DataKind(
        "deaths",
        "Deaths and cremations",
        "死亡人员(户籍注销、火化)",
        ("gongan", "binzang", "weijian"),
        "events",
        (
            FieldSpec("死亡日期", "date", True, "on", key=True),
            FieldSpec("火化日期", "date"),
            FieldSpec("信息来源", "text"),
        ),
        "death",
        (
            Meaning(
                "dibao",
                "deaths.recipient_died",
                "high",
                "a member of a household in payment is recorded dead by another department",
                "在保对象家庭成员已死亡(部门数据)",
                "record_death",
                _DEATH_SOURCES,
                deadline_path=_DIBAO_DEADLINE,
            ),
            Meaning(
                "tekun",
                "deaths.recipient_died",
                "high",
                "a member of a household in payment is recorded dead by another department",
                "在保对象家庭成员已死亡(部门数据)",
                "record_death",
                _DEATH_SOURCES,
                deadline_path=_TEKUN_DEADLINE,
            ),
            Meaning(
                "low_income",
                "deaths.registered_person_died",
                "medium",
                "a person on the low-income register is recorded dead",
                "低收入人口已死亡(部门数据)",
                "exit",
                _DEATH_SOURCES[:1],
            ),
        ),
        note="a death dated after the comparison date is not a finding yet; a death the "
        "household already records is not raised",
    ),
    DataKind(
        "moves",
        "Household-registration moves",
        "户籍迁移",
        ("gongan",),
        "events",
        (
            FieldSpec("迁移日期", "date", True, "on", key=True),
            FieldSpec("迁入地区代码", "text", False, "place"),
            FieldSpec("迁移类型", "text", False, "status"),
        ),
        "moved_away",
        _for_cases(
            "moves.registration_moved",
            "the person's household registration moved out of the county",
            "户籍已迁出本县",
            (ART17, YANGQUAN_RECHECK),
            "no document in doudi says a move ends assistance (Yunnan lets residence-permit "
            "holders apply where they live, 002 二(一)): the township checks where the household "
            "lives",
        ),
    ),
    DataKind(
        "vehicles",
        "Vehicle registrations",
        "车辆登记",
        ("gongan",),
        "state",
        (
            FieldSpec("号牌号码", "text", True, key=True),
            FieldSpec("车辆类型", "text", False, "status"),
            FieldSpec("登记日期", "date", False, "on"),
        ),
        "any",
        _for_cases(
            "vehicles.vehicle_registered",
            "a vehicle is registered to the person",
            "名下有登记车辆",
            (
                ART17,
                Cite(YANGQUAN, "二(五)", "建立救助对象购车、乘坐飞机出行方面的预警机制"),
            ),
            _VALUE_NOT_SET.format(what="vehicles"),
        ),
    ),
    DataKind(
        "business",
        "Business registrations",
        "市场主体登记",
        ("shichang",),
        "state",
        (
            FieldSpec("统一社会信用代码", "text", True, key=True),
            FieldSpec("市场主体名称", "text"),
            FieldSpec("登记状态", "text", False, "status"),
            FieldSpec("成立日期", "date", False, "on"),
        ),
        "business_active",
        _for_cases(
            "business.business_registered",
            "a business in operation is registered to the person",
            "名下有存续的市场主体",
            (ART17, ART31),
            _VALUE_NOT_SET.format(what="businesses")
            + "; business income counts (经营净收入, 第十三条)",
        ),
        note="a business whose 登记状态 is 注销 or 吊销 is not a finding",
    ),
    DataKind(
        "real_estate",
        "Real-estate registrations",
        "不动产登记",
        ("budongchan", "zhujian"),
        "state",
        (
            FieldSpec("不动产权证号", "text", True, key=True),
            FieldSpec("坐落", "text"),
            FieldSpec("建筑面积", "text"),
            FieldSpec("登记日期", "date", False, "on"),
        ),
        "any",
        _for_cases(
            "real_estate.property_registered",
            "real estate is registered to the person",
            "名下有不动产登记",
            (ART17,),
            _VALUE_NOT_SET.format(what="real estate"),
        ),
    ),
    DataKind(
        "social_insurance",
        "Social insurance and pensions",
        "社会保险(养老金)",
        ("renshe",),
        "state",
        (
            FieldSpec("险种", "text", True, "status", key=True),
            FieldSpec("参保状态", "text"),
            FieldSpec("月领取金额", "money"),
            FieldSpec("月缴费基数", "money"),
        ),
        "any",
        _for_cases(
            "social_insurance.insured",
            "the person is insured or draws a pension: the income must be counted",
            "有社会保险参保或养老金领取记录",
            (
                ART17,
                Cite(NATIONAL, "第十三条", "离退休金、失业保险金"),
                Cite(YONGNING, "4", "通过人社部门对申请人返岗复工、参加失业保险等相关信息进行核对"),
            ),
            "the basic pension of the urban and rural residents' scheme is not counted during "
            "the 14th five-year plan (第十三条 不计入); the official tells it apart",
        ),
    ),
    DataKind(
        "housing_fund",
        "Housing provident fund contributions",
        "住房公积金缴存",
        ("gongjijin",),
        "state",
        (
            FieldSpec("缴存单位", "text", True, key=True),
            FieldSpec("缴存状态", "text", False, "status"),
            FieldSpec("月缴存额", "money"),
        ),
        "any",
        _for_cases(
            "housing_fund.contributing",
            "an employer pays housing-fund contributions for the person (wages)",
            "有住房公积金缴存(工资性收入)",
            (ART17, Cite(NATIONAL, "第十三条", "工资性收入")),
            "no document in doudi says what a contribution implies beyond the wages it shows",
        ),
    ),
    DataKind(
        "public_payroll",
        "Public-payroll staff",
        "财政供养人员",
        ("caizheng",),
        "state",
        (
            FieldSpec("单位名称", "text", True, key=True),
            FieldSpec("职务", "text"),
            FieldSpec("月工资", "money"),
        ),
        "any",
        _for_cases(
            "public_payroll.on_payroll",
            "the person is paid from public funds (wages)",
            "财政供养人员(工资性收入)",
            (Cite(NATIONAL, "第十三条", "工资性收入"),),
            "no document in doudi bars the households of public employees; their wages count",
        ),
    ),
    DataKind(
        "large_medical",
        "Large medical expenses",
        "大额医疗费用",
        ("yibao",),
        "events",
        (
            FieldSpec("结算日期", "date", True, "on", key=True),
            FieldSpec("医疗总费用", "money", True, key=True),
            FieldSpec("个人自付", "money"),
            FieldSpec("病种", "text"),
        ),
        "any",
        (
            Meaning(
                "dibao",
                "large_medical.expense",
                "low",
                "large medical spending: where rigid spending is deducted the amount may rise",
                "大额医疗支出(刚性支出扣减)",
                "review",
                (
                    Cite(
                        YONGFU,
                        "二(二)",
                        "扣减医疗、教育、康复费用等刚性支出后符合条件的，整户纳入低保范围",
                    ),
                    Cite(QIANNAN, "一", "要加大与残联、医保、教育、卫生健康等部门动态数据比对"),
                ),
                "what counts as large is the department's list: no document in doudi sets a sum",
                _DIBAO_DEADLINE,
            ),
            _tag("large_medical", "大额医疗支出对象", "large medical spending"),
        ),
    ),
    DataKind(
        "disability",
        "Disability certificates",
        "残疾人证",
        ("canlian",),
        "state",
        (
            FieldSpec("残疾人证号", "text", True, key=True),
            FieldSpec("残疾类别", "text", True, "status"),
            FieldSpec("残疾等级", "int", True, "grade", key=True),
        ),
        "disability_differs",
        (
            Meaning(
                "dibao",
                "disability.not_recorded",
                "low",
                "the certificate's disability is not what the household records (single-person "
                "enrolment and deductions depend on it)",
                "残疾信息与家庭登记不一致",
                "update_household",
                (
                    Cite(QIANNAN, "一", "要加大与残联、医保、教育、卫生健康等部门动态数据比对"),
                    Cite(
                        NATIONAL, "第八条", "一级、二级重度残疾人和三级智力残疾人、三级精神残疾人"
                    ),
                ),
                deadline_path=_DIBAO_DEADLINE,
            ),
            _tag("disability", "残联重残对象", "severe disability (grades 1 and 2)"),
        ),
        note="for the tag only grades 1 and 2 (重残) count",
    ),
    DataKind(
        "students",
        "Students and graduates",
        "在校学生及毕业生",
        ("jiaoyu",),
        "state",
        (
            FieldSpec("学校", "text", True, key=True),
            FieldSpec("学段", "text", False, key=True),
            FieldSpec("在校状态", "text", False, "status"),
            FieldSpec("毕业年份", "int", False, "grade"),
        ),
        "student_differs",
        (
            Meaning(
                "dibao",
                "students.not_recorded",
                "low",
                "the person studies but the household does not record it (education costs, "
                "tekun minors in school)",
                "在校就读信息未登记",
                "update_household",
                (
                    Cite(YONGFU, "二(二)", "家中有重病、重残人员、高校就读生"),
                    Cite(QIANNAN, "一", "要加大与残联、医保、教育、卫生健康等部门动态数据比对"),
                ),
                deadline_path=_DIBAO_DEADLINE,
            ),
            Meaning(
                "tekun",
                "students.not_recorded",
                "low",
                "the person studies but the household does not record it (tekun minors keep "
                "support while in school)",
                "在校就读信息未登记",
                "update_household",
                (
                    Cite(
                        TEKUN_RULES,
                        "第二十四条",
                        "特困人员中的未成年人，可继续享有救助供养待遇至18周岁",
                    ),
                ),
                deadline_path=_TEKUN_DEADLINE,
            ),
            _tag("students", "困难毕业生对象", "a graduate (在校状态 毕业)"),
        ),
        note="the tag only for records whose 在校状态 is 毕业",
    ),
    DataKind(
        "housing_assistance",
        "Housing assistance",
        "住房救助对象",
        ("zhujian",),
        "state",
        (
            FieldSpec("救助项目", "text", True, "status", key=True),
            FieldSpec("批准日期", "date", False, "on"),
        ),
        "any",
        (_tag("housing_assistance", "住房救助", "housing assistance"),),
    ),
    DataKind(
        "relapse_monitoring",
        "People monitored against relapse into poverty",
        "防止返贫监测对象",
        ("xiangcun",),
        "state",
        (
            FieldSpec("监测类型", "text", True, "status", key=True),
            FieldSpec("纳入日期", "date", False, "on"),
        ),
        "any",
        (
            _tag(
                "relapse_monitoring",
                "乡村振兴防贫监测对象",
                "monitored against relapse into poverty",
                (Cite(YONGNING, "12", "建立家庭情况监测台账"),),
            ),
        ),
    ),
    DataKind(
        "relocation",
        "Relocated households",
        "易地搬迁对象",
        ("xiangcun", "fagai"),
        "state",
        (
            FieldSpec("安置点", "text", True, key=True),
            FieldSpec("搬迁日期", "date", False, "on"),
        ),
        "any",
        (_tag("relocation", "易地搬迁对象", "relocated household"),),
    ),
)


@dataclass(frozen=True, slots=True)
class Catalog:
    kinds: Mapping[str, DataKind] = field(default_factory=dict)

    def get(self, kind: str) -> DataKind:
        found = self.kinds.get(kind)
        if found is None:
            raise InvalidInput(
                f"unknown data kind {kind!r}; one of {', '.join(sorted(self.kinds))}"
            )
        return found

    def department(self, kind: DataKind, department: str) -> str:
        """The department's code, from its code or name; refused unless it sends ``kind``."""
        by_name = {v: k for k, v in DEPARTMENTS.items()}
        code = department if department in DEPARTMENTS else by_name.get(department)
        if code is None:
            raise InvalidInput(
                f"unknown department {department!r}; one of "
                + ", ".join(f"{k} ({v})" for k, v in DEPARTMENTS.items())
            )
        if code not in kind.departments:
            raise InvalidInput(
                f"{DEPARTMENTS[code]} does not send {kind.title_zh} ({kind.id}); it comes from "
                + ", ".join(DEPARTMENTS[d] for d in kind.departments)
            )
        return code


def catalog(extra: Iterable[DataKind] = ()) -> Catalog:
    """The core's kinds and those plugins add (``doudi_data_kinds``); a plugin's kind that
    reuses an id or is malformed is an error naming it."""
    kinds = {k.id: k for k in CORE_KINDS}
    problems: list[str] = []
    for k in extra:
        if k.id in kinds:
            problems.append(f"plugin {k.plugin or '?'}: data kind {k.id!r} exists already")
            continue
        problems.extend(f"plugin {k.plugin or '?'}: {p}" for p in k.problems())
        kinds[k.id] = k
    if problems:
        raise InvalidInput("; ".join(problems))
    return Catalog(kinds)


__all__ = [
    "CORE_KINDS",
    "DEADLINE_NOTE",
    "DEPARTMENTS",
    "RECORD_COLUMNS",
    "Catalog",
    "Cite",
    "DataKind",
    "FieldSpec",
    "Meaning",
    "catalog",
]
