"""The case state machine: pure (no I/O; the date is an argument), driven by the merged policy.

Every step takes the case, the acting :class:`core.access.roles.User`, the merged policy resolved at
the
case's county on the step's date (``PolicyBase.resolve(case.county, on)``), the date and the
step's inputs, and returns a :class:`~core.cases.model.Transition` (the case with ``version + 1``
and the event describing the step) or raises a :class:`~core.cases.errors.CaseError`.

dibao (低保), after 《最低生活保障审核确认办法》 (2021) and the province's own rules::

    open_case ─► accepted ─► record_investigation ─► investigated ─► record_first_review
      ─► first_reviewed ─► start_publicity ─► in_publicity ─┬─► confirm_case ─► active
                                      record_objection ◄────┘  (reopens: back to accepted)
      reject_case (with reasons) from any state before active ─► rejected
      active ─► record_review (re-evaluated: continue / raise / lower / phase out / exit)
      active ─► start_phase_out ─► phasing_out ─► record_income_stable / exit_case ─► exited
      record_verification (核对) and record_spot_check (county, after a township confirmation)
      are recorded without changing the state; record_work_refusal and record_death too,
      unless the death leaves nobody covered (then the case exits).
      In payment (active, phasing_out): record_verification is the periodic check (核对排查),
      record_home_visit the home visit (入户核查), record_head_change the new head and payment
      account after the head died; tekun: record_care_placement (集中 / 分散供养) and
      record_care_visit (走访探视, 照料服务评估).

``data.amounts`` is the amount history, ascending: ``{"from": "YYYY-MM-DD", "amount": "123.45"}``,
the monthly amount payable from that first of the month, appended by confirmation (from
``benefitFrom``), by a review that keeps the case active (from the next month) and by a death
that changes the amount (from the next month); ``data.amount`` is the newest amount
(:func:`amount_on` reads the history for a month).

Policy, never per-province code: who confirms (``dibao.approval.confirming_level`` and
``tekun.approval.confirming_level``: the township officer or the county approver), verification
before confirmation (``dibao.verification.required_before_approval``), investigators per visit
(``dibao.investigation.min_investigators``), publicity days, the county spot-check ratio of
township confirmations (selection: a running count per county and month that keeps the minimum,
:mod:`core.cases.selection`, decided by the store against its tally), near-relative filing and
relations, phase-out bounds and the Ningxia rule of leaving the month after income is stable,
the refused-work limit.

tekun (特困) follows the same chain with a self-care assessment (``record_self_care``) before the
first review, ``tekun.approval.publicity_days``, confirmation by the county and, before it, the
county's spot-check of the township's file when selected by
``tekun.approval.county_spot_check_ratio``. temporary (临时救助): open with the amount asked,
investigate, then ``confirm_case`` (→ granted) at the level graded by amount
(``temporary.approval.graded``, ``temporary.approval.township_limit``), or ``assist_first``
(先行救助, where ``temporary.advance_assistance``) by the township → assisted, and
``record_paperwork`` afterwards → granted.

Who acts: auditors and province administrators never act on cases, and nobody acts on a case
outside their jurisdiction (``FORBIDDEN``); each step names the roles that take it (else
``WRONG_LEVEL``); a staff member named as the applicant's near relative never acts on the case
(``RECUSAL_REQUIRED``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric

from core.access.roles import Role, User
from core.cases.errors import (
    AmountTooHigh,
    AppraisalRequired,
    CaseForbidden,
    ChoiceRequired,
    CountyVisitRequired,
    HeadNotChanged,
    HomeVisitRequired,
    InvalidTransition,
    MemberNotFound,
    NotEligible,
    OwnApplicationRequired,
    PaymentAccountRequired,
    PhaseOutNotAllowed,
    PhaseOutRefused,
    PhaseOutTooLong,
    PhaseOutTooShort,
    PolicyNotSet,
    PublicityNotOver,
    ReasonsRequired,
    RecusalRequired,
    RefusedWorkBelowLimit,
    SpotCheckRequired,
    TooFewInvestigators,
    VerificationRequired,
    WrongLevel,
)
from core.cases.model import (
    PROGRAMS,
    ActorRef,
    Case,
    CaseEvent,
    CaseState,
    ExitReason,
    Transition,
    jsonable,
)
from core.cases.selection import (
    DIBAO_TOWNSHIP_CONFIRMATION,
    TEKUN_FILE,
    TEKUN_SELF_CARE,
    Selection,
    SelectionRequest,
)
from core.eligibility import TemporaryRequest, add_months, evaluate, not_set_message, trace_entry
from core.errors import InvalidInput
from core.households.model import Household, IncomeKind, Member, Relation
from core.plugin.hookspecs import Decision, TraceEntry
from core.policy.resolution import ResolvedPolicy

S = CaseState

# Roles that act on cases at all; the others (auditor, province_admin) are FORBIDDEN.
STAFF = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER})
LEVEL_ROLE = {"township": Role.TOWNSHIP_OFFICER, "county": Role.COUNTY_APPROVER}

BEFORE_DECISION = (S.ACCEPTED, S.INVESTIGATED, S.FIRST_REVIEWED, S.IN_PUBLICITY)
IN_PAYMENT = (S.ACTIVE, S.PHASING_OUT)
VISITORS = (Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER)  # who makes home and care visits
CARE_MODES = ("centralised", "dispersed")  # 集中供养 / 分散供养
CARE_VISIT_KINDS = {"visit": "lastCareVisit", "carer_assessment": "lastCareAssessment"}

P_LEVEL = "dibao.approval.confirming_level"
P_TK_LEVEL = "tekun.approval.confirming_level"
P_SPOT = "dibao.approval.county_spot_check_ratio"
P_PUBLICITY = "dibao.approval.publicity_days"
P_INVESTIGATORS = "dibao.investigation.min_investigators"
P_VERIFY = "dibao.verification.required_before_approval"
P_OWN_APPLICATION = "dibao.single_person.own_application_required"
P_SP_MEANS = "dibao.single_person.assessment_means"
P_NR_FILING = "dibao.near_relative.filing_required"
P_NR_RELATIONS = "dibao.near_relative.relations"
P_PO_MIN = "dibao.phase_out.min_months"
P_PO_MAX = "dibao.phase_out.max_months"
P_PO_STABLE = "dibao.phase_out.exit_next_month_when_stable"
P_PO_ALLOWED = "dibao.phase_out.allowed"
P_VISIT_AFTER_CHANGE = "dibao.review.home_visit_after_change"
P_PO_CAUSES = "dibao.phase_out.causes"
P_PO_SELF_REPORT = "dibao.phase_out.requires_self_report"
P_PO_NOTICE = "dibao.phase_out.written_notice_required"
REVIEW_OUTCOMES = ("phase_out", "exit")
PHASE_OUT_CAUSE_INCOME = {"employment": IncomeKind.WAGES, "business_start": IncomeKind.BUSINESS}
P_REFUSED = "dibao.refused_work.limit"
P_DEATH_RECHECK = "dibao.death.recheck_within_months"
P_HEAD_UPDATE = "payments.deceased_head_update_months"
P_TK_PUBLICITY = "tekun.approval.publicity_days"
P_TK_SPOT = "tekun.approval.county_spot_check_ratio"
P_TK_SELF_SPOT = "tekun.self_care.county_spot_check_ratio"
P_TK_REASSESS = "tekun.self_care.reassess_within_working_days"
P_TK_ADMIT = "tekun.centralised_care.admit_all_willing"
P_TK_ADMIT_LEVELS = "tekun.centralised_care.self_care_levels"
P_NR_VISIT = "dibao.near_relative.county_home_visit_ratio"
# The national rules on investigators and near relatives (审核确认办法 art. 11, 16, 20) are
# dibao's; tekun reads its own paths, set only where a document covers it (特困人员认定办法
# art. 13 names no number of investigators).
P_TK_INVESTIGATORS = "tekun.investigation.min_investigators"
P_TK_NR_FILING = "tekun.near_relative.filing_required"
P_TK_NR_VISIT = "tekun.near_relative.county_home_visit_ratio"
_TEKUN_PATHS = {
    P_INVESTIGATORS: P_TK_INVESTIGATORS,
    P_NR_FILING: P_TK_NR_FILING,
    P_NR_VISIT: P_TK_NR_VISIT,
}
P_NEW_VISIT = "dibao.home_visit.new_applicant_ratio"
P_BENEFIT_START = {"dibao": "dibao.benefit.start", "tekun": "tekun.benefit.start"}
# How the household's situation was investigated (审核确认办法 art. 15, 16: 入户调查、邻里访问、
# 信函索证, 信息核对; 电话、视频 in a major emergency).
INVESTIGATION_METHODS = ("home_visit", "neighbour_visit", "letter", "data_check", "remote")
P_TK_PARTIAL = "tekun.self_care.partial_loss_min_failed"
P_TK_FULL = "tekun.self_care.full_loss_min_failed"
P_TMP_GRADED = "temporary.approval.graded"
P_TMP_LIMIT = "temporary.approval.township_limit"
P_TMP_ADVANCE = "temporary.advance_assistance"
P_TMP_LOCATION = "temporary.apply_at_emergency_location"
P_TMP_GROUNDS = "temporary.emergency_location_grounds"
TEMPORARY_CATEGORIES = ("general", "unemployed_uninsured")

# The largest amount of yuan accepted anywhere (monthly or one-off): far above any real benefit,
# small enough to stay exact in Decimal arithmetic.
MAX_AMOUNT = Decimal("10000000")


# -- helpers ---------------------------------------------------------------------------------


def first_of_next_month(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1)


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _selection_request(
    step: _Step, pool: str, path: str, field: str, data: dict[str, Any]
) -> SelectionRequest | None:
    """Record in ``data[field]`` that this decision joins ``pool`` (selection still open) and
    the request for the store; None (and not selected) where ``path`` sets no ratio."""
    ratio = step.value(path)
    month = month_key(step.on)
    if not ratio:
        data[field] = {"selected": False, "ratio": ratio, "done": False, "pool": pool}
        step.reasons.append(
            f"no county spot-check: `{path}` is {'0' if ratio == 0 else 'not set'} here"
        )
        return None
    data[field] = {"selected": None, "ratio": ratio, "done": False, "pool": pool, "month": month}
    t = step.traces.get(path)
    quote = t.source.quote if t is not None and t.source is not None else ""
    return SelectionRequest(pool, month, str(ratio), path, quote)


def with_selection(t: Transition, sel: Selection) -> Transition:
    """``t`` with its spot-check selection decided (``sel``, from the running count of its
    pool, county and month): recorded on the case and in the event's reasons and inputs."""
    req = t.selection
    assert req is not None
    data = dict(t.case.data)
    spot = dict(data[t.selection_field])
    spot.update(
        selected=sel.selected,
        forced=sel.forced,
        position=sel.position,
        selectedSoFar=sel.selected_so_far,
        required=sel.required,
    )
    data[t.selection_field] = spot
    words = sel.words(req, t.case.county)
    inputs = dict(t.event.inputs)
    inputs[t.selection_field] = {
        "selected": sel.selected,
        "position": sel.position,
        "required": sel.required,
        "rule": req.path,
    }
    return Transition(
        replace(t.case, data=data),
        replace(t.event, reasons=(*t.event.reasons, words), inputs=inputs),
        None,
        t.selection_field,
    )


def check_access(actor: User, case: Case, jurisdictions: Iterable[str]) -> None:
    """FORBIDDEN unless ``actor`` is staff acting on cases within ``jurisdictions`` (the case's
    county and its ancestors). Checked before anything else, so that an outsider learns nothing
    about the case (its state, version or dates)."""
    if actor.role not in STAFF:
        raise CaseForbidden(f"a {actor.role.value} does not act on cases")
    if actor.jurisdiction not in set(jurisdictions):
        what = f"case {case.id} is" if case.id else "the household applying is"
        raise CaseForbidden(
            f"{what} in {case.county}, outside your jurisdiction {actor.jurisdiction}"
        )


