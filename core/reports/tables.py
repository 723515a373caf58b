"""Report tables a plugin declares (pure): lines counted from one month's case facts.

A province's documents often order a statistics table (Yongfu's 全县困难群众救助保障政策落实专项
治理进展情况统计表 is one). The table's wording, sections and counting rules belong to the
province, so a plugin declares it (``doudi_report_tables``) as a :class:`ReportTable`; the core
reads the month's case facts from storage (:mod:`core.reports.store`), computes every line
(:func:`core.reports.rules.compute_table`) and serves it through GraphQL
(``monthlyStatistics``), the CLI (``doudi reports statistics``) and CSV.

A line is either counted — ``count`` is a function of :class:`MonthFacts` returning a
:class:`Count` — or one the platform's data cannot support, with ``why`` saying so (its value is
then empty, never a 0 that pretends). Counting functions are pure: they see the cases with an
event of interest in the month, each with all its events, and read nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.plugin.types import Source

# The report-deadline kinds of :mod:`core.reports.rules` a table may take its due date from.
REPORT_KINDS = ("village_monthly", "township_to_county", "monthly_statistics")

ACTIVE_STATES = frozenset({"active", "phasing_out"})
CONFIRMED = "active"  # the state a dibao/tekun confirmation leads to

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# -- the facts a table counts from ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFact:
    """One case event as a table reads it (from ``case_events``)."""

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
class Count:
    """A counted line: its figure, the cases whose count is approximate (see
    :meth:`MonthFacts.persons`) and words to add to the line's note."""

    value: int
    approximate: frozenset[int] = frozenset()
    notes: tuple[str, ...] = ()


EventPick = Callable[[CaseFacts], "EventFact | None"]


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


