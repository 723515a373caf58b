"""The eligibility engine: one household, one program, one date → a traced :class:`Decision`.

Pure: no I/O, ``as_of`` is an argument, the policy is the :class:`ResolvedPolicy` at the
household's county on that date. Every parameter a decision uses is listed in its trace with
the layer that set it and the document it comes from; a parameter the decision needs that no
layer sets makes the decision ``cannot_decide`` ("cannot decide: `dibao.standard.urban` is not
set for 530102 on 2023-06-01"), never a guess and never 0.

Speed: the first evaluation against a policy prepares it once (standards as Decimal, the
allowed deductions, the trace entries, the plain-word texts) and keeps it beside the policy
object, so each household only adds up its own money.

Rules and the choices made where the documents leave room:

- *Living members*: members dead on ``as_of`` are not counted, and neither is income attributed
  to them nor rigid spending of theirs.
- *Per-capita income*: every income item of a living member (or of the household) counts, regular
  or not; rigid spending is deducted only for the kinds ``dibao.income.deductions`` lists (not
  set → nothing is deducted, and each expense says so); net income is floored at 0 and divided by
  the living members, rounded to the fen.
- *dibao, whole household*: per-capita income < the urban/rural standard (``household.area``) and
  the investigators found the property within the local rules. Property not yet assessed
  (``property_within_local_rules is None``) → cannot decide, "property not yet assessed".
- *dibao, single person*: when the whole household does not qualify, ``dibao.single_person.enabled``
  is true, and a living member meets a condition of ``dibao.single_person.conditions``, in a
  marginal household (per-capita < ``low_income.marginal_multiple`` × standard) — except
  ``jobless_adult_severe_disability``, which the 2022 national notice (民发〔2022〕83号 一(一))
  grants outside the marginal-household rule. The member's own income must be below the
  standard; the amount is the standard minus it. Conditions a source attaches beyond the list
  (Yongning's "lost all or part of their labour capacity and depend on family support") cannot
  be expressed in the catalog: the decision quotes the source and the member's recorded labour
  capacity, for the investigators.
- *low income*: a dibao-eligible household counts only where
  ``low_income.dibao_counts_as_low_income`` is true ("dibao_household"); otherwise per-capita
  < ``marginal_multiple`` × standard is "marginal", and ≤ ``income_multiple_max`` × standard
  (Guizhou's "1-2 times", bounds included) is "low_income_band". Property as for dibao.
- *tekun*, per living member: unable to work (60 or over; under ``tekun.minor_age_limit``;
  intellectual/mental disability grade 1–3, physical 1–2, visual 1 — 特困人员认定办法 art. 5), no
  able supporter, own income (own items plus an equal share of household-level items) below the
  local *dibao* standard (art. 6: 收入低于当地最低生活保障标准), property within the rules. The
  amount is ``tekun.standard.basic`` per person (needed: not set → cannot decide).
- *temporary*: no income test in the catalog, so a request is "eligible" pending the
  investigators' confirmation of the hardship; the decision says who approves (graded approval
  with the township limit; limit not set → the county, and the decision says why), whether
  assistance may come first (先行救助, emergencies) and whether major hardship goes case by case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from threading import Lock
from typing import Any, Literal

from core.errors import InvalidInput
from core.households.model import (
    RELAPSE_MONITORING,
    Area,
    DisabilityKind,
    Household,
    IncomeClass,
    IncomeItem,
    LabourCapacity,
    Member,
    RigidExpense,
    SchoolLevel,
)
from core.plugin.programs import NO_PLUGIN_PROGRAMS, PluginPrograms
from core.plugin.types import (
    Decision,
    DecisionStatus,
    Excluded,
    Ground,
    IncomeComputation,
    MemberFinding,
    Source,
    TraceEntry,
)
from core.policy.catalog import NATIONAL_FLOOR_PATHS
from core.policy.jurisdictions import NATIONAL_CODE
from core.policy.resolution import ResolvedParameter, ResolvedPolicy

_URBAN, _STABLE, _SLOW = Area.URBAN, IncomeClass.STABLE, IncomeClass.SLOW_CHANGE
CORE_PROGRAMS = ("dibao", "low_income", "tekun", "temporary")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

STANDARD_PATHS = {Area.URBAN: "dibao.standard.urban", Area.RURAL: "dibao.standard.rural"}
REVIEW_PATHS = {
    IncomeClass.STABLE: "dibao.review.interval_months.stable_income",
    IncomeClass.SLOW_CHANGE: "dibao.review.interval_months.slow_change",
    IncomeClass.IRREGULAR_WITH_LABOUR: "dibao.review.interval_months.irregular_with_labour",
}
_CLASS_WORDS = {
    IncomeClass.STABLE: "households whose income has not changed for years",
    IncomeClass.SLOW_CHANGE: "households whose income changes little",
    IncomeClass.IRREGULAR_WITH_LABOUR: "households with irregular income and a member able to work",
}
_CONDITION_WORDS = {
    "severe_disability": "severe disability (grade 1–2)",
    "intellectual_or_mental_disability_grade_3": "grade-3 intellectual or mental disability",
    "serious_illness": "serious illness",
    "serious_illness_with_major_illness_medical_aid": (
        "serious illness with major-illness medical aid"
    ),
    "clergy_living_apart": "clergy living apart from the family",
    "jobless_adult_severe_disability": "jobless adult with a severe disability",
}
# Conditions granted outside the marginal-household rule: jobless adults with a severe
# disability (民发〔2022〕83号 一(一)) and clergy living apart (审核确认办法 art. 8(三), which names
# no marginal household, unlike 8(一) and 8(二)).
_NOT_LIMITED_TO_MARGINAL = frozenset({"jobless_adult_severe_disability", "clergy_living_apart"})
CLERGY_MONTHS = 36  # 三年以上（含三年）
_REQUIREMENT_WORDS = {
    "labour_capacity_lost_all_or_part": "has lost all or part of their labour capacity",
    "depends_on_family_support": "depends on family support",
}
_SCHOOL_WORDS = {
    SchoolLevel.COMPULSORY: "compulsory education (义务教育)",
    SchoolLevel.HIGH_SCHOOL: "high school (普通高中)",
    SchoolLevel.SECONDARY_VOCATIONAL: "secondary vocational school (中等职业学校)",
}
_EXPENSE_KINDS = ("medical", "disability_rehabilitation", "education", "employment_cost")

P_DEDUCTIONS = "dibao.income.deductions"
P_DED_SCOPE = "dibao.income.deductions_scope"
P_EXCLUDED = "dibao.income.excluded"
P_SP_REQUIRE = "dibao.single_person.additional_requirements"
P_TK_EXCLUDED = "tekun.income.excluded"
P_TK_CONT_AGE = "tekun.minor_continuation_age"
P_TK_CONT_SCHOOL = "tekun.minor_continuation_in_school"
P_TMP_EXP_LIMIT = "temporary.expenditure.disposable_income_limit"
P_METHOD = "dibao.benefit.method"
P_CONFIRMING = "dibao.approval.confirming_level"
P_SP_ENABLED = "dibao.single_person.enabled"
P_SP_CONDITIONS = "dibao.single_person.conditions"
P_MARGINAL = "low_income.marginal_multiple"
P_LI_MAX = "low_income.income_multiple_max"
P_LI_DIBAO = "low_income.dibao_counts_as_low_income"
P_TK_BASIC = "tekun.standard.basic"
P_TK_MINOR = "tekun.minor_age_limit"
P_TK_PARTIAL = "tekun.self_care.partial_loss_min_failed"
P_TK_FULL = "tekun.self_care.full_loss_min_failed"
P_TK_REVIEW = "tekun.review.interval_months"
P_TMP_GRADED = "temporary.approval.graded"
P_TMP_LIMIT = "temporary.approval.township_limit"
P_TMP_ADVANCE = "temporary.advance_assistance"
P_TMP_CASE = "temporary.case_by_case_major_hardship"
P_TMP_UNEMPLOYED = "temporary.unemployed_no_income_months"


@dataclass(frozen=True, slots=True)
class TemporaryRequest:
    """A request for temporary assistance (临时救助): its type and the one-off amount asked for.

    ``major_hardship`` marks a case reported as major hardship (重大困难), decided case by case
    (一事一议) where ``temporary.case_by_case_major_hardship`` is true. ``category``
    "unemployed_uninsured": an unemployed person not covered by unemployment insurance, without
    income for ``months_without_income`` consecutive months (民发〔2022〕83号 二(一); Yongning 004
    二(二)4). ``exception_reasons``: why an expenditure request is granted although the income
    is not below the limit (the rule says 原则上, "in principle").
    """

    kind: Literal["emergency", "expenditure"]
    amount: Decimal
    description: str = ""
    major_hardship: bool = False
    category: Literal["general", "unemployed_uninsured"] = "general"
    months_without_income: int | None = None
    unemployment_insured: bool | None = None
    exception_reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("emergency", "expenditure"):
            raise InvalidInput(
                f"temporary assistance is 'emergency' or 'expenditure', not {self.kind!r}"
            )
        if self.category not in ("general", "unemployed_uninsured"):
            raise InvalidInput(
                f"category: 'general' or 'unemployed_uninsured', not {self.category!r}"
            )
        if not isinstance(self.amount, Decimal) or not self.amount > 0:
            raise InvalidInput("the amount of a temporary-assistance request must be > 0 yuan")


# -- helpers plugins may use too -----------------------------------------------------------------


def trace_entry(param: ResolvedParameter) -> TraceEntry:
    """The trace entry of a resolved parameter: value, layer and source (or not set)."""
    return _shared_trace(param.path, param.winner)


def not_set_message(path: str, code: str, as_of: dt.date) -> str:
    """The one wording of a missing parameter: "cannot decide: `p` is not set for C on D"."""
    return f"cannot decide: `{path}` is not set for {code} on {as_of.isoformat()}"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _yuan(value: Any) -> Decimal | None:
    """A policy number as Decimal yuan (to the fen)."""
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _multiple(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))


def _fen(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class _Grant:
    """One item of a list-valued parameter (a deduction kind, a single-person condition) and the
    layer whose value grants it."""

    item: str
    path: str
    layer: str  # jurisdiction code
    layer_name: str
    source: Source | None
    national: bool
    requirements: tuple[str, ...] = ()
    requirements_set: bool = False  # the layer sets dibao.single_person.additional_requirements

    def marginal_test(self) -> bool:
        """Whether the member must be in a marginal household under this grant: the national
        groups of 审核确认办法 art. 8(一)(二) are 最低生活保障边缘家庭中的; a layer that lists its
        own requirements says whether (``marginal_household``); one that lists none keeps the
        national wording."""
        if self.item in _NOT_LIMITED_TO_MARGINAL:
            return False
        if self.national or not self.requirements_set:
            return True
        return "marginal_household" in self.requirements

    def where(self) -> str:
        doc = ""
        if self.source is not None:
            d = self.source.document
            doc = f", {d.number or d.title} {self.source.section}".rstrip()
        return f"`{self.path}` of {self.layer} {self.layer_name}{doc}"


def _grants(policy: ResolvedPolicy, path: str) -> tuple[_Grant, ...]:
    """The items of ``path`` in force, each with the layer that grants it. For the paths whose
    national value is a floor (:data:`core.policy.catalog.NATIONAL_FLOOR_PATHS`) the national
    items join the winner's; an item both grant is credited to the national rule."""
    p = policy.parameters.get(path)
    if p is None or p.winner is None:
        return ()
    values = [p.winner]
    if path in NATIONAL_FLOOR_PATHS and p.winner.layer.jurisdiction.code != NATIONAL_CODE:
        values += [v for v in p.overrides if v.layer.jurisdiction.code == NATIONAL_CODE]
    values.sort(key=lambda v: v.layer.jurisdiction.code != NATIONAL_CODE)
    out: dict[str, _Grant] = {}
    for v in values:
        j = v.layer.jurisdiction
        for item in v.value or ():
            out.setdefault(
                item, _Grant(item, path, j.code, j.name, v.source, j.code == NATIONAL_CODE)
            )
    return tuple(out.values())


