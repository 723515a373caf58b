"""How the core's policy objects look outside the core: for ``doudi ... --json`` and the API.

Each ``*_fields`` function is the one place that says which fields a core object shows and what
they hold: snake_case names (the GraphQL API's camelCase names are derived from them), empty
strings as ``None``, dates as ``datetime.date``, enums as enums, and nested core objects (a
value's layer and source, a parameter's overrides ...) left as they are. Two forms are built
on them:

- the plain dicts of this module (``doudi ... --json``): :func:`plain` turns dates into ISO
  strings, enums into their values and nested core objects into their own plain dicts;
- the GraphQL types of :mod:`core.api.policy`, which turn nested core objects into GraphQL
  types (and resolve the costly ones, such as overrides and history, only when asked).

A path no layer sets is ``{"value": None, "is_set": False, ...}``, never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from core.plugin.hookspecs import Constraint, Document, ParameterSpec, Program, Source
from core.policy.catalog import applied, not_applied_note
from core.policy.constraints import ConstraintCheck, PluginConstraint, Violation
from core.policy.jurisdictions import Jurisdiction
from core.policy.model import DatedValue, LayerRef
from core.policy.resolution import ComparisonRow, HistoryEntry, ResolvedParameter
from core.policy.service import PluginSummary

JSON = dict[str, Any]
Fields = dict[str, Any]


def opt(text: str) -> str | None:
    """Empty text (a document without a number, say) is shown as ``None``."""
    return text or None


def iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


# -- canonical fields -----------------------------------------------------------------------------


def jurisdiction_fields(j: Jurisdiction) -> Fields:
    return {
        "code": j.code,
        "name": j.name,
        "level": j.level,
        "parent_code": j.parent_code,
        "since": j.since,
    }


def layer_fields(ref: LayerRef) -> Fields:
    """Who set a value: the jurisdiction and the plugin (or setting) behind it."""
    j = ref.jurisdiction
    return {
        "code": j.code,
        "name": j.name,
        "level": j.level,
        "origin": ref.origin,
        "kind": ref.kind,
        "file": opt(ref.file),
    }


def document_fields(d: Document) -> Fields:
    return {
        "id": d.id,
        "title": d.title,
        "number": opt(d.number),
        "issuer": opt(d.issuer),
        "date": d.date,
        "url": opt(d.url),
        "note": opt(d.note),
    }


def source_fields(s: Source) -> Fields:
    """A value's citation, flattened: the document's fields, then the section and quote."""
    d = s.document
    return {
        "document_id": d.id,
        "title": d.title,
        "number": opt(d.number),
        "issuer": opt(d.issuer),
        "date": d.date,
        "section": opt(s.section),
        "quote": opt(s.quote),
        "url": opt(d.url),
        "note": opt(s.note),
        "document_note": opt(d.note),
    }


def dated_value_fields(v: DatedValue) -> Fields:
    """One value of one layer: what it says, who set it, when (``effective_until`` inclusive)
    and on what authority."""
    return {
        "value": v.value,
        "layer": v.layer,
        "effective_from": v.start,
        "effective_until": v.until,
        "source": v.source,
    }


def winner_fields(w: DatedValue | None) -> Fields:
    """The value that applies (``None``: no layer sets the path) with ``is_set``."""
    if w is None:
        return {
            "value": None,
            "is_set": False,
            "layer": None,
            "effective_from": None,
            "effective_until": None,
            "source": None,
        }
    f = dated_value_fields(w)
    return {"value": f.pop("value"), "is_set": True, **f}


def parameter_fields(p: ResolvedParameter) -> Fields:
    """The answer for one path: the winner (or not set) and every value it overrides; whether
    doudi acts on the path (``applied``, with the note saying why not)."""
    return {
        "path": p.path,
        **winner_fields(p.winner),
        "overrides": p.overrides,
        "applied": applied(p.path),
        "not_applied_note": opt(not_applied_note(p.path)),
    }


def cell_fields(p: ResolvedParameter) -> Fields:
    """One jurisdiction's value in a comparison."""
    return winner_fields(p.winner)


def history_entry_fields(e: HistoryEntry) -> Fields:
    """One stretch of time with one resolved value (``effective_until`` inclusive)."""
    w = winner_fields(e.winner)
    return {
        "effective_from": e.start,
        "effective_until": e.until,
        "value": w["value"],
        "is_set": w["is_set"],
        "layer": w["layer"],
        "source": w["source"],
    }


def constraint_fields(rule: Constraint) -> Fields:
    return {
        "id": rule.id,
        "description": rule.description,
        "path": rule.path,
        "kind": rule.kind,
        "bound_path": rule.bound_path,
        "bound_value": rule.bound_value,
        "multiple": rule.multiple,
        "multiple_path": rule.multiple_path,
        "scope": rule.scope,
        "effective_from": rule.effective_from,
        "effective_until": rule.effective_until,
        "source": rule.source,
        "tags": list(rule.tags),
    }


def plugin_constraint_fields(pc: PluginConstraint) -> Fields:
    return {"plugin": pc.plugin, **constraint_fields(pc.rule)}


