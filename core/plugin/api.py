"""The public plugin API: everything a doudi plugin may import, from this one module.

A plugin (a province's, prefecture's or county's package under the ``doudi.plugins`` entry-point
group) imports only from here; the rest of the core may change between releases, this module
changes only with notice. The built-in plugins (``plugins/*``) follow the same rule, and an
import-linter contract in doudi's ``pyproject.toml`` fails the build if one reaches further.

What is here:

- the hook marker :data:`hookimpl` (the hooks themselves are specified, with examples, in
  :mod:`core.plugin.hookspecs`);
- the types hooks return (:mod:`core.plugin.types`): coverage, policy files, programs and their
  parameters, constraints, documents and sources, decisions with their traces, holiday tables,
  campaigns — and report tables with the case facts their lines are counted from
  (:mod:`core.reports.tables`);
- helpers: :func:`policy_files_in` (a plugin's data files), :func:`policy_document` (a document
  as a policy file declares it), :func:`trace_entry` and :func:`not_set_message` (a decision's
  trace and the one wording of a missing value), :func:`add_months`;
- for annotations, the inputs of ``doudi_evaluate_program``: :class:`Household` and
  :class:`Member` (the household model), :class:`ResolvedPolicy` and
  :class:`ResolvedParameter` (the merged policy at the household's county on the date).

The plugin author's guide is ``docs/plugins.md``; ``doudi plugins new NAME --covers CODE`` writes
a plugin that uses this module, and ``pytest --doudi-plugin NAME`` runs the conformance suite.
"""

from __future__ import annotations

import datetime as dt
import importlib
from importlib import resources
from typing import TYPE_CHECKING, Any

from core.plugin.hookspecs import hookimpl, policy_files_in
from core.plugin.types import (
    Campaign,
    CampaignPhase,
    Constraint,
    ConstraintKind,
    Coverage,
    Decision,
    DecisionMode,
    DecisionStatus,
    Document,
    Excluded,
    Ground,
    HolidayTable,
    IncomeComputation,
    MemberFinding,
    ParameterSpec,
    PolicyFile,
    Program,
    Source,
    TraceEntry,
    ValueType,
)
from core.reports.tables import (
    ACTIVE_STATES,
    CaseFacts,
    Count,
    CountRule,
    EventFact,
    EventPick,
    MonthFacts,
    PersonEvent,
    PersonFacts,
    ReportTable,
    TableRow,
    TableSection,
)

if TYPE_CHECKING:
    from core.exchange.kinds import Cite, DataKind, FieldSpec, Meaning
    from core.households.model import Household, Member
    from core.lowincome.model import Category
    from core.policy.resolution import ResolvedParameter, ResolvedPolicy

# Loaded on first use: a plugin is imported whenever the policy is built (every CLI command), and
# most never touch the household model.
_LAZY = {
    # doudi_data_kinds and doudi_low_income_categories return these
    "Category": "core.lowincome.model",
    "Cite": "core.exchange.kinds",
    "DataKind": "core.exchange.kinds",
    "FieldSpec": "core.exchange.kinds",
    "Meaning": "core.exchange.kinds",
    "Household": "core.households.model",
    "Member": "core.households.model",
    "ResolvedParameter": "core.policy.resolution",
    "ResolvedPolicy": "core.policy.resolution",
}

if not TYPE_CHECKING:  # for mypy the names above are plain imports, checked as such

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)


def trace_entry(param: ResolvedParameter) -> TraceEntry:
    """The trace entry of a resolved parameter: its value (or not set), the layer that set it and
    its source. Put one in ``Decision.trace`` for every parameter a decision reads."""
    from core.eligibility.engine import trace_entry as entry

    return entry(param)


def not_set_message(path: str, code: str, as_of: dt.date) -> str:
    """The one wording of a missing parameter, for ``Decision.reasons`` of a ``cannot_decide``
    decision: "cannot decide: `p` is not set for C on D"."""
    from core.eligibility.engine import not_set_message as message

    return message(path, code, as_of)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    from core.eligibility.engine import add_months as add

    return add(day, months)


def policy_document(package: str, file: str, document_id: str, folder: str = "policy") -> Document:
    """The document ``document_id`` as ``<package>/<folder>/<file>`` declares it under
    ``documents:`` — one description of a document for the plugin's values and for what its
    code declares (a campaign, a report table). Raises ``KeyError`` naming the file when the
    file does not declare it."""
    from core.policy.loader import parse_text

    resource = resources.files(package) / folder / file
    data = parse_text(resource.read_text(encoding="utf-8"), file)
    documents = data.get("documents") if isinstance(data, dict) else None
    raw = documents.get(document_id) if isinstance(documents, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        raise KeyError(f"{package}/{folder}/{file} declares no document '{document_id}'")
    day = raw.get("date")
    return Document(
        id=document_id,
        title=raw["title"],
        number=str(raw.get("number", "")),
        issuer=str(raw.get("issuer", "")),
        date=dt.date.fromisoformat(str(day)) if day else None,
        url=str(raw.get("url", "")),
        note=str(raw.get("note", "")),
    )


__all__ = [
    "ACTIVE_STATES",
    "Campaign",
    "CampaignPhase",
    "CaseFacts",
    "Category",
    "Cite",
    "Constraint",
    "ConstraintKind",
    "Count",
    "CountRule",
    "Coverage",
    "DataKind",
    "Decision",
    "DecisionMode",
    "DecisionStatus",
    "Document",
    "EventFact",
    "EventPick",
    "Excluded",
    "FieldSpec",
    "Ground",
    "HolidayTable",
    "Household",
    "IncomeComputation",
    "Meaning",
    "Member",
    "MemberFinding",
    "MonthFacts",
    "ParameterSpec",
    "PersonEvent",
    "PersonFacts",
    "PolicyFile",
    "Program",
    "ReportTable",
    "ResolvedParameter",
    "ResolvedPolicy",
    "Source",
    "TableRow",
    "TableSection",
    "TraceEntry",
    "ValueType",
    "add_months",
    "hookimpl",
    "not_set_message",
    "policy_document",
    "policy_files_in",
    "trace_entry",
]
