"""Merged policy: which value applies where and when, who set it, and what it overrides.

Pure: no I/O, the date is always an argument. Rules:

- the most specific jurisdiction with a value in effect wins (county > prefecture > province >
  national); at one jurisdiction a local setting wins over plugin data;
- a value applies only from its effective date, and until its end (time travel);
- only the jurisdiction's own chain of ancestors is consulted, so a prefecture's value never
  reaches a sibling prefecture or its province;
- a path no layer sets is reported as *not set*, never as 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.plugin.hookspecs import ParameterSpec, Source
from core.policy.catalog import Catalog
from core.policy.jurisdictions import Jurisdiction, JurisdictionRegistry
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef, Timeline, canonical

# Within one jurisdiction, layers of a higher rank win.
_KIND_RANK = {LayerKind.LOCAL: 0, LayerKind.PLUGIN: 1, LayerKind.NATIONAL: 1}


class PolicyIndex:
    """Immutable index of every layer: jurisdiction code → path → timelines (winner first)."""

    def __init__(self, layers: Iterable[Layer]) -> None:
        grouped: dict[str, dict[str, dict[int, list[DatedValue]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        self.layers = tuple(layers)
        for layer in self.layers:
            rank = _KIND_RANK[layer.ref.kind]
            for v in layer.values:
                grouped[layer.ref.jurisdiction.code][v.path][rank].append(v)
        self._by_code: dict[str, dict[str, tuple[Timeline, ...]]] = {
            code: {
                path: tuple(Timeline(ranks[r]) for r in sorted(ranks))
                for path, ranks in paths.items()
            }
            for code, paths in grouped.items()
        }

    def codes(self) -> list[str]:
        """Jurisdictions that have at least one layer."""
        return list(self._by_code)

    def timelines(self, code: str, path: str) -> tuple[Timeline, ...]:
        return self._by_code.get(code, {}).get(path, ())

    def candidates(
        self, chain: Sequence[Jurisdiction], path: str, as_of: dt.date
    ) -> list[DatedValue]:
        """Every value in effect for ``path`` along ``chain``, most specific first."""
        found: list[DatedValue] = []
        by_code = self._by_code
        for j in chain:
            paths = by_code.get(j.code)
            if paths is None:
                continue
            for timeline in paths.get(path, ()):
                v = timeline.at(as_of)
                if v is not None:
                    found.append(v)
        return found


@dataclass(frozen=True, slots=True)
class ResolvedParameter:
    """The answer for one path: the winning value (or not set) and what it overrides."""

    spec: ParameterSpec
    winner: DatedValue | None
    overrides: tuple[DatedValue, ...]

    @property
    def path(self) -> str:
        return self.spec.path

    @property
    def is_set(self) -> bool:
        return self.winner is not None

    @property
    def value(self) -> Any:
        return None if self.winner is None else self.winner.value

    @property
    def layer(self) -> LayerRef | None:
        return None if self.winner is None else self.winner.layer

    @property
    def effective_from(self) -> dt.date | None:
        return None if self.winner is None else self.winner.start

    @property
    def effective_until(self) -> dt.date | None:
        return None if self.winner is None else self.winner.until

    @property
    def source(self) -> Source | None:
        return None if self.winner is None else self.winner.source


@dataclass(frozen=True, slots=True)
class ResolvedPolicy:
    jurisdiction: Jurisdiction
    chain: tuple[Jurisdiction, ...]
    as_of: dt.date
    parameters: dict[str, ResolvedParameter]

    def get(self, path: str) -> ResolvedParameter:
        return self.parameters[path]

    def value(self, path: str) -> Any:
        return self.parameters[path].value


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One stretch of time during which ``path`` resolved to the same value at a jurisdiction."""

    start: dt.date
    until: dt.date | None  # last day, inclusive; None while open-ended
    winner: DatedValue | None

    @property
    def is_set(self) -> bool:
        return self.winner is not None

    @property
    def value(self) -> Any:
        return None if self.winner is None else self.winner.value


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    path: str
    differs: bool
    cells: tuple[ResolvedParameter, ...]


def resolve_parameter(
    index: PolicyIndex, chain: Sequence[Jurisdiction], spec: ParameterSpec, as_of: dt.date
) -> ResolvedParameter:
    found = index.candidates(chain, spec.path, as_of)
    if not found:
        return ResolvedParameter(spec, None, ())
    return ResolvedParameter(spec, found[0], tuple(found[1:]))


def resolve(
    index: PolicyIndex,
    registry: JurisdictionRegistry,
    catalog: Catalog,
    code: str,
    as_of: dt.date,
    paths: Iterable[str] | None = None,
) -> ResolvedPolicy:
    """Resolve every catalog path (or ``paths``) at ``code`` on ``as_of``, with explain."""
    chain = registry.chain(code)
    wanted = catalog if paths is None else paths
    params = {p: resolve_parameter(index, chain, catalog[p], as_of) for p in wanted}
    return ResolvedPolicy(chain[0], chain, as_of, params)


def history(
    index: PolicyIndex, registry: JurisdictionRegistry, spec: ParameterSpec, code: str
) -> list[HistoryEntry]:
    """Every change of ``spec.path`` at ``code`` over time, oldest first."""
    chain = registry.chain(code)
    bounds: set[dt.date] = set()
    for j in chain:
        for timeline in index.timelines(j.code, spec.path):
            bounds |= timeline.boundaries()
    points = sorted(bounds)
    entries: list[HistoryEntry] = []
    for start in points:
        found = index.candidates(chain, spec.path, start)
        winner = found[0] if found else None
        if entries and entries[-1].winner is winner:
            continue
        if not entries and winner is None:
            continue
        entries.append(HistoryEntry(start, None, winner))
    # Each entry ends the day before the next one starts.
    out: list[HistoryEntry] = []
    for i, e in enumerate(entries):
        nxt = entries[i + 1].start if i + 1 < len(entries) else None
        until = nxt - dt.timedelta(days=1) if nxt is not None else None
        out.append(HistoryEntry(e.start, until, e.winner))
    return out


def compare(policies: Sequence[ResolvedPolicy], paths: Iterable[str]) -> list[ComparisonRow]:
    """Side-by-side rows; ``differs`` is true when cells disagree (not set counts as a value)."""
    rows: list[ComparisonRow] = []
    for path in paths:
        cells = tuple(p.parameters[path] for p in policies)
        keys = {canonical(c.value) if c.is_set else "\x00unset" for c in cells}
        rows.append(ComparisonRow(path, len(keys) > 1, cells))
    return rows


class PolicySource(Protocol):
    """What a store needs of a policy base (``PolicyBase``, or one with local layers): the
    jurisdictions and the merged policy of a place on a day."""

    registry: JurisdictionRegistry

    def resolve(self, code: str, as_of: dt.date) -> ResolvedPolicy: ...