class _Step:
    """One step under construction: the policy values it read (traced) and its reasons."""

    def __init__(self, case: Case, actor: User, policy: ResolvedPolicy, on: dt.date) -> None:
        if policy.jurisdiction.code != case.county:
            raise InvalidInput(
                f"the policy is resolved for {policy.jurisdiction.code}, but the case is in "
                f"{case.county}"
            )
        if policy.as_of != on:
            raise InvalidInput(
                f"the policy is resolved on {policy.as_of.isoformat()}, not on {on.isoformat()}"
            )
        self.case = case
        self.actor = actor
        self.policy = policy
        self.on = on
        self.traces: dict[str, TraceEntry] = {}
        self.reasons: list[str] = []
        check_access(actor, case, (j.code for j in policy.chain))

    def value(self, path: str) -> Any:
        param = self.policy.get(path)
        self.traces[path] = trace_entry(param)
        return param.value

    def required(self, path: str) -> Any:
        value = self.value(path)
        if value is None:
            raise PolicyNotSet(not_set_message(path, self.case.county, self.on))
        return value

    def trace(self, entries: Iterable[TraceEntry]) -> None:
        for t in entries:
            self.traces.setdefault(t.path, t)

    # who may act ------------------------------------------------------------------------------

    def check_actor(self, roles: Iterable[Role], what: str) -> None:
        actor = self.actor
        check_access(actor, self.case, (j.code for j in self.policy.chain))
        relation = self.near_relation(actor.id)
        if relation is not None:
            raise RecusalRequired(
                f"you are recorded as the applicant's near relative ({relation}): another "
                "official must act on this case"
            )
        allowed = [r.value for r in roles]
        if actor.role.value not in allowed:
            raise WrongLevel(f"{what} is for a {' or '.join(allowed)}, not a {actor.role.value}")

    def near_relation(self, user_id: int) -> str | None:
        """The relation if ``user_id`` is a staff near relative of the applicant (per policy)."""
        declared = [r for r in self.case.data.get("nearRelatives", ()) if r["userId"] == user_id]
        if not declared:
            return None
        relations = self.value(P_NR_RELATIONS)
        for r in declared:
            if relations is None or r["relation"] in relations:
                return str(r["relation"])
        return None

    def procedure_path(self, path: str) -> str:
        """The path of a procedural rule for this case's program: dibao's own for dibao (and
        temporary assistance), tekun's counterpart for tekun (:data:`_TEKUN_PATHS`)."""
        return _TEKUN_PATHS.get(path, path) if self.case.program == "tekun" else path

    def filed(self) -> bool:
        """A near-relative case registered separately (备案), needing the county's visit."""
        if not self.value(self.procedure_path(P_NR_FILING)):
            return False
        relations = self.value(P_NR_RELATIONS)
        return any(
            relations is None or r["relation"] in relations
            for r in self.case.data.get("nearRelatives", ())
        )

    def expect(self, action: str, states: Sequence[CaseState], programs: Sequence[str]) -> None:
        if self.case.program not in programs:
            raise InvalidTransition(f"{action} does not apply to a {self.case.program} case")
        if self.case.state not in states:
            raise InvalidTransition(
                f"{action} is not possible in state {self.case.state.value} (possible in "
                f"{', '.join(s.value for s in states)})"
            )

    def done(
        self,
        action: str,
        to_state: CaseState,
        data: Mapping[str, Any],
        inputs: Mapping[str, Any],
        selection: SelectionRequest | None = None,
        selection_field: str = "spotCheck",
    ) -> Transition:
        case = self.case
        new = Case(
            id=case.id,
            household_id=case.household_id,
            program=case.program,
            county=case.county,
            state=to_state,
            version=case.version + 1,
            data=jsonable(data),
        )
        event = CaseEvent(
            action=action,
            from_state=case.state if case.version > 0 else None,
            to_state=to_state,
            on=self.on,
            actor=ActorRef.of(self.actor),
            inputs=jsonable(inputs),
            reasons=tuple(self.reasons),
            policy=tuple(self.traces.values()),
        )
        return Transition(new, event, selection, selection_field)


def _data(case: Case, **changes: Any) -> dict[str, Any]:
    out = dict(case.data)
    out.update(changes)
    return out


def _confirming_level(step: _Step, amount: Decimal | None = None) -> str:
    """Who confirms this case: "township" or "county"."""
    program = step.case.program
    if program == "dibao":
        level = step.required(P_LEVEL)
        step.reasons.append(f"dibao is confirmed at the {level} level")
        return str(level)
    if program == "tekun":
        level = step.value(P_TK_LEVEL)
        if level is None:  # before the 2021 measures (their art. 16): the county, as always
            step.reasons.append(
                f"`{P_TK_LEVEL}` is not set for {step.case.county} on {step.on.isoformat()}: "
                "tekun is confirmed by the county"
            )
            return "county"
        step.reasons.append(f"tekun is confirmed at the {level} level")
        return str(level)
    # temporary: graded by amount
    graded = step.value(P_TMP_GRADED)
    if not graded:
        step.reasons.append("temporary assistance is not graded here: the county approves")
        return "county"
    limit = step.value(P_TMP_LIMIT)
    if limit is None:
        step.reasons.append(
            f"graded approval, but `{P_TMP_LIMIT}` is not set for {step.case.county}: "
            "the county approves"
        )
        return "county"
    amount = amount if amount is not None else Decimal(str(step.case.data["amount"]))
    if amount <= Decimal(str(limit)):
        step.reasons.append(f"{amount} yuan is within the township limit of {limit} yuan")
        return "township"
    step.reasons.append(f"{amount} yuan is over the township limit of {limit} yuan: the county")
    return "county"


def _money(value: Any, field: str) -> Decimal:
    """``value`` as yuan rounded to the fen: finite, at least 0.01 and at most
    :data:`MAX_AMOUNT` (else INVALID_INPUT naming ``field``)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field}: not an amount of yuan: {value!r}")
    try:
        out = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field}: not an amount of yuan: {value!r}") from None
    if not out.is_finite():
        raise InvalidInput(f"{field}: not an amount of yuan: {value!r}")
    if out > MAX_AMOUNT:
        raise InvalidInput(f"{field}: at most {MAX_AMOUNT} yuan")
    if out > 0:
        out = out.quantize(Decimal("0.01"))
    if out <= 0:
        raise InvalidInput(f"{field}: must be at least 0.01 yuan")
    return out


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def with_amount(
    amounts: Iterable[Mapping[str, Any]], start: dt.date, amount: Decimal
) -> list[dict[str, Any]]:
    """The amount history (``data.amounts``: ascending ``{"from", "amount"}``, the monthly amount
    payable from that first of the month) with ``amount`` payable from ``start``: entries from
    ``start`` on are replaced, since the newest decision governs from its date."""
    kept = [dict(a) for a in amounts if _as_date(a["from"]) < start]
    return [*kept, {"from": start, "amount": amount}]


def _history(case: Case) -> list[dict[str, Any]]:
    """The case's amount history; a case confirmed before histories were kept starts with its
    amount from ``benefitFrom`` (else payments would find no amount for its earlier months)."""
    amounts = case.data.get("amounts")
    if amounts:
        return [dict(a) for a in amounts]
    if case.data.get("amount") is not None and case.data.get("benefitFrom"):
        return [{"from": _as_date(case.data["benefitFrom"]), "amount": case.data["amount"]}]
    return []


def _end_of_month_after(day: dt.date, months: int) -> dt.date:
    """The last day of the month ``months`` after ``day``'s month ("在次月完成": by the end of
    the next month for 1)."""
    return first_of_next_month(add_months(day.replace(day=1), months)) - dt.timedelta(days=1)


def amount_on(data: Mapping[str, Any], month: dt.date) -> Decimal | None:
    """The monthly amount payable for the month of ``month`` according to ``data.amounts``
    (None before the first entry or without amounts)."""
    first = month.replace(day=1)
    found = None
    for a in data.get("amounts", ()):
        if _as_date(a["from"]) <= first:
            found = Decimal(str(a["amount"]))
    return found


def _strings(value: Any, field: str) -> list[str]:
    """A list of names given as a list (a lone string would be read letter by letter)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"{field}: a list of names, not {value!r}")
    return [str(v) for v in value]


def _notes(reasons: Iterable[str] | str) -> list[str]:
    """Reasons given, stripped, blanks dropped (one text alone is one reason)."""
    items = [reasons] if isinstance(reasons, str) else reasons
    return [r.strip() for r in items if r and r.strip()]


def _reasons(reasons: Iterable[str] | str, what: str) -> list[str]:
    out = _notes(reasons)
    if not out:
        raise ReasonsRequired(f"{what} needs at least one reason")
    return out


# -- opening ---------------------------------------------------------------------------------


def open_case(
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household_id: int,
    program: str,
    case_id: int = 0,
    near_relatives: Iterable[Mapping[str, Any]] = (),
    amount: Decimal | str | float | None = None,
    kind: str = "emergency",
    category: str = "general",
    months_without_income: int | None = None,
    unemployment_insured: bool | None = None,
    registered_county: str | None = None,
    ground: str | None = None,
) -> Transition:
    """Accept an application (受理) for ``program`` at ``policy``'s county.

    ``near_relatives``: staff the applicant is a near relative of, as ``{"userId": id,
    "relation": "parent"}`` (relations as in ``dibao.near_relative.relations``). temporary needs
    ``amount`` (yuan, one-off) and ``kind`` ("emergency" or "expenditure"); ``category``
    "unemployed_uninsured" with ``months_without_income`` and ``unemployment_insured``
    (民发〔2022〕83号 二(一)). ``registered_county``: the household is registered elsewhere and
    applies here, where the emergency happened (``temporary.apply_at_emergency_location``; who
    may: ``temporary.emergency_location_grounds``, the applicant's ``ground``).
    """
    if program not in PROGRAMS:
        raise InvalidInput(f"unknown case program '{program}'; one of {', '.join(PROGRAMS)}")
    nr = [{"userId": int(r["userId"]), "relation": str(r["relation"])} for r in near_relatives]
    vocabulary = policy.get(P_NR_RELATIONS).spec.choices or ()
    for i, r in enumerate(nr):
        if vocabulary and r["relation"] not in vocabulary:
            # an unknown word must not silently switch off recusal and filing
            raise InvalidInput(
                f"nearRelatives[{i}].relation: '{r['relation']}' is not a relation of "
                f"{P_NR_RELATIONS}; one of {', '.join(vocabulary)}"
            )
    blank = Case(case_id, household_id, program, policy.jurisdiction.code, S.ACCEPTED, 0, {})
    step = _Step(blank, actor, policy, on)
    step.check_actor((Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER), "accepting an application")
    data: dict[str, Any] = {"openedOn": on, "nearRelatives": nr}
    inputs: dict[str, Any] = {"program": program, "householdId": household_id, "nearRelatives": nr}
    step.case = Case(case_id, household_id, program, blank.county, S.ACCEPTED, 0, data)
    relation = step.near_relation(actor.id)
    if relation is not None:
        raise RecusalRequired(
            f"you are the applicant's near relative ({relation}): another official must accept"
        )
    if program == "temporary":
        if kind not in ("emergency", "expenditure"):
            raise InvalidInput("kind: 'emergency' or 'expenditure'")
        data["amount"] = _money(amount, "amount")
        data["kind"] = kind
        inputs.update(amount=data["amount"], kind=kind)
        if category not in TEMPORARY_CATEGORIES:
            raise InvalidInput(f"category: one of {', '.join(TEMPORARY_CATEGORIES)}")
        if category != "general":
            if months_without_income is not None and (
                isinstance(months_without_income, bool)
                or not isinstance(months_without_income, int)
                or months_without_income < 0
            ):
                raise InvalidInput("monthsWithoutIncome: a whole number of months, 0 or more")
            data.update(
                category=category,
                monthsWithoutIncome=months_without_income,
                unemploymentInsured=unemployment_insured,
            )
            inputs.update(category=category, monthsWithoutIncome=months_without_income,
                          unemploymentInsured=unemployment_insured)  # fmt: skip
    elif category != "general" or months_without_income is not None:
        raise InvalidInput("category: for temporary assistance only")
    if registered_county is not None and registered_county != blank.county:
        _emergency_location(step, program, kind, ground)
        data.update(registeredCounty=registered_county, ground=ground)
        inputs.update(registeredCounty=registered_county, ground=ground)
    if nr:
        data["filed"] = step.filed()
        if data["filed"]:
            step.reasons.append(
                "the applicant is a near relative of staff: registered separately (备案); the "
                "county must visit the household before confirmation"
            )
    step.reasons.append(f"{program} application accepted")
    return step.done("open", S.ACCEPTED, data, inputs)


# -- investigation, verification, first review, publicity -------------------------------------


def record_investigation(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    investigators: Sequence[str],
    findings: str = "",
    method: str = "home_visit",
) -> Transition:
    """The investigation (调查核实) with the names of the investigators who made it: a home
    visit (入户调查, the default ``method``), or a neighbour visit, a letter, a data check or a
    remote visit (``method``; 审核确认办法 art. 15-16).

    A visit by a county approver counts as the county's own visit (for filed near-relative
    cases). Another visit after the first (e.g. the county's) keeps the state.
    """
    step = _Step(case, actor, policy, on)
    step.expect(
        "record_investigation",
        (S.ACCEPTED, S.INVESTIGATED, S.FIRST_REVIEWED, S.IN_PUBLICITY),
        PROGRAMS,
    )
    step.check_actor(VISITORS, "a home visit")
    if case.state is S.IN_PUBLICITY and actor.role is not Role.COUNTY_APPROVER:
        # during publicity only the county's own visit (of a filed case) is recorded; otherwise
        # a filed case whose county visit came late could never be confirmed
        raise InvalidTransition(
            "during publicity only the county's home visit is recorded; an objection reopens "
            "the investigation"
        )
    if method not in INVESTIGATION_METHODS:
        raise InvalidInput(f"method: one of {', '.join(INVESTIGATION_METHODS)}, not {method!r}")
    names = _investigators(step, investigators)
    by_county = actor.role is Role.COUNTY_APPROVER
    visit = {"on": on, "investigators": names, "findings": findings, "byCounty": by_county}
    if method != "home_visit":
        visit["method"] = method
    visits = [*case.data.get("investigations", []), visit]
    data = _data(case, investigations=visits)
    if by_county and method == "home_visit":
        data["countyHomeVisit"] = True
        step.reasons.append("the county visited the household")
    to = S.INVESTIGATED if case.state is S.ACCEPTED else case.state
    what = "home visit" if method == "home_visit" else method.replace("_", " ")
    step.reasons.append(f"{what} by {len(names)} investigators")
    inputs = {"investigators": names, "findings": findings}
    if method != "home_visit":
        inputs["method"] = method
    return step.done("record_investigation", to, data, inputs)


