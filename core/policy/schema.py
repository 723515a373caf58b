"""The JSON Schema of a policy layer file, generated from the catalog (``schema/``)."""

from __future__ import annotations

import json
from typing import Any

from core.plugin.hookspecs import ParameterSpec
from core.policy.catalog import Catalog

SCHEMA_ID = "urn:doudi:schema:policy-layer:1"
DOCUMENT_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def value_schema(spec: ParameterSpec) -> dict[str, Any]:
    """The JSON Schema of one value of ``spec`` (without the ``null`` that ends a value)."""
    out: dict[str, Any]
    if spec.type == "boolean":
        out = {"type": "boolean"}
    elif spec.type in ("integer", "number"):
        out = {"type": spec.type}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
    elif spec.type == "enum":
        out = {"enum": list(spec.choices)}
    else:
        item: dict[str, Any] = {"enum": list(spec.choices)} if spec.choices else {"type": "string"}
        out = {"type": "array", "items": item, "uniqueItems": True}
    out["description"] = f"{spec.description} [{spec.unit}]" + (
        f" {spec.label_zh}" if spec.label_zh else ""
    )
    return out


def layer_schema(catalog: Catalog) -> dict[str, Any]:
    """The schema every policy data file (YAML or JSON) must satisfy."""
    parameters = {
        path: {
            "type": "array",
            "minItems": 1,
            "description": catalog[path].description,
            "items": {
                "type": "object",
                "required": ["from", "value", "source"],
                "additionalProperties": False,
                "properties": {
                    "from": {"$ref": "#/$defs/date"},
                    "until": {
                        "description": "last day in effect (inclusive); omit or null if open",
                        "anyOf": [{"$ref": "#/$defs/date"}, {"type": "null"}],
                    },
                    "value": {
                        "description": "null ends the value: the path falls back to less "
                        "specific layers from this date",
                        "anyOf": [value_schema(catalog[path]), {"type": "null"}],
                    },
                    "source": {"$ref": "#/$defs/source"},
                },
            },
        }
        for path in catalog
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "doudi policy layer",
        "description": "Dated, sourced policy values that one plugin sets for one jurisdiction.",
        "type": "object",
        "required": ["jurisdiction", "documents", "parameters"],
        "additionalProperties": False,
        "properties": {
            "jurisdiction": {
                "description": "GB/T 2260 code (000000 for the national layer)",
                "type": "string",
                "pattern": "^[0-9]{6}$",
            },
            "description": {"type": "string"},
            "documents": {
                "type": "object",
                "propertyNames": {"pattern": DOCUMENT_ID_PATTERN},
                "additionalProperties": {"$ref": "#/$defs/document"},
            },
            "parameters": {
                "type": "object",
                "additionalProperties": False,
                "properties": parameters,
            },
        },
        "$defs": {
            "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "document": {
                "type": "object",
                "required": ["title"],
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "minLength": 1},
                    "number": {"type": "string"},
                    "issuer": {"type": "string"},
                    "date": {"$ref": "#/$defs/date"},
                    "url": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
            "source": {
                "type": "object",
                "required": ["document", "section", "quote"],
                "additionalProperties": False,
                "properties": {
                    "document": {"type": "string", "pattern": DOCUMENT_ID_PATTERN},
                    "section": {"type": "string", "minLength": 1},
                    "quote": {"type": "string", "minLength": 1},
                    "note": {"type": "string"},
                },
            },
        },
    }


def dumps_schema(catalog: Catalog) -> str:
    return json.dumps(layer_schema(catalog), ensure_ascii=False, indent=2) + "\n"