@dataclass(frozen=True, slots=True)
class PersonEvent:
    """One change to a person's low-income register entry, or a data warning about them.

    ``action``: recognised (``categories``), tagged (``tag``), marked (``marks``: the warning
    marks of a finding raised on them — 低保标记, 特困标记, or their register groups'),
    reassessed (``homeVisit``, ``wasFlagged``), exited."""

    action: str
    on: dt.date
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A person of the low-income register (or warned about by the data) with the events of
    their entry, oldest first; ``categories`` as they stand at the end of the month."""

    id_number: str
    county: str
    categories: tuple[str, ...]
    events: tuple[PersonEvent, ...]

    def category_on(self, category: str, day: dt.date) -> bool:
        """On the register in ``category`` on ``day`` (recognised or re-assessed into it on or
        before ``day``, and not exited since)."""
        held = False
        for e in self.events:
            if e.on > day:
                break
            if e.action in ("recognised", "reassessed") and "categories" in e.detail:
                held = category in e.detail["categories"]
            elif e.action == "exited":
                held = False
        return held


@dataclass(frozen=True, slots=True)
class MonthFacts:
    """What a line's counting function sees: the month and its cases (each with all its events;
    only events dated in the month count — a table is not cumulative), and the people of the
    low-income register with their entries' events (``people``)."""

    jurisdiction: str
    start: dt.date
    end: dt.date
    cases: tuple[CaseFacts, ...]
    people: tuple[PersonFacts, ...] = ()

    def people_with(self, action: str, test: Callable[[PersonEvent], bool] = lambda e: True
                    ) -> Count:  # fmt: skip
        """Distinct people with an ``action`` event dated in the month that passes ``test``."""
        return Count(
            sum(
                1
                for p in self.people
                if any(e.action == action and self.in_month(e.on) and test(e) for e in p.events)
            )
        )

    def persons_in_category(
        self, cases: Iterable[CaseFacts], pick: EventPick, category: str
    ) -> Count:
        """Like :meth:`persons`, counting only people who were on the register in ``category``
        on the day of the event ``pick`` finds."""
        register = {p.id_number: p for p in self.people}
        covered = _Covered()
        people: set[str] = set()
        for case in cases:
            event = pick(case)
            if event is None:
                continue
            for number in covered(case, event.seq):
                p = register.get(number)
                if p is not None and p.category_on(category, event.on):
                    people.add(number)
        return Count(len(people), frozenset(covered.approximate))

    def cases_in_category(
        self, cases: Iterable[CaseFacts], pick: EventPick, category: str
    ) -> Count:
        """One per case (人次) for which ``pick`` finds an event and a person it covers was on
        the register in ``category`` that day."""
        register = {p.id_number: p for p in self.people}
        covered = _Covered()
        n = 0
        for case in cases:
            event = pick(case)
            if event is None:
                continue
            if any(
                (p := register.get(number)) is not None and p.category_on(category, event.on)
                for number in covered(case, event.seq)
            ):
                n += 1
        return Count(n, frozenset(covered.approximate))

    def in_month(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def of_program(self, *programs: str) -> list[CaseFacts]:
        """The cases of these programs, in order."""
        return [c for c in self.cases if c.program in programs]

    def first_in_month(
        self, case: CaseFacts, test: Callable[[EventFact], bool]
    ) -> EventFact | None:
        """The case's first event dated in the month that passes ``test``."""
        return next((e for e in case.events if self.in_month(e.on) and test(e)), None)

    def confirmation(self, case: CaseFacts) -> EventFact | None:
        """The case's confirmation (``confirm_case`` → active), whenever it was."""
        return next(
            (e for e in case.events if e.action == "confirm_case" and e.to_state == CONFIRMED),
            None,
        )

    def confirmed_in_month(self, case: CaseFacts) -> EventFact | None:
        """The case's confirmation if it is dated in the month."""
        e = self.confirmation(case)
        return e if e is not None and self.in_month(e.on) else None

    def on_beneficiary(self, action: str) -> EventPick:
        """A pick: the first ``action`` in the month taken on a case in payment (active or
        phasing out)."""
        return lambda c: self.first_in_month(
            c, lambda e: e.action == action and e.from_state in ACTIVE_STATES
        )

    def persons(self, cases: Iterable[CaseFacts], pick: EventPick) -> Count:
        """Distinct persons (ID numbers) covered by the cases for which ``pick`` finds an event,
        counted right after that event; cases whose coverage had to be reconstructed across a
        later review are listed as approximate."""
        covered = _Covered()
        people: set[str] = set()
        for case in cases:
            event = pick(case)
            if event is not None:
                people |= covered(case, event.seq)
        return Count(len(people), frozenset(covered.approximate))

    def cases_where(self, cases: Iterable[CaseFacts], pick: EventPick) -> Count:
        """One per case for which ``pick`` finds an event (人次 and 件 figures)."""
        return Count(sum(1 for c in cases if pick(c) is not None))


CountRule = Callable[[MonthFacts], Count]


# -- what a plugin declares ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableSection:
    """A section of the table: a stable key, and its title in English and in the table's words."""

    key: str
    title: str
    title_zh: str


@dataclass(frozen=True, slots=True)
class TableRow:
    """One line of a table.

    ``label_zh`` is the table's wording (``…`` joins words the table separates, and each part is
    checked against the plugin's ``source.txt``); ``unit_zh`` is the unit it asks for (人, 人次,
    件, 个, 次). Exactly one of ``count`` (how the figure is counted) and ``why`` (why the
    platform's data cannot support it) is given; ``note`` says in plain words how it is counted.
    ``in_table`` is False for a line the platform adds in support of the table's own lines.
    """

    key: str
    section: str
    label: str
    label_zh: str
    unit_zh: str
    count: CountRule | None = None
    why: str | None = None
    note: str = ""
    in_table: bool = True


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A monthly statistics table a plugin's document orders.

    ``jurisdiction`` is where it is kept: the platform computes it for that jurisdiction and any
    place under it (each place's own cases and those under it). ``events`` are the case actions
    that put a case among the month's facts (empty: any event dated in the month). ``due_report``
    names the report deadline (one of :data:`REPORT_KINDS`) whose due date the table shows, from
    the merged policy.

    Example (Guangxi): ``ReportTable("guangxi.yongfu_monthly_statistics", "450000",
    "Progress of the special campaign ...", "全县困难群众救助保障政策落实专项治理进展情况统计表",
    sections=(...), rows=(TableRow("new_rural_dibao", "duties", "New rural dibao beneficiaries",
    "农村低保对象", "人", count=...), ...), source=Source(...), due_report="monthly_statistics")``
    """

    id: str
    jurisdiction: str
    title: str
    title_zh: str
    sections: tuple[TableSection, ...]
    rows: tuple[TableRow, ...]
    source: Source
    events: tuple[str, ...] = ()
    due_report: str | None = None

    def problems(self) -> list[str]:
        """What is wrong with the definition itself (empty when it is sound)."""
        out: list[str] = []
        if not _KEY_RE.match(self.id.replace(".", "_")):
            out.append(f"table id '{self.id}' must be lower-case letters, digits, '_' and '.'")
        if self.due_report is not None and self.due_report not in REPORT_KINDS:
            out.append(
                f"due_report '{self.due_report}' is not a report kind; one of "
                + ", ".join(REPORT_KINDS)
            )
        sections = {s.key for s in self.sections}
        if len(sections) != len(self.sections):
            out.append("two sections have the same key")
        seen: set[str] = set()
        if not self.rows:
            out.append("a table needs at least one row")
        for i, row in enumerate(self.rows):
            where = f"row {i} ('{row.key}')"
            if not _KEY_RE.match(row.key):
                out.append(f"{where}: keys are lower-case letters, digits and '_'")
            if row.key in seen:
                out.append(f"{where}: the key is used twice")
            seen.add(row.key)
            if row.section not in sections:
                out.append(f"{where}: unknown section '{row.section}'")
            if (row.count is None) == (row.why is None):
                out.append(
                    f"{where}: give exactly one of count (how it is counted) and why (why the "
                    "data cannot support it)"
                )
        return out


__all__ = [
    "ACTIVE_STATES",
    "CONFIRMED",
    "REPORT_KINDS",
    "CaseFacts",
    "Count",
    "CountRule",
    "EventFact",
    "EventPick",
    "MonthFacts",
    "PersonEvent",
    "PersonFacts",
    "ReportTable",
    "TableRow",
    "TableSection",
]
