"""Checks on a resolved policy: plugins' floor/ceiling rules, and conflicts across layers in time.

Pure: works on a :class:`~core.policy.resolution.ResolvedPolicy`, no I/O.

A *conflict in time* is a value kept at a more specific jurisdiction although a less specific
layer set a different value for the same path later (Yongning's 18-month phase-out of 2020
against the national "at most 6 months" of 2022). The local value still applies — a county's
own rule wins — but the report names both values and sources so that someone checks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.plugin.hookspecs import Constraint
from core.policy.model import DatedValue, canonical
from core.policy.resolution import ResolvedParameter, ResolvedPolicy


class CheckStatus(StrEnum):
    OK = "ok"
    VIOLATED = "violated"
    NOT_CHECKED = "not_checked"  # a value the rule needs is not set


class ViolationKind(StrEnum):
    CONSTRAINT = "constraint"
    LATER_GENERAL_RULE = "later_general_rule"


@dataclass(frozen=True, slots=True)
class PluginConstraint:
    plugin: str
    rule: Constraint


@dataclass(frozen=True, slots=True)
class ConstraintCheck:
    rule: PluginConstraint
    status: CheckStatus
    message: str
    value: DatedValue | None = None
    bound: float | None = None
    bound_value: DatedValue | None = None  # the value the bound was computed from
    multiple_value: DatedValue | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule or a conflict in time; ``value`` is what applies, ``other`` what it breaks."""

    kind: ViolationKind
    path: str
    message: str
    value: DatedValue
    other: DatedValue | None
    rule: PluginConstraint | None = None


def applies(rule: Constraint, chain_codes: Sequence[str], as_of: dt.date) -> bool:
    if rule.scope not in chain_codes:
        return False
    if rule.effective_from is not None and as_of < rule.effective_from:
        return False
    return rule.effective_until is None or as_of <= rule.effective_until


def check_constraints(
    policy: ResolvedPolicy, rules: Iterable[PluginConstraint]
) -> list[ConstraintCheck]:
    """Every rule that applies at the policy's jurisdiction and date, with its outcome."""
    codes = [j.code for j in policy.chain]
    out: list[ConstraintCheck] = []
    for pc in rules:
        rule = pc.rule
        if not applies(rule, codes, policy.as_of):
            continue
        out.append(_check(policy, pc))
    return out


def _check(policy: ResolvedPolicy, pc: PluginConstraint) -> ConstraintCheck:
    rule = pc.rule
    target = policy.parameters[rule.path]
    missing: list[str] = [] if target.is_set else [rule.path]
    multiple = rule.multiple if rule.multiple is not None else 1.0
    multiple_value: DatedValue | None = None
    if rule.multiple_path is not None:
        mp = policy.parameters[rule.multiple_path]
        if mp.is_set:
            multiple, multiple_value = float(mp.value), mp.winner
        else:
            missing.append(rule.multiple_path)
    base: float | None = rule.bound_value
    bound_dv: DatedValue | None = None
    if rule.bound_path is not None:
        bp = policy.parameters[rule.bound_path]
        if bp.is_set:
            base, bound_dv = float(bp.value), bp.winner
        else:
            missing.append(rule.bound_path)
    if missing or base is None:
        return ConstraintCheck(
            pc,
            CheckStatus.NOT_CHECKED,
            f"{rule.id}: not checked, {', '.join(missing)} not set",
        )
    bound = round(multiple * base, 6)
    actual = float(target.value)
    ok = actual >= bound if rule.kind == "floor" else actual <= bound
    relation = "at least" if rule.kind == "floor" else "at most"
    how = _bound_text(rule, multiple, base)
    message = (
        f"{rule.path} = {_fmt(target.value)} must be {relation} {how} = {_fmt(bound)} "
        f"({rule.description})"
    )
    return ConstraintCheck(
        pc,
        CheckStatus.OK if ok else CheckStatus.VIOLATED,
        message,
        target.winner,
        bound,
        bound_dv,
        multiple_value,
    )


def _bound_text(rule: Constraint, multiple: float, base: float) -> str:
    what = rule.bound_path or _fmt(base)
    if rule.bound_path is not None:
        what = f"{rule.bound_path} ({_fmt(base)})"
    return what if multiple == 1.0 else f"{_fmt(multiple)} × {what}"


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def conflicts_in_time(param: ResolvedParameter) -> list[Violation]:
    """Less specific values that took effect after the winner and say something else."""
    winner = param.winner
    if winner is None:
        return []
    out: list[Violation] = []
    for other in param.overrides:
        later = other.in_force_since > winner.in_force_since
        if later and canonical(other.value) != canonical(winner.value):
            w, o = winner.layer.jurisdiction, other.layer.jurisdiction
            out.append(
                Violation(
                    ViolationKind.LATER_GENERAL_RULE,
                    param.path,
                    f"{param.path}: {w.name} ({w.code}) keeps {_fmt(winner.value)} set from "
                    f"{winner.in_force_since} ({_cite(winner)}), but the {o.level.value} layer "
                    f"{o.name} ({o.code}) set {_fmt(other.value)} later, from "
                    f"{other.in_force_since} "
                    f"({_cite(other)}); the local value applies — check it still should",
                    winner,
                    other,
                )
            )
    return out


def _cite(v: DatedValue) -> str:
    d = v.source.document
    ref = d.number or d.title
    return f"{ref} {v.source.section}".strip()


def violations(policy: ResolvedPolicy, checks: Iterable[ConstraintCheck]) -> list[Violation]:
    """Every violated rule and every conflict in time in ``policy``."""
    out: list[Violation] = []
    for c in checks:
        if c.status is CheckStatus.VIOLATED and c.value is not None:
            out.append(
                Violation(
                    ViolationKind.CONSTRAINT,
                    c.rule.rule.path,
                    f"{c.rule.rule.id}: {c.message}",
                    c.value,
                    c.bound_value,
                    c.rule,
                )
            )
    for param in policy.parameters.values():
        out.extend(conflicts_in_time(param))
    return out