# Decisions (and IncomeComputation, Excluded) are built from prepared templates: a new instance
# gets its __dict__ in one go. The frozen dataclass __init__ sets each of Decision's 22 fields
# through object.__setattr__ (some 35,000 machine instructions a decision, measured with
# callgrind), and the engine builds one decision per household. Fields left out of the dict read
# their default from the class (a dataclass keeps each field's default as a class attribute, and
# every default here is immutable), so equality, hashing, repr, replace() and asdict() see exactly
# what __init__ would have produced (tests/test_eligibility.py checks this).
_new = object.__new__
_set = object.__setattr__


def _decision(template: dict[str, Any], status: DecisionStatus, /, **values: Any) -> Decision:
    attrs = template.copy()
    attrs.update(_STATUS[status])
    attrs.update(values)
    d = _new(Decision)
    _set(d, "__dict__", attrs)
    return d


def _excluded(item: Any, why: str) -> Excluded:
    x = _new(Excluded)
    _set(x, "__dict__", {"item": item, "why": why})
    return x


def _template(program: str, code: str, as_of: dt.date, **values: Any) -> dict[str, Any]:
    return {"program": program, "county": code, "as_of": as_of, **values}


_STATUS: dict[str, dict[str, Any]] = {
    "eligible": {"status": "eligible", "eligible": True},
    "ineligible": {"status": "ineligible", "eligible": False},
    "cannot_decide": {"status": "cannot_decide", "eligible": None},
}


# -- a policy prepared once for many households -------------------------------------------------


class _Plan:
    """Everything a dibao / low-income / tekun decision needs for one area and income class:
    values, trace tuples, decision templates and the constant texts, prepared once."""

    def __init__(self, prep: PreparedPolicy, area: Area, income_class: IncomeClass) -> None:
        code, as_of = prep.code, prep.as_of
        self.area = area.value
        self.standard_path = sp = STANDARD_PATHS[area]
        self.standard = std = _yuan(prep.value(sp))
        self.review_path = rp = REVIEW_PATHS[income_class]
        months = prep.value(rp)
        self.trace_whole = prep.traces(
            sp, P_DEDUCTIONS, P_DED_SCOPE, P_EXCLUDED, P_METHOD, P_CONFIRMING, rp
        )
        self.trace_single = prep.traces(P_SP_ENABLED, P_SP_CONDITIONS, P_SP_REQUIRE, P_MARGINAL)
        self._prep = prep
        self.dibao = _template(
            "dibao", code, as_of, trace=self.trace_whole, standard=std, standard_path=sp
        )
        self.dibao_single = {**self.dibao, "trace": self.trace_whole + self.trace_single}
        self.dibao_single_refused = {**self.dibao_single, **_STATUS["ineligible"]}
        self.std_words = f"the {self.area} dibao standard {std!s} yuan/month (`{sp}`)"
        self.below_words = f" is below {self.std_words}: the whole household qualifies."
        self.above_words = f" is not below {self.std_words}: the whole household does not qualify."
        self.not_set = prep.not_set(sp)

        # What a granted dibao decision adds: amount method, next review, who confirms.
        missing: list[str] = []
        words: list[str] = []
        if months is not None:
            next_review: dt.date | None = add_months(as_of, months)
            assert next_review is not None
            words.append(
                f"Next review by {next_review.isoformat()}: every {months} months for "
                f"{_CLASS_WORDS[income_class]} (`{rp}`)."
            )
        else:
            next_review = None
            missing.append(rp)
            words.append(prep.not_set(rp).replace("cannot decide", "no review date"))
        level = prep.confirming_level
        if level is not None:
            words.append(f"Confirmed by the {level} (`{P_CONFIRMING}`).")
        else:
            missing.append(P_CONFIRMING)
        self.gap = prep.method == "gap"
        self.gap_prefix = f"Monthly amount by the gap method: ({std!s} − "
        if self.gap:
            self.amount_words = "Monthly amount by the gap method: "
        elif prep.method is None:
            missing.append(P_METHOD)
            self.amount_words = prep.not_set(P_METHOD).replace("cannot decide", "no amount")
        else:
            self.amount_words = (
                f"No amount: `{P_METHOD}` is {prep.method!r} here and its bands are set locally, "
                "outside the catalog."
            )
        self.granted_words = tuple(words)
        self.granted = {
            **self.dibao,
            **_STATUS["eligible"],
            "next_review": next_review,
            "review_path": rp,
            "approval_level": level,
            "missing": tuple(missing),
        }

    # Needed by other programs only: prepared on first use.

    @cached_property
    def low_income(self) -> dict[str, Any]:
        trace = self._prep.traces(
            self.standard_path,
            P_DEDUCTIONS,
            P_DED_SCOPE,
            P_EXCLUDED,
            P_LI_DIBAO,
            P_MARGINAL,
            P_LI_MAX,
        )
        return {**self.dibao, "program": "low_income", "trace": trace}

    @cached_property
    def trace_tekun(self) -> tuple[TraceEntry, ...]:
        return self._prep.traces(
            P_TK_MINOR,
            P_TK_CONT_AGE,
            P_TK_CONT_SCHOOL,
            P_TK_EXCLUDED,
            self.standard_path,
            P_TK_BASIC,
            P_TK_PARTIAL,
            P_TK_FULL,
            P_TK_REVIEW,
        )


