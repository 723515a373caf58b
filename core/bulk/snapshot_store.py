"""Export the stored registers of a jurisdiction into a snapshot (:mod:`core.bulk.snapshot`).

One point in time: everything is read in one transaction — on PostgreSQL ``REPEATABLE READ, READ
ONLY`` (set on the connection before its first statement: psycopg opens the transaction with the
first statement, so a ``BEGIN ISOLATION LEVEL …`` sent afterwards would be ignored), on SQLite one
read transaction (WAL: writers go on, this reader keeps its view).

Streaming with bounded memory:

- PostgreSQL: ``COPY (SELECT <document with its id, version and place> …) TO STDOUT`` in CSV
  format with a quote and a delimiter byte that JSON text never contains, so each row arrives
  as one NDJSON line, unescaped; pyarrow's streaming JSON reader parses blocks of lines against
  a fixed schema (:data:`core.bulk.snapshot.DOCUMENT`) and Arrow compute flattens them.
- SQLite: the documents are fetched a few thousand at a time and fed to the same reader.

Nothing is downloaded at run time (no DuckDB extension): the export works offline.

:func:`read_registers` reads the same way into memory (:class:`~core.bulk.snapshot.MemoryWriter`)
for a small population a job decides at once — a simulation from the console reads the registers
as they are at that moment, and writes, hashes and deletes no files to do so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, func, select, text

from core.bulk.snapshot import (
    BLOCK_SIZE,
    SCHEMAS,
    Manifest,
    MemorySnapshot,
    MemoryWriter,
    Snapshot,
    SnapshotError,
    SnapshotWriter,
    new_snapshot_id,
    read_documents,
)
from core.policy.jurisdictions import JurisdictionRegistry, Level
from core.storage.tables import CaseRow, HouseholdRow

Progress = Callable[[int, int], None]  # (households done, households in all)

_LEVEL_COLUMN = {Level.PROVINCE: "province", Level.PREFECTURE: "prefecture", Level.COUNTY: "county"}
_FETCH = 2000
_CASE_BATCH = 50_000


def _scope(registry: JurisdictionRegistry, code: str) -> tuple[str, dict[str, Any]]:
    """``WHERE`` text and parameters for rows at ``code`` or under it."""
    j = registry.get(code)
    if j.level is Level.NATIONAL:
        return "", {}
    return f"WHERE {_LEVEL_COLUMN[j.level]} = :code", {"code": j.code}


def count_households(engine: Engine, registry: JurisdictionRegistry, code: str) -> int:
    j = registry.get(code)
    q = select(func.count()).select_from(HouseholdRow)
    if j.level is not Level.NATIONAL:
        q = q.where(getattr(HouseholdRow, _LEVEL_COLUMN[j.level]) == j.code)
    with engine.connect() as conn:
        return int(conn.scalar(q) or 0)


def export_snapshot(
    engine: Engine,
    registry: JurisdictionRegistry,
    code: str,
    as_of: dt.date,
    root: Path,
    *,
    progress: Progress | None = None,
    taken_at: dt.datetime | None = None,
    block_size: int = BLOCK_SIZE,
) -> Snapshot:
    """Write the households, members, income, expenses, cases and documents at ``code`` and
    under it to a new snapshot under ``root``, labelled ``as_of`` (the date the bulk jobs decide
    on). The database keeps no history of households: the snapshot holds them as stored now.

    A failure half-way (a bad document, a full disk, an interrupt) leaves no snapshot: the work
    directory is removed, and on PostgreSQL a COPY still streaming is cancelled and its
    connection discarded rather than returned to the pool mid-COPY."""
    j = registry.get(code)
    taken_at = taken_at or dt.datetime.now(dt.UTC)
    snapshot_id = new_snapshot_id(taken_at)
    total = count_households(engine, registry, j.code)
    writer = SnapshotWriter(root, j.code, as_of, snapshot_id)
    manifest = _read(engine, registry, j.code, as_of, writer, snapshot_id, taken_at, block_size,
                     progress, total, cases=True)  # fmt: skip
    try:
        return writer.finish(manifest)
    except BaseException:
        writer.abort()
        raise


def read_registers(
    engine: Engine,
    registry: JurisdictionRegistry,
    code: str,
    as_of: dt.date,
    *,
    block_size: int = BLOCK_SIZE,
) -> MemorySnapshot:
    """The households at ``code`` and under it as a snapshot in memory (the decision rules'
    tables: no documents, no cases), read in one transaction like :func:`export_snapshot`. For
    small populations: memory grows with the households (check :func:`count_households`)."""
    j = registry.get(code)
    taken_at = dt.datetime.now(dt.UTC)
    writer = MemoryWriter()
    manifest = _read(engine, registry, j.code, as_of, writer, "", taken_at, block_size, None, 0,
                     cases=False)  # fmt: skip
    return writer.finish(manifest)


def _read(
    engine: Engine,
    registry: JurisdictionRegistry,
    code: str,
    as_of: dt.date,
    writer: SnapshotWriter | MemoryWriter,
    snapshot_id: str,
    taken_at: dt.datetime,
    block_size: int,
    progress: Progress | None,
    total: int,
    *,
    cases: bool,
) -> Manifest:
    """Read the registers at ``code`` into ``writer`` in one read-only transaction (the writer is
    aborted on any failure) and describe them."""
    j = registry.get(code)
    dialect = engine.dialect.name
    if dialect == "postgresql":
        isolation = "REPEATABLE READ, READ ONLY"
        conn = engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    else:
        isolation = "one read transaction (SQLite, WAL)"
        conn = engine.connect()
    lines: Iterator[bytes] | None = None
    try:
        trans = conn.begin()
        lines = (
            _pg_lines(conn, registry, j.code)
            if dialect == "postgresql"
            else _sqlite_lines(conn, registry, j.code)
        )
        done = 0
        for batch, raw in read_documents(lines, block_size):
            writer.write_documents(batch, raw)
            done += batch.num_rows
            if progress is not None:
                progress(done, max(total, done))
        if cases:
            for rows in _cases(conn, registry, j.code):
                writer.write("cases", rows)
        trans.rollback()  # read only: nothing to keep
        return Manifest(
            id=snapshot_id,
            jurisdiction=j.code,
            jurisdiction_name=j.name,
            as_of=as_of,
            taken_at=taken_at,
            source=dialect,
            isolation=isolation,
            note="households as stored when the snapshot was taken (the database keeps no "
            "history of households); decided as of asOf",
        )
    except BaseException:
        writer.abort()
        if dialect == "postgresql":
            # Cancel first: leaving the COPY's context would otherwise wait for (or drain) the
            # rest of the stream. The connection is discarded, never pooled mid-COPY.
            raw_conn = conn.connection.driver_connection
            if raw_conn is not None:
                with contextlib.suppress(Exception):
                    raw_conn.cancel_safe(timeout=10)
        if lines is not None:
            with contextlib.suppress(Exception):
                lines.close()  # type: ignore[attr-defined]
        if dialect == "postgresql":
            conn.invalidate()
        raise
    finally:
        conn.close()


# -- households ----------------------------------------------------------------------------------


def _pg_lines(conn: Connection, registry: JurisdictionRegistry, code: str) -> Iterator[bytes]:
    where, params = _scope(registry, code)
    # Client-side bound (psycopg binds COPY parameters itself); the code is a checked GB/T code.
    where = where.replace(":code", "%(code)s")
    query = (
        "COPY (SELECT jsonb_build_object('_id', id, '_version', version, '_prefecture', "
        f"prefecture, '_province', province) || document FROM households {where} ORDER BY id) "
        "TO STDOUT (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(query, params or None) as copy:
        while True:
            chunk = copy.read()
            if not chunk:
                return
            yield bytes(chunk)


def _sqlite_lines(conn: Connection, registry: JurisdictionRegistry, code: str) -> Iterator[bytes]:
    where, params = _scope(registry, code)
    result = conn.execution_options(yield_per=_FETCH).execute(
        text(
            f"SELECT id, version, prefecture, province, document FROM households {where} "
            "ORDER BY id"
        ),
        params,
    )
    for hid, version, prefecture, province, document in result:
        head = (
            f'{{"_id":{int(hid)},"_version":{int(version)},'
            f'"_prefecture":{json.dumps(prefecture)},"_province":{json.dumps(province)}'
        )
        body = document if isinstance(document, str) else json.dumps(document)
        body = body.strip()
        if not body.startswith("{"):
            raise SnapshotError(f"household {hid}: its stored document is not a JSON object")
        rest = body[1:].lstrip()
        yield (head + ("," + rest if rest != "}" else "}") + "\n").encode("utf-8")


# -- cases ---------------------------------------------------------------------------------------


def _fen(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int((Decimal(str(value)) * 100).to_integral_value())


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _cases(conn: Connection, registry: JurisdictionRegistry, code: str) -> Iterator[pa.RecordBatch]:
    j = registry.get(code)
    data = CaseRow.data
    q = select(
        CaseRow.id,
        CaseRow.household_id,
        CaseRow.program,
        CaseRow.county,
        CaseRow.prefecture,
        CaseRow.province,
        CaseRow.state,
        CaseRow.version,
        data["amount"].as_string(),
        data["benefitFrom"].as_string(),
        data[("exit", "on")].as_string(),
        data[("exit", "reason")].as_string(),
        data[("phaseOut", "lastMonth")].as_string(),
        data["membersCovered"],
        data["mode"].as_string(),
    ).order_by(CaseRow.id)
    if j.level is not Level.NATIONAL:
        q = q.where(getattr(CaseRow, _LEVEL_COLUMN[j.level]) == j.code)
    result = conn.execution_options(yield_per=_FETCH).execute(q)
    schema = SCHEMAS["cases"]
    while True:
        rows = result.fetchmany(_CASE_BATCH)
        if not rows:
            return
        cols: list[list[Any]] = [[] for _ in schema]
        for r in rows:
            covered = r[13]
            values = (
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                _fen(r[8]),
                _day(r[9]),
                _day(r[10]),
                r[11],
                r[12],
                "," + ",".join(str(c) for c in covered) + "," if covered else ",",
                r[14],
            )
            for c, v in zip(cols, values, strict=True):
                c.append(v)
        yield pa.record_batch(
            [pa.array(c, f.type) for c, f in zip(cols, schema, strict=True)], schema=schema
        )
