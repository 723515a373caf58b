"""Yongfu's monthly statistics table (附件: 全县困难群众救助保障政策落实专项治理进展情况统计表).

Every line of the table in its own wording, counted from what happened in the month only (case
events by their ``on`` date: "每个月的统计数据不要累计，只要填报当月发生的数据", 四(四)). A line the
platform's data cannot support (meetings, disciplinary measures, online applications) has no
value and says why — never a 0 that pretends. The lines on 脱贫人口 and 防止返贫监测对象,
the six tags, the data-warning marks and the risk-warning visits are counted from the low-income
register and the data comparisons (core.lowincome, core.exchange; ``MonthFacts.people``).

The table is declared through ``doudi_report_tables``; the core reads the month's case facts
from storage and computes the lines (GraphQL ``monthlyStatistics``, ``doudi reports
statistics``). It is kept for any Guangxi jurisdiction an official asks about (its own cases and
those under it) and is due only where the merged policy sets
``reports.monthly_statistics_due_day`` (Yongfu from 2023-07-04, by the 4th of the next month).

How each figure is counted (persons are distinct ID numbers covered by the cases):

- new urban / rural dibao: dibao confirmations (``confirm_case`` → active) in the month, persons
  covered, urban or rural by the household's ``area``;
- tekun placed in care: ``record_care_placement`` with ``mode`` ``centralised`` in the month;
- dispersed tekun visited: ``record_care_visit`` with ``kind`` ``visit`` in the month of a person
  not placed in centralised care at the time (no placement, or a dispersed one);
- temporary assistance given (人次): temporary cases first assisted in the month
  (``assist_first``, or ``confirm_case`` → granted without it), one per assistance;
- verifications: ``record_verification`` of an active (or phasing-out) dibao or tekun case;
- home visits: ``record_home_visit`` of an active (or phasing-out) case;
- township visits of the newly confirmed: persons of dibao and tekun cases confirmed in the month
  whose application had a home visit (``record_investigation``) by a township officer;
- near-relative filings: applications opened in the month that were filed (备案) as a near
  relative of staff, one applicant each.
"""

from __future__ import annotations

from core.plugin.api import (
    CaseFacts,
    Count,
    CountRule,
    Document,
    EventFact,
    MonthFacts,
    ReportTable,
    Source,
    TableRow,
    TableSection,
)

TABLE_ID = "guangxi.yongfu_monthly_statistics"
TITLE_ZH = "全县困难群众救助保障政策落实专项治理进展情况统计表"
TITLE = "Progress of the special campaign on assistance policies (monthly statistics table)"

# The case actions that put a case among the month's facts (the others are read for coverage).
EVENTS = (
    "open",
    "confirm_case",
    "assist_first",
    "record_care_placement",
    "record_care_visit",
    "record_verification",
    "record_home_visit",
)

SECTIONS = (
    TableSection("measures", "Work measures", "工作措施"),
    TableSection("duties", "Assistance duties fulfilled", "精准对照兜底保障职责落实情况"),
    TableSection("monitoring", "People under dynamic monitoring", "精准关注动态监测对象情况"),
    TableSection("screening", "Screening who needs assistance", "精准排查摸清救助对象情况"),
    TableSection("conduct", "Work-style problems", "精准聚焦工作作风问题专项治理情况"),
    TableSection("warnings", "Data warnings", "精准排查数据预警情况"),
)

# Why a line cannot be computed (the platform records none of it).
_NO_MEETINGS = "meetings held to deploy the work are not recorded in doudi"
_NO_ONLINE = (
    "not recorded: an application records neither whether it was made online (网上自助申请) nor "
    "through a window"
)
_NO_DISCIPLINE = "disciplinary and work-style measures are not recorded in doudi"


# -- counting --------------------------------------------------------------------------------------


