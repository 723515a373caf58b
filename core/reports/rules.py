"""Reports officials owe, when they are due, and Guangxi's monthly statistics table; campaigns.

Pure: no I/O, every date is an argument. The storage side (reading case events for the
statistics) is :mod:`core.reports.store`.

**Report deadlines** (:func:`report_deadlines`), each from a catalog path of the merged policy:

- ``village_monthly`` — ``reports.village_monthly_due_day`` (Yangquan 2019, 二(四):
  "每月20日前向乡镇(街道办事处)报告救助对象家庭成员就业、收入…情况"): the village (residents')
  committee reports the month's changes in beneficiaries' families to the township by that day
  of the same month; the report covers the month it is due in.
- ``township_to_county`` — ``reports.township_to_county_due`` (same section:
  "民政助理员要对村(居)委上报的情况及时进行核查,于每月月底前报县级民政部门"): the township checks
  the villages' reports and passes them to the county by the end of the same month
  (``month_end``); it covers that month.
- ``monthly_statistics`` — ``reports.monthly_statistics_due_day`` (Yongfu 2023, 四(四) and
  附件: "每个月的统计数据不要累计，只要填报当月发生的数据", "于每月4日前填报"): the statistics
  table of one month, that month's figures only, due by that day of the next month. It is owed
  for a month only when the rule was already in force in that month (Yongfu's rule starts
  2023-07-04, so the first table is July's, due 2023-08-04 — "从7月起").

A day of month past the month's end (31 in April) falls on the month's last day. Where a path is
not set there is no deadline of that kind — never a guessed one.

**Monthly statistics** (:func:`compute_monthly_statistics`): every row of the 附件 table
全县困难群众救助保障政策落实专项治理进展情况统计表 of ``plugins/guangxi/source.txt``, in the table's
wording, computed from what happened in the month only (case events by their ``on`` date); a row
the platform's data cannot support has ``value`` None and says why — never a 0 that pretends.

**Campaigns** (:func:`campaign_phases`): the phases of plugins' campaigns (``doudi_campaigns``) that
overlap a window, at a jurisdiction or above it.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.calendars import windows
from core.eligibility import add_months, trace_entry
from core.errors import InvalidInput
from core.plugin.hookspecs import Campaign, CampaignPhase, TraceEntry
from core.policy.resolution import ResolvedParameter, ResolvedPolicy

PolicyAt = Callable[[dt.date], ResolvedPolicy]
"""The merged policy at one jurisdiction on a date, e.g. ``lambda d: base.resolve(code, d)``."""

P_VILLAGE = "reports.village_monthly_due_day"
P_TOWNSHIP = "reports.township_to_county_due"
P_STATISTICS = "reports.monthly_statistics_due_day"

VILLAGE_MONTHLY = "village_monthly"
TOWNSHIP_TO_COUNTY = "township_to_county"
MONTHLY_STATISTICS = "monthly_statistics"

# The longest window the API and the CLI accept for deadlines and campaigns (about 5 years).
MAX_WINDOW_DAYS = 1830


@dataclass(frozen=True, slots=True)
class _Kind:
    kind: str
    path: str
    title: str
    title_zh: str
    months_after: int  # the report is due this many months after the month it covers


KINDS: tuple[_Kind, ...] = (
    _Kind(
        VILLAGE_MONTHLY,
        P_VILLAGE,
        "Village monthly report to the township",
        "村(居)委会向乡镇(街道)月报救助对象家庭情况",
        0,
    ),
    _Kind(
        TOWNSHIP_TO_COUNTY,
        P_TOWNSHIP,
        "Township monthly report to the county civil-affairs department",
        "乡镇(街道)核查后报县级民政部门",
        0,
    ),
    _Kind(
        MONTHLY_STATISTICS,
        P_STATISTICS,
        "Monthly statistics table to the county (the month's figures, not cumulative)",
        "月度统计表报送(当月数据,不累计)",
        1,
    ),
)


@dataclass(frozen=True, slots=True)
class ReportDeadline:
    """A report due at a jurisdiction: what, for which month, by when, and the rule behind it."""

    kind: str  # "village_monthly" | "township_to_county" | "monthly_statistics"
    title: str
    title_zh: str
    jurisdiction: str  # the code it applies at
    period: str  # "YYYY-MM": the month the report covers
    due: dt.date
    parameter: TraceEntry  # path, value, layer, source behind the date


# -- months ------------------------------------------------------------------------------------

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> dt.date:
    """The first day of the month written ``YYYY-MM`` (INVALID_INPUT otherwise)."""
    m = _MONTH_RE.match(str(text).strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise InvalidInput(f"month: '{text}' is not a month; use YYYY-MM (e.g. 2023-08)")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(today: dt.date) -> dt.date:
    """The first day of the month before ``today``'s."""
    return add_months(today.replace(day=1), -1)