class PreparedPolicy:
    """A :class:`ResolvedPolicy` read once: values as the engine needs them, trace entries
    built, plain-word texts written. Obtain one with :func:`prepare` (cached per policy)."""

    def __init__(self, policy: ResolvedPolicy) -> None:
        self.policy = policy
        self.code = policy.jurisdiction.code
        self.as_of = policy.as_of
        self._traces: dict[str, TraceEntry] = {}
        self.plans: list[_Plan | None] = [None] * 6

        grants = _grants(policy, P_DEDUCTIONS)
        allowed = [g.item for g in grants] if grants else None
        self.deductions: tuple[str, ...] = tuple(allowed or ())
        self.deductions_allowed = frozenset(self.deductions)
        self.deduction_grants = {g.item: g for g in grants}
        self.deduction_words = {g.item: f"{g.item} is deducted here ({g.where()})" for g in grants}
        self.deductions_scope = self.value(P_DED_SCOPE)
        # Kinds deducted only for the households the scope names: those a local layer grants
        # (the national employment cost is the definition of wages, never scoped).
        self.scoped_kinds = (
            frozenset(g.item for g in grants if not g.national)
            if self.deductions_scope == "low_income_with_hardship_member"
            else frozenset()
        )
        self.excluded = frozenset(self.value(P_EXCLUDED) or ())
        self.tk_excluded = frozenset(self.value(P_TK_EXCLUDED) or ())
        if allowed is None:
            why = (
                f"not deducted: no source in force for {self.code} on {self.as_of.isoformat()} "
                f"allows deducting rigid spending (`{P_DEDUCTIONS}` is not set)"
            )
        else:
            why = f"not deducted: `{P_DEDUCTIONS}` here allows only {', '.join(allowed) or 'none'}"
        self.deduction_why = dict.fromkeys(_EXPENSE_KINDS, why)
        self.method = self.value(P_METHOD)
        self.confirming_level = self.value(P_CONFIRMING)
        self.sp_enabled = self.value(P_SP_ENABLED)
        requirements = policy.parameters.get(P_SP_REQUIRE)
        req_layer = (
            None
            if requirements is None or requirements.winner is None
            else requirements.winner.layer.jurisdiction.code
        )
        self.sp_grants = tuple(
            replace(
                g,
                requirements=tuple(
                    r for r in requirements.value or () if r != "marginal_household"
                ),
                requirements_set=True,
            )
            if requirements is not None and g.layer == req_layer and not g.national
            else g
            for g in _grants(policy, P_SP_CONDITIONS)
        )
        self.sp_conditions: tuple[str, ...] = tuple(g.item for g in self.sp_grants)
        self.marginal_multiple = _multiple(self.value(P_MARGINAL))
        self.li_max = _multiple(self.value(P_LI_MAX))
        self.li_dibao = self.value(P_LI_DIBAO)
        self.tk_basic = _yuan(self.value(P_TK_BASIC))
        self.tk_minor = self.value(P_TK_MINOR)
        self.tk_partial = self.value(P_TK_PARTIAL)
        self.tk_full = self.value(P_TK_FULL)
        self.tk_review = self.value(P_TK_REVIEW)
        self.tk_cont_age = self.value(P_TK_CONT_AGE)
        self.tk_cont_school = frozenset(self.value(P_TK_CONT_SCHOOL) or ())
        state = "is false" if self.sp_enabled is False else "is not set"
        self.sp_not_provided = (
            f"Single-person enrolment is not provided for here (`{P_SP_ENABLED}` {state})."
        )
        self.sp_no_candidate = (
            "No member meets a single-person condition allowed here "
            f"({', '.join(self.sp_conditions) or 'none'}; `{P_SP_CONDITIONS}`)."
        )

    def value(self, path: str) -> Any:
        p = self.policy.parameters.get(path)
        return None if p is None else p.value

    def exclusion(self, path: str, item: IncomeItem) -> tuple[str, Ground]:
        """Why ``item`` is not counted (its ``excluded_as`` is in ``path``'s list) and the
        ground naming the rule."""
        t = self.trace(path)
        where = _source_words(t.source)
        who = f" of {item.member}" if item.member else " of the household"
        why = f"not counted: `{path}` leaves out {item.excluded_as}{where}"
        ground = Ground(
            "income_not_counted",
            f"{item.kind.value}{who} ({item.excluded_as})",
            path,
            f"the income is {item.excluded_as}, which `{path}` lists{where}",
            t.jurisdiction_code,
            t.source,
        )
        return why, ground

    def deduction_ground(self, e: RigidExpense, scope_words: str = "") -> Ground:
        g = self.deduction_grants[e.kind.value]
        who = f" of {e.member}" if e.member else " of the household"
        layer: str | None = g.layer
        source = g.source
        if scope_words:  # the scope's condition is what allowed it: cite the scope's source
            t = self.trace(P_DED_SCOPE)
            layer, source = t.jurisdiction_code, t.source
        return Ground(
            "deduction",
            f"{e.kind.value}{who}",
            P_DED_SCOPE if scope_words else P_DEDUCTIONS,
            self.deduction_words[e.kind.value] + scope_words,
            layer,
            source,
        )

    def trace(self, path: str) -> TraceEntry:
        t = self._traces.get(path)
        if t is None:
            p = self.policy.parameters.get(path)
            t = self._traces[path] = _shared_trace(path, None if p is None else p.winner)
        return t

    def traces(self, *paths: str) -> tuple[TraceEntry, ...]:
        return tuple(self.trace(p) for p in paths)

    def not_set(self, path: str) -> str:
        return not_set_message(path, self.code, self.as_of)

    def plan(self, area: Area, income_class: IncomeClass) -> _Plan:
        # Indexed by identity: hashing an enum member runs Python code (Enum.__hash__).
        i = (0 if area is _URBAN else 3) + (
            0 if income_class is _STABLE else 1 if income_class is _SLOW else 2
        )
        plan = self.plans[i]
        if plan is None:
            plan = self.plans[i] = _Plan(self, area, income_class)
        return plan


_PREPARED_MAX = 2048
_prepared_lock = Lock()

# Trace entries are shared by every policy whose value for a path comes from the same dated
# value (most counties inherit the same national and provincial values).
_TRACES: dict[tuple[str, int], tuple[Any, TraceEntry]] = {}


def _shared_trace(path: str, winner: Any) -> TraceEntry:
    key = (path, id(winner))
    hit = _TRACES.get(key)
    if hit is not None and hit[0] is winner:
        return hit[1]
    if winner is None:
        entry = TraceEntry(path, None, False)
    else:
        j = winner.layer.jurisdiction
        value = winner.value
        entry = TraceEntry(
            path=path,
            value=tuple(value) if isinstance(value, list) else value,  # hashable, like the rest
            is_set=True,
            jurisdiction_code=j.code,
            jurisdiction_name=j.name,
            jurisdiction_level=j.level.value,
            origin=winner.layer.origin,
            layer_kind=winner.layer.kind.value,
            effective_from=winner.start,
            effective_until=winner.until,
            source=winner.source,
        )
    with _prepared_lock:
        if len(_TRACES) >= _PREPARED_MAX * 4:
            _TRACES.clear()
        _TRACES[key] = (winner, entry)
    return entry


_PREPARED: dict[int, tuple[ResolvedPolicy, PreparedPolicy]] = {}


def prepare(policy: ResolvedPolicy) -> PreparedPolicy:
    """The prepared form of ``policy``, built on first use and cached beside it (a resolved
    policy never changes, so its prepared form never goes stale)."""
    hit = _PREPARED.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    prepared = PreparedPolicy(policy)
    with _prepared_lock:
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[id(policy)] = (policy, prepared)
    return prepared


# -- income ----------------------------------------------------------------------------------------


def _source_words(src: Source | None) -> str:
    if src is None:
        return ""
    d = src.document
    return f" ({d.number or d.title} {src.section})".replace(" )", ")")


def _living(h: Household, as_of: dt.date) -> tuple[tuple[Member, ...], dict[str, Member]]:
    """Living members, and the dead ones by ID number (empty in the common case)."""
    for m in h.members:
        d = m.date_of_death
        if d is not None and d <= as_of:
            break
    else:
        return h.members, _NOBODY
    living = tuple(m for m in h.members if m.alive_on(as_of))
    dead = {m.id_number: m for m in h.members if not m.alive_on(as_of)}
    return living, dead


_NOBODY: dict[str, Member] = {}  # shared: never written to
_NO_GROUNDS: list[Ground] = []  # shared: never appended to


def _died(m: Member) -> str:
    assert m.date_of_death is not None
    return f"{m.name} died on {m.date_of_death.isoformat()}"


def compute_income(
    h: Household, prep: PreparedPolicy, as_of: dt.date
) -> tuple[IncomeComputation, tuple[Member, ...]]:
    """Per-capita income for the whole-household dibao test, after the deductions the policy
    allows, step by step; and the living members it is divided by."""
    inc, living, _grounds = income_with_grounds(h, prep, as_of)
    return inc, living


