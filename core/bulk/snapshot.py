"""Snapshots: the stored registers of a jurisdiction as Parquet, the input of every bulk job.

A snapshot is a directory ``<root>/<code>/<as_of>/<id>/`` holding

- ``households.parquet``: one row per household (``hh_id`` is the stored id, ``version`` the
  document's version, where it is, area, income class, the property finding, tags);
- ``members.parquet``: one row per member, ``pid`` numbering the snapshot's members from 0 (the
  integer the jobs join on), the birth date read from the resident ID number;
- ``deaths.parquet`` and ``marked.parquet``: the rows of ``members.parquet`` for the members
  with a date of death, and for those with a disability, a serious illness or a tag
  (:func:`marked`) — the only members the dibao rules look at one by one (the dead, subtracted
  from their household's totals; the candidates for single-person enrolment). A few percent and
  a quarter of the members: a job reads these instead of scanning every member for the few it
  needs;
- ``incomes.parquet`` / ``expenses.parquet``: one row per item, money in integer fen, ``pid`` the
  member it belongs to (NULL: the household's);
- ``cases.parquet``: one row per case, its state, version and current amount in fen;
- ``documents.parquet``: each household's document exactly as stored (for a trace of any
  household of a bulk run: :mod:`core.bulk.explain`);
- ``manifest.json``: what was read, from where, at what isolation, the row counts and the
  SHA-256 of every file.

This module is the pure part: the schemas, the flattening of a batch of household documents
(NDJSON, one per line, as both databases hand them over) into those tables with Arrow compute,
and the writer that streams batches into the files with bounded memory. Reading the database is
:mod:`core.bulk.snapshot_store`.

A small population decided at once and forgotten (a simulation of a county's registers from
the console) needs no files: :class:`MemoryWriter` keeps the same tables, flattened the same
way, in memory (:class:`MemorySnapshot`), without the documents.

Money: a document's amounts are JSON numbers in yuan with at most two decimals; they are parsed
as ``decimal128(16, 2)`` and multiplied by 100 into int64 fen, exactly (never through a float).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from core.errors import DoudiError, InvalidInput
from core.policy.catalog import INCOME_EXCLUSIONS

SCHEMA_VERSION = 5
# Rigid spending kinds (core.households.model.ExpenseKind), summed per member and household.
EXPENSE_KINDS = ("medical", "disability_rehabilitation", "education", "employment_cost")
# Income the rules may leave out (core.policy.catalog.INCOME_EXCLUSIONS), summed apart.
EXCLUSIONS = INCOME_EXCLUSIONS
FILES = (
    "households",
    "members",
    "deaths",
    "marked",
    "incomes",
    "expenses",
    "cases",
    "documents",
)
# Rows per row group of the files a job scans (DuckDB's own row group size): a job's engine
# reads a file a row group at a time, each thread its own, and pays for every row group and
# column chunk it opens — a row group per exported batch (a few thousand rows) cost a bulk
# decision a fifth of its CPU. The writer holds at most this many rows of each file.
ROW_GROUP_ROWS = 122_880
# The keys a database adds to each stored document on its way out (never document fields).
META_KEYS = ("_id", "_version", "_prefecture", "_province")

_MONEY = pa.decimal128(16, 2)
_DISABILITY = pa.struct([("kind", pa.string()), ("grade", pa.int64())])
_MEMBER = pa.struct(
    [
        ("idNumber", pa.string()),
        ("relation", pa.string()),
        ("disability", _DISABILITY),
        ("seriousIllness", pa.bool_()),
        ("majorIllnessMedicalAid", pa.bool_()),
        ("labourCapacity", pa.string()),
        ("inSchool", pa.bool_()),
        ("schoolLevel", pa.string()),
        ("employed", pa.bool_()),
        ("dateOfDeath", pa.string()),
        ("selfCareFailed", pa.list_(pa.string())),
        ("hasAbleSupporter", pa.bool_()),
        ("dependsOnFamilySupport", pa.bool_()),
        ("livingApartSince", pa.string()),
        ("tags", pa.list_(pa.string())),
    ]
)
_INCOME = pa.struct(
    [
        ("kind", pa.string()),
        ("monthlyAmount", _MONEY),
        ("member", pa.string()),
        ("regular", pa.bool_()),
        ("excludedAs", pa.string()),
    ]
)
_EXPENSE = pa.struct([("kind", pa.string()), ("monthlyAmount", _MONEY), ("member", pa.string())])
# What the reader parses of each line; every other key (names, assets, the payment account,
# notes) is skipped without being materialised.
DOCUMENT = pa.schema(
    [
        ("_id", pa.int64()),
        ("_version", pa.int64()),
        ("_prefecture", pa.string()),
        ("_province", pa.string()),
        ("county", pa.string()),
        ("area", pa.string()),
        ("incomeClass", pa.string()),
        ("propertyWithinLocalRules", pa.bool_()),
        ("tags", pa.list_(pa.string())),
        ("members", pa.list_(_MEMBER)),
        ("income", pa.list_(_INCOME)),
        ("expenses", pa.list_(_EXPENSE)),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "households": pa.schema(
        [
            ("hh_id", pa.int64()),
            ("version", pa.int64()),
            ("county", pa.string()),
            ("prefecture", pa.string()),
            ("province", pa.string()),
            ("area", pa.string()),
            ("income_class", pa.string()),
            ("property_ok", pa.bool_()),
            # ",tag1,tag2," (none: ","): a tag group is a substring test that every engine runs
            # the same way; members carry their own tags the same way.
            ("tags", pa.string()),
            ("members", pa.int64()),
            # The household's own items (no member), summed: income and rigid spending by kind.
            ("hh_income_fen", pa.int64()),
            *[(f"hh_e_{k}", pa.int64()) for k in EXPENSE_KINDS],
            # Its members' items, summed over every member, dead or alive: a job subtracts the
            # few dead on its date instead of adding up every living member.
            ("m_income_fen", pa.int64()),
            *[(f"m_e_{k}", pa.int64()) for k in EXPENSE_KINDS],
            # Of those incomes, what each kind of income the rules may leave out adds up to:
            # the household's own items (hx_) and its members' (mx_).
            *[(f"hx_{k}", pa.int64()) for k in INCOME_EXCLUSIONS],
            *[(f"mx_{k}", pa.int64()) for k in INCOME_EXCLUSIONS],
            # Members seriously ill, severely disabled (grade 1–2) or at college: the hardship of
            # a deduction scope (Yongfu 003 二(二)), counted over every member.
            ("m_hardship", pa.int64()),
        ]
    ),
    "members": pa.schema(
        [
            ("pid", pa.int64()),
            ("hh_id", pa.int64()),
            ("pos", pa.int64()),
            ("id_number", pa.string()),
            ("relation", pa.string()),
            ("birth_date", pa.date32()),
            ("death_date", pa.date32()),
            ("disability_kind", pa.string()),
            ("disability_grade", pa.int64()),
            ("serious_illness", pa.bool_()),
            ("major_illness_aid", pa.bool_()),
            ("labour_capacity", pa.string()),
            ("in_school", pa.bool_()),
            ("school_level", pa.string()),
            ("employed", pa.bool_()),
            ("self_care_failed", pa.int64()),
            ("has_able_supporter", pa.bool_()),
            ("depends_on_family_support", pa.bool_()),
            ("living_apart_since", pa.date32()),
            ("tags", pa.string()),
            # The member's own items, summed: income and rigid spending by kind. The jobs read
            # these (one pass over the members) rather than joining the item tables.
            ("own_fen", pa.int64()),
            *[(f"e_{k}", pa.int64()) for k in EXPENSE_KINDS],
            *[(f"ox_{k}", pa.int64()) for k in INCOME_EXCLUSIONS],
        ]
    ),
    "incomes": pa.schema(
        [
            ("hh_id", pa.int64()),
            ("pid", pa.int64()),
            ("kind", pa.string()),
            ("amount_fen", pa.int64()),
            ("regular", pa.bool_()),
            ("excluded_as", pa.string()),
        ]
    ),
    "expenses": pa.schema(
        [
            ("hh_id", pa.int64()),
            ("pid", pa.int64()),
            ("kind", pa.string()),
            ("amount_fen", pa.int64()),
        ]
    ),
    "cases": pa.schema(
        [
            ("case_id", pa.int64()),
            ("hh_id", pa.int64()),
            ("program", pa.string()),
            ("county", pa.string()),
            ("prefecture", pa.string()),
            ("province", pa.string()),
            ("state", pa.string()),
            ("version", pa.int64()),
            ("amount_fen", pa.int64()),
            ("benefit_from", pa.date32()),
            ("exit_on", pa.date32()),
            ("exit_reason", pa.string()),
            ("phase_out_last_month", pa.string()),
            ("members_covered", pa.string()),  # ",id1,id2,"
            ("mode", pa.string()),  # whole_household / single_person (as confirmed)
        ]
    ),
    "documents": pa.schema(
        [("hh_id", pa.int64()), ("version", pa.int64()), ("document", pa.string())]
    ),
}


SCHEMAS["deaths"] = SCHEMAS["marked"] = SCHEMAS["members"]


class SnapshotError(DoudiError):
    code = "SNAPSHOT_FAILED"


class SnapshotNotFound(DoudiError):
    code = "NOT_FOUND"


# -- flattening ----------------------------------------------------------------------------------


def _fen(amounts: pa.Array) -> pa.Array:
    """decimal(16, 2) yuan → int64 fen, exact."""
    scaled = pc.multiply(amounts, pa.scalar(100, pa.decimal128(3, 0)))
    return pc.cast(scaled, pa.int64())


def _date(strings: pa.Array) -> pa.Array:
    """ISO date strings (or NULL) → date32 (the JSON reader keeps dates as text)."""
    return pc.cast(pc.cast(strings, pa.timestamp("s")), pa.date32())


def _tag_text(lists: pa.Array) -> pa.Array:
    """list<string> → ",a,b," (NULL or empty → ",")."""
    joined = pc.fill_null(pc.binary_join(lists, ","), "")
    wrapped = pc.binary_join_element_wise(",", joined, ",", "")
    return pc.if_else(pc.equal(joined, ""), ",", wrapped)


def _birth_dates(id_numbers: pa.Array) -> pa.Array:
    """The birth date a resident ID number carries (characters 7–14, YYYYMMDD)."""
    digits = pc.utf8_slice_codeunits(id_numbers, 6, 14)
    return pc.cast(pc.strptime(digits, format="%Y%m%d", unit="s"), pa.date32())


def _with_default(values: pa.Array, default: Any) -> pa.Array:
    return pc.fill_null(values, default)


@dataclass
class Flattener:
    """Turns batches of parsed documents into the snapshot's tables, numbering members on."""

    next_pid: int = 0

    def flatten(self, batch: pa.RecordBatch) -> dict[str, pa.RecordBatch]:
        hh = batch.column("_id")
        members = batch.column("members")
        n_members = pc.fill_null(pc.list_value_length(members), 0)
        m = pc.list_flatten(members)
        m_parent = pc.list_parent_indices(members)
        m_hh = pc.take(hh, m_parent)
        count = len(m)
        pid = pa.array(range(self.next_pid, self.next_pid + count), pa.int64())
        self.next_pid += count
        pos = pc.subtract(
            pa.array(range(count), pa.int64()),
            pc.take(
                pc.subtract(pc.cumulative_sum(n_members), n_members),
                m_parent,
            ),
        )
        ids = m.field("idNumber")
        key = pa.record_batch({"hh_id": m_hh, "id_number": ids, "pid": pid})
        incomes = self._items(batch, "income", key, "incomes")
        expenses = self._items(batch, "expenses", key, "expenses")
        first = pid[0].as_py() if count else 0
        size = len(batch)

        # Sums per member (index pid - first) and per household (index: row of the batch).
        own = _sums(incomes, None, first, count)
        hh_income = _sums(incomes, None, None, size, parent=self._parents)
        own_e = {k: _sums(expenses, k, first, count) for k in EXPENSE_KINDS}
        hh_e = {k: _sums(expenses, k, None, size, parent=self._exp_parents) for k in EXPENSE_KINDS}
        own_x = {
            k: _sums(incomes, k, first, count, column="excluded_as") for k in INCOME_EXCLUSIONS
        }
        hh_x = {
            k: _sums(incomes, k, None, size, parent=self._parents, column="excluded_as")
            for k in INCOME_EXCLUSIONS
        }

        member_tags = m.field("tags")
        disability = m.field("disability")
        members_out = pa.record_batch(
            [
                pid,
                m_hh,
                pc.cast(pos, pa.int64()),
                ids,
                m.field("relation"),
                _birth_dates(ids),
                _date(m.field("dateOfDeath")),
                disability.field("kind"),
                disability.field("grade"),
                _with_default(m.field("seriousIllness"), False),
                _with_default(m.field("majorIllnessMedicalAid"), False),
                _with_default(m.field("labourCapacity"), "full"),
                _with_default(m.field("inSchool"), False),
                m.field("schoolLevel"),
                _with_default(m.field("employed"), False),
                pc.cast(
                    pc.fill_null(pc.list_value_length(m.field("selfCareFailed")), 0), pa.int64()
                ),
                _with_default(m.field("hasAbleSupporter"), True),
                m.field("dependsOnFamilySupport"),
                _date(m.field("livingApartSince")),
                _tag_text(member_tags),
                own,
                *[own_e[k] for k in EXPENSE_KINDS],
                *[own_x[k] for k in INCOME_EXCLUSIONS],
            ],
            schema=SCHEMAS["members"],
        )

        households_out = pa.record_batch(
            [
                hh,
                batch.column("_version"),
                batch.column("county"),
                batch.column("_prefecture"),
                batch.column("_province"),
                batch.column("area"),
                batch.column("incomeClass"),
                batch.column("propertyWithinLocalRules"),
                _tag_text(batch.column("tags")),
                pc.cast(n_members, pa.int64()),
                hh_income,
                *[hh_e[k] for k in EXPENSE_KINDS],
                _per_household(own, m_parent, size),
                *[_per_household(own_e[k], m_parent, size) for k in EXPENSE_KINDS],
                *[hh_x[k] for k in INCOME_EXCLUSIONS],
                *[_per_household(own_x[k], m_parent, size) for k in INCOME_EXCLUSIONS],
                _per_household(
                    pc.cast(_hardship(m, disability.field("grade")), pa.int64()), m_parent, size
                ),
            ],
            schema=SCHEMAS["households"],
        )
        return {
            "households": households_out,
            "members": members_out,
            "deaths": members_out.filter(pc.is_valid(members_out.column("death_date"))),
            "marked": members_out.filter(marked(members_out)),
            "incomes": incomes,
            "expenses": expenses,
        }

    _parents: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))
    _exp_parents: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))

    def _items(
        self, batch: pa.RecordBatch, column: str, key: pa.RecordBatch, name: str
    ) -> pa.RecordBatch:
        items = batch.column(column)
        parent = pc.list_parent_indices(items)
        if name == "incomes":
            self._parents = parent
        else:
            self._exp_parents = parent
        values = pc.list_flatten(items)
        hh = pc.take(batch.column("_id"), parent)
        # The member an item belongs to, as the snapshot's pid: looked up by household and ID
        # number (NULL stays NULL: the household's own item).
        wanted = _member_key(hh, values.field("member"))
        have = _member_key(key.column("hh_id"), key.column("id_number"))
        pid = pc.take(key.column("pid"), pc.index_in(wanted, value_set=have))
        cols = [hh, pid, values.field("kind"), _fen(values.field("monthlyAmount"))]
        if name == "incomes":
            cols += [_with_default(values.field("regular"), True), values.field("excludedAs")]
        return pa.record_batch(cols, schema=SCHEMAS[name])