def _emergency_location(step: _Step, program: str, kind: str, ground: str | None) -> None:
    """Yongfu 003 二(一) 「落实由急难发生地实施临时救助政策」; Yunnan 002 二(四) 「…取消户籍地、
    居住地申请限制,由急难发生地直接实施临时救助」 for the people it names; nationally
    民发〔2022〕83号 四(三) 「全面推行由急难发生地直接实施救助」."""
    county = step.case.county
    if program != "temporary" or kind != "emergency":
        raise InvalidInput(
            "atCounty: only an emergency (急难型) temporary request is made where it happened"
        )
    if step.value(P_TMP_LOCATION) is not True:
        raise InvalidInput(
            f"atCounty: {county} does not help where the emergency happens "
            f"(`{P_TMP_LOCATION}` is not true on {step.on.isoformat()}): apply where registered"
        )
    grounds = step.value(P_TMP_GROUNDS)
    if grounds and "any_emergency" not in grounds and ground not in grounds:
        raise InvalidInput(
            f"ground: here the emergency location helps {', '.join(grounds)} "
            f"(`{P_TMP_GROUNDS}`{_quote(step, P_TMP_GROUNDS)}); "
            + ("none given" if ground is None else f"not {ground!r}")
        )
    step.reasons.append(
        f"applies where the emergency happened, registered elsewhere (`{P_TMP_LOCATION}`"
        f"{_quote(step, P_TMP_LOCATION)})"
    )


def _investigators(step: _Step, investigators: Sequence[str]) -> list[str]:
    """The distinct names, at least ``dibao.investigation.min_investigators`` of them for dibao,
    ``tekun.investigation.min_investigators`` for tekun, one where no rule sets a number
    (temporary assistance; tekun where no document does)."""
    names = sorted({n.strip() for n in _strings(investigators, "investigators") if n.strip()})
    path = None if step.case.program == "temporary" else step.procedure_path(P_INVESTIGATORS)
    minimum = None if path is None else step.value(path)
    if len(names) < (minimum or 1):
        raise TooFewInvestigators(
            f"a home visit needs at least {minimum or 1} investigators, {len(names)} given"
            + (f" (`{path}`{_quote(step, path)})" if path and minimum else "")
        )
    return names


def record_verification(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    passed: bool,
    notes: str = "",
) -> Transition:
    """The county's economic-status verification (核对); the state is kept.

    Before the decision it is the verification confirmation may require (``verification``);
    on a case in payment it is the periodic check (核对排查, ``lastPeriodicVerification``): one
    that does not pass calls for a review (``record_review``).
    """
    step = _Step(case, actor, policy, on)
    step.expect("record_verification", (*BEFORE_DECISION, *IN_PAYMENT), ("dibao", "tekun"))
    step.check_actor((Role.COUNTY_APPROVER,), "verification of finances")
    if not isinstance(passed, bool):
        raise InvalidInput(f"passed: true or false, not {passed!r}")
    inputs = {"passed": bool(passed), "notes": notes}
    if case.state in IN_PAYMENT:
        data = _data(case, lastPeriodicVerification={"on": on, "passed": bool(passed)})
        step.reasons.append(
            "periodic verification (核对排查) passed"
            if passed
            else "periodic verification (核对排查) did not pass: the case needs a review"
        )
        return step.done("record_verification", case.state, data, inputs)
    data = _data(case, verification={"on": on, "passed": bool(passed), "notes": notes})
    step.reasons.append("verification passed" if passed else "verification did not pass")
    return step.done("record_verification", case.state, data, inputs)