def income_with_grounds(
    h: Household,
    prep: PreparedPolicy,
    as_of: dt.date,
    *,
    whole_household: bool = True,
    excluded: frozenset[str] | None = None,
    excluded_path: str = P_EXCLUDED,
) -> tuple[IncomeComputation, tuple[Member, ...], tuple[Ground, ...]]:
    """:func:`compute_income` with the grounds of every income left out and every deduction
    applied. ``whole_household`` False: the test is not the whole-household dibao test (the
    single-person marginal test, low-income recognition), so deductions a scope limits to it
    (``dibao.income.deductions_scope``) are not applied. ``excluded``: the kinds of income left
    out (default ``dibao.income.excluded``; tekun passes its own)."""
    for m in h.members:
        d = m.date_of_death
        if d is not None and d <= as_of:
            living, dead = _living(h, as_of)
            break
    else:
        living, dead = h.members, _NOBODY
    if excluded is None:
        excluded = prep.excluded
    grounds: list[Ground] = _NO_GROUNDS  # replaced by a list of its own before any append
    total = ZERO
    not_counted: tuple[Excluded, ...] = ()
    counted = h.income
    skipped: list[Excluded] = []
    # The common case (nobody dead, no income marked as excluded) is a plain sum.
    slow = bool(dead)
    if not slow:
        for it in counted:
            if it.excluded_as is not None:
                slow = True
                break
            total += it.monthly_amount
    if slow:
        total = ZERO
        kept: list[IncomeItem] = []
        grounds = []
        for it in counted:
            who = dead.get(it.member) if dead and it.member is not None else None
            if who is not None:
                skipped.append(_excluded(it, f"not counted: {_died(who)}"))
                continue
            x = it.excluded_as
            if x is not None and x in excluded:
                left_out, ground = prep.exclusion(excluded_path, it)
                skipped.append(_excluded(it, left_out))
                grounds.append(ground)
                continue
            kept.append(it)
            total += it.monthly_amount
    if skipped:
        counted, not_counted = tuple(kept), tuple(skipped)
    n = len(living)
    # Filled in one go, like a Decision (see _decision): only what differs from the defaults.
    attrs: dict[str, Any] = {"living_members": n, "counted": counted, "total_income": total}
    if not_counted:
        attrs["not_counted"] = not_counted
    if prep.deductions:
        attrs["allowed_deductions"] = prep.deductions
    if h.expenses:
        ded = ZERO
        allowed = prep.deductions_allowed
        scoped = prep.scoped_kinds
        hardship: tuple[bool, str] | None = None
        done: list[RigidExpense] = []
        refused: list[Excluded] = []
        for e in h.expenses:
            why = None
            kind = e.kind._value_  # (hashing the enum member runs Python code)
            scope_words = ""
            if dead and e.member in dead:
                why = f"not deducted: {_died(dead[e.member])}"
            elif kind in allowed:
                if kind in scoped:
                    if not whole_household:
                        why = (
                            f"not deducted: `{P_DED_SCOPE}` limits this deduction to the "
                            "whole-household dibao test (整户纳入低保范围)"
                        )
                    else:
                        if hardship is None:
                            hardship = _hardship(h, prep, living, total, as_of)
                        ok, words = hardship
                        if ok:
                            scope_words = f"; {words} (`{P_DED_SCOPE}`)"
                        else:
                            why = words
                if why is None:
                    done.append(e)
                    ded += e.monthly_amount
                    if grounds is _NO_GROUNDS:
                        grounds = []
                    grounds.append(prep.deduction_ground(e, scope_words))
            else:
                why = prep.deduction_why[kind]
            if why is not None:
                out = _new(Excluded)
                _set(out, "__dict__", {"item": e, "why": why})
                refused.append(out)
        if done:
            attrs["deductions_applied"] = tuple(done)
            attrs["total_deductions"] = ded
            total -= ded
            if total < 0:
                total = ZERO
        if refused:
            attrs["deductions_not_applied"] = tuple(refused)
    attrs["net_income"] = total
    attrs["per_capita"] = (total / n).quantize(CENT, ROUND_HALF_UP) if n else ZERO
    inc = _new(IncomeComputation)
    _set(inc, "__dict__", attrs)
    return inc, living, tuple(grounds) if grounds else ()


def _hardship(
    h: Household, prep: PreparedPolicy, living: tuple[Member, ...], total: Decimal, as_of: dt.date
) -> tuple[bool, str]:
    """Whether the household is one ``dibao.income.deductions_scope`` =
    ``low_income_with_hardship_member`` names (Yongfu 003 二(二): 防止返贫监测对象和其他收入低于
    低保边缘家庭标准的低收入人口，家中有重病、重残人员、高校就读生), and the words saying why
    (a refusal starts "not deducted: ")."""
    n = len(living)
    if RELAPSE_MONITORING in h.tags:
        low = "monitored for relapse into poverty (防止返贫监测对象)"
    else:
        std = prep.plan(h.area, h.income_class).standard
        mult = prep.marginal_multiple
        if std is None or mult is None:
            path = STANDARD_PATHS[h.area] if std is None else P_MARGINAL
            return False, (
                f"not deducted: `{P_DED_SCOPE}` allows it only for low-income households, and "
                f"whether this one is cannot be known (`{path}` is not set)"
            )
        pc = _fen(total / n) if n else ZERO
        limit = _fen(mult * std)
        if not pc < limit:
            return False, (
                f"not deducted: `{P_DED_SCOPE}` allows it only for low-income households "
                f"(防止返贫监测对象, or income below the marginal standard), and the per-capita "
                f"income before deducting, {pc!s}, is not below {mult!s} × {std!s} = {limit!s} "
                f"(`{P_MARGINAL}`)"
            )
        low = (
            f"per-capita income before deducting {pc!s} is below the marginal standard "
            f"{mult!s} × {std!s} = {limit!s} (`{P_MARGINAL}`)"
        )
    who = []
    unrecorded = []
    for m in living:
        d = m.disability
        if m.serious_illness:
            who.append(f"{m.name} is seriously ill (重病)")
        elif d is not None and d.grade <= 2:
            who.append(f"{m.name} is severely disabled (重残, grade {d.grade})")
        elif m.school_level is SchoolLevel.HIGHER_EDUCATION:
            who.append(f"{m.name} is at college (高校就读生)")
        elif m.in_school and m.school_level is None:
            unrecorded.append(m.name)
    if not who:
        hint = (
            f"; the school level of {', '.join(unrecorded)} is not recorded (schoolLevel)"
            if unrecorded
            else ""
        )
        return False, (
            f"not deducted: `{P_DED_SCOPE}` allows it only where a member is seriously ill "
            f"(重病), severely disabled (重残, grade 1–2) or at college (高校就读生), and no "
            f"living member is{hint}"
        )
    return True, f"{low}, and {'; '.join(who)}"


def _income_words(inc: IncomeComputation, then: str = ".") -> str:
    """ "Per-capita income P yuan/month (T counted income [minus D of …], over N living members)"
    followed by ``then``."""
    ded = (
        f" minus {inc.total_deductions!s} of rigid spending the province allows to deduct"
        if inc.deductions_applied
        else ""
    )
    return (
        f"Per-capita income {inc.per_capita!s} yuan/month ({inc.total_income!s} counted income"
        f"{ded}, over {inc.living_members} living member(s)){then}"
    )


def _own_income(h: Household, id_number: str, excluded: frozenset[str] = frozenset()) -> Decimal:
    total = ZERO
    for it in h.income:
        if it.member == id_number and (it.excluded_as is None or it.excluded_as not in excluded):
            total += it.monthly_amount
    return _fen(total)


_PROPERTY_OK = "The investigators found the household's property within the local rules."
_PROPERTY_UNKNOWN = "cannot decide: property not yet assessed against the local rules"
_PROPERTY_OVER = "The household's property exceeds the local rules."


def _property_reason(h: Household) -> str:
    if h.property_within_local_rules is None:
        return _PROPERTY_UNKNOWN
    return _PROPERTY_OK if h.property_within_local_rules else _PROPERTY_OVER


def _nobody_alive(as_of: dt.date) -> str:
    return f"No member of the household is alive on {as_of.isoformat()}."


# -- dibao ---------------------------------------------------------------------------------------


def _clergy(m: Member, as_of: dt.date) -> bool | None:
    """Clergy living at a religious site apart from the family for three years or more, three
    included (审核确认办法 art. 8(三): 三年以上（含三年）); None when the start is not recorded."""
    if "clergy_living_apart" not in m.tags:
        return False
    if m.living_apart_since is None:
        return None
    return add_months(m.living_apart_since, CLERGY_MONTHS) <= as_of


