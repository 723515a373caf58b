"""Case deadlines and review schedules (issue 5, items 2 and 3): pure, driven by the merged policy.

    from core.calendars.schedules import case_deadlines, next_reviews
    deadlines = case_deadlines(case, base.resolve, calendar, as_of)      # every step's deadline
    reviews = next_reviews(case, "slow_change", base.resolve, as_of)     # what is due next

No I/O: dates come in as arguments; the policy comes in as ``policy_at(county, date)`` (e.g.
``PolicyBase.resolve``) and the working days as a :class:`core.calendars.workdays.WorkCalendar`.
Every
figure is a catalog parameter resolved at the case's county **on the day its clock started**,
and every date carries that parameter (:class:`~core.plugin.hookspecs.TraceEntry`: path, value,
layer,
source). A parameter that is not set gives a deadline with no due date that says so, never a
guess.

Case deadlines (:func:`case_deadlines`), one per step that applies to the case — kind: when
its clock starts; the figure; when it is done:

- ``investigation_start`` (dibao): acceptance; ``dibao.investigation.start_within_working_days``;
  the first home visit recorded;
- ``verification_start`` (dibao): acceptance (1); ``dibao.verification.start_within_working_days``;
  a verification result recorded;
- ``publicity_end`` (dibao, tekun): the publicity's first day; ``dibao.approval.publicity_days``
  or ``tekun.approval.publicity_days`` (calendar days); the day reached;
- ``county_review`` (dibao, where the county confirms (2)): the publicity's end;
  ``dibao.approval.county_review_working_days``; the decision recorded;
- ``time_limit`` (dibao): acceptance; ``dibao.approval.time_limit_working_days``, or
  ``dibao.approval.time_limit_delegated_working_days`` where the township confirms (3); the
  decision recorded;
- ``refusal_notice`` (dibao, rejected): the rejection;
  ``dibao.approval.refusal_notice_working_days``; the notice recorded (4);
- ``tekun_investigation``: acceptance; ``tekun.investigation.time_limit_working_days``; the first
  review recorded (5);
- ``county_decision`` (tekun, only where the county confirms: ``tekun.approval.confirming_level``
  on the publicity end; Yunnan delegates it to the township and sets no limit for that): the
  publicity's end; ``tekun.approval.county_decision_working_days``; the decision recorded;
- ``paperwork`` (temporary, assisted first): the assistance;
  ``temporary.paperwork_within_working_days`` (6); the paperwork recorded;
- ``death_recheck`` (dibao, tekun): each death; ``dibao.death.recheck_within_months`` (months); a
  review on or after the death;
- ``head_change`` (the head died): the death; ``payments.deceased_head_update_months`` (7); the
  head change recorded;
- ``phase_out_notice`` (dibao, where ``dibao.phase_out.written_notice_required`` holds on the
  phase-out decision): the decision; due that same day (Yongning 二(一)2 「自纳入渐退名单之日起
  以正式文书的形式告知」); the notice recorded.

(1) The case data records no separate request from the township: the county's verification is
    part of the household economic investigation the township must start at acceptance
    (审核确认办法 art. 15, 17), so its clock starts at acceptance — the earliest moment the
    request can have been made, never a later, more lenient one.
(2) Only where the county confirms (``dibao.approval.confirming_level`` on the publicity end);
    the county receives the township's file when the publicity is over.
(3) ``dibao.approval.confirming_level`` on the day of acceptance chooses the limit; it is given
    in ``conditions``. The 45-day special limit is not assumed: nothing in the case says a
    case is special.
(4) The case data has no refusal-notice step yet: ``decision.noticeOn`` or ``refusalNotice.on``
    is read when present.
(5) 特困人员认定办法 art. 13: investigate and give the first-review opinion within the limit.
(6) No national document sets a day limit for the paperwork after 先行救助 and the catalog has
    no such path yet: the deadline is shown without a due date and says the parameter is not set.
(7) "在次月完成户主变更" (Guizhou): by the last day of the month ``months`` after the death's month.

A pre-decision step that was never recorded although the case was decided is not overdue
(``done`` False, ``note`` says the case moved on). ``late`` flags a step done after its due date.

Review schedules (:func:`next_reviews`), for cases in payment (active, phasing_out):

- ``dibao_review``: every ``dibao.review.interval_months.<incomeClass>`` months from the last
  review (``lastReview.on``), else from the decision;
- ``annual_review`` where ``dibao.review.annual_review`` (Guizhou): the Qiannan notice orders a
  yearly review *of the year* (2021年度低保年度核查: current and newly admitted beneficiaries
  alike), i.e. once per calendar year. A case decided or reviewed in year Y was examined that
  year; its annual review is due by **31 December of year Y + 1**;
- ``periodic_verification`` (Guangxi): ``dibao.verification.interval_months`` from the last
  periodic verification, else the verification before the decision, else the decision;
- ``home_visit`` (Guangxi, only households of class ``irregular_with_labour``):
  ``dibao.home_visit.interval_months.irregular_with_labour`` from the last home visit (the
  ``lastHomeVisit`` record or the latest investigation visit), else the decision;
- ``tekun_review``: ``tekun.review.interval_months`` from the last review, else the decision;
- ``care_assessment``: ``tekun.care_assessment.interval_months`` (Guizhou: monthly) from the last
  assessment, else the carer's appointment (``care.on``), else the decision. The Qiannan notice
  assesses the appointed guardian-carer (监护照料人, replaced when failing): that is dispersed
  support (分散供养). A case in centralised care (``care.mode == "centralised"``) has none; a
  case whose care mode is not recorded is listed, with a note, so that it is not forgotten;
- ``death_recheck``: ``dibao.death.recheck_within_months`` after each death not yet followed
  by a review;
- ``phase_out_end``: the last day of the phase-out's last month (traced with
  ``dibao.phase_out.max_months`` on the phase-out decision, the bound it was chosen within).

An interval is read on the basis date (the last review, visit ...). Where the parameter is not
set then but is set on ``as_of`` (a rule that came in later, e.g. Guangxi's from 2023-07-04),
the clock starts on the later of the basis date and the day the rule took effect.

Speed: :class:`Planner` does the work for one case or a million (:meth:`Planner.plan` over
light :class:`ScheduleRow` tuples, built by :func:`schedule_row` from a case's data). Parameters
are resolved once per county and *policy period* (the stretches between the dates any parameter
used changes, from ``PolicyBase.history``), so every day of a period shares one resolution;
working-day and month arithmetic is cached per start day; per case the work is a few dict
lookups. :func:`case_deadlines` and :func:`next_reviews` run the same planner on one case.
"""

