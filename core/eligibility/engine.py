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
from core.households.model import Area, DisabilityKind, Household, IncomeClass, Member
from core.plugin.hookspecs import (
    Decision,
    DecisionStatus,
    Excluded,
    IncomeComputation,
    MemberFinding,
    TraceEntry,
)
from core.plugin.programs import NO_PLUGIN_PROGRAMS, PluginPrograms
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
# Conditions granted outside the marginal-household rule (民发〔2022〕83号 一(一)).
_NOT_LIMITED_TO_MARGINAL = frozenset({"jobless_adult_severe_disability"})
_EXPENSE_KINDS = ("medical", "disability_rehabilitation", "education", "employment_cost")

P_DEDUCTIONS = "dibao.income.deductions"
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


@dataclass(frozen=True, slots=True)
class TemporaryRequest:
    """A request for temporary assistance (临时救助): its type and the one-off amount asked for.

    ``major_hardship`` marks a case reported as major hardship (重大困难), decided case by case
    (一事一议) where ``temporary.case_by_case_major_hardship`` is true.
    """

    kind: Literal["emergency", "expenditure"]
    amount: Decimal
    description: str = ""
    major_hardship: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("emergency", "expenditure"):
            raise InvalidInput(
                f"temporary assistance is 'emergency' or 'expenditure', not {self.kind!r}"
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
        self.trace_whole = prep.traces(sp, P_DEDUCTIONS, P_METHOD, P_CONFIRMING, rp)
        self.trace_single = prep.traces(P_SP_ENABLED, P_SP_CONDITIONS, P_MARGINAL)
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
            self.standard_path, P_DEDUCTIONS, P_LI_DIBAO, P_MARGINAL, P_LI_MAX
        )
        return {**self.dibao, "program": "low_income", "trace": trace}

    @cached_property
    def trace_tekun(self) -> tuple[TraceEntry, ...]:
        return self._prep.traces(
            P_TK_MINOR, self.standard_path, P_TK_BASIC, P_TK_PARTIAL, P_TK_FULL, P_TK_REVIEW
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

        allowed = self.value(P_DEDUCTIONS)
        self.deductions: tuple[str, ...] = tuple(allowed or ())
        self.deductions_allowed = frozenset(self.deductions)
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
        self.sp_conditions: tuple[str, ...] = tuple(self.value(P_SP_CONDITIONS) or ())
        self.marginal_multiple = _multiple(self.value(P_MARGINAL))
        self.li_max = _multiple(self.value(P_LI_MAX))
        self.li_dibao = self.value(P_LI_DIBAO)
        self.tk_basic = _yuan(self.value(P_TK_BASIC))
        self.tk_minor = self.value(P_TK_MINOR)
        self.tk_partial = self.value(P_TK_PARTIAL)
        self.tk_full = self.value(P_TK_FULL)
        self.tk_review = self.value(P_TK_REVIEW)
        self.sp_note = self._single_person_note()
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

    def _single_person_note(self) -> str:
        p = self.policy.parameters.get(P_SP_CONDITIONS)
        src = None if p is None else p.source
        if src is None or not src.quote:
            return ""
        doc = src.document.number or src.document.title
        where = f"{doc}, {src.section}" if src.section else doc
        return (
            f"The source of `{P_SP_CONDITIONS}` ({where}) reads “{src.quote}”; what it "
            "requires beyond the condition itself is for the investigators to confirm"
        )


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


def _died(m: Member) -> str:
    assert m.date_of_death is not None
    return f"{m.name} died on {m.date_of_death.isoformat()}"


def compute_income(
    h: Household, prep: PreparedPolicy, as_of: dt.date
) -> tuple[IncomeComputation, tuple[Member, ...]]:
    """Per-capita income after the deductions the policy allows, step by step; and the living
    members it is divided by."""
    for m in h.members:
        d = m.date_of_death
        if d is not None and d <= as_of:
            living, dead = _living(h, as_of)
            break
    else:
        living, dead = h.members, _NOBODY
    total = ZERO
    not_counted: tuple[Excluded, ...] = ()
    if not dead:
        counted = h.income
        for it in counted:
            total += it.monthly_amount
    else:
        kept = []
        skipped = []
        for it in h.income:
            who = dead.get(it.member) if it.member is not None else None
            if who is None:
                kept.append(it)
                total += it.monthly_amount
            else:
                skipped.append(_excluded(it, f"not counted: {_died(who)}"))
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
        done = []
        refused = []
        for e in h.expenses:
            why = None
            if dead and e.member in dead:
                why = f"not deducted: {_died(dead[e.member])}"
            elif e.kind._value_ in allowed:  # (hashing the enum member runs Python code)
                done.append(e)
                ded += e.monthly_amount
            else:
                why = prep.deduction_why[e.kind._value_]
            if why is not None:
                x = _new(Excluded)
                _set(x, "__dict__", {"item": e, "why": why})
                refused.append(x)
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
    return inc, living
    ded = ZERO
    allowed = prep.deductions_allowed
    done = []
    refused = []
    for e in h.expenses:
        if dead and e.member in dead:
            refused.append(_excluded(e, f"not deducted: {_died(dead[e.member])}"))
        elif e.kind._value_ in allowed:  # (hashing the enum member runs Python code)
            done.append(e)
            ded += e.monthly_amount
        else:
            refused.append(_excluded(e, prep.deduction_why[e.kind._value_]))
    net = total - ded
    if net < 0:
        net = ZERO
    _set(
        inc,
        "__dict__",
        {
            "living_members": n,
            "counted": counted,
            "total_income": total,
            "net_income": net,
            "per_capita": (net / n).quantize(CENT, ROUND_HALF_UP) if n else ZERO,
            "not_counted": not_counted,
            "allowed_deductions": prep.deductions,
            "deductions_applied": tuple(done),
            "deductions_not_applied": tuple(refused),
            "total_deductions": ded,
        },
    )
    return inc, living


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


def _own_income(h: Household, id_number: str) -> Decimal:
    total = ZERO
    for it in h.income:
        if it.member == id_number:
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


def _single_person_conditions(m: Member, allowed: tuple[str, ...], as_of: dt.date) -> list[str]:
    dis = m.disability
    if dis is None and not m.serious_illness and not m.tags:
        return []
    grade = dis.grade if dis is not None else 0
    out = []
    for c in allowed:
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
            ok = "clergy_living_apart" in m.tags
        elif c == "jobless_adult_severe_disability":
            ok = dis is not None and grade <= 2 and not m.employed and m.age_on(as_of) >= 18
        else:  # pragma: no cover - the catalog allows only the conditions above
            ok = False
        if ok:
            out.append(c)
    return out


def _dibao(h: Household, prep: PreparedPolicy, as_of: dt.date) -> Decision:
    inc, living = compute_income(h, prep, as_of)
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
            d = _new(Decision)
            _set(d, "__dict__", attrs)
            return d
        return _decision(
            plan.dibao,
            "cannot_decide" if prop is None else "ineligible",
            per_capita_income=pc,
            income=inc,
            reasons=(_property_reason(h), _income_words(inc, f" is below {plan.std_words}.")),
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
            d = _new(Decision)
            _set(d, "__dict__", attrs)
            return d
    return _single_person(h, prep, plan, inc, living, as_of)


def _granted_single(
    plan: _Plan,
    inc: IncomeComputation,
    covered: tuple[str, ...],
    amount: Decimal,
    reasons: tuple[str, ...],
    gap_words: str,
    members: tuple[MemberFinding, ...],
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
    )


def _single_person(
    h: Household,
    prep: PreparedPolicy,
    plan: _Plan,
    inc: IncomeComputation,
    living: tuple[Member, ...],
    as_of: dt.date,
) -> Decision:
    std = plan.standard
    assert std is not None
    pc = inc.per_capita
    head = (_income_words(inc, plan.above_words),)
    # Most households meet no condition: find out before anything else is written.
    if prep.sp_enabled is True:
        allowed = prep.sp_conditions
        candidates = []
        for m in living:
            if m.disability is not None or m.serious_illness or m.tags:
                met = _single_person_conditions(m, allowed, as_of)
                if met:
                    candidates.append((m, met))
        if not candidates:
            attrs = plan.dibao_single_refused.copy()
            attrs["per_capita_income"] = pc
            attrs["income"] = inc
            attrs["reasons"] = (*head, prep.sp_no_candidate)
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
        )

    mult = prep.marginal_multiple
    marginal: bool | None = None
    marginal_words: tuple[str, ...] = ()
    if mult is not None:
        limit = _fen(mult * std)
        marginal = pc < limit
        marginal_words = (
            f"{pc!s} is {'below' if marginal else 'not below'} {mult!s} × the standard = {limit!s} "
            f"(`{P_MARGINAL}`): {'a' if marginal else 'not a'} marginal household.",
        )
    findings: list[MemberFinding] = []
    covered: list[str] = []
    undecided = False
    total = ZERO
    for m, met in candidates:
        words = [f"Meets: {', '.join(_CONDITION_WORDS.get(c, c) for c in met)}."]
        own = _own_income(h, m.id_number)
        ok: bool | None
        if any(c in _NOT_LIMITED_TO_MARGINAL for c in met):
            ok = True
            words.append(
                "A jobless adult with a severe disability may apply alone whatever the "
                "household's income (民发〔2022〕83号 一(一))."
            )
        elif marginal is None:
            ok = None
            undecided = True
            words.append(prep.not_set(P_MARGINAL))
        else:
            ok = marginal
            if not marginal:
                words.append("Not in a marginal household.")
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
        if prep.sp_note:
            words.append(f"{prep.sp_note}; labour capacity recorded: {m.labour_capacity.value}.")
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
        if ok and amount is not None:
            covered.append(m.id_number)
            total += amount
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
            )
        return refuse(
            _property_reason(h),
            status="cannot_decide" if prop is None else "ineligible",
            members=members,
        )
    if undecided:
        return refuse(
            prep.not_set(P_MARGINAL),
            status="cannot_decide",
            missing=(P_MARGINAL,),
            members=members,
        )
    return refuse(
        *marginal_words, "No member qualifies as a single-person household.", members=members
    )


