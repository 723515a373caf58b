"""Decision cases as data: one YAML file per case, shipped in a plugin's ``cases/`` folder.

Like ``openfisca test``, a case is a household, a program, a date and the answer the document
gives, with the clause it comes from, quoted::

    title: A 1960s laid-off worker receives the prefecture's relief
    program: retrenched_1960s_workers
    asOf: "2021-03-01"
    clause:                          # the document's own words (checked against source.txt)
      document: qiannan-2021-annual-review     # a document of the plugin's policy files
      section: 一
      quote: 2021 年 1 月起,全州统一发放标准,救济标准提高到 400 元/月
    household:                       # the household JSON of the API and `doudi eligibility`
      county: "522701"
      area: urban
      incomeClass: stable
      propertyWithinLocalRules: true
      members:
        - {idNumber: "522701195301010014", name: 示例甲, relation: head,
           tags: [retrenched_1960s_worker]}
    expect:
      status: eligible
      monthlyAmount: 400
      mode: null

Optional keys: ``request`` (temporary assistance: ``kind``, ``amount``, ``majorHardship``);
``exampleStandards`` — amounts local governments set each year (yuan units only, never a value
a document sets), clearly marked as examples, applied as a local setting at ``at`` (default: the
household's county) from ``from`` (default: ``asOf``)::

    exampleStandards:
      note: 示例标准，非官方数据 (example standards for this case, not official figures)
      values: {dibao.standard.rural: 530}

``expect`` may also give ``oneOffAmount``, ``category``, ``membersCovered``, ``nextReview``,
``approvalLevel``, ``standard``, ``perCapitaIncome`` and ``reasonsInclude`` (words some reason
must contain). The conformance suite (:mod:`core.plugin.testing`) and ``doudi plugins check``
run every case; a mismatch names the file and the JSON path of the expectation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from core.errors import DataIssue, DoudiError
from core.plugin.types import Decision, Document, Source

if TYPE_CHECKING:
    from core.policy.model import Layer
    from core.policy.service import PolicyBase

CASES_FOLDER = "cases"
CASE_SUFFIXES = (".yaml", ".yml", ".json")

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_MONEY = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]}
_TEXT = {"type": "string", "minLength": 1}

CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:doudi:schema:decision-case:1",
    "title": "A doudi decision case",
    "type": "object",
    "required": ["title", "program", "asOf", "clause", "household", "expect"],
    "additionalProperties": False,
    "properties": {
        "title": _TEXT,
        "program": _TEXT,
        "asOf": _DATE,
        "clause": {
            "type": "object",
            "required": ["document", "section", "quote"],
            "additionalProperties": False,
            "properties": {
                "document": _TEXT,
                "section": _TEXT,
                "quote": _TEXT,
                "note": {"type": "string"},
            },
        },
        "exampleStandards": {
            "type": "object",
            "required": ["note", "values"],
            "additionalProperties": False,
            "properties": {
                "note": _TEXT,
                "at": {"type": "string", "pattern": r"^\d{6}$"},
                "from": _DATE,
                "values": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "number", "minimum": 0},
                },
            },
        },
        "household": {"type": "object"},
        "request": {
            "type": "object",
            "required": ["kind", "amount"],
            "additionalProperties": False,
            "properties": {
                "kind": {"enum": ["emergency", "expenditure"]},
                "amount": {"type": "number", "exclusiveMinimum": 0},
                "majorHardship": {"type": "boolean"},
                "description": {"type": "string"},
            },
        },
        "expect": {
            "type": "object",
            "required": ["status"],
            "additionalProperties": False,
            "properties": {
                "status": {"enum": ["eligible", "ineligible", "cannot_decide"]},
                "monthlyAmount": _MONEY,
                "oneOffAmount": _MONEY,
                "standard": _MONEY,
                "perCapitaIncome": _MONEY,
                "mode": {"enum": ["whole_household", "single_person", None]},
                "category": {"type": ["string", "null"]},
                "membersCovered": {"type": "array", "items": {"type": "string"}},
                "nextReview": {"anyOf": [_DATE, {"type": "null"}]},
                "approvalLevel": {"enum": ["township", "county", None]},
                "reasonsInclude": {"type": "array", "items": _TEXT},
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(CASE_SCHEMA)

EXAMPLE_TITLE = "示例标准，非官方数据 (example standards of a decision case, not official figures)"


def json_path(parts: Iterable[Any]) -> str:
    """``$.a.b[0]["c.d"]``: the JSON path style every doudi data error uses."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.isidentifier():
            out += f".{p}"
        else:
            out += f"[{json.dumps(p, ensure_ascii=False)}]"
    return out


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A decision case file as read: its name in errors (``cases/<file>``) and parsed data
    (None when it could not be parsed; ``issues`` then say why)."""

    plugin: str
    name: str
    data: Any
    issues: tuple[DataIssue, ...] = ()

    @property
    def title(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("title"), str):
            return str(self.data["title"])
        return self.name

    def clause_quote(self) -> tuple[str, str] | None:
        """(JSON path, quote) of the clause, when the file gives one."""
        clause = self.data.get("clause") if isinstance(self.data, dict) else None
        quote = clause.get("quote") if isinstance(clause, dict) else None
        return ("$.clause.quote", quote) if isinstance(quote, str) else None


def read_case_files(plugin: str, folder: Traversable | None) -> list[CaseFile]:
    """Every case file of ``folder`` (a plugin's ``cases/``), sorted by name."""
    from core.policy.loader import parse_text

    if folder is None or not folder.is_dir():
        return []
    out: list[CaseFile] = []
    entries = [e for e in folder.iterdir() if e.is_file() and e.name.endswith(CASE_SUFFIXES)]
    for entry in sorted(entries, key=lambda e: e.name):
        name = f"{CASES_FOLDER}/{entry.name}"
        try:
            data = parse_text(entry.read_text(encoding="utf-8"), entry.name)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            out.append(CaseFile(plugin, name, None, (DataIssue(plugin, name, "$", str(exc)),)))
            continue
        out.append(CaseFile(plugin, name, data))
    return out


@dataclass(frozen=True, slots=True)
class CaseRun:
    """A case run: the decision (None when the case could not be run) and every problem."""

    case: CaseFile
    decision: Decision | None
    issues: tuple[DataIssue, ...]


def run_case(
    case: CaseFile,
    base: PolicyBase,
    documents: Mapping[str, Document],
) -> CaseRun:
    """Run one case against ``base`` (the merged policy with the plugin loaded); ``documents``
    are the documents the plugin's policy files declare (the clause must cite one of them)."""
    issues: list[DataIssue] = list(case.issues)
    if case.data is None:
        return CaseRun(case, None, tuple(issues))

    def issue(path: str, message: str) -> None:
        issues.append(DataIssue(case.plugin, case.name, path, message))

    for error in sorted(_VALIDATOR.iter_errors(case.data), key=lambda e: list(e.absolute_path)):
        issue(json_path(error.absolute_path), error.message)
    if issues:
        return CaseRun(case, None, tuple(issues))
    data: dict[str, Any] = case.data
    as_of = _date(data["asOf"])
    if as_of is None:
        issue("$.asOf", f"{data['asOf']!r} is not a date")
        return CaseRun(case, None, tuple(issues))
    clause = data["clause"]
    if clause["document"] not in documents:
        known = ", ".join(sorted(documents)) or "none"
        issue(
            "$.clause.document",
            f"unknown document {clause['document']!r}; the plugin's policy files declare: {known}",
        )

    from core.households.model import InvalidHousehold, parse_household
    from core.policy.constraints import CheckStatus

    try:
        household = parse_household(data["household"], base.registry, as_of)
    except InvalidHousehold as exc:
        for e in exc.errors:
            where = "$.household" if e.field == "household" else f"$.household.{e.field}"
            issue(where, e.message)
        return CaseRun(case, None, tuple(issues))

    layers, problems = example_layers(base, data.get("exampleStandards"), household.county, as_of)
    for where, message in problems:
        issue(where, message)
    if issues:
        return CaseRun(case, None, tuple(issues))
    merged = base.with_layers(layers) if layers else base
    if layers:
        broken: set[str] = set()
        codes = [layer.ref.jurisdiction.code for layer in layers]
        for code in dict.fromkeys([*codes, household.county]):
            for check in merged.checks(code, as_of):
                rule = check.rule.rule.id
                if check.status is CheckStatus.VIOLATED and rule not in broken:
                    broken.add(rule)
                    issue(
                        "$.exampleStandards.values",
                        f"the example standards break rule '{rule}' at {code}: {check.message}",
                    )
        if issues:
            return CaseRun(case, None, tuple(issues))

    request = _request(data.get("request"))
    try:
        decision = _evaluate(merged, household, data["program"], as_of, request)
    except DoudiError as exc:
        issue("$.program", exc.message)
        return CaseRun(case, None, tuple(issues))
    for where, message in compare(data["expect"], decision):
        issue(where, message)
    return CaseRun(case, decision, tuple(issues))


def example_layers(
    base: PolicyBase, raw: Any, county: str, as_of: dt.date
) -> tuple[list[Layer], list[tuple[str, str]]]:
    """The local layer of a case's ``exampleStandards`` (none if absent), and (JSON path,
    message) for each value that is not an amount a local government sets."""
    from core.errors import UnknownJurisdiction
    from core.policy.catalog import locally_settable
    from core.policy.model import DatedValue, Layer, LayerKind, LayerRef

    if not isinstance(raw, dict):
        return [], []
    problems: list[tuple[str, str]] = []
    try:
        where = base.registry.get(str(raw.get("at") or county))
    except UnknownJurisdiction as exc:
        return [], [("$.exampleStandards.at", exc.message)]
    start = _date(raw.get("from")) or as_of
    if start > as_of:
        problems.append(("$.exampleStandards.from", f"starts after asOf ({as_of})"))
    document = Document(
        id="example-standards",
        title=EXAMPLE_TITLE,
        date=start,
        note=str(raw["note"]),
    )
    ref = LayerRef(where, "local", LayerKind.LOCAL, "")
    values: list[DatedValue] = []
    for path, value in raw["values"].items():
        at = json_path(["exampleStandards", "values", path])
        if path not in base.catalog:
            problems.append((at, base.catalog.unknown_message(path)))
            continue
        spec = base.catalog[path]
        if not locally_settable(spec):
            problems.append(
                (
                    at,
                    f"'{path}' [{spec.unit}] comes from documents, not from a local government: "
                    "an example standard may only stand in for an amount in yuan",
                )
            )
            continue
        source = Source(document, note="example standard of a decision case")
        values.append(DatedValue(path, value, start, None, source, ref))
    if problems or not values:
        return [], problems
    return [Layer(ref, tuple(values), "example standards of a decision case")], []


def _evaluate(
    base: PolicyBase, household: Any, program: str, as_of: dt.date, request: Any
) -> Decision:
    from core.eligibility import evaluate

    policy = base.resolve(household.county, as_of)
    return evaluate(
        household,
        program,
        policy,
        as_of,
        request=request,
        plugin_programs=base.plugin_programs,
    )


def _request(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return None
    from core.eligibility import TemporaryRequest

    return TemporaryRequest(
        kind=raw["kind"],
        amount=Decimal(str(raw["amount"])).quantize(Decimal("0.01")),
        description=str(raw.get("description", "")),
        major_hardship=bool(raw.get("majorHardship", False)),
    )


def _date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return f"{Decimal(str(value)):.2f}"
    return str(value)


_MONEY_FIELDS = {
    "monthlyAmount": "monthly_amount",
    "oneOffAmount": "one_off_amount",
    "standard": "standard",
    "perCapitaIncome": "per_capita_income",
}
_PLAIN_FIELDS = {"mode": "mode", "category": "category", "approvalLevel": "approval_level"}


def compare(expect: Mapping[str, Any], d: Decision) -> list[tuple[str, str]]:
    """(JSON path, message) for every expectation the decision does not meet."""
    out: list[tuple[str, str]] = []
    why = " | ".join(d.reasons) or "no reasons given"

    def miss(key: str, expected: Any, got: Any) -> None:
        out.append(
            (
                f"$.expect.{key}",
                f"expected {_show(expected)}, the decision says {_show(got)} (reasons: {why})",
            )
        )

    if d.status != expect["status"]:
        miss("status", expect["status"], d.status)
    for key, attr in _MONEY_FIELDS.items():
        if key in expect:
            got = getattr(d, attr)
            if _money(expect[key]) != (None if got is None else _money(got)):
                miss(key, expect[key], got)
    for key, attr in _PLAIN_FIELDS.items():
        if key in expect and expect[key] != getattr(d, attr):
            miss(key, expect[key], getattr(d, attr))
    if "membersCovered" in expect and sorted(expect["membersCovered"]) != sorted(d.members_covered):
        miss("membersCovered", sorted(expect["membersCovered"]), sorted(d.members_covered))
    if "nextReview" in expect:
        got_review = None if d.next_review is None else d.next_review.isoformat()
        if expect["nextReview"] != got_review:
            miss("nextReview", expect["nextReview"], got_review)
    for i, words in enumerate(expect.get("reasonsInclude", ())):
        if not any(words in r for r in d.reasons):
            out.append((f"$.expect.reasonsInclude[{i}]", f"no reason says {words!r} ({why})"))
    return out


def case_households(cases: Sequence[CaseFile]) -> list[tuple[str, Any, str]]:
    """(program, household JSON, asOf) of every case that gives them (for probing evaluators)."""
    out: list[tuple[str, Any, str]] = []
    for c in cases:
        if isinstance(c.data, dict) and {"program", "household", "asOf"} <= set(c.data):
            out.append((str(c.data["program"]), c.data["household"], str(c.data["asOf"])))
    return out


__all__ = [
    "CASES_FOLDER",
    "CASE_SCHEMA",
    "CaseFile",
    "CaseRun",
    "compare",
    "example_layers",
    "json_path",
    "read_case_files",
    "run_case",
]
