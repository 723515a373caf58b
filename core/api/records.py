"""The stored side of the API: households, eligibility decisions, local settings and the audit
log, for the resolvers of :mod:`core.api.schema`.

Rules every operation here follows:

- it marks the request private (:meth:`~core.api.context.Context.mark_private`): nothing it
  answers is cached, and neither is anything asked with an ``Authorization`` header;
- it needs the database (``DATABASE_UNAVAILABLE`` when the app serves the policy only) and a
  user (``Authorization: Bearer <token>``, authenticated once per request), checked by
  :mod:`core.access.roles` on the jurisdiction concerned before anything is written;
- the library functions run in a worker thread, each with a fresh session and its own
  transaction: a failed mutation writes nothing;
- mutations answer expected failures (any :class:`~core.errors.DoudiError`) as ``userErrors``
  with the input field at fault; queries answer them as GraphQL errors with ``extensions.code``.

``previewEligibility`` is the exception: it reads only the public policy, so it needs no token,
but it is never cached (its answer is about the request's own household, and a cache of them
would hold personal data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from core.access.roles import Action, require
from core.api.context import Context
from core.api.types import (
    AuditEntry,
    CreateHouseholdPayload,
    Decision,
    EvaluateEligibilityPayload,
    Household,
    HouseholdConnection,
    HouseholdEdge,
    HouseholdInput,
    LocalSetting,
    PageInfo,
    ParameterValue,
    PreviewEligibilityPayload,
    RemoveMemberPayload,
    SetLocalParameterInput,
    SetLocalParameterPayload,
    TemporaryRequestInput,
    UpdateHouseholdPayload,
    UserError,
)
from core.eligibility import CORE_PROGRAMS, TemporaryRequest, decision_to_json, evaluate
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction, UnknownParameter
from core.households import store
from core.households.model import InvalidHousehold, parse_household
from core.policy.local_settings import ConstraintRejected
from core.policy.local_store import audit_log, list_local_settings
from core.policy.service import PolicyBase, today

MAX_DECISIONS = 100
MAX_AUDIT = 500
_OWN_AUDIT_LOOKBACK = 50  # audit rows searched for the one a setLocalParameter just wrote


def user_errors(exc: DoudiError, field: str | None = None) -> list[UserError]:
    """``exc`` as userErrors: one per field error of an invalid household or a duplicate
    person, else one at ``field``."""
    if isinstance(exc, InvalidHousehold | store.DuplicatePerson):
        return [UserError(field=e.field, message=e.message, code=e.code) for e in exc.errors]
    return [UserError(field=field, message=exc.message, code=exc.code)]


def household_id(raw: str) -> int:
    """The database id of a household ID (NOT_FOUND for anything that cannot be one)."""
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    raise store.NotFound(f"no household with id {raw!r}")


def _household_field(exc: DoudiError, id_field: str) -> str | None:
    if isinstance(exc, store.NotFound):
        return "idNumber" if "is not a member" in exc.message else id_field
    if isinstance(exc, store.VersionConflict):
        return "expectedVersion"
    if isinstance(exc, InvalidInput) and (
        "head of household" in exc.message or "payment account" in exc.message
    ):
        return "idNumber"  # removeMember: neither the head nor the account holder
    return None


# -- households -----------------------------------------------------------------------------------


async def _write_household(
    context: Context,
    id_field: str,
    work: Callable[..., store.HouseholdRecord],
) -> tuple[Household | None, list[UserError]]:
    """Run a household write for the request's user; (household, []) or (None, userErrors)."""
    context.mark_private()
    registry = context.base.registry
    try:
        user = await context.user()
        record = await context.in_session(lambda s: work(s, user, registry))
    except DoudiError as exc:
        return None, user_errors(exc, _household_field(exc, id_field))
    return Household.of(record, registry), []


async def create_household(context: Context, data: HouseholdInput) -> CreateHouseholdPayload:
    doc = data.to_json()
    household, errors = await _write_household(
        context, "input", lambda s, user, reg: store.create_household(s, user, doc, reg)
    )
    return CreateHouseholdPayload(household=household, user_errors=errors)


async def update_household(
    context: Context, id: str, data: HouseholdInput, expected_version: int | None
) -> UpdateHouseholdPayload:
    doc = data.to_json()

    def work(s: Any, user: Any, reg: Any) -> store.HouseholdRecord:
        return store.update_household(
            s, user, household_id(id), doc, reg, expected_version=expected_version
        )

    household, errors = await _write_household(context, "id", work)
    return UpdateHouseholdPayload(household=household, user_errors=errors)


async def remove_member(
    context: Context, id: str, id_number: str, expected_version: int | None
) -> RemoveMemberPayload:
    def work(s: Any, user: Any, reg: Any) -> store.HouseholdRecord:
        hid = household_id(id)
        return store.remove_member(s, user, hid, id_number, reg, expected_version=expected_version)

    household, errors = await _write_household(context, "householdId", work)
    return RemoveMemberPayload(household=household, user_errors=errors)


