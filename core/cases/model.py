"""Cases and their events as plain values (no I/O), and their JSON forms.

A :class:`Case` is one application for one program by one household, with its state, its
``version`` (increased by every transition: optimistic concurrency) and ``data``, a JSON-ready
dict of what the steps recorded. A :class:`CaseEvent` describes one transition: who (id, name,
role, jurisdiction), when, from which state to which, the inputs, the reasons and every policy
value used, with its layer and source (:class:`core.plugin.hookspecs.TraceEntry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.access.roles import User
from core.cases.selection import SelectionRequest
from core.eligibility.json import trace_to_json
from core.plugin.hookspecs import TraceEntry

PROGRAMS = ("dibao", "tekun", "temporary")


class CaseState(StrEnum):
    ACCEPTED = "accepted"  # 受理: waiting for the investigation (again, after an objection)
    INVESTIGATED = "investigated"  # 入户调查 recorded
    FIRST_REVIEWED = "first_reviewed"  # 乡镇初审
    IN_PUBLICITY = "in_publicity"  # 公示
    ACTIVE = "active"  # 在保: confirmed, benefit paid from the month after approval
    PHASING_OUT = "phasing_out"  # 渐退期
    EXITED = "exited"  # 退出 (terminal)
    REJECTED = "rejected"  # 不予确认 (terminal)
    ASSISTED = "assisted"  # temporary: 先行救助 given, paperwork pending
    GRANTED = "granted"  # temporary: one-off assistance approved (terminal)


TERMINAL = frozenset({CaseState.EXITED, CaseState.REJECTED, CaseState.GRANTED})


class ExitReason(StrEnum):
    INCOME_OVER_STANDARD = "income_over_standard"
    DEATH = "death"
    MOVED_AWAY = "moved_away"
    REFUSED_WORK = "refused_work"
    FOUND_INELIGIBLE = "found_ineligible"


@dataclass(frozen=True, slots=True)
class Case:
    id: int  # 0 until stored
    household_id: int
    program: str
    county: str
    state: CaseState
    version: int
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActorRef:
    id: int
    name: str
    role: str
    jurisdiction: str

    @classmethod
    def of(cls, user: User) -> ActorRef:
        return cls(user.id, user.name, str(user.role), user.jurisdiction)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    action: str
    from_state: CaseState | None  # None: the case was opened
    to_state: CaseState
    on: dt.date
    actor: ActorRef
    inputs: Mapping[str, Any]
    reasons: tuple[str, ...]
    policy: tuple[TraceEntry, ...]


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of a step: the case after it and the event that records it.

    ``selection``: the step adds a decision to a spot-check pool whose minimum must hold per
    county and month; the store decides it against the running count (``data[field].selected``
    is None until then, see :func:`core.cases.machine.with_selection`)."""

    case: Case
    event: CaseEvent
    selection: SelectionRequest | None = None
    selection_field: str = "spotCheck"


# Values returned as they are (exact types: a StrEnum, a subclass of str, takes the long way).
_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Make ``value`` JSON-ready: dates as ISO text, Decimal as text, tuples as lists."""
    kind = type(value)  # exact types first: isinstance against an ABC is slow (see _PLAIN)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def case_to_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "householdId": case.household_id,
        "program": case.program,
        "county": case.county,
        "state": case.state.value,
        "version": case.version,
        "data": jsonable(case.data),
    }


def event_to_json(event: CaseEvent) -> dict[str, Any]:
    """The event as stored and hashed (JSON-ready, stable key names)."""
    return {
        "action": event.action,
        "fromState": None if event.from_state is None else event.from_state.value,
        "toState": event.to_state.value,
        "on": event.on.isoformat(),
        "actor": {
            "id": event.actor.id,
            "name": event.actor.name,
            "role": event.actor.role,
            "jurisdiction": event.actor.jurisdiction,
        },
        "inputs": jsonable(event.inputs),
        "reasons": list(event.reasons),
        "policy": [jsonable(trace_to_json(t)) for t in event.policy],
    }


__all__ = [
    "PROGRAMS",
    "TERMINAL",
    "ActorRef",
    "Case",
    "CaseEvent",
    "CaseState",
    "ExitReason",
    "Transition",
    "case_to_json",
    "event_to_json",
    "jsonable",
]