def violation_fields(v: Violation) -> Fields:
    """A broken rule or a conflict in time; ``value`` applies, ``other`` is what it breaks."""
    return {
        "kind": v.kind,
        "path": v.path,
        "message": v.message,
        "value": v.value,
        "other": v.other,
        "rule": v.rule,
    }


def constraint_check_fields(c: ConstraintCheck) -> Fields:
    return {
        "rule": c.rule,
        "status": c.status,
        "message": c.message,
        "value": c.value,
        "bound": c.bound,
        "bound_value": c.bound_value,
        "multiple_value": c.multiple_value,
    }


def spec_fields(s: ParameterSpec) -> Fields:
    return {
        "path": s.path,
        "type": s.type,
        "unit": s.unit,
        "description": s.description,
        "label_zh": opt(s.label_zh),
        "choices": list(s.choices),
        "minimum": s.minimum,
        "maximum": s.maximum,
        "applied": applied(s.path),
        "not_applied_note": opt(not_applied_note(s.path)),
    }


def program_fields(p: Program) -> Fields:
    """``scope`` is the code of the jurisdiction where the program exists."""
    return {
        "id": p.id,
        "name": p.name,
        "name_zh": p.name_zh,
        "scope": p.scope,
        "description": opt(p.description),
        "parameters": p.parameters,
        "source": p.source,
    }


def plugin_fields(s: PluginSummary) -> Fields:
    info = s.info
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "module": info.module,
        "builtin": info.builtin,
        "jurisdictions": list(s.jurisdictions),
        "files": list(s.files),
        "programs": list(s.programs),
        "constraints": list(s.constraints),
    }


# -- plain (JSON-ready) forms ---------------------------------------------------------------------


def plain(x: Any) -> Any:
    """``x`` JSON-ready: dates as ISO strings, enums as their values, core objects as dicts."""
    if isinstance(x, Enum):
        return x.value
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    to_fields = _FIELDS.get(type(x))
    if to_fields is None:
        return x  # left to json.dumps
    return plain_fields(to_fields(x))


def plain_fields(fields: Fields) -> JSON:
    """``fields`` JSON-ready (a dict stays a dict)."""
    return {k: plain(v) for k, v in fields.items()}


_FIELDS: dict[type, Callable[[Any], Fields]] = {
    Jurisdiction: jurisdiction_fields,
    LayerRef: layer_fields,
    Document: document_fields,
    Source: source_fields,
    DatedValue: dated_value_fields,
    ResolvedParameter: parameter_fields,
    HistoryEntry: history_entry_fields,
    Constraint: constraint_fields,
    PluginConstraint: plugin_constraint_fields,
    Violation: violation_fields,
    ConstraintCheck: constraint_check_fields,
    ParameterSpec: spec_fields,
    Program: program_fields,
    PluginSummary: plugin_fields,
}


def jurisdiction(j: Jurisdiction) -> JSON:
    return plain_fields(jurisdiction_fields(j))


def layer(ref: LayerRef | None) -> JSON | None:
    return None if ref is None else plain_fields(layer_fields(ref))


def document(d: Document) -> JSON:
    return plain_fields(document_fields(d))


def source(s: Source | None) -> JSON | None:
    return None if s is None else plain_fields(source_fields(s))


def dated_value(v: DatedValue | None) -> JSON | None:
    return None if v is None else plain_fields(dated_value_fields(v))


def parameter(p: ResolvedParameter) -> JSON:
    return plain_fields(parameter_fields(p))


def cell(p: ResolvedParameter) -> JSON:
    return plain_fields(cell_fields(p))


def comparison_row(row: ComparisonRow, codes: Sequence[str]) -> JSON:
    """``codes`` are the compared jurisdictions' codes, in the order the cells were resolved."""
    if len(codes) != len(row.cells):
        raise ValueError(f"{len(codes)} codes for {len(row.cells)} cells")
    return {
        "path": row.path,
        "differs": row.differs,
        "cells": {code: cell(c) for code, c in zip(codes, row.cells, strict=True)},
    }


def history_entry(e: HistoryEntry) -> JSON:
    return plain_fields(history_entry_fields(e))


def constraint(rule: Constraint) -> JSON:
    return plain_fields(constraint_fields(rule))


def plugin_constraint(pc: PluginConstraint | None) -> JSON | None:
    return None if pc is None else plain_fields(plugin_constraint_fields(pc))


def violation(v: Violation, where: Jurisdiction | None = None) -> JSON:
    out: JSON = plain_fields(violation_fields(v))
    if where is not None:
        out = {"jurisdiction": jurisdiction(where), **out}
    return out


def constraint_check(c: ConstraintCheck) -> JSON:
    return plain_fields(constraint_check_fields(c))


def spec(s: ParameterSpec) -> JSON:
    return plain_fields(spec_fields(s))


def program(p: Program) -> JSON:
    return plain_fields(program_fields(p))


def plugin(s: PluginSummary) -> JSON:
    return plain_fields(plugin_fields(s))
