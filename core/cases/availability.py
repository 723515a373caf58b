"""Which steps an official may take on a case on a day, and why not the others (pure).

Nothing here restates a rule of the state machine: each step of
:data:`core.cases.actions.ACTIONS` is *tried* on the case as it is, by the official, on the
day, with the policy of that day, and with inputs left empty (:data:`PROBE_INPUTS`). The
machine checks who may act, the state, the level, recusal and the step's preconditions
(publicity over, verification passed, the county's visit, the spot-check) before it looks at
the inputs, so the refusal it raises tells whether the step is open:

- no refusal, or one about the (empty) inputs (:data:`INPUT_CODES`): the step is open, and the
  form asks for its inputs;
- any other refusal: the step is not open today, with the machine's code and message; a
  publicity still running also says until when (``wait_until``).

The transition a probe returns is thrown away: nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.access.roles import User
from core.cases.actions import ACTIONS, NEEDS_HOUSEHOLD
from core.cases.errors import CaseError, PublicityNotOver
from core.cases.machine import STAFF, check_access
from core.cases.model import Case
from core.errors import DoudiError, InvalidInput
from core.households.model import Household
from core.policy.resolution import ResolvedPolicy

# Empty or out-of-range inputs: each fails the step's own input check, which comes after every
# check of who, when and in which state.
PROBE_INPUTS: Mapping[str, Mapping[str, Any]] = {
    "record_investigation": {"investigators": []},
    "record_verification": {"passed": None},
    "record_self_care": {"failed_indicators": -1},
    "record_first_review": {},
    "start_publicity": {},
    "record_objection": {"reason": ""},
    "confirm_case": {},
    "reject_case": {"reasons": []},
    "record_refusal_notice": {},
    "record_spot_check": {"upheld": True},
    "record_review": {},
    "start_phase_out": {"months": 0},
    "record_income_stable": {},
    "record_work_refusal": {},
    "exit_case": {"reason": ""},
    "record_death": {"id_number": ""},
    "record_head_change": {},
    "record_home_visit": {"investigators": []},
    "record_care_placement": {"mode": ""},
    "record_care_visit": {"kind": ""},
    "assist_first": {},
    "record_paperwork": {},
}

# Refusals about the inputs themselves: the step is open, its form must be filled in.
INPUT_CODES = frozenset(
    {
        "INVALID_INPUT",
        "TOO_FEW_INVESTIGATORS",
        "REASONS_REQUIRED",
        "PHASE_OUT_TOO_SHORT",
        "PHASE_OUT_TOO_LONG",
        "AMOUNT_TOO_HIGH",
        "NOT_FOUND",  # record_death: the member named (none yet)
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
    inputs = dict(PROBE_INPUTS.get(action, {}))
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
]