def record_self_care(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    failed_indicators: int,
) -> Transition:
    """tekun: the self-care assessment (生活自理能力评估), out of 6 indicators."""
    step = _Step(case, actor, policy, on)
    step.expect("record_self_care", (S.INVESTIGATED, S.ACTIVE), ("tekun",))
    if case.state is S.ACTIVE:
        return _reassess_self_care(step, failed_indicators)
    step.check_actor((Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "a self-care assessment")
    if not 0 <= failed_indicators <= 6:
        raise InvalidInput("failedIndicators: 0 to 6")
    full, partial = step.value(P_TK_FULL), step.value(P_TK_PARTIAL)
    if full is not None and failed_indicators >= full:
        result = "full_loss"
    elif partial is not None and failed_indicators >= partial:
        result = "partial_loss"
    elif full is None or partial is None:
        result = "undetermined"
    else:
        result = "able"
    step.reasons.append(f"{failed_indicators} of 6 indicators failed: {result}")
    assessment = {"on": on, "failedIndicators": failed_indicators, "result": result}
    data = _data(case, selfCare=assessment)
    inputs: dict[str, Any] = {"failedIndicators": failed_indicators}
    check = case.data.get("selfCareCheck")
    if actor.role is Role.COUNTY_APPROVER:
        assessment["by"] = "county"
        if check is not None and not check.get("done"):
            # The county's own assessment concludes the township's preliminary one.
            previous = case.data.get("selfCare", {})
            data["selfCareCheck"] = {**check, "done": True, "on": on,
                                     "upheld": previous.get("result") == result}  # fmt: skip
            step.reasons.append(
                "the county's final assessment (最终评估结论) after the township's preliminary one"
            )
        return step.done("record_self_care", case.state, data, inputs)
    assessment["by"] = "township"
    if step.value(P_TK_SELF_SPOT):
        # Yongning 004 二(三)8: the township proposes (初步评估意见), the county checks at least
        # its share and concludes (县民政局经抽查(比例不低于30%)核实后作出最终评估结论).
        assessment["preliminary"] = True
        if check is not None and check.get("selected") is not None:
            step.reasons.append("the county's spot-check of the assessment stays as decided")
            return step.done("record_self_care", case.state, data, inputs)
        request = _selection_request(step, TEKUN_SELF_CARE, P_TK_SELF_SPOT, "selfCareCheck", data)
        return step.done("record_self_care", case.state, data, inputs, request, "selfCareCheck")
    step.value(P_TK_SELF_SPOT)  # traced: not set here, the township's assessment stands
    return step.done("record_self_care", case.state, data, inputs)


def _self_care_result(step: _Step, failed: int) -> str:
    full, partial = step.value(P_TK_FULL), step.value(P_TK_PARTIAL)
    if full is not None and failed >= full:
        return "full_loss"
    if partial is not None and failed >= partial:
        return "partial_loss"
    if full is None or partial is None:
        return "undetermined"
    return "able"


def _reassess_self_care(step: _Step, failed: int) -> Transition:
    """特困人员认定办法 art. 23: after a reported change the county reassesses
    (县级人民政府民政部门应当自接到报告之日起10个工作日内组织复核评估)."""
    case, on = step.case, step.on
    step.check_actor((Role.COUNTY_APPROVER,), "the reassessment of self-care")
    change = case.data.get("selfCareChange")
    if not change or change.get("reassessedOn"):
        raise InvalidTransition(
            "no change of self-care is reported on this case (report_self_care_change first)"
        )
    if not 0 <= failed <= 6:
        raise InvalidInput("failedIndicators: 0 to 6")
    result = _self_care_result(step, failed)
    history = [*case.data.get("selfCareHistory", []), case.data.get("selfCare")]
    data = _data(
        case,
        selfCare={"on": on, "failedIndicators": failed, "result": result, "by": "county"},
        selfCareHistory=[h for h in history if h],
        selfCareChange={**change, "reassessedOn": on},
    )
    step.reasons.append(f"reassessed after the change reported on {change['reportedOn']}: {result}")
    return step.done("record_self_care", case.state, data, {"failedIndicators": failed})


def report_self_care_change(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    reported_by: str,
    note: str = "",
) -> Transition:
    """tekun in payment: a change of the person's self-care is reported (by the person, the
    carer, the village committee or the institution, through the township); the county
    reassesses within ``tekun.self_care.reassess_within_working_days`` (特困人员认定办法 art. 23;
    supervision reports it overdue)."""
    step = _Step(case, actor, policy, on)
    step.expect("report_self_care_change", (S.ACTIVE,), ("tekun",))
    step.check_actor(
        (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER),
        "reporting a change of self-care",
    )
    who = reported_by.strip()
    if not who:
        raise InvalidInput("reportedBy: who reported the change (本人、照料服务人、村(居)委会 …)")
    days = step.required(P_TK_REASSESS)
    change = {"reportedOn": on, "reportedBy": who, "withinWorkingDays": int(days), "note": note}
    step.reasons.append(
        f"change of self-care reported by {who}: the county reassesses within {days} working "
        f"days (`{P_TK_REASSESS}`{_quote(step, P_TK_REASSESS)})"
    )
    data = _data(case, selfCareChange=change)
    return step.done("report_self_care_change", case.state, data, {"reportedBy": who, "note": note})


def record_first_review(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, opinion: str = ""
) -> Transition:
    """The township's first review (初审)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_first_review", (S.INVESTIGATED,), ("dibao", "tekun"))
    step.check_actor((Role.TOWNSHIP_OFFICER,), "the first review")
    if case.program == "tekun" and "selfCare" not in case.data:
        raise InvalidTransition("a tekun first review needs the self-care assessment first")
    check = case.data.get("selfCareCheck")
    if case.program == "tekun" and check and check.get("selected") and not check.get("done"):
        raise SpotCheckRequired(
            "the county selected the township's self-care assessment for its spot-check "
            f"(`{P_TK_SELF_SPOT}`): the county records the assessment first"
        )
    if case.program == "dibao":
        _new_applicant_visit(step)
    data = _data(case, firstReview={"on": on, "opinion": opinion})
    if check and check.get("selected") is False:
        step.reasons.append(
            "the township's self-care assessment stands as final: not selected for the county's "
            f"spot-check (`{P_TK_SELF_SPOT}`)"
        )
    request = None
    if case.program == "tekun":
        spot = case.data.get("spotCheck")
        if spot and spot.get("selected") is not None:
            # decided at the first first review: an objection does not draw again
            step.reasons.append(
                "county spot-check of the township's file: kept from the first review ("
                + ("selected" if spot["selected"] else "not selected")
                + ")"
            )
        else:
            request = _selection_request(step, TEKUN_FILE, P_TK_SPOT, "spotCheck", data)
    step.reasons.append("first review done")
    return step.done("record_first_review", S.FIRST_REVIEWED, data, {"opinion": opinion}, request)


def _new_applicant_visit(step: _Step) -> None:
    """Yongfu 003 二(三): 「乡镇人民政府对新申请对象做到100%入户调查」: where the policy sets
    ``dibao.home_visit.new_applicant_ratio`` to 1, the township's first review needs a home
    visit among the investigations (a neighbour visit or a data check alone is not one)."""
    ratio = step.value(P_NEW_VISIT)
    if ratio is None or ratio <= 0:
        return
    visits = [
        v
        for v in step.case.data.get("investigations", ())
        if v.get("method", "home_visit") == "home_visit" and not v.get("byCounty")
    ]
    if ratio >= 1:
        if not visits:
            raise HomeVisitRequired(
                f"every new applicant is visited at home by the township here (`{P_NEW_VISIT}` "
                f"{ratio}{_quote(step, P_NEW_VISIT)}): record the home visit first"
            )
        step.reasons.append(f"the township visited the new applicant at home (`{P_NEW_VISIT}`)")
    else:
        # No document read for doudi sets a share below 100 %: none is selected per case.
        step.reasons.append(
            f"`{P_NEW_VISIT}` is {ratio}: a share below 100 % is not selected per case by doudi"
        )


def start_publicity(case: Case, actor: User, policy: ResolvedPolicy, on: dt.date) -> Transition:
    """Publish the first-review opinion (公示) for the days the policy sets."""
    step = _Step(case, actor, policy, on)
    step.expect("start_publicity", (S.FIRST_REVIEWED,), ("dibao", "tekun"))
    step.check_actor((Role.TOWNSHIP_OFFICER,), "publicity")
    days = int(step.required(P_TK_PUBLICITY if case.program == "tekun" else P_PUBLICITY))
    ends = on + dt.timedelta(days=days)
    step.reasons.append(f"publicity for {days} days, until {ends.isoformat()}")
    data = _data(case, publicity={"start": on, "days": days, "ends": ends})
    return step.done("start_publicity", S.IN_PUBLICITY, data, {})


def record_complaint(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, reason: str
) -> Transition:
    """dibao: a complaint or report (投诉、举报) received while the application is being decided:
    the county must visit the household before confirming (审核确认办法 art. 20). The state is
    kept."""
    step = _Step(case, actor, policy, on)
    step.expect("record_complaint", BEFORE_DECISION, ("dibao",))
    step.check_actor(
        (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "a complaint"
    )
    why = _reasons([reason], "a complaint")
    complaints = [*case.data.get("complaints", []), {"on": on, "reason": why[0]}]
    data = _data(case, complaints=complaints)
    if not case.data.get("countyHomeVisit"):
        data["countyVisitRequired"] = {"on": on, "why": "complaint"}
    step.reasons.append(
        "complaint or report received: the county visits the household before confirming "
        "(审核确认办法 art. 20)"
    )
    return step.done("record_complaint", case.state, data, {"reason": why[0]})


def record_objection(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, reason: str
) -> Transition:
    """An objection during publicity reopens the investigation (back to accepted)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_objection", (S.IN_PUBLICITY,), ("dibao", "tekun"))
    step.check_actor(
        (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "an objection"
    )
    why = _reasons([reason], "an objection")
    objections = [*case.data.get("objections", []), {"on": on, "reason": why[0]}]
    data = _data(case, objections=objections)
    for key in ("firstReview", "publicity"):
        data.pop(key, None)
    step.reasons.append("objection during publicity: the investigation is reopened")
    return step.done("record_objection", S.ACCEPTED, data, {"reason": why[0]})


def record_own_application(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household: Household,
    member: str,
    note: str = "",
) -> Transition:
    """A member of the case's ``household`` applies on their own (经本人申请) to be enrolled as a
    single-person household (单人户), should the household as a whole not qualify. Where
    ``dibao.single_person.own_application_required`` holds, a single-person decision covers only
    members who applied so (see :func:`confirm_case`); elsewhere it is recorded all the same."""
    step = _Step(case, actor, policy, on)
    step.expect(
        "record_own_application",
        (*BEFORE_DECISION, *IN_PAYMENT),
        ("dibao",),
    )
    step.check_actor((Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER), "recording an application")
    if household.county != case.county:
        raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
    who = ric.compact(str(member))
    living = {
        ric.compact(m.id_number): m
        for m in household.members
        if m.date_of_death is None or m.date_of_death > on
    }
    if who not in living:
        raise MemberNotFound(f"member: {who} is not a living member of the case's household")
    applied = dict(case.data.get("ownApplications") or {})
    if who in applied:
        raise InvalidTransition(f"{who}'s own application is already recorded ({applied[who]})")
    applied[who] = on
    step.reasons.append(
        f"{living[who].name} ({who}) applies on their own (经本人申请) for single-person enrolment"
    )
    data = _data(case, ownApplications=applied)
    return step.done("record_own_application", case.state, data, {"member": who, "note": note})


def record_democratic_appraisal(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    appraisal: str,
    note: str = "",
) -> Transition:
    """dibao: the democratic appraisal (民主评议) of the application, organised by the township in
    the village or community, with what it found (``appraisal``); the state is kept. Where
    ``dibao.single_person.assessment_means`` lists it (Yongning), a single-person decision
    waits for it."""
    step = _Step(case, actor, policy, on)
    step.expect("record_democratic_appraisal", BEFORE_DECISION, ("dibao",))
    step.check_actor((Role.TOWNSHIP_OFFICER,), "a democratic appraisal")
    said = appraisal.strip()
    if not said:
        raise InvalidInput("appraisal: what the democratic appraisal found (民主评议意见)")
    step.reasons.append(f"democratic appraisal (民主评议): {said}")
    data = _data(case, democraticAppraisal={"on": on, "appraisal": said})
    inputs = {"appraisal": said, "note": note}
    return step.done("record_democratic_appraisal", case.state, data, inputs)


def _single_person_means(step: _Step, decision: Decision) -> None:
    """Yongning 二(一)1: single-person enrolment after 「通过家庭经济状况核对、入户调查和民主评议
    等手段综合评估生活困难程度」: each means ``dibao.single_person.assessment_means`` lists is on
    the case before a single-person decision."""
    if decision.mode != "single_person":
        return
    means = step.value(P_SP_MEANS) or ()
    case, rule = step.case, f"`{P_SP_MEANS}`{_quote(step, P_SP_MEANS)}"
    verification = case.data.get("verification")
    if "verification" in means and not (verification and verification["passed"]):
        raise VerificationRequired(
            "a single-person decision needs a verification that passed (核对) first: "
            + ("none recorded" if not verification else "the one recorded did not pass")
            + f" ({rule})"
        )
    visits = case.data.get("investigations", [])
    if "home_visit" in means and not any("method" not in v for v in visits):
        raise HomeVisitRequired(
            f"a single-person decision needs a home visit (入户调查) first ({rule})"
        )
    if "democratic_appraisal" in means and not case.data.get("democraticAppraisal"):
        raise AppraisalRequired(
            "a single-person decision needs the democratic appraisal (民主评议) first: "
            f"recordDemocraticAppraisal ({rule})"
        )
    if means:
        step.reasons.append(
            "single-person enrolment assessed by " + ", ".join(str(m) for m in means)
        )


def _own_applications(step: _Step, decision: Decision, already: Iterable[str] | None = ()) -> None:
    """审核确认办法 art. 8 「可以单独提出申请」, Yunnan 002 二(一) and Yongning 二(一)1 「经本人
    申请」: members a single-person ``decision`` newly covers (not in ``already``, those a
    single-person decision covered before — confirmed before the rule, they keep their benefit)
    must have applied on their own (``ownApplications``) where
    ``dibao.single_person.own_application_required`` holds."""
    if decision.mode != "single_person" or step.value(P_OWN_APPLICATION) is not True:
        return
    applied = {ric.compact(m) for m in step.case.data.get("ownApplications") or {}}
    kept = {ric.compact(m) for m in already or ()}
    names = {f.id_number: f.name for f in decision.members}
    lacking = [m for m in decision.members_covered if ric.compact(m) not in applied | kept]
    if lacking:
        who = ", ".join(f"{names.get(m, m)} ({m})" for m in lacking)
        raise OwnApplicationRequired(
            f"single-person enrolment (单人户) of {who} needs their own application (经本人申请): "
            f"record it first (recordOwnApplication) (`{P_OWN_APPLICATION}`"
            f"{_quote(step, P_OWN_APPLICATION)})"
        )
    step.reasons.append(
        "single-person enrolment on the member's own application (经本人申请): "
        + ", ".join(decision.members_covered)
    )


# -- decision ---------------------------------------------------------------------------------


def _decide(step: _Step, household: Household | None, exceptions: Sequence[str] = ()) -> Decision:
    case = step.case
    if household is None:
        raise InvalidInput("the household is needed: confirmation always evaluates eligibility")
    if household.county != case.county:
        if case.data.get("registeredCounty") != household.county:
            raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
        # helped where the emergency happened: decided under that county's policy
        household = replace(household, county=case.county)
    request = None
    if case.program == "temporary":
        request = TemporaryRequest(
            case.data.get("kind", "emergency"),
            Decimal(case.data["amount"]),
            category=case.data.get("category", "general"),
            months_without_income=case.data.get("monthsWithoutIncome"),
            unemployment_insured=case.data.get("unemploymentInsured"),
            exception_reasons=tuple(exceptions),
        )
    decision = evaluate(household, case.program, step.policy, step.on, request=request)
    if decision.standard_path:
        step.trace(t for t in decision.trace if t.path == decision.standard_path)
    if decision.status != "eligible":
        what = (
            "eligibility cannot be decided"
            if decision.status == "cannot_decide"
            else "the household is not eligible"
        )
        raise NotEligible(f"{what} for {case.program}: " + " ".join(decision.reasons))
    return decision


def confirm_case(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household: Household | None = None,
    monthly_amount: Decimal | str | None = None,
    reasons: Sequence[str] = (),
    exception_reasons: Sequence[str] = (),
) -> Transition:
    """Confirm (审核确认) at the level the policy names; the benefit starts the next month.

    ``exception_reasons``: temporary expenditure assistance granted although the income is not
    below the local figure (民发〔2018〕23号 二(一): 原则上), with why.

    The eligibility engine always decides ``household`` again on ``on``: a household it does not
    find eligible is not confirmed (``NOT_ELIGIBLE``); its amount and the members it covers are
    recorded. ``monthly_amount`` (the one-off amount for temporary) sets a lower amount by hand:
    never above the engine's (``AMOUNT_TOO_HIGH``), and only with ``reasons``
    (``REASONS_REQUIRED``).
    """
    step = _Step(case, actor, policy, on)
    states = (S.ACCEPTED, S.INVESTIGATED) if case.program == "temporary" else (S.IN_PUBLICITY,)
    step.expect("confirm_case", states, PROGRAMS)
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), f"confirming this {case.program} case")
    data = _data(case)
    if case.program != "temporary":
        ends = dt.date.fromisoformat(case.data["publicity"]["ends"])
        if on < ends:
            raise PublicityNotOver(f"publicity runs until {ends.isoformat()}")
        required = step.value(P_VERIFY)
        verification = case.data.get("verification")
        if required and not (verification and verification["passed"]):
            raise VerificationRequired(
                "economic-status verification must pass before confirmation"
                + ("" if verification else " (none recorded)")
            )
        needed = bool(case.data.get("filed")) and _county_visit_needed(step)
        complaint = case.data.get("countyVisitRequired")
        if complaint and not case.data.get("countyHomeVisit"):
            raise CountyVisitRequired(
                f"a complaint or report was received on {complaint['on']}: the county visits the "
                "household before confirming (审核确认办法 art. 20: 在审核确认阶段接到投诉、举报的…"
                "县级人民政府民政部门应当入户调查)"
            )
        if needed and not case.data.get("countyHomeVisit"):
            visit = step.procedure_path(P_NR_VISIT)
            raise CountyVisitRequired(
                "a near-relative (filed) case needs the county's own home visit first "
                f"(`{visit}`{_quote(step, visit)})"
            )
        spot = case.data.get("spotCheck")
        if case.program == "tekun" and spot and spot["selected"] and not spot["done"]:
            raise SpotCheckRequired("the county selected this file for its spot-check")
    override = None if monthly_amount is None else _money(monthly_amount, "monthlyAmount")
    exceptions = _notes(exception_reasons)
    if exceptions and case.data.get("kind") != "expenditure":
        raise InvalidInput("exceptionReasons: for expenditure-type temporary assistance only")
    decision = _decide(step, household, exceptions)
    _own_applications(step, decision)
    _single_person_means(step, decision)
    inputs: dict[str, Any] = {"level": level}
    if exceptions:
        inputs["exceptionReasons"] = exceptions
    amount = decision.one_off_amount if case.program == "temporary" else decision.monthly_amount
    data["membersCovered"] = list(decision.members_covered)
    if decision.mode is not None:
        data["mode"] = decision.mode
    inputs["decision"] = {"status": decision.status, "amount": amount}
    if decision.grounds:
        inputs["grounds"] = [_ground_json(g) for g in decision.grounds]
    if override is not None:
        if amount is None:
            raise AmountTooHigh(
                "the eligibility engine sets no amount for this case: none can be set by hand"
            )
        if override > amount:
            raise AmountTooHigh(
                f"monthlyAmount: {override} yuan is above the {amount} yuan the eligibility "
                "engine computes"
            )
        why = _reasons(reasons, f"setting {override} yuan instead of {amount} yuan")
        step.reasons.append(f"amount set to {override} yuan instead of {amount} yuan")
        step.reasons.extend(why)
        amount = override
        inputs.update(amount=override, reasons=why)
    data["decision"] = {"on": on, "level": level, "by": actor.id}
    if amount is not None:
        data["amount"] = amount
    if case.program == "temporary":
        step.reasons.append("temporary assistance granted")
        return step.done("confirm_case", S.GRANTED, data, inputs)
    data["benefitFrom"] = _benefit_from(step)
    if amount is not None:
        data["amounts"] = with_amount((), data["benefitFrom"], amount)
    step.reasons.append(f"confirmed; benefit from {data['benefitFrom'].isoformat()}")
    request = None
    if case.program == "dibao" and level == "township":
        request = _selection_request(step, DIBAO_TOWNSHIP_CONFIRMATION, P_SPOT, "spotCheck", data)
    return step.done("confirm_case", S.ACTIVE, data, inputs, request)


def _county_visit_needed(step: _Step) -> bool:
    """Whether a filed near-relative case needs the county's own home visit before confirmation
    (``dibao.near_relative.county_home_visit_ratio``: 1 nationally, 审核确认办法 art. 20, and in
    Yangquan, 001 二(二) 「全部入户核查」; tekun: ``tekun.near_relative.county_home_visit_ratio``,
    Yangquan's words covering every applicant filed)."""
    path = step.procedure_path(P_NR_VISIT)
    ratio = step.value(path)
    if ratio is None or ratio <= 0:
        state = "not set" if ratio is None else "0"
        step.reasons.append(
            f"no rule requires the county's home visit of a filed case here (`{path}` is {state})"
        )
        return False
    if ratio < 1:
        # No document read for doudi sets a share below 100 %: every filed case is visited.
        step.reasons.append(
            f"`{path}` is {ratio}: doudi does not select a share per case, the county "
            "visits every filed case"
        )
    return True


def _benefit_from(step: _Step) -> dt.date:
    """The first day of payment (``dibao.benefit.start`` / ``tekun.benefit.start``:
    month_after_approval, 审核确认办法 art. 21, 特困人员认定办法 art. 17)."""
    path = P_BENEFIT_START[step.case.program]
    rule = step.value(path)
    start = first_of_next_month(step.on)
    if rule == "month_after_approval":
        step.reasons.append(f"payment from the month after the decision (`{path}`)")
    else:
        step.reasons.append(
            f"`{path}` is not set for {step.case.county} on {step.on.isoformat()}: payment from "
            "the month after the decision, as every national rule since 2021 says"
        )
    return start


def reject_case(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    reasons: Sequence[str],
) -> Transition:
    """Refuse (不予确认) at the confirming level, with reasons."""
    step = _Step(case, actor, policy, on)
    step.expect("reject_case", (*BEFORE_DECISION, S.ASSISTED), PROGRAMS)
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), f"rejecting this {case.program} case")
    why = _reasons(reasons, "a rejection")
    step.reasons.extend(why)
    data = _data(case, decision={"on": on, "level": level, "by": actor.id, "rejected": True})
    return step.done("reject_case", S.REJECTED, data, {"reasons": why})


