"""Decisions as JSON (camelCase keys): what the API returns and the database stores.

Money is a JSON number rounded to the fen (2 decimals), dates are ISO strings, policy values are
given as the layers hold them (JSON scalars and lists).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.households.model import IncomeItem, RigidExpense
from core.plugin.types import (
    Decision,
    Ground,
    IncomeComputation,
    MemberFinding,
    Source,
    TraceEntry,
)

_CENT = Decimal("0.01")


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(_CENT, ROUND_HALF_UP))


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _income_item(item: IncomeItem, why: str | None = None) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "member": item.member,
        "monthlyAmount": _money(item.monthly_amount),
        "regular": item.regular,
        "counted": why is None,
        "why": why or "",
    }


def _expense(item: RigidExpense, why: str | None = None) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "member": item.member,
        "monthlyAmount": _money(item.monthly_amount),
        "applied": why is None,
        "why": why or "",
    }


def income_to_json(inc: IncomeComputation) -> dict[str, Any]:
    return {
        "livingMembers": inc.living_members,
        "income": [_income_item(i) for i in inc.counted]
        + [_income_item(e.item, e.why) for e in inc.not_counted],  # type: ignore[arg-type]
        "totalIncome": _money(inc.total_income),
        "allowedDeductions": list(inc.allowed_deductions),
        "deductions": [_expense(e) for e in inc.deductions_applied]
        + [_expense(e.item, e.why) for e in inc.deductions_not_applied],  # type: ignore[arg-type]
        "totalDeductions": _money(inc.total_deductions),
        "netIncome": _money(inc.net_income),
        "perCapita": _money(inc.per_capita),
    }


def source_to_json(s: Source | None) -> dict[str, Any] | None:
    if s is None:
        return None
    d = s.document
    return {
        "document": d.id,
        "title": d.title,
        "number": d.number,
        "issuer": d.issuer,
        "date": _date(d.date),
        "url": d.url,
        "documentNote": d.note,
        "section": s.section,
        "quote": s.quote,
        "note": s.note,
    }


def trace_to_json(t: TraceEntry) -> dict[str, Any]:
    return {
        "path": t.path,
        "value": list(t.value) if isinstance(t.value, tuple) else t.value,
        "isSet": t.is_set,
        "layer": None
        if t.jurisdiction_code is None
        else {
            "code": t.jurisdiction_code,
            "name": t.jurisdiction_name,
            "level": t.jurisdiction_level,
            "origin": t.origin,
            "kind": t.layer_kind,
        },
        "effectiveFrom": _date(t.effective_from),
        "effectiveUntil": _date(t.effective_until),
        "source": source_to_json(t.source),
    }


def member_to_json(m: MemberFinding) -> dict[str, Any]:
    return {
        "idNumber": m.id_number,
        "name": m.name,
        "qualifies": m.qualifies,
        "conditions": list(m.conditions),
        "ownIncome": _money(m.own_income),
        "amount": _money(m.amount),
        "selfCare": m.self_care,
        "reasons": list(m.reasons),
    }


def ground_to_json(g: Ground) -> dict[str, Any]:
    return {
        "applies": g.applies,
        "subject": g.subject,
        "rule": g.rule,
        "condition": g.condition,
        "layer": g.layer,
        "source": source_to_json(g.source),
    }


def decision_to_json(d: Decision) -> dict[str, Any]:
    """``d`` as a JSON-ready dict (``json.dumps`` needs no custom encoder)."""
    return {
        "program": d.program,
        "status": d.status,
        "eligible": d.eligible,
        "county": d.county,
        "asOf": _date(d.as_of),
        "mode": d.mode,
        "membersCovered": list(d.members_covered),
        "category": d.category,
        "perCapitaIncome": _money(d.per_capita_income),
        "income": None if d.income is None else income_to_json(d.income),
        "standard": _money(d.standard),
        "standardPath": d.standard_path,
        "monthlyAmount": _money(d.monthly_amount),
        "oneOffAmount": _money(d.one_off_amount),
        "nextReview": _date(d.next_review),
        "reviewPath": d.review_path,
        "approvalLevel": d.approval_level,
        "members": [member_to_json(m) for m in d.members],
        "reasons": list(d.reasons),
        "missing": list(d.missing),
        "trace": [trace_to_json(t) for t in d.trace],
        "plugin": d.plugin,
        "grounds": [ground_to_json(g) for g in d.grounds],
    }


def decision_with_id_numbers(
    document: Mapping[str, Any], show: Callable[[str], str]
) -> dict[str, Any]:
    """A copy of decision JSON ``document`` with every resident ID number in it as ``show``
    gives it: ``membersCovered``, the members' ``idNumber`` and the ``member`` of each income
    and deduction line (as :func:`core.households.model.with_id_numbers` for a household)."""
    out = copy.deepcopy(dict(document))

    def replace(item: Any, key: str) -> None:
        if isinstance(item, dict) and isinstance(item.get(key), str):
            item[key] = show(item[key])

    covered = out.get("membersCovered")
    if isinstance(covered, list):
        out["membersCovered"] = [show(n) if isinstance(n, str) else n for n in covered]
    for m in out.get("members") or ():
        replace(m, "idNumber")
    income = out.get("income")
    if isinstance(income, dict):
        for x in (*(income.get("income") or ()), *(income.get("deductions") or ())):
            replace(x, "member")
    return out
