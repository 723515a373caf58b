"""Cases over GraphQL: the workflow mutations, ``case``, ``cases``, ``caseHistory`` and
``supervisionFindings``; a case's ``household`` and ``events``.

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
from core.cases.actions import CASE_ACTIONS, ActionSpec, Input, Kind, Record
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
            data=JSON(data),
            county_code=case.county,
        )

    @strawberry.field(description="The county of the case.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @strawberry.field(description="The household as stored now (token required).")
    async def household(self, info: Info) -> Household:
        record = await info.context.loaders.households.load(int(self.household_id))
        return Household.of(record, info.context.base.registry)

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
    default = inspect.Parameter.empty if i.required else i.default
    return inspect.Parameter(
        i.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


_ID = inspect.Parameter(
    "id",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[strawberry.ID, strawberry.argument(description="The case.")],
)
_EXPECTED_VERSION = inspect.Parameter(
    "expected_version",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[
        int,
        strawberry.argument(
            description="The version the decision was made on (VERSION_CONFLICT if the case "
            "changed since)."
        ),
    ],
)
_ON = inspect.Parameter(
    "on",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[
        Optional[dt.date],  # noqa: UP045  # as the other generated arguments
        strawberry.argument(
            description="The day of the step (default today in China; never in the future nor "
            "before the case's last step)."
        ),
    ],
    default=None,
)


def mutation_field(spec: ActionSpec) -> StrawberryField:
    """The GraphQL mutation of one action: its arguments are the spec's inputs (after ``id``
    and ``expectedVersion`` for a step on a stored case) and ``on``."""

    async def resolve(self: Any, info: Info, **arguments: Any) -> CasePayload:
        return await take(info.context, spec, arguments)

    head = [] if spec.opens else [_ID, _EXPECTED_VERSION]
    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
        inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=Info),
        *head,
        *(_argument(i) for i in spec.inputs),
        _ON,
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

    def work(s: Session, user: User, inputs: dict[str, Any]) -> Case:
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
        user = await context.user()
        inputs = spec.prepare(given)
        case = await context.in_session(lambda s: work(s, user, inputs))
    except DoudiError as exc:
        return CasePayload(case=None, user_errors=user_errors(exc, spec.field_of(exc)))
    context.loaders.clear()
    return CasePayload(case=CaseType.of(case), user_errors=[])


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
        description="Supervision (数字监督) at a jurisdiction and under it on a date (default "
        "today in China): the same person active in two dibao cases, dibao and tekun at once, "
        "the dead still active, near-relative cases without the county's visit, spot-checks not "
        "done (token required)."
    )
    async def supervision_findings(
        self, info: Info, jurisdiction: str, as_of: dt.date | None = None
    ) -> list[SupervisionFinding]:
        return await supervision_findings(info.context, jurisdiction, as_of)


__all__ = [
    "LIST_SIZES",
    "MAX_CASE_PAGE",
    "CaseAmount",
    "CaseConnection",
    "CaseEvent",
    "CasePayload",
    "CaseQuery",
    "CaseType",
    "SupervisionFinding",
    "case_id",
    "case_mutations",
    "mutation_field",
    "record_input",
    "take",
]
