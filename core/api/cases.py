"""Cases over GraphQL: the workflow mutations, ``case``, ``cases``, ``caseHistory``,
``caseActions`` (the steps open to the official now), ``caseActionSpecs`` (every action's
spec, for forms) and ``supervisionFindings``; a case's ``household`` and ``events``.

The mutations are generated, one per action of :data:`core.cases.actions.CASE_ACTIONS`: name,
description, arguments (their types, defaults and descriptions) and the argument each refusal
points at come from the action's spec (:func:`case_mutations`), and the inputs are checked by the
spec as on the command line. The rules are those of the state machine (:mod:`core.cases`) and
the store (:mod:`core.cases.store`); this module adds the request's user and date and the GraphQL
forms:

- every operation needs a token and marks the request private (nothing is cached);
- a mutation names the version it was decided on (``expectedVersion``) and the day of the step
  (``on``, default today in China; never in the future nor before the case's last step); a
  refusal is answered as ``userErrors`` with the state machine's code (INVALID_TRANSITION,
  WRONG_LEVEL, FORBIDDEN, RECUSAL_REQUIRED, VERIFICATION_REQUIRED, VERSION_CONFLICT ...) and
  nothing is written;
- the policy is the request's merged policy (plugins and local settings), resolved at the case's
  county on ``on``;
- reads check the jurisdiction: a case outside the user's is FORBIDDEN. A list's households and
  events come through the request's DataLoaders (:class:`core.api.context.Loaders`).
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable, Mapping
from functools import cache
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types.field import StrawberryField

from core.access.roles import Action, User, authorize
from core.api.common import Info, PageInfo, UserError, database_id, user_errors
from core.api.context import Context
from core.api.households import Household, input_json
from core.api.policy import Jurisdiction, TraceEntry
from core.cases import PROGRAMS, Case, CaseNotFound, CaseState, ExitReason, store
from core.cases.actions import CASE_ACTIONS, SPECS, ActionSpec, Input, Kind, Record
from core.cases.availability import Availability
from core.cases.store import EventRecord
from core.errors import DoudiError, InvalidInput
from core.policy.service import today
from core.storage.cursors import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_CASE_PAGE = 50
MAX_CASE_PAGE = 100
HISTORY_ESTIMATE = 200  # events of one case, for the cost estimate (reviews add one a year)
# Events of each case of a list: a case in payment adds about ten a year (review, home visits,
# verifications, care visits); caseHistory keeps the larger bound for the one case it reads.
EVENTS_ESTIMATE = 50
FINDINGS_ESTIMATE = 500

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("CaseConnection", "edges"): MAX_CASE_PAGE,
    ("Query", "caseHistory"): HISTORY_ESTIMATE,
    ("Case", "events"): EVENTS_ESTIMATE,
    ("CaseEvent", "policy"): 40,
    ("Query", "supervisionFindings"): FINDINGS_ESTIMATE,
    ("CaseActions", "actions"): len(CASE_ACTIONS),
    ("Query", "caseActionSpecs"): len(CASE_ACTIONS),
    ("CaseActionSpec", "arguments"): max(len(s.signature) for s in CASE_ACTIONS),
    ("CaseActionSpec", "states"): len(PROGRAMS),
    ("CaseActionArgument", "fields"): 10,
}

strawberry.enum(
    ExitReason,
    name="ExitReason",
    description="Why a case exits: income over the standard, death, moved away, refused work "
    "(after the policy's number of refusals), found ineligible (reasons required).",
)


def case_id(raw: str) -> int:
    """The database id of a case ID (NOT_FOUND for anything that cannot be one)."""
    cid = database_id(raw)
    if cid is None:
        raise CaseNotFound(f"no case with id {raw!r}")
    return cid


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
        description="Whether the county's spot-check selected this case (by the running count "
        "of its county and month, so that the policy's minimum holds in every county and "
        "month); null when no spot-check applies."
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
            data=JSON(data),
            county_code=case.county,
        )

    @strawberry.field(description="The county of the case.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @strawberry.field(description="The household as stored now (token required).")
    async def household(self, info: Info) -> Household:
        context = info.context
        record = await context.loaders.households.load(int(self.household_id))
        return Household.of(record, context.base.registry, await context.user())

    @strawberry.field(
        description="The case's audit trail, oldest first, as caseHistory gives it (token "
        "required)."
    )
    async def events(self, info: Info) -> list[CaseEvent]:
        return [CaseEvent.of(e) for e in await info.context.loaders.events.load(int(self.id))]


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
    def of(cls, e: EventRecord) -> CaseEvent:
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
            inputs=JSON(doc.get("inputs") or {}),
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


# -- the mutations, generated from the actions' specs --------------------------------------------

_SCALARS: Mapping[Kind, Any] = {
    Kind.TEXT: str,
    Kind.LIST: list[str],
    Kind.BOOL: bool,
    Kind.INT: int,
    Kind.AMOUNT: float,
    Kind.DATE: dt.date,
    Kind.ID: strawberry.ID,
}


@cache
def record_input(record: Record) -> type[Any]:
    """The GraphQL input type of a record (``NearRelativeInput``), built once per record."""
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__annotations__": {
            f.name: strawberry.ID if f.kind is Kind.ID else str for f in record.fields
        },
    }
    for f in record.fields:
        namespace[f.name] = strawberry.field(description=f.description)
    cls = type(f"{record.name}Input", (), namespace)
    return strawberry.input(cls, name=f"{record.name}Input", description=record.description)


def _argument(i: Input) -> inspect.Parameter:
    """The GraphQL argument of input ``i``: required → non-null without default; a default of
    "" → non-null with it; else nullable, null by default (the step's own default applies)."""
    if i.kind is Kind.RECORDS:
        assert i.record is not None
        kind: Any = GenericAlias(list, (record_input(i.record),))  # list[NearRelativeInput]
    elif i.enum is not None:
        kind = i.enum
    else:
        kind = _SCALARS[i.kind]
    nullable = not i.required and i.default is None
    annotation: Any = Annotated[
        Optional[kind] if nullable else kind,  # noqa: UP045  # kind is a value, not a type
        strawberry.argument(description=i.description, deprecation_reason=i.deprecated),
    ]
    default = inspect.Parameter.empty if i.required else i.default_value
    return inspect.Parameter(
        i.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def mutation_field(spec: ActionSpec) -> StrawberryField:
    """The GraphQL mutation of one action: its arguments are the spec's
    :attr:`~core.cases.actions.ActionSpec.signature` (its inputs, after ``id`` and
    ``expectedVersion`` for a step on a stored case, then ``on``)."""

    async def resolve(self: Any, info: Info, **arguments: Any) -> CasePayload:
        return await take(info.context, spec, arguments)

    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
        inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=Info),
        *(_argument(i) for i in spec.signature),
    ]
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # read by strawberry
        parameters, return_annotation=CasePayload
    )
    resolve.__name__ = resolve.__qualname__ = spec.name
    field: StrawberryField = strawberry.mutation(
        resolver=resolve, name=spec.graphql_name, description=spec.description
    )
    return field