from __future__ import annotations

import datetime as dt
import gc
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from core.calendars.workdays import WorkCalendar
from core.cases.model import Case
from core.eligibility import add_months, trace_entry
from core.eligibility.json import trace_to_json
from core.plugin.hookspecs import TraceEntry
from core.policy.resolution import HistoryEntry, ResolvedParameter, ResolvedPolicy

# -- parameters --------------------------------------------------------------------------------

P_INV_START = "dibao.investigation.start_within_working_days"
P_VER_START = "dibao.verification.start_within_working_days"
P_PUBLICITY = "dibao.approval.publicity_days"
P_COUNTY_REVIEW = "dibao.approval.county_review_working_days"
P_TIME_LIMIT = "dibao.approval.time_limit_working_days"
P_TIME_LIMIT_DELEGATED = "dibao.approval.time_limit_delegated_working_days"
P_TIME_LIMIT_SPECIAL = "dibao.approval.time_limit_special_working_days"
P_LEVEL = "dibao.approval.confirming_level"
P_REFUSAL = "dibao.approval.refusal_notice_working_days"
P_TK_INV = "tekun.investigation.time_limit_working_days"
P_TK_PUBLICITY = "tekun.approval.publicity_days"
P_TK_DECISION = "tekun.approval.county_decision_working_days"
P_TK_LEVEL = "tekun.approval.confirming_level"
# Not in the catalog (no source sets it): proposed to the core; read when it exists.
P_TMP_PAPERWORK = "temporary.paperwork_within_working_days"
P_DEATH = "dibao.death.recheck_within_months"
P_HEAD = "payments.deceased_head_update_months"
P_REVIEW = {
    "stable": "dibao.review.interval_months.stable_income",
    "slow_change": "dibao.review.interval_months.slow_change",
    "irregular_with_labour": "dibao.review.interval_months.irregular_with_labour",
}
P_ANNUAL = "dibao.review.annual_review"
P_VERIFY_EVERY = "dibao.verification.interval_months"
P_HOME_VISIT = "dibao.home_visit.interval_months.irregular_with_labour"
P_TK_REVIEW = "tekun.review.interval_months"
P_CARE = "tekun.care_assessment.interval_months"
P_PO_MAX = "dibao.phase_out.max_months"
P_PO_NOTICE = "dibao.phase_out.written_notice_required"

PATHS: tuple[str, ...] = (
    P_INV_START,
    P_VER_START,
    P_PUBLICITY,
    P_COUNTY_REVIEW,
    P_TIME_LIMIT,
    P_TIME_LIMIT_DELEGATED,
    P_TIME_LIMIT_SPECIAL,
    P_LEVEL,
    P_REFUSAL,
    P_TK_INV,
    P_TK_PUBLICITY,
    P_TK_DECISION,
    P_TK_LEVEL,
    P_TMP_PAPERWORK,
    P_DEATH,
    P_HEAD,
    *P_REVIEW.values(),
    P_ANNUAL,
    P_VERIFY_EVERY,
    P_HOME_VISIT,
    P_TK_REVIEW,
    P_CARE,
    P_PO_MAX,
    P_PO_NOTICE,
)
IRREGULAR = "irregular_with_labour"
IN_PAYMENT = frozenset({"active", "phasing_out"})

# kind → (English, Chinese)
DEADLINE_TITLES: dict[str, tuple[str, str]] = {
    "investigation_start": (
        "Start of the household economic investigation",
        "启动家庭经济状况调查",
    ),
    "verification_start": ("Start of the information verification", "启动家庭经济状况信息核对"),
    "publicity_end": ("End of publicity", "公示期满"),
    "county_review": ("County review and decision", "县级审核确认"),
    "time_limit": ("Time limit from acceptance to decision", "审核确认办理时限"),
    "refusal_notice": ("Written notice of the refusal", "不予确认书面告知"),
    "tekun_investigation": (
        "Township investigation and first-review opinion",
        "乡镇调查核实并提出初审意见",
    ),
    "county_decision": ("County decision", "县级审核确认"),
    "paperwork": ("Paperwork after assistance first", "先行救助后补齐手续"),
    "death_recheck": ("Household re-check after a death", "家庭成员死亡后复核"),
    "head_change": (
        "New head and bank account after the head's death",
        "户主变更和银行账号更换",
    ),
    "phase_out_notice": ("Written notice of the phase-out", "渐退正式文书告知"),
}
REVIEW_TITLES: dict[str, tuple[str, str]] = {
    "dibao_review": ("Periodic re-check by income class", "低保分类定期核查"),
    "annual_review": ("Annual review", "低保年度核查"),
    "periodic_verification": ("Periodic economic-status verification", "家庭经济状况定期核对"),
    "home_visit": ("Home visit", "入户调查核实"),
    "tekun_review": ("Periodic re-check of tekun support", "特困人员定期核查"),
    "care_assessment": ("Assessment of the appointed carer", "监护照料情况评估"),
    "death_recheck": ("Household re-check after a death", "家庭成员死亡后复核"),
    "phase_out_end": ("End of the phase-out", "渐退期满"),
}

MOOT = -1
"""``done`` of a pre-decision step never recorded although the case was decided."""


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueInfo:
    """What the items of many cases share: kind, figure and its trace, and what the clock counts
    from. One per county, policy period and kind (the planner builds them once)."""

    kind: str
    category: str  # "deadline" | "review"
    program: str
    county: str
    unit: str  # working_days | days | months | month_end | year_end
    amount: int | None
    parameter: TraceEntry
    conditions: tuple[TraceEntry, ...] = ()
    basis: str = ""  # what the clock counts from: "decision", "last review", "death" ...
    note: str = ""


Item = tuple[int, int | None, int | None, int, DueInfo]
"""One due item of one case: (case id, due date ordinal or None when the figure is not set,
done: None open / the ordinal it was done / :data:`MOOT`, the clock's start ordinal, info)."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """One step's deadline for one case, as of a date."""

    case_id: int
    kind: str
    program: str
    title: str
    title_zh: str
    started_on: dt.date
    due_date: dt.date | None
    unit: str
    amount: int | None
    provisional: bool
    uncovered_years: tuple[int, ...]
    done: bool
    done_on: dt.date | None
    overdue: bool
    late: bool
    parameter: TraceEntry
    conditions: tuple[TraceEntry, ...]
    note: str