def _member_key(hh: pa.Array, id_number: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pc.cast(hh, pa.string()), id_number, "|")


def _per_household(values: pa.Array, parent: pa.Array, size: int) -> pa.Array:
    """Exact int64 sums of per-member ``values`` by the member's household (batch row)."""
    import numpy as np

    out = np.zeros(size, dtype=np.int64)
    if len(values):
        g = pa.table({"i": parent, "a": values}).group_by("i").aggregate([("a", "sum")])
        out[g.column("i").to_numpy()] = g.column("a_sum").to_numpy()
    return pa.array(out, pa.int64())


def _hardship(m: pa.Array, grade: pa.Array) -> pa.Array:
    """Seriously ill, severely disabled (grade 1–2) or at college (高校就读生)."""
    ill = pc.fill_null(m.field("seriousIllness"), False)
    severe = pc.fill_null(pc.less_equal(grade, 2), False)
    college = pc.fill_null(pc.equal(m.field("schoolLevel"), "higher_education"), False)
    return pc.or_(pc.or_(ill, severe), college)


def marked(members: pa.RecordBatch) -> pa.Array:
    """Which of ``members`` go into ``marked.parquet``: a disability (kind or grade), a serious
    illness or a tag, dead or alive. A member without any of them meets no single-person
    condition (:func:`core.bulk.rules.dibao`), and the rules see them through their household's
    totals only (less the dead, from ``deaths.parquet``)."""
    out = pc.or_(
        pc.is_valid(members.column("disability_kind")),
        pc.is_valid(members.column("disability_grade")),
    )
    out = pc.or_(out, pc.fill_null(members.column("serious_illness"), False))
    return pc.or_(out, pc.not_equal(members.column("tags"), ","))