def record_refusal_notice(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, note: str = ""
) -> Transition:
    """The written notice of a refusal (不予确认书面告知) was given to the applicant, within
    ``dibao.approval.refusal_notice_working_days`` of the decision; the case stays rejected."""
    step = _Step(case, actor, policy, on)
    step.expect("record_refusal_notice", (S.REJECTED,), ("dibao", "tekun"))
    step.check_actor((Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "a refusal notice")
    if case.data.get("refusalNotice"):
        raise InvalidTransition("the refusal notice of this case is already recorded")
    decided = case.data.get("decision", {}).get("on")
    if decided is not None and on < _as_date(decided):
        raise InvalidInput(f"on: the notice cannot precede the refusal of {decided}")
    step.reasons.append("written refusal notice given")
    data = _data(case, refusalNotice={"on": on, "note": note})
    return step.done("record_refusal_notice", S.REJECTED, data, {"note": note})


def record_spot_check(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    upheld: bool,
    reasons: Sequence[str] = (),
) -> Transition:
    """The county's spot-check: of a township dibao confirmation (active case; overturned → exit
    found ineligible) or of a township tekun file before confirmation (overturned → rejected)."""
    step = _Step(case, actor, policy, on)
    if case.program == "tekun":
        step.expect("record_spot_check", (S.FIRST_REVIEWED, S.IN_PUBLICITY), ("tekun",))
    else:
        step.expect("record_spot_check", (S.ACTIVE, S.PHASING_OUT), ("dibao",))
    step.check_actor((Role.COUNTY_APPROVER,), "a county spot-check")
    spot = dict(case.data.get("spotCheck") or {"selected": False, "ratio": None})
    if spot.get("done"):
        raise InvalidTransition("the spot-check of this case is already recorded")
    why = _notes(reasons)
    if not upheld:
        why = _reasons(why, "overturning a decision on spot-check")
    spot.update(done=True, on=on, upheld=bool(upheld))
    data = _data(case, spotCheck=spot)
    step.reasons.extend(why or ["spot-check: upheld"])
    inputs = {"upheld": bool(upheld), "reasons": why}
    if upheld:
        return step.done("record_spot_check", case.state, data, inputs)
    if case.program == "tekun":
        data["decision"] = {"on": on, "level": "county", "by": actor.id, "rejected": True}
        return step.done("record_spot_check", S.REJECTED, data, inputs)
    data["exit"] = {"on": on, "reason": ExitReason.FOUND_INELIGIBLE, "lastMonth": month_key(on)}
    return step.done("record_spot_check", S.EXITED, data, inputs)


# -- in payment: review, phase-out, exit -------------------------------------------------------


def report_change(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    what: str,
    note: str = "",
) -> Transition:
    """dibao in payment: the household reports a change of its members or finances (经个人报告,
    ``changeReported``); the review decides on it. Where ``dibao.review.home_visit_after_change``
    holds, that review may stop, reduce or raise the benefit only after a home visit."""
    step = _Step(case, actor, policy, on)
    step.expect("report_change", (S.ACTIVE,), ("dibao",))
    step.check_actor(STAFF, "recording a reported change")
    said = what.strip()
    if not said:
        raise InvalidInput("what: what changed (家庭人口或经济状况的变动)")
    step.reasons.append(f"change reported by the household: {said}; the review decides on it")
    if step.value(P_VISIT_AFTER_CHANGE) is True:
        step.reasons.append(
            "a home visit (recordHomeVisit) comes first if the review stops, reduces or raises "
            f"the benefit (`{P_VISIT_AFTER_CHANGE}`{_quote(step, P_VISIT_AFTER_CHANGE)})"
        )
    data = _data(case, changeReported={"on": on, "what": said})
    return step.done("report_change", case.state, data, {"what": said, "note": note})


def _change_to_visit(case: Case) -> tuple[dt.date, str] | None:
    """The change no review has decided on yet: reported by the household, or found by a
    periodic verification that did not pass (the later of the two), with how it came."""
    found: list[tuple[dt.date, str]] = []
    reported = case.data.get("changeReported")
    if reported:
        found.append((_as_date(reported["on"]), "reported by the household (经个人报告)"))
    verified = case.data.get("lastPeriodicVerification")
    if verified and not verified.get("passed"):
        found.append((_as_date(verified["on"]), "found by verification (信息核对发现)"))
    if not found:
        return None
    day, how = max(found)
    last = case.data.get("lastReview")
    if last and _as_date(last["on"]) > day:
        return None  # a later review has decided on it
    return day, how


def _visit_before_changing(step: _Step, what: str) -> None:
    """Shanxi 001 二(一): a change, then the township's home visit, then the county stops,
    reduces or raises (``dibao.review.home_visit_after_change``)."""
    if step.case.program != "dibao" or step.value(P_VISIT_AFTER_CHANGE) is not True:
        return
    change = _change_to_visit(step.case)
    if change is None:
        return
    day, how = change
    visit = step.case.data.get("lastHomeVisit")
    if visit and _as_date(visit["on"]) >= day:
        step.reasons.append(
            f"home visit on {visit['on']} after the change {how} on {day.isoformat()}"
        )
        return
    raise HomeVisitRequired(
        f"a change {how} on {day.isoformat()}: the township visits the household "
        f"(recordHomeVisit) before the benefit is {what} (`{P_VISIT_AFTER_CHANGE}`"
        f"{_quote(step, P_VISIT_AFTER_CHANGE)})"
    )


def record_review(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household: Household,
    outcome: str | None = None,
    phase_out_months: int | None = None,
    cause: str | None = None,
    cause_member: str | None = None,
    self_reported: bool | None = None,
    reasons: Sequence[str] = (),
) -> Transition:
    """Periodic review (复核): the household's current facts re-evaluated by the eligibility engine.

    Eligible: continue / raise / lower (stays active, new amount from the next month). Not
    eligible with per-capita income over (超过, strictly) the standard where the policy allows a
    phase-out (``dibao.phase_out.allowed``): the official chooses, ``outcome`` "phase_out" (with
    ``phase_out_months``, the ``cause`` the document names and the ``cause_member`` whose work or
    business raised the income, and ``self_reported`` where the household must have reported it)
    or "exit" (with ``reasons``: why no phase-out); without a choice the review is refused
    (CHOICE_REQUIRED), never an exit by default. Otherwise exit: ``income_over_standard`` when
    the income is over the standard, else ``found_ineligible`` (income at the standard is not
    over it). A tekun review keeps on the minors the case supports (特困人员认定办法 art. 24).
    Every outcome records the rule that allowed it (``inputs.rule``).
    """
    step = _Step(case, actor, policy, on)
    step.expect("record_review", (S.ACTIVE,), ("dibao", "tekun"))
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), "a review decision")
    if household.county != case.county:
        raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
    if outcome is not None and outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(f"outcome: one of {', '.join(REVIEW_OUTCOMES)}, not {outcome!r}")
    if phase_out_months is not None:
        if outcome == "exit":
            raise InvalidInput("phaseOutMonths: given with outcome exit")
        outcome = "phase_out"
    continuing = (
        frozenset(case.data.get("membersCovered") or ()) if case.program == "tekun" else frozenset()
    )
    decision = evaluate(household, case.program, policy, on, continuing=continuing)
    step.trace(decision.trace)
    step.reasons.extend(decision.reasons)
    if decision.status == "cannot_decide":
        raise NotEligible("the review cannot decide: " + " ".join(decision.reasons))
    data = _data(case, lastReview={"on": on, "status": decision.status})
    inputs: dict[str, Any] = {"decision": {"status": decision.status}}
    old = Decimal(str(case.data["amount"])) if case.data.get("amount") is not None else None
    if decision.eligible:
        if outcome is not None:
            raise InvalidInput(
                f"outcome: the household is still eligible; {outcome} is not an outcome of "
                "this review"
            )
        single = case.data.get("mode") == "single_person"
        _own_applications(step, decision, case.data.get("membersCovered") if single else ())
        new = decision.monthly_amount
        result = "continue"
        if new is not None and old is not None and new != old:
            result = "raise" if new > old else "lower"
            _visit_before_changing(step, "raised" if new > old else "reduced")
        start = first_of_next_month(on)
        data.update(amount=new, amountFrom=start)
        if new is not None and new != old:  # an unchanged amount adds no history entry
            data["amounts"] = with_amount(_history(case), start, new)
            step.reasons.append(f"{new} yuan/month from {start.isoformat()}")
        data["membersCovered"] = list(decision.members_covered)
        if decision.mode is not None:
            data["mode"] = decision.mode
        inputs.update(outcome=result, amount=new)
        if decision.grounds:
            inputs["grounds"] = [_ground_json(g) for g in decision.grounds]
        return step.done("record_review", S.ACTIVE, data, inputs)
    _visit_before_changing(step, "stopped or phased out")
    over, over_words = _income_over(case, household, decision, on)
    allowed = case.program == "dibao" and step.value(P_PO_ALLOWED) is True
    if over and allowed:
        if outcome is None:
            raise ChoiceRequired(
                f"{over_words}, and a phase-out is allowed here ({_phase_out_bounds(step)}; "
                f"`{P_PO_ALLOWED}`{_quote(step, P_PO_ALLOWED)}): choose outcome phase_out "
                "(with its months and cause) or exit (with reasons)"
            )
        if outcome == "phase_out":
            rule = _phase_out_rule(
                step, household, over_words, phase_out_months, cause, cause_member, self_reported
            )
            data["phaseOut"] = _phase_out(on, rule["months"])
            data["phaseOut"]["rule"] = rule
            _notice_due(step, data["phaseOut"])
            inputs.update(outcome="phase_out", months=rule["months"], rule=rule)
            return step.done("record_review", S.PHASING_OUT, data, inputs)
        why = _reasons(reasons, "an exit instead of the phase-out the policy allows")
        step.reasons.extend(why)
        rule = {
            "rule": P_PO_ALLOWED,
            "condition": f"{over_words}; a phase-out is allowed here and the official chose "
            "the exit",
            "reasons": why,
        }
        return _exit(step, "record_review", data, inputs, ExitReason.INCOME_OVER_STANDARD, rule)
    if outcome == "phase_out":
        raise PhaseOutRefused(_no_phase_out_words(step, case, over, over_words))
    reason = ExitReason.INCOME_OVER_STANDARD if over else ExitReason.FOUND_INELIGIBLE
    rule = {
        "rule": "eligibility",
        "condition": over_words
        if over
        else f"not eligible for {case.program}: "
        + " ".join(decision.reasons[-2:])
        + ("" if over is None else f" ({over_words})"),
    }
    if over and case.program == "dibao":
        rule["phaseOut"] = _no_phase_out_words(step, case, over, over_words)
    notes = _notes(reasons)
    step.reasons.extend(notes)
    if notes:
        rule["reasons"] = notes
    return _exit(step, "record_review", data, inputs, reason, rule)


def _exit(
    step: _Step,
    action: str,
    data: dict[str, Any],
    inputs: dict[str, Any],
    reason: ExitReason,
    rule: Mapping[str, Any],
) -> Transition:
    on = step.on
    if step.case.program == "tekun" and reason is not ExitReason.DEATH:
        return _termination_publicity(step, action, data, inputs, reason, rule)
    data["exit"] = {"on": on, "reason": reason, "lastMonth": month_key(on), "rule": dict(rule)}
    inputs.update(outcome="exit", reason=reason, rule=dict(rule))
    return step.done(action, S.EXITED, data, inputs)


def _termination_publicity(
    step: _Step,
    action: str,
    data: dict[str, Any],
    inputs: dict[str, Any],
    reason: ExitReason,
    rule: Mapping[str, Any],
) -> Transition:
    """特困人员认定办法 art. 26: 「对拟终止救助供养的特困人员…在其所在村（社区）或者供养服务机构
    公示。公示期为7天。公示期满无异议的，县级人民政府民政部门应当作出终止决定并从下月起终止救助供养」:
    a tekun termination is published first; support continues until ``confirm_termination``."""
    days = int(step.required(P_TK_PUBLICITY))
    ends = step.on + dt.timedelta(days=days)
    data["terminationPublicity"] = {
        "start": step.on,
        "days": days,
        "ends": ends,
        "reason": reason,
        "rule": dict(rule),
    }
    step.reasons.append(
        f"termination proposed ({reason.value}): published for {days} days until "
        f"{ends.isoformat()}, support continues until the county's decision (特困人员认定办法 "
        "art. 26)"
    )
    inputs.update(outcome="termination_publicity", reason=reason, rule=dict(rule))
    return step.done(action, step.case.state, data, inputs)


def confirm_termination(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    upheld: bool = True,
    reasons: Sequence[str] = (),
) -> Transition:
    """tekun: the county's decision after the termination's publicity (特困人员认定办法 art. 26):
    upheld → support ends from the next month (exit); not upheld (an objection found the person
    still qualifies) → the termination is withdrawn, with reasons."""
    step = _Step(case, actor, policy, on)
    step.expect("confirm_termination", (S.ACTIVE,), ("tekun",))
    step.check_actor((Role.COUNTY_APPROVER,), "a termination decision")
    pending = case.data.get("terminationPublicity")
    if not pending:
        raise InvalidTransition("no termination of this case is being published")
    ends = _as_date(pending["ends"])
    if on < ends:
        raise PublicityNotOver(f"the termination is published until {ends.isoformat()}")
    data = _data(case)
    data.pop("terminationPublicity", None)
    if not upheld:
        why = _reasons(reasons, "withdrawing a termination")
        step.reasons.extend(["termination withdrawn", *why])
        data["terminationWithdrawn"] = {"on": on, "reasons": why}
        return step.done("confirm_termination", S.ACTIVE, data, {"upheld": False, "reasons": why})
    reason = ExitReason(pending["reason"])
    rule = {**pending["rule"], "publicity": {"start": pending["start"], "ends": pending["ends"]}}
    notes = _notes(reasons)
    step.reasons.extend([f"termination decided after its publicity: {reason.value}", *notes])
    data["exit"] = {"on": on, "reason": reason, "lastMonth": month_key(on), "rule": rule}
    inputs = {"upheld": True, "reason": reason, "reasons": notes, "rule": rule}
    return step.done("confirm_termination", S.EXITED, data, inputs)