@dataclass(frozen=True, slots=True)
class ReviewDue:
    """One periodic check due for one case in payment, as of a date."""

    case_id: int
    kind: str
    program: str
    title: str
    title_zh: str
    due_date: dt.date
    basis: str  # e.g. "last review 2026-03-02"
    basis_date: dt.date
    unit: str
    interval: int | None
    overdue: bool
    parameter: TraceEntry
    note: str


# -- light rows --------------------------------------------------------------------------------


class ScheduleRow(NamedTuple):
    """What the planner needs of one case, dates as ordinals (``date.toordinal()``)."""

    case_id: int
    county: str
    program: str
    state: str
    income_class: str | None
    opened: int | None = None
    investigated: int | None = None  # first home visit
    verified: int | None = None  # verification result before the decision
    first_review: int | None = None
    publicity_start: int | None = None
    decided: int | None = None
    rejected: bool = False
    refusal_noticed: int | None = None
    last_review: int | None = None
    last_verification: int | None = None  # periodic verification after the decision
    last_home_visit: int | None = None  # lastHomeVisit or the latest investigation visit
    care_mode: str | None = None
    last_care: int | None = None  # last carer assessment
    care_from: int | None = None  # the carer's appointment (care.on)
    phase_out: tuple[int, int, int] | None = None  # (decided on, months, last day)
    deaths: tuple[tuple[int, bool], ...] = ()  # (on, was head)
    head_changed: int | None = None
    assisted_first: int | None = None
    paperwork_done: int | None = None
    phase_out_noticed: int | None = None  # the written notice of the phase-out


_ORDINALS: dict[str, int] = {}  # ISO date text → ordinal (a few thousand distinct days)
_MAX_ORDINALS = 1 << 17
_EMPTY: Mapping[str, Any] = {}


def _ord(value: Any) -> int | None:
    """An ISO date (text, as the case data holds it) or a date as an ordinal; anything else,
    or text that is not a date, as None."""
    if value.__class__ is str:
        found = _ORDINALS.get(value)
        if found is None:
            try:
                found = dt.date.fromisoformat(value).toordinal()
            except ValueError:
                return None
            if len(_ORDINALS) < _MAX_ORDINALS:
                _ORDINALS[value] = found
        return found
    if isinstance(value, dt.date):
        return value.toordinal()
    return None


def _map(value: Any) -> Mapping[str, Any]:
    if value.__class__ is dict or isinstance(value, Mapping):
        return value
    return _EMPTY


def _on(record: Any) -> int | None:
    """``record["on"]`` as an ordinal (None unless a mapping with a date there)."""
    if record is None:
        return None
    return _ord(_map(record).get("on"))


def _month_end(year: int, month: int) -> dt.date:
    return add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def _phase_out(po: Mapping[str, Any]) -> tuple[int, int, int] | None:
    decided = _ord(po.get("decidedOn"))
    try:
        year, month = (int(x) for x in str(po.get("lastMonth") or "").split("-")[:2])
        last = _month_end(year, month).toordinal()
        months = int(po.get("months") or 0)
    except ValueError:
        return None
    return None if decided is None else (decided, months, last)


def schedule_row(
    case_id: int,
    county: str,
    program: str,
    state: str,
    data: Mapping[str, Any],
    income_class: str | None = None,
) -> ScheduleRow:
    """The light row of a case from its ``data`` (core.cases format). Keys are read
    defensively: a missing key, or a value of the wrong shape, counts as not recorded."""
    g = _map(data).get
    visit_days = [o for v in g("investigations") or () if (o := _on(v)) is not None]
    decision = _map(g("decision"))
    decided = _ord(decision.get("on"))
    notice = _ord(decision.get("noticeOn")) or _on(g("refusalNotice"))
    last_visit = _on(g("lastHomeVisit"))
    if visit_days:
        latest = max(visit_days)
        last_visit = latest if last_visit is None else max(last_visit, latest)
    care = _map(g("care"))
    po = g("phaseOut")
    deaths: tuple[tuple[int, bool], ...] = ()
    if recorded := g("deaths"):
        deaths = tuple(
            (o, bool(_map(d).get("head"))) for d in recorded if (o := _on(d)) is not None
        )
    head_changed = _on(g("headChange"))
    if head_changed is None and g("headChangeRequired") is False and deaths:
        head_changed = MOOT  # done, date not recorded
    assisted = _on(g("assistedFirst"))
    paperwork = None
    if assisted is not None and g("paperworkDue") is False:
        paperwork = decided or MOOT
    return ScheduleRow(
        case_id,
        county,
        program,
        state,
        income_class,
        _ord(g("openedOn")),
        min(visit_days) if visit_days else None,
        _on(g("verification")),
        _on(g("firstReview")),
        _ord(_map(g("publicity")).get("start")),
        decided,
        bool(decision.get("rejected")),
        notice,
        _on(g("lastReview")),
        _on(g("lastPeriodicVerification")),
        last_visit,
        care.get("mode"),
        _on(g("lastCareAssessment")),
        _ord(care.get("on")),
        _phase_out(_map(po)) if po else None,
        deaths,
        head_changed,
        assisted,
        paperwork,
        _on(g("phaseOutNotice")),
    )


def case_row(case: Case, income_class: str | None = None) -> ScheduleRow:
    return schedule_row(
        case.id, case.county, case.program, case.state.value, case.data, income_class
    )


# -- policy by period --------------------------------------------------------------------------


class PolicyAt(Protocol):
    def __call__(self, county: str, day: dt.date, /) -> ResolvedPolicy: ...


class PolicyHistory(Protocol):
    """A policy base that can say when values change (``PolicyBase``)."""

    catalog: Any

    def resolve(self, code: str, as_of: dt.date) -> ResolvedPolicy: ...

    def history(self, code: str, path: str) -> list[HistoryEntry]: ...


_ALL = 1 << 40  # an ordinal after every date
_INCOME_CLASSES = ("stable", "slow_change", IRREGULAR)
_IC_INDEX = {c: i for i, c in enumerate(_INCOME_CLASSES)}
_REVIEW_LABELS = ("decision", "last review")
_VERIFICATION_LABELS = ("decision", "verification before the decision", "last verification")
_VISIT_LABELS = ("decision", "home visit before the decision", "last home visit")
_CARE_LABELS = ("decision", "carer appointed", "last carer assessment")
_CARE_UNKNOWN = "care mode not recorded: listed in case it is dispersed"
_LATER_RULE = "the rule in force from"
_BEFORE_DECISION = frozenset(
    {
        "investigation_start",
        "verification_start",
        "publicity_end",
        "county_review",
        "time_limit",
        "tekun_investigation",
        "county_decision",
    }
)

