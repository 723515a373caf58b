"""Cases over GraphQL: the workflow mutations, ``case``, ``cases``, ``caseHistory`` and
``supervisionFindings`` (wired into :mod:`core.api.schema` by inheritance of
:class:`CaseQuery` and :class:`CaseMutation`).

The rules are those of the state machine (:mod:`core.cases`) and the store
(:mod:`core.cases.store`); this module adds the request's user and date and the GraphQL forms:

- every operation needs a token and marks the request private (nothing is cached);
- a mutation names the version it was decided on (``expectedVersion``) and the day of the step
  (``on``, default today in China; never in the future nor before the case's last step); a
  refusal is answered as ``userErrors`` with the state machine's code (INVALID_TRANSITION,
  WRONG_LEVEL, FORBIDDEN, RECUSAL_REQUIRED, VERIFICATION_REQUIRED, VERSION_CONFLICT ...) and
  nothing is written;
- the policy is the request's merged policy (plugins and local settings), resolved at the case's
  county on ``on``;
- reads check the jurisdiction: a case outside the user's is FORBIDDEN.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

from core.access.roles import Action, User, authorize
from core.api.context import Context
from core.api.records import household_id, user_errors
from core.api.types import Household, Info, Jurisdiction, PageInfo, TraceEntry, UserError
from core.cases import PROGRAMS, Case, CaseNotFound, CaseState, ExitReason, store
from core.errors import DoudiError, InvalidInput
from core.households import store as households_store
from core.policy.service import today
from core.storage.cursors import decode_cursor, encode_cursor

DEFAULT_CASE_PAGE = 50
MAX_CASE_PAGE = 100
HISTORY_ESTIMATE = 200  # events of one case, for the cost estimate (reviews add one a year)
FINDINGS_ESTIMATE = 500

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("CaseConnection", "edges"): MAX_CASE_PAGE,
    ("Query", "caseHistory"): HISTORY_ESTIMATE,
    ("CaseEvent", "policy"): 40,
    ("Query", "supervisionFindings"): FINDINGS_ESTIMATE,
}

strawberry.enum(
    ExitReason,
    name="ExitReason",
    description="Why a case exits: income over the standard, death, moved away, refused work "
    "(after the policy's number of refusals), found ineligible (reasons required).",
)


# -- ids and cursors -----------------------------------------------------------------------------


def case_id(raw: str) -> int:
    """The database id of a case ID (NOT_FOUND for anything that cannot be one)."""
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    raise CaseNotFound(f"no case with id {raw!r}")


# -- types ---------------------------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _amount(value: Any) -> float | None:
    return None if value is None else float(value)


@strawberry.type(
    name="CaseAmount",
    description="The monthly amount payable from a first of the month (yuan), until the next "
    "entry: the case's amount history.",
)
class CaseAmount:
    from_: dt.date = strawberry.field(name="from", description="First month (its 1st day).")
    amount: float


@strawberry.type(
    name="Case",
    description="A case: one household's application for a program (dibao, tekun, temporary) "
    "and where it stands. Money is yuan.",
)
class CaseType:
    id: strawberry.ID
    version: int = strawberry.field(
        description="Increases with every step; pass it as expectedVersion."
    )
    program: str
    state: str = strawberry.field(
        description="accepted, investigated, first_reviewed, in_publicity, active, phasing_out, "
        "exited, rejected, assisted or granted."
    )
    household_id: strawberry.ID
    opened_on: dt.date | None
    benefit_from: dt.date | None = strawberry.field(
        description="First month paid (the month after confirmation)."
    )
    amount: float | None = strawberry.field(
        description="Monthly amount (dibao, tekun) or one-off amount (temporary), when known."
    )
    amounts: list[CaseAmount] = strawberry.field(
        description="dibao, tekun: the monthly amount history, oldest first (confirmation, "
        "reviews, deaths); the amount for a month is the last entry from or before it."
    )
    exit_reason: ExitReason | None
    spot_check_selected: bool | None = strawberry.field(
        description="Whether the county's spot-check selected this case (reproducibly, from "
        "the case id and month); null when no spot-check applies."
    )
    data: JSON = strawberry.field(description="Everything the steps recorded (core.cases format).")
    county_code: strawberry.Private[str]

    @classmethod
    def of(cls, case: Case) -> CaseType:
        data = dict(case.data)
        exit_ = data.get("exit") or {}
        spot = data.get("spotCheck")
        return cls(
            id=strawberry.ID(str(case.id)),
            version=case.version,
            program=case.program,
            state=case.state.value,
            household_id=strawberry.ID(str(case.household_id)),
            opened_on=_date(data.get("openedOn")),
            benefit_from=_date(data.get("benefitFrom")),
            amount=_amount(data.get("amount")),
            amounts=[
                CaseAmount(from_=dt.date.fromisoformat(a["from"]), amount=float(a["amount"]))
                for a in data.get("amounts") or ()
            ],
            exit_reason=ExitReason(exit_["reason"]) if exit_.get("reason") else None,
            spot_check_selected=None if spot is None else bool(spot.get("selected")),
            data=data,
            county_code=case.county,
        )

    @strawberry.field(description="The county of the case.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @strawberry.field(description="The household as stored now (token required).")
    async def household(self, info: Info) -> Household:
        context = info.context
        registry = context.base.registry
        user = await context.user()
        hid = int(self.household_id)
        record = await context.in_session(
            lambda s: households_store.get_household(s, user, hid, registry)
        )
        return Household.of(record, registry)


@strawberry.type(description="One case in a list, with its cursor.")
class CaseEdge:
    cursor: str
    node: CaseType


@strawberry.type(description="A page of cases, oldest first (Relay connection).")
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo


@strawberry.type(
    description="One step of a case as recorded in its audit trail (never changed): who, in "
    "which role and jurisdiction, from which state to which, the inputs, the reasons and every "
    "policy value used with its layer and source. hash = SHA-256 of the event with prevHash; "
    "prevHash is the hash of the event before it (empty for the first)."
)
class CaseEvent:
    seq: int = strawberry.field(description="1, 2, ...: the case's version after the step.")
    action: str
    at: dt.datetime = strawberry.field(description="When it was recorded (UTC).")
    on: dt.date = strawberry.field(description="The day of the step.")
    user_id: strawberry.ID
    who: str = strawberry.field(description="The official's name.")
    role: str
    jurisdiction: str = strawberry.field(description="The official's jurisdiction (code).")
    from_state: str | None = strawberry.field(description="null when the case was opened.")
    to_state: str
    inputs: JSON
    reasons: list[str]
    policy: list[TraceEntry]
    hash: str
    prev_hash: str

    @classmethod
    def of(cls, e: store.EventRecord) -> CaseEvent:
        doc = e.document
        actor = doc.get("actor") or {}
        return cls(
            seq=e.seq,
            action=e.action,
            at=e.at,
            on=dt.date.fromisoformat(doc["on"]),
            user_id=strawberry.ID(str(e.user_id)),
            who=str(actor.get("name", "")),
            role=str(actor.get("role", "")),
            jurisdiction=str(actor.get("jurisdiction", "")),
            from_state=e.from_state,
            to_state=e.to_state,
            inputs=doc.get("inputs") or {},
            reasons=list(doc.get("reasons") or []),
            policy=[TraceEntry.from_json(t) for t in doc.get("policy") or []],
            hash=e.hash,
            prev_hash=e.prev_hash,
        )


@strawberry.type(
    description="Something supervision (数字监督) found: its kind, a message, the jurisdiction, "
    "the cases and the person concerned, and details."
)
class SupervisionFinding:
    kind: str
    message: str
    jurisdiction: str | None
    case_ids: list[strawberry.ID]
    person_id_number: str | None
    detail: JSON | None


@strawberry.type(description="The case after the step, or userErrors (nothing changed).")
class CasePayload:
    case: CaseType | None
    user_errors: list[UserError]


@strawberry.input(description="A staff member the applicant is a near relative of.")
class NearRelativeInput:
    user_id: strawberry.ID
    relation: str = strawberry.field(
        description="As in dibao.near_relative.relations (spouse, parent, child, sibling ...)."
    )


# -- helpers -------------------------------------------------------------------------------------

# Where a refusal points in the input, by code (per mutation, after these common ones).
_COMMON_FIELDS = {"VERSION_CONFLICT": "expectedVersion", "NOT_FOUND": "id"}
# An INVALID_INPUT message that starts with an argument's name ("amount: ...") points at it.
_NAMED_FIELD = re.compile(
    r"(on|amount|monthlyAmount|kind|evaluate|reason|reasons|months|failedIndicators"
    r"|nearRelatives|idNumber|investigators|mode|institution|passed):"
)


async def _payload(
    context: Context,
    fields: Mapping[str, str | None],
    work: Callable[[Session, User], Case],
) -> CasePayload:
    context.mark_private()
    try:
        user = await context.user()
        case = await context.in_session(lambda s: work(s, user))
    except DoudiError as exc:
        field = getattr(exc, "field", None) or {**_COMMON_FIELDS, **fields}.get(exc.code)
        named = _NAMED_FIELD.match(exc.message)
        if exc.code == "INVALID_INPUT" and named:
            field = named.group(1)
        return CasePayload(case=None, user_errors=user_errors(exc, field))
    return CasePayload(case=CaseType.of(case), user_errors=[])


async def transition(
    context: Context,
    id: str,
    expected_version: int,
    action: str,
    on: dt.date | None,
    fields: Mapping[str, str | None] | None = None,
    **inputs: Any,
) -> CasePayload:
    """Take ``action`` (a name in :data:`core.cases.ACTIONS`) on case ``id`` (the store checks,
    in order: ``on`` not in the future, who may act, the version, ``on`` not before the case's
    last step, then the step's rules)."""
    base = context.base

    def work(s: Session, user: User) -> Case:
        now = today()
        case, _ = store.apply_transition(
            s, base, case_id(id), expected_version, action, user, on or now,
            not_after=now, **inputs,
        )  # fmt: skip
        return case

    return await _payload(context, fields or {}, work)


async def submit_application(
    context: Context,
    household: str,
    program: str,
    near_relatives: list[NearRelativeInput] | None,
    amount: float | None,
    kind: str | None,
    on: dt.date | None,
) -> CasePayload:
    base = context.base

    def work(s: Session, user: User) -> Case:
        now = today()
        try:
            hid = household_id(household)
        except households_store.NotFound as exc:
            raise CaseNotFound(exc.message) from None
        inputs: dict[str, Any] = {}
        if near_relatives:
            if not all(str(r.user_id).isdigit() for r in near_relatives):
                raise InvalidInput("nearRelatives: userId must be a user's id")
            inputs["near_relatives"] = [
                {"userId": int(r.user_id), "relation": r.relation} for r in near_relatives
            ]
        if program == "temporary":
            inputs["amount"] = None if amount is None else str(amount)
            inputs["kind"] = kind or "emergency"
        elif amount is not None or kind is not None:
            raise InvalidInput("amount and kind are for temporary assistance only")
        case, _ = store.open_case(
            s, base, user, on or now, household_id=hid, program=program, not_after=now, **inputs
        )
        return case

    fields = {"NOT_FOUND": "householdId"}
    payload = await _payload(context, fields, work)
    for e in payload.user_errors:  # InvalidInput: say which argument
        if e.code == "INVALID_INPUT" and e.field is None:
            m = e.message
            e.field = (
                "program"
                if "program" in m
                else "amount"
                if "amount" in m
                else "kind"
                if "kind" in m
                else "nearRelatives"
                if "userId" in m or "relation" in m
                else None
            )
    return payload


# -- reads ---------------------------------------------------------------------------------------


async def get_case(context: Context, id: str) -> CaseType:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    case = await context.in_session(lambda s: store.read_case(s, user, case_id(id), registry))
    return CaseType.of(case)


async def case_history(context: Context, id: str) -> list[CaseEvent]:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()

    def work(s: Session) -> list[store.EventRecord]:
        case = store.read_case(s, user, case_id(id), registry)
        return store.list_events(s, case.id)

    return [CaseEvent.of(e) for e in await context.in_session(work)]


async def list_cases(
    context: Context,
    jurisdiction: str,
    program: str | None,
    state: str | None,
    first: int,
    after: str | None,
) -> CaseConnection:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    if not 1 <= first <= MAX_CASE_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_CASE_PAGE}")
    if program is not None and program not in PROGRAMS:
        raise InvalidInput(f"program: one of {', '.join(PROGRAMS)}")
    if state is not None and state not in {s.value for s in CaseState}:
        raise InvalidInput(f"state: one of {', '.join(s.value for s in CaseState)}")
    after_id = decode_cursor("case", after) if after is not None else None

    def work(s: Session) -> list[Case]:
        return store.list_cases(
            s,
            program=program,
            state=state,
            limit=first + 1,
            within=(jurisdiction, registry),
            after=after_id,
        )

    found = await context.in_session(work)
    more = len(found) > first
    edges = [
        CaseEdge(cursor=encode_cursor("case", c.id), node=CaseType.of(c)) for c in found[:first]
    ]
    return CaseConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def supervision_findings(
    context: Context, jurisdiction: str, as_of: dt.date | None
) -> list[SupervisionFinding]:
    from core.cases import supervision

    context.mark_private()
    base = context.base
    registry = base.registry
    user = await context.user()
    authorize(user, Action.READ_DECISIONS, jurisdiction, registry)
    code = registry.get(jurisdiction).code
    day = as_of or today()
    found = await context.in_session(
        lambda s: supervision.supervision_findings(s, registry, code, day)
    )
    return [
        SupervisionFinding(
            kind=str(getattr(f.kind, "value", f.kind)),
            message=f.message,
            jurisdiction=f.jurisdiction,
            case_ids=[strawberry.ID(str(c)) for c in f.case_ids or ()],
            person_id_number=f.person_id_number,
            detail=None if f.detail is None else dict(f.detail),
        )
        for f in found
    ]