# -- low income ----------------------------------------------------------------------------------


def _low_income(h: Household, prep: PreparedPolicy, as_of: dt.date) -> Decision:
    inc, living = compute_income(h, prep, as_of)
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


def _self_care(m: Member, prep: PreparedPolicy) -> str | None:
    failed = len(set(m.self_care_failed))
    full, partial = prep.tk_full, prep.tk_partial
    if full is not None and failed >= full:
        return "full_loss"
    if partial is None or full is None:
        return None
    return "partial_loss" if failed >= partial else "self_care"


def _tekun(h: Household, prep: PreparedPolicy, as_of: dt.date) -> Decision:
    living, _dead = _living(h, as_of)
    plan = prep.plan(h.area, h.income_class)
    std, basic, limit = plan.standard, prep.tk_basic, prep.tk_minor
    shared = ZERO
    for it in h.income:
        if it.member is None:
            shared += it.monthly_amount
    share = _fen(shared / len(living)) if living else ZERO
    prop = h.property_within_local_rules
    missing: set[str] = set()
    findings: list[MemberFinding] = []
    covered: list[str] = []
    undecided = 0
    for m in living:
        age = m.age_on(as_of)
        cats, unknown = _unable_to_work(m, age, limit)
        words: list[str] = []
        own = _own_income(h, m.id_number) + share
        ok: bool | None
        if unknown:
            ok = None
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
                *([prep.not_set(p) for p in blockers] or [_property_reason(h)]),
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
        trace=prep.traces(P_TMP_GRADED, P_TMP_LIMIT, P_TMP_ADVANCE, P_TMP_CASE),
    )
    if not living:
        return _decision(template, "ineligible", reasons=(_nobody_alive(as_of),))
    kind_words = (
        "an emergency (急难型)"
        if request.kind == "emergency"
        else "an expenditure hardship (支出型)"
    )
    words = [
        f"Request for {kind_words}: {amount!s} yuan, one-off.",
        "The catalog sets no income test for temporary assistance: the request may be granted "
        "once the investigators confirm the hardship.",
    ]
    missing: list[str] = []
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
    )


# -- entry point ---------------------------------------------------------------------------------

def evaluate(
    household: Household,
    program: str,
    policy: ResolvedPolicy,
    as_of: dt.date,
    *,
    request: TemporaryRequest | None = None,
    plugin_programs: PluginPrograms = NO_PLUGIN_PROGRAMS,
) -> Decision:
    """Decide ``household``'s eligibility for ``program`` on ``as_of``.

    ``policy`` is the merged policy at the household's county on ``as_of``
    (``PolicyBase.resolve(household.county, as_of)``). ``program`` is "dibao", "low_income",
    "tekun", "temporary" (give ``request``) or a plugin program's id, decided by the plugin that
    added it: pass the merged policy's ``plugin_programs`` (``PolicyBase.plugin_programs``; the
    engine loads no plugins itself). Raises
    :class:`~core.errors.InvalidInput` for an unknown program, a missing temporary-assistance
    request, or a policy resolved for another place or date.
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
        return _tekun(household, prepare(policy), as_of)
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