_Every = tuple[int, DueInfo] | None  # (months, info), None when not set


class Rules:
    """The parameters the planner uses at one county over one stretch of days in which none of
    them changes, traced; the shared :class:`DueInfo` of every kind; and the planner's caches
    of due dates for clocks starting in that stretch."""

    __slots__ = (
        "annual", "annual_infos", "care", "county", "dopen", "dpub", "has_annual", "has_care",
        "has_hv", "has_ver", "hv", "infos", "open_infos", "open_ns", "program_infos", "pub",
        "rev", "since", "topen", "tpub", "traces", "trev", "values", "ver",
    )  # fmt: skip

    def __init__(self, policy: ResolvedPolicy, county: str, ever: frozenset[str] | None) -> None:
        self.county = county
        self.values: dict[str, Any] = {}
        self.traces: dict[str, TraceEntry] = {}
        self.since: dict[str, dt.date | None] = {}
        for path in PATHS:
            param: ResolvedParameter | None = policy.parameters.get(path)
            if param is None:  # not in the catalog
                self.values[path] = None
                self.traces[path] = TraceEntry(path=path, value=None, is_set=False)
                self.since[path] = None
                continue
            self.values[path] = param.value
            self.traces[path] = trace_entry(param)
            self.since[path] = param.effective_from
        self.infos: dict[tuple[str, ...], DueInfo] = {}
        self.dopen: dict[int, tuple[int | None, int | None, int | None]] = {}
        self.dpub: dict[int, tuple[int | None, int | None, DueInfo | None]] = {}
        self.topen: dict[int, int | None] = {}
        self.tpub: dict[int, tuple[int | None, int | None, DueInfo | None]] = {}

        def may(path: str) -> bool:
            return ever is None or path in ever

        self.has_annual, self.has_ver = may(P_ANNUAL), may(P_VERIFY_EVERY)
        self.has_hv, self.has_care = may(P_HOME_VISIT), may(P_CARE)
        v = self.values
        limit = P_TIME_LIMIT_DELEGATED if v[P_LEVEL] == "township" else P_TIME_LIMIT
        self.open_ns = (v[P_INV_START], v[P_VER_START], v[limit])
        self.open_infos = (
            self.info("investigation_start", "dibao", P_INV_START),
            self.info("verification_start", "dibao", P_VER_START),
            self.info("time_limit", "dibao", limit, (P_LEVEL, P_TIME_LIMIT_SPECIAL)),
        )
        self.pub = {
            "dibao": self.info("publicity_end", "dibao", P_PUBLICITY, unit="days"),
            "tekun": self.info("publicity_end", "tekun", P_TK_PUBLICITY, unit="days"),
        }
        self.program_infos = {
            "tekun_investigation": self.info("tekun_investigation", "tekun", P_TK_INV),
            "county_decision": self.info("county_decision", "tekun", P_TK_DECISION, (P_TK_LEVEL,)),
            "county_review": self.info("county_review", "dibao", P_COUNTY_REVIEW, (P_LEVEL,)),
        }
        by_class = [
            self.every("dibao_review", "dibao", P_REVIEW[ic], label)
            for ic in _INCOME_CLASSES
            for label in _REVIEW_LABELS
        ]
        self.rev: tuple[_Every, ...] = (*by_class, None, None)
        self.annual = bool(v[P_ANNUAL])
        self.annual_infos = tuple(
            self.info("annual_review", "dibao", P_ANNUAL, unit="year_end", category="review",
                      basis=label)
            for label in _REVIEW_LABELS
        )  # fmt: skip
        self.ver = tuple(
            self.every("periodic_verification", "dibao", P_VERIFY_EVERY, label)
            for label in _VERIFICATION_LABELS
        )
        self.hv = tuple(
            self.every("home_visit", "dibao", P_HOME_VISIT, label) for label in _VISIT_LABELS
        )
        self.trev = tuple(
            self.every("tekun_review", "tekun", P_TK_REVIEW, label) for label in _REVIEW_LABELS
        )
        self.care = tuple(
            self.every("care_assessment", "tekun", P_CARE, label, note)
            for note in ("", _CARE_UNKNOWN)
            for label in (*_CARE_LABELS, "")
        )

    def info(
        self, kind: str, program: str, path: str, conditions: tuple[str, ...] = (), *,
        unit: str = "working_days", category: str = "deadline", basis: str = "", note: str = "",
    ) -> DueInfo:  # fmt: skip
        key = (kind, program, path, *conditions, unit, category, basis, note)
        found = self.infos.get(key)
        if found is None:
            value = self.values[path]
            amount = value if isinstance(value, int) and not isinstance(value, bool) else None
            found = DueInfo(
                kind, category, program, self.county, unit, amount, self.traces[path],
                tuple(self.traces[p] for p in conditions), basis, note,
            )  # fmt: skip
            self.infos[key] = found
        return found

    def every(self, kind: str, program: str, path: str, basis: str, note: str = "") -> _Every:
        months = self.values[path]
        if not basis or months is None:
            return None
        info = self.info(
            kind, program, path, unit="months", category="review", basis=basis, note=note
        )
        return int(months), info


