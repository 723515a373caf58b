"""Layers of dated, sourced policy values and the timelines resolution reads them from."""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_right
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from core.plugin.hookspecs import Source
from core.policy.jurisdictions import Jurisdiction


class LayerKind(StrEnum):
    NATIONAL = "national"  # the core's national baseline
    PLUGIN = "plugin"  # a province plugin's data
    LOCAL = "local"  # a local setting entered later by an authorised official


@dataclass(frozen=True, slots=True)
class LayerRef:
    """Who set a value: a jurisdiction, and the plugin (or local setting) that speaks for it."""

    jurisdiction: Jurisdiction
    origin: str  # "national", the plugin's name, or "local"
    kind: LayerKind
    file: str = ""


@dataclass(frozen=True, slots=True)
class DatedValue:
    """One value of one path in one layer, in effect from ``start`` until ``end`` (exclusive).

    ``value is None`` marks an explicit end: from ``start`` this layer no longer sets the path and
    the value falls back to the less specific layers.
    """

    path: str
    value: Any
    start: dt.date
    end: dt.date | None
    source: Source
    layer: LayerRef
    # Start of the unbroken run of equal values this one continues (a later document that
    # restates a value does not make the value newer); set by Timeline.
    since: dt.date | None = None

    @property
    def in_force_since(self) -> dt.date:
        return self.since or self.start

    @property
    def until(self) -> dt.date | None:
        """The last day in effect (inclusive), or None while open-ended."""
        return None if self.end is None else self.end - dt.timedelta(days=1)

    def in_effect(self, as_of: dt.date) -> bool:
        return self.start <= as_of and (self.end is None or as_of < self.end)


class Timeline:
    """The non-overlapping dated values of one path at one jurisdiction, sorted by start."""

    __slots__ = ("_starts", "values")

    def __init__(self, values: list[DatedValue]) -> None:
        ordered: list[DatedValue] = []
        for v in sorted(values, key=lambda v: v.start):
            prev = ordered[-1] if ordered else None
            if (
                prev is not None
                and v.value is not None
                and prev.value is not None
                and prev.end == v.start
                and canonical(prev.value) == canonical(v.value)
            ):
                v = replace(v, since=prev.in_force_since)
            ordered.append(v)
        self.values = tuple(ordered)
        self._starts = tuple(v.start for v in self.values)

    def at(self, as_of: dt.date) -> DatedValue | None:
        """The value in effect on ``as_of`` (ends excluded), or None."""
        i = bisect_right(self._starts, as_of) - 1
        if i < 0:
            return None
        v = self.values[i]
        if v.value is None or (v.end is not None and as_of >= v.end):
            return None
        return v

    def boundaries(self) -> set[dt.date]:
        out: set[dt.date] = set()
        for v in self.values:
            out.add(v.start)
            if v.end is not None:
                out.add(v.end)
        return out


@dataclass(frozen=True, slots=True)
class Layer:
    """All values one file (or one local setting batch) sets for one jurisdiction."""

    ref: LayerRef
    values: tuple[DatedValue, ...]
    description: str = ""


def canonical(value: Any) -> str:
    """A comparable form of a JSON value (list order ignored: lists here are sets of codes)."""
    if isinstance(value, list):
        value = sorted(value, key=str)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
