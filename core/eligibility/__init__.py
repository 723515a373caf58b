"""The eligibility engine (pure): ``evaluate(household, program, policy, as_of) → Decision``.

    from core.eligibility import decision_to_json, evaluate
    policy = base.resolve(household.county, as_of)
    decision = evaluate(household, "dibao", policy, as_of)
    decision_to_json(decision)        # camelCase, JSON-ready

Programs: "dibao", "low_income", "tekun", "temporary" (with a :class:`TemporaryRequest`) and the
programs plugins add (decided through the ``doudi_evaluate_program`` hook). The rules, and the
choices made where the documents leave room, are in :mod:`core.eligibility.engine`. The decision
types live in :mod:`core.plugin.hookspecs` so that plugins can build them.
"""

from core.eligibility.engine import (
    CORE_PROGRAMS,
    PreparedPolicy,
    TemporaryRequest,
    add_months,
    compute_income,
    evaluate,
    not_set_message,
    prepare,
    trace_entry,
)
from core.eligibility.json import decision_to_json
from core.plugin.hookspecs import (
    Decision,
    DecisionMode,
    DecisionStatus,
    Excluded,
    IncomeComputation,
    MemberFinding,
    TraceEntry,
)

__all__ = [
    "CORE_PROGRAMS",
    "Decision",
    "DecisionMode",
    "DecisionStatus",
    "Excluded",
    "IncomeComputation",
    "MemberFinding",
    "PreparedPolicy",
    "TemporaryRequest",
    "TraceEntry",
    "add_months",
    "compute_income",
    "decision_to_json",
    "evaluate",
    "not_set_message",
    "prepare",
    "trace_entry",
]
