"""The comparison (比对) as ONE Ibis expression: the people doudi pays or registers joined with
department records on the resident ID number, each match kept when its kind's condition holds
for the program it is about. The same expression runs on DuckDB (embedded, the default) and on
Spark (where provinces keep their data); nothing here touches a backend.

Inputs (Ibis tables; see :data:`RECIPIENT_SCHEMA`, :data:`RECORD_SCHEMA`, :data:`RULE_SCHEMA`):

- ``recipients``: one row per person and subject — a member of a household with a case in
  payment (``subject = 'case'``, its program) or a person on the low-income register
  (``subject = 'person'``, program ``low_income``) — with what the household already records
  (``dead_on``, ``disability_grade``, ``in_school``, ``tags`` as ``|tag|tag|``);
- ``records``: the batches' records, normalised (:data:`core.exchange.kinds.RECORD_COLUMNS`)
  with their ``batch_id``;
- ``rules``: one row per (kind, program) meaning: its rule id, condition and tag.

Conditions (:data:`CONDITIONS`) are portable expressions: no UDFs, dates compared as dates,
strings compared as strings. Rules are passed as a table (registered by the engine adapter,
never an Ibis memtable: Spark's memtable path loses typed NULLs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from core.exchange.kinds import DataKind

RECIPIENT_SCHEMA = ibis.schema(
    {
        "subject": "string",  # case / person
        "subject_id": "int64",
        "case_id": "int64",
        "person_id": "int64",
        "household_id": "int64",
        "county": "string",
        "prefecture": "string",
        "province": "string",
        "program": "string",
        "id_number": "string",
        "name": "string",
        "dead_on": "date",
        "disability_grade": "int64",
        "in_school": "boolean",
        "tags": "string",
    }
)
RECORD_SCHEMA = ibis.schema(
    {
        "id_number": "string",
        "name": "string",
        "kind": "string",
        "key": "string",
        "on": "date",
        "grade": "int64",
        "status": "string",
        "place": "string",
        "record": "string",
    }
)
RULE_SCHEMA = ibis.schema(
    {
        "kind": "string",
        "program": "string",
        "rule": "string",
        "condition": "string",
        "tag": "string",
    }
)

_ENDED = ("注销", "吊销")

Condition = Callable[[ir.Table, dt.date], ir.BooleanValue]


def _no_tag(t: ir.Table) -> ir.BooleanValue:
    """The person does not carry the rule's tag yet (tags stored as ``|a|b|``)."""
    return t.tags.isnull() | ~t.tags.contains(ibis.literal("|").concat(t.tag, "|"))


CONDITIONS: dict[str, Condition] = {
    # A death on or before the comparison date that the household does not record yet.
    "death": lambda t, d: t.on.notnull() & (t.on <= d) & t.dead_on.isnull(),
    # Registration moved out of the recipient's county (or to a place not given), by then.
    "moved_away": lambda t, d: (
        t.on.notnull() & (t.on <= d) & (t.place.isnull() | (t.place != t.county))
    ),
    "any": lambda t, d: ibis.literal(True),
    "business_active": lambda t, d: t.status.isnull() | ~t.status.isin(_ENDED),
    "disability_differs": lambda t, d: (
        t.grade.notnull() & (t.disability_grade.isnull() | (t.disability_grade != t.grade))
    ),
    "student_differs": lambda t, d: (
        (t.status.isnull() | (t.status != "毕业")) & (t.in_school.isnull() | ~t.in_school)
    ),
    # Tags: only what the tag means, once per person.
    "tag": lambda t, d: _no_tag(t),
    "tag_severe_disability": lambda t, d: t.grade.notnull() & (t.grade <= 2) & _no_tag(t),
    "tag_graduate": lambda t, d: (t.status == "毕业") & _no_tag(t),
}
_TAG_CONDITIONS = {"disability": "tag_severe_disability", "students": "tag_graduate"}


def rule_rows(kinds: Iterable[DataKind]) -> list[dict[str, Any]]:
    """The ``rules`` table's rows: one per kind and meaning."""
    rows = []
    for k in kinds:
        for m in k.meanings:
            condition = _TAG_CONDITIONS.get(k.id, "tag") if m.action == "tag" else k.condition
            if condition not in CONDITIONS:
                raise ValueError(f"kind {k.id}: unknown condition {condition!r}")
            rows.append(
                {
                    "kind": k.id,
                    "program": m.program,
                    "rule": m.rule,
                    "condition": condition,
                    "tag": m.tag,
                }
            )
    return rows


OUTPUT_COLUMNS = (
    "subject",
    "subject_id",
    "case_id",
    "person_id",
    "household_id",
    "county",
    "prefecture",
    "province",
    "program",
    "id_number",
    "name",
    "record_name",
    "batch_id",
    "kind",
    "key",
    "rule",
    "record",
)


def matches(recipients: ir.Table, records: ir.Table, rules: ir.Table, as_of: dt.date) -> ir.Table:
    """Every (person, subject, record, rule) whose condition holds on ``as_of``."""
    r = records.rename(record_name="name")
    joined = recipients.join(r, "id_number").join(
        rules, [r.kind == rules.kind, recipients.program == rules.program]
    )
    day = ibis.literal(as_of, type="date")
    condition = ibis.cases(
        *[(joined.condition == name, test(joined, day)) for name, test in CONDITIONS.items()],
        else_=ibis.literal(False),
    )
    return joined.filter(condition).select(*OUTPUT_COLUMNS)


def bare_join(recipients: ir.Table, records: ir.Table) -> ir.Table:
    """The baseline a comparison is measured against: the same ID columns joined, nothing
    else."""
    return recipients.select("id_number").join(records.select("id_number"), "id_number")


__all__ = [
    "CONDITIONS",
    "OUTPUT_COLUMNS",
    "RECIPIENT_SCHEMA",
    "RECORD_SCHEMA",
    "RULE_SCHEMA",
    "bare_join",
    "matches",
    "rule_rows",
]
