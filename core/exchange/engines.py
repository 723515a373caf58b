"""The comparison on the bulk engine's adapters (:mod:`core.bulk.engines`: DuckDB embedded by
default, Spark where provinces keep their data): read the inputs, run the Ibis expression of
:mod:`core.exchange.matching`, bring the matches back as Arrow. One DuckDB/Spark adapter in the
code base; this module only says what the comparison reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from core.bulk.engines import BulkEngine
from core.exchange import matching


@dataclass(frozen=True, slots=True)
class BatchFile:
    batch_id: int
    path: Path


def _people(engine: BulkEngine, recipients: pa.Table | Path) -> Any:
    if isinstance(recipients, Path):
        return engine.read_parquet(recipients, "recipients")
    return engine.register(recipients, "recipients")


def _records(engine: BulkEngine, batches: Sequence[BatchFile]) -> Any:
    tables = [
        engine.read_parquet(b.path, "batch").mutate(batch_id=ibis.literal(b.batch_id, type="int64"))
        for b in batches
    ]
    if not tables:
        return None
    out = tables[0]
    for t in tables[1:]:
        out = out.union(t)
    return out


def compare(
    engine: BulkEngine,
    recipients: pa.Table | Path,
    batches: Sequence[BatchFile],
    rules: Sequence[matching.Rule],
    as_of: dt.date,
) -> pa.Table | None:
    """The matches as Arrow (:data:`core.exchange.matching.OUTPUT_COLUMNS`); None without
    batches."""
    records = _records(engine, batches)
    if records is None:
        return None
    people = _people(engine, recipients)
    # Two steps (late materialisation). The records whose ID number is a recipient's are found
    # first, reading only the recipients' ID column as the bare join does, and come back: a
    # few in a thousand of a batch. Only those are then joined with the recipients' other
    # columns and tested against the rules. One join carrying every column built its hash
    # table from all fifteen columns of every recipient (at 1M × 10M, two thirds of the
    # engine's time).
    hits = engine.to_arrow(matching.on_file(people, records))
    found = engine.to_arrow(matching.matches(people, engine.register(hits, "hits"), rules, as_of))
    return matching.name_rules(found, rules)


def bare_join_count(
    engine: BulkEngine, recipients: pa.Table | Path, batches: Sequence[BatchFile]
) -> int:
    """The baseline of the benchmark: how many rows the bare ID join gives."""
    records = _records(engine, batches)
    if records is None:
        return 0
    joined = matching.bare_join(_people(engine, recipients), records)
    counted = engine.to_arrow(joined.aggregate(n=joined.count()))
    return int(counted.column("n")[0].as_py())


__all__ = ["BatchFile", "bare_join_count", "compare"]
