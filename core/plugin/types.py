"""The vocabulary of the plugin contract: the frozen dataclasses a plugin returns from its hooks.

Plugins import these through :mod:`core.plugin.api` (the public plugin API); the core imports them
from here or from :mod:`core.plugin.hookspecs`, which re-exports them. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # only for annotations: importing them here would be an import cycle
    from core.households.model import IncomeItem, RigidExpense

ValueType = Literal["integer", "number", "boolean", "enum", "list"]


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """A catalog entry: one dotted parameter path with its type, unit and meaning.

    ``choices`` lists the allowed values of an ``enum`` (or of each item of a ``list``); an empty
    ``choices`` on a list allows free text items.
    """

    path: str
    type: ValueType
    unit: str
    description: str
    label_zh: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A policy document a value is taken from.

    ``date`` is the document's date (issued or published); ``note`` says anything a reader must
    know about how reliable the citation is (e.g. "number commonly cited, not read in an official
    copy").
    """

    id: str
    title: str
    number: str = ""
    issuer: str = ""
    date: dt.date | None = None
    url: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """Where exactly a value comes from: a document, its section, and the document's own words."""

    document: Document
    section: str = ""
    quote: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Coverage:
    """A jurisdiction (GB/T 2260 code) the plugin speaks for; it covers everything under it too.

    Example: ``Coverage("522700", "黔南布依族苗族自治州")``.
    """

    code: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """A policy data file (``.yaml``, ``.yml`` or ``.json``) shipped inside the plugin package.

    The file must validate against ``schema/policy-layer.schema.json``; ``name`` is how errors
    refer to it (defaults to the file name).
    """

    resource: Traversable | Path
    name: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.resource.name


@dataclass(frozen=True, slots=True)
class Program:
    """An assistance program a plugin adds to the core ones (dibao, low income, tekun, temporary).

    ``scope`` is the jurisdiction where it exists. ``parameters`` declares the program's own
    parameters; each path must start with ``programs.<id>.`` (a path the core catalog already
    declares may be repeated here only with the same type and unit).

    Example (Guizhou): ``Program(id="retrenched_1960s_workers", name="Relief for workers laid off
    in the 1960s", name_zh="60年代精减退职工救济", scope="522700", parameters=(ParameterSpec(
    "programs.retrenched_1960s_workers.monthly_amount", "number", "yuan_per_month", "..."),))``.
    """

    id: str
    name: str
    name_zh: str
    scope: str
    description: str = ""
    parameters: tuple[ParameterSpec, ...] = ()
    source: Source | None = None


ConstraintKind = Literal["floor", "ceiling"]


@dataclass(frozen=True, slots=True)
class Constraint:
    """A floor or ceiling rule on one parameter, checked wherever ``scope`` and its date apply.

    The bound is ``multiple × bound``, where the multiple is ``multiple`` or the value of the
    parameter ``multiple_path`` (1 if neither), and the bound is the value of the parameter
    ``bound_path`` or the constant ``bound_value``. ``floor`` requires ``path >= bound``,
    ``ceiling`` requires ``path <= bound``. If any value involved is not set the rule is not
    checked (and the resolution says so).

    Example (Yunnan, 2022): the tekun basic standard is at least 1.3 × the urban dibao standard::

        Constraint(id="yunnan.tekun_basic_standard_floor", kind="floor",
                   path="tekun.standard.basic", bound_path="dibao.standard.urban",
                   multiple_path="tekun.standard.basic_min_multiple_of_urban_dibao",
                   scope="530000", effective_from=date(2022, 7, 1), source=...)
    """

    id: str
    description: str
    path: str
    kind: ConstraintKind
    bound_path: str | None = None
    bound_value: float | None = None
    multiple: float | None = None
    multiple_path: str | None = None
    scope: str = "000000"
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    source: Source | None = None
    tags: tuple[str, ...] = field(default=())


# -- calendars: holiday schedules and campaigns ----------------------------------------------


@dataclass(frozen=True, slots=True)
class HolidayTable:
    """The State Council's holiday schedule for one year (国务院办公厅关于…年部分节假日安排的通知).

    ``holidays`` are the days off (法定节假日 and the weekdays added to them); ``workdays`` are the
    weekend days worked instead (调休上班). Every other day is a working day from Monday to
    Friday. The core knows the years ``chinese-calendar`` covers; a plugin (or
    ``doudi holidays import``) supplies a later year once it is published, so deadlines in that
    year stop being provisional. Every date must fall in ``year``; a day cannot be in both sets.

    Example: ``HolidayTable(2027, holidays=frozenset({date(2027, 1, 1), ...}),
    workdays=frozenset({...}), source=Source(Document("gov-2027", "国务院办公厅关于2027年部分节假日
    安排的通知", number="国办发明电〔2026〕…")))``
    """

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: Source


@dataclass(frozen=True, slots=True)
class CampaignPhase:
    """One phase of a campaign: its name (in the document's words) and first and last day
    (``end`` None: ongoing, 持续推进)."""

    name: str
    start: dt.date
    end: dt.date | None = None
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class Campaign:
    """A time-bound campaign a document orders (专项治理), shown in officials' calendars.

    ``jurisdiction`` is where it runs (a code the plugin covers, or under it); phases are in
    order and do not overlap.

    Example (Guangxi, Yongfu 2023): ``Campaign("guangxi.yongfu_2023_precision", "450326",
    "Precision in social assistance", "精准抓、抓精准", phases=(CampaignPhase("mobilise",
    date(2023, 7, 4), date(2023, 7, 14), "动员部署阶段"), ...), source=...)``
    """

    id: str
    jurisdiction: str
    title: str
    title_zh: str
    phases: tuple[CampaignPhase, ...]
    source: Source


