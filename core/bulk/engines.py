"""Where a bulk job runs: DuckDB embedded (the default, nothing to set up) or Apache Spark (where
provinces keep their data). Thin adapters, I/O only: open the engine, read a snapshot's Parquet
files, register a small in-memory table (the policy table), write a result to Parquet and bring
a small result back as Arrow. The jobs (:mod:`core.bulk.jobs`) and rules (:mod:`core.bulk.rules`)
are one definition for both.

Two things the adapters do on purpose:

- A small table is registered from Arrow directly (DuckDB ``register``; Spark
  ``createDataFrame(arrow)`` and a temporary view), never through ``ibis.memtable``: Ibis hands a
  memtable to Spark through pandas, which turns an int64 column with a NULL into floats that
  come back all NULL (the standards of every county vanish) and NULL strings into ``'NaN'``.
- Spark's Python workers are started with this interpreter (``PYSPARK_PYTHON``), not the first
  ``python3`` on the PATH, and Spark runs offline (no packages fetched, no UI).

The public API, for any job written in Ibis (the bulk jobs here; data exchange's matching)::

    engine = open_engine("duckdb")            # or "spark" (session=..., master="local[2]")
    try:
        people = engine.read_parquet(path, "people")      # an Ibis table over the file
        policy = engine.register(arrow_table, "policy")  # a small in-memory table
        result = job(people, policy)                      # one Ibis expression, any engine
        engine.to_parquet(result, out)                    # large results
        rows = engine.to_arrow(result)                    # small results
    finally:
        engine.close()
    read_result(out)                                      # what either engine wrote

Tables from one engine combine only with tables of the same engine. Names given are prefixes:
each table gets a unique name, so one engine can read the same file twice.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "ENGINES",
    "BulkEngine",
    "DuckDBEngine",
    "SparkEngine",
    "open_engine",
    "read_result",
    "spark_session",
]

ENGINES = ("duckdb", "spark")


class BulkEngine(Protocol):
    """What a bulk job needs from an engine; DuckDBEngine and SparkEngine implement it."""

    name: str  # "duckdb" or "spark" (recorded with a run)

    def read_parquet(self, path: Path, name: str) -> ir.Table:
        """An Ibis table over a Parquet file (or Spark's directory of parts), read lazily."""
        ...

    def register(self, table: pa.Table, name: str) -> ir.Table:
        """An Ibis table over a small Arrow table, exact (int64 with NULLs stays int64), kept
        alive until :meth:`close`."""
        ...

    def to_parquet(self, expr: ir.Table, path: Path) -> None:
        """Run ``expr`` and write its rows to ``path`` (DuckDB: one file; Spark: a directory of
        parts, replaced if it exists). Parent folders are made."""
        ...

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        """Run ``expr`` and bring its rows back, typed by the expression's schema."""
        ...

    def close(self) -> None:
        """Drop what this engine registered (DuckDB: the connection; Spark: its temporary views,
        never a session it was given)."""
        ...


def _unique(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


class DuckDBEngine:
    """DuckDB in this process (in memory; spills to a temporary directory when it must)."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        kwargs: dict[str, Any] = {}
        if threads:
            kwargs["threads"] = threads
        self.con = ibis.duckdb.connect(**kwargs)
        self.con.raw_sql("SET enable_progress_bar = false")
        if memory_limit:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", memory_limit, re.IGNORECASE):
                raise ValueError(f"memory_limit: a size such as '8GB', not {memory_limit!r}")
            self.con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        self._keep: list[pa.Table] = []

    def read_parquet(self, path: Path, name: str) -> ir.Table:
        return self.con.read_parquet(str(path), table_name=_unique(name))

    def register(self, table: pa.Table, name: str) -> ir.Table:
        view = _unique(name)
        self._keep.append(table)  # DuckDB scans the Arrow table in place: keep it alive
        self.con.con.register(view, table)
        return self.con.table(view)

    def to_parquet(self, expr: ir.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.to_parquet(expr, str(path))

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        # DuckDB's own Arrow export (Ibis 12 calls a method DuckDB 2 deprecates).
        out = self.con.con.sql(self.con.compile(expr)).to_arrow_table()
        return out.cast(expr.schema().to_pyarrow())

    def close(self) -> None:
        self.con.disconnect()
        self._keep.clear()


_spark_lock = threading.Lock()


def spark_session(master: str = "local[2]", **conf: str) -> Any:
    """A SparkSession for bulk jobs (local mode by default; an existing session is reused)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    with _spark_lock:
        builder = (
            SparkSession.builder.master(master)
            .appName("doudi-bulk")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", conf.pop("shuffle_partitions", "8"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
        )
        for k, v in conf.items():
            builder = builder.config(k, v)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session


class SparkEngine:
    """Apache Spark through PySpark: a given session (a cluster's) or local mode."""

    name = "spark"

    def __init__(self, session: Any | None = None, master: str = "local[2]") -> None:
        self.session = session if session is not None else spark_session(master)
        self.con = ibis.pyspark.connect(self.session)
        self._views: list[str] = []

    def read_parquet(self, path: Path, name: str) -> ir.Table:
        view = _unique(name)
        self.session.read.parquet(str(path)).createOrReplaceTempView(view)
        self._views.append(view)
        return self.con.table(view)

    def register(self, table: pa.Table, name: str) -> ir.Table:
        view = _unique(name)
        self.session.createDataFrame(table).createOrReplaceTempView(view)
        self._views.append(view)
        return self.con.table(view)

    def to_parquet(self, expr: ir.Table, path: Path) -> None:
        # Spark writes a directory of part files; read it back with pyarrow.parquet or an engine.
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.to_parquet(expr, str(path), mode="overwrite")

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        # Through Spark's own Arrow path (toArrow), not pandas: int64 with NULLs stays exact.
        df = self.session.sql(self.con.compile(expr))
        out = df.toArrow()
        return out.cast(expr.schema().to_pyarrow())

    def close(self) -> None:
        for v in self._views:
            self.session.catalog.dropTempView(v)
        self._views.clear()


def open_engine(name: str = "duckdb", **options: Any) -> BulkEngine:
    """The engine called ``name`` (one of :data:`ENGINES`), with its own options: DuckDB
    ``threads``, ``memory_limit`` (e.g. "8GB"); Spark ``session`` or ``master``."""
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        return SparkEngine(**options)
    raise ValueError(f"engine: one of {', '.join(ENGINES)}, not {name!r}")


def read_result(path: Path) -> pa.Table:
    """A result written by either engine (a file, or Spark's directory of parts)."""
    return pq.read_table(str(path))