def _single_person_conditions(
    m: Member, allowed: tuple[str, ...], as_of: dt.date
) -> tuple[list[str], list[str]]:
    """(conditions met, conditions that cannot be known yet) among ``allowed``."""
    dis = m.disability
    if dis is None and not m.serious_illness and not m.tags:
        return [], []
    grade = dis.grade if dis is not None else 0
    out = []
    unknown = []
    for c in allowed:
        ok: bool | None
        if c == "severe_disability":
            ok = dis is not None and grade <= 2
        elif c == "intellectual_or_mental_disability_grade_3":
            ok = (
                dis is not None
                and grade == 3
                and dis.kind in (DisabilityKind.INTELLECTUAL, DisabilityKind.MENTAL)
            )
        elif c == "serious_illness":
            ok = m.serious_illness
        elif c == "serious_illness_with_major_illness_medical_aid":
            ok = m.serious_illness and m.major_illness_medical_aid
        elif c == "clergy_living_apart":
            ok = _clergy(m, as_of)
        elif c == "jobless_adult_severe_disability":
            ok = dis is not None and grade <= 2 and not m.employed and m.age_on(as_of) >= 18
        else:  # pragma: no cover - the catalog allows only the conditions above
            ok = False
        if ok:
            out.append(c)
        elif ok is None:
            unknown.append(c)
    return out, unknown


def _requirements(m: Member, grant: _Grant) -> tuple[bool | None, list[str]]:
    """Whether ``m`` meets what ``grant``'s layer attaches to its condition
    (``dibao.single_person.additional_requirements``), and the words for each requirement."""
    ok: bool | None = True
    words = []
    for r in grant.requirements:
        met: bool | None
        if r == "labour_capacity_lost_all_or_part":
            met = m.labour_capacity in (LabourCapacity.PARTIAL, LabourCapacity.NONE)
            got = f"labour capacity recorded: {m.labour_capacity.value}"
        elif r == "depends_on_family_support":
            met = m.depends_on_family_support
            got = (
                "dependsOnFamilySupport not recorded"
                if met is None
                else f"dependsOnFamilySupport {str(met).lower()}"
            )
        else:  # pragma: no cover - the catalog allows only the requirements above
            met, got = False, r
        state = "met" if met else "not recorded" if met is None else "not met"
        words.append(f"{_REQUIREMENT_WORDS.get(r, r)}: {state} ({got})")
        if met is False:
            ok = False
        elif met is None and ok is True:
            ok = None
    return ok, words


def _dibao(h: Household, prep: PreparedPolicy, as_of: dt.date) -> Decision:
    inc, living, grounds = income_with_grounds(h, prep, as_of)
    area, income_class = h.area, h.income_class  # prep.plan(), inlined
    plan = prep.plans[
        (0 if area is _URBAN else 3)
        + (0 if income_class is _STABLE else 1 if income_class is _SLOW else 2)
    ] or prep.plan(area, income_class)
    std = plan.standard
    pc = inc.per_capita
    if not living:
        return _decision(plan.dibao, "ineligible", income=inc, reasons=(_nobody_alive(as_of),))
    if std is None:
        return _decision(
            plan.dibao,
            "cannot_decide",
            per_capita_income=pc,
            income=inc,
            reasons=(plan.not_set, _income_words(inc)),
            missing=(plan.standard_path,),
            grounds=grounds,
        )
    if pc < std:
        prop = h.property_within_local_rules
        if prop is True:
            # The hot path, kept flat. Both are in fen, so the gap needs no rounding.
            n = inc.living_members
            if plan.gap:
                amount: Decimal | None = (std - pc) * n
                amount_words = f"{plan.gap_prefix}{pc!s}) × {n} = {amount!s} yuan."
            else:
                amount, amount_words = None, plan.amount_words
            if inc.deductions_applied:
                words = _income_words(inc, plan.below_words)
            else:
                words = (
                    f"Per-capita income {pc!s} yuan/month ({inc.total_income!s} counted income, "
                    f"over {n} living member(s)){plan.below_words}"
                )
            attrs = plan.granted.copy()  # copy + stores: the cheapest way to fill 18 fields
            attrs["mode"] = "whole_household"
            attrs["members_covered"] = tuple([m.id_number for m in living])
            attrs["per_capita_income"] = pc
            attrs["income"] = inc
            attrs["monthly_amount"] = amount
            attrs["reasons"] = (words, _PROPERTY_OK, amount_words, *plan.granted_words)
            if grounds:
                attrs["grounds"] = grounds
            d = _new(Decision)
            _set(d, "__dict__", attrs)
            return d
        return _decision(
            plan.dibao,
            "cannot_decide" if prop is None else "ineligible",
            per_capita_income=pc,
            income=inc,
            reasons=(_property_reason(h), _income_words(inc, f" is below {plan.std_words}.")),
            grounds=grounds,
        )
    if prep.sp_enabled is True:
        # Not below the standard. Most households have no member who could be enrolled alone:
        # refuse them here, without the single-person machinery.
        for m in living:
            if m.disability is not None or m.serious_illness or m.tags:
                break
        else:
            attrs = plan.dibao_single_refused.copy()
            attrs["per_capita_income"] = pc
            attrs["income"] = inc
            attrs["reasons"] = (_income_words(inc, plan.above_words), prep.sp_no_candidate)
            if grounds:
                attrs["grounds"] = grounds
            d = _new(Decision)
            _set(d, "__dict__", attrs)
            return d
    return _single_person(h, prep, plan, inc, living, as_of, grounds)


def _granted_single(
    plan: _Plan,
    inc: IncomeComputation,
    covered: tuple[str, ...],
    amount: Decimal,
    reasons: tuple[str, ...],
    gap_words: str,
    members: tuple[MemberFinding, ...],
    grounds: tuple[Ground, ...],
) -> Decision:
    if plan.gap:
        words = f"{plan.amount_words}{gap_words} = {amount!s} yuan."
        monthly: Decimal | None = amount
    else:
        words, monthly = plan.amount_words, None
    return _decision(
        plan.granted,
        "eligible",
        mode="single_person",
        members_covered=covered,
        per_capita_income=inc.per_capita,
        income=inc,
        monthly_amount=monthly,
        members=members,
        reasons=(*reasons, words, *plan.granted_words),
        trace=plan.dibao_single["trace"],
        grounds=grounds,
    )