def check_window(start: dt.date, end: dt.date) -> None:
    """INVALID_INPUT unless [start, end] is a window of at most MAX_WINDOW_DAYS days within
    :data:`core.calendars.windows.FIRST_DAY` .. :data:`core.calendars.windows.LAST_DAY`."""
    windows.check_window(start, end, MAX_WINDOW_DAYS, "a report window")


# -- report deadlines --------------------------------------------------------------------------


def _fixed(policy: ResolvedPolicy) -> PolicyAt:
    """Without ``policy_at``: ``policy`` stands for every date (see :func:`report_deadlines`)."""

    def at(day: dt.date) -> ResolvedPolicy:
        return policy

    return at


def _param(policy_at: PolicyAt, code: str, path: str, day: dt.date) -> ResolvedParameter | None:
    """``path`` in force at ``code`` on ``day`` (None: not set, or not in effect that day)."""
    resolved = policy_at(day)
    if resolved.jurisdiction.code != code:
        raise InvalidInput(
            f"policy_at gave the policy of {resolved.jurisdiction.code}, not of {code}"
        )
    param = resolved.get(path)
    winner = param.winner
    if winner is None or not winner.in_effect(day):
        return None
    return param


def _due_day(kind: _Kind, value: Any, month_first: dt.date) -> dt.date | None:
    """The due date in the month starting ``month_first`` for the policy value ``value``."""
    last = month_end(month_first)
    if kind.path == P_TOWNSHIP:
        return last if value == "month_end" else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return month_first.replace(day=min(value, last.day))


def _deadlines_in_month(
    kind: _Kind, code: str, due_month: dt.date, policy_at: PolicyAt
) -> list[ReportDeadline]:
    """The deadlines of ``kind`` falling in the month starting ``due_month``.

    A value may start or end inside the month: the candidates are the values in force on its
    first and last days; a candidate counts when the rule in force on the due date it gives is
    that same value.
    """
    period_first = add_months(due_month, -kind.months_after)
    period_last = month_end(period_first)
    out: dict[dt.date, ReportDeadline] = {}
    for probe in (due_month, month_end(due_month)):
        candidate = _param(policy_at, code, kind.path, probe)
        if candidate is None:
            continue
        due = _due_day(kind, candidate.value, due_month)
        if due is None or due in out:
            continue
        param = _param(policy_at, code, kind.path, due)
        if param is None or param.value != candidate.value:
            continue
        winner = param.winner
        assert winner is not None  # _param returns set parameters only
        if due > period_last and winner.in_force_since > period_last:
            continue  # the month it would cover was before the rule: nothing is owed for it
        out[due] = ReportDeadline(
            kind=kind.kind,
            title=kind.title,
            title_zh=kind.title_zh,
            jurisdiction=code,
            period=month_key(period_first),
            due=due,
            parameter=trace_entry(param),
        )
    return list(out.values())


