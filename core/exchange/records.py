"""A department batch's rows → normalised records (pure), validated like a register: every bad
row and column at once, in the file's terms.

Every kind's file has 身份证号 and 姓名, then its own columns (:class:`core.exchange.kinds.
FieldSpec`). A record's ``key`` is the kind and its key fields (the same record in a later
batch has the same key); ``record`` keeps the row as JSON text, headers as the kind names them.
A row repeating another's ID number and key is a duplicated row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from core.exchange.kinds import DataKind, FieldSpec
from core.households.model import validate_id_number
from core.registers.files import (
    CellError,
    Problem,
    Sheet,
    date_cell,
    id_cell,
    int_cell,
    money_cell,
    name_cell,
    short_text_cell,
)
from core.registers.template import id_message

COMMON = ("身份证号", "姓名")

ARROW_SCHEMA = pa.schema(
    [
        ("id_number", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("key", pa.string()),
        ("on", pa.date32()),
        ("grade", pa.int64()),
        ("status", pa.string()),
        ("place", pa.string()),
        ("record", pa.string()),
    ]
)

_CONVERT: dict[str, Callable[[Any], Any]] = {
    "text": short_text_cell,
    "date": date_cell,
    "money": money_cell,
    "int": int_cell,
}


def headers(kind: DataKind) -> tuple[list[str], list[str]]:
    """(every header the kind's file may have, the required ones)."""
    known = [*COMMON, *(f.header for f in kind.fields)]
    required = [*COMMON, *(f.header for f in kind.fields if f.required)]
    return known, required


def template_rows(kind: DataKind) -> list[list[str]]:
    known, required = headers(kind)
    return [known, [("必填" if h in required else "") for h in known]]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def normalise(sheet: Sheet, kind: DataKind, today: dt.date) -> tuple[pa.Table, list[Problem]]:
    """The sheet's records (sorted by ID number) and every problem (import only with none)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    cols: dict[str, list[Any]] = {name: [] for name in ARROW_SCHEMA.names}
    fields: list[FieldSpec] = list(kind.fields)
    for row in sheet.rows:
        if row.cells.get("身份证号") == "必填":
            continue  # the template's help row
        bad = len(problems)
        number = None
        try:
            typed = id_cell(row.cells.get("身份证号"))
            number, why = validate_id_number(typed, today)
            if number is None:
                problems.append(Problem(row.line, "身份证号", id_message(why)))
        except CellError as exc:
            problems.append(Problem(row.line, "身份证号", str(exc)))
        name = None
        try:
            name = name_cell(row.cells.get("姓名"))
            if name is None:
                problems.append(Problem(row.line, "姓名", "empty (必填)"))
        except CellError as exc:
            problems.append(Problem(row.line, "姓名", str(exc)))
        values: dict[str, Any] = {}
        for f in fields:
            try:
                value = _CONVERT[f.type](row.cells.get(f.header))
            except CellError as exc:
                problems.append(Problem(row.line, f.header, str(exc)))
                continue
            if value is None and f.required:
                problems.append(Problem(row.line, f.header, "empty (必填)"))
            values[f.header] = value
        if len(problems) > bad or number is None:
            continue
        key = "|".join([kind.id, *(_text(values.get(f.header)) or "" for f in fields if f.key)])
        if (number, key) in seen:
            problems.append(
                Problem(
                    row.line,
                    "身份证号",
                    f"duplicated row: the same record as 第 {seen[(number, key)]} 行 (重复行)",
                )
            )
            continue
        seen[(number, key)] = row.line
        filled = {f.fills: values.get(f.header) for f in fields if f.fills}
        on = filled.get("on")
        grade = filled.get("grade")
        cols["id_number"].append(number)
        cols["name"].append(name)
        cols["kind"].append(kind.id)
        cols["key"].append(key)
        cols["on"].append(on if isinstance(on, dt.date) else None)
        cols["grade"].append(int(grade) if isinstance(grade, int) else None)
        cols["status"].append(_text(filled.get("status")))
        cols["place"].append(_text(filled.get("place")))
        cols["record"].append(
            json.dumps(
                {"姓名": name, **{h: _text(v) for h, v in values.items()}},
                ensure_ascii=False,
                sort_keys=True,
            )
        )
    table = pa.table(cols, schema=ARROW_SCHEMA)
    if table.num_rows:
        table = table.sort_by([("id_number", "ascending"), ("key", "ascending")])
    return table, problems


__all__ = ["ARROW_SCHEMA", "COMMON", "headers", "normalise", "template_rows"]