def _sums(
    items: pa.RecordBatch,
    kind: str | None,
    first: int | None,
    size: int,
    parent: pa.Array | None = None,
    column: str = "kind",
) -> pa.Array:
    """Exact int64 sums of ``items``' amounts (of ``kind`` only, if given): per member (index
    ``pid - first``, items with a member) or, with ``parent``, per household (index: the batch
    row; items without a member)."""
    import numpy as np

    amount = items.column("amount_fen")
    pid = items.column("pid")
    mask = pc.is_valid(pid) if parent is None else pc.is_null(pid)
    if kind is not None:
        mask = pc.and_(mask, pc.fill_null(pc.equal(items.column(column), kind), False))
    index = pc.subtract(pid, first) if parent is None else parent
    t = pa.table({"i": pc.filter(index, mask), "a": pc.filter(amount, mask)})
    out = np.zeros(size, dtype=np.int64)
    if t.num_rows:
        g = t.group_by("i").aggregate([("a", "sum")])
        out[g.column("i").to_numpy()] = g.column("a_sum").to_numpy()
    return pa.array(out, pa.int64())


# -- reading NDJSON ------------------------------------------------------------------------------


BLOCK_SIZE = 8 << 20  # bytes of NDJSON parsed at a time: bounds the export's memory


_PARSE = pj.ParseOptions(explicit_schema=DOCUMENT, unexpected_field_behavior="ignore")


