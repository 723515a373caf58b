"""The household schema's two validators say the same: jsonschema-rs answers whether a document
is valid (microseconds), jsonschema words the errors of an invalid one. Thousands of documents,
each a valid household with one value replaced (by every kind of value JSON and Python have:
wrong types, bools for numbers, dates that do not exist, a digit string with a newline,
fullwidth digits, a lone surrogate, NaN, a Decimal, a tuple), a key dropped or one added: the
errors found through the fast path are exactly jsonschema's, path for path and word for word.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from core.households import model
from core.households.model import household_to_json
from core.registers.examples import example_rows
from core.registers.files import read_sheet
from core.registers.template import COLUMNS, REQUIRED, plan_import

TODAY = dt.date(2025, 1, 1)

ODD = (
    None, True, False, 0, -1, 1, 2, 7, 1.0, 1.5, -0.01, 2**70, float("nan"), float("inf"),
    Decimal("1"), Decimal("1.5"), "", " ", "x", "urban", "head", "medical", "2024-02-29",
    "2024-02-30", "2024-2-1", "2024-01-01\n", "530102", "530102\n", "１２３４５６", "\ud800",
    "1" * 31, "12345678", [], ["x"], ["x", "x"], {}, {"kind": "x"}, (1,), ("x",),
    {"kind": "physical", "grade": Decimal(1)},
)  # fmt: skip


def _documents(registry: Any) -> list[dict[str, Any]]:
    buf = io.StringIO()
    csv.writer(buf).writerows(example_rows("140302", 60, seed=3))
    sheet = read_sheet(
        "r.csv", buf.getvalue().encode(), known=[c.header for c in COLUMNS], required=REQUIRED
    )
    plan, problems = plan_import(sheet, registry, TODAY, {}, may_write=lambda _c: None)
    assert not problems
    docs = [household_to_json(i.household) for i in plan.items]
    # And what a register does not carry.
    docs[0]["assets"] = [{"kind": "vehicle", "value": 1000, "description": "a car"}]
    docs[0]["notes"] = "a note"
    docs[0]["members"][0]["livingApartSince"] = "2015-01-01"
    docs[0]["expenses"] = [
        {"kind": "medical", "monthlyAmount": 120.5, "member": docs[0]["members"][0]["idNumber"]}
    ]
    return docs


def _places(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], tuple[Any, ...]]]:
    """Each place the documents have (a path with its list positions left out), once, in the
    first document that has it."""
    seen: set[tuple[Any, ...]] = set()
    for doc in docs:
        for path in _paths(doc):
            shape = tuple("*" if isinstance(p, int) else p for p in path)
            if shape not in seen:
                seen.add(shape)
                yield doc, path


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*at, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    target = out
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _mutations(doc: dict[str, Any], path: tuple[Any, ...]) -> Iterator[Any]:
    for odd in ODD:
        yield _set(doc, path, odd)
    here = _get(doc, path)
    if path and isinstance(_get(doc, path[:-1]), dict):
        dropped = copy.deepcopy(doc)
        del _get(dropped, path[:-1])[path[-1]]
        yield dropped
    if isinstance(here, dict):
        yield _set(doc, path, {**here, "unknown": 1})
    if isinstance(here, list) and here:
        yield _set(doc, path, [*here, copy.deepcopy(here[0])])  # a repeated item
        yield _set(doc, path, tuple(here))


def _words(errors: list[Any]) -> list[tuple[str, str]]:
    return [(model._field(e.absolute_path), model._schema_message(e)) for e in errors]


def test_the_fast_validator_finds_what_jsonschema_finds(registry) -> None:
    docs = _documents(registry)
    places = list(_places(docs))
    shapes = {tuple("*" if isinstance(p, int) else p for p in path) for _d, path in places}
    for needed in (
        ("members", "*", "disability", "grade"),
        ("income", "*", "monthlyAmount"),
        ("expenses", "*", "kind"),
        ("assets", "*", "value"),
        ("paymentAccount", "accountNumber"),
    ):
        assert needed in shapes, needed
    fast = slow_only = 0
    for doc in docs:
        assert model._schema_errors(doc) == [] and model._FAST.is_valid(doc)
    for doc, path in places:
        for d in _mutations(doc, path):
            slow = sorted(model._VALIDATOR.iter_errors(d), key=lambda e: list(e.absolute_path))
            assert _words(model._schema_errors(d)) == _words(slow), (path, d)
            plain = model._plain_json(d)
            if plain and not slow:
                fast += 1  # answered by jsonschema-rs alone
            if not plain:
                slow_only += 1
    # Both kinds were met many times: valid documents decided fast, odd Python values (a
    # Decimal, a tuple) left to jsonschema.
    assert fast > 150 and slow_only > 100, (fast, slow_only)