def case_mutations(specs: Iterable[ActionSpec] = CASE_ACTIONS) -> type[Any]:
    """The type holding one mutation per action of ``specs`` (the schema's ``Mutation``
    inherits it; a schema built from other specs has their mutations)."""
    namespace: dict[str, Any] = {"__module__": __name__}
    for spec in specs:
        namespace[spec.name] = mutation_field(spec)
    return strawberry.type(type("CaseMutation", (), namespace))


def _given(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as plain values (input objects as their JSON, camelCase keys)."""
    return {k: input_json(v) for k, v in arguments.items()}


def _refusal(spec: ActionSpec, exc: DoudiError) -> list[UserError]:
    """``exc`` as userErrors, at the argument the spec says it is about: an error's own field
    (MemberNotFound: idNumber) only where this mutation has that argument (recordReview's
    member is causeMember)."""
    errors = user_errors(exc, spec.field_of(exc))
    if len(errors) == 1 and not getattr(exc, "errors", None):
        errors[0].field = spec.field_of(exc)
    return errors


async def take(context: Context, spec: ActionSpec, arguments: Mapping[str, Any]) -> CasePayload:
    """Take action ``spec`` with the mutation's ``arguments``: the spec checks the inputs (after
    the user is known), then the store (:func:`core.cases.store.open_case` or
    :func:`~core.cases.store.apply_transition`) checks, in order, ``on`` not in the future, who
    may act, the version, ``on`` not before the case's last step, then the step's rules."""
    context.mark_private()
    base = context.base
    given = _given(arguments)
    on: dt.date | None = given.pop("on", None)
    raw_id = given.pop("id", None)
    expected_version = given.pop("expected_version", None)

    def work(s: Session, user: User) -> Case:
        inputs = spec.prepare(given)  # once the user is known: an outsider learns nothing
        now = today()
        if spec.opens:
            case, _ = store.open_case(s, base, user, on or now, not_after=now, **inputs)
        else:
            case, _ = store.apply_transition(
                s, base, case_id(str(raw_id)), int(expected_version), spec.name, user,
                on or now, not_after=now, **inputs,
            )  # fmt: skip
        return case

    try:
        case = await context.as_user(work)  # the token, then the step: one thread, one session
    except DoudiError as exc:
        return CasePayload(case=None, user_errors=_refusal(spec, exc))
    context.loaders.clear()
    return CasePayload(case=CaseType.of(case), user_errors=[])


# -- the actions' specs, and which are open to the official now ---------------------------------

strawberry.enum(
    Kind,
    name="CaseActionInputKind",
    description="What an argument of a case action takes: TEXT (a name from choices where they "
    "are given), LIST (of texts), BOOL, INT (a whole number), AMOUNT (yuan), DATE, ID (a stored "
    "record), RECORDS (a list of small records; see fields).",
)

# The GraphQL type of each kind, as a query declares it (what _argument builds from _SCALARS).
_TYPE_NAMES: Mapping[Kind, str] = {
    Kind.TEXT: "String",
    Kind.LIST: "[String!]",
    Kind.BOOL: "Boolean",
    Kind.INT: "Int",
    Kind.AMOUNT: "Float",
    Kind.DATE: "Date",
    Kind.ID: "ID",
}


def graphql_type(i: Input) -> str:
    """The type of input ``i``'s argument as a query declares its variable (``[String!]``,
    ``ExitReason!``, ``[NearRelativeInput!]``): the type :func:`_argument` gives it."""
    if i.kind is Kind.RECORDS:
        assert i.record is not None
        base = f"[{i.record.name}Input!]"
    elif i.enum is not None:
        base = i.enum.__name__
    else:
        base = _TYPE_NAMES[i.kind]
    return base if not i.required and i.default is None else f"{base}!"


@strawberry.type(description="A field of each record a RECORDS argument takes.")
class CaseActionRecordField:
    name: str
    kind: Kind
    type: str = strawberry.field(description="Its GraphQL type (in the record's input type).")
    description: str


@strawberry.type(
    description="One argument of a case action's mutation, as the action's spec declares it: "
    "enough to build its form and the mutation's query."
)
class CaseActionArgument:
    name: str = strawberry.field(description="The argument's name (camelCase).")
    type: str = strawberry.field(
        description="Its GraphQL type as a query declares a variable for it (String!, "
        "[String!], ExitReason!, Date ...)."
    )
    kind: Kind
    description: str
    required: bool = strawberry.field(description="The action cannot be taken without it.")
    default: str | None = strawberry.field(
        description='What applies when it is left out ("" for a note); null: the step\'s own '
        "default."
    )
    choices: list[str] = strawberry.field(
        description="The only values taken, as sent in GraphQL (an enum's names); empty: any."
    )
    programs: list[str] = strawberry.field(
        description="submitApplication: taken only for these programs (empty: every program)."
    )
    deprecation_reason: str | None
    fields: list[CaseActionRecordField] = strawberry.field(
        description="RECORDS: the fields of each record (empty otherwise)."
    )

    @classmethod
    def of(cls, i: Input) -> CaseActionArgument:
        enum = i.enum
        record = i.record
        return cls(
            name=i.key,
            type=graphql_type(i),
            kind=i.kind,
            description=i.description,
            required=i.required,
            default=i.default,
            choices=[enum(c).name for c in i.choices] if enum is not None else list(i.choices),
            programs=list(i.programs),
            deprecation_reason=i.deprecated,
            fields=[]
            if record is None
            else [
                CaseActionRecordField(
                    name=f.key,
                    kind=f.kind,
                    type="ID!" if f.kind is Kind.ID else "String!",
                    description=f.description,
                )
                for f in record.fields
            ],
        )


@strawberry.type(description="The states of one program an action is taken in.")
class CaseActionStates:
    program: str
    states: list[str]


@strawberry.type(
    description="A case action as declared once (core.cases.actions), from which its mutation, "
    "the command line (doudi cases act) and docs/case-actions.md are generated: who may take "
    "it, in which programs and states, and its mutation's arguments in order."
)
class CaseActionSpec:
    action: str = strawberry.field(description="The step (record_investigation ...).")
    mutation: str = strawberry.field(description="The mutation that takes it.")
    description: str
    roles: list[str] = strawberry.field(description="Who may ever take it.")
    by_level: bool = strawberry.field(
        description="Only at the level the policy names for the case (township officer or "
        "county approver)."
    )
    opens: bool = strawberry.field(description="It opens a case (no id, no expectedVersion).")
    programs: list[str]
    states: list[CaseActionStates] = strawberry.field(
        description="The states it is taken in, by program (empty when it opens a case)."
    )
    arguments: list[CaseActionArgument] = strawberry.field(
        description="The mutation's arguments in order (id and expectedVersion first for a "
        "step on a stored case; on last)."
    )

    @classmethod
    def of(cls, spec: ActionSpec) -> CaseActionSpec:
        return cls(
            action=spec.name,
            mutation=spec.graphql_name,
            description=spec.description,
            roles=[r.value for r in spec.roles],
            by_level=spec.by_level,
            opens=spec.opens,
            programs=list(spec.programs),
            states=[
                CaseActionStates(program=p, states=[s.value for s in states])
                for p, states in spec.states.items()
            ],
            arguments=[CaseActionArgument.of(i) for i in spec.signature],
        )


@strawberry.type(description="One step of a case for the signed-in official on a day.")
class CaseAction:
    action: str = strawberry.field(description="The step (record_investigation ...).")
    mutation: str = strawberry.field(
        description="The mutation that takes it (recordInvestigation ...); its form is in "
        "caseActionSpecs."
    )
    open: bool = strawberry.field(description="Whether the official may take it on the day.")
    code: str | None = strawberry.field(
        description="Why not (the refusal the step would meet: INVALID_TRANSITION, "
        "WRONG_LEVEL, PUBLICITY_NOT_OVER, VERIFICATION_REQUIRED ...)."
    )
    message: str | None
    wait_until: dt.date | None = strawberry.field(
        description="The first day it may be taken, when only time is missing (publicity)."
    )

    @classmethod
    def of(cls, a: Availability) -> CaseAction:
        return cls(
            action=a.action,
            mutation=SPECS[a.action].graphql_name,
            open=a.open,
            code=a.code,
            message=a.message,
            wait_until=a.wait_until,
        )


@strawberry.type(description="A case and the steps open to the signed-in official on a day.")
class CaseActions:
    case: CaseType
    on: dt.date
    actions: list[CaseAction] = strawberry.field(description="Every step, open ones and not.")


async def case_actions(context: Context, id: str, on: dt.date | None) -> CaseActions:
    """Which steps the request's user may take on case ``id`` on ``on`` (default today; not in
    the future), each tried on the state machine itself (:mod:`core.cases.availability`);
    nothing is written."""
    context.mark_private()
    base = context.base
    user = await context.user()
    now = today()
    day = on or now

    def work(s: Session) -> tuple[Case, list[Availability]]:
        return store.case_actions(s, base, case_id(id), user, day, not_after=now)

    case, found = await context.in_session(work)
    return CaseActions(case=CaseType.of(case), on=day, actions=[CaseAction.of(a) for a in found])


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

    def work(s: Session) -> list[EventRecord]:
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
            detail=None if f.detail is None else JSON(dict(f.detail)),
        )
        for f in found
    ]


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
        description="The steps the signed-in official may take on a case on a day (default: "
        "today in China; not in the future), and why not the others (token required)."
    )
    async def case_actions(
        self, info: Info, id: strawberry.ID, on: dt.date | None = None
    ) -> CaseActions:
        return await case_actions(info.context, id, on)

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


def case_queries(specs: Iterable[ActionSpec] = CASE_ACTIONS) -> type[Any]:
    """:class:`CaseQuery` with ``caseActionSpecs`` answering ``specs``: the schema's ``Query``
    inherits it, built from the specs its mutations are generated from."""
    answer = tuple(CaseActionSpec.of(spec) for spec in specs)

    def case_action_specs() -> list[CaseActionSpec]:
        return list(answer)

    namespace: dict[str, Any] = {"__module__": __name__}
    namespace["case_action_specs"] = strawberry.field(
        resolver=case_action_specs,
        name="caseActionSpecs",
        description="Every case action as declared (core.cases.actions): its mutation, who may "
        "take it where, and its arguments with their types, defaults, allowed values and "
        "descriptions. A client builds its forms from this (public; no token needed).",
    )
    return strawberry.type(type("CaseQuery", (CaseQuery,), namespace))


__all__ = [
    "LIST_SIZES",
    "MAX_CASE_PAGE",
    "CaseAction",
    "CaseActionArgument",
    "CaseActionRecordField",
    "CaseActionSpec",
    "CaseActionStates",
    "CaseActions",
    "CaseAmount",
    "CaseConnection",
    "CaseEvent",
    "CasePayload",
    "CaseQuery",
    "CaseType",
    "SupervisionFinding",
    "case_actions",
    "case_id",
    "case_mutations",
    "case_queries",
    "graphql_type",
    "mutation_field",
    "record_input",
    "take",
]