def _bad_document(lines: Iterable[bytes], error: Exception) -> SnapshotError:
    """The first of ``lines`` the reader refuses, named by its household id."""
    for line in lines:
        try:
            pj.read_json(io.BytesIO(line), parse_options=_PARSE)
        except pa.ArrowInvalid as exc:
            try:
                hid = json.loads(line).get("_id")
            except ValueError:
                hid = None
            return SnapshotError(
                f"household {hid}: its stored document could not be read ({exc}); correct it "
                "through the household API and export again"
            )
    return SnapshotError(f"a stored household document could not be read: {error}")


def read_documents(
    lines: Iterator[bytes | memoryview], block_size: int = BLOCK_SIZE
) -> Iterator[tuple[pa.RecordBatch, list[bytes]]]:
    """Parse NDJSON household documents (with the database's ``_id``… keys) into record batches
    of :data:`DOCUMENT`, each with the lines it was parsed from.

    Lines are gathered up to ``block_size`` bytes and each block parsed on its own (pyarrow's
    JSON reader, its threads within the block): memory stays at a few blocks whatever the
    export's size. (pyarrow's streaming reader reads ahead of its consumer without bound.)"""
    block: list[bytes] = []
    size = 0
    for chunk in lines:
        line = bytes(chunk)
        if not line.endswith(b"\n"):
            line += b"\n"
        block.append(line)
        size += len(line)
        if size >= block_size:
            yield from _parse_block(block)
            block, size = [], 0
    if block:
        yield from _parse_block(block)