def report_deadlines(
    policy: ResolvedPolicy,
    start: dt.date,
    end: dt.date,
    *,
    policy_at: PolicyAt | None = None,
) -> list[ReportDeadline]:
    """Every report due in [start, end] at ``policy``'s jurisdiction, by due date then kind.

    The policy is read month by month, on the dates that matter (the first and last day of each
    month a report falls due in, and the due date itself), so a value that starts or ends inside
    the window is respected:

    - with ``policy_at`` (the merged policy at the same jurisdiction on any date, e.g.
      ``lambda d: base.resolve(code, d)``) every layer's changes are seen — pass it whenever the
      window is longer than a day;
    - without it only ``policy`` is known: each of its values counts on the dates it is in
      effect (its own from/until) and nowhere else; a value that a layer starts later than
      ``policy.as_of`` is not seen.
    """
    windows.check_window(start, end, MAX_WINDOW_DAYS, "a report window")
    at = policy_at or _fixed(policy)
    code = policy.jurisdiction.code
    found: list[ReportDeadline] = []
    month = start.replace(day=1)
    while month <= end:
        for kind in KINDS:
            found.extend(
                d for d in _deadlines_in_month(kind, code, month, at) if start <= d.due <= end
            )
        month = add_months(month, 1)
    order = {k.kind: i for i, k in enumerate(KINDS)}
    return sorted(found, key=lambda d: (d.due, order[d.kind], d.period))


# -- campaigns ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignPhaseEntry:
    """One phase of a plugin's campaign (``plugin``: the plugin that declared it)."""

    plugin: str
    campaign: Campaign
    phase: CampaignPhase