class _Periods:
    """Rules per (county, day), resolved once per stretch of days with the same values."""

    def __init__(self, policy_at: PolicyAt, history: PolicyHistory | None) -> None:
        self._policy_at = policy_at
        self._history = history
        self._bounds: dict[str, tuple[list[int], list[Rules | None]]] = {}
        self._ever: dict[str, frozenset[str] | None] = {}
        self._set_from: dict[str, dict[str, list[int]]] = {}
        self.by_day: dict[str, dict[int, Rules]] = {}

    def first_set_after(self, county: str, path: str, day: int) -> int | None:
        """The first day after ``day`` from which ``path`` is set at ``county`` (None: never,
        or not known without a history)."""
        self._county(county)
        starts = self._set_from[county].get(path, [])
        i = bisect_right(starts, day)
        return starts[i] if i < len(starts) else None

    @property
    def has_history(self) -> bool:
        return self._history is not None

    def _county(self, county: str) -> tuple[list[int], list[Rules | None]]:
        found = self._bounds.get(county)
        if found is None:
            points: set[int] = set()
            ever: set[str] = set()
            set_from: dict[str, list[int]] = {}
            base = self._history
            if base is not None:
                for path in PATHS:
                    if path not in base.catalog:
                        continue
                    for h in base.history(county, path):
                        points.add(h.start.toordinal())
                        if h.until is not None:
                            points.add(h.until.toordinal() + 1)
                        if h.is_set:
                            ever.add(path)
                            set_from.setdefault(path, []).append(h.start.toordinal())
            self._ever[county] = None if base is None else frozenset(ever)
            self._set_from[county] = {p: sorted(days) for p, days in set_from.items()}
            starts = sorted(points)
            found = (starts, [None] * (len(starts) + 1))
            self._bounds[county] = found
            self.by_day[county] = {}
        return found

    def at(self, county: str, day: int) -> Rules:
        by_day = self.by_day.get(county)
        if by_day is not None:
            hit = by_day.get(day)
            if hit is not None:
                return hit
        starts, rules = self._county(county)
        slot = bisect_right(starts, day) if self._history is not None else None
        rule = None if slot is None else rules[slot]
        if rule is None:
            policy = self._policy_at(county, dt.date.fromordinal(day))
            rule = Rules(policy, county, self._ever[county])
            if slot is not None:
                rules[slot] = rule
        self.by_day[county][day] = rule
        return rule


# -- the planner -------------------------------------------------------------------------------


