"""Eligibility over GraphQL: ``previewEligibility`` (a household given in full, nothing
stored), ``evaluateEligibility`` (a stored household; the decision is stored) and ``decisions``
(a household's stored decisions).

``previewEligibility`` reads only the public policy, so it needs no token, but it is never
cached (its answer is about the request's own household, and a cache of them would hold
personal data). The rest reads or writes stored data (see :mod:`core.api.common`); the resident
ID numbers in a stored decision are masked for the roles that do not see them in full, as in a
household (:func:`core.access.roles.id_numbers_for`). The rules are those of
:mod:`core.eligibility`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core.access.roles import Action, id_numbers_for, require
from core.api.common import Info, UserError, user_errors
from core.api.context import Context
from core.api.households import HouseholdInput, household_id
from core.api.policy import Jurisdiction, Source, TraceEntry, date_of, source_from_json
from core.eligibility import CORE_PROGRAMS, TemporaryRequest, decision_to_json, evaluate
from core.eligibility.json import decision_with_id_numbers
from core.errors import DoudiError, InvalidInput
from core.households import store
from core.households.model import parse_household
from core.households.store import DecisionRecord
from core.policy import serialize
from core.policy.service import PolicyBase, today
from core.validation import MAX_MONTHLY_YUAN, MAX_NOTE, check_number, check_text

MAX_DECISIONS = 100

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here): a decision traces
# about 15 parameters.
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "decisions"): MAX_DECISIONS,
    ("Decision", "trace"): 40,
}


@strawberry.enum(description="CANNOT_DECIDE: a parameter or a fact the decision needs is missing.")
class DecisionStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    CANNOT_DECIDE = "cannot_decide"


@strawberry.enum(description="Whether the whole household or single members are covered.")
class DecisionMode(StrEnum):
    WHOLE_HOUSEHOLD = "whole_household"
    SINGLE_PERSON = "single_person"


@strawberry.type(description="An income item as the per-capita computation saw it.")
class IncomeLine:
    kind: str
    member: str | None
    monthly_amount: float
    regular: bool
    counted: bool
    why: str | None = strawberry.field(description="Why it was not counted.")


@strawberry.type(description="A rigid expense as the per-capita computation saw it.")
class DeductionLine:
    kind: str
    member: str | None
    monthly_amount: float
    applied: bool
    why: str | None = strawberry.field(description="Why it was not deducted.")


@strawberry.type(
    description="How per-capita income was computed: max(0, totalIncome - totalDeductions) / "
    "livingMembers, in yuan per month."
)
class IncomeBreakdown:
    living_members: int
    income: list[IncomeLine]
    total_income: float
    allowed_deductions: list[str] = strawberry.field(
        description="The kinds dibao.income.deductions allows (empty: none)."
    )
    deductions: list[DeductionLine]
    total_deductions: float
    net_income: float
    per_capita: float

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> IncomeBreakdown:
        return cls(
            living_members=d["livingMembers"],
            income=[
                IncomeLine(
                    kind=x["kind"],
                    member=x.get("member"),
                    monthly_amount=x["monthlyAmount"],
                    regular=x.get("regular", True),
                    counted=x["counted"],
                    why=serialize.opt(x.get("why") or ""),
                )
                for x in d.get("income", ())
            ],
            total_income=d["totalIncome"],
            allowed_deductions=list(d.get("allowedDeductions", ())),
            deductions=[
                DeductionLine(
                    kind=x["kind"],
                    member=x.get("member"),
                    monthly_amount=x["monthlyAmount"],
                    applied=x["applied"],
                    why=serialize.opt(x.get("why") or ""),
                )
                for x in d.get("deductions", ())
            ],
            total_deductions=d["totalDeductions"],
            net_income=d["netIncome"],
            per_capita=d["perCapita"],
        )


@strawberry.type(description="What a decision found for one member.")
class MemberFinding:
    id_number: str
    name: str
    qualifies: bool | None = strawberry.field(description="Null when it cannot be decided.")
    conditions: list[str]
    own_income: float | None
    amount: float | None
    self_care: str | None = strawberry.field(
        description="tekun: self_care, partial_loss or full_loss."
    )
    reasons: list[str]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MemberFinding:
        return cls(
            id_number=d["idNumber"],
            name=d["name"],
            qualifies=d.get("qualifies"),
            conditions=list(d.get("conditions", ())),
            own_income=d.get("ownIncome"),
            amount=d.get("amount"),
            self_care=d.get("selfCare"),
            reasons=list(d.get("reasons", ())),
        )


@strawberry.type(
    description="What allowed one thing a decision applies (a deduction, an income left out, a "
    "single-person enrolment, a tekun minor kept on, a temporary income test): the rule (a "
    "catalog path or a named national rule), the condition met, the layer and its source."
)
class DecisionGround:
    applies: str = strawberry.field(
        description="deduction, income_not_counted, single_person, minor_continuation or "
        "income_test."
    )
    subject: str = strawberry.field(description="The expense, income item or member concerned.")
    rule: str
    condition: str
    layer: str | None = strawberry.field(description="The jurisdiction code of the layer.")
    source: Source | None

    @classmethod
    def from_json(cls, g: dict[str, Any]) -> DecisionGround:
        return cls(
            applies=g["applies"],
            subject=g["subject"],
            rule=g["rule"],
            condition=g["condition"],
            layer=g.get("layer"),
            source=source_from_json(g.get("source")),
        )


@strawberry.type(
    description="An eligibility decision for one household, program and date: eligible or not, "
    "how much, why, and every parameter used (trace). Money is yuan, rounded to the fen."
)
class Decision:
    id: strawberry.ID | None = strawberry.field(description="Null for a preview (not stored).")
    recorded_at: dt.datetime | None
    recorded_by: str | None = strawberry.field(description="The user who recorded it.")
    program: str
    status: DecisionStatus
    eligible: bool | None
    as_of: dt.date
    mode: DecisionMode | None
    members_covered: list[str] = strawberry.field(description="ID numbers.")
    category: str | None = strawberry.field(
        description="low_income: dibao_household, marginal or low_income_band."
    )
    per_capita_income: float | None
    income: IncomeBreakdown | None
    standard: float | None
    standard_path: str | None
    monthly_amount: float | None
    one_off_amount: float | None
    next_review: dt.date | None
    review_path: str | None
    approval_level: str | None = strawberry.field(description="township or county.")
    members: list[MemberFinding]
    reasons: list[str] = strawberry.field(description="In plain words, the deciding one first.")
    missing: list[str] = strawberry.field(description="Parameters not set that were needed.")
    trace: list[TraceEntry]
    plugin: str | None = strawberry.field(description="The plugin that decided (its programs).")
    grounds: list[DecisionGround] = strawberry.field(
        description="The rule and condition behind each deduction, income left out, "
        "single-person enrolment and tekun continuation the decision applies."
    )
    json: JSON = strawberry.field(
        description="The decision as JSON (what is stored, and what `--json` prints)."
    )
    county_code: strawberry.Private[str]

    @classmethod
    def from_json(cls, d: dict[str, Any], record: DecisionRecord | None = None) -> Decision:
        income = d.get("income")
        return cls(
            id=strawberry.ID(str(record.id)) if record is not None else None,
            recorded_at=record.created_at if record is not None else None,
            recorded_by=record.user if record is not None else None,
            program=d["program"],
            status=DecisionStatus(d["status"]),
            eligible=d.get("eligible"),
            as_of=dt.date.fromisoformat(d["asOf"]),
            mode=DecisionMode(d["mode"]) if d.get("mode") else None,
            members_covered=list(d.get("membersCovered", ())),
            category=d.get("category"),
            per_capita_income=d.get("perCapitaIncome"),
            income=IncomeBreakdown.from_json(income) if income else None,
            standard=d.get("standard"),
            standard_path=d.get("standardPath"),
            monthly_amount=d.get("monthlyAmount"),
            one_off_amount=d.get("oneOffAmount"),
            next_review=date_of(d.get("nextReview")),
            review_path=d.get("reviewPath"),
            approval_level=d.get("approvalLevel"),
            members=[MemberFinding.from_json(m) for m in d.get("members", ())],
            reasons=list(d.get("reasons", ())),
            missing=list(d.get("missing", ())),
            trace=[TraceEntry.from_json(t) for t in d.get("trace", ())],
            plugin=d.get("plugin"),
            grounds=[DecisionGround.from_json(g) for g in d.get("grounds", ())],
            json=JSON(d),
            county_code=d["county"],
        )

    @strawberry.field(description="The household's county.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))


@strawberry.input(description="A request for temporary assistance (临时救助).")
class TemporaryRequestInput:
    kind: str = strawberry.field(description="emergency or expenditure.")
    amount: float = strawberry.field(description="The one-off amount asked for, in yuan (> 0).")
    description: str = ""
    major_hardship: bool = strawberry.field(
        default=False, description="Reported as major hardship (重大困难)."
    )
    category: str = strawberry.field(
        default="general",
        description="general, or unemployed_uninsured (未参保失业人员: monthsWithoutIncome and "
        "unemploymentInsured).",
    )
    months_without_income: int | None = None
    unemployment_insured: bool | None = None
    exception_reasons: list[str] = strawberry.field(
        default_factory=list,
        description="expenditure: why it is granted although the income is not below the local "
        "figure (民发〔2018〕23号 二(一): 原则上).",
    )


@strawberry.type(description="The stored decision, or userErrors (nothing stored).")
class EvaluateEligibilityPayload:
    decision: Decision | None
    user_errors: list[UserError]


@strawberry.type(description="The decision (never stored), or userErrors.")
class PreviewEligibilityPayload:
    decision: Decision | None
    user_errors: list[UserError]


# -- decisions ------------------------------------------------------------------------------------


def _temporary_request(request: TemporaryRequestInput | None) -> TemporaryRequest | None:
    if request is None:
        return None
    check_number(request.amount, "request.amount", minimum=None, maximum=MAX_MONTHLY_YUAN)
    check_text(request.description, "request.description", MAX_NOTE)
    return TemporaryRequest(
        kind=request.kind,  # type: ignore[arg-type]  # a Literal; TemporaryRequest checks it
        amount=Decimal(str(request.amount)),
        description=request.description,
        major_hardship=request.major_hardship,
        category=request.category,  # type: ignore[arg-type]  # checked by TemporaryRequest
        months_without_income=request.months_without_income,
        unemployment_insured=request.unemployment_insured,
        exception_reasons=tuple(r for r in request.exception_reasons if r.strip()),
    )


def _check_program(base: PolicyBase, program: str) -> None:
    if program not in CORE_PROGRAMS:
        base.program(program)  # InvalidInput: unknown program


def _eligibility_field(exc: DoudiError, program: str, id_field: str) -> str | None:
    if isinstance(exc, store.NotFound):
        return id_field
    if isinstance(exc, InvalidInput):
        if "unknown program" in exc.message:
            return "program"
        if program == "temporary" and "temporary" in exc.message:
            return "request"
    return None


def _decide(
    base: PolicyBase,
    data: Any,
    program: str,
    as_of: dt.date,
    request: TemporaryRequestInput | None,
) -> dict[str, Any]:
    """The decision as JSON (``data``: a parsed household or household JSON)."""
    _check_program(base, program)
    req = _temporary_request(request)
    h = data if not isinstance(data, dict) else parse_household(data, base.registry, today())
    decision = evaluate(
        h,
        program,
        base.resolve(h.county, as_of),
        as_of,
        request=req,
        plugin_programs=base.plugin_programs,
    )
    return decision_to_json(decision)


def preview_eligibility(
    context: Context,
    data: HouseholdInput,
    program: str,
    as_of: dt.date | None,
    request: TemporaryRequestInput | None,
) -> PreviewEligibilityPayload:
    context.mark_private()
    try:
        doc = _decide(context.base, data.to_json(), program, as_of or today(), request)
    except DoudiError as exc:
        return PreviewEligibilityPayload(
            decision=None, user_errors=user_errors(exc, _eligibility_field(exc, program, ""))
        )
    return PreviewEligibilityPayload(decision=Decision.from_json(doc), user_errors=[])


async def evaluate_eligibility(
    context: Context,
    id: str,
    program: str,
    as_of: dt.date | None,
    request: TemporaryRequestInput | None,
) -> EvaluateEligibilityPayload:
    """Evaluate a stored household on the current merged policy and store the decision."""
    context.mark_private()
    base, day = context.base, as_of or today()
    registry = base.registry
    try:
        sessions = context.require_runtime().sessions
        user = require(await context.user(), Action.RECORD_DECISIONS)
        hid = household_id(id)
        _check_program(base, program)
        _temporary_request(request)  # refused before anything is read

        def work() -> DecisionRecord:
            with sessions() as s:
                record = store.get_household(s, user, hid, registry)
            doc = _decide(base, record.household(registry), program, day, request)
            with sessions() as s:  # a transaction of its own
                return store.record_decision(s, user, hid, program, day, doc, registry)

        stored = await context.in_thread(work)
    except DoudiError as exc:
        return EvaluateEligibilityPayload(
            decision=None,
            user_errors=user_errors(exc, _eligibility_field(exc, program, "householdId")),
        )
    shown = decision_with_id_numbers(stored.document, id_numbers_for(user))
    return EvaluateEligibilityPayload(decision=Decision.from_json(shown, stored), user_errors=[])


async def decisions(context: Context, id: str, program: str | None, first: int) -> list[Decision]:
    context.mark_private()
    if not 1 <= first <= MAX_DECISIONS:
        raise InvalidInput(f"first must be between 1 and {MAX_DECISIONS}")
    registry = context.base.registry
    user = await context.user()
    found = await context.in_session(
        lambda s: store.list_decisions(s, user, household_id(id), registry, program=program)
    )
    show = id_numbers_for(user)
    return [
        Decision.from_json(decision_with_id_numbers(r.document, show), r) for r in found[:first]
    ]


# -- root fields ----------------------------------------------------------------------------------


@strawberry.type
class EligibilityQuery:
    @strawberry.field(
        description="A household's recorded decisions, newest first (token required)."
    )
    async def decisions(
        self,
        info: Info,
        household_id: strawberry.ID,
        program: str | None = None,
        first: int | None = 50,
    ) -> list[Decision]:
        return await decisions(info.context, household_id, program, 50 if first is None else first)

    @strawberry.field(
        description="Decide a household given in full, on the public merged policy (default "
        "asOf: today in China). Stores nothing and needs no token; never cached."
    )
    def preview_eligibility(
        self,
        info: Info,
        household: HouseholdInput,
        program: str,
        as_of: dt.date | None = None,
        request: TemporaryRequestInput | None = None,
    ) -> PreviewEligibilityPayload:
        return preview_eligibility(info.context, household, program, as_of, request)


@strawberry.type
class EligibilityMutation:
    @strawberry.mutation(
        description="Decide a stored household on the merged policy (local settings included; "
        "default asOf: today in China) and store the decision."
    )
    async def evaluate_eligibility(
        self,
        info: Info,
        household_id: strawberry.ID,
        program: str,
        as_of: dt.date | None = None,
        request: TemporaryRequestInput | None = None,
    ) -> EvaluateEligibilityPayload:
        return await evaluate_eligibility(info.context, household_id, program, as_of, request)


__all__ = [
    "LIST_SIZES",
    "MAX_DECISIONS",
    "Decision",
    "DecisionGround",
    "EligibilityMutation",
    "EligibilityQuery",
    "EvaluateEligibilityPayload",
    "PreviewEligibilityPayload",
    "TemporaryRequestInput",
]
