"""Which steps an official may take on a case on a day, and why not the others (pure).

Nothing here restates a rule of the state machine: each step of
:data:`core.cases.actions.ACTIONS` is *tried* on the case as it is, by the official, on the
day, with the policy of that day, and with its required inputs left empty (:func:`probe_inputs`,
derived from the action's spec). The machine checks who may act, the state, the level, recusal
and the step's preconditions (publicity over, verification passed, the county's visit, the
spot-check) before it looks at the inputs, so the refusal it raises tells whether the step is
open:

- no refusal, or one about the (empty) inputs (:data:`INPUT_CODES`): the step is open, and the
  form asks for its inputs;
- any other refusal: the step is not open today, with the machine's code and message; a
  publicity still running also says until when (``wait_until``).

The transition a probe returns is thrown away: nothing is stored.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.access.roles import User
from core.cases.actions import ACTIONS, CASE_ACTIONS, NEEDS_HOUSEHOLD, SPECS, ActionSpec, Kind
from core.cases.errors import CaseError, PublicityNotOver
from core.cases.machine import STAFF, check_access
from core.cases.model import Case
from core.errors import DoudiError, InvalidInput
from core.households.model import Household
from core.policy.resolution import ResolvedPolicy

# The empty or out-of-range value of each kind of input: it fails the step's own check of that
# input, which comes after every check of who, when and in which state. A flag left unset is
# refused as not a boolean, or read as "no" and then asks for reasons (record_spot_check).
_EMPTY: Mapping[Kind, Any] = MappingProxyType(
    {
        Kind.TEXT: "",
        Kind.LIST: [],
        Kind.BOOL: None,
        Kind.INT: -1,
        Kind.AMOUNT: "",
        Kind.DATE: None,
        Kind.ID: None,
        Kind.RECORDS: [],
    }
)


def probe_inputs(spec: ActionSpec) -> dict[str, Any]:
    """The inputs a probe gives ``spec``'s step: each required input empty (:data:`_EMPTY`),
    the optional ones left to the step's defaults. Derived from the spec, so that a new action
    is probed without anyone writing its probe."""
    return {i.name: copy.copy(_EMPTY[i.kind]) for i in spec.inputs if i.required and not i.store}


# By step; derived from the specs (see probe_inputs).
PROBE_INPUTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {s.name: MappingProxyType(probe_inputs(s)) for s in CASE_ACTIONS if not s.opens}
)

# Refusals about the inputs themselves: the step is open, its form must be filled in.
INPUT_CODES = frozenset(
    {
        "INVALID_INPUT",
        "TOO_FEW_INVESTIGATORS",
        "REASONS_REQUIRED",
        "PHASE_OUT_TOO_SHORT",
        "PHASE_OUT_TOO_LONG",
        "AMOUNT_TOO_HIGH",
        "NOT_FOUND",  # record_death, the refused-work steps: the member named (none yet)
        "CHOICE_REQUIRED",  # record_review: phase out or exit, the official chooses
    }
)


@dataclass(frozen=True, slots=True)
class Availability:
    """One step for one official on one day."""

    action: str  # a name in core.cases.actions.ACTIONS (its spec names the mutation)
    open: bool
    code: str | None = None  # why not (the machine's refusal), when not open
    message: str | None = None
    wait_until: dt.date | None = None  # the first day it may be taken, when only time is missing


def _wait_until(case: Case, exc: DoudiError) -> dt.date | None:
    if isinstance(exc, PublicityNotOver):
        ends = (case.data.get("publicity") or {}).get("ends")
        return dt.date.fromisoformat(str(ends)) if ends else None
    return None


def probe(
    case: Case,
    actor: User,
    policy: ResolvedPolicy,
    on: dt.date,
    action: str,
    household: Household | None,
) -> Availability:
    """Whether ``actor`` may take ``action`` on ``case`` on ``on`` (see the module's docstring)."""
    step = ACTIONS[action]
    spec = SPECS.get(action)
    inputs = {} if spec is None else probe_inputs(spec)
    if action in NEEDS_HOUSEHOLD:  # given the stored household, as the store gives it
        if household is None:
            return Availability(action, False, "NOT_FOUND", "the household is not stored")
        inputs["household"] = household
    try:
        step(case, actor, policy, on, **inputs)
    except (CaseError, InvalidInput) as exc:
        if exc.code in INPUT_CODES:
            return Availability(action, True)
        return Availability(action, False, exc.code, exc.message, _wait_until(case, exc))
    except DoudiError as exc:  # the policy or the household cannot answer: not open
        return Availability(action, False, exc.code, exc.message)
    return Availability(action, True)


def available_actions(
    case: Case,
    actor: User,
    policy_on: Callable[[dt.date], ResolvedPolicy],
    on: dt.date,
    household: Household | None,
    *,
    last_step: dt.date | None = None,
) -> list[Availability]:
    """Every step of :data:`ACTIONS` for ``actor`` on ``case`` on ``on``, in the machine's
    order. ``policy_on(day)`` resolves the merged policy at the case's county on a day;
    ``last_step`` is the day of the case's last step (no step may come before it)."""
    if actor.role not in STAFF:
        why = f"a {actor.role.value} does not act on cases"
        return [Availability(a, False, "FORBIDDEN", why) for a in ACTIONS]
    policy = policy_on(on)
    check_access(actor, case, (j.code for j in policy.chain))
    if last_step is not None and on < last_step:
        why = f"on: {on.isoformat()} is before the case's last step ({last_step.isoformat()})"
        return [Availability(a, False, "INVALID_INPUT", why, last_step) for a in ACTIONS]
    return [probe(case, actor, policy, on, a, household) for a in ACTIONS]


__all__ = [
    "INPUT_CODES",
    "PROBE_INPUTS",
    "Availability",
    "available_actions",
    "probe",
    "probe_inputs",
]