class Planner:
    """Deadlines and reviews for one case or a million, as of one date.

    ``policy_at(county, day)`` gives the merged policy; with ``history`` (a ``PolicyBase``,
    local settings included) the planner resolves once per county and stretch of days in which
    no parameter it uses changes, else once per county and day. ``calendar`` is needed for
    deadlines (working days), not for reviews.
    """

    def __init__(
        self,
        policy_at: PolicyAt,
        as_of: dt.date,
        calendar: WorkCalendar | None = None,
        *,
        history: PolicyHistory | None = None,
    ) -> None:
        self.as_of = as_of
        self.as_of_ord = as_of.toordinal()
        self.calendar = calendar
        self._periods = _Periods(policy_at, history)
        self._by_day = self._periods.by_day
        self._months: dict[int, int] = {}
        self._working: dict[int, int] = {}
        self._year_end: dict[int, int] = {}
        self._later: dict[tuple[str, str, int, str], tuple[int, int, DueInfo] | None] = {}

    @classmethod
    def for_base(
        cls, base: PolicyHistory, as_of: dt.date, calendar: WorkCalendar | None = None
    ) -> Planner:
        return cls(base.resolve, as_of, calendar, history=base)

    def rules(self, county: str, day: int) -> Rules:
        return self._periods.at(county, day)

    # -- arithmetic (cached across counties) ---------------------------------------------------

    def add_months(self, day: int, months: int) -> int:
        key = day * 4096 + months
        hit = self._months.get(key)
        if hit is None:
            hit = add_months(dt.date.fromordinal(day), months).toordinal()
            if months < 4096:
                self._months[key] = hit
        return hit

    def add_working_days(self, day: int, n: int) -> int:
        key = day * 4096 + n
        hit = self._working.get(key)
        if hit is None:
            if self.calendar is None:
                raise ValueError("a WorkCalendar is needed for working-day deadlines")
            hit = self.calendar.add_working_days(dt.date.fromordinal(day), n).date.toordinal()
            if n < 4096:
                self._working[key] = hit
        return hit

    def _wd(self, day: int, n: Any) -> int | None:
        return None if n is None else self.add_working_days(day, int(n))

    def year_end_after(self, day: int) -> int:
        """31 December of the year after ``day``'s."""
        hit = self._year_end.get(day)
        if hit is None:
            hit = dt.date(dt.date.fromordinal(day).year + 1, 12, 31).toordinal()
            self._year_end[day] = hit
        return hit

    # -- group caches (per policy period and start day) ----------------------------------------

    def _dopen(self, r: Rules, opened: int) -> tuple[int | None, int | None, int | None]:
        n1, n2, n3 = r.open_ns
        g = (self._wd(opened, n1), self._wd(opened, n2), self._wd(opened, n3))
        r.dopen[opened] = g
        return g

    def _pub(
        self, r: Rules, county: str, program: str, start: int
    ) -> tuple[int | None, int | None, DueInfo | None]:
        """(publicity end, the county's due date, its info): the county's clock starts when the
        publicity is over, only where the county confirms then (``dibao.approval.confirming_
        level``, ``tekun.approval.confirming_level``)."""
        days = r.values[P_TK_PUBLICITY if program == "tekun" else P_PUBLICITY]
        ends = None if days is None else start + int(days)
        due, info = None, None
        if ends is not None:
            e = self.rules(county, ends)
            if program == "tekun":
                if e.values[P_TK_LEVEL] != "township":
                    info = e.program_infos["county_decision"]
                    due = self._wd(ends, e.values[P_TK_DECISION])
            elif e.values[P_LEVEL] != "township":
                info = e.program_infos["county_review"]
                due = self._wd(ends, e.values[P_COUNTY_REVIEW])
        g = (ends, due, info)
        (r.tpub if program == "tekun" else r.dpub)[start] = g
        return g

    def _later_rule(
        self, kind: str, program: str, county: str, basis: int, path: str, note: str = ""
    ) -> tuple[int, int, DueInfo] | None:
        """A rule not in force on ``basis`` but on as_of: the clock starts the day it took
        effect. (due, start, info), or None."""
        key = (kind, county, basis, note)
        if key in self._later:
            return self._later[key]
        found = None
        now = self.rules(county, self.as_of_ord)
        if now.values[path]:
            if self._periods.has_history:
                start = self._periods.first_set_after(county, path, basis)
            else:
                since = now.since[path]
                start = None if since is None else since.toordinal()
            if start is not None and basis < start <= self.as_of_ord:
                r = self.rules(county, start)
                day = dt.date.fromordinal(start)
                if kind == "annual_review" and r.values[path]:
                    info = r.info(kind, program, path, unit="year_end", category="review",
                                  basis=_LATER_RULE)  # fmt: skip
                    found = (dt.date(day.year, 12, 31).toordinal(), start, info)
                elif kind != "annual_review" and r.values[path] is not None:
                    info = r.info(
                        kind, program, path, unit="months", category="review",
                        basis=_LATER_RULE, note=note,
                    )  # fmt: skip
                    found = (self.add_months(start, int(r.values[path])), start, info)
        self._later[key] = found
        return found

    # -- one case ------------------------------------------------------------------------------

    def deadlines(self, row: ScheduleRow) -> list[Item]:
        """Every deadline that applies to the case, done or not."""
        out: list[Item] = []
        self._run((row,), out.append, _ALL, True, True, False, False)
        return out

    def reviews(self, row: ScheduleRow) -> list[Item]:
        """The next periodic checks of a case in payment (none otherwise)."""
        out: list[Item] = []
        self._run((row,), out.append, _ALL, True, False, True, True)
        return out

    def _run(
        self, rows: Iterable[ScheduleRow], append: Callable[[Item], None], limit: int,
        every: bool, deadlines: bool, reviews: bool, review_deaths: bool,
    ) -> None:  # fmt: skip
        """Append the items of ``rows``: with ``every``, all deadlines (done or not) and
        reviews; else the open ones due on or before ``limit`` (an ordinal). One loop, its
        lookups held in locals: this is the hot path of :meth:`plan`."""
        by_days, rules, as_of_ord = self._by_day, self.rules, self.as_of_ord
        months_cache, add_m, year_end = self._months, self.add_months, self._year_end
        ic_index, later, rare = _IC_INDEX, self._append_later, self._rare
        for row in rows:
            (cid, county, program, state, ic, opened, investigated, verified, first_review,
             pub_start, decided, rejected, _noticed, last_review, last_ver, last_hv, care_mode,
             last_care, care_from, phase_out, deaths, _hc, assisted, _pw,
             _po_noticed) = row  # fmt: skip
            by_day = by_days.get(county)
            if by_day is None:
                rules(county, decided or opened or as_of_ord)
                by_day = by_days[county]
            if program == "dibao":
                if deadlines and (every or decided is None):
                    moot = None if decided is None else MOOT
                    if opened is not None:
                        r = by_day.get(opened) or rules(county, opened)
                        g = r.dopen.get(opened) or self._dopen(r, opened)
                        d1, d2, d3 = g
                        i1, i2, i3 = r.open_infos
                        if every:
                            append((cid, d1, moot if investigated is None else investigated,
                                    opened, i1))  # fmt: skip
                            append((cid, d2, moot if verified is None else verified, opened, i2))
                            append((cid, d3, decided, opened, i3))
                        else:
                            if investigated is None and d1 is not None and d1 <= limit:
                                append((cid, d1, None, opened, i1))
                            if verified is None and d2 is not None and d2 <= limit:
                                append((cid, d2, None, opened, i2))
                            if d3 is not None and d3 <= limit:
                                append((cid, d3, None, opened, i3))
                    if pub_start is not None:
                        r = by_day.get(pub_start) or rules(county, pub_start)
                        ends, due, info = r.dpub.get(pub_start) or self._pub(
                            r, county, program, pub_start
                        )
                        over = ends is not None and ends <= as_of_ord
                        if every:
                            append((cid, ends, ends if over else moot, pub_start, r.pub[program]))
                        elif not over and ends is not None and ends <= limit:
                            append((cid, ends, None, pub_start, r.pub[program]))
                        if info is not None and ends is not None:
                            if every:
                                append((cid, due, decided, ends, info))
                            elif due is not None and due <= limit:
                                append((cid, due, None, ends, info))
                if reviews and decided is not None and state in IN_PAYMENT:
                    if last_review is not None:
                        basis, lab = last_review, 1
                    else:
                        basis, lab = decided, 0
                    r = by_day.get(basis) or rules(county, basis)
                    ici = ic_index.get(ic, 3)  # type: ignore[arg-type]
                    found = r.rev[ici * 2 + lab]
                    if found is not None:
                        months, info = found
                        due = months_cache.get(basis * 4096 + months) or add_m(basis, months)
                        if due <= limit:
                            append((cid, due, None, basis, info))
                    elif ici < 3:
                        path = P_REVIEW[_INCOME_CLASSES[ici]]
                        later(cid, "dibao_review", program, county, basis, path, limit, append)
                    if r.annual:
                        due = year_end.get(basis) or self.year_end_after(basis)
                        if due <= limit:
                            append((cid, due, None, basis, r.annual_infos[lab]))
                    elif r.has_annual:
                        later(cid, "annual_review", program, county, basis, P_ANNUAL, limit, append)
                    if r.has_ver:
                        if last_ver is not None:
                            vb, lab = last_ver, 2
                        elif verified is not None:
                            vb, lab = verified, 1
                        else:
                            vb, lab = decided, 0
                        rv = by_day.get(vb) or rules(county, vb)
                        found = rv.ver[lab]
                        if found is not None:
                            months, info = found
                            due = add_m(vb, months)
                            if due <= limit:
                                append((cid, due, None, vb, info))
                        else:
                            later(cid, "periodic_verification", program, county, vb,
                                               P_VERIFY_EVERY, limit, append)  # fmt: skip
                    if r.has_hv and ici == 2:
                        if last_hv is None:
                            hb, lab = decided, 0
                        else:
                            hb, lab = last_hv, (2 if last_hv >= decided else 1)
                        rh = by_day.get(hb) or rules(county, hb)
                        found = rh.hv[lab]
                        if found is not None:
                            months, info = found
                            due = add_m(hb, months)
                            if due <= limit:
                                append((cid, due, None, hb, info))
                        else:
                            later(
                                cid, "home_visit", program, county, hb, P_HOME_VISIT, limit, append
                            )
            elif program == "tekun":
                if deadlines and (every or decided is None):
                    moot = None if decided is None else MOOT
                    if opened is not None:
                        r = by_day.get(opened) or rules(county, opened)
                        d1 = r.topen.get(opened, MOOT)
                        if d1 == MOOT:
                            d1 = r.topen[opened] = self._wd(opened, r.values[P_TK_INV])
                        i1 = r.program_infos["tekun_investigation"]
                        if every:
                            append((cid, d1, moot if first_review is None else first_review,
                                    opened, i1))  # fmt: skip
                        elif first_review is None and d1 is not None and d1 <= limit:
                            append((cid, d1, None, opened, i1))
                    if pub_start is not None:
                        r = by_day.get(pub_start) or rules(county, pub_start)
                        ends, due, info = r.tpub.get(pub_start) or self._pub(
                            r, county, program, pub_start
                        )
                        over = ends is not None and ends <= as_of_ord
                        if every:
                            append((cid, ends, ends if over else moot, pub_start, r.pub[program]))
                        elif not over and ends is not None and ends <= limit:
                            append((cid, ends, None, pub_start, r.pub[program]))
                        if info is not None and ends is not None:
                            if every:
                                append((cid, due, decided, ends, info))
                            elif due is not None and due <= limit:
                                append((cid, due, None, ends, info))
                if reviews and decided is not None and state in IN_PAYMENT:
                    if last_review is not None:
                        basis, lab = last_review, 1
                    else:
                        basis, lab = decided, 0
                    r = by_day.get(basis) or rules(county, basis)
                    found = r.trev[lab]
                    if found is not None:
                        months, info = found
                        due = add_m(basis, months)
                        if due <= limit:
                            append((cid, due, None, basis, info))
                    else:
                        later(
                            cid, "tekun_review", program, county, basis, P_TK_REVIEW, limit, append
                        )
                    if r.has_care and care_mode != "centralised":
                        if last_care is not None:
                            cb, lab = last_care, 2
                        elif care_from is not None:
                            cb, lab = care_from, 1
                        else:
                            cb, lab = decided, 0
                        unknown = care_mode is None
                        rc = by_day.get(cb) or rules(county, cb)
                        found = rc.care[lab + (4 if unknown else 0)]
                        if found is not None:
                            months, info = found
                            due = add_m(cb, months)
                            if due <= limit:
                                append((cid, due, None, cb, info))
                        else:
                            note = _CARE_UNKNOWN if unknown else ""
                            later(cid, "care_assessment", program, county, cb, P_CARE,
                                               limit, append, note)  # fmt: skip
            if deaths or (rejected and deadlines) or assisted is not None or phase_out is not None:
                rare(row, append, limit, every, deadlines, reviews, review_deaths)

    def _append_later(
        self, cid: int, kind: str, program: str, county: str, basis: int, path: str,
        limit: int, append: Callable[[Item], None], note: str = "",
    ) -> None:  # fmt: skip
        found = self._later_rule(kind, program, county, basis, path, note)
        if found is not None and found[0] <= limit:
            due, start, info = found
            append((cid, due, None, start, info))

    def _rare(
        self, row: ScheduleRow, append: Callable[[Item], None], limit: int, every: bool,
        deadlines: bool, reviews: bool, review_deaths: bool,
    ) -> None:  # fmt: skip
        """The rare parts: refusal and phase-out notices, temporary paperwork, deaths,
        phase-out ends."""
        cid, county, program, state = row.case_id, row.county, row.program, row.state
        found: list[tuple[int | None, int | None, int, DueInfo]] = []
        decided = row.decided
        if deadlines:
            if program == "dibao" and row.rejected and decided is not None:
                r = self.rules(county, decided)
                info = r.info("refusal_notice", program, P_REFUSAL)
                found.append(
                    (self._wd(decided, r.values[P_REFUSAL]), row.refusal_noticed, decided, info)
                )
            if program == "dibao" and row.phase_out is not None:
                on = row.phase_out[0]
                r = self.rules(county, on)
                if r.values[P_PO_NOTICE] is True:
                    info = r.info("phase_out_notice", program, P_PO_NOTICE, unit="same_day")
                    noticed = row.phase_out_noticed
                    if noticed is None and state not in IN_PAYMENT:
                        noticed = MOOT  # the case has left payment
                    found.append((on, noticed, on, info))
            if program == "temporary" and row.assisted_first is not None:
                on = row.assisted_first
                r = self.rules(county, on)
                info = r.info("paperwork", program, P_TMP_PAPERWORK)
                found.append(
                    (self._wd(on, r.values[P_TMP_PAPERWORK]), row.paperwork_done, on, info)
                )
            if program in ("dibao", "tekun"):
                # once the case left payment, what a death left to do is no longer due
                gone = None if state in IN_PAYMENT else MOOT
                for on, head in row.deaths:
                    r = self.rules(county, on)
                    months = r.values[P_DEATH]
                    info = r.info("death_recheck", program, P_DEATH, unit="months")
                    due = None if months is None else self.add_months(on, int(months))
                    reviewed = _reviewed_after(row, on)
                    found.append((due, gone if reviewed is None else reviewed, on, info))
                    if head:
                        months = r.values[P_HEAD]
                        info = r.info("head_change", program, P_HEAD, unit="month_end")
                        due = None
                        if months is not None:
                            month = add_months(dt.date.fromordinal(on).replace(day=1), int(months))
                            due = _month_end(month.year, month.month).toordinal()
                        changed = row.head_changed
                        found.append((due, gone if changed is None else changed, on, info))
        if reviews and decided is not None and state in IN_PAYMENT:
            if review_deaths:
                for on, _head in row.deaths:
                    r = self.rules(county, on)
                    months = r.values[P_DEATH]
                    if _reviewed_after(row, on) is None and months is not None:
                        info = r.info("death_recheck", program, P_DEATH, unit="months",
                                      category="review", basis="death")  # fmt: skip
                        found.append((self.add_months(on, int(months)), None, on, info))
            if program == "dibao" and row.phase_out is not None and state == "phasing_out":
                decided_on, _months, last = row.phase_out
                r = self.rules(county, decided_on)
                info = r.info("phase_out_end", program, P_PO_MAX, unit="month_end",
                              category="review", basis="phase-out decided")  # fmt: skip
                found.append((last, None, decided_on, info))
        for due, done, start, info in found:
            if every:
                append((cid, due, done, start, info))
            elif done is None and due is not None and due <= limit:
                append((cid, due, None, start, info))

    # -- many cases ----------------------------------------------------------------------------

    def plan(
        self,
        rows: Iterable[ScheduleRow],
        *,
        until: dt.date | None = None,
        deadlines: bool = True,
        reviews: bool = True,
    ) -> list[Item]:
        """Due items of many cases: with ``until``, the open deadlines and the reviews due on
        or before it (earlier ones are overdue, or due before a window starts); without, every
        deadline (done or not) and every next review. A death's re-check is listed once: as a
        deadline when deadlines are asked for, else as a review."""
        out: list[Item] = []
        append = out.append
        every = until is None
        limit = _ALL if until is None else until.toordinal()
        with _cycle_collector_paused():
            self._run(rows, append, limit, every, deadlines, reviews, not deadlines)
        return out

    # -- items as values -----------------------------------------------------------------------

    def deadline(self, item: Item) -> Deadline:
        cid, due, done, start, info = item
        title, title_zh = DEADLINE_TITLES[info.kind]
        started = dt.date.fromordinal(start)
        is_done = done is not None and done != MOOT
        provisional, years = False, tuple[int, ...]()
        if info.unit == "working_days" and info.amount is not None and self.calendar is not None:
            computed = self.calendar.add_working_days(started, info.amount)
            provisional, years = computed.provisional, computed.uncovered_years
        return Deadline(
            case_id=cid,
            kind=info.kind,
            program=info.program,
            title=title,
            title_zh=title_zh,
            started_on=started,
            due_date=None if due is None else dt.date.fromordinal(due),
            unit=info.unit,
            amount=info.amount,
            provisional=provisional,
            uncovered_years=years,
            done=is_done,
            done_on=dt.date.fromordinal(done) if is_done and done is not None else None,
            overdue=done is None and due is not None and self.as_of_ord > due,
            late=is_done and due is not None and done is not None and done > due,
            parameter=info.parameter,
            conditions=info.conditions,
            note=_note(info, started, due is None, years, done == MOOT),
        )

    def review(self, item: Item) -> ReviewDue:
        cid, due, _, start, info = item
        assert due is not None
        title, title_zh = REVIEW_TITLES[info.kind]
        basis = dt.date.fromordinal(start)
        return ReviewDue(
            case_id=cid,
            kind=info.kind,
            program=info.program,
            title=title,
            title_zh=title_zh,
            due_date=dt.date.fromordinal(due),
            basis=f"{info.basis} {basis.isoformat()}",
            basis_date=basis,
            unit=info.unit,
            interval=info.amount if info.unit == "months" else None,
            overdue=self.as_of_ord > due,
            parameter=info.parameter,
            note=_note(info, basis, False, (), False),
        )


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the plan is built: the loop allocates millions of
    small tuples but makes no reference cycles (they are freed by reference counting all the
    same), and every automatic full collection would traverse the growing result again —
    measured, it doubles the time of a million cases. The previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _note(info: DueInfo, start: dt.date, not_set: bool, years: tuple[int, ...], moot: bool) -> str:
    n, day = info.amount, start.isoformat()
    if not_set:
        words = f"`{info.parameter.path}` is not set for {info.county} on {day}: no due date"
    elif info.unit == "working_days":
        words = f"{n} working days after {day}"
        if years:
            words += f"; provisional: no holiday table for {', '.join(map(str, years))}"
    elif info.unit == "days":
        words = f"{n} days from {day}"
    elif info.unit == "same_day":
        words = f"on {day} itself"
    elif info.unit == "months":
        words = f"{n} months after {day}"
    elif info.kind == "head_change":
        words = f"by the end of the month {n} month{'s' if n != 1 else ''} after the death"
    elif info.kind == "annual_review":
        words = "the annual review (年度核查): by 31 December of the year after the basis"
        if info.basis == _LATER_RULE:
            words = "the annual review (年度核查) of the year the rule came in: by 31 December"
    elif info.kind == "phase_out_end":
        words = "the last day of the phase-out, chosen within the bound in force then"
    else:
        words = ""
    if moot:
        words = (
            "not recorded before the case was decided: no longer due"
            if info.kind in _BEFORE_DECISION
            else "no longer due: the case has moved on (or it was done on a day not recorded)"
        )
    return "; ".join(w for w in (words, info.note) if w)