def _ground_json(g: Any) -> dict[str, Any]:
    return {"applies": g.applies, "subject": g.subject, "rule": g.rule, "layer": g.layer}


def _quote(step: _Step, path: str) -> str:
    t = step.traces.get(path)
    src = None if t is None else t.source
    if src is None:
        return ""
    d = src.document
    return f", {d.number or d.title} {src.section}: “{src.quote}”"


def _own(household: Household, id_number: str) -> Decimal:
    return sum(
        (it.monthly_amount for it in household.income if it.member == id_number),
        Decimal("0.00"),
    )


def _income_over(
    case: Case, household: Household, decision: Decision, on: dt.date
) -> tuple[bool | None, str]:
    """Whether the income is now over (超过: strictly above) the standard, in words. A whole
    household: its per-capita income; a single-person case (单人户): each covered member's own
    income (the household's is over the standard by construction, so it says nothing)."""
    std = decision.standard
    if std is None or decision.program != "dibao":
        return None, "the income test does not apply"
    if case.data.get("mode") == "single_person":
        covered = [str(p) for p in case.data.get("membersCovered") or ()]
        living = {m.id_number: m for m in household.members if m.alive_on(on)}
        own = {p: _own(household, p) for p in covered if p in living}
        if own and all(v > std for v in own.values()):
            return True, (
                "the own income of everyone the single-person case covers ("
                + ", ".join(f"{living[p].name} {v}" for p, v in own.items())
                + f") is over the standard {std}"
            )
        return False, (
            "the single-person case's own incomes ("
            + ", ".join(f"{living[p].name} {v}" for p, v in own.items())
            + f") are not all over the standard {std}: the case is not eligible for another "
            "reason"
        )
    pc = decision.per_capita_income
    if pc is None:
        return None, "the per-capita income is not known"
    if pc > std:
        return (
            True,
            f"per-capita income {pc} is over the standard {std} (`{decision.standard_path}`)",
        )
    if pc == std:
        return False, (
            f"per-capita income {pc} equals the standard {std}: not below it, and not over it "
            "(超过) either"
        )
    return False, f"per-capita income {pc} is below the standard {std}"


def _phase_out_bounds(step: _Step) -> str:
    longest = step.value(P_PO_MAX)
    shortest = step.value(P_PO_MIN)
    if longest is None:
        return (
            f"{shortest or 1} months or more; no maximum is set by any source in force "
            f"(`{P_PO_MAX}`)"
        )
    return f"{shortest or 1} to {longest} months"


def _no_phase_out_words(step: _Step, case: Case, over: bool | None, over_words: str) -> str:
    if case.program != "dibao":
        return f"no phase-out for {case.program}: no source provides one"
    if not over:
        return f"no phase-out: {over_words}; a phase-out needs income over (超过) the standard"
    allowed = step.value(P_PO_ALLOWED)
    state = "false" if allowed is False else "not set"
    return f"no phase-out: `{P_PO_ALLOWED}` is {state} for {case.county} on {step.on.isoformat()}"


def _phase_out_rule(
    step: _Step,
    household: Household,
    over_words: str,
    months: int | None,
    cause: str | None,
    cause_member: str | None,
    self_reported: bool | None,
) -> dict[str, Any]:
    """The checks of a phase-out and the rule that allowed it (recorded on the case)."""
    if months is None:
        raise InvalidInput(
            f"phaseOutMonths: the length of the phase-out ({_phase_out_bounds(step)})"
        )
    months = _phase_out_months(step, months)
    causes = step.value(P_PO_CAUSES)
    condition = [over_words]
    rule: dict[str, Any] = {"rule": P_PO_ALLOWED, "months": months}
    if causes:
        if cause not in causes:
            raise PhaseOutRefused(
                f"cause: a phase-out here needs the income over the standard because of "
                f"{' or '.join(causes)} (`{P_PO_CAUSES}`{_quote(step, P_PO_CAUSES)}); "
                f"{'none given' if cause is None else repr(cause) + ' is not one'}"
            )
        member = _cause_member(household, cause_member, step.on)
        assert cause is not None  # in causes
        kind = PHASE_OUT_CAUSE_INCOME[cause]
        earned = sum(
            (it.monthly_amount for it in household.income
             if it.member == member.id_number and it.kind is kind),
            Decimal("0.00"),
        )  # fmt: skip
        if earned <= 0 and not (cause == "employment" and member.employed):
            raise PhaseOutRefused(
                f"causeMember: {member.name} has no {kind.value} income recorded"
                + (" and is not recorded as employed" if cause == "employment" else "")
                + f": the cause ({cause}) the document names is not shown"
            )
        did = "found work" if cause == "employment" else "started a business"
        condition.append(
            f"because {member.name} {did} ({kind.value} {earned} yuan/month; `{P_PO_CAUSES}`)"
        )
        rule.update(cause=cause, causeMember=member.id_number)
    elif cause is not None:
        rule["cause"] = cause
    if step.value(P_PO_SELF_REPORT) is True:
        if self_reported is not True:
            raise PhaseOutRefused(
                "selfReported: a phase-out here follows the household's own report of the "
                f"higher income (`{P_PO_SELF_REPORT}`{_quote(step, P_PO_SELF_REPORT)})"
            )
        condition.append(f"reported by the household itself (`{P_PO_SELF_REPORT}`)")
        rule["selfReported"] = True
    rule["condition"] = "; ".join(condition)
    step.reasons.append(f"phase-out allowed: {rule['condition']}{_quote(step, P_PO_ALLOWED)}")
    return rule


def _cause_member(household: Household, raw: str | None, on: dt.date) -> Member:
    if raw is None:
        raise PhaseOutRefused(
            "causeMember: the member whose work or business lifted the income must be named"
        )
    number = ric.compact(str(raw))
    for m in household.members:
        if m.id_number == number and m.alive_on(on):
            return m
    raise MemberNotFound(f"causeMember: {raw} is not a living member of the case's household")


def _phase_out_months(step: _Step, months: int) -> int:
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidInput("months: a whole number of months")
    longest = step.value(P_PO_MAX)
    shortest = step.value(P_PO_MIN)
    if longest is not None and months > int(longest):
        raise PhaseOutTooLong(f"a phase-out lasts at most {longest} months here, not {months}")
    if months < (shortest or 1):
        raise PhaseOutTooShort(f"a phase-out lasts at least {shortest or 1} months here")
    step.reasons.append(f"phase-out of {months} months (allowed: {_phase_out_bounds(step)})")
    return months


def _phase_out(on: dt.date, months: int) -> dict[str, Any]:
    start = first_of_next_month(on)
    last = add_months(start, months - 1)
    return {"decidedOn": on, "months": months, "from": start, "lastMonth": month_key(last)}


def _notice_due(step: _Step, phase: dict[str, Any]) -> None:
    """Yongning 二(一)2: 「自纳入渐退名单之日起以正式文书的形式告知低保对象」: where
    ``dibao.phase_out.written_notice_required`` holds, the formal written notice is due from the
    day the phase-out is decided (recordPhaseOutNotice)."""
    if step.value(P_PO_NOTICE) is True:
        phase["noticeRequired"] = True
        step.reasons.append(
            "the household is told of the phase-out in a formal written notice from today "
            f"(recordPhaseOutNotice; `{P_PO_NOTICE}`{_quote(step, P_PO_NOTICE)})"
        )


def record_phase_out_notice(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    number: str,
    note: str = "",
) -> Transition:
    """The formal written notice (正式文书) telling the household it is in the phase-out (渐退
    名单), with the document's ``number``; the case stays phasing out. Due on the day of the
    phase-out decision where ``dibao.phase_out.written_notice_required`` holds (Yongning)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_phase_out_notice", (S.PHASING_OUT,), ("dibao",))
    step.check_actor((Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "a phase-out notice")
    if case.data.get("phaseOutNotice"):
        raise InvalidTransition("the phase-out notice of this case is already recorded")
    decided = (case.data.get("phaseOut") or {}).get("decidedOn")
    if decided is not None and on < _as_date(decided):
        raise InvalidInput(f"on: the notice cannot precede the phase-out decided on {decided}")
    ref = number.strip()
    if not ref:
        raise InvalidInput("number: the number of the written notice (文书编号)")
    step.reasons.append(f"written notice of the phase-out given (文书 {ref})")
    data = _data(case, phaseOutNotice={"on": on, "number": ref})
    inputs = {"number": ref, "note": note}
    return step.done("record_phase_out_notice", S.PHASING_OUT, data, inputs)


def start_phase_out(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    months: int,
    household: Household | None = None,
    cause: str | None = None,
    cause_member: str | None = None,
    self_reported: bool | None = None,
) -> Transition:
    """Income over the standard: keep paying for ``months`` (渐退期) within the policy's bounds.

    The household is evaluated again: it must no longer be eligible with its per-capita income
    over (超过) the standard (a household still at or below it is refused, PHASE_OUT_NOT_ALLOWED),
    where the policy allows a phase-out, with the cause the document names and the household's
    own report where required (see :func:`record_review`)."""
    step = _Step(case, actor, policy, on)
    step.expect("start_phase_out", (S.ACTIVE,), ("dibao",))
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), "a phase-out decision")
    if household is None:
        raise InvalidInput("the household is needed: a phase-out evaluates its income again")
    if household.county != case.county:
        raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
    decision = evaluate(household, case.program, policy, on)
    step.trace(t for t in decision.trace if t.path == decision.standard_path)
    if decision.status == "cannot_decide":
        raise NotEligible("the household's income cannot be decided: " + " ".join(decision.reasons))
    over, over_words = _income_over(case, household, decision, on)
    if decision.eligible:
        raise PhaseOutRefused(
            f"the household is still eligible ({over_words}): it stays active, no phase-out"
        )
    if not over or step.value(P_PO_ALLOWED) is not True:
        raise PhaseOutRefused(_no_phase_out_words(step, case, over, over_words))
    rule = _phase_out_rule(step, household, over_words, months, cause, cause_member, self_reported)
    phase = _phase_out(on, rule["months"])
    phase["rule"] = rule
    _notice_due(step, phase)
    data = _data(case, phaseOut=phase, lastReview={"on": on, "status": decision.status})
    return step.done(
        "start_phase_out", S.PHASING_OUT, data, {"months": rule["months"], "rule": rule}
    )


def record_income_stable(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date
) -> Transition:
    """Income has become stable during the phase-out: exit the next month where the policy
    says so (``dibao.phase_out.exit_next_month_when_stable``), else refused (PHASE_OUT_NOT_OVER)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_income_stable", (S.PHASING_OUT,), ("dibao",))
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), "an exit decision")
    if not step.value(P_PO_STABLE):
        raise PhaseOutNotAllowed(
            "here the phase-out runs its course: leaving early on stable income is not provided for"
        )
    step.reasons.append("income stable during the phase-out: exit from the next month")
    rule = {
        "rule": P_PO_STABLE,
        "condition": "income or work became stable during the phase-out"
        + _quote(step, P_PO_STABLE),
    }
    data = _data(
        case,
        exit={
            "on": on,
            "reason": ExitReason.INCOME_OVER_STANDARD,
            "lastMonth": month_key(on),
            "rule": rule,
        },
    )
    return step.done("record_income_stable", S.EXITED, data, {"rule": rule})


def _refusals(case: Case) -> dict[str, int]:
    """Consecutive refusals without good reason, by member (a legacy count is not a member's)."""
    raw = case.data.get("refusedWork")
    return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def _covered_member(case: Case, raw: str, field: str = "member") -> str:
    number = ric.compact(str(raw))
    if number not in [ric.compact(str(p)) for p in case.data.get("membersCovered") or ()]:
        raise MemberNotFound(f"{field}: {raw} is not a member the case covers")
    return number


