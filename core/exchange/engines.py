"""Engine adapters for the comparison (I/O only): register the inputs on a backend, run the
Ibis expression of :mod:`core.exchange.matching`, bring the result back as Arrow.

DuckDB (embedded, in-process) is the default. A Spark session can run the same expression
(:class:`SparkEngine`: PySpark local mode or a cluster), registering Arrow tables through
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


class DuckEngine:
    """DuckDB in this process, with its own connection (threads: all cores by default).

    Inputs are registered on DuckDB itself (Arrow tables, ``read_parquet`` views) and the Ibis
    expressions are built on unbound tables of the known schemas, compiled to DuckDB's SQL and
    run with DuckDB's own Arrow fetch: nothing is asked of the backend to learn a schema.
    """

    name = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def register(self, table: pa.Table, prefix: str, schema: Any) -> Any:
        name = self._name(prefix)
        self.con.register(name, table)
        return ibis.table(schema, name=name)

    def parquet(self, path: str | Path, prefix: str, schema: Any) -> Any:
        name = self._name(prefix)
        quoted = str(path).replace("'", "''")
        self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")
        return ibis.table(schema, name=name)

    def _people(self, recipients: pa.Table | str | Path) -> Any:
        if isinstance(recipients, str | Path):
            return self.parquet(recipients, "recipients", matching.RECIPIENT_SCHEMA)
        return self.register(recipients, "recipients", matching.RECIPIENT_SCHEMA)

    def _records(self, batches: Sequence[BatchFile]) -> Any:
        tables = [
            self.parquet(b.path, "batch", matching.RECORD_SCHEMA).mutate(
                batch_id=ibis.literal(b.batch_id, type="int64")
            )
            for b in batches
        ]
        if not tables:
            return None
        out = tables[0]
        for t in tables[1:]:
            out = out.union(t)
        return out

    def arrow(self, expr: Any) -> pa.Table:
        """Run ``expr`` and fetch Arrow, typed by the expression's schema."""
        out = self.con.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_table()
        return out.cast(expr.schema().to_pyarrow())

    def compare(
        self,
        recipients: pa.Table | str | Path,
        batches: Sequence[BatchFile],
        rules: Sequence[matching.Rule],
        as_of: dt.date,
    ) -> pa.Table | None:
        """The matches as Arrow (:data:`core.exchange.matching.OUTPUT_COLUMNS`); None without
        batches."""
        records = self._records(batches)
        if records is None:
            return None
        people = self._people(recipients)
        return matching.name_rules(
            self.arrow(matching.matches(people, records, rules, as_of)), rules
        )

    def bare_join_count(self, recipients: pa.Table | str | Path, batches: Sequence[BatchFile]
                        ) -> int:  # fmt: skip
        records = self._records(batches)
        if records is None:
            return 0
        count = matching.bare_join(self._people(recipients), records).count()
        row = self.con.execute(ibis.to_sql(count, dialect="duckdb")).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """The same comparison on Apache Spark (a given SparkSession: local mode or a cluster).

    Inputs become temp views (``createDataFrame`` from Arrow — never an Ibis memtable, whose
    Spark path loses typed NULLs — and ``spark.read.parquet``); the Ibis expression of
    :mod:`core.exchange.matching` is compiled to Spark SQL and its result brought back as Arrow.
    """

    name = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"doudi_{prefix}_{self._n}"

    def register(self, table: pa.Table, prefix: str, schema: Any) -> Any:
        name = self._name(prefix)
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        return ibis.table(schema, name=name)

    def parquet(self, path: str | Path, prefix: str, schema: Any) -> Any:
        name = self._name(prefix)
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        return ibis.table(schema, name=name)

    def _people(self, recipients: pa.Table | str | Path) -> Any:
        if isinstance(recipients, str | Path):
            return self.parquet(recipients, "recipients", matching.RECIPIENT_SCHEMA)
        return self.register(recipients, "recipients", matching.RECIPIENT_SCHEMA)

    def _records(self, batches: Sequence[BatchFile]) -> Any:
        tables = [
            self.parquet(b.path, "batch", matching.RECORD_SCHEMA).mutate(
                batch_id=ibis.literal(b.batch_id, type="int64")
            )
            for b in batches
        ]
        if not tables:
            return None
        out = tables[0]
        for t in tables[1:]:
            out = out.union(t)
        return out

    def compare(
        self,
        recipients: pa.Table | str | Path,
        batches: Sequence[BatchFile],
        rules: Sequence[matching.Rule],
        as_of: dt.date,
    ) -> pa.Table | None:
        records = self._records(batches)
        if records is None:
            return None
        expr = matching.matches(self._people(recipients), records, rules, as_of)
        result = self.spark.sql(ibis.to_sql(expr, dialect="pyspark")).toArrow()
        return matching.name_rules(result.cast(expr.schema().to_pyarrow()), rules)

    def close(self) -> None:
        """The session belongs to the caller: nothing to close here."""


__all__ = ["BatchFile", "DuckEngine", "SparkEngine"]
