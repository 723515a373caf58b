"""Engine adapters for the comparison (I/O only): register the inputs on a backend, run the
Ibis expression of :mod:`core.exchange.matching`, bring the result back as Arrow.

DuckDB (embedded, in-process) is the default. A Spark session can run the same expression
(``SparkEngine``: PySpark local mode or a cluster), registering Arrow tables through
``createDataFrame`` + temp views — never Ibis memtables, whose Spark path turns typed NULLs into
NaN or drops them. When the bulk engine (core/bulk) lands, these adapters give way to its.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from core.exchange import matching


@dataclass(frozen=True, slots=True)
class BatchFile:
    batch_id: int
    path: Path


def _records(con: Any, batches: Sequence[BatchFile]) -> Any:
    tables = []
    for b in batches:
        t = con.read_parquet(str(b.path), table_name=f"batch_{b.batch_id}")
        tables.append(t.mutate(batch_id=ibis.literal(b.batch_id, type="int64")))
    if not tables:
        return None
    out = tables[0]
    for t in tables[1:]:
        out = out.union(t)
    return out


class DuckEngine:
    """DuckDB in this process, with its own connection (threads: all cores by default)."""

    name = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        self.con = ibis.duckdb.connect(**({"threads": threads} if threads else {}))
        self._n = 0

    def register(self, table: pa.Table, prefix: str) -> Any:
        self._n += 1
        name = f"{prefix}_{self._n}"
        self.con.con.register(name, table)
        return self.con.table(name)

    def compare(
        self,
        recipients: pa.Table | str | Path,
        batches: Sequence[BatchFile],
        rules: pa.Table,
        as_of: dt.date,
    ) -> pa.Table | None:
        """The matches as Arrow (:data:`core.exchange.matching.OUTPUT_COLUMNS`); None without
        batches."""
        if isinstance(recipients, str | Path):
            people = self.con.read_parquet(str(recipients))
        else:
            people = self.register(recipients, "recipients")
        records = _records(self.con, batches)
        if records is None:
            return None
        expr = matching.matches(people, records, self.register(rules, "rules"), as_of)
        return expr.to_pyarrow()

    def bare_join_count(
        self, recipients: pa.Table | str | Path, batches: Sequence[BatchFile]
    ) -> int:
        if isinstance(recipients, str | Path):
            people = self.con.read_parquet(str(recipients))
        else:
            people = self.register(recipients, "recipients")
        records = _records(self.con, batches)
        if records is None:
            return 0
        return int(matching.bare_join(people, records).count().execute())

    def close(self) -> None:
        self.con.disconnect()


__all__ = ["BatchFile", "DuckEngine"]
