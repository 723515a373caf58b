"""Reforms: the merged policy with parameter overrides, for simulations (pure, no I/O).

An :class:`Override` sets one catalog path at one jurisdiction (any layer: national, province,
prefecture or county) from a date, to a value or to the baseline value times a factor. It is
applied as a layer of its own at that jurisdiction that wins over what is set *there* (plugin
data and local settings alike) from its date; more specific jurisdictions keep their own values,
exactly as the merged policy always works — :func:`hidden_at` says where an override is hidden
that way, so a simulation never silently changes nothing.

A scaled override (``scale``) multiplies the baseline value in force at every county of the
population on the simulation date (yuan to the fen, half up; integers half up; multiples to six
decimals), written as county layers: "Yunnan's rural standard 10 % higher" is
``Override("dibao.standard.rural", "530000", start, scale=Decimal("1.1"))``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput, UnknownJurisdiction
from core.plugin.types import Document, Source
from core.policy.catalog import check_value
from core.policy.constraints import ViolationKind
from core.policy.jurisdictions import Level
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.resolution import PolicyIndex
from core.policy.service import PolicyBase

REFORM_ORIGIN = "reform"
MAX_OVERRIDES = 50


@dataclass(frozen=True, slots=True)
class Override:
    path: str
    at: str  # GB/T 2260 code of the layer ("000000": national)
    start: dt.date
    value: Any = None
    scale: Decimal | None = None
    until: dt.date | None = None  # last day, inclusive

    def describe(self) -> str:
        what = f"× {self.scale}" if self.scale is not None else f"= {self.value!r}"
        end = f" to {self.until.isoformat()}" if self.until else ""
        return f"{self.path} {what} at {self.at} from {self.start.isoformat()}{end}"


@dataclass(frozen=True, slots=True)
class Reform:
    name: str
    overrides: tuple[Override, ...]

    def describe(self) -> str:
        return "; ".join(o.describe() for o in self.overrides)


def _source(reform: Reform, o: Override) -> Source:
    doc = Document(
        id=f"reform-{reform.name}",
        title=f"reform scenario '{reform.name}' (a simulation, not a policy document)",
        note=o.describe(),
    )
    return Source(doc, note="simulated override")


def check_reform(base: PolicyBase, reform: Reform) -> Reform:
    """``reform`` with its codes and values checked against the catalog (INVALID_INPUT naming
    the override otherwise)."""
    if not reform.name.strip():
        raise InvalidInput("reform: give each reform a name")
    if reform.name == "baseline":
        raise InvalidInput("reform: 'baseline' is the name of the policy as it is")
    if not reform.overrides:
        raise InvalidInput(f"reform '{reform.name}': give at least one override")
    if len(reform.overrides) > MAX_OVERRIDES:
        raise InvalidInput(f"reform '{reform.name}': at most {MAX_OVERRIDES} overrides")
    out = []
    for k, o in enumerate(reform.overrides):
        where = f"reform '{reform.name}' override {k + 1} ({o.path})"
        spec = base.catalog.spec(o.path)
        try:
            j = base.registry.get(o.at)
        except UnknownJurisdiction as exc:
            raise InvalidInput(f"{where}: {exc.message}") from None
        if o.until is not None and o.until < o.start:
            raise InvalidInput(f"{where}: until {o.until} is before from {o.start}")
        if o.scale is not None:
            if o.value is not None:
                raise InvalidInput(f"{where}: give a value or a scale, not both")
            if spec.type not in ("integer", "number"):
                raise InvalidInput(
                    f"{where}: only numbers can be scaled ({spec.path} is {spec.type})"
                )
            if not o.scale.is_finite() or o.scale < 0:
                raise InvalidInput(f"{where}: the scale must be a number ≥ 0")
            out.append(replace(o, path=spec.path, at=j.code))
            continue
        if o.value is not None:
            why = check_value(spec, o.value)
            if why is not None:
                raise InvalidInput(f"{where}: {why}")
        value = int(o.value) if spec.type == "integer" and isinstance(o.value, float) else o.value
        out.append(replace(o, path=spec.path, at=j.code, value=value))
    return Reform(reform.name, tuple(out))


def _round(spec_unit: str, spec_type: str, value: Decimal) -> Any:
    if spec_type == "integer":
        return int(value.quantize(Decimal(1), ROUND_HALF_UP))
    step = Decimal("0.01") if spec_unit.startswith("yuan") else Decimal("0.000001")
    return float(value.quantize(step, ROUND_HALF_UP))


def _truncated(layer: Layer, path: str, start: dt.date) -> Layer:
    """``layer`` without its values of ``path`` from ``start`` on."""
    kept: list[DatedValue] = []
    for v in layer.values:
        if v.path != path or (v.start < start and (v.end is not None and v.end <= start)):
            kept.append(v)
        elif v.start < start:
            kept.append(replace(v, end=start))
    return replace(layer, values=tuple(kept))


def reform_base(
    base: PolicyBase, reform: Reform, counties: Iterable[str], as_of: dt.date
) -> PolicyBase:
    """``base`` with ``reform`` applied (checked first: :func:`check_reform`)."""
    reform = check_reform(base, reform)
    counties = sorted(set(counties))
    placed: list[tuple[str, str, dt.date, dt.date | None, Any, Override]] = []
    for o in reform.overrides:
        end = None if o.until is None else o.until + dt.timedelta(days=1)
        if o.scale is None:
            placed.append((o.at, o.path, o.start, end, o.value, o))
            continue
        spec = base.catalog.spec(o.path)
        for code in counties:
            if not base.registry.is_within(code, o.at):
                continue
            old = base.resolve(code, as_of).value(o.path)
            if old is None:
                continue  # not set stays not set (reported by hidden_at)
            try:
                new = _round(spec.unit, spec.type, Decimal(str(old)) * o.scale)
            except InvalidOperation:  # pragma: no cover - numbers only
                raise InvalidInput(f"{o.path}: cannot scale {old!r}") from None
            placed.append((code, o.path, o.start, end, new, o))

    layers = list(base.index.layers)
    by_code: dict[str, list[DatedValue]] = {}
    for code, path, start, end, value, o in placed:
        layers = [
            _truncated(lay, path, start)
            if lay.ref.jurisdiction.code == code and lay.ref.kind is LayerKind.LOCAL
            else lay
            for lay in layers
        ]
        j = base.registry.get(code)
        ref = LayerRef(j, REFORM_ORIGIN, LayerKind.LOCAL, reform.name)
        by_code.setdefault(code, []).append(
            DatedValue(path, value, start, end, _source(reform, o), ref)
        )
    for values in by_code.values():
        ref = values[0].layer
        layers.append(Layer(ref, tuple(values), f"reform {reform.name}"))
    return PolicyBase(
        base.registry,
        base.catalog,
        PolicyIndex(layers),
        base.rules,
        base.programs,
        base.plugins,
        base.holiday_tables,
        base.campaigns,
    )


def hidden_at(
    reformed: PolicyBase, reform: Reform, counties: Sequence[str], as_of: dt.date
) -> list[str]:
    """Plain-word notes on where the reform does not reach on ``as_of``: counties of the
    population whose value comes from a more specific layer than the override's, overrides not
    yet (or no longer) in force, and scaled paths not set at a county."""
    notes: list[str] = []
    for o in reform.overrides:
        if o.start > as_of or (o.until is not None and o.until < as_of):
            notes.append(f"{o.describe()}: not in force on {as_of.isoformat()}")
            continue
        under = [c for c in counties if reformed.registry.is_within(c, o.at)]
        if not under:
            notes.append(f"{o.describe()}: no household of the population is under {o.at}")
            continue
        hidden = []
        for c in under:
            w = reformed.resolve(c, as_of).parameters[o.path].winner
            if w is None or w.layer.origin != REFORM_ORIGIN:
                hidden.append(c)
        if hidden:
            level = reformed.registry.get(o.at).level
            why = (
                "not set there (a scale needs a baseline value)"
                if o.scale is not None
                else "set by a more specific layer, which wins"
                if level is not Level.COUNTY
                else "not reached"
            )
            shown = ", ".join(hidden[:8]) + (
                f" and {len(hidden) - 8} more" if len(hidden) > 8 else ""
            )
            notes.append(f"{o.describe()}: no effect at {len(hidden)} county(ies) ({shown}): {why}")
    return notes


def violations(reformed: PolicyBase, counties: Sequence[str], as_of: dt.date) -> list[str]:
    """Plugin rules (floors, ceilings) the reform breaks at the population's counties."""
    out: list[str] = []
    seen: set[str] = set()
    for c in counties:
        for v in reformed.violations(c, as_of):
            involved = [x for x in (v.value, v.other) if x is not None]
            if v.kind is not ViolationKind.CONSTRAINT or not any(
                x.layer.origin == REFORM_ORIGIN for x in involved
            ):
                continue
            text = f"{c}: {v.message}"
            if text not in seen:
                seen.add(text)
                out.append(text)
    return out
