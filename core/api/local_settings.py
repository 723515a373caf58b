"""Local settings over GraphQL: ``setLocalParameter`` (a county approver or province
administrator records a value for their jurisdiction: validated, checked against the plugins'
rules, audited), ``localSettings`` and ``auditLog``.

Local settings are stored data: a token is needed and nothing is cached (see
:mod:`core.api.common`). The rules are those of :mod:`core.policy.local_settings`; storage is
:mod:`core.policy.local_store`, reached through the runtime's policy provider so that the rest
of the request (and every later one) sees the new merged policy.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from core.api.common import Info, UserError, user_errors
from core.api.context import Context
from core.api.policy import Jurisdiction, ParameterValue
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction, UnknownParameter
from core.policy.local_settings import AuditEntry as AuditRecord
from core.policy.local_settings import ConstraintRejected
from core.policy.local_settings import LocalSetting as LocalSettingRecord
from core.policy.local_store import audit_log, list_local_settings

MAX_AUDIT = 500
_OWN_AUDIT_LOOKBACK = 50  # audit rows searched for the one a setLocalParameter just wrote
PARAMETERS_ESTIMATE = 100

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "auditLog"): MAX_AUDIT,
    ("Query", "localSettings"): PARAMETERS_ESTIMATE,
}


@strawberry.input(description="A value an official sets for a catalog path at a jurisdiction.")
class SetLocalParameterInput:
    jurisdiction: str = strawberry.field(description="GB/T 2260 code.")
    path: str = strawberry.field(description="A catalog path, e.g. dibao.standard.urban.")
    value: JSON = strawberry.field(description="A value of the parameter's type.")
    effective_from: dt.date
    until: dt.date | None = strawberry.field(
        default=None, description="Last day in effect (inclusive); null: until replaced."
    )
    source: str = strawberry.field(
        description="The document setting the value (title, number, date), in your words."
    )


@strawberry.type(description="A value set by an official for their jurisdiction (a local layer).")
class LocalSetting:
    id: strawberry.ID
    path: str
    value: JSON
    effective_from: dt.date
    until: dt.date | None = strawberry.field(
        description="Last day in effect (inclusive); null: until the next setting."
    )
    source: str = strawberry.field(description="The source as the official cited it.")
    set_by: str = strawberry.field(description="The user who last set it.")
    updated_at: dt.datetime
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, s: LocalSettingRecord) -> LocalSetting:
        return cls(
            id=strawberry.ID(str(s.id)),
            path=s.path,
            value=s.value,
            effective_from=s.effective_from,
            until=s.until,
            source=s.source_text,
            set_by=s.set_by,
            updated_at=s.updated_at,
            jurisdiction_code=s.jurisdiction,
        )

    @strawberry.field
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


@strawberry.type(description="Who set which local value when, and what it replaced.")
class AuditEntry:
    id: strawberry.ID
    at: dt.datetime
    user: str
    role: str
    setting_id: strawberry.ID
    path: str
    effective_from: dt.date
    until: dt.date | None
    old_value: JSON | None = strawberry.field(
        description="What the merged policy said there on effectiveFrom (null: not set)."
    )
    old_origin: str | None = strawberry.field(
        description="Who set the old value: local, a plugin's name or national."
    )
    new_value: JSON
    source: str
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, e: AuditRecord) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(e.id)),
            at=e.at,
            user=e.user,
            role=e.role,
            setting_id=strawberry.ID(str(e.setting_id)),
            path=e.path,
            effective_from=e.effective_from,
            until=e.until,
            old_value=e.old_value,
            old_origin=e.old_origin,
            new_value=e.new_value,
            source=e.source_text,
            jurisdiction_code=e.jurisdiction,
        )

    @strawberry.field
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


@strawberry.type(
    description="The setting, its audit entry (old and new value) and the parameter as the "
    "merged policy now resolves it at the jurisdiction on effectiveFrom; or userErrors "
    "(nothing written)."
)
class SetLocalParameterPayload:
    setting: LocalSetting | None
    audit_entry: AuditEntry | None
    parameter: ParameterValue | None
    user_errors: list[UserError]


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


# -- root fields ----------------------------------------------------------------------------------


@strawberry.type
class LocalSettingQuery:
    @strawberry.field(description="Local settings at a jurisdiction and under it (token required).")
    async def local_settings(self, info: Info, jurisdiction: str) -> list[LocalSetting]:
        return await local_settings(info.context, jurisdiction)

    @strawberry.field(
        description="Who set which local value when, at a jurisdiction and under it, newest "
        "first (token required)."
    )
    async def audit_log(
        self, info: Info, jurisdiction: str, first: int | None = 100
    ) -> list[AuditEntry]:
        return await audit(info.context, jurisdiction, 100 if first is None else first)


@strawberry.type
class LocalSettingMutation:
    @strawberry.mutation(
        description="Record a local value (county approvers and province administrators, "
        "within their jurisdiction): validated, checked against the plugins' rules, audited."
    )
    async def set_local_parameter(
        self, info: Info, input: SetLocalParameterInput
    ) -> SetLocalParameterPayload:
        return await set_local_parameter(info.context, input)


__all__ = [
    "LIST_SIZES",
    "MAX_AUDIT",
    "AuditEntry",
    "LocalSetting",
    "LocalSettingMutation",
    "LocalSettingQuery",
    "SetLocalParameterInput",
    "SetLocalParameterPayload",
]