def _parse_block(block: list[bytes]) -> Iterator[tuple[pa.RecordBatch, list[bytes]]]:
    data = b"".join(block)
    try:
        table = pj.read_json(
            io.BytesIO(data),
            # Blocks of 1 MiB: parsed on every core, in order.
            read_options=pj.ReadOptions(block_size=1 << 20),
            parse_options=_PARSE,
        )
    except pa.ArrowInvalid as exc:
        raise _bad_document(block, exc) from None
    if table.num_rows != len(block):  # pragma: no cover - one document per line
        raise SnapshotError(f"{len(block)} documents read as {table.num_rows} rows")
    batch = table.combine_chunks().to_batches()
    start = 0
    for b in batch:
        yield b, block[start : start + b.num_rows]
        start += b.num_rows


# -- writing -------------------------------------------------------------------------------------


@dataclass
class Manifest:
    id: str
    jurisdiction: str
    jurisdiction_name: str
    as_of: dt.date
    taken_at: dt.datetime
    source: str  # "sqlite" / "postgresql" / "sample"
    isolation: str
    rows: dict[str, int] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    counties: list[str] = field(default_factory=list)
    note: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "jurisdictionName": self.jurisdiction_name,
            "asOf": self.as_of.isoformat(),
            "takenAt": self.taken_at.isoformat(),
            "source": self.source,
            "isolation": self.isolation,
            "rows": self.rows,
            "sha256": self.sha256,
            "counties": self.counties,
            "note": self.note,
            "schemaVersion": self.schema_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            id=data["id"],
            jurisdiction=data["jurisdiction"],
            jurisdiction_name=data.get("jurisdictionName", ""),
            as_of=dt.date.fromisoformat(data["asOf"]),
            taken_at=dt.datetime.fromisoformat(data["takenAt"]),
            source=data["source"],
            isolation=data["isolation"],
            rows=dict(data.get("rows", {})),
            sha256=dict(data.get("sha256", {})),
            counties=list(data.get("counties", [])),
            note=data.get("note", ""),
            schema_version=int(data.get("schemaVersion", 0)),
        )