def _reviewed_after(row: ScheduleRow, death: int) -> int | None:
    last = row.last_review
    return last if last is not None and last >= death else None


# -- one case ----------------------------------------------------------------------------------


def case_deadlines(
    case: Case,
    policy_at: PolicyAt,
    calendar: WorkCalendar,
    as_of: dt.date,
    *,
    history: PolicyHistory | None = None,
) -> list[Deadline]:
    """Every deadline that applies to ``case`` (its program, state and province), done or not,
    as of ``as_of``; the policy is ``policy_at(case.county, day the clock started)`` (give
    ``history``, a ``PolicyBase``, to resolve once per policy period)."""
    planner = Planner(policy_at, as_of, calendar, history=history)
    return [planner.deadline(i) for i in planner.deadlines(case_row(case))]


def next_reviews(
    case: Case,
    household_income_class: str | None,
    policy_at: PolicyAt,
    as_of: dt.date,
    *,
    history: PolicyHistory | None = None,
) -> list[ReviewDue]:
    """The next periodic checks of ``case`` if it is in payment (active or phasing out), each
    with its due date, basis and parameter, earliest first; ``overdue`` as of ``as_of``."""
    planner = Planner(policy_at, as_of, history=history)
    items = planner.reviews(case_row(case, household_income_class))
    return sorted((planner.review(i) for i in items), key=lambda r: (r.due_date, r.kind))