def _single_person(
    h: Household,
    prep: PreparedPolicy,
    plan: _Plan,
    inc: IncomeComputation,
    living: tuple[Member, ...],
    as_of: dt.date,
    grounds: tuple[Ground, ...] = (),
) -> Decision:
    std = plan.standard
    assert std is not None
    if prep.scoped_kinds and any(e.kind.value in prep.scoped_kinds for e in inc.deductions_applied):
        # Deductions a scope limits to the whole-household test do not count here.
        inc, living, grounds = income_with_grounds(h, prep, as_of, whole_household=False)
    pc = inc.per_capita
    head = (_income_words(inc, plan.above_words),)
    # Most households meet no condition: find out before anything else is written.
    if prep.sp_enabled is True:
        allowed = prep.sp_conditions
        candidates = []
        for m in living:
            if m.disability is not None or m.serious_illness or m.tags:
                met, unknown = _single_person_conditions(m, allowed, as_of)
                if met or unknown:
                    candidates.append((m, met, unknown))
        if not candidates:
            attrs = plan.dibao_single_refused.copy()
            attrs["per_capita_income"] = pc
            attrs["income"] = inc
            attrs["reasons"] = (*head, prep.sp_no_candidate)
            if grounds:
                attrs["grounds"] = grounds
            d = _new(Decision)
            _set(d, "__dict__", attrs)
            return d
    else:
        return _decision(
            plan.dibao_single,
            "ineligible",
            per_capita_income=pc,
            income=inc,
            reasons=(*head, prep.sp_not_provided),
            grounds=grounds,
        )

    def refuse(
        *why: str,
        status: DecisionStatus = "ineligible",
        missing: tuple[str, ...] = (),
        members: tuple[MemberFinding, ...] = (),
    ) -> Decision:
        return _decision(
            plan.dibao_single,
            status,
            per_capita_income=pc,
            income=inc,
            members=members,
            reasons=(*why, *head) if status == "cannot_decide" else (*head, *why),
            missing=missing,
            grounds=grounds,
        )

    mult = prep.marginal_multiple
    marginal: bool | None = None
    marginal_words: tuple[str, ...] = ()
    marginal_condition = ""
    if mult is not None:
        limit = _fen(mult * std)
        marginal = pc < limit
        marginal_words = (
            f"{pc!s} is {'below' if marginal else 'not below'} {mult!s} × the standard = {limit!s} "
            f"(`{P_MARGINAL}`): {'a' if marginal else 'not a'} marginal household.",
        )
        marginal_condition = (
            f"in a marginal household (per-capita income {pc!s} below {mult!s} × {std!s} = "
            f"{limit!s}, `{P_MARGINAL}`)"
        )
    grants = {g.item: g for g in prep.sp_grants}
    findings: list[MemberFinding] = []
    covered: list[str] = []
    member_grounds: list[Ground] = []
    undecided = False
    missing: set[str] = set()
    unknown_facts: list[str] = []
    total = ZERO
    for m, met, unknown in candidates:
        words = []
        if met:
            words.append(f"Meets: {', '.join(_CONDITION_WORDS.get(c, c) for c in met)}.")
        for c in unknown:
            words.append(
                f"{_CONDITION_WORDS.get(c, c)}: cannot tell yet, the day they began living at "
                "the religious site is not recorded (livingApartSince; 三年以上（含三年）)."
            )
            unknown_facts.append(
                f"cannot decide: {m.name} ({m.id_number}) is clergy living apart, and the day "
                "they began living at the religious site is not recorded (livingApartSince)"
            )
        own = _own_income(h, m.id_number, prep.excluded)
        # Each condition is granted by a layer; the member qualifies through any of them whose
        # own requirements hold and whose marginal-household test (if any) is passed.
        ok: bool | None = None if unknown else False
        chosen: _Grant | None = None
        chosen_words = ""
        for c in met:
            g = grants[c]
            req_ok, req_words = _requirements(m, g)
            if g.requirements:
                words.append(
                    f"{g.where()} grants {c} with requirements: " + "; ".join(req_words) + "."
                )
            if req_ok is False:
                continue
            if req_ok is None:
                unknown_facts.append(
                    f"cannot decide: {m.name} ({m.id_number}) meets {c}, and "
                    + "; ".join(w for w in req_words if "not recorded" in w)
                )
            if not g.marginal_test():
                this: bool | None = req_ok
                why_here = "whatever the household's income" + (
                    " (民发〔2022〕83号 一(一))"
                    if c == "jobless_adult_severe_disability"
                    else " (审核确认办法 art. 8(三) names no marginal household)"
                    if c == "clergy_living_apart"
                    else f" ({g.where()} names no marginal household)"
                )
            elif marginal is None:
                this = None
                missing.add(P_MARGINAL)
                why_here = ""
            else:
                this = req_ok if marginal else False
                why_here = marginal_condition
            if this is True:
                ok, chosen = True, g
                chosen_words = "; ".join(
                    x
                    for x in (
                        _CONDITION_WORDS.get(c, c),
                        why_here,
                        *(req_words if g.requirements else ()),
                    )
                    if x
                )
                break
            if this is None and ok is False:
                ok = None
        if (
            ok is False
            and met
            and marginal is False
            and all(grants[c].marginal_test() for c in met)
        ):
            words.append("Not in a marginal household.")
        if ok is None:
            undecided = True
            if marginal is None and P_MARGINAL in missing:
                words.append(prep.not_set(P_MARGINAL))
        amount = None
        if ok:
            if own < std:
                amount = std - own
                words.append(
                    f"Own income {own!s} is below the standard: "
                    f"{std!s} − {own!s} = {amount!s} yuan/month."
                )
            else:
                ok = False
                words.append(f"Own income {own!s} is not below the standard {std!s}.")
        findings.append(
            MemberFinding(
                id_number=m.id_number,
                name=m.name,
                qualifies=ok,
                conditions=tuple(met),
                own_income=own,
                amount=amount,
                reasons=tuple(words),
            )
        )
        if ok and amount is not None and chosen is not None:
            covered.append(m.id_number)
            total += amount
            member_grounds.append(
                Ground(
                    "single_person",
                    m.id_number,
                    P_SP_CONDITIONS if not chosen.requirements else P_SP_REQUIRE,
                    f"{m.name}: {chosen_words}; own income {own!s} below the standard {std!s} "
                    f"(granted by {chosen.where()})",
                    chosen.layer,
                    chosen.source,
                )
            )
    members = tuple(findings)
    if covered:
        prop = h.property_within_local_rules
        if prop is True:
            return _granted_single(
                plan,
                inc,
                tuple(covered),
                _fen(total),
                (
                    *head,
                    *marginal_words,
                    f"{len(covered)} member(s) qualify as a single-person household (单人户).",
                    _property_reason(h),
                ),
                " + ".join(f"({std!s} − {f.own_income!s})" for f in findings if f.amount),
                members,
                (*grounds, *member_grounds),
            )
        return refuse(
            _property_reason(h),
            status="cannot_decide" if prop is None else "ineligible",
            members=members,
        )
    if undecided:
        blockers = tuple(sorted(missing))
        return refuse(
            *[prep.not_set(p) for p in blockers],
            *unknown_facts,
            status="cannot_decide",
            missing=blockers,
            members=members,
        )
    return refuse(
        *marginal_words, "No member qualifies as a single-person household.", members=members
    )


# -- low income ----------------------------------------------------------------------------------


def _low_income(h: Household, prep: PreparedPolicy, as_of: dt.date) -> Decision:
    inc, living, grounds = income_with_grounds(h, prep, as_of, whole_household=False)
    plan = prep.plan(h.area, h.income_class)
    std, pc = plan.standard, inc.per_capita

    def out(
        status: DecisionStatus,
        *why: str,
        category: str | None = None,
        missing: tuple[str, ...] = (),
    ) -> Decision:
        granted = status == "eligible"
        return _decision(
            plan.low_income,
            status,
            mode="whole_household" if granted else None,
            members_covered=tuple(m.id_number for m in living) if granted else (),
            category=category,
            per_capita_income=pc,
            income=inc,
            reasons=(*why, _income_words(inc)),
            missing=missing,
            grounds=grounds,
        )

    if not living:
        return out("ineligible", _nobody_alive(as_of))
    if std is None:
        return out("cannot_decide", plan.not_set, missing=(plan.standard_path,))
    prop = h.property_within_local_rules

    def with_property(category: str, why: str) -> Decision:
        if prop is True:
            return out("eligible", why, _property_reason(h), category=category)
        return out("cannot_decide" if prop is None else "ineligible", _property_reason(h), why)

    if pc < std:
        if prep.li_dibao is True:
            return with_property(
                "dibao_household",
                f"{pc!s} is below {plan.std_words}: the household qualifies for dibao, and dibao "
                f"households count as low-income directly here (`{P_LI_DIBAO}`).",
            )
        state = "false" if prep.li_dibao is False else "not set"
        return out(
            "ineligible",
            f"{pc!s} is below {plan.std_words}: the household qualifies for dibao itself. A "
            "marginal household is one not eligible for dibao, and no source here makes dibao "
            f"households low-income directly (`{P_LI_DIBAO}` is {state}).",
        )
    mult, top = prep.marginal_multiple, prep.li_max
    if mult is None and top is None:
        return out("cannot_decide", prep.not_set(P_MARGINAL), missing=(P_MARGINAL,))
    limits = []
    if mult is not None:
        limit = _fen(mult * std)
        if pc < limit:
            return with_property(
                "marginal",
                f"{pc!s} is at or above {plan.std_words} and below {mult!s} × it = {limit!s} "
                f"(`{P_MARGINAL}`): a marginal household (低保边缘家庭).",
            )
        limits.append(f"below {mult!s} × = {limit!s} (`{P_MARGINAL}`)")
    if top is not None:
        limit = _fen(top * std)
        if pc <= limit:
            return with_property(
                "low_income_band",
                f"{pc!s} is within 1–{top!s} × {plan.std_words}, up to {limit!s} (`{P_LI_MAX}`): a "
                "low-income household (低收入家庭).",
            )
        limits.append(f"up to {top!s} × = {limit!s} (`{P_LI_MAX}`)")
    return out(
        "ineligible",
        f"{pc!s} is above the low-income limits here, of {plan.std_words}: {'; '.join(limits)}.",
    )


# -- tekun ---------------------------------------------------------------------------------------


def _unable_to_work(m: Member, age: int, minor_limit: int | None) -> tuple[list[str], bool]:
    """The categories of 特困人员认定办法 art. 5 the member is in, and whether that cannot be
    known (a minor where ``tekun.minor_age_limit`` is not set)."""
    cats = []
    if age >= 60:
        cats.append("aged_60_or_over")
    if minor_limit is not None and age < minor_limit:
        cats.append(f"under_{minor_limit}")
    d = m.disability
    if d is not None:
        k, g = d.kind, d.grade
        if (
            (k in (DisabilityKind.INTELLECTUAL, DisabilityKind.MENTAL) and g <= 3)
            or (k is DisabilityKind.PHYSICAL and g <= 2)
            or (k is DisabilityKind.VISUAL and g == 1)
        ):
            cats.append(f"{k.value}_disability_grade_{g}")
    return cats, minor_limit is None and age < 18 and not cats


def _alive_in(id_number: str, living: tuple[Member, ...]) -> bool:
    return any(m.id_number == id_number for m in living)


def _self_care(m: Member, prep: PreparedPolicy) -> str | None:
    failed = len(set(m.self_care_failed))
    full, partial = prep.tk_full, prep.tk_partial
    if full is not None and failed >= full:
        return "full_loss"
    if partial is None or full is None:
        return None
    return "partial_loss" if failed >= partial else "self_care"