@dataclass(frozen=True)
class Snapshot:
    """A snapshot on disk: its directory and manifest."""

    path: Path
    manifest: Manifest

    def file(self, name: str) -> Path:
        return self.path / f"{name}.parquet"

    def input(self, name: str) -> Path:
        """A table of the snapshot, as a job reads it (:class:`MemorySnapshot` alike)."""
        return self.file(name)

    @property
    def id(self) -> str:
        return self.manifest.id


def new_snapshot_id(taken_at: dt.datetime) -> str:
    return f"{taken_at:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


class _Tables:
    """What both writers share: the flattening of document batches into the snapshot's tables,
    members numbered on, the counties seen and the rows counted."""

    names: tuple[str, ...] = FILES

    def __init__(self) -> None:
        self.rows = dict.fromkeys(self.names, 0)
        self.flattener = Flattener()
        self.counties: set[str] = set()

    def _submit(self, parts: list[tuple[str, pa.RecordBatch]]) -> None:
        raise NotImplementedError

    def _count(self, parts: list[tuple[str, pa.RecordBatch]]) -> list[tuple[str, pa.RecordBatch]]:
        parts = [(n, b) for n, b in parts if b.num_rows and n in self.names]
        for name, batch in parts:
            self.rows[name] += batch.num_rows
        return parts

    def write(self, name: str, batch: pa.RecordBatch) -> None:
        self._submit([(name, batch)])

    def write_documents(self, batch: pa.RecordBatch, lines: list[bytes]) -> None:
        parts = list(self.flattener.flatten(batch).items())
        self.counties.update(pc.unique(batch.column("county")).to_pylist())
        if "documents" in self.names:
            docs = pc.utf8_rtrim(pc.cast(pa.array(lines, pa.binary()), pa.string()), "\n")
            parts.append(
                (
                    "documents",
                    pa.record_batch(
                        [batch.column("_id"), batch.column("_version"), docs],
                        schema=SCHEMAS["documents"],
                    ),
                )
            )
        self._submit(parts)


