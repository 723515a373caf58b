"""Officials' calendars (issue 5, item 6): what is due where, assembled from the deadlines, review
schedules, payment days, report deadlines and campaigns, and rendered as RFC 5545 iCalendar.

Pure: no I/O, every date is an argument (``as_of``, the window, the ``DTSTAMP``). The case items
come in already computed (:class:`core.calendars.schedules.Deadline`,
:class:`core.calendars.schedules.ReviewDue`,
read in bulk by the schedules store); the policy items are read here from the merged policy
(:class:`core.policy.service.PolicyBase`, plain data).

Entries (:class:`CalendarEntry`), one ``kind`` each:

- ``case_deadline``: an open step deadline of a case (:mod:`core.calendars.schedules`), with its
due date,
  ``overdue``, and ``provisional`` when a day counted lies in a year without a published holiday
  schedule (the title says so: "（暂定）");
- ``review``: the next periodic check of a case in payment;
- ``payment_day``: ``payments.monthly_due_day`` of each month (basic-living money paid by this
  day; Qiannan: the 20th), resolved on the month's first day;
- ``repayment``: failed payments of a county and month to be paid again by their repay-by date
  (``payments.failed_repay_by``), when payments are given;
- ``report_deadline``: reports owed (:func:`core.reports.rules.report_deadlines`: the village's by
the
  20th, the township's by month end, Guangxi's statistics by the 4th);
- ``campaign_phase``: the phases of plugins' campaigns (专项治理) running at the jurisdiction,
  above it or under it; an ongoing phase (no end) is shown up to the window's end and says so.

Policy items at a prefecture, a province or the nation are computed once per group of counties
that share the rule (the same history of the parameter), not once per county: Qiannan's payment
day is one entry a month for its twelve counties, labelled with the smallest jurisdiction holding
them all (``places`` lists the counties when they are not all the counties under it).

Every entry has a ``uid`` that names the item, not its date (a case's deadline: the case, the step
and the day its clock started), so a calendar app that fetches the feed again updates the event
(a provisional date that became final, a new policy value) instead of adding a second one.

:func:`render_ics` writes the iCalendar text with the ``icalendar`` library: all-day events
(``DTSTART;VALUE=DATE``, ``DTEND`` the day after the last day), ``STATUS:TENTATIVE`` for
provisional ones, CRLF line endings and lines folded at 75 octets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import icalendar

from core.calendars import windows
from core.calendars.schedules import Deadline, ReviewDue
from core.eligibility import add_months, trace_entry
from core.errors import InvalidInput
from core.payments import rules as pay
from core.plugin.hookspecs import Campaign, Source, TraceEntry
from core.policy.jurisdictions import Jurisdiction, JurisdictionRegistry
from core.policy.resolution import HistoryEntry, ResolvedPolicy
from core.reports import rules as rep
from core.validation.dates import check_date

# -- kinds and limits --------------------------------------------------------------------------

CASE_DEADLINE = "case_deadline"
REVIEW = "review"
PAYMENT_DAY = "payment_day"
REPAYMENT = "repayment"
REPORT_DEADLINE = "report_deadline"
CAMPAIGN_PHASE = "campaign_phase"
KINDS: tuple[str, ...] = (
    CAMPAIGN_PHASE,
    REPORT_DEADLINE,
    PAYMENT_DAY,
    REPAYMENT,
    CASE_DEADLINE,
    REVIEW,
)
KIND_LABELS: dict[str, tuple[str, str]] = {  # kind → (English, Chinese), for CATEGORIES
    CASE_DEADLINE: ("Case deadline", "办理时限"),
    REVIEW: ("Review", "定期复核"),
    PAYMENT_DAY: ("Payment day", "资金发放"),
    REPAYMENT: ("Repayment", "失败补发"),
    REPORT_DEADLINE: ("Report deadline", "报送期限"),
    CAMPAIGN_PHASE: ("Campaign phase", "专项治理"),
}
PROGRAM_ZH = {"dibao": "低保", "tekun": "特困供养", "temporary": "临时救助"}

MAX_WINDOW_DAYS = 400
"""The longest window a calendar is computed for (the feed's default is 396 days)."""
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365

PROVISIONAL_ZH = "（暂定）"
PROVISIONAL_EN = " (provisional)"
OVERDUE_ZH = "（已逾期）"
OVERDUE_EN = " (overdue)"
UID_DOMAIN = "doudi"
PRODID = "-//doudi//doudi calendar feed//ZH"
TIMEZONE = "Asia/Shanghai"
REFRESH = dt.timedelta(hours=1)


class PolicyView(Protocol):
    """What the calendar reads of the merged policy (a :class:`PolicyBase`)."""

    registry: JurisdictionRegistry
    campaigns: tuple[tuple[str, Campaign], ...]

    def resolve(self, code: str, as_of: dt.date) -> ResolvedPolicy: ...

    def history(self, code: str, path: str) -> list[HistoryEntry]: ...


# -- entries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One item of a calendar.

    ``end`` is the last day (inclusive), None for a one-day item; every entry is all-day.
    ``parameter`` is the policy value the date comes from (path, value, layer, source); ``source``
    the document behind the item (the parameter's, or the campaign's). ``case_id`` is set for a
    case's own items, ``case_ids`` for a repayment (the cases of its failed payments).
    ``places`` lists the counties a policy item applies to when they are not every county under
    ``jurisdiction``. ``clipped``: an ongoing item shown up to the window's end only.
    """

    uid: str
    kind: str
    subkind: str
    title: str
    title_zh: str
    start: dt.date
    end: dt.date | None = None
    all_day: bool = True
    provisional: bool = False
    uncovered_years: tuple[int, ...] = ()
    overdue: bool = False
    case_id: int | None = None
    case_ids: tuple[int, ...] = ()
    program: str | None = None
    jurisdiction: str = ""
    jurisdiction_name: str = ""
    places: tuple[str, ...] = ()
    period: str | None = None
    parameter: TraceEntry | None = None
    source: Source | None = None
    clipped: bool = False
    note: str = ""

    @property
    def last_day(self) -> dt.date:
        return self.end if self.end is not None else self.start


@dataclass(frozen=True, slots=True)
class Calendar:
    """The entries of one jurisdiction between two days (inclusive), by date."""

    jurisdiction: Jurisdiction
    start: dt.date
    end: dt.date
    as_of: dt.date
    entries: tuple[CalendarEntry, ...]

    @property
    def name(self) -> str:
        return f"兜底 {self.jurisdiction.name} ({self.jurisdiction.code})"


@dataclass(frozen=True, slots=True)
class Repayment:
    """A failed payment awaiting repayment (from the payments store): reported failed on
    ``failed_on``, to be paid again by ``repay_by``."""

    payment_id: int
    case_id: int
    county: str
    month: str  # YYYY-MM: the month the payment is for
    failed_on: dt.date
    repay_by: dt.date


# -- windows -----------------------------------------------------------------------------------


def check_window(start: dt.date, end: dt.date) -> None:
    """INVALID_INPUT unless [start, end] is a window of at most :data:`MAX_WINDOW_DAYS` days
    within :data:`core.calendars.windows.FIRST_DAY` .. :data:`core.calendars.windows.LAST_DAY`."""
    windows.check_window(start, end, MAX_WINDOW_DAYS, "a calendar")


def default_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The feed's window when none is given: 30 days back to 365 days ahead of ``today``."""
    return today - dt.timedelta(days=FEED_DAYS_BACK), today + dt.timedelta(days=FEED_DAYS_AHEAD)


def parse_day(text: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD query value (None when absent or empty); INVALID_INPUT when it is not a date,
    DATE_OUT_OF_RANGE outside the dates doudi accepts."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) != 10:
        raise InvalidInput(f"{name}: '{value[:40]}' is not a date; use YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: '{value}' is not a date; use YYYY-MM-DD") from None
    return check_date(day, name)  # 9999-12-01 + the default window overflowed (HTTP 500)


# -- helpers -----------------------------------------------------------------------------------


def _uid(*parts: object) -> str:
    text = "-".join(str(p) for p in parts if p is not None and p != "")
    return f"{text}@{UID_DOMAIN}"


def _marked(
    title: str, title_zh: str, *, provisional: bool, overdue: bool = False
) -> tuple[str, str]:
    if provisional:
        title, title_zh = title + PROVISIONAL_EN, title_zh + PROVISIONAL_ZH
    if overdue:
        title, title_zh = title + OVERDUE_EN, title_zh + OVERDUE_ZH
    return title, title_zh


def _provisional_note(years: Sequence[int]) -> str:
    listed = ", ".join(str(y) for y in years)
    return (
        f"provisional: no published holiday schedule for {listed}; weekdays were counted as "
        "working days except the days the law fixes (the 13 days of the holiday law) "
        f"(暂定：{listed}年节假日安排尚未发布)"
    )


def leaf_places(registry: JurisdictionRegistry, code: str) -> list[Jurisdiction]:
    """The jurisdictions without children at or under ``code`` (the counties), by code."""
    out: list[Jurisdiction] = []
    stack = [registry.get(code)]
    while stack:
        j = stack.pop()
        kids = registry.children(j.code)
        if kids:
            stack.extend(kids)
        else:
            out.append(j)
    return sorted(out, key=lambda j: j.code)


def _common_code(registry: JurisdictionRegistry, codes: Sequence[str], within: str) -> str:
    """The most specific jurisdiction at or under ``within`` holding every code."""
    chains = [[j.code for j in reversed(registry.chain(c))] for c in codes]
    common: str | None = None
    for level in zip(*chains, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    if common is None or not registry.is_within(common, within):
        return registry.get(within).code
    return common


@dataclass(frozen=True, slots=True)
class _Group:
    """Counties that share one parameter's whole history, and where to label them."""

    representative: str
    code: str
    places: tuple[str, ...]  # empty: every county under ``code``
    key: str  # for uids: the code, plus a digest of the places when not all of them


def _signature(history: list[HistoryEntry]) -> tuple[Any, ...]:
    return tuple((h.start, h.until, id(h.winner)) for h in history)


def policy_groups(base: PolicyView, code: str, path: str) -> list[_Group]:
    """The counties at or under ``code`` grouped by the history of ``path`` (only those where
    it is ever set)."""
    registry = base.registry
    leaves = leaf_places(registry, code)
    by_signature: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for leaf in leaves:
        history = base.history(leaf.code, path)
        if any(h.is_set for h in history):
            by_signature[_signature(history)].append(leaf.code)
    groups: list[_Group] = []
    for members in by_signature.values():
        where = _common_code(registry, members, code)
        under = {j.code for j in leaf_places(registry, where)}
        if under == set(members):
            groups.append(_Group(members[0], where, (), where))
        else:
            digest = hashlib.sha256(",".join(members).encode()).hexdigest()[:10]
            groups.append(_Group(members[0], where, tuple(members), f"{where}-{digest}"))
    return sorted(groups, key=lambda g: g.key)


def _name(registry: JurisdictionRegistry, code: str) -> str:
    return registry.get(code).name


# -- case items --------------------------------------------------------------------------------


def _carried(
    due: dt.date, overdue: bool, start: dt.date, end: dt.date, carry_to: dt.date | None
) -> tuple[dt.date, str] | None:
    """Where an item shows: on its due date inside the window; an open overdue item due before
    the window is carried to ``carry_to`` (today, within the window) so that it is not lost
    from sight; else nowhere (None). Also the note saying it was carried."""
    if start <= due <= end:
        return due, ""
    if overdue and due < start and carry_to is not None:
        return carry_to, f"due {due.isoformat()}, overdue: shown on {carry_to.isoformat()}"
    return None


def deadline_entry(
    d: Deadline,
    county: Jurisdiction,
    start: dt.date,
    end: dt.date,
    carry_to: dt.date | None = None,
) -> CalendarEntry | None:
    """The entry of an open deadline due in [start, end], or overdue and carried to
    ``carry_to`` (None otherwise: done, no due date, or outside the window)."""
    if d.done or d.due_date is None:
        return None
    shown = _carried(d.due_date, d.overdue, start, end, carry_to)
    if shown is None:
        return None
    program_zh = PROGRAM_ZH.get(d.program, d.program)
    title, title_zh = _marked(
        f"{d.title} ({d.program}, case {d.case_id})",
        f"{d.title_zh}（{program_zh}，案件{d.case_id}）",
        provisional=d.provisional,
        overdue=d.overdue,
    )
    note = "; ".join(x for x in (shown[1], d.note) if x)
    if d.provisional and "provisional" not in note:
        extra = _provisional_note(d.uncovered_years)
        note = f"{note}; {extra}" if note else extra
    return CalendarEntry(
        uid=_uid("case", d.case_id, "deadline", d.kind, d.started_on),
        kind=CASE_DEADLINE,
        subkind=d.kind,
        title=title,
        title_zh=title_zh,
        start=shown[0],
        provisional=d.provisional,
        uncovered_years=tuple(d.uncovered_years),
        overdue=d.overdue,
        case_id=d.case_id,
        program=d.program,
        jurisdiction=county.code,
        jurisdiction_name=county.name,
        parameter=d.parameter,
        source=d.parameter.source,
        note=note,
    )


def review_entry(
    r: ReviewDue,
    county: Jurisdiction,
    start: dt.date,
    end: dt.date,
    carry_to: dt.date | None = None,
) -> CalendarEntry | None:
    """The entry of a review due in [start, end], or overdue and carried to ``carry_to`` (None
    otherwise)."""
    shown = _carried(r.due_date, r.overdue, start, end, carry_to)
    if shown is None:
        return None
    program_zh = PROGRAM_ZH.get(r.program, r.program)
    title, title_zh = _marked(
        f"{r.title} ({r.program}, case {r.case_id})",
        f"{r.title_zh}（{program_zh}，案件{r.case_id}）",
        provisional=False,
        overdue=r.overdue,
    )
    basis = f"from the {r.basis}" if r.basis else ""
    note = "; ".join(x for x in (shown[1], basis, r.note) if x)
    return CalendarEntry(
        uid=_uid("case", r.case_id, "review", r.kind, r.basis_date),
        kind=REVIEW,
        subkind=r.kind,
        title=title,
        title_zh=title_zh,
        start=shown[0],
        overdue=r.overdue,
        case_id=r.case_id,
        program=r.program,
        jurisdiction=county.code,
        jurisdiction_name=county.name,
        parameter=r.parameter,
        source=r.parameter.source,
        note=note,
    )


def repayment_entries(
    base: PolicyView, repayments: Iterable[Repayment], start: dt.date, end: dt.date
) -> list[CalendarEntry]:
    """One entry per county, payment month and repay-by date in [start, end]."""
    registry = base.registry
    grouped: dict[tuple[str, str, dt.date], list[Repayment]] = defaultdict(list)
    for r in repayments:
        if start <= r.repay_by <= end:
            grouped[(r.county, r.month, r.repay_by)].append(r)
    out: list[CalendarEntry] = []
    for (county, month, due), items in grouped.items():
        # The rule in force when the failure was reported (as the payments store reads it).
        policy = base.resolve(county, max(r.failed_on for r in items))
        param = trace_entry(policy.get(pay.P_REPAY_BY))
        cases = tuple(sorted({r.case_id for r in items}))
        n = len(items)
        out.append(
            CalendarEntry(
                uid=_uid("repayment", county, month, due.isoformat()),
                kind=REPAYMENT,
                subkind="failed_payments",
                title=f"Pay failed payments again ({month}, {n} payment{'s' if n != 1 else ''})",
                title_zh=f"发放失败资金补发到位（{month}，{n}笔）",
                start=due,
                case_ids=cases,
                jurisdiction=county,
                jurisdiction_name=_name(registry, county),
                period=month,
                parameter=param,
                source=param.source,
                note=f"{n} payment{'s' if n != 1 else ''} of {month} reported failed: payments "
                + ", ".join(str(r.payment_id) for r in sorted(items, key=lambda r: r.payment_id)),
            )
        )
    return out


# -- policy items ------------------------------------------------------------------------------


def _months(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = add_months(month, 1)


def payment_day_entries(
    base: PolicyView, code: str, start: dt.date, end: dt.date
) -> list[CalendarEntry]:
    """``payments.monthly_due_day`` of each month whose due day falls in [start, end], per
    group of counties sharing the rule."""
    registry = base.registry
    out: list[CalendarEntry] = []
    for g in policy_groups(base, code, pay.P_DUE_DAY):
        for month in _months(start, end):
            mp = pay.month_policy(base.resolve(g.representative, month), month)
            if mp.due_date is None or not start <= mp.due_date <= end:
                continue
            key = pay.month_text(month)
            out.append(
                CalendarEntry(
                    uid=_uid("payment-day", g.key, key),
                    kind=PAYMENT_DAY,
                    subkind="monthly_due_day",
                    title=f"Monthly dibao and tekun money paid by this day ({key})",
                    title_zh=f"低保、特困供养等基本生活资金按月发放截止（{key}）",
                    start=mp.due_date,
                    jurisdiction=g.code,
                    jurisdiction_name=_name(registry, g.code),
                    places=g.places,
                    period=key,
                    parameter=mp.due_day,
                    source=mp.due_day.source,
                    note=f"basic-living money paid by day {mp.due_day.value} of each month "
                    f"(每月{mp.due_day.value}日前完成发放)",
                )
            )
    return out


_REPORT_PATHS = {k.kind: k.path for k in rep.KINDS}


def _policy_at(base: PolicyView, code: str) -> rep.PolicyAt:
    def at(day: dt.date) -> ResolvedPolicy:
        return base.resolve(code, day)

    return at


def report_deadline_entries(
    base: PolicyView, code: str, start: dt.date, end: dt.date
) -> list[CalendarEntry]:
    """Reports due in [start, end] (:func:`core.reports.rules.report_deadlines`), per group of
    counties sharing each report's rule."""
    registry = base.registry
    out: list[CalendarEntry] = []
    for kind, path in _REPORT_PATHS.items():
        for g in policy_groups(base, code, path):
            rep_code = g.representative
            found = rep.report_deadlines(
                base.resolve(rep_code, start),
                start,
                end,
                policy_at=_policy_at(base, rep_code),
            )
            for d in found:
                if d.kind != kind:
                    continue
                out.append(
                    CalendarEntry(
                        uid=_uid("report", d.kind, d.period, g.key),
                        kind=REPORT_DEADLINE,
                        subkind=d.kind,
                        title=f"{d.title} ({d.period})",
                        title_zh=f"{d.title_zh}（{d.period}）",
                        start=d.due,
                        jurisdiction=g.code,
                        jurisdiction_name=_name(registry, g.code),
                        places=g.places,
                        period=d.period,
                        parameter=d.parameter,
                        source=d.parameter.source,
                        note=f"the report covers {d.period}",
                    )
                )
    return out


def campaign_entries(
    base: PolicyView, code: str, start: dt.date, end: dt.date
) -> list[CalendarEntry]:
    """Phases overlapping [start, end] of the campaigns running at ``code``, above it or under
    it. An ongoing phase ends at the window's end (``clipped``)."""
    registry = base.registry
    out: list[CalendarEntry] = []
    for plugin, c in base.campaigns:
        if not (
            registry.is_within(code, c.jurisdiction) or registry.is_within(c.jurisdiction, code)
        ):
            continue
        for i, phase in enumerate(c.phases):
            if not rep.phase_overlaps(phase, start, end):
                continue
            clipped = phase.end is None
            last = end if phase.end is None else phase.end
            name_zh = phase.name_zh or phase.name
            note = f"phase {i + 1} of {len(c.phases)} ({plugin})"
            title, title_zh = f"{c.title}: {phase.name}", f"{c.title_zh}：{name_zh}"
            if clipped:
                note += (
                    f"; ongoing (持续推进): no end date, shown up to {end.isoformat()}, the end "
                    "of the calendar's window"
                )
                title, title_zh = title + " (ongoing)", title_zh + "（持续推进）"
            out.append(
                CalendarEntry(
                    uid=_uid("campaign", c.id, phase.name),
                    kind=CAMPAIGN_PHASE,
                    subkind=phase.name,
                    title=title,
                    title_zh=title_zh,
                    start=phase.start,
                    end=last if last != phase.start else None,
                    jurisdiction=c.jurisdiction,
                    jurisdiction_name=_name(registry, c.jurisdiction),
                    source=c.source,
                    clipped=clipped,
                    note=note,
                )
            )
    return out


# -- the calendar ------------------------------------------------------------------------------

_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


def sort_key(e: CalendarEntry) -> tuple[Any, ...]:
    return (e.start, _KIND_ORDER.get(e.kind, 99), e.jurisdiction, e.case_id or 0, e.uid)


def build_calendar(
    base: PolicyView,
    code: str,
    start: dt.date,
    end: dt.date,
    *,
    as_of: dt.date,
    deadlines: Iterable[Deadline] = (),
    reviews: Iterable[ReviewDue] = (),
    case_counties: Mapping[int, str] | None = None,
    repayments: Iterable[Repayment] = (),
) -> Calendar:
    """The calendar of ``code`` for [start, end]: the case items given (``case_counties``: the
    county of each case id) and the policy items at or under ``code``, sorted by date (then
    kind). Done deadlines and items outside the window are left out, except open overdue case
    items due before it when the window holds ``as_of``: they show on ``as_of``, saying when
    they were due; an item given twice (same uid) is kept once."""
    check_window(start, end)
    registry = base.registry
    where = registry.get(code)
    counties = case_counties or {}
    places: dict[str, Jurisdiction] = {}

    def county_of(case_id: int) -> Jurisdiction:
        c = counties.get(case_id)
        if c is None:
            raise InvalidInput(f"case {case_id}: its county is not known to the calendar")
        j = places.get(c)
        if j is None:
            j = places[c] = registry.get(c)
        return j

    # open overdue work due before the window shows on today, in the window holding today
    carry_to = as_of if start <= as_of <= end else None
    entries: list[CalendarEntry] = []
    for d in deadlines:
        e = deadline_entry(d, county_of(d.case_id), start, end, carry_to)
        if e is not None:
            entries.append(e)
    for r in reviews:
        e = review_entry(r, county_of(r.case_id), start, end, carry_to)
        if e is not None:
            entries.append(e)
    entries.extend(repayment_entries(base, repayments, start, end))
    entries.extend(payment_day_entries(base, where.code, start, end))
    entries.extend(report_deadline_entries(base, where.code, start, end))
    entries.extend(campaign_entries(base, where.code, start, end))
    unique = {e.uid: e for e in entries}
    return Calendar(where, start, end, as_of, tuple(sorted(unique.values(), key=sort_key)))


# -- text --------------------------------------------------------------------------------------


def cite_source(s: Source | None) -> str:
    """A document citation: title (number), issuer, date, section, “quote”."""
    if s is None:
        return ""
    d = s.document
    head = d.title or d.id
    if d.number:
        head += f"（{d.number}）"
    parts = [head]
    if d.issuer:
        parts.append(d.issuer)
    if d.date is not None:
        parts.append(d.date.isoformat())
    if s.section:
        parts.append(s.section)
    text = ", ".join(parts)
    if s.quote:
        text += f" “{s.quote}”"
    return text


def cite_parameter(t: TraceEntry | None) -> str:
    """``path = value``, and the layer that set it."""
    if t is None:
        return ""
    if not t.is_set:
        return f"{t.path}: not set"
    value = list(t.value) if isinstance(t.value, tuple) else t.value
    text = f"{t.path} = {value}"
    if t.jurisdiction_code is not None:
        text += f" (set at {t.jurisdiction_code} {t.jurisdiction_name or ''}".rstrip()
        text += f", {t.origin}" if t.origin else ""
        if t.effective_from is not None:
            text += f", from {t.effective_from.isoformat()}"
        text += ")"
    return text


def describe(e: CalendarEntry) -> str:
    """The entry in words (the iCalendar DESCRIPTION)."""
    lines = [e.title_zh, e.title]
    if e.case_id is not None:
        lines.append(f"案件 Case: {e.case_id} ({e.program})")
    if e.case_ids:
        lines.append("案件 Cases: " + ", ".join(str(c) for c in e.case_ids))
    where = f"{e.jurisdiction} {e.jurisdiction_name}".strip()
    if e.places:
        where += f" — {len(e.places)} counties: " + ", ".join(e.places)
    lines.append(f"地区 Jurisdiction: {where}")
    when = e.start.isoformat() if e.end is None else f"{e.start.isoformat()} – {e.end.isoformat()}"
    lines.append(f"日期 Date: {when}")
    if e.provisional:
        lines.append(_provisional_note(e.uncovered_years))
    if e.overdue:
        lines.append("已逾期 Overdue: not done by the due date")
    if e.clipped:
        lines.append("持续推进 Ongoing: no end date; shown up to the end of the window")
    if e.parameter is not None:
        lines.append(f"依据 Parameter: {cite_parameter(e.parameter)}")
    if e.source is not None:
        lines.append(f"来源 Source: {cite_source(e.source)}")
    if e.note:
        lines.append(f"说明 Note: {e.note}")
    return "\n".join(lines)


def categories(e: CalendarEntry) -> list[str]:
    en, zh = KIND_LABELS[e.kind]
    out = [zh, en]
    if e.program:
        out.append(PROGRAM_ZH.get(e.program, e.program))
    if e.provisional:
        out.append("暂定")
    if e.overdue:
        out.append("逾期")
    return out


# -- iCalendar ---------------------------------------------------------------------------------


def _event(e: CalendarEntry, stamp: dt.datetime) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", e.uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", e.start)
    ev.add("dtend", e.last_day + dt.timedelta(days=1))
    ev.add("summary", e.title_zh)
    ev.add("description", describe(e))
    ev.add("categories", categories(e))
    ev.add("status", "TENTATIVE" if e.provisional else "CONFIRMED")
    ev.add("transp", "TRANSPARENT")
    ev.add("x-doudi-kind", e.kind)
    if e.case_id is not None:
        ev.add("x-doudi-case-id", str(e.case_id))
    return ev


def render_ics(calendar: Calendar, stamp: dt.datetime) -> bytes:
    """The calendar as RFC 5545 text (UTF-8, CRLF, folded at 75 octets). ``stamp`` is the
    DTSTAMP of every event (an aware datetime, written in UTC)."""
    if stamp.tzinfo is None:
        raise ValueError("stamp must be timezone-aware")
    utc = stamp.astimezone(dt.UTC).replace(microsecond=0)
    j = calendar.jurisdiction
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar.name)
    cal.add("x-wr-timezone", TIMEZONE)
    cal.add(
        "x-wr-caldesc",
        f"兜底 doudi: {j.code} {j.name}, {calendar.start.isoformat()} – "
        f"{calendar.end.isoformat()} (as of {calendar.as_of.isoformat()}): case deadlines, "
        "reviews, payment days, report deadlines and campaigns",
    )
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for e in calendar.entries:
        cal.add_component(_event(e, utc))
    return bytes(cal.to_ical())


def feed_filename(code: str) -> str:
    return f"doudi-{code}.ics"


# -- JSON --------------------------------------------------------------------------------------


def entry_to_json(e: CalendarEntry) -> dict[str, Any]:
    from core.eligibility.json import source_to_json, trace_to_json

    return {
        "uid": e.uid,
        "kind": e.kind,
        "subkind": e.subkind,
        "title": e.title,
        "titleZh": e.title_zh,
        "start": e.start.isoformat(),
        "end": None if e.end is None else e.end.isoformat(),
        "allDay": e.all_day,
        "provisional": e.provisional,
        "uncoveredYears": list(e.uncovered_years),
        "overdue": e.overdue,
        "caseId": e.case_id,
        "caseIds": list(e.case_ids),
        "program": e.program,
        "jurisdiction": e.jurisdiction,
        "jurisdictionName": e.jurisdiction_name,
        "places": list(e.places),
        "period": e.period,
        "clipped": e.clipped,
        "note": e.note,
        "parameter": None if e.parameter is None else trace_to_json(e.parameter),
        "source": source_to_json(e.source),
    }


def calendar_to_json(c: Calendar) -> dict[str, Any]:
    return {
        "jurisdiction": c.jurisdiction.code,
        "jurisdictionName": c.jurisdiction.name,
        "from": c.start.isoformat(),
        "to": c.end.isoformat(),
        "asOf": c.as_of.isoformat(),
        "entries": [entry_to_json(e) for e in c.entries],
    }


__all__ = [
    "CAMPAIGN_PHASE",
    "CASE_DEADLINE",
    "KINDS",
    "MAX_WINDOW_DAYS",
    "PAYMENT_DAY",
    "REPAYMENT",
    "REPORT_DEADLINE",
    "REVIEW",
    "Calendar",
    "CalendarEntry",
    "PolicyView",
    "Repayment",
    "build_calendar",
    "calendar_to_json",
    "campaign_entries",
    "check_window",
    "deadline_entry",
    "default_window",
    "describe",
    "entry_to_json",
    "feed_filename",
    "leaf_places",
    "parse_day",
    "payment_day_entries",
    "policy_groups",
    "render_ics",
    "repayment_entries",
    "report_deadline_entries",
    "review_entry",
]


def window(start: dt.date | None, end: dt.date | None, now: dt.date) -> tuple[dt.date, dt.date]:
    """The window asked for, the feed's default filling in what is missing (checked)."""
    default_start, default_end = default_window(now)
    if start is None and end is not None:
        default_start = end - dt.timedelta(days=FEED_DAYS_BACK + FEED_DAYS_AHEAD)
    if end is None and start is not None:
        default_end = start + dt.timedelta(days=FEED_DAYS_BACK + FEED_DAYS_AHEAD)
    s, e = start or default_start, end or default_end
    check_window(s, e)
    return s, e