async def household(context: Context, id: str) -> Household:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    record = await context.in_session(
        lambda s: store.get_household(s, user, household_id(id), registry)
    )
    return Household.of(record, registry)


async def households(
    context: Context, jurisdiction: str, first: int, after: str | None
) -> HouseholdConnection:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    page = await context.in_session(
        lambda s: store.list_households(s, user, jurisdiction, registry, first=first, after=after)
    )
    edges = [HouseholdEdge(cursor=r.cursor, node=Household.of(r, registry)) for r in page.items]
    return HouseholdConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=page.end_cursor,
        ),
    )


# -- eligibility ----------------------------------------------------------------------------------


def _temporary_request(request: TemporaryRequestInput | None) -> TemporaryRequest | None:
    if request is None:
        return None
    return TemporaryRequest(
        kind=request.kind,  # type: ignore[arg-type]  # checked by TemporaryRequest
        amount=Decimal(str(request.amount)),
        description=request.description,
        major_hardship=request.major_hardship,
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

        def work() -> store.DecisionRecord:
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
    return EvaluateEligibilityPayload(
        decision=Decision.from_json(stored.document, stored), user_errors=[]
    )


async def decisions(context: Context, id: str, program: str | None, first: int) -> list[Decision]:
    context.mark_private()
    if not 1 <= first <= MAX_DECISIONS:
        raise InvalidInput(f"first must be between 1 and {MAX_DECISIONS}")
    registry = context.base.registry
    user = await context.user()
    found = await context.in_session(
        lambda s: store.list_decisions(s, user, household_id(id), registry, program=program)
    )
    return [Decision.from_json(r.document, r) for r in found[:first]]


# -- local settings -------------------------------------------------------------------------------


def _setting_field(exc: DoudiError, path: str) -> str | None:
    if isinstance(exc, UnknownJurisdiction):
        return "jurisdiction"
    if isinstance(exc, UnknownParameter):
        return "path"
    if isinstance(exc, ConstraintRejected):
        return "value"
    if isinstance(exc, InvalidInput):
        # set_local_parameter's messages start with what is wrong (see core.policy.local_settings).
        if exc.message.startswith(f"{path}:"):
            return "value"
        if exc.message.startswith("until"):
            return "until"
        if "source" in exc.message:
            return "source"
    return None


async def set_local_parameter(
    context: Context, data: SetLocalParameterInput
) -> SetLocalParameterPayload:
    """Record a local setting through the runtime's policy provider; the rest of this request
    (and every later one) sees the new merged policy."""
    context.mark_private()
    try:
        runtime = context.require_runtime()
        user = await context.user()
        setting = await context.in_session(
            lambda s: runtime.provider.set_local_parameter(
                s,
                user,
                data.jurisdiction,
                data.path,
                data.value,
                data.effective_from,
                data.until,
                data.source,
            )
        )
    except DoudiError as exc:
        return SetLocalParameterPayload(
            setting=None,
            audit_entry=None,
            parameter=None,
            user_errors=user_errors(exc, _setting_field(exc, data.path)),
        )
    base = await context.in_thread(runtime.provider.current)
    context.base = base
    code = setting.jurisdiction
    entries = await context.in_session(
        lambda s: audit_log(s, user, code, base.registry, limit=_OWN_AUDIT_LOOKBACK)
    )
    entry = next((e for e in entries if e.setting_id == setting.id), None)
    resolved = base.parameter(code, setting.path, setting.effective_from)
    return SetLocalParameterPayload(
        setting=LocalSetting.of(setting),
        audit_entry=AuditEntry.of(entry) if entry is not None else None,
        parameter=ParameterValue.of(resolved, code),
        user_errors=[],
    )


async def local_settings(context: Context, jurisdiction: str) -> list[LocalSetting]:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    found = await context.in_session(lambda s: list_local_settings(s, user, jurisdiction, registry))
    return [LocalSetting.of(x) for x in found]


async def audit(context: Context, jurisdiction: str, first: int) -> list[AuditEntry]:
    context.mark_private()
    if not 1 <= first <= MAX_AUDIT:
        raise InvalidInput(f"first must be between 1 and {MAX_AUDIT}")
    registry = context.base.registry
    user = await context.user()
    found = await context.in_session(
        lambda s: audit_log(s, user, jurisdiction, registry, limit=first)
    )
    return [AuditEntry.of(e) for e in found]


__all__ = [
    "MAX_AUDIT",
    "MAX_DECISIONS",
    "audit",
    "create_household",
    "decisions",
    "evaluate_eligibility",
    "household",
    "household_id",
    "households",
    "local_settings",
    "preview_eligibility",
    "remove_member",
    "set_local_parameter",
    "update_household",
    "user_errors",
]