class SnapshotWriter(_Tables):
    """Streams batches into the snapshot's Parquet files in a work directory, then moves it into
    place with its manifest (a failed export leaves nothing that looks like a snapshot)."""

    def __init__(self, root: Path, code: str, as_of: dt.date, snapshot_id: str) -> None:
        super().__init__()
        self.final = root / code / as_of.isoformat() / snapshot_id
        self.work = root / code / as_of.isoformat() / f".{snapshot_id}.partial"
        self.work.mkdir(parents=True, exist_ok=False)
        self._writers = {
            n: pq.ParquetWriter(
                self.work / f"{n}.parquet", SCHEMAS[n], compression="zstd", compression_level=1
            )
            for n in FILES
        }
        # Batches waiting to fill a row group (the writer thread's own).
        self._held: dict[str, list[pa.RecordBatch]] = {n: [] for n in FILES}
        self._held_rows = dict.fromkeys(FILES, 0)
        # Compressing and writing (pyarrow, without the GIL) overlaps with parsing the next
        # block; at most two blocks wait, so memory stays bounded.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-writer")
        self._pending: deque[Future[None]] = deque()

    def _write_now(self, parts: list[tuple[str, pa.RecordBatch]]) -> None:
        for name, batch in parts:
            if name == "documents":  # read one household at a time: small row groups
                self._writers[name].write_batch(batch)
                continue
            self._held[name].append(batch)
            self._held_rows[name] += batch.num_rows
            if self._held_rows[name] >= ROW_GROUP_ROWS:
                self._flush(name, final=False)

    def _flush(self, name: str, final: bool) -> None:
        """Write the held batches of ``name`` as row groups of :data:`ROW_GROUP_ROWS` (the rest
        kept for the next, unless ``final``)."""
        table = pa.Table.from_batches(self._held[name], schema=SCHEMAS[name])
        whole = len(table) if final else len(table) - len(table) % ROW_GROUP_ROWS
        if whole:
            self._writers[name].write_table(table.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
        rest = table.slice(whole)
        self._held[name] = rest.to_batches() if len(rest) else []
        self._held_rows[name] = len(rest)

    def _submit(self, parts: list[tuple[str, pa.RecordBatch]]) -> None:
        parts = self._count(parts)
        while len(self._pending) >= 2:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write_now, parts))

    def _drain(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True)

    def finish(self, manifest: Manifest) -> Snapshot:
        self._drain()
        for name in FILES:
            if self._held_rows[name]:
                self._flush(name, final=True)
        for w in self._writers.values():
            w.close()
        manifest.rows = dict(self.rows)
        manifest.counties = sorted(c for c in self.counties if c)
        manifest.sha256 = {n: _sha256(self.work / f"{n}.parquet") for n in FILES}
        (self.work / "manifest.json").write_text(
            json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        os.replace(self.work, self.final)
        return Snapshot(self.final, manifest)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._drain()
        for w in self._writers.values():
            with contextlib.suppress(Exception):  # cleaning up after the real error
                w.close()
        for p in self.work.glob("*"):
            p.unlink()
        self.work.rmdir()


# The tables the decision rules read (a memory snapshot holds no documents, no cases and no item
# tables: the rules read the items summed into households and members).
MEMORY_FILES = ("households", "members", "deaths", "marked")


@dataclass(frozen=True)
class MemorySnapshot:
    """A snapshot's tables in memory (Arrow), for a small population decided at once: never
    written, never listed, gone with the job. ``manifest.sha256`` is empty (no files)."""

    manifest: Manifest
    tables: dict[str, pa.Table]

    @property
    def id(self) -> str:
        return self.manifest.id

    def input(self, name: str) -> pa.Table:
        return self.tables[name]


class MemoryWriter(_Tables):
    """Keeps the flattened tables in memory (the decision rules' tables only)."""

    names = MEMORY_FILES

    def __init__(self) -> None:
        super().__init__()
        self._batches: dict[str, list[pa.RecordBatch]] = {n: [] for n in self.names}

    def _submit(self, parts: list[tuple[str, pa.RecordBatch]]) -> None:
        for name, batch in self._count(parts):
            self._batches[name].append(batch)

    def finish(self, manifest: Manifest) -> MemorySnapshot:
        manifest.rows = dict(self.rows)
        manifest.counties = sorted(c for c in self.counties if c)
        tables = {
            n: pa.Table.from_batches(b, schema=SCHEMAS[n]) for n, b in self._batches.items()
        }
        return MemorySnapshot(manifest, tables)

    def abort(self) -> None:
        self._batches.clear()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- finding snapshots ---------------------------------------------------------------------------

_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")
SNAPSHOT_ID = _ID  # what a snapshot id looks like (an API takes ids only, never a directory)


def open_snapshot(path: Path) -> Snapshot:
    """The snapshot in directory ``path`` (its manifest checked to exist and be readable)."""
    manifest = path / "manifest.json"
    if not manifest.is_file():
        raise SnapshotNotFound(f"{path} is not a snapshot (no manifest.json)")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        m = Manifest.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{manifest}: not a snapshot manifest ({exc})") from None
    if m.schema_version != SCHEMA_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format {m.schema_version}, this doudi reads {SCHEMA_VERSION}: "
            "take a new snapshot"
        )
    for name in FILES:
        if not (path / f"{name}.parquet").is_file():
            raise SnapshotError(f"{path}: {name}.parquet is missing")
    return Snapshot(path, m)


