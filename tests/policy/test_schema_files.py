"""The published JSON Schema matches the catalog, and the shipped data validates against it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from core.households.model import dumps_household_schema
from core.policy.loader import parse_text
from core.policy.schema import dumps_schema

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "policy-layer.schema.json"


def test_published_schema_matches_the_catalog(base):
    assert SCHEMA.exists(), "schema/policy-layer.schema.json is missing: run `doudi schema export`"
    assert SCHEMA.read_text(encoding="utf-8") == dumps_schema(base.catalog), (
        "schema/policy-layer.schema.json is out of date with the catalog: run `doudi schema export`"
    )


def test_every_shipped_data_file_validates_against_the_published_schema():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    packages = [
        "core.policy.national",
        *(f"plugins.{p}" for p in ("guizhou", "shanxi", "yunnan", "guangxi", "ningxia")),
    ]
    checked = 0
    for package in packages:
        for f in (resources.files(package) / "policy").iterdir():
            data = parse_text(f.read_text(encoding="utf-8"), f.name)
            errors = [e.message for e in validator.iter_errors(data)]
            assert not errors, f"{package}/{f.name}: {errors}"
            checked += 1
    assert checked == len(packages)


def test_published_household_schema_is_current():
    path = SCHEMA.parent / "household.schema.json"
    assert path.exists(), "schema/household.schema.json is missing: run `doudi schema export`"
    assert path.read_text(encoding="utf-8") == dumps_household_schema(), (
        "schema/household.schema.json is out of date with core/household.py: "
        "run `doudi schema export`"
    )