def phase_overlaps(phase: CampaignPhase, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether ``phase`` has a day in [start, end] (None: unbounded on that side)."""
    if end is not None and phase.start > end:
        return False
    return not (start is not None and phase.end is not None and phase.end < start)


def campaign_phases(
    campaigns: Iterable[tuple[str, Campaign]],
    chain: Iterable[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[CampaignPhaseEntry]:
    """The phases overlapping [start, end] of the campaigns running at a jurisdiction.

    ``chain`` is the jurisdiction's code and its ancestors' (a campaign at a county shows for the
    county and every place under it, never for its neighbours or its province); ``campaigns`` as
    :attr:`core.policy.service.PolicyBase.campaigns` holds them: ``(plugin, campaign)``.
    """
    codes = set(chain)
    out = [
        CampaignPhaseEntry(plugin, c, phase)
        for plugin, c in campaigns
        if c.jurisdiction in codes
        for phase in c.phases
        if phase_overlaps(phase, start, end)
    ]
    return sorted(out, key=lambda e: (e.phase.start, e.campaign.id))


# -- monthly statistics: the facts read from storage --------------------------------------------

ACTIVE_STATES = frozenset({"active", "phasing_out"})
CONFIRMED = "active"  # the state a dibao/tekun confirmation leads to


@dataclass(frozen=True, slots=True)
class EventFact:
    """One case event as the statistics read it (from ``case_events``)."""

    seq: int
    action: str
    on: dt.date
    from_state: str | None
    to_state: str
    role: str  # the acting official's role
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """A case with all its events (oldest first) and its household's area ("urban"/"rural")."""

    id: int
    program: str
    county: str
    area: str | None
    data: Mapping[str, Any]
    events: tuple[EventFact, ...]


@dataclass(frozen=True, slots=True)
class StatisticsRow:
    """One line of the statistics table.

    ``label_zh`` is the table's wording (``…`` joins words the table separates); ``unit_zh`` the
    unit it asks for (人, 人次, 件, 个, 次). ``value`` is None when the platform's data cannot
    support the figure, and ``why`` then says why; ``note`` says how a figure was counted.
    ``in_table`` is False for a line the platform adds to support the table's own lines.
    """

    key: str
    section: str
    section_zh: str
    label: str
    label_zh: str
    unit_zh: str
    value: int | None
    why: str | None = None
    note: str = ""
    in_table: bool = True


@dataclass(frozen=True, slots=True)
class MonthlyStatistics:
    """The statistics table of one jurisdiction and one month (that month's events only)."""

    jurisdiction: str
    jurisdiction_name: str
    month: str  # "YYYY-MM"
    start: dt.date
    end: dt.date
    rows: tuple[StatisticsRow, ...]
    due: ReportDeadline | None  # None: no statistics report is set there for that month

    def row(self, key: str) -> StatisticsRow:
        return next(r for r in self.rows if r.key == key)


TABLE_TITLE_ZH = "全县困难群众救助保障政策落实专项治理进展情况统计表"
TABLE_TITLE = "Progress of the special campaign on assistance policies (monthly statistics table)"

_SECTIONS = {
    "measures": ("Work measures", "工作措施"),
    "duties": ("Assistance duties fulfilled", "精准对照兜底保障职责落实情况"),
    "monitoring": ("People under dynamic monitoring", "精准关注动态监测对象情况"),
    "screening": ("Screening who needs assistance", "精准排查摸清救助对象情况"),
    "conduct": ("Work-style problems", "精准聚焦工作作风问题专项治理情况"),
    "warnings": ("Data warnings", "精准排查数据预警情况"),
}

# Why a row cannot be computed (the platform records none of it).
_NO_MEETINGS = "meetings held to deploy the work are not recorded in doudi"
_NO_POVERTY = (
    "doudi's household records do not say who is a person lifted out of poverty (脱贫人口)"
)
_NO_MONITORED = (
    "doudi's household records do not say who is monitored against relapse into poverty "
    "(防止返贫监测对象)"
)
_NO_TAGS = (
    "tags set in the social-assistance information system (社会救助信息管理系统) are not recorded "
    "in doudi"
)
_NO_WARNINGS = (
    "data warnings of the verification system (核对数据预警) and their tags are not recorded in "
    "doudi"
)
_NO_RISK = "dynamic-monitoring risk warnings (动态监测风险预警对象) are not recorded in doudi"
_NO_ONLINE = (
    "not recorded: an application records neither whether it was made online (网上自助申请) nor "
    "through a window"
)
_NO_DISCIPLINE = "disciplinary and work-style measures are not recorded in doudi"


@dataclass(frozen=True, slots=True)
class _Row:
    key: str
    section: str
    label: str
    label_zh: str
    unit_zh: str
    why: str | None = None  # set: the platform cannot compute the row
    in_table: bool = True


ROWS: tuple[_Row, ...] = (
    _Row("meeting", "measures", "Meeting held to deploy the work (date)",
         "本乡镇部署推进社会救助保障落实情况：召开会议进行部署情况", "月日", _NO_MEETINGS),
    _Row("new_urban_dibao", "duties", "New urban dibao beneficiaries",
         "本乡镇当月底新纳入城镇低保对象", "人"),
    _Row("new_rural_dibao", "duties", "New rural dibao beneficiaries", "农村低保对象", "人"),
    _Row("tekun_placed_in_care", "duties", "Tekun elderly placed in care institutions",
         "安排特困老人入住养老机构", "人"),
    _Row("tekun_dispersed_visited", "duties", "Tekun elderly in dispersed care visited",
         "走访探视分散特困老人", "人"),
    _Row("poverty_to_dibao", "duties", "People lifted out of poverty enrolled in dibao",
         "将符合条件的脱贫人口纳入城乡低保", "人", _NO_POVERTY),
    _Row("poverty_to_tekun", "duties", "People lifted out of poverty enrolled in tekun",
         "将符合条件的脱贫人口…纳入特困供养", "人", _NO_POVERTY),
    _Row("poverty_temporary", "duties",
         "People lifted out of poverty given temporary assistance",
         "将符合条件的脱贫人口…实施临时救助", "人次", _NO_POVERTY),
    _Row("monitored_to_dibao", "duties", "People monitored against relapse enrolled in dibao",
         "将符合条件的防止返贫监测对象纳入城乡低保", "人", _NO_MONITORED),
    _Row("monitored_to_tekun", "duties", "People monitored against relapse enrolled in tekun",
         "将符合条件的防止返贫监测对象…纳入特困供养", "人", _NO_MONITORED),
    _Row("monitored_temporary", "duties",
         "People monitored against relapse given temporary assistance",
         "将符合条件的防止返贫监测对象…实施临时救助", "人次", _NO_MONITORED),
    _Row("temporary_given", "duties", "Temporary assistance given (everyone)",
         "实施临时救助", "人次", in_table=False),
    _Row("tags_total", "monitoring", "Low-income people tagged in the information system",
         "当月底在社会救助信息管理系统对低收入人口共计…进行标记", "人", _NO_TAGS),
    _Row("tag_rural_revitalisation", "monitoring", "of whom: rural-revitalisation monitoring",
         "乡村振兴防贫监测对象标记", "人", _NO_TAGS),
    _Row("tag_medical", "monitoring", "of whom: large medical spending",
         "大额医疗支出对象标记", "人", _NO_TAGS),
    _Row("tag_graduates", "monitoring", "of whom: graduates in difficulty",
         "困难毕业生对象标记", "人", _NO_TAGS),
    _Row("tag_housing", "monitoring", "of whom: housing assistance", "住房救助标记", "人",
         _NO_TAGS),
    _Row("tag_severe_disability", "monitoring",
         "of whom: severe disability (disabled persons' federation)", "残联重残对象标记", "人",
         _NO_TAGS),
    _Row("tag_relocated", "monitoring", "of whom: relocated households", "易地搬迁对象标记",
         "人", _NO_TAGS),
    _Row("verifications", "monitoring",
         "Current dibao and tekun beneficiaries whose finances were verified",
         "对在享低保、特困救助对象…进行经济状况核对", "人"),
    _Row("home_visits", "monitoring", "Beneficiaries visited at home (on-site check)",
         "对救助对象…开展实地入户核查", "人"),
    _Row("risk_warning_visits", "screening", "Risk-warning monitored people visited at home",
         "当月对动态监测风险预警对象…开展精准入户排查", "人", _NO_RISK),
    _Row("township_visits_new", "screening",
         "Newly confirmed beneficiaries visited at home by the township",
         "乡镇人民政府对新审核认定对象…进行入户调查", "人"),
    _Row("online_applications", "conduct", "Online self-service applications accepted",
         "当月底受理…网上自助申请", "件", _NO_ONLINE),
    _Row("near_relative_filings", "conduct", "Near relatives of staff filed (备案)",
         "进行近亲属备案对象", "人"),
    _Row("favouritism_fixed", "conduct", "Favouritism problems rectified",
         "整治“人情保”“关系保”、优亲厚友、吃拿卡要问题", "个", _NO_DISCIPLINE),
    _Row("clues_transferred", "conduct", "Problem clues transferred to discipline inspection",
         "配合纪检部门移交问题线索", "件", _NO_DISCIPLINE),
    _Row("criticised", "conduct", "People criticised and educated", "批评教育帮助", "人",
         _NO_DISCIPLINE),
    _Row("cases_publicised", "conduct", "Typical violation cases publicised",
         "通报典型违纪违法案例", "件", _NO_DISCIPLINE),
    _Row("warning_education", "conduct", "Warning-education sessions held", "开展警示教育",
         "次", _NO_DISCIPLINE),
    _Row("warnings_total", "warnings", "People tagged on verification data warnings",
         "当月在社会救助信息管理系统对核对数据预警…进行标记", "人", _NO_WARNINGS),
    _Row("warning_dibao", "warnings", "of whom: dibao", "低保标记", "人", _NO_WARNINGS),
    _Row("warning_tekun", "warnings", "of whom: tekun", "特困标记", "人", _NO_WARNINGS),
    _Row("warning_marginal", "warnings", "of whom: households on the margin of dibao",
         "低保边缘户", "人", _NO_WARNINGS),
    _Row("warning_expenditure", "warnings", "of whom: households in expenditure hardship",
         "支出型困难家庭", "人", _NO_WARNINGS),
)  # fmt: skip


# -- monthly statistics: counting ----------------------------------------------------------------


class _Covered:
    """Persons a case covers right after one of its events.

    A step that sets the members covered may record them in its inputs (``membersCovered``);
    where it does not, they are the case's members covered now with the covered members who died
    after that event added back. A later review may have changed whom the case covers: such a
    count is marked approximate (events before it do not record the members).
    """

    def __init__(self) -> None:
        self.approximate: set[int] = set()

    def __call__(self, case: CaseFacts, seq: int) -> set[str]:
        recorded = [
            e
            for e in case.events
            if e.seq <= seq and isinstance(e.inputs.get("membersCovered"), list)
        ]
        if recorded:
            base = recorded[-1]
            members = {str(m) for m in base.inputs["membersCovered"]}
            for e in case.events:
                if base.seq < e.seq <= seq and e.action == "record_death":
                    members.discard(str(e.inputs.get("idNumber")))
            return members
        members = {str(m) for m in case.data.get("membersCovered") or ()}
        for e in case.events:
            if e.seq <= seq:
                continue
            if e.action == "record_death" and e.inputs.get("wasCovered"):
                members.add(str(e.inputs.get("idNumber")))
            elif e.action == "record_review" and e.to_state == "active":
                self.approximate.add(case.id)
        return members


def _in(day: dt.date, start: dt.date, end: dt.date) -> bool:
    return start <= day <= end


def _persons(
    cases: Iterable[CaseFacts], pick: Callable[[CaseFacts], EventFact | None]
) -> tuple[int, set[int]]:
    """Distinct persons covered by the cases for which ``pick`` finds an event (counted right
    after that event), and the cases whose count is approximate (see :class:`_Covered`)."""
    covered = _Covered()
    people: set[str] = set()
    for case in cases:
        event = pick(case)
        if event is not None:
            people |= covered(case, event.seq)
    return len(people), covered.approximate


def _first(
    case: CaseFacts, start: dt.date, end: dt.date, test: Callable[[EventFact], bool]
) -> EventFact | None:
    return next((e for e in case.events if _in(e.on, start, end) and test(e)), None)


def _confirmation(case: CaseFacts) -> EventFact | None:
    return next(
        (e for e in case.events if e.action == "confirm_case" and e.to_state == CONFIRMED), None
    )


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


def compute_monthly_statistics(
    jurisdiction: str,
    jurisdiction_name: str,
    month: dt.date,
    cases: Iterable[CaseFacts],
    due: ReportDeadline | None = None,
) -> MonthlyStatistics:
    """The statistics table for the month of ``month`` from ``cases`` (each with all its events:
    only events dated in that month are counted, never earlier ones — the table is not
    cumulative).

    How each figure is counted (persons are distinct ID numbers covered by the cases):

    - new urban / rural dibao: dibao confirmations (``confirm_case`` → active) in the month,
      persons covered, urban or rural by the household's ``area``;
    - tekun placed in care: ``record_care_placement`` with ``mode`` ``centralised`` in the month;
    - dispersed tekun visited: ``record_care_visit`` with ``kind`` ``visit`` in the month of a
      person not placed in centralised care at the time (no placement, or a dispersed one);
    - temporary assistance given (人次): temporary cases first assisted in the month
      (``assist_first``, or ``confirm_case`` → granted without it), one per assistance;
    - verifications: ``record_verification`` of an active (or phasing-out) dibao or tekun case;
    - home visits: ``record_home_visit`` of an active (or phasing-out) case;
    - township visits of the newly confirmed: persons of dibao and tekun cases confirmed in the
      month whose application had a home visit (``record_investigation``) by a township officer;
    - near-relative filings: applications opened in the month that were filed (备案) as a near
      relative of staff, one applicant each.
    """
    start, end = month.replace(day=1), month_end(month)
    facts = list(cases)
    by_program: dict[str, list[CaseFacts]] = {}
    for c in facts:
        by_program.setdefault(c.program, []).append(c)
    dibao, tekun = by_program.get("dibao", []), by_program.get("tekun", [])
    temporary = by_program.get("temporary", [])

    def confirmed_in_month(case: CaseFacts) -> EventFact | None:
        e = _confirmation(case)
        return e if e is not None and _in(e.on, start, end) else None

    values: dict[str, int] = {}
    notes: dict[str, str] = {}
    approximate: dict[str, set[int]] = {}

    def persons(
        key: str, of: Iterable[CaseFacts], pick: Callable[[CaseFacts], EventFact | None]
    ) -> None:
        values[key], approximate[key] = _persons(of, pick)

    for area, key in (("urban", "new_urban_dibao"), ("rural", "new_rural_dibao")):
        persons(key, (c for c in dibao if c.area == area), confirmed_in_month)
        notes[key] = (
            f"persons covered by dibao confirmations (审核确认) dated in the month, households "
            f"whose area is {area}"
        )
    unknown_area = sum(
        1 for c in dibao if c.area not in ("urban", "rural") and confirmed_in_month(c)
    )
    if unknown_area:
        notes["new_urban_dibao"] += f"; {unknown_area} confirmed case(s) with no area not counted"

    persons(
        "tekun_placed_in_care",
        tekun,
        lambda c: _first(
            c,
            start,
            end,
            lambda e: e.action == "record_care_placement" and e.inputs.get("mode") == "centralised",
        ),
    )
    notes["tekun_placed_in_care"] = (
        "tekun persons placed in centralised care (record_care_placement, mode centralised) in "
        "the month, whatever their age (the table asks for the elderly: 特困老人)"
    )

    def dispersed_visit(case: CaseFacts) -> EventFact | None:
        for e in case.events:
            if e.action != "record_care_visit" or e.inputs.get("kind") != "visit":
                continue
            if not _in(e.on, start, end):
                continue
            placements = [
                p for p in case.events if p.action == "record_care_placement" and p.seq < e.seq
            ]
            if not placements or placements[-1].inputs.get("mode") != "centralised":
                return e
        return None

    persons("tekun_dispersed_visited", tekun, dispersed_visit)
    notes["tekun_dispersed_visited"] = (
        "tekun persons visited (record_care_visit, kind visit) in the month while not placed in "
        "centralised care, each once, whatever their age"
    )

    values["temporary_given"] = sum(
        1 for c in temporary if (e := _first_assistance(c)) is not None and _in(e.on, start, end)
    )
    notes["temporary_given"] = (
        "one per temporary assistance first given in the month (assisted first, or granted); "
        "the table asks this figure for 脱贫人口 and 防止返贫监测对象 only (lines above)"
    )

    def on_beneficiary(action: str) -> Callable[[CaseFacts], EventFact | None]:
        return lambda c: _first(
            c, start, end, lambda e: e.action == action and e.from_state in ACTIVE_STATES
        )

    persons("verifications", [*dibao, *tekun], on_beneficiary("record_verification"))
    notes["verifications"] = (
        "persons covered by active dibao and tekun cases whose economic-status verification "
        "(核对) is recorded in the month"
    )
    persons("home_visits", facts, on_beneficiary("record_home_visit"))
    notes["home_visits"] = (
        "persons covered by active cases visited at home (record_home_visit) in the month"
    )

    def township_visited(case: CaseFacts) -> EventFact | None:
        confirmed = confirmed_in_month(case)
        if confirmed is None:
            return None
        visited = any(
            e.action == "record_investigation"
            and e.role == "township_officer"
            and e.seq < confirmed.seq
            for e in case.events
        )
        return confirmed if visited else None

    persons("township_visits_new", [*dibao, *tekun], township_visited)
    notes["township_visits_new"] = (
        "persons of dibao and tekun cases confirmed in the month whose application had the "
        "township's home visit (入户调查)"
    )

    values["near_relative_filings"] = sum(
        1
        for c in facts
        if c.data.get("filed")
        and any(e.action == "open" and _in(e.on, start, end) for e in c.events)
    )
    notes["near_relative_filings"] = (
        "applications opened in the month and filed (备案) as a near relative of staff, one "
        "applicant each"
    )

    for key, ids in approximate.items():
        if ids:
            notes[key] += (
                "; approximate: a later review changed whom case(s) "
                + ", ".join(str(i) for i in sorted(ids))
                + " cover, and the events before it do not record the members"
            )

    rows = tuple(
        StatisticsRow(
            key=r.key,
            section=_SECTIONS[r.section][0],
            section_zh=_SECTIONS[r.section][1],
            label=r.label,
            label_zh=r.label_zh,
            unit_zh=r.unit_zh,
            value=None if r.why else values[r.key],
            why=r.why,
            note=notes.get(r.key, ""),
            in_table=r.in_table,
        )
        for r in ROWS
    )
    return MonthlyStatistics(
        jurisdiction=jurisdiction,
        jurisdiction_name=jurisdiction_name,
        month=month_key(start),
        start=start,
        end=end,
        rows=rows,
        due=due,
    )


def statistics_due(policy_at: PolicyAt, month: dt.date) -> ReportDeadline | None:
    """When the statistics of ``month`` are due at ``policy_at``'s jurisdiction (None: no
    statistics report is set there for that month)."""
    due_month = add_months(month.replace(day=1), 1)
    period = month_key(month)
    found = report_deadlines(
        policy_at(due_month), due_month, month_end(due_month), policy_at=policy_at
    )
    return next((d for d in found if d.kind == MONTHLY_STATISTICS and d.period == period), None)


# -- CSV ---------------------------------------------------------------------------------------

CSV_HEADER = ("项目", "item", "value", "note")


def statistics_csv(stats: MonthlyStatistics) -> str:
    """The table as CSV text (columns 项目 / item / value / note; an empty value is a figure the
    platform cannot give, its note says why). Write it as UTF-8 with a BOM (``utf-8-sig``) so
    that spreadsheet programs read the Chinese text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    w.writerow(
        ["填报单位", "reporting unit", f"{stats.jurisdiction} {stats.jurisdiction_name}", ""]
    )
    w.writerow(
        ["统计月份", "month", stats.month, "当月发生的数据,不累计 (the month's figures only)"]
    )
    if stats.due is not None:
        source = stats.due.parameter.source
        cite = "" if source is None else f"{source.document.title} {source.section}".strip()
        w.writerow(["报送截止", "due by", stats.due.due.isoformat(), cite])
    for r in stats.rows:
        item = f"{r.label_zh}({r.unit_zh})"
        w.writerow(
            [
                item if r.in_table else f"{item} [not a line of the table]",
                f"{r.section}: {r.label}",
                "" if r.value is None else str(r.value),
                r.why if r.value is None and r.why else r.note,
            ]
        )
    return buf.getvalue()


def statistics_to_json(stats: MonthlyStatistics) -> dict[str, Any]:
    return {
        "jurisdiction": stats.jurisdiction,
        "jurisdictionName": stats.jurisdiction_name,
        "month": stats.month,
        "from": stats.start.isoformat(),
        "to": stats.end.isoformat(),
        "title": TABLE_TITLE,
        "titleZh": TABLE_TITLE_ZH,
        "due": None if stats.due is None else deadline_to_json(stats.due),
        "rows": [
            {
                "key": r.key,
                "section": r.section,
                "sectionZh": r.section_zh,
                "label": r.label,
                "labelZh": r.label_zh,
                "unitZh": r.unit_zh,
                "value": r.value,
                "why": r.why,
                "note": r.note,
                "inTable": r.in_table,
            }
            for r in stats.rows
        ],
    }


def deadline_to_json(d: ReportDeadline) -> dict[str, Any]:
    from core.eligibility.json import trace_to_json

    return {
        "kind": d.kind,
        "title": d.title,
        "titleZh": d.title_zh,
        "jurisdiction": d.jurisdiction,
        "period": d.period,
        "due": d.due.isoformat(),
        "parameter": trace_to_json(d.parameter),
    }


def phase_to_json(e: CampaignPhaseEntry) -> dict[str, Any]:
    from core.eligibility.json import source_to_json

    c = e.campaign
    return {
        "campaign": c.id,
        "plugin": e.plugin,
        "jurisdiction": c.jurisdiction,
        "title": c.title,
        "titleZh": c.title_zh,
        "phase": e.phase.name,
        "phaseZh": e.phase.name_zh,
        "start": e.phase.start.isoformat(),
        "end": None if e.phase.end is None else e.phase.end.isoformat(),
        "source": source_to_json(c.source),
    }


__all__ = [
    "KINDS",
    "MAX_WINDOW_DAYS",
    "MONTHLY_STATISTICS",
    "ROWS",
    "TOWNSHIP_TO_COUNTY",
    "VILLAGE_MONTHLY",
    "CampaignPhaseEntry",
    "CaseFacts",
    "EventFact",
    "MonthlyStatistics",
    "PolicyAt",
    "ReportDeadline",
    "StatisticsRow",
    "campaign_phases",
    "check_window",
    "compute_monthly_statistics",
    "deadline_to_json",
    "month_end",
    "month_key",
    "parse_month",
    "phase_overlaps",
    "phase_to_json",
    "previous_month",
    "report_deadlines",
    "statistics_csv",
    "statistics_due",
    "statistics_to_json",
]
