"""Read policy data files, validate them, and turn them into layers.

Every problem in every file is collected and reported at once (:class:`PolicyDataError`), each
naming the plugin, the file and the JSON path, so a provincial team fixes a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from core.errors import DataIssue, PolicyDataError, UnknownJurisdiction
from core.plugin.hookspecs import Document, PolicyFile, Source
from core.policy.catalog import Catalog
from core.policy.jurisdictions import NATIONAL_CODE, JurisdictionRegistry
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.schema import layer_schema
from core.validation import FIRST_DATE, LAST_DATE, non_finite_in

NATIONAL_PLUGIN = "national"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings and refuses duplicate keys."""


_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A policy file to load, and the plugin it belongs to."""

    plugin: str
    file: PolicyFile


def parse_text(text: str, name: str) -> Any:
    """Parse YAML or JSON text (by file name); raises ValueError with a located message."""
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}".replace("\n", " ")) from None


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.isidentifier():
            out += f".{p}"
        else:
            out += f"[{json.dumps(p, ensure_ascii=False)}]"
    return out


class PolicyLoader:
    """Validates files against the schema and the catalog, and builds :class:`Layer` objects."""

    def __init__(
        self,
        registry: JurisdictionRegistry,
        catalog: Catalog,
        coverage: Mapping[str, Iterable[str]],
    ) -> None:
        self.registry = registry
        self.catalog = catalog
        self.coverage = {name: tuple(codes) for name, codes in coverage.items()}
        self._validator = Draft202012Validator(
            layer_schema(catalog), format_checker=FormatChecker()
        )

    def load(self, files: Iterable[SourceFile]) -> list[Layer]:
        """Load every file; raise :class:`PolicyDataError` listing every issue in every file."""
        issues: list[DataIssue] = []
        layers: list[Layer] = []
        for sf in files:
            try:
                text = sf.file.resource.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                issues.append(DataIssue(sf.plugin, sf.file.display_name, "$", f"unreadable: {exc}"))
                continue
            layer, file_issues = self.load_document(sf.plugin, sf.file.display_name, text)
            issues.extend(file_issues)
            if layer is not None:
                layers.append(layer)
        issues.extend(self._overlaps(layers))
        if issues:
            raise PolicyDataError(issues)
        return layers

    def load_document(
        self, plugin: str, name: str, text: str
    ) -> tuple[Layer | None, list[DataIssue]]:
        """Parse and validate one file's text: (the layer or None, every issue found)."""
        try:
            data = parse_text(text, name)
        except ValueError as exc:
            return None, [DataIssue(plugin, name, "$", str(exc))]
        return self.validate(plugin, name, data)

    def validate(self, plugin: str, name: str, data: Any) -> tuple[Layer | None, list[DataIssue]]:
        issues = [DataIssue(plugin, name, p, m) for p, m in self._schema_issues(data)]
        # YAML's .nan and .inf load as floats the schema's "number" lets through (and NaN passes
        # every minimum and maximum): a policy value must be a number one can compare.
        issues.extend(
            DataIssue(plugin, name, p, "is not a finite number (NaN or an infinity)")
            for p in non_finite_in(data)
        )
        if not isinstance(data, dict):
            return None, issues

        def issue(path: str, message: str) -> None:
            issues.append(DataIssue(plugin, name, path, message))

        # The jurisdiction: known, and one the plugin speaks for.
        jurisdiction = None
        code = data.get("jurisdiction")
        if isinstance(code, str):
            try:
                jurisdiction = self.registry.get(code)
            except UnknownJurisdiction as exc:
                issue("$.jurisdiction", exc.message)
        if jurisdiction is not None:
            if (jurisdiction.code == NATIONAL_CODE) != (plugin == NATIONAL_PLUGIN):
                issue(
                    "$.jurisdiction",
                    "only the core's national layer may set values for 000000"
                    if plugin != NATIONAL_PLUGIN
                    else "the national layer must use jurisdiction 000000",
                )
            elif plugin != NATIONAL_PLUGIN and not any(
                self.registry.is_within(jurisdiction.code, c) for c in self.coverage.get(plugin, ())
            ):
                covered = ", ".join(self.coverage.get(plugin, ())) or "nothing"
                issue(
                    "$.jurisdiction",
                    f"{jurisdiction.code} ({jurisdiction.name}) is outside what plugin "
                    f"'{plugin}' covers ({covered}); declare it in doudi_jurisdictions",
                )

        documents = self._documents(data.get("documents"), issue)
        raw_params = data.get("parameters")
        if not isinstance(raw_params, dict):
            return None, issues
        kind = LayerKind.NATIONAL if plugin == NATIONAL_PLUGIN else LayerKind.PLUGIN
        ref = LayerRef(jurisdiction, plugin, kind, name) if jurisdiction else None
        values: list[DatedValue] = []
        for path, entries in raw_params.items():
            if path not in self.catalog or not isinstance(entries, list):
                continue  # already reported by the schema
            values.extend(self._entries(path, entries, documents, ref, issue))
        if issues or ref is None:
            return None, issues
        return Layer(ref, tuple(values), str(data.get("description", ""))), issues

    # -- helpers ---------------------------------------------------------------------------------

    def _schema_issues(self, data: Any) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for error in sorted(self._validator.iter_errors(data), key=lambda e: list(e.path)):
            out.extend(self._describe(error))
        return out

    def _describe(self, error: ValidationError) -> list[tuple[str, str]]:
        where = _json_path(error.absolute_path)
        if error.validator == "additionalProperties" and list(error.absolute_path) == [
            "parameters"
        ]:
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            unknown = [k for k in error.instance if k not in known]
            return [
                (_json_path(["parameters", k]), self.catalog.unknown_message(k)) for k in unknown
            ]
        if error.validator == "anyOf" and error.context:
            # "value" and "until" are value-or-null: report the value's own problem.
            best = [
                e for e in error.context if e.validator != "type" or e.schema != {"type": "null"}
            ]
            msgs = sorted({e.message for e in best if e.schema.get("type") != "null"})
            if msgs:
                return [(where, "; ".join(msgs) + " (or null to end the value)")]
        return [(where, error.message)]

    def _documents(self, raw: Any, issue: Any) -> dict[str, Document]:
        out: dict[str, Document] = {}
        if not isinstance(raw, dict):
            return out
        for doc_id, doc in raw.items():
            if not isinstance(doc, dict) or not isinstance(doc.get("title"), str):
                continue
            day = _date(doc.get("date"))
            if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                issue(_json_path(["documents", doc_id, "date"]), _out_of_range(day))
            out[doc_id] = Document(
                id=doc_id,
                title=doc["title"],
                number=str(doc.get("number", "")),
                issuer=str(doc.get("issuer", "")),
                date=_date(doc.get("date")),
                url=str(doc.get("url", "")),
                note=str(doc.get("note", "")),
            )
        return out

    def _entries(
        self,
        path: str,
        entries: list[Any],
        documents: dict[str, Document],
        ref: LayerRef | None,
        issue: Any,
    ) -> list[DatedValue]:
        spans: list[tuple[dt.date, dt.date | None, Any, Source, int]] = []
        for i, entry in enumerate(entries):
            where = _json_path(["parameters", path, i])
            if not isinstance(entry, dict):
                continue
            start, until = _date(entry.get("from")), _date(entry.get("until"))
            for key, day in (("from", start), ("until", until)):
                if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                    issue(f"{where}.{key}", _out_of_range(day))
            if start is not None and not FIRST_DATE <= start <= LAST_DATE:
                continue
            if until is not None and not FIRST_DATE <= until <= LAST_DATE:
                continue
            src = entry.get("source")
            if not isinstance(src, dict):
                continue  # reported by the schema
            doc_id = src.get("document")
            document = documents.get(doc_id) if isinstance(doc_id, str) else None
            if document is None and isinstance(doc_id, str):
                issue(
                    where + ".source.document",
                    f"unknown document {doc_id!r}; declare it under $.documents",
                )
            if start is None or document is None:
                continue  # reported above or by the schema
            if until is not None and until < start:
                issue(where + ".until", f"ends ({until}) before it starts ({start})")
                continue
            end = until + dt.timedelta(days=1) if until is not None else None
            source = Source(
                document,
                str(src.get("section", "")),
                str(src.get("quote", "")),
                str(src.get("note", "")),
            )
            spans.append((start, end, entry.get("value"), source, i))

        out: list[DatedValue] = []
        spans.sort(key=lambda s: s[0])
        for k, (start, end, value, source, i) in enumerate(spans):
            nxt = spans[k + 1] if k + 1 < len(spans) else None
            if nxt is not None:
                if nxt[0] == start:
                    issue(
                        _json_path(["parameters", path, nxt[4]]) + ".from",
                        f"two values start on {start} (entries {i} and {nxt[4]})",
                    )
                    continue
                if end is not None and end > nxt[0]:
                    issue(
                        _json_path(["parameters", path, i]) + ".until",
                        f"overlaps the next value, which starts {nxt[0]}",
                    )
                    continue
                end = nxt[0] if end is None else end
            if ref is not None:
                out.append(DatedValue(path, value, start, end, source, ref))
        return out

    def _overlaps(self, layers: list[Layer]) -> list[DataIssue]:
        """Two files setting the same path at the same jurisdiction at the same time."""
        by_key: dict[tuple[str, str], list[DatedValue]] = defaultdict(list)
        for layer in layers:
            for v in layer.values:
                if v.value is not None:
                    by_key[(layer.ref.jurisdiction.code, v.path)].append(v)
        issues: list[DataIssue] = []
        for (code, path), values in by_key.items():
            values.sort(key=lambda v: v.start)
            for a, b in pairwise(values):
                if a.layer.file == b.layer.file and a.layer.origin == b.layer.origin:
                    continue
                if a.end is None or a.end > b.start:
                    issues.append(
                        DataIssue(
                            b.layer.origin,
                            b.layer.file,
                            _json_path(["parameters", path]),
                            f"{code} already has a value for this path from {a.start} in "
                            f"plugin '{a.layer.origin}' file {a.layer.file}; one jurisdiction "
                            "takes one value at a time",
                        )
                    )
        return issues


def _out_of_range(day: dt.date) -> str:
    return (
        f"{day.isoformat()} is outside the dates doudi accepts ({FIRST_DATE.isoformat()} to "
        f"{LAST_DATE.isoformat()})"
    )


def _date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    return None
