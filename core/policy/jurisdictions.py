"""Jurisdictions by GB/T 2260 code: the national root, provinces, prefectures and counties.

Data source: ``core/policy/data/gb2260.csv``, vendored from yescallop/areacodes (CC0 1.0), which
transcribes every list of county-level and higher codes the Ministry of Civil Affairs has
published since 1980 (中华人民共和国县级以上行政区划代码) with the years each code was in use;
``scripts/refresh_gb2260.py`` refreshes it (yearly, after the Ministry's list). The same table
checks the region code of resident ID numbers (:mod:`core.households.model`), so a district
created lately (330113 临平区, 330114 钱塘区, 2021) is both a place a household registers in and a
region its members' numbers may carry. It replaced python-stdnum's table (regenerated from
Wikipedia, which lacked those two), which stays the independent second table for ID numbers and
for the tests. A code that has been abolished is rejected with its name and the year it left
use; a code that never existed is rejected as unknown. A county with no prefecture code in use
(省直辖县级行政单位) belongs directly to its province.

The national root has the code ``000000`` (alias ``national``): GB/T 2260 has no national code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from core.errors import UnknownJurisdiction

NATIONAL_CODE = "000000"
NATIONAL_NAME = "中华人民共和国"
_CODE_RE = re.compile(r"^\d{6}$")


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"

    @property
    def depth(self) -> int:
        return _DEPTH[self]


_DEPTH = {Level.NATIONAL: 0, Level.PROVINCE: 1, Level.PREFECTURE: 2, Level.COUNTY: 3}


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    level: Level
    parent_code: str | None
    since: int | None = None  # first year the code was in use, when the data knows it

    @property
    def depth(self) -> int:
        return _DEPTH[self.level]


@dataclass(frozen=True, slots=True)
class _Abolished:
    code: str
    name: str
    until: int | None


class JurisdictionRegistry:
    """Every current GB/T 2260 division, with parents, children and ancestor chains."""

    def __init__(self, items: dict[str, Jurisdiction], abolished: dict[str, _Abolished]) -> None:
        self._items = items
        self._abolished = abolished
        self._children: dict[str, list[str]] = {code: [] for code in items}
        for j in items.values():
            if j.parent_code is not None:
                self._children[j.parent_code].append(j.code)
        self._chains: dict[str, tuple[Jurisdiction, ...]] = {}

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize_code(code) in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, code: str) -> Jurisdiction:
        """The jurisdiction for ``code``; raises :class:`UnknownJurisdiction` with the reason."""
        norm = normalize_code(code)
        found = self._items.get(norm)
        if found is not None:
            return found
        if not _CODE_RE.match(norm):
            raise UnknownJurisdiction(
                f"'{code}' is not a jurisdiction code: use a 6-digit GB/T 2260 code "
                f"(e.g. 530102) or '{NATIONAL_CODE}' / 'national' for the national level"
            )
        gone = self._abolished.get(norm)
        if gone is not None:
            until = f" in {gone.until}" if gone.until else ""
            raise UnknownJurisdiction(
                f"jurisdiction {norm} ({gone.name}) was abolished{until}; use its current code"
            )
        raise UnknownJurisdiction(f"unknown jurisdiction code {norm}: not in GB/T 2260")

    def chain(self, code: str) -> tuple[Jurisdiction, ...]:
        """``code`` and its ancestors, most specific first, ending at the national root."""
        norm = normalize_code(code)
        cached = self._chains.get(norm)
        if cached is not None:
            return cached
        node: Jurisdiction | None = self.get(norm)
        out: list[Jurisdiction] = []
        while node is not None:
            out.append(node)
            node = self._items[node.parent_code] if node.parent_code else None
        result = tuple(out)
        self._chains[norm] = result
        return result

    def ancestors(self, code: str) -> tuple[Jurisdiction, ...]:
        """The ancestors of ``code`` (parent first), without ``code`` itself."""
        return self.chain(code)[1:]

    def prefecture_and_province(self, code: str) -> tuple[str | None, str | None]:
        """The codes of ``code``'s prefecture (None where it has none) and province."""
        prefecture = province = None
        for j in self.chain(code):
            if j.level is Level.PREFECTURE:
                prefecture = j.code
            elif j.level is Level.PROVINCE:
                province = j.code
        return prefecture, province

    def children(self, code: str) -> list[Jurisdiction]:
        norm = self.get(code).code
        return [self._items[c] for c in sorted(self._children[norm])]

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when ``code`` is ``ancestor`` or lies under it."""
        target = normalize_code(ancestor)
        return any(j.code == target for j in self.chain(code))

    def all(self) -> list[Jurisdiction]:
        return list(self._items.values())


def normalize_code(code: str) -> str:
    code = code.strip()
    if code.lower() in ("national", "cn", "china"):
        return NATIONAL_CODE
    return code


def _level_of(code: str) -> Level:
    if code == NATIONAL_CODE:
        return Level.NATIONAL
    if code[2:] == "0000":
        return Level.PROVINCE
    if code[4:] == "00":
        return Level.PREFECTURE
    return Level.COUNTY


TABLE = "gb2260.csv"


@dataclass(frozen=True, slots=True)
class RegionCode:
    """A GB/T 2260 code as the vendored table knows it: its (last) name, whether it is in use,
    and if not, the first year it was no longer in use (the table is by year: a code with
    ``until`` 2021 was in the list of 2020 and not in that of 2021)."""

    code: str
    name: str
    level: Level
    in_use: bool
    since: int | None
    until: int | None


@cache
def region_codes() -> dict[str, RegionCode]:
    """Every code of the vendored table (``core/policy/data/gb2260.csv``), in use or not."""
    text = (resources.files("core.policy") / "data" / TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line[:1] != "#")
    by_code: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    out: dict[str, RegionCode] = {}
    for code, periods in by_code.items():
        live = [r for r in periods if r["status"] == "in_use"]
        since = min(int(r["since"]) for r in periods if r["since"])
        if live:
            name, level = live[0]["name"], Level(live[0]["level"])
            out[code] = RegionCode(code, name, level, True, since, None)
            continue
        last = max(periods, key=lambda r: int(r["until"] or 0))
        until = int(last["until"]) if last["until"] else None
        out[code] = RegionCode(code, last["name"], Level(last["level"]), False, since, until)
    return out


def table_source() -> str:
    """The vendored table's provenance (its ``# source:`` line)."""
    text = (resources.files("core.policy") / "data" / TABLE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# source:"):
            return line[len("# source:") :].strip().rstrip(",")
    return TABLE  # pragma: no cover - the table always names its source


@cache
def load_registry() -> JurisdictionRegistry:
    """Every division in use, from the vendored GB/T 2260 table (parsed once per process)."""
    codes = region_codes()
    live = {c: r for c, r in codes.items() if r.in_use}
    abolished = {c: _Abolished(c, r.name, r.until) for c, r in codes.items() if not r.in_use}
    items: dict[str, Jurisdiction] = {
        NATIONAL_CODE: Jurisdiction(NATIONAL_CODE, NATIONAL_NAME, Level.NATIONAL, None)
    }
    for code, r in sorted(live.items()):
        level = _level_of(code)
        if level is Level.PROVINCE:
            parent: str | None = NATIONAL_CODE
        elif level is Level.PREFECTURE:
            parent = code[:2] + "0000"
        else:
            # A county directly under its province (省直辖县级行政单位, e.g. 429004 仙桃市) has
            # no prefecture code in use.
            prefecture = code[:4] + "00"
            parent = prefecture if prefecture in live else code[:2] + "0000"
        if parent not in live and parent != NATIONAL_CODE:
            continue  # pragma: no cover - every code in use has a province in use
        items[code] = Jurisdiction(code, r.name, level, parent, r.since)
    return JurisdictionRegistry(items, abolished)
