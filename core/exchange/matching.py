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
- ``rules``: one :class:`Rule` per (kind, program) meaning: its rule id, condition and tag,
  written into the expression as literals (no table to register: Ibis memtables lose typed
  NULLs on Spark, and a joined rules table let DuckDB join 10M records with it before the ID
  join).

Conditions (:data:`CONDITIONS`) are portable expressions: no UDFs, dates compared as dates,
strings compared as strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

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

_ENDED = ("注销", "吊销")

Condition = Callable[[ir.Table, ir.DateValue, str | None], ir.BooleanValue]


def _no_tag(t: ir.Table, tag: str | None) -> ir.BooleanValue:
    """The person does not carry ``tag`` yet (tags stored as ``|a|b|``)."""
    return t.tags.isnull() | ~t.tags.contains(f"|{tag}|")


CONDITIONS: dict[str, Condition] = {
    # A death on or before the comparison date that the household does not record yet.
    "death": lambda t, d, tag: t.on.notnull() & (t.on <= d) & t.dead_on.isnull(),
    # Registration moved out of the recipient's county (or to a place not given), by then.
    "moved_away": lambda t, d, tag: (
        t.on.notnull() & (t.on <= d) & (t.place.isnull() | (t.place != t.county))
    ),
    "any": lambda t, d, tag: ibis.literal(True),
    "business_active": lambda t, d, tag: t.status.isnull() | ~t.status.isin(_ENDED),
    "disability_differs": lambda t, d, tag: (
        t.grade.notnull() & (t.disability_grade.isnull() | (t.disability_grade != t.grade))
    ),
    "student_differs": lambda t, d, tag: (
        (t.status.isnull() | (t.status != "毕业")) & (t.in_school.isnull() | ~t.in_school)
    ),
    # Tags: only what the tag means, once per person.
    "tag": lambda t, d, tag: _no_tag(t, tag),
    "tag_severe_disability": lambda t, d, tag: t.grade.notnull() & (t.grade <= 2) & _no_tag(t, tag),
    "tag_graduate": lambda t, d, tag: (t.status == "毕业") & _no_tag(t, tag),
}
_TAG_CONDITIONS = {"disability": "tag_severe_disability", "students": "tag_graduate"}


@dataclass(frozen=True, slots=True)
class Rule:
    """What a (kind, program) match is checked for: the rule it raises, the condition, the tag."""

    kind: str
    program: str
    rule: str
    condition: str
    tag: str | None


def rules_of(kinds: Iterable[DataKind]) -> list[Rule]:
    """One rule per kind and meaning."""
    out = []
    for k in kinds:
        for m in k.meanings:
            condition = _TAG_CONDITIONS.get(k.id, "tag") if m.action == "tag" else k.condition
            if condition not in CONDITIONS:
                raise ValueError(f"kind {k.id}: unknown condition {condition!r}")
            out.append(Rule(k.id, m.program, m.rule, condition, m.tag))
    return out


# What the engine returns (:func:`matches`); :func:`name_rules` adds ``rule``.
MATCH_COLUMNS = (
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
    "record",
)
OUTPUT_COLUMNS = (*MATCH_COLUMNS[:-1], "rule", "record")


def matches(
    recipients: ir.Table, records: ir.Table, rules: Sequence[Rule], as_of: dt.date
) -> ir.Table:
    """Every (person, subject, record) for which the condition of its (kind, program) rule
    holds on ``as_of`` (:data:`MATCH_COLUMNS`; :func:`name_rules` names the rule).

    The rules are literals in the expression, not a joined table: the only join is on the ID
    number, so the engine joins the people with the records first and evaluates the rules on
    the matches alone. Rules sharing a condition (and tag) are one test of the (kind, program)
    pair against their list, so the expression stays small (compiling it to SQL is part of
    every comparison's time: 34 rules as 34 CASE branches took 0.5-1 s to compile).
    """
    groups: dict[tuple[str, str | None], list[str]] = {}
    for x in rules:
        groups.setdefault((x.condition, x.tag), []).append(f"{x.kind}|{x.program}")
    # The recipients' columns the result and these rules' conditions read, no others: the
    # join reads every recipient's row of what it is given (a hash join's probe side is not
    # filtered by the matches), and a column no rule tests is work for nothing.
    wanted = set(MATCH_COLUMNS) | {c for condition, _tag in groups for c in _reads(condition)}
    people = recipients.select(*(c for c in recipients.columns if c in wanted))
    r = records.rename(record_name="name")
    t = people.join(r, "id_number")
    day = ibis.literal(as_of, type="date")
    if not groups:
        return t.filter(ibis.literal(False)).select(*MATCH_COLUMNS)
    pair = t.kind.concat("|", t.program)
    tests = [
        pair.isin(sorted(pairs)) & CONDITIONS[condition](t, day, tag)
        for (condition, tag), pairs in groups.items()
    ]
    holds = tests[0]
    for more in tests[1:]:
        holds = holds | more
    return t.filter(holds).select(*MATCH_COLUMNS)


@cache
def _reads(condition: str) -> frozenset[str]:
    """The recipients' columns ``condition`` reads (found from its expression over an unbound
    table of both schemas, so a new condition needs no list kept beside it)."""
    record = {k: v for k, v in RECORD_SCHEMA.items() if k not in ("id_number", "name")}
    both = ibis.table({**dict(RECIPIENT_SCHEMA.items()), **record}, name="both")
    expr = CONDITIONS[condition](both, ibis.literal(dt.date(2000, 1, 1)), "x")
    fields = {f.name for f in expr.op().find(ops.Field)}
    return frozenset(fields & set(RECIPIENT_SCHEMA.names))


def name_rules(found: pa.Table, rules: Sequence[Rule]) -> pa.Table:
    """``found`` (:data:`MATCH_COLUMNS`) with the ``rule`` of each row's (kind, program), in
    :data:`OUTPUT_COLUMNS` order: a dictionary lookup here instead of a CASE in the engine."""
    rule_of = {(x.kind, x.program): x.rule for x in rules}
    kinds, programs = found.column("kind").to_pylist(), found.column("program").to_pylist()
    named = pa.array([rule_of[k, p] for k, p in zip(kinds, programs, strict=True)], pa.string())
    at = found.schema.get_field_index("record")
    return found.add_column(at, "rule", named).select(list(OUTPUT_COLUMNS))


def on_file(recipients: ir.Table, records: ir.Table) -> ir.Table:
    """The records whose ID number is a recipient's (a semi-join: each record once, however
    many subjects the person is on), with the records' columns only: the first step of a
    comparison, before :func:`matches` joins them with the recipients' other columns."""
    return records.semi_join(recipients.select("id_number"), "id_number")


def bare_join(recipients: ir.Table, records: ir.Table) -> ir.Table:
    """The baseline a comparison is measured against: the same ID columns joined, nothing
    else."""
    return recipients.select("id_number").join(records.select("id_number"), "id_number")


__all__ = [
    "CONDITIONS",
    "MATCH_COLUMNS",
    "OUTPUT_COLUMNS",
    "RECIPIENT_SCHEMA",
    "RECORD_SCHEMA",
    "Rule",
    "bare_join",
    "matches",
    "name_rules",
    "on_file",
    "rules_of",
]
