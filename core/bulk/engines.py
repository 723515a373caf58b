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

A job that runs often on small data (a reform simulation from the console) is better given as a
:class:`Plan`: a function of named input tables of known schemas. ``engine.run(plan, inputs)``
binds the inputs (Parquet files or Arrow tables) and runs it. DuckDB compiles a plan to SQL once
per process (:func:`compiled`; building and compiling the expression takes far longer than
deciding a county's households) and keeps one in-memory database per process, each engine a
connection of its own (``cursor()``: its views and registered tables are its own). Spark builds
the expression over its views at each run, as before. The SQL depends on nothing but the plan's
key and the code: the data and the policy enter as tables, never into the text, so a compiled
plan cannot answer for a policy or for data that changed.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "ENGINES",
    "BulkEngine",
    "DuckDBEngine",
    "Input",
    "Plan",
    "SparkEngine",
    "compiled",
    "open_engine",
    "read_result",
    "spark_session",
]

ENGINES = ("duckdb", "spark")

# What a plan's input is bound to: a Parquet file (Spark: or its directory of parts) or an Arrow
# table in memory.
Input: TypeAlias = Path | pa.Table


@dataclass(frozen=True)
class Plan:
    """A bulk job as a function of named tables: ``build`` returns the job's expression over
    tables of ``schemas`` (one per input name). ``key`` names the plan, with every argument
    ``build`` was made from (programs, options): plans with equal keys must build the same
    expression, since DuckDB compiles a key once per process."""

    key: tuple[Hashable, ...]
    schemas: Mapping[str, pa.Schema] = field(hash=False, compare=False)
    build: Callable[[Mapping[str, ir.Table]], ir.Table] = field(hash=False, compare=False)


class BulkEngine(Protocol):
    """What a bulk job needs from an engine; DuckDBEngine and SparkEngine implement it."""

    name: str  # "duckdb" or "spark" (recorded with a run)

    def read_parquet(self, path: Path, name: str, schema: pa.Schema | None = None) -> ir.Table:
        """An Ibis table over a Parquet file (or Spark's directory of parts), read lazily.
        ``schema``: the file's schema when the caller knows it (a snapshot's files), so the
        engine need not read it first; the columns must be the file's."""
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

    def run(self, plan: Plan, inputs: Mapping[str, Input]) -> pa.Table:
        """Run ``plan`` over ``inputs`` (by the plan's input names; each Parquet file or Arrow
        table with the schema the plan names) and bring its rows back, typed by its schema: for
        small results (aggregates); write large ones with :meth:`to_parquet`."""
        ...

    def close(self) -> None:
        """Drop what this engine registered (DuckDB: the connection; Spark: its temporary views,
        never a session it was given)."""
        ...