def _new_dibao(area: str) -> CountRule:
    def count(m: MonthFacts) -> Count:
        dibao = m.of_program("dibao")
        counted = m.persons((c for c in dibao if c.area == area), m.confirmed_in_month)
        if area != "urban":
            return counted
        # Said once, on the first of the two lines.
        unknown = sum(
            1
            for c in dibao
            if c.area not in ("urban", "rural") and m.confirmed_in_month(c) is not None
        )
        if not unknown:
            return counted
        return Count(
            counted.value,
            counted.approximate,
            (f"{unknown} confirmed case(s) with no area not counted",),
        )

    return count


def _tekun_placed_in_care(m: MonthFacts) -> Count:
    def placed(c: CaseFacts) -> EventFact | None:
        return m.first_in_month(
            c,
            lambda e: e.action == "record_care_placement" and e.inputs.get("mode") == "centralised",
        )

    return m.persons(m.of_program("tekun"), placed)


def _tekun_dispersed_visited(m: MonthFacts) -> Count:
    def dispersed_visit(case: CaseFacts) -> EventFact | None:
        for e in case.events:
            if e.action != "record_care_visit" or e.inputs.get("kind") != "visit":
                continue
            if not m.in_month(e.on):
                continue
            placements = [
                p for p in case.events if p.action == "record_care_placement" and p.seq < e.seq
            ]
            if not placements or placements[-1].inputs.get("mode") != "centralised":
                return e
        return None

    return m.persons(m.of_program("tekun"), dispersed_visit)


def _first_assistance(case: CaseFacts) -> EventFact | None:
    """temporary: the first time assistance was given (assisted first, or granted)."""
    return next(
        (
            e
            for e in case.events
            if e.action == "assist_first"
            or (e.action == "confirm_case" and e.to_state == "granted")
        ),
        None,
    )


def _temporary_given(m: MonthFacts) -> Count:
    def given_in_month(case: CaseFacts) -> EventFact | None:
        e = _first_assistance(case)
        return e if e is not None and m.in_month(e.on) else None

    return m.cases_where(m.of_program("temporary"), given_in_month)


def _verifications(m: MonthFacts) -> Count:
    return m.persons(m.of_program("dibao", "tekun"), m.on_beneficiary("record_verification"))


def _home_visits(m: MonthFacts) -> Count:
    return m.persons(m.cases, m.on_beneficiary("record_home_visit"))


def _township_visits_new(m: MonthFacts) -> Count:
    def township_visited(case: CaseFacts) -> EventFact | None:
        confirmed = m.confirmed_in_month(case)
        if confirmed is None:
            return None
        visited = any(
            e.action == "record_investigation"
            and e.role == "township_officer"
            and e.seq < confirmed.seq
            for e in case.events
        )
        return confirmed if visited else None

    return m.persons(m.of_program("dibao", "tekun"), township_visited)


def _near_relative_filings(m: MonthFacts) -> Count:
    def filed_in_month(case: CaseFacts) -> EventFact | None:
        if not case.data.get("filed"):
            return None
        return m.first_in_month(case, lambda e: e.action == "open")

    return m.cases_where(m.cases, filed_in_month)


# -- the low-income register (core.lowincome): categories, tags, warning marks ------------------

POVERTY = "poverty_alleviated"  # 脱贫人口, the category this plugin adds
MONITORED = "relapse_monitoring"  # 防止返贫监测对象


def _confirmed_to(program: str, category: str) -> CountRule:
    def count(m: MonthFacts) -> Count:
        return m.persons_in_category(m.of_program(program), m.confirmed_in_month, category)

    return count


def _temporary_to(category: str) -> CountRule:
    def count(m: MonthFacts) -> Count:
        def given(case: CaseFacts) -> EventFact | None:
            e = _first_assistance(case)
            return e if e is not None and m.in_month(e.on) else None

        return m.cases_in_category(m.of_program("temporary"), given, category)

    return count


