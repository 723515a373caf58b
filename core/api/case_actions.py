"""Which steps the signed-in official may take on a case now, and why not the others:
``caseActions(id, on)`` (wired into :mod:`core.api.schema` by inheritance of
:class:`CaseActionQuery`).

Each entry names the mutation that takes the step (``recordInvestigation`` ...): its
arguments, types and descriptions are the form, read from the schema itself (introspection),
so a client builds its forms from the API and never from a copy. Whether a step is open is
the state machine's own answer (:mod:`core.cases.availability`): nothing is restated here and
nothing is written.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy.orm import Session

from core.api.cases import CaseType, case_id
from core.api.common import Info
from core.cases import ACTIONS, Case
from core.cases.availability import Availability
from core.cases.store import case_actions
from core.policy.service import today

LIST_SIZES: dict[tuple[str, str], int] = {("CaseActions", "actions"): len(ACTIONS)}


def mutation_name(action: str) -> str:
    head, *rest = action.split("_")
    return head + "".join(w.capitalize() for w in rest)


@strawberry.type(description="One step of a case for the signed-in official on a day.")
class CaseAction:
    action: str = strawberry.field(description="The step (record_investigation ...).")
    mutation: str = strawberry.field(
        description="The mutation that takes it (recordInvestigation ...): its arguments are "
        "the step's inputs."
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
            mutation=mutation_name(a.action),
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


@strawberry.type
class CaseActionQuery:
    @strawberry.field(
        description="The steps the signed-in official may take on a case on a day (default: "
        "today in China; not in the future), and why not the others (token required)."
    )
    async def case_actions(
        self, info: Info, id: strawberry.ID, on: dt.date | None = None
    ) -> CaseActions:
        context = info.context
        context.mark_private()
        base = context.base
        user = await context.user()
        now = today()
        day = on or now
        cid = case_id(str(id))

        def work(s: Session) -> tuple[Case, list[Availability]]:
            return case_actions(s, base, cid, user, day, not_after=now)

        case, found = await context.in_session(work)
        return CaseActions(
            case=CaseType.of(case),
            on=day,
            actions=[CaseAction.of(a) for a in found],
        )


__all__ = ["LIST_SIZES", "CaseAction", "CaseActionQuery", "CaseActions", "mutation_name"]