def list_snapshots(root: Path, code: str | None = None) -> list[Snapshot]:
    """Snapshots under ``root`` (of ``code`` only, if given), newest first."""
    found: list[Snapshot] = []
    if not root.is_dir():
        return found
    for manifest in root.glob("*/*/*/manifest.json"):
        if code is not None and manifest.parent.parent.parent.name != code:
            continue
        try:
            found.append(open_snapshot(manifest.parent))
        except DoudiError:
            continue
    found.sort(key=lambda s: s.manifest.taken_at, reverse=True)
    return found


def find_snapshot(root: Path, ref: str) -> Snapshot:
    """A snapshot by id (under ``root``) or by its directory."""
    p = Path(ref)
    if p.is_dir():
        return open_snapshot(p)
    if not _ID.match(ref):
        raise InvalidInput(f"snapshot: {ref!r} is neither a snapshot id nor a directory")
    for manifest in root.glob(f"*/*/{ref}/manifest.json"):
        return open_snapshot(manifest.parent)
    raise SnapshotNotFound(f"no snapshot {ref} under {root}")


def document_lines(documents: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """NDJSON lines of household documents as a database would hand them over (for samples and
    tests): ``_id`` etc. taken from the dicts' own keys when present."""
    for k, doc in enumerate(documents, start=1):
        line = dict(doc)
        line.setdefault("_id", k)
        line.setdefault("_version", 1)
        yield (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