def _unique(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


_duckdb_lock = threading.Lock()
_duckdb: Any = None  # the process's in-memory DuckDB database (made on first use)


def _shared_duckdb() -> Any:
    global _duckdb
    import duckdb

    with _duckdb_lock:
        if _duckdb is None:
            _duckdb = duckdb.connect(":memory:")
        return _duckdb


def _cursor(con: Any) -> Any:
    cur = con.cursor()
    # A name the SQL does not find is an error, never a Python variable of the caller's that
    # happens to be called so (DuckDB's replacement scans).
    cur.execute("SET python_enable_replacements = false")
    cur.execute("SET enable_progress_bar = false")
    return cur


class _Compiled(OrderedDict[tuple[Hashable, ...], tuple[str, pa.Schema]]):
    """Compiled plans by key, the most recently used last (a few dozen at most: a key is a job
    with its programs and options, never data)."""

    size = 64


_compiled = _Compiled()
_compile_lock = threading.Lock()
_unfused_lock = threading.Lock()


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: compiling allocates node after node, and each
    full collection it sets off walks every object of the process (a tenth of a second with a
    policy base loaded). Nothing is lost: the next collection after it runs as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def _unfused() -> Iterator[None]:
    """Ibis compiles each projection as its own subquery meanwhile, without collections.

    Ibis merges each projection into the next (``options.sql.fuse_selects``), re-walking the
    whole expression graph once per column of every merged projection (the dibao job: 0.54 s of
    CPU to compile fused, 0.34 s not), for SQL that inlines the same expression several times
    over. DuckDB's own optimizer does that merge, once. The option is global: it is switched
    off only while DuckDB's SQL is compiled here (the lock keeps two such compiles from
    interleaving; another compile meanwhile only gets differently nested SQL of the same
    meaning)."""
    with _unfused_lock, _no_collection():
        fused = ibis.options.sql.fuse_selects
        ibis.options.sql.fuse_selects = False
        try:
            yield
        finally:
            ibis.options.sql.fuse_selects = fused


def compiled(plan: Plan) -> tuple[str, pa.Schema]:
    """``plan``'s DuckDB SQL over tables named as its inputs, and its result's schema: compiled
    on first use in this process, then kept (one compilation at a time: a plan asked for twice
    at once is compiled once)."""
    key = ("duckdb", *plan.key)
    with _compile_lock:
        hit = _compiled.get(key)
        if hit is not None:
            _compiled.move_to_end(key)
            return hit
        tables = {n: ibis.table(ibis.schema(s), name=n) for n, s in plan.schemas.items()}
        with _unfused():
            expr = plan.build(tables)
            out = (str(ibis.duckdb.compile(expr)), expr.schema().to_pyarrow())
        _compiled[key] = out
        while len(_compiled) > _Compiled.size:
            _compiled.popitem(last=False)
        return out


def _check_inputs(plan: Plan, inputs: Mapping[str, Input]) -> None:
    if set(inputs) != set(plan.schemas):
        raise ValueError(
            f"plan {plan.key[0]!r} reads {sorted(plan.schemas)}, given {sorted(inputs)}"
        )


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine:
    """DuckDB in this process (in memory; spills to a temporary directory when it must).

    Without options, a connection of the process's one database (opening a database costs tens
    of milliseconds; a connection, nothing); with ``threads`` or ``memory_limit``, a database of
    its own (both are settings of a whole database)."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", memory_limit, re.IGNORECASE):
                raise ValueError(f"memory_limit: a size such as '8GB', not {memory_limit!r}")
            config["memory_limit"] = memory_limit
        self._own = duckdb.connect(":memory:", config=config) if config else None
        self.raw = _cursor(self._own if self._own is not None else _shared_duckdb())
        self._ibis: Any = None
        self._keep: list[pa.Table] = []

    @property
    def con(self) -> Any:
        """The Ibis backend over this engine's connection (made on first use)."""
        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self.raw)
        return self._ibis

    def read_parquet(self, path: Path, name: str, schema: pa.Schema | None = None) -> ir.Table:
        if schema is None:
            return self.con.read_parquet(str(path), table_name=_unique(name))
        view = _unique(name)
        self.raw.execute(
            f'CREATE TEMP VIEW "{view}" AS SELECT * FROM read_parquet({_quoted(path)})'
        )
        known = ibis.Schema.from_pyarrow(schema)
        return ops.DatabaseTable(
            view, schema=known, source=self.con, namespace=ops.Namespace()
        ).to_expr()

    def register(self, table: pa.Table, name: str) -> ir.Table:
        view = _unique(name)
        self._keep.append(table)  # DuckDB scans the Arrow table in place: keep it alive
        self.raw.register(view, table)
        return self.con.table(view)

    def sql(self, expr: ir.Table) -> str:
        """``expr`` compiled to DuckDB's SQL."""
        with _unfused():
            return str(self.con.compile(expr))

    def to_parquet(self, expr: ir.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw.execute(f"COPY ({self.sql(expr)}) TO {_quoted(path)} (FORMAT parquet)")

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        # DuckDB's own Arrow export (Ibis 12 calls a method DuckDB 2 deprecates).
        out = self.raw.sql(self.sql(expr)).to_arrow_table()
        return out.cast(expr.schema().to_pyarrow())

    def run(self, plan: Plan, inputs: Mapping[str, Input]) -> pa.Table:
        _check_inputs(plan, inputs)
        sql, schema = compiled(plan)
        bound: list[str] = []
        try:
            for name, data in inputs.items():
                if isinstance(data, pa.Table):
                    self.raw.register(name, data)
                else:
                    self.raw.execute(
                        f'CREATE OR REPLACE TEMP VIEW "{name}" AS '
                        f"SELECT * FROM read_parquet({_quoted(data)})"
                    )
                bound.append(name)
            # execute() and rows, not sql() and Arrow: a relation made by sql() binds the
            # statement once to learn its columns and again to run it, and Arrow from execute()
            # runs a second statement over the rows (each costs a third of a simulation of a
            # county). A plan's result is small: aggregates.
            cur = self.raw.execute(sql)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        finally:
            with contextlib.suppress(Exception):  # a failed statement leaves its result open
                self.raw.abort()
            for name in bound:
                if isinstance(inputs[name], pa.Table):
                    self.raw.unregister(name)
                else:
                    self.raw.execute(f'DROP VIEW IF EXISTS temp.main."{name}"')
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        by_name = dict(zip(names, columns, strict=True))
        return pa.table({f.name: pa.array(by_name[f.name], f.type) for f in schema}, schema=schema)

    def close(self) -> None:
        if self._ibis is not None:
            self._ibis.disconnect()
        self.raw.close()
        if self._own is not None:
            self._own.close()
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

    def read_parquet(self, path: Path, name: str, schema: pa.Schema | None = None) -> ir.Table:
        del schema  # Spark reads the footers of its parts itself
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

    def run(self, plan: Plan, inputs: Mapping[str, Input]) -> pa.Table:
        # Spark plans the expression itself at each run (its planning is small beside its
        # start-up): the plan is built over views of this run's inputs.
        _check_inputs(plan, inputs)
        tables = {
            name: (
                self.register(data, name)
                if isinstance(data, pa.Table)
                else self.read_parquet(data, name)
            )
            for name, data in inputs.items()
        }
        return self.to_arrow(plan.build(tables))

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
