"""Jurisdictions by GB/T 2260 code: the national root, provinces, prefectures and counties.

Data source: the administrative-division table shipped by ``python-stdnum`` (``stdnum/cn/loc.dat``),
which that project regenerates from Wikipedia's 中华人民共和国行政区划代码 lists (themselves
transcribed from the Ministry of Civil Affairs' GB/T 2260 code publications). Each entry carries
the years it was valid, so a code that has been abolished is rejected with the years and name it
had, and a code that never existed is rejected as unknown. Statistical placeholders (市辖区,
省直辖县级行政单位 ...) are not jurisdictions and are skipped; a county under such a placeholder
belongs directly to its province.

The national root has the code ``000000`` (alias ``national``): GB/T 2260 has no national code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from core.errors import UnknownJurisdiction

NATIONAL_CODE = "000000"
NATIONAL_NAME = "中华人民共和国"
_PLACEHOLDERS = ("市辖区", "县")  # statistical groupings, not jurisdictions
_CODE_RE = re.compile(r"^\d{6}$")
_SEGMENT_RE = re.compile(r"^(?:\[(\d{4})?-(\d{4})?\])?(.+)$")


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


def _parse_segments(raw: str) -> tuple[str | None, int | None, int | None, str]:
    """(current name or None, first year, end year of the last segment, last name)."""
    current: str | None = None
    since: int | None = None
    last_until: int | None = None
    last_name = raw
    for segment in raw.split(","):
        m = _SEGMENT_RE.match(segment.strip())
        if not m:  # pragma: no cover - the data is regular; keep the raw text if not
            continue
        start, end, name = m.group(1), m.group(2), m.group(3)
        last_name = name
        if end is None:
            current = name
            since = int(start) if start else None
        else:
            last_until = int(end)
    return current, since, last_until, last_name


def _level_of(code: str) -> Level:
    if code == NATIONAL_CODE:
        return Level.NATIONAL
    if code[2:] == "0000":
        return Level.PROVINCE
    if code[4:] == "00":
        return Level.PREFECTURE
    return Level.COUNTY


@cache
def load_registry() -> JurisdictionRegistry:
    """Parse the GB/T 2260 table once per process."""
    text = (resources.files("stdnum.cn") / "loc.dat").read_text(encoding="utf-8")
    raw: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        suffix, _, rest = line.strip().partition(" ")
        m = re.match(r'county="(.*)"$', rest)
        if m:
            raw[province + suffix] = m.group(1)

    live: dict[str, tuple[str, int | None]] = {}
    abolished: dict[str, _Abolished] = {}
    for code, value in raw.items():
        current, since, until, last_name = _parse_segments(value)
        if current is None:
            abolished[code] = _Abolished(code, last_name, until)
        elif current in _PLACEHOLDERS or "直辖" in current:
            continue
        else:
            live[code] = (current, since)

    items: dict[str, Jurisdiction] = {
        NATIONAL_CODE: Jurisdiction(NATIONAL_CODE, NATIONAL_NAME, Level.NATIONAL, None)
    }
    for code, (name, since) in sorted(live.items()):
        level = _level_of(code)
        if level is Level.PROVINCE:
            parent: str | None = NATIONAL_CODE
        elif level is Level.PREFECTURE:
            parent = code[:2] + "0000"
        else:
            prefecture = code[:4] + "00"
            parent = prefecture if prefecture in live else code[:2] + "0000"
        if parent not in live and parent != NATIONAL_CODE:
            continue  # orphaned by the data (parent abolished): not a reachable jurisdiction
        items[code] = Jurisdiction(code, name, level, parent, since)
    return JurisdictionRegistry(items, abolished)
