"""Reports officials owe, when they are due; plugins' statistics tables; campaigns.

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

**Statistics tables** (:func:`compute_table`): a table a plugin declares
(``doudi_report_tables``, :class:`core.reports.tables.ReportTable` — Guangxi's 附件 table
全县困难群众救助保障政策落实专项治理进展情况统计表 is one), every line computed from what happened
in the month only (case events by their ``on`` date); a line the platform's data cannot support
has ``value`` None and says why — never a 0 that pretends.

**Campaigns** (:func:`campaign_phases`): the phases of plugins' campaigns (``doudi_campaigns``) that
overlap a window, at a jurisdiction or above it.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from core.calendars import windows
from core.eligibility import add_months, trace_entry
from core.errors import InvalidInput
from core.plugin.types import Campaign, CampaignPhase, TraceEntry
from core.policy.resolution import ResolvedParameter, ResolvedPolicy
from core.reports.tables import (
    REPORT_KINDS,
    CaseFacts,
    EventFact,
    MonthFacts,
    PersonFacts,
    ReportTable,
)

PolicyAt = Callable[[dt.date], ResolvedPolicy]
"""The merged policy at one jurisdiction on a date, e.g. ``lambda d: base.resolve(code, d)``."""

P_VILLAGE = "reports.village_monthly_due_day"
P_TOWNSHIP = "reports.township_to_county_due"
P_STATISTICS = "reports.monthly_statistics_due_day"

# The kinds a plugin's report table may take its due date from (ReportTable.due_report).
VILLAGE_MONTHLY, TOWNSHIP_TO_COUNTY, MONTHLY_STATISTICS = REPORT_KINDS

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


# -- statistics tables: computing a plugin's table ----------------------------------------------


@dataclass(frozen=True, slots=True)
class StatisticsRow:
    """One computed line of a statistics table.

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
    """A plugin's statistics table computed for one jurisdiction and one month (that month's
    events only)."""

    jurisdiction: str
    jurisdiction_name: str
    month: str  # "YYYY-MM"
    start: dt.date
    end: dt.date
    rows: tuple[StatisticsRow, ...]
    due: ReportDeadline | None  # None: no statistics report is set there for that month
    table: str = ""  # the ReportTable's id
    title: str = ""
    title_zh: str = ""

    def row(self, key: str) -> StatisticsRow:
        return next(r for r in self.rows if r.key == key)


def _approximate(ids: frozenset[int]) -> str:
    return (
        "; approximate: a later review changed whom case(s) "
        + ", ".join(str(i) for i in sorted(ids))
        + " cover, and the events before it do not record the members"
    )


def compute_table(
    table: ReportTable,
    jurisdiction: str,
    jurisdiction_name: str,
    month: dt.date,
    cases: Iterable[CaseFacts],
    due: ReportDeadline | None = None,
    people: Iterable[PersonFacts] = (),
) -> MonthlyStatistics:
    """Every line of ``table`` for the month of ``month`` from ``cases`` (each with all its
    events: only events dated in that month are counted, never earlier ones — the table is not
    cumulative). A line the data cannot support has no value and says why."""
    start, end = month.replace(day=1), month_end(month)
    facts = MonthFacts(jurisdiction, start, end, tuple(cases), tuple(people))
    sections = {s.key: s for s in table.sections}
    rows: list[StatisticsRow] = []
    for r in table.rows:
        section = sections[r.section]
        value: int | None = None
        note = r.note
        if r.count is not None:
            counted = r.count(facts)
            value = counted.value
            note += "".join(f"; {n}" for n in counted.notes)
            if counted.approximate:
                note += _approximate(counted.approximate)
        rows.append(
            StatisticsRow(
                key=r.key,
                section=section.title,
                section_zh=section.title_zh,
                label=r.label,
                label_zh=r.label_zh,
                unit_zh=r.unit_zh,
                value=value,
                why=r.why,
                note=note,
                in_table=r.in_table,
            )
        )
    return MonthlyStatistics(
        jurisdiction=jurisdiction,
        jurisdiction_name=jurisdiction_name,
        month=month_key(start),
        start=start,
        end=end,
        rows=tuple(rows),
        due=due,
        table=table.id,
        title=table.title,
        title_zh=table.title_zh,
    )


def statistics_due(
    policy_at: PolicyAt, month: dt.date, kind: str = MONTHLY_STATISTICS
) -> ReportDeadline | None:
    """When the report of kind ``kind`` covering ``month`` is due at ``policy_at``'s
    jurisdiction (None: no such report is set there for that month)."""
    months_after = next(k.months_after for k in KINDS if k.kind == kind)
    due_month = add_months(month.replace(day=1), months_after)
    period = month_key(month)
    found = report_deadlines(
        policy_at(due_month), due_month, month_end(due_month), policy_at=policy_at
    )
    return next((d for d in found if d.kind == kind and d.period == period), None)


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
        "table": stats.table,
        "title": stats.title,
        "titleZh": stats.title_zh,
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
    "compute_table",
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