def record_work_refusal(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    member: str | None = None,
    good_reason: bool = False,
    note: str = "",
) -> Transition:
    """A covered ``member`` refused a suitable job offered (审核确认办法 art. 34: 「无正当理由，
    连续3次拒绝接受介绍的与其健康状况、劳动能力等相适应的工作的」): counted towards
    ``dibao.refused_work.limit`` for that member, consecutively; a refusal with a good reason
    (``good_reason``) is recorded and not counted; ``record_work_accepted`` ends the streak. A
    refusal that names no member is recorded and counts for nobody."""
    step = _Step(case, actor, policy, on)
    step.expect("record_work_refusal", (S.ACTIVE, S.PHASING_OUT), ("dibao",))
    step.check_actor((Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "recording a refused job")
    limit = step.value(P_REFUSED)
    counts = _refusals(case)
    log = [*case.data.get("workRefusals", [])]
    inputs: dict[str, Any] = {"note": note}
    if member is None:
        step.reasons.append(
            "refusal recorded without naming the member: art. 34 counts each member's own "
            "refusals, so it counts for nobody"
        )
        log.append({"on": on, "note": note})
        data = _data(case, workRefusals=log)
        return step.done("record_work_refusal", case.state, data, inputs)
    who = _covered_member(case, member)
    inputs.update(member=who, goodReason=bool(good_reason))
    log.append({"on": on, "member": who, "goodReason": bool(good_reason), "note": note})
    if good_reason:
        step.reasons.append(f"{who} refused with a good reason (正当理由): not counted")
    else:
        counts[who] = counts.get(who, 0) + 1
        step.reasons.append(
            f"{who}: refusal {counts[who]} in a row without good reason"
            + (f", of {limit} (`{P_REFUSED}`)" if limit else "")
        )
    inputs["count"] = counts.get(who, 0)
    data = _data(case, refusedWork=counts, workRefusals=log)
    return step.done("record_work_refusal", case.state, data, inputs)


def record_work_accepted(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, member: str, note: str = ""
) -> Transition:
    """The covered ``member`` accepted a job offered: their refusals are no longer consecutive
    (连续) and count again from 0."""
    step = _Step(case, actor, policy, on)
    step.expect("record_work_accepted", (S.ACTIVE, S.PHASING_OUT), ("dibao",))
    step.check_actor((Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "recording an accepted job")
    who = _covered_member(case, member)
    counts = _refusals(case)
    counts[who] = 0
    step.reasons.append(f"{who} accepted a job: refusals count again from 0")
    data = _data(case, refusedWork=counts)
    return step.done("record_work_accepted", case.state, data, {"member": who, "note": note})


def reduce_for_refused_work(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    member: str,
    stop: bool = True,
    monthly_amount: Decimal | str | None = None,
    reasons: Sequence[str] = (),
) -> Transition:
    """The county reduces or stops the refusing member's own benefit (审核确认办法 art. 34:
    「县级人民政府民政部门应当决定减发或者停发其本人的最低生活保障金」) once they refused
    ``dibao.refused_work.limit`` times in a row without good reason; the others stay covered.

    ``stop``: their share is stopped from next month and they leave ``membersCovered`` (the
    share of a member is the case's amount divided by the members covered, the gap method being
    per capita). Else a reduced ``monthly_amount`` between the amount without their share and
    the present amount, with ``reasons``."""
    step = _Step(case, actor, policy, on)
    step.expect("reduce_for_refused_work", (S.ACTIVE, S.PHASING_OUT), ("dibao",))
    step.check_actor((Role.COUNTY_APPROVER,), "reducing or stopping a benefit for refused work")
    who = _covered_member(case, member)
    limit = int(step.required(P_REFUSED))
    count = _refusals(case).get(who, 0)
    if count < limit:
        raise RefusedWorkBelowLimit(
            f"{who} refused {count} time{'s' if count != 1 else ''} in a row without good "
            f"reason; the benefit is reduced or stopped after {limit}"
        )
    covered = [str(p) for p in case.data.get("membersCovered") or ()]
    if len(covered) == 1:
        raise InvalidTransition(
            f"{who} is the only member covered: stopping their benefit is the exit "
            "(exit_case with reason refused_work)"
        )
    old = Decimal(str(case.data["amount"])) if case.data.get("amount") is not None else None
    if old is None:
        raise InvalidTransition("the case has no amount to reduce")
    floor = (old * (len(covered) - 1) / len(covered)).quantize(Decimal("0.01"))
    start = first_of_next_month(on)
    data = _data(case)
    rule: dict[str, Any] = {
        "rule": P_REFUSED,
        "member": who,
        "refusals": count,
        "condition": f"{count} refusals in a row without good reason (limit {limit})",
    }
    if stop:
        new = floor
        data["membersCovered"] = [p for p in covered if ric.compact(p) != who]
        step.reasons.append(
            f"{who}'s own benefit stopped from {start.isoformat()}: {old} → {new} yuan/month "
            f"(their share of {len(covered)}; `{P_REFUSED}`{_quote(step, P_REFUSED)})"
        )
    else:
        if monthly_amount is None:
            raise InvalidInput("monthlyAmount: the reduced amount (or stop their benefit)")
        new = _money(monthly_amount, "monthlyAmount")
        if not floor <= new < old:
            raise InvalidInput(
                f"monthlyAmount: a reduction of {who}'s own benefit lies between {floor} (their "
                f"share stopped) and {old} (excluded)"
            )
        why = _reasons(reasons, "a reduced amount")
        rule["reasons"] = why
        step.reasons.extend(
            [f"{who}'s own benefit reduced from {start.isoformat()}: {old} → {new} yuan/month",
             *why]
        )  # fmt: skip
    data.update(amount=new, amountFrom=start)
    data["amounts"] = with_amount(_history(case), start, new)
    inputs = {"member": who, "stop": bool(stop), "amount": new, "rule": rule}
    return step.done("reduce_for_refused_work", case.state, data, inputs)


def exit_case(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    reason: str,
    reasons: Sequence[str] = (),
) -> Transition:
    """Stop the benefit from the month after ``on`` for ``reason`` (an :class:`ExitReason`)."""
    step = _Step(case, actor, policy, on)
    step.expect("exit_case", (S.ACTIVE, S.PHASING_OUT), ("dibao", "tekun"))
    if case.program == "tekun":
        # Ending tekun support stays with the county wherever confirmation was delegated (as in
        # Yunnan): 特困人员认定办法 art. 26 names the county for the termination's publicity and
        # decision, and Yunnan's delegation speaks of 审核确认 only.
        level = "county"
        step.reasons.append("tekun support is ended by the county (特困人员认定办法 art. 26)")
    else:
        level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), "an exit decision")
    try:
        why = ExitReason(reason)
    except ValueError:
        raise InvalidInput(
            f"reason: one of {', '.join(r.value for r in ExitReason)}, not {reason!r}"
        ) from None
    notes = _notes(reasons)
    if why is ExitReason.FOUND_INELIGIBLE:
        notes = _reasons(notes, "an exit found ineligible")
    if why is ExitReason.REFUSED_WORK:
        # 审核确认办法 art. 34 stops the refusing member's own benefit: the whole case exits only
        # when that member is the only one it covers (else reduce_for_refused_work).
        limit = int(step.required(P_REFUSED))
        counts = _refusals(case)
        covered = [ric.compact(str(p)) for p in case.data.get("membersCovered") or ()]
        over = [p for p in covered if counts.get(p, 0) >= limit]
        if not over:
            most = max([counts.get(p, 0) for p in covered] or [0])
            raise RefusedWorkBelowLimit(
                f"{most} refused job{'s' if most != 1 else ''} in a row without good reason "
                f"recorded for a covered member; the benefit stops after {limit}"
            )
        if len(covered) > 1:
            raise InvalidTransition(
                f"{over[0]} refused work, but the case covers {len(covered)} members: only "
                "their own benefit stops (reduce_for_refused_work), not the household's"
            )
    rule: dict[str, Any] = {"rule": f"exit: {why.value}"}
    if why is ExitReason.INCOME_OVER_STANDARD and case.state is S.PHASING_OUT:
        last = case.data["phaseOut"]["lastMonth"]
        if month_key(on) < last:
            raise PhaseOutNotAllowed(f"the phase-out runs until {last}")
        rule = {"rule": P_PO_MAX, "condition": f"the phase-out ran its course (to {last})"}
    elif (
        why is ExitReason.INCOME_OVER_STANDARD
        and case.program == "dibao"
        and step.value(P_PO_ALLOWED) is True
    ):
        # The exit is a choice against the phase-out the policy allows: say why.
        notes = _reasons(notes, "an exit for income over the standard where a phase-out is allowed")
        rule = {
            "rule": P_PO_ALLOWED,
            "condition": "a phase-out is allowed here and the official chose the exit",
            "reasons": notes,
        }
    elif why is ExitReason.REFUSED_WORK:
        rule = {
            "rule": P_REFUSED,
            "condition": "the only member covered refused work "
            f"{max(_refusals(case).values())} times in a row without good reason",
        }
    elif notes:
        rule["reasons"] = notes
    step.reasons.extend([f"exit: {why.value}", *notes])
    if case.program == "tekun" and why is not ExitReason.DEATH:
        if case.data.get("terminationPublicity"):
            raise InvalidTransition("a termination of this case is already being published")
        return _termination_publicity(step, "exit_case", _data(case), {"reasons": notes}, why, rule)
    data = _data(case, exit={"on": on, "reason": why, "lastMonth": month_key(on), "rule": rule})
    return step.done("exit_case", S.EXITED, data, {"reason": why, "reasons": notes, "rule": rule})


def _deaths(case: Case, household: Household) -> dict[str, dt.date]:
    """Who died when, by ID number: the household's dates of death and the deaths the case
    recorded (the earlier date when both say)."""
    out = {m.id_number: m.date_of_death for m in household.members if m.date_of_death}
    for d in case.data.get("deaths", ()):
        number, day = ric.compact(str(d["idNumber"])), _as_date(d["on"])
        out[number] = min(day, out.get(number, day))
    return out


def _alive(number: str, deaths: Mapping[str, dt.date], on: dt.date) -> bool:
    died = deaths.get(number)
    return died is None or died > on


def _without_the_dead(household: Household, deaths: Mapping[str, dt.date]) -> Household:
    """``household`` with every known death dated on its member (the engine counts only the
    living)."""
    members = tuple(
        replace(m, date_of_death=deaths[m.id_number])
        if m.id_number in deaths and m.date_of_death != deaths[m.id_number]
        else m
        for m in household.members
    )
    return replace(household, members=members)


def _recompute(
    step: _Step, household: Household, remaining: Sequence[str], dead: Member
) -> tuple[Decimal | None, list[str] | None, str]:
    """The household re-evaluated on the step's date without the dead: (new monthly amount,
    members it covers, status), or (None, None, status) when the engine does not find the
    case's remaining members eligible (or cannot decide)."""
    case, on = step.case, step.on
    decision = evaluate(household, case.program, step.policy, on)
    step.trace(decision.trace)
    who = f"{dead.name} ({dead.id_number})"
    if case.program == "tekun":
        # A tekun case covers its persons: each must still qualify; nobody else joins it.
        found = {m.id_number: m for m in decision.members}
        ok = [found[p] for p in remaining if p in found and found[p].qualifies]
        if len(ok) == len(remaining) and all(m.amount is not None for m in ok):
            total = sum((m.amount for m in ok if m.amount is not None), Decimal("0.00"))
            return total, list(remaining), "eligible"
        status = (
            "cannot_decide"
            if any(found.get(p) is None or found[p].qualifies is None for p in remaining)
            else "ineligible"
        )
        step.reasons.append(
            f"re-evaluated without {who}: a person the case covers no longer qualifies for "
            f"certain ({status})"
        )
        step.reasons.extend(r for p in remaining if p in found for r in found[p].reasons)
        return None, None, status
    if decision.status == "eligible" and decision.monthly_amount is not None:
        return decision.monthly_amount, list(decision.members_covered), "eligible"
    step.reasons.append(
        f"re-evaluated without {who}: "
        + (
            "eligibility cannot be decided"
            if decision.status == "cannot_decide"
            else "not eligible"
            if decision.status == "ineligible"
            else "no amount computed"
        )
    )
    step.reasons.extend(decision.reasons)
    return None, None, decision.status