def _tagged(tag: str | None = None) -> CountRule:
    def count(m: MonthFacts) -> Count:
        return m.people_with("tagged", lambda e: tag is None or e.detail.get("tag") == tag)

    return count


def _marked(mark: str | None = None) -> CountRule:
    def count(m: MonthFacts) -> Count:
        return m.people_with(
            "marked",
            lambda e: bool(e.detail.get("marks")) and (mark is None or mark in e.detail["marks"]),
        )

    return count


def _risk_visits(m: MonthFacts) -> Count:
    return m.people_with(
        "reassessed",
        lambda e: bool(e.detail.get("homeVisit")) and bool(e.detail.get("wasFlagged")),
    )


_REGISTER = (
    "people on the low-income register (doudi lowincome) in that category on the day of the event: "
)
_TAG_NOTE = (
    "people whose register entry got the tag in the month (doudi lowincome tag, or a "
    "comparison finding closed with the tag)"
)
_MARK_NOTE = (
    "people a data comparison (doudi exchange compare) raised a finding on in the month: 低保标记 "
    "and 特困标记 for members of dibao and tekun cases, the register groups' marks (低保边缘户, "
    "支出型困难家庭) for people on the low-income register"
)

_NEW_DIBAO = (
    "persons covered by dibao confirmations (审核确认) dated in the month, households whose area "
    "is "
)
_NOTES = {
    "tekun_placed_in_care": (
        "tekun persons placed in centralised care (record_care_placement, mode centralised) in "
        "the month, whatever their age (the table asks for the elderly: 特困老人)"
    ),
    "tekun_dispersed_visited": (
        "tekun persons visited (record_care_visit, kind visit) in the month while not placed in "
        "centralised care, each once, whatever their age"
    ),
    "temporary_given": (
        "one per temporary assistance first given in the month (assisted first, or granted); "
        "the table asks this figure for 脱贫人口 and 防止返贫监测对象 only (lines above)"
    ),
    "verifications": (
        "persons covered by active dibao and tekun cases whose economic-status verification "
        "(核对) is recorded in the month"
    ),
    "home_visits": (
        "persons covered by active cases visited at home (record_home_visit) in the month"
    ),
    "township_visits_new": (
        "persons of dibao and tekun cases confirmed in the month whose application had the "
        "township's home visit (入户调查)"
    ),
    "near_relative_filings": (
        "applications opened in the month and filed (备案) as a near relative of staff, one "
        "applicant each"
    ),
}