def _continuation(
    m: Member, age: int, prep: PreparedPolicy
) -> tuple[str, Ground] | tuple[None, str] | None:
    """A supported minor kept on (特困人员认定办法 art. 24): (category, ground); (None, why not
    known) when the school level is not recorded; None when the rule does not keep them."""
    top = prep.tk_cont_age
    if top is None:
        return None
    t = prep.trace(P_TK_CONT_AGE)
    if age < top:
        return f"minor_continuing_to_{top}", Ground(
            "minor_continuation",
            m.id_number,
            P_TK_CONT_AGE,
            f"{m.name}, already supported, is {age}: support continues to {top} "
            f"(`{P_TK_CONT_AGE}`{_source_words(t.source)})",
            t.jurisdiction_code,
            t.source,
        )
    level = m.school_level
    if level is None:
        if m.in_school:
            return None, (
                f"{m.name} is in school, but at which level is not recorded (schoolLevel): "
                f"support continues after {top} in {', '.join(sorted(prep.tk_cont_school))} "
                f"(`{P_TK_CONT_SCHOOL}`)"
            )
        return None
    if level.value in prep.tk_cont_school:
        ts = prep.trace(P_TK_CONT_SCHOOL)
        return f"in_school_after_{top}", Ground(
            "minor_continuation",
            m.id_number,
            P_TK_CONT_SCHOOL,
            f"{m.name}, supported as a minor, is {age} and in {_SCHOOL_WORDS.get(level, level)}"
            f" (`{P_TK_CONT_SCHOOL}`{_source_words(ts.source)})",
            ts.jurisdiction_code,
            ts.source,
        )
    return None


def _tekun(
    h: Household, prep: PreparedPolicy, as_of: dt.date, continuing: frozenset[str] = frozenset()
) -> Decision:
    living, _dead = _living(h, as_of)
    plan = prep.plan(h.area, h.income_class)
    std, basic, limit = plan.standard, prep.tk_basic, prep.tk_minor
    excluded = prep.tk_excluded
    grounds: list[Ground] = []
    shared = ZERO
    for it in h.income:
        x = it.excluded_as
        if x is not None and x in excluded and (it.member is None or _alive_in(it.member, living)):
            grounds.append(prep.exclusion(P_TK_EXCLUDED, it)[1])
            continue
        if it.member is None:
            shared += it.monthly_amount
    share = _fen(shared / len(living)) if living else ZERO
    prop = h.property_within_local_rules
    missing: set[str] = set()
    findings: list[MemberFinding] = []
    covered: list[str] = []
    facts: list[str] = []
    undecided = 0
    for m in living:
        age = m.age_on(as_of)
        cats, unknown = _unable_to_work(m, age, limit)
        words: list[str] = []
        if not cats and m.id_number in continuing:
            kept = _continuation(m, age, prep)
            if kept is not None and kept[0] is not None:
                cats, unknown = [kept[0]], False
                assert isinstance(kept[1], Ground)
                grounds.append(kept[1])
                words.append(kept[1].condition + ".")
            elif kept is not None:
                unknown = True
                words.append(f"cannot decide: {kept[1]}")
                facts.append(f"cannot decide: {kept[1]}")
        own = _own_income(h, m.id_number, excluded) + share
        ok: bool | None
        if unknown:
            ok = None
            if not words:
                missing.add(P_TK_MINOR)
                words.append(prep.not_set(P_TK_MINOR))
        elif not cats:
            ok = False
            under = f"not under {limit!s}, " if limit is not None else ""
            words.append(
                f"Able to work in the sense of the rules: aged {age}, {under}no qualifying "
                "disability (intellectual/mental 1–3, physical 1–2, visual 1)."
            )
        else:
            ok = True
            words.append(
                f"Unable to work: {', '.join(c.replace('_', ' ') for c in cats)} (aged {age})."
            )
        if ok is not False and m.has_able_supporter:
            ok = False
            words.append("Has a legal supporter able to support them.")
        if ok is not False:
            if std is None:
                ok = None
                missing.add(plan.standard_path)
                words.append(plan.not_set)
            elif own < std:
                words.append(
                    f"Own income {own!s} is below {plan.std_words}, as 特困人员认定办法 art. 6 "
                    "requires (收入低于当地最低生活保障标准)."
                )
            else:
                ok = False
                words.append(f"Own income {own!s} is not below {plan.std_words}.")
        if ok is not False and prop is not True:
            ok = None if prop is None else False
            words.append(_property_reason(h))
        if ok is not False and basic is None:
            ok = None
            missing.add(P_TK_BASIC)
            words.append(prep.not_set(P_TK_BASIC))
        level = _self_care(m, prep)
        if level is None:
            missing.update(p for p in (P_TK_PARTIAL, P_TK_FULL) if prep.value(p) is None)
        else:
            failed = len(set(m.self_care_failed))
            words.append(
                f"Self-care: {level.replace('_', ' ')} ({failed} of 6 indicators not met)."
            )
        findings.append(
            MemberFinding(
                id_number=m.id_number,
                name=m.name,
                qualifies=ok,
                conditions=tuple(cats),
                own_income=own,
                amount=basic if ok else None,
                self_care=level,
                reasons=tuple(words),
            )
        )
        if ok:
            covered.append(m.id_number)
        elif ok is None:
            undecided += 1
    template = _template(
        "tekun",
        prep.code,
        as_of,
        standard=basic,
        standard_path=P_TK_BASIC,
        members=tuple(findings),
        trace=plan.trace_tekun,
        grounds=tuple(grounds),
    )
    if covered:
        assert basic is not None
        amount = basic * len(covered)
        words = [
            f"{len(covered)} member(s) qualify for tekun support (特困人员救助供养).",
            f"Monthly amount: the basic-living standard {basic!s} (`{P_TK_BASIC}`) × "
            f"{len(covered)} = {amount!s} yuan.",
        ]
        review = prep.tk_review
        nxt = None
        if review is not None:
            nxt = add_months(as_of, review)
            words.append(
                f"Next review by {nxt.isoformat()} (every {review} months, `{P_TK_REVIEW}`)."
            )
        else:
            missing.add(P_TK_REVIEW)
        if undecided:
            words.append(f"Undecided for {undecided} other member(s): see members.")
        return _decision(
            template,
            "eligible",
            members_covered=tuple(covered),
            monthly_amount=amount,
            next_review=nxt,
            review_path=P_TK_REVIEW,
            reasons=tuple(words),
            missing=tuple(sorted(missing)),
        )
    if undecided:
        blockers = sorted(missing)
        return _decision(
            template,
            "cannot_decide",
            reasons=(
                *([prep.not_set(p) for p in blockers] + facts or [_property_reason(h)]),
                "No member qualifies for certain: see members.",
            ),
            missing=tuple(blockers),
        )
    why = (
        "No member qualifies for tekun support: it requires being unable to work, having no "
        "able legal supporter, and income below the dibao standard."
        if living
        else _nobody_alive(as_of)
    )
    return _decision(template, "ineligible", reasons=(why,), missing=tuple(sorted(missing)))


# -- temporary -----------------------------------------------------------------------------------


def _temporary(
    h: Household, prep: PreparedPolicy, as_of: dt.date, request: TemporaryRequest | None
) -> Decision:
    if request is None:
        raise InvalidInput(
            "temporary assistance needs a request: its kind (emergency or expenditure) and amount"
        )
    living, _dead = _living(h, as_of)
    amount = _fen(request.amount)
    template = _template(
        "temporary",
        prep.code,
        as_of,
        category=request.kind,
        one_off_amount=amount,
        trace=prep.traces(
            P_TMP_GRADED,
            P_TMP_LIMIT,
            P_TMP_ADVANCE,
            P_TMP_CASE,
            P_TMP_EXP_LIMIT,
            P_TMP_UNEMPLOYED,
        ),
    )
    if not living:
        return _decision(template, "ineligible", reasons=(_nobody_alive(as_of),))
    grounds: list[Ground] = []
    tests: list[str] = []
    missing: list[str] = []
    refusal = _temporary_tests(h, prep, as_of, request, tests, grounds, missing)
    if refusal is not None:
        status, why = refusal
        return _decision(
            template, status, reasons=(*tests, why), missing=tuple(missing), grounds=tuple(grounds)
        )
    kind_words = (
        "an emergency (急难型)"
        if request.kind == "emergency"
        else "an expenditure hardship (支出型)"
    )
    words = [
        f"Request for {kind_words}: {amount!s} yuan, one-off.",
        *tests,
        "The request may be granted once the investigators confirm the hardship.",
    ]
    graded, limit = prep.value(P_TMP_GRADED), _yuan(prep.value(P_TMP_LIMIT))
    case_by_case = prep.value(P_TMP_CASE)
    if request.major_hardship and case_by_case is True:
        level = "county"
        words.append(
            f"Major hardship: decided case by case (一事一议, `{P_TMP_CASE}`) by the county."
        )
    elif graded is True:
        if limit is None:
            level = "county"
            missing.append(P_TMP_LIMIT)
            words.append(
                f"Approval is graded (`{P_TMP_GRADED}`), but `{P_TMP_LIMIT}` is not set for "
                f"{prep.code} on {as_of.isoformat()}: the township's share cannot be known, so "
                "the county approves."
            )
        elif amount <= limit:
            level = "township"
            words.append(
                f"{amount!s} is within the township limit {limit!s} (`{P_TMP_LIMIT}`): the "
                f"township approves (graded approval, `{P_TMP_GRADED}`)."
            )
        else:
            level = "county"
            words.append(
                f"{amount!s} is above the township limit {limit!s} (`{P_TMP_LIMIT}`): the county "
                "approves."
            )
    else:
        level = "county"
        state = "not set" if graded is None else "false"
        words.append(
            f"Approval is not graded here (`{P_TMP_GRADED}` is {state}): the county approves."
        )
    if request.major_hardship and case_by_case is not True:
        words.append(
            "Major hardship, but case-by-case decisions are not provided for here "
            f"(`{P_TMP_CASE}`)."
        )
    if request.kind == "emergency":
        if prep.value(P_TMP_ADVANCE) is True:
            words.append(
                "Assistance may be given first and the paperwork completed afterwards "
                f"(先行救助, `{P_TMP_ADVANCE}`)."
            )
        else:
            words.append(f"Assist-first (先行救助) is not provided for here (`{P_TMP_ADVANCE}`).")
    return _decision(
        template,
        "eligible",
        mode="whole_household",
        members_covered=tuple(m.id_number for m in living),
        approval_level=level,
        reasons=tuple(words),
        missing=tuple(missing),
        grounds=tuple(grounds),
    )