def record_death(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    id_number: str,
    household: Household,
    date_of_death: dt.date | None = None,
) -> Transition:
    """A member of the case's ``household`` died (``id_number``, any spacing or case of the
    check letter; NOT_FOUND unless a member), recorded on ``on``. The day of death is
    ``date_of_death``, else the member's ``dateOfDeath`` in the household, else ``on``; it
    cannot be after ``on``. Everything counts from the day of death: a death reported late
    adjusts from the month after it and the months paid since are flagged (``overpaidFrom``).

    Nobody covered left → exit (death) from the next month; a tekun case covers its person: it
    exits when that person dies, and only then. Otherwise the household is evaluated again on
    ``on`` without the dead (and the deaths recorded before): eligible → the new amount from the
    first of the next month (``amounts``, ``adjustFrom``); not eligible or undecided → the
    benefit continues unchanged and the re-check (``recheckBy``, ``dibao.death.recheck_within_
    months``) decides. The head died (or the holder of the payment account) →
    ``headChangeRequired``, due by ``headChangeDue`` where ``payments.deceased_head_update_
    months`` is set (see :func:`record_head_change`).
    """
    step = _Step(case, actor, policy, on)
    step.expect("record_death", IN_PAYMENT, ("dibao", "tekun"))
    step.check_actor(
        (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER), "recording a death"
    )
    if household.county != case.county:
        raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
    dead = ric.compact(str(id_number))
    members = {ric.compact(m.id_number): m for m in household.members}
    if dead not in members:
        raise MemberNotFound(f"idNumber: {dead} is not a member of the case's household")
    if any(ric.compact(d["idNumber"]) == dead for d in case.data.get("deaths", [])):
        raise InvalidTransition(f"the death of {dead} is already recorded")
    died = date_of_death or members[dead].date_of_death or on
    if died > on:
        raise InvalidInput(
            f"dateOfDeath: {died.isoformat()} is after the day it is recorded ({on.isoformat()})"
        )
    was_head = members[dead].relation is Relation.HEAD
    account = household.payment_account
    held_account = account is not None and account.holder_id_number == dead
    covered = [ric.compact(m) for m in case.data.get("membersCovered", [])]
    was_covered = dead in covered
    remaining = [m for m in covered if m != dead]
    # covered members the household itself shows dead by then (their deaths not yet recorded)
    alive = [
        m
        for m in remaining
        if m not in members or members[m].date_of_death is None or members[m].date_of_death > died  # type: ignore[operator]
    ]
    deaths = [
        *case.data.get("deaths", []),
        {"on": died, "recordedOn": on, "idNumber": dead, "head": was_head, "covered": was_covered},
    ]
    data = _data(case, deaths=deaths, membersCovered=remaining)
    inputs: dict[str, Any] = {
        "idNumber": dead,
        "dateOfDeath": died,
        "wasHead": was_head,
        "wasCovered": was_covered,
    }
    start = first_of_next_month(died)
    if month_key(on) >= month_key(start):
        data["overpaidFrom"] = start
        step.reasons.append(
            f"the death on {died.isoformat()} was recorded on {on.isoformat()}: the months "
            f"from {month_key(start)} paid at the old amount are to be checked and recovered"
        )
    if (case.program == "tekun" and was_covered) or not alive:
        data["exit"] = {"on": on, "reason": ExitReason.DEATH, "lastMonth": month_key(died)}
        step.reasons.append(
            "the person the case covers died: the case exits from the month after the death"
            if case.program == "tekun" and was_covered
            else "nobody covered is left alive: the case exits from the month after the death"
        )
        return step.done("record_death", S.EXITED, data, inputs)
    if not was_covered:
        step.reasons.append("a member not covered by the case died")
    data["adjustFrom"] = start
    months = step.value(P_DEATH_RECHECK)
    if months:
        data["recheckBy"] = add_months(died, int(months))
    later = _without_the_dead(household, {**_deaths(case, household), dead: died})
    old = case.data.get("amount")
    if case.state is S.PHASING_OUT:
        new, status = None, "not_recomputed"
        step.reasons.append("the case is phasing out: its amount is kept")
    else:
        new, now_covered, status = _recompute(step, later, remaining, members[dead])
        if new is not None and now_covered is not None:
            data.update(amount=new, amountFrom=start, membersCovered=now_covered)
            data["amounts"] = with_amount(_history(case), start, new)
            step.reasons.append(
                f"re-evaluated without {members[dead].name}: eligible, "
                + (f"{old} → " if old is not None else "")
                + f"{new} yuan/month from {start.isoformat()}"
            )
    inputs["recomputed"] = {"status": status, "amount": new}
    if new is None:
        step.reasons.append(
            f"the benefit continues unchanged ({old} yuan/month) until the re-check decides"
        )
    if months:
        step.reasons.append(f"household re-check due by {data['recheckBy'].isoformat()}")
    else:
        step.reasons.append(
            f"`{P_DEATH_RECHECK}` is not set for {case.county}: no re-check deadline"
        )
    if was_head or held_account:
        data["headChangeRequired"] = True
        step.reasons.append(
            "the head died: change the head and the bank account"
            if was_head
            else "the holder of the payment account died: change the bank account"
        )
        limit = step.value(P_HEAD_UPDATE)
        if was_head and limit is not None:
            data["headChangeDue"] = _end_of_month_after(died, int(limit))
            step.reasons.append(
                f"head and account change due by {data['headChangeDue'].isoformat()}"
            )
        elif was_head:
            data.pop("headChangeDue", None)
            step.reasons.append(
                f"`{P_HEAD_UPDATE}` is not set for {case.county}: the policy sets no time limit "
                "for the head change"
            )
    return step.done("record_death", case.state, data, inputs)


def record_head_change(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household: Household,
) -> Transition:
    """The head (户主) and the payment account (一卡通) changed after a death: the stored
    ``household`` must now have a living head (else HEAD_NOT_CHANGED) and a payment account
    held by a living member (else PAYMENT_ACCOUNT_REQUIRED). Clears ``headChangeRequired``."""
    step = _Step(case, actor, policy, on)
    step.expect("record_head_change", IN_PAYMENT, ("dibao", "tekun"))
    step.check_actor(VISITORS, "a head and account change")
    if not case.data.get("headChangeRequired"):
        raise InvalidTransition("no head or account change is pending on this case")
    if household.county != case.county:
        raise InvalidInput(f"the household is in {household.county}, the case in {case.county}")
    deaths = _deaths(case, household)
    head = household.head
    if not _alive(head.id_number, deaths, on):
        raise HeadNotChanged(
            f"the household's head {head.name} ({head.id_number}) died: make a living member "
            "the head (updateHousehold) first"
        )
    account = household.payment_account
    if account is None:
        raise PaymentAccountRequired(
            "the household has no payment account (paymentAccount): record the new account "
            "(updateHousehold) first"
        )
    if not _alive(account.holder_id_number, deaths, on):
        raise PaymentAccountRequired(
            f"the payment account's holder {account.holder_name} ({account.holder_id_number}) "
            "died: record an account of a living member (updateHousehold) first"
        )
    change = {
        "on": on,
        "headIdNumber": head.id_number,
        "accountHolderIdNumber": account.holder_id_number,
    }
    due = case.data.get("headChangeDue")
    if due is not None and on > _as_date(due):
        step.reasons.append(f"done after the due date {due}")
    step.reasons.append(
        f"new head {head.name}; benefits paid into the account of {account.holder_name} at "
        f"{account.bank}"
    )
    data = _data(case, headChangeRequired=False, headChange=change)
    return step.done(
        "record_head_change", case.state, data, {k: v for k, v in change.items() if k != "on"}
    )


# -- periodic checks in payment: home visits, tekun care --------------------------------------


def record_home_visit(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    investigators: Sequence[str],
    findings: str = "",
) -> Transition:
    """A home visit to a household in payment (入户核查), by at least
    ``dibao.investigation.min_investigators`` investigators (``lastHomeVisit``)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_home_visit", IN_PAYMENT, ("dibao", "tekun"))
    step.check_actor(VISITORS, "a home visit")
    names = _investigators(step, investigators)
    step.reasons.append(f"home visit (入户核查) by {len(names)} investigators")
    data = _data(case, lastHomeVisit={"on": on, "investigators": names})
    return step.done(
        "record_home_visit", case.state, data, {"investigators": names, "findings": findings}
    )


def record_care_placement(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    mode: str,
    institution: str = "",
) -> Transition:
    """tekun: where the person is cared for, ``mode`` "centralised" (集中供养, in
    ``institution``) or "dispersed" (分散供养, at home) (``care``)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_care_placement", (S.ACTIVE,), ("tekun",))
    step.check_actor(VISITORS, "a care placement")
    if mode not in CARE_MODES:
        raise InvalidInput(f"mode: one of {', '.join(CARE_MODES)}, not {mode!r}")
    place = institution.strip()
    if mode == "centralised" and not place:
        raise InvalidInput("institution: centralised care (集中供养) names the institution")
    step.reasons.append(
        f"centralised care (集中供养) in {place}"
        if mode == "centralised"
        else "dispersed care (分散供养)" + (f" with {place}" if place else "")
    )
    data = _data(case, care={"mode": mode, "on": on, "institution": place})
    return step.done(
        "record_care_placement", case.state, data, {"mode": mode, "institution": place}
    )


def record_care_visit(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    kind: str,
    note: str = "",
) -> Transition:
    """tekun: a visit (走访探视, ``kind`` "visit" → ``lastCareVisit``) or an assessment of the
    care given (照料服务评估, "carer_assessment" → ``lastCareAssessment``)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_care_visit", (S.ACTIVE,), ("tekun",))
    step.check_actor(VISITORS, "a care visit")
    key = CARE_VISIT_KINDS.get(kind)
    if key is None:
        raise InvalidInput(f"kind: one of {', '.join(CARE_VISIT_KINDS)}, not {kind!r}")
    step.reasons.append(
        "visit (走访探视)" if kind == "visit" else "assessment of the care (照料服务评估)"
    )
    data = _data(case, **{key: {"on": on}})
    return step.done("record_care_visit", case.state, data, {"kind": kind, "note": note})


def record_care_wish(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    willing: bool,
    note: str = "",
) -> Transition:
    """tekun in payment: whether the person wishes to live in a care institution (集中供养意愿).
    Where ``tekun.centralised_care.admit_all_willing`` (Yunnan 002 二(二): 「确保有集中供养意愿
    的特困人员100%入住供养服务机构」; Yongning 004 二(三)6, for those who cannot look after
    themselves: ``tekun.centralised_care.self_care_levels``) covers the person, they must be placed
    (``careWish.mustPlace``; supervision reports ``willing_not_placed`` until they are)."""
    step = _Step(case, actor, policy, on)
    step.expect("record_care_wish", (S.ACTIVE,), ("tekun",))
    step.check_actor(VISITORS, "recording the wish for centralised care")
    if not isinstance(willing, bool):
        raise InvalidInput(f"willing: true or false, not {willing!r}")
    wish: dict[str, Any] = {"on": on, "willing": willing, "note": note, "mustPlace": False}
    if willing:
        admit = step.value(P_TK_ADMIT)
        levels = step.value(P_TK_ADMIT_LEVELS)
        result = str((case.data.get("selfCare") or {}).get("result") or "")
        level = {"able": "self_care"}.get(result, result) or None
        if admit is not True:
            step.reasons.append(
                f"willing; no rule here admits every willing person (`{P_TK_ADMIT}`)"
            )
        elif levels and level not in levels:
            step.reasons.append(
                f"willing, but `{P_TK_ADMIT}` covers only {', '.join(levels)} "
                f"(`{P_TK_ADMIT_LEVELS}`) and the person's self-care is {level or 'not assessed'}"
            )
        else:
            wish["mustPlace"] = True
            step.reasons.append(
                f"willing: to be placed in centralised care (`{P_TK_ADMIT}`"
                f"{_quote(step, P_TK_ADMIT)})"
            )
    else:
        step.reasons.append("not willing to live in a care institution")
    data = _data(case, careWish=wish)
    return step.done("record_care_wish", case.state, data, {"willing": willing, "note": note})


# -- temporary: assist first ------------------------------------------------------------------


def assist_first(
    case: Case, actor: User, policy: ResolvedPolicy, on: dt.date, *, note: str = ""
) -> Transition:
    """先行救助: the township helps at once; the paperwork is recorded afterwards."""
    step = _Step(case, actor, policy, on)
    step.expect("assist_first", (S.ACCEPTED, S.INVESTIGATED), ("temporary",))
    step.check_actor((Role.TOWNSHIP_OFFICER,), "assistance first (先行救助)")
    if case.data.get("kind", "emergency") != "emergency":
        # 民发〔2018〕23号 二(二): 「对于急难型临时救助…积极开展“先行救助”」; 「对于支出型临时救助，
        # 要严格执行申请、受理、审核、审批程序」
        raise InvalidTransition(
            "assistance first (先行救助) is for emergencies (急难型); an expenditure request "
            "(支出型) follows the full procedure (民发〔2018〕23号 二(二))"
        )
    if not step.value(P_TMP_ADVANCE):
        raise InvalidTransition(
            f"assistance first (先行救助) is not provided for in {case.county} on {on.isoformat()}"
        )
    step.reasons.append("assisted first; the paperwork follows")
    data = _data(case, assistedFirst={"on": on, "note": note}, paperworkDue=True)
    return step.done("assist_first", S.ASSISTED, data, {"note": note})


def record_paperwork(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    *,
    household: Household | None = None,
    note: str = "",
) -> Transition:
    """The paperwork after assistance first (补齐手续), signed at the level graded by the amount.

    The eligibility engine decides the household as for any grant: one it does not find
    eligible, or an amount above the engine's, is refused (NOT_ELIGIBLE, AMOUNT_TOO_HIGH) and
    the approver rejects the case with reasons (the assistance given is then to be recovered).
    """
    step = _Step(case, actor, policy, on)
    step.expect("record_paperwork", (S.ASSISTED,), ("temporary",))
    level = _confirming_level(step)
    step.check_actor((LEVEL_ROLE[level],), "the paperwork of this assistance")
    decision = _decide(step, household)
    given = Decimal(str(case.data["amount"]))
    if decision.one_off_amount is not None and given > decision.one_off_amount:
        raise AmountTooHigh(
            f"{given} yuan was given; the eligibility engine allows {decision.one_off_amount} "
            "yuan: reject the case with reasons and recover the difference"
        )
    data = _data(case, paperworkDue=False, decision={"on": on, "level": level, "by": actor.id})
    step.reasons.append("paperwork completed")
    inputs = {"note": note, "level": level, "decision": {"status": decision.status}}
    return step.done("record_paperwork", S.GRANTED, data, inputs)


__all__ = [
    "amount_on",
    "assist_first",
    "check_access",
    "confirm_case",
    "confirm_termination",
    "exit_case",
    "first_of_next_month",
    "month_key",
    "open_case",
    "record_care_placement",
    "record_care_visit",
    "record_care_wish",
    "record_complaint",
    "record_death",
    "record_democratic_appraisal",
    "record_first_review",
    "record_head_change",
    "record_home_visit",
    "record_income_stable",
    "record_investigation",
    "record_objection",
    "record_own_application",
    "record_paperwork",
    "record_phase_out_notice",
    "record_refusal_notice",
    "record_review",
    "record_self_care",
    "record_spot_check",
    "record_verification",
    "record_work_accepted",
    "record_work_refusal",
    "reduce_for_refused_work",
    "reject_case",
    "report_change",
    "report_self_care_change",
    "start_phase_out",
    "start_publicity",
    "with_amount",
    "with_selection",
]
