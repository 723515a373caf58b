"""Plain-dict forms of policy answers: JSON-ready (dates as ISO strings), snake_case keys.

Used by ``doudi ... --json``. A path no layer sets is ``{"value": null, "is_set": false}``,
never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.constraints import ConstraintCheck, PluginConstraint, Violation
from core.hookspecs import Constraint, Document, ParameterSpec, Program, Source
from core.jurisdictions import Jurisdiction
from core.policy_model import DatedValue, LayerRef
from core.policy_service import PluginSummary
from core.resolution import ComparisonRow, HistoryEntry, ResolvedParameter

JSON = dict[str, Any]


def iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def jurisdiction(j: Jurisdiction) -> JSON:
    return {
        "code": j.code,
        "name": j.name,
        "level": j.level.value,
        "parent_code": j.parent_code,
        "since": j.since,
    }


def layer(ref: LayerRef | None) -> JSON | None:
    if ref is None:
        return None
    j = ref.jurisdiction
    return {
        "code": j.code,
        "name": j.name,
        "level": j.level.value,
        "origin": ref.origin,
        "kind": ref.kind.value,
        "file": ref.file,
    }


def document(d: Document) -> JSON:
    return {
        "id": d.id,
        "title": d.title,
        "number": d.number,
        "issuer": d.issuer,
        "date": iso(d.date),
        "url": d.url,
        "note": d.note,
    }


def source(s: Source | None) -> JSON | None:
    """A value's citation, flattened: the document's fields, then the section and quote."""
    if s is None:
        return None
    d = s.document
    return {
        "document_id": d.id,
        "title": d.title,
        "number": d.number,
        "issuer": d.issuer,
        "date": iso(d.date),
        "section": s.section,
        "quote": s.quote,
        "url": d.url,
        "note": s.note,
        "document_note": d.note,
    }


def dated_value(v: DatedValue | None) -> JSON | None:
    """One value of one layer: what it says, where, when and on what authority."""
    if v is None:
        return None
    return {
        "value": v.value,
        "layer": layer(v.layer),
        "effective_from": iso(v.start),
        "effective_until": iso(v.until),
        "source": source(v.source),
    }


def parameter(p: ResolvedParameter) -> JSON:
    """The answer for one path: the winner (or not set) and every value it overrides."""
    return {
        "path": p.path,
        "value": p.value,
        "is_set": p.is_set,
        "layer": layer(p.layer),
        "effective_from": iso(p.effective_from),
        "effective_until": iso(p.effective_until),
        "source": source(p.source),
        "overrides": [dated_value(o) for o in p.overrides],
    }


def cell(p: ResolvedParameter) -> JSON:
    """One jurisdiction's value in a comparison."""
    return {
        "value": p.value,
        "is_set": p.is_set,
        "layer": layer(p.layer),
        "effective_from": iso(p.effective_from),
        "source": source(p.source),
    }


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
    """One stretch of time with one resolved value (``effective_until`` inclusive)."""
    w = e.winner
    return {
        "effective_from": iso(e.start),
        "effective_until": iso(e.until),
        "value": e.value,
        "is_set": e.is_set,
        "layer": layer(None if w is None else w.layer),
        "source": source(None if w is None else w.source),
    }


def constraint(rule: Constraint) -> JSON:
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
        "effective_from": iso(rule.effective_from),
        "effective_until": iso(rule.effective_until),
        "source": source(rule.source),
        "tags": list(rule.tags),
    }


def plugin_constraint(pc: PluginConstraint | None) -> JSON | None:
    if pc is None:
        return None
    return {"plugin": pc.plugin, **constraint(pc.rule)}


def violation(v: Violation, where: Jurisdiction | None = None) -> JSON:
    """A broken rule or a conflict in time; ``value`` applies, ``other`` is what it breaks."""
    out: JSON = {
        "kind": v.kind.value,
        "path": v.path,
        "message": v.message,
        "value": dated_value(v.value),
        "other": dated_value(v.other),
        "rule": plugin_constraint(v.rule),
    }
    if where is not None:
        out = {"jurisdiction": jurisdiction(where), **out}
    return out


def constraint_check(c: ConstraintCheck) -> JSON:
    return {
        "rule": plugin_constraint(c.rule),
        "status": c.status.value,
        "message": c.message,
        "value": dated_value(c.value),
        "bound": c.bound,
        "bound_value": dated_value(c.bound_value),
        "multiple_value": dated_value(c.multiple_value),
    }


def spec(s: ParameterSpec) -> JSON:
    return {
        "path": s.path,
        "type": s.type,
        "unit": s.unit,
        "description": s.description,
        "label_zh": s.label_zh,
        "choices": list(s.choices),
        "minimum": s.minimum,
        "maximum": s.maximum,
    }


def program(p: Program) -> JSON:
    return {
        "id": p.id,
        "name": p.name,
        "name_zh": p.name_zh,
        "scope": p.scope,
        "description": p.description,
        "parameters": [spec(s) for s in p.parameters],
        "source": source(p.source),
    }


def plugin(s: PluginSummary) -> JSON:
    info = s.info
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "module": info.module,
        "builtin": info.builtin,
        "jurisdictions": [jurisdiction(j) for j in s.jurisdictions],
        "files": list(s.files),
        "programs": [program(p) for p in s.programs],
        "constraints": list(s.constraints),
    }