# -- root fields ---------------------------------------------------------------------------------


@strawberry.type
class CaseQuery:
    @strawberry.field(description="A case by id (token required; within your jurisdiction).")
    async def case(self, info: Info, id: strawberry.ID) -> CaseType:
        return await get_case(info.context, id)

    @strawberry.field(
        description="The cases at a jurisdiction and under it, oldest first, at most 100 a page, "
        "optionally of one program and in one state (token required)."
    )
    async def cases(
        self,
        info: Info,
        jurisdiction: str,
        program: str | None = None,
        state: str | None = None,
        first: int | None = DEFAULT_CASE_PAGE,
        after: str | None = None,
    ) -> CaseConnection:
        page = DEFAULT_CASE_PAGE if first is None else first
        return await list_cases(info.context, jurisdiction, program, state, page, after)

    @strawberry.field(description="A case's audit trail, oldest first (token required).")
    async def case_history(self, info: Info, id: strawberry.ID) -> list[CaseEvent]:
        return await case_history(info.context, id)

    @strawberry.field(
        description="Supervision (数字监督) at a jurisdiction and under it on a date (default "
        "today in China): the same person active in two dibao cases, dibao and tekun at once, "
        "the dead still active, near-relative cases without the county's visit, spot-checks not "
        "done (token required)."
    )
    async def supervision_findings(
        self, info: Info, jurisdiction: str, as_of: dt.date | None = None
    ) -> list[SupervisionFinding]:
        return await supervision_findings(info.context, jurisdiction, as_of)