def _temporary_tests(
    h: Household,
    prep: PreparedPolicy,
    as_of: dt.date,
    request: TemporaryRequest,
    words: list[str],
    grounds: list[Ground],
    missing: list[str],
) -> tuple[DecisionStatus, str] | None:
    """The conditions the documents attach to a temporary request; (status, why) to refuse."""
    if request.kind == "expenditure":
        # 民发〔2018〕23号 二(一): 「支出型救助对象…原则上其家庭人均可支配收入应低于当地上年度人均
        # 可支配收入，且家庭财产状况符合当地有关规定」
        t = prep.trace(P_TMP_EXP_LIMIT)
        limit = _yuan(prep.value(P_TMP_EXP_LIMIT))
        inc, _living2, _g = income_with_grounds(h, prep, as_of, whole_household=False)
        yearly = _fen(inc.total_income / inc.living_members * 12) if inc.living_members else ZERO
        if limit is None:
            missing.append(P_TMP_EXP_LIMIT)
            words.append(
                "Expenditure type: the income test of 民发〔2018〕23号 二(一) (per-capita "
                "disposable income below the local figure of the year before) was not applied: "
                f"`{P_TMP_EXP_LIMIT}` is not set for {prep.code} on {as_of.isoformat()}."
            )
            grounds.append(
                Ground("income_test", "household", P_TMP_EXP_LIMIT,
                       "not applied: the local per-capita disposable income is not set")
            )  # fmt: skip
        elif yearly < limit:
            words.append(
                f"Expenditure type: per-capita income {yearly!s} yuan a year is below the local "
                f"per-capita disposable income {limit!s} (`{P_TMP_EXP_LIMIT}`)."
            )
            grounds.append(
                Ground("income_test", "household", P_TMP_EXP_LIMIT,
                       f"per-capita income {yearly!s} a year below {limit!s}",
                       t.jurisdiction_code, t.source)
            )  # fmt: skip
        elif request.exception_reasons:
            words.append(
                f"Expenditure type: per-capita income {yearly!s} a year is not below {limit!s} "
                f"(`{P_TMP_EXP_LIMIT}`), granted in principle's exception (原则上): "
                + "; ".join(request.exception_reasons)
            )
            grounds.append(
                Ground("income_test", "household", P_TMP_EXP_LIMIT,
                       "over the limit; exception (原则上) with reasons: "
                       + "; ".join(request.exception_reasons), t.jurisdiction_code, t.source)
            )  # fmt: skip
        else:
            return "ineligible", (
                f"Expenditure type: per-capita income {yearly!s} yuan a year is not below the "
                f"local per-capita disposable income {limit!s} (`{P_TMP_EXP_LIMIT}`; 民发〔2018〕"
                "23号 二(一): 原则上…应低于当地上年度人均可支配收入); an exception needs reasons."
            )
        if h.property_within_local_rules is not True:
            status: DecisionStatus = (
                "cannot_decide" if h.property_within_local_rules is None else "ineligible"
            )
            return status, _property_reason(h)
    if request.category == "unemployed_uninsured":
        # 民发〔2022〕83号 二(一): 「连续3个月无收入来源，生活困难且失业保险政策无法覆盖的…未参保
        # 失业人员」
        t = prep.trace(P_TMP_UNEMPLOYED)
        months = prep.value(P_TMP_UNEMPLOYED)
        if months is None:
            missing.append(P_TMP_UNEMPLOYED)
            return "cannot_decide", prep.not_set(P_TMP_UNEMPLOYED)
        if request.months_without_income is None or request.unemployment_insured is None:
            return "cannot_decide", (
                "cannot decide: an uninsured unemployed person's request needs the months "
                "without income and whether unemployment insurance covers them"
            )
        if request.unemployment_insured:
            return "ineligible", (
                "Covered by unemployment insurance: this assistance is for those it cannot cover "
                "(失业保险政策无法覆盖)."
            )
        if request.months_without_income < int(months):
            return "ineligible", (
                f"{request.months_without_income} month(s) without income: at least {months} "
                f"consecutive months are required (`{P_TMP_UNEMPLOYED}`)."
            )
        words.append(
            f"Uninsured and unemployed, {request.months_without_income} consecutive months "
            f"without income: at least {months} (`{P_TMP_UNEMPLOYED}`)."
        )
        grounds.append(
            Ground("income_test", "household", P_TMP_UNEMPLOYED,
                   f"{request.months_without_income} months without income (≥ {months}), "
                   "not covered by unemployment insurance", t.jurisdiction_code, t.source)
        )  # fmt: skip
    return None


# -- entry point ---------------------------------------------------------------------------------


def evaluate(
    household: Household,
    program: str,
    policy: ResolvedPolicy,
    as_of: dt.date,
    *,
    request: TemporaryRequest | None = None,
    plugin_programs: PluginPrograms = NO_PLUGIN_PROGRAMS,
    continuing: frozenset[str] = frozenset(),
) -> Decision:
    """Decide ``household``'s eligibility for ``program`` on ``as_of``.

    ``policy`` is the merged policy at the household's county on ``as_of``
    (``PolicyBase.resolve(household.county, as_of)``). ``program`` is "dibao", "low_income",
    "tekun", "temporary" (give ``request``) or a plugin program's id, decided by the plugin that
    added it: pass the merged policy's ``plugin_programs`` (``PolicyBase.plugin_programs``; the
    engine loads no plugins itself). Raises
    :class:`~core.errors.InvalidInput` for an unknown program, a missing temporary-assistance
    request, or a policy resolved for another place or date. ``continuing``: the ID numbers a
    tekun case already supports (a review), whom 特困人员认定办法 art. 24 keeps on as minors.
    """
    if policy.jurisdiction.code != household.county:
        raise InvalidInput(
            f"the policy is resolved for {policy.jurisdiction.code}, but the household is "
            f"registered in {household.county}"
        )
    if policy.as_of != as_of:
        raise InvalidInput(
            f"the policy is resolved on {policy.as_of.isoformat()}, not on {as_of.isoformat()}"
        )
    if program == "dibao":
        hit = _PREPARED.get(id(policy))  # prepare(policy), inlined for the common case
        if hit is not None and hit[0] is policy:
            return _dibao(household, hit[1], as_of)
        return _dibao(household, prepare(policy), as_of)
    if program == "low_income":
        return _low_income(household, prepare(policy), as_of)
    if program == "tekun":
        return _tekun(household, prepare(policy), as_of, continuing)
    if program == "temporary":
        return _temporary(household, prepare(policy), as_of, request)
    return _plugin_program(household, program, policy, as_of, plugin_programs)


def _plugin_program(
    household: Household,
    program: str,
    policy: ResolvedPolicy,
    as_of: dt.date,
    plugin_programs: PluginPrograms,
) -> Decision:
    declared = plugin_programs.get(program)
    if declared is None:
        known = ", ".join([*CORE_PROGRAMS, *plugin_programs.ids])
        raise InvalidInput(f"unknown program '{program}'; known programs: {known}")
    plugin, spec = declared
    if spec.scope not in {j.code for j in policy.chain}:
        j = policy.jurisdiction
        return Decision(
            program=program,
            status="ineligible",
            eligible=False,
            county=j.code,
            as_of=as_of,
            plugin=plugin,
            reasons=(
                f"{spec.name} ({spec.name_zh}) exists only in {spec.scope}; {j.code} {j.name} "
                "is outside it.",
            ),
        )
    answer = plugin_programs.decide(program, household, policy, as_of)
    if answer is None:
        raise InvalidInput(
            f"program '{program}' (added by plugin '{plugin}') cannot be evaluated: no plugin "
            "implements doudi_evaluate_program for it"
        )
    name, decision = answer
    return replace(decision, plugin=name)