# -- eligibility decisions (what ``doudi_evaluate_program`` returns) -----------------------------

DecisionStatus = Literal["eligible", "ineligible", "cannot_decide"]
DecisionMode = Literal["whole_household", "single_person"]


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One parameter a decision used: its value (or not set), the layer that set it, and why.

    ``jurisdiction_*``, ``origin`` ("national", a plugin's name or "local"), ``layer_kind``,
    the dates and ``source`` are None when the path is not set; a list value is given as a
    tuple. Build one from a resolved parameter with ``core.plugin.api.trace_entry(param)``.
    """

    path: str
    value: Any
    is_set: bool
    jurisdiction_code: str | None = None
    jurisdiction_name: str | None = None
    jurisdiction_level: str | None = None
    origin: str | None = None
    layer_kind: str | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    source: Source | None = None


GroundKind = Literal[
    "deduction", "single_person", "income_not_counted", "minor_continuation", "income_test"
]


@dataclass(frozen=True, slots=True)
class Ground:
    """What allowed one thing a decision applies, and under which rule.

    ``applies``: "deduction" (a rigid expense deducted; ``subject`` the expense kind and member),
    "single_person" (a member enrolled alone; ``subject`` the ID number), "income_not_counted"
    (an income item left out), "minor_continuation" (a tekun minor kept on after the age limit),
    "income_test" (a test applied or not applied to a temporary request). ``rule`` is a catalog
    path, or a named rule of a document the core applies ("审核确认办法 art. 8(三)");
    ``condition`` says in plain words which condition the household met; ``layer`` is the code of
    the jurisdiction whose value granted it and ``source`` that value's source.
    """

    applies: GroundKind
    subject: str
    rule: str
    condition: str
    layer: str | None = None
    source: Source | None = None


@dataclass(frozen=True)  # no slots: built like a Decision (see there)
class Excluded:
    """An income item not counted, or a rigid expense not deducted, and why (in plain words)."""

    item: IncomeItem | RigidExpense
    why: str


@dataclass(frozen=True)  # no slots: the engine fills many of these at once (see Decision)
class IncomeComputation:
    """How per-capita income was computed: every item counted or not, every deduction applied or
    not (with why), and the number of living members it was divided by.

    ``per_capita = max(0, total_income - total_deductions) / living_members``, in yuan per month
    rounded to the fen. ``allowed_deductions`` is ``dibao.income.deductions`` (empty if not set).
    """

    living_members: int
    counted: tuple[IncomeItem, ...]
    total_income: Decimal
    net_income: Decimal
    per_capita: Decimal
    not_counted: tuple[Excluded, ...] = ()
    allowed_deductions: tuple[str, ...] = ()
    deductions_applied: tuple[RigidExpense, ...] = ()
    deductions_not_applied: tuple[Excluded, ...] = ()
    total_deductions: Decimal = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class MemberFinding:
    """What a decision found for one member (single-person dibao, tekun, plugin programs).

    ``qualifies`` is None when it cannot be decided; ``conditions`` names the conditions or
    categories the member meets (e.g. ``severe_disability``, ``aged_60_or_over``).
    """

    id_number: str
    name: str
    qualifies: bool | None
    conditions: tuple[str, ...] = ()
    own_income: Decimal | None = None
    amount: Decimal | None = None
    self_care: str | None = None  # "self_care" | "partial_loss" | "full_loss" (tekun)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The answer of the eligibility engine for one household, one program, one date.

    ``status`` is "eligible", "ineligible" or "cannot_decide"; ``eligible`` is True, False or
    None accordingly. ``cannot_decide`` means a parameter the decision needs is not set (listed
    in ``missing``, and the first reason reads "cannot decide: `dibao.standard.urban` is not set
    for 530102 on 2023-06-01") or a fact about the household is not yet known. Money is Decimal
    yuan (per month unless ``one_off_amount``). ``trace`` lists every parameter used, with its
    layer and source. Serialise with ``core.eligibility.decision_to_json``.

    (No ``__slots__``, unlike the other types here: the engine builds one per household and, for
    speed, fills a new instance's ``__dict__`` from a prepared template instead of calling the
    frozen ``__init__``, which sets each of the 22 fields one by one.)
    """

    program: str
    status: DecisionStatus
    eligible: bool | None
    county: str
    as_of: dt.date
    mode: DecisionMode | None = None
    members_covered: tuple[str, ...] = ()  # ID numbers
    category: str | None = None  # e.g. low_income: "dibao_household" / "marginal" / ...
    per_capita_income: Decimal | None = None
    income: IncomeComputation | None = None
    standard: Decimal | None = None
    standard_path: str | None = None
    monthly_amount: Decimal | None = None
    one_off_amount: Decimal | None = None
    next_review: dt.date | None = None
    review_path: str | None = None
    approval_level: str | None = None  # "township" | "county"
    members: tuple[MemberFinding, ...] = ()
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    trace: tuple[TraceEntry, ...] = ()
    plugin: str | None = None  # the plugin that decided (plugin programs); set by the core
    # The rule and the condition behind every deduction, single-person enrolment, income left
    # out and tekun continuation the decision applies (see Ground).
    grounds: tuple[Ground, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in _ELIGIBLE_BY_STATUS:
            raise ValueError(f"unknown decision status {self.status!r}")
        expected = _ELIGIBLE_BY_STATUS[self.status]
        if self.eligible is not expected:
            raise ValueError(
                f"a decision with status {self.status!r} must have eligible={expected!r}, "
                f"not {self.eligible!r}"
            )


_ELIGIBLE_BY_STATUS: dict[str, bool | None] = {
    "eligible": True,
    "ineligible": False,
    "cannot_decide": None,
}