ROWS: tuple[TableRow, ...] = (
    TableRow(
        "meeting",
        "measures",
        "Meeting held to deploy the work (date)",
        "本乡镇部署推进社会救助保障落实情况：召开会议进行部署情况",
        "月日",
        why=_NO_MEETINGS,
    ),
    TableRow(
        "new_urban_dibao",
        "duties",
        "New urban dibao beneficiaries",
        "本乡镇当月底新纳入城镇低保对象",
        "人",
        count=_new_dibao("urban"),
        note=_NEW_DIBAO + "urban",
    ),
    TableRow(
        "new_rural_dibao",
        "duties",
        "New rural dibao beneficiaries",
        "农村低保对象",
        "人",
        count=_new_dibao("rural"),
        note=_NEW_DIBAO + "rural",
    ),
    TableRow(
        "tekun_placed_in_care",
        "duties",
        "Tekun elderly placed in care institutions",
        "安排特困老人入住养老机构",
        "人",
        count=_tekun_placed_in_care,
        note=_NOTES["tekun_placed_in_care"],
    ),
    TableRow(
        "tekun_dispersed_visited",
        "duties",
        "Tekun elderly in dispersed care visited",
        "走访探视分散特困老人",
        "人",
        count=_tekun_dispersed_visited,
        note=_NOTES["tekun_dispersed_visited"],
    ),
    TableRow(
        "poverty_to_dibao",
        "duties",
        "People lifted out of poverty enrolled in dibao",
        "将符合条件的脱贫人口纳入城乡低保",
        "人",
        count=_confirmed_to("dibao", POVERTY),
        note=_REGISTER + "dibao confirmations in the month",
    ),
    TableRow(
        "poverty_to_tekun",
        "duties",
        "People lifted out of poverty enrolled in tekun",
        "将符合条件的脱贫人口…纳入特困供养",
        "人",
        count=_confirmed_to("tekun", POVERTY),
        note=_REGISTER + "tekun confirmations in the month",
    ),
    TableRow(
        "poverty_temporary",
        "duties",
        "People lifted out of poverty given temporary assistance",
        "将符合条件的脱贫人口…实施临时救助",
        "人次",
        count=_temporary_to(POVERTY),
        note=_REGISTER + "temporary assistance first given in the month, one per assistance",
    ),
    TableRow(
        "monitored_to_dibao",
        "duties",
        "People monitored against relapse enrolled in dibao",
        "将符合条件的防止返贫监测对象纳入城乡低保",
        "人",
        count=_confirmed_to("dibao", MONITORED),
        note=_REGISTER + "dibao confirmations in the month",
    ),
    TableRow(
        "monitored_to_tekun",
        "duties",
        "People monitored against relapse enrolled in tekun",
        "将符合条件的防止返贫监测对象…纳入特困供养",
        "人",
        count=_confirmed_to("tekun", MONITORED),
        note=_REGISTER + "tekun confirmations in the month",
    ),
    TableRow(
        "monitored_temporary",
        "duties",
        "People monitored against relapse given temporary assistance",
        "将符合条件的防止返贫监测对象…实施临时救助",
        "人次",
        count=_temporary_to(MONITORED),
        note=_REGISTER + "temporary assistance first given in the month, one per assistance",
    ),
    TableRow(
        "temporary_given",
        "duties",
        "Temporary assistance given (everyone)",
        "实施临时救助",
        "人次",
        count=_temporary_given,
        note=_NOTES["temporary_given"],
        in_table=False,
    ),
    TableRow(
        "tags_total",
        "monitoring",
        "Low-income people tagged in the information system",
        "当月底在社会救助信息管理系统对低收入人口共计…进行标记",
        "人",
        count=_tagged(),
        note=_TAG_NOTE + " (any of the six)",
    ),
    TableRow(
        "tag_rural_revitalisation",
        "monitoring",
        "of whom: rural-revitalisation monitoring",
        "乡村振兴防贫监测对象标记",
        "人",
        count=_tagged("乡村振兴防贫监测对象"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "tag_medical",
        "monitoring",
        "of whom: large medical spending",
        "大额医疗支出对象标记",
        "人",
        count=_tagged("大额医疗支出对象"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "tag_graduates",
        "monitoring",
        "of whom: graduates in difficulty",
        "困难毕业生对象标记",
        "人",
        count=_tagged("困难毕业生对象"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "tag_housing",
        "monitoring",
        "of whom: housing assistance",
        "住房救助标记",
        "人",
        count=_tagged("住房救助"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "tag_severe_disability",
        "monitoring",
        "of whom: severe disability (disabled persons' federation)",
        "残联重残对象标记",
        "人",
        count=_tagged("残联重残对象"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "tag_relocated",
        "monitoring",
        "of whom: relocated households",
        "易地搬迁对象标记",
        "人",
        count=_tagged("易地搬迁对象"),
        note=_TAG_NOTE,
    ),
    TableRow(
        "verifications",
        "monitoring",
        "Current dibao and tekun beneficiaries whose finances were verified",
        "对在享低保、特困救助对象…进行经济状况核对",
        "人",
        count=_verifications,
        note=_NOTES["verifications"],
    ),
    TableRow(
        "home_visits",
        "monitoring",
        "Beneficiaries visited at home (on-site check)",
        "对救助对象…开展实地入户核查",
        "人",
        count=_home_visits,
        note=_NOTES["home_visits"],
    ),
    TableRow(
        "risk_warning_visits",
        "screening",
        "Risk-warning monitored people visited at home",
        "当月对动态监测风险预警对象…开展精准入户排查",
        "人",
        count=_risk_visits,
        note=(
            "people flagged by dynamic monitoring (a finding or a changed fact) whose "
            "re-assessment with a home visit is recorded in the month"
        ),
    ),
    TableRow(
        "township_visits_new",
        "screening",
        "Newly confirmed beneficiaries visited at home by the township",
        "乡镇人民政府对新审核认定对象…进行入户调查",
        "人",
        count=_township_visits_new,
        note=_NOTES["township_visits_new"],
    ),
    TableRow(
        "online_applications",
        "conduct",
        "Online self-service applications accepted",
        "当月底受理…网上自助申请",
        "件",
        why=_NO_ONLINE,
    ),
    TableRow(
        "near_relative_filings",
        "conduct",
        "Near relatives of staff filed (备案)",
        "进行近亲属备案对象",
        "人",
        count=_near_relative_filings,
        note=_NOTES["near_relative_filings"],
    ),
    TableRow(
        "favouritism_fixed",
        "conduct",
        "Favouritism problems rectified",
        "整治“人情保”“关系保”、优亲厚友、吃拿卡要问题",
        "个",
        why=_NO_DISCIPLINE,
    ),
    TableRow(
        "clues_transferred",
        "conduct",
        "Problem clues transferred to discipline inspection",
        "配合纪检部门移交问题线索",
        "件",
        why=_NO_DISCIPLINE,
    ),
    TableRow(
        "criticised",
        "conduct",
        "People criticised and educated",
        "批评教育帮助",
        "人",
        why=_NO_DISCIPLINE,
    ),
    TableRow(
        "cases_publicised",
        "conduct",
        "Typical violation cases publicised",
        "通报典型违纪违法案例",
        "件",
        why=_NO_DISCIPLINE,
    ),
    TableRow(
        "warning_education",
        "conduct",
        "Warning-education sessions held",
        "开展警示教育",
        "次",
        why=_NO_DISCIPLINE,
    ),
    TableRow(
        "warnings_total",
        "warnings",
        "People tagged on verification data warnings",
        "当月在社会救助信息管理系统对核对数据预警…进行标记",
        "人",
        count=_marked(),
        note=_MARK_NOTE,
    ),
    TableRow(
        "warning_dibao",
        "warnings",
        "of whom: dibao",
        "低保标记",
        "人",
        count=_marked("低保标记"),
        note=_MARK_NOTE,
    ),
    TableRow(
        "warning_tekun",
        "warnings",
        "of whom: tekun",
        "特困标记",
        "人",
        count=_marked("特困标记"),
        note=_MARK_NOTE,
    ),
    TableRow(
        "warning_marginal",
        "warnings",
        "of whom: households on the margin of dibao",
        "低保边缘户",
        "人",
        count=_marked("低保边缘户"),
        note=_MARK_NOTE,
    ),
    TableRow(
        "warning_expenditure",
        "warnings",
        "of whom: households in expenditure hardship",
        "支出型困难家庭",
        "人",
        count=_marked("支出型困难家庭"),
        note=_MARK_NOTE,
    ),
)


def table(document: Document) -> ReportTable:
    """The table as ``doudi_report_tables`` returns it, citing ``document`` (the plan)."""
    return ReportTable(
        id=TABLE_ID,
        jurisdiction="450000",
        title=TITLE,
        title_zh=TITLE_ZH,
        sections=SECTIONS,
        rows=ROWS,
        source=Source(
            document,
            section="附件",
            quote=TITLE_ZH,
            note="The table the plan attaches (见附件); filled in every month by the 4th, that "
            "month's figures only (四(四)).",
        ),
        events=EVENTS,
        due_report="monthly_statistics",
    )