# -- JSON --------------------------------------------------------------------------------------


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def deadline_to_json(d: Deadline) -> dict[str, Any]:
    return {
        "caseId": d.case_id,
        "kind": d.kind,
        "program": d.program,
        "title": d.title,
        "titleZh": d.title_zh,
        "startedOn": _iso(d.started_on),
        "dueDate": _iso(d.due_date),
        "unit": d.unit,
        "amount": d.amount,
        "provisional": d.provisional,
        "uncoveredYears": list(d.uncovered_years),
        "done": d.done,
        "doneOn": _iso(d.done_on),
        "overdue": d.overdue,
        "late": d.late,
        "note": d.note,
        "parameter": trace_to_json(d.parameter),
        "conditions": [trace_to_json(t) for t in d.conditions],
    }


def review_to_json(r: ReviewDue) -> dict[str, Any]:
    return {
        "caseId": r.case_id,
        "kind": r.kind,
        "program": r.program,
        "title": r.title,
        "titleZh": r.title_zh,
        "dueDate": r.due_date.isoformat(),
        "basis": r.basis,
        "basisDate": _iso(r.basis_date),
        "unit": r.unit,
        "interval": r.interval,
        "overdue": r.overdue,
        "note": r.note,
        "parameter": trace_to_json(r.parameter),
    }


__all__ = [
    "DEADLINE_TITLES",
    "MOOT",
    "PATHS",
    "REVIEW_TITLES",
    "Deadline",
    "DueInfo",
    "Item",
    "Planner",
    "PolicyAt",
    "PolicyHistory",
    "ReviewDue",
    "Rules",
    "ScheduleRow",
    "case_deadlines",
    "case_row",
    "deadline_to_json",
    "next_reviews",
    "review_to_json",
    "schedule_row",
]
