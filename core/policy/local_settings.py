"""Local settings as rules (pure): values officials set for their jurisdiction become layers of
kind ``local`` that win over plugin data at the same jurisdiction, and a value is rejected when it
would break a plugin's rule.

Standards in yuan are set by local governments every year. An authorised official (a county
approver or province administrator, within their jurisdiction) records a value for a catalog
path at a jurisdiction, from a date (optionally until a date), citing a source in their own words.
A setting applies from its date until its ``until`` (inclusive) or until the next setting of the
same path at the same jurisdiction starts, whichever is first; setting the same date again
replaces the value (the audit row keeps the old one).

:func:`find_rejections` builds the merged policy as it would be with the new value and names every
plugin rule (a :attr:`~core.policy.constraints.ViolationKind.CONSTRAINT` — e.g. Yunnan's "tekun
standard at least 1.3 × the urban dibao standard") it breaks at that jurisdiction or at any
jurisdiction under it that has values of its own, on the effective date and on every later date
in the value's span where something it is checked against changes. Storing, auditing and the
revision the policy provider watches are :mod:`core.policy.local_store`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import DoudiError, UnknownJurisdiction
from core.plugin.hookspecs import Document, Source
from core.policy.constraints import CheckStatus, ConstraintCheck, ViolationKind, check_constraints
from core.policy.jurisdictions import Jurisdiction, JurisdictionRegistry
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.resolution import PolicyIndex, resolve
from core.policy.service import PolicyBase

log = logging.getLogger(__name__)

LOCAL_ORIGIN = "local"


MAX_SOURCE_TEXT = 2000


DAY = dt.timedelta(days=1)


class NotLocallySettable(DoudiError):
    code = "NOT_LOCALLY_SETTABLE"


class ConstraintRejected(DoudiError):
    """The value would break a plugin's rule; nothing was written."""

    code = "CONSTRAINT_VIOLATION"

    def __init__(self, problems: Sequence[Rejection]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "rejected: the value would break "
            + ("a rule" if len(self.problems) == 1 else f"{len(self.problems)} rules")
            + ":\n"
            + "\n".join(f"  - {p.message}" for p in self.problems)
        )


@dataclass(frozen=True, slots=True)
class Rejection:
    """One broken rule at one jurisdiction on one date (the first such date)."""

    jurisdiction: Jurisdiction
    as_of: dt.date
    check: ConstraintCheck
    kind: ViolationKind = ViolationKind.CONSTRAINT

    @property
    def rule_id(self) -> str:
        return self.check.rule.rule.id

    @property
    def message(self) -> str:
        j = self.jurisdiction
        return f"at {j.code} ({j.name}) on {self.as_of}: {self.check.message}"


@dataclass(frozen=True, slots=True)
class LocalSetting:
    id: int
    jurisdiction: str
    path: str
    value: Any
    effective_from: dt.date
    until: dt.date | None  # last day in effect (inclusive); None: until replaced
    source_text: str
    set_by: str  # the user who last set it
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user: str
    role: str
    setting_id: int
    jurisdiction: str
    path: str
    effective_from: dt.date
    until: dt.date | None
    old_value: Any  # what the merged policy said there on effective_from (None: not set)
    old_origin: str | None  # who set the old value: "local", a plugin's name or "national"
    new_value: Any
    source_text: str


def _source(s: LocalSetting) -> Source:
    document = Document(
        id=f"local-setting-{s.id}",
        title=s.source_text,
        date=s.effective_from,
        note=f"local setting recorded in doudi by {s.set_by} on {s.updated_at.date()}; the "
        "title is the source as the official cited it",
    )
    return Source(document, note="local setting")


def layers_from_settings(
    settings: Iterable[LocalSetting], registry: JurisdictionRegistry
) -> list[Layer]:
    """One local layer per jurisdiction. Settings of an unknown jurisdiction are skipped."""
    by_code: dict[str, dict[str, list[LocalSetting]]] = defaultdict(lambda: defaultdict(list))
    for s in settings:
        by_code[s.jurisdiction][s.path].append(s)
    layers: list[Layer] = []
    for code, paths in sorted(by_code.items()):
        try:
            j = registry.get(code)
        except UnknownJurisdiction as exc:
            log.warning("local settings at %s skipped: %s", code, exc.message)
            continue
        ref = LayerRef(j, LOCAL_ORIGIN, LayerKind.LOCAL, "")
        values: list[DatedValue] = []
        for path, items in paths.items():
            items.sort(key=lambda s: s.effective_from)
            for k, s in enumerate(items):
                end = s.until + DAY if s.until is not None else None
                if k + 1 < len(items):
                    nxt = items[k + 1].effective_from
                    end = nxt if end is None or end > nxt else end
                values.append(DatedValue(path, s.value, s.effective_from, end, _source(s), ref))
        layers.append(Layer(ref, tuple(values), "local settings recorded in doudi"))
    return layers


def policy_with_local_layers(base: PolicyBase, layers: Iterable[Layer]) -> PolicyBase:
    """``base`` with its local layers (if any) replaced by ``layers``; plugins are not reloaded."""
    return base.with_layers(layers, drop_origin=LOCAL_ORIGIN)


def normalise_value(spec_type: str, value: Any) -> Any:
    if spec_type == "integer" and isinstance(value, float):
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _rule_paths(base: PolicyBase) -> set[str]:
    out: set[str] = set()
    for pc in base.rules:
        r = pc.rule
        out.update(p for p in (r.path, r.bound_path, r.multiple_path) if p is not None)
    return out


def _involves(check: ConstraintCheck, code: str, path: str, start: dt.date) -> bool:
    for v in (check.value, check.bound_value, check.multiple_value):
        if (
            v is not None
            and v.layer.kind is LayerKind.LOCAL
            and v.layer.jurisdiction.code == code
            and v.path == path
            and v.start == start
        ):
            return True
    return False


def find_rejections(
    base: PolicyBase,
    index: PolicyIndex,
    code: str,
    path: str,
    start: dt.date,
    end: dt.date | None,
) -> list[Rejection]:
    """Rules the value of ``path`` set at ``code`` from ``start`` (to ``end``, exclusive) breaks
    in ``index``: at ``code`` and every jurisdiction under it with layers, on ``start`` and on
    every date in the span where a value the rules read changes."""
    paths = _rule_paths(base)
    if path not in paths:
        return []
    registry = base.registry
    codes = [code, *(c for c in index.codes() if c != code and registry.is_within(c, code))]

    def within(d: dt.date) -> bool:
        return start <= d and (end is None or d < end)

    dates = {start}
    for c in codes:
        for j in registry.chain(c):
            for p in paths:
                for timeline in index.timelines(j.code, p):
                    dates.update(d for d in timeline.boundaries() if within(d))
    for pc in base.rules:
        if pc.rule.effective_from is not None and within(pc.rule.effective_from):
            dates.add(pc.rule.effective_from)

    found: dict[tuple[str, str], Rejection] = {}
    for c in codes:
        for d in sorted(dates):
            policy = resolve(index, registry, base.catalog, c, d, paths=paths)
            for check in check_constraints(policy, base.rules):
                key = (c, check.rule.rule.id)
                if (
                    check.status is CheckStatus.VIOLATED
                    and key not in found
                    and _involves(check, code, path, start)
                ):
                    found[key] = Rejection(policy.jurisdiction, d, check)
    return list(found.values())