@strawberry.type
class CaseMutation:
    """The case workflow: each step answers the case after it or userErrors (nothing changed)."""

    @strawberry.mutation(
        description="Accept an application (受理) of a stored household for dibao, tekun or "
        "temporary (with amount and kind); village clerks and township officers."
    )
    async def submit_application(
        self,
        info: Info,
        household_id: strawberry.ID,
        program: str,
        near_relatives: list[NearRelativeInput] | None = None,
        amount: float | None = None,
        kind: str | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await submit_application(
            info.context, household_id, program, near_relatives, amount, kind, on
        )

    @strawberry.mutation(
        description="The home visit (入户调查) by at least the policy's number of investigators "
        "(township or county)."
    )
    async def record_investigation(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        investigators: list[str],
        findings: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_investigation", on,
            {"TOO_FEW_INVESTIGATORS": "investigators"},
            investigators=investigators, findings=findings,
        )  # fmt: skip

    @strawberry.mutation(
        description="The county's economic-status verification (核对): before confirmation, or "
        "on a case in payment the periodic check (核对排查: lastPeriodicVerification)."
    )
    async def record_verification(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        passed: bool,
        notes: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_verification", on,
            passed=passed, notes=notes,
        )  # fmt: skip

    @strawberry.mutation(description="tekun: the self-care assessment (failed indicators of 6).")
    async def record_self_care(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        failed_indicators: int,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_self_care", on,
            {"INVALID_INPUT": "failedIndicators"}, failed_indicators=failed_indicators,
        )  # fmt: skip

    @strawberry.mutation(description="The township's first review (初审).")
    async def record_first_review(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        opinion: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_first_review", on, opinion=opinion
        )

    @strawberry.mutation(description="Publicity (公示) for the days the policy sets.")
    async def start_publicity(
        self, info: Info, id: strawberry.ID, expected_version: int, on: dt.date | None = None
    ) -> CasePayload:
        return await transition(info.context, id, expected_version, "start_publicity", on)

    @strawberry.mutation(description="An objection during publicity: reopens the investigation.")
    async def record_objection(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        reason: str,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_objection", on,
            {"REASONS_REQUIRED": "reason"}, reason=reason,
        )  # fmt: skip

    @strawberry.mutation(
        description="Confirm (审核确认) at the level the policy names, after publicity (and "
        "verification where required); the benefit starts the month after. The eligibility "
        "engine always decides the stored household again and sets the amount and the members "
        "covered; monthlyAmount sets a lower amount (never above the engine's: AMOUNT_TOO_HIGH) "
        "with reasons (REASONS_REQUIRED)."
    )
    async def confirm_case(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        evaluate: Annotated[
            bool | None,
            strawberry.argument(
                deprecation_reason="confirmation always evaluates; false is refused"
            ),
        ] = None,
        monthly_amount: float | None = None,
        reasons: list[str] | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "confirm_case", on,
            {"INVALID_INPUT": "monthlyAmount", "REASONS_REQUIRED": "reasons"},
            evaluate=evaluate,
            monthly_amount=None if monthly_amount is None else str(monthly_amount),
            reasons=reasons or [],
        )  # fmt: skip

    @strawberry.mutation(description="Refuse (不予确认) at the confirming level, with reasons.")
    async def reject_case(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        reasons: list[str],
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "reject_case", on,
            {"REASONS_REQUIRED": "reasons"}, reasons=reasons,
        )  # fmt: skip

    @strawberry.mutation(
        description="The written notice of a refusal (不予确认书面告知) was given; the case "
        "stays rejected (township officers and county approvers)."
    )
    async def record_refusal_notice(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        note: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_refusal_notice", on, None, note=note
        )

    @strawberry.mutation(
        description="The county's spot-check of a township confirmation (overturned: exit, "
        "found ineligible) or of a tekun file before confirmation; reasons when overturned."
    )
    async def record_spot_check(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        upheld: bool,
        reasons: list[str] | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_spot_check", on,
            {"REASONS_REQUIRED": "reasons"}, upheld=upheld, reasons=reasons or [],
        )  # fmt: skip

    @strawberry.mutation(
        description="Periodic review (复核): the stored household re-evaluated; continue, raise, "
        "lower, phase out (income over the standard and phaseOutMonths given) or exit."
    )
    async def record_review(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        phase_out_months: int | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        months = {c: "phaseOutMonths" for c in ("PHASE_OUT_TOO_LONG", "PHASE_OUT_TOO_SHORT")}
        return await transition(
            info.context, id, expected_version, "record_review", on, months,
            phase_out_months=phase_out_months,
        )  # fmt: skip

    @strawberry.mutation(description="Phase-out (渐退) for months within the policy's bounds.")
    async def start_phase_out(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        months: int,
        on: dt.date | None = None,
    ) -> CasePayload:
        fields = {c: "months" for c in ("PHASE_OUT_TOO_LONG", "PHASE_OUT_TOO_SHORT")}
        return await transition(
            info.context, id, expected_version, "start_phase_out", on, fields, months=months
        )

    @strawberry.mutation(
        description="Income stable during the phase-out: exit the next month, where the policy "
        "provides for it (Ningxia)."
    )
    async def record_income_stable(
        self, info: Info, id: strawberry.ID, expected_version: int, on: dt.date | None = None
    ) -> CasePayload:
        return await transition(info.context, id, expected_version, "record_income_stable", on)

    @strawberry.mutation(description="A refused job offer (counted towards the policy's limit).")
    async def record_work_refusal(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        note: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_work_refusal", on, note=note
        )

    @strawberry.mutation(description="Exit (退出) with a reason; the benefit stops the next month.")
    async def exit_case(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        reason: ExitReason,
        reasons: list[str] | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        fields = {
            "REASONS_REQUIRED": "reasons",
            "REFUSED_WORK_BELOW_LIMIT": "reason",
            "PHASE_OUT_NOT_OVER": "reason",
        }
        return await transition(
            info.context, id, expected_version, "exit_case", on, fields,
            reason=ExitReason(reason).value, reasons=reasons or [],
        )  # fmt: skip

    @strawberry.mutation(
        description="A member of the stored household died (idNumber; NOT_FOUND unless a "
        "member) on dateOfDeath (default: the household's dateOfDeath for them, else the day "
        "recorded): the household is evaluated again without them and the new amount applies "
        "from the month after the death (months paid since are flagged: overpaidFrom; not "
        "eligible or undecided: paid unchanged until the re-check, recheckBy); the head died: "
        "headChangeRequired (due by headChangeDue where the policy sets it); nobody covered "
        "left alive: the case exits (tekun: when the person it covers died)."
    )
    async def record_death(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        id_number: str,
        date_of_death: dt.date | None = None,
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_death", on,
            {"INVALID_INPUT": "dateOfDeath"}, id_number=id_number, date_of_death=date_of_death,
        )  # fmt: skip

    @strawberry.mutation(
        description="After the head died (headChangeRequired): the stored household now names "
        "a living head and a payment account (paymentAccount, 一卡通) held by a living member "
        "(else HEAD_NOT_CHANGED or PAYMENT_ACCOUNT_REQUIRED); clears headChangeRequired and "
        "records headChange (township or county)."
    )
    async def record_head_change(
        self, info: Info, id: strawberry.ID, expected_version: int, on: dt.date | None = None
    ) -> CasePayload:
        return await transition(info.context, id, expected_version, "record_head_change", on)

    @strawberry.mutation(
        description="A home visit to a household in payment (入户核查) by at least the policy's "
        "number of investigators (township or county): lastHomeVisit."
    )
    async def record_home_visit(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        investigators: list[str],
        findings: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_home_visit", on,
            {"TOO_FEW_INVESTIGATORS": "investigators"},
            investigators=investigators, findings=findings,
        )  # fmt: skip

    @strawberry.mutation(
        description="tekun in payment: where the person is cared for, mode centralised (集中供养, "
        "in the institution named) or dispersed (分散供养); township or county: care."
    )
    async def record_care_placement(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        mode: str,
        institution: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_care_placement", on,
            mode=mode, institution=institution,
        )  # fmt: skip

    @strawberry.mutation(
        description="tekun in payment: kind visit (走访探视: lastCareVisit) or carer_assessment "
        "(照料服务评估: lastCareAssessment); township or county."
    )
    async def record_care_visit(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        kind: str,
        note: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_care_visit", on, kind=kind, note=note
        )

    @strawberry.mutation(description="temporary: assistance first (先行救助) by the township.")
    async def assist_first(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        note: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(info.context, id, expected_version, "assist_first", on, note=note)

    @strawberry.mutation(description="temporary: the paperwork after assistance first.")
    async def record_paperwork(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        note: str = "",
        on: dt.date | None = None,
    ) -> CasePayload:
        return await transition(
            info.context, id, expected_version, "record_paperwork", on, note=note
        )


__all__ = [
    "LIST_SIZES",
    "MAX_CASE_PAGE",
    "CaseAmount",
    "CaseConnection",
    "CaseEvent",
    "CaseMutation",
    "CasePayload",
    "CaseQuery",
    "CaseType",
    "SupervisionFinding",
    "case_id",
]
