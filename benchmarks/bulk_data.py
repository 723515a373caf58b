"""Shared by the bulk-engine benchmarks: generated households (tests.support.bulk_households:
seeded, every county of the five provinces' plugins) as stored documents, as a snapshot, and the
policy they are decided under; plus load and process probes.

The generated snapshot is what an export of those documents writes (the same NDJSON reader and
Arrow flattening as :mod:`core.bulk.snapshot_store`), cached under ~/.cache/doudi-bench (or
$DOUDI_BENCH_CACHE) since generating a million households in Python takes minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` importable
    sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2024, 6, 1)
SEED = 20241203
FORMAT = 8  # bump when the generator or the snapshot format changes (invalidates the cache)


def cache_dir() -> Path:
    d = Path(os.environ.get("DOUDI_BENCH_CACHE", Path.home() / ".cache" / "doudi-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def policy() -> Any:
    """The installed plugins plus a generated local layer per county (standards and the rest,
    tests.support.bulk_households.county_layers): test values, not official figures."""
    from core.policy.service import build_policy_base
    from tests.support.bulk_households import county_layers, plugin_counties

    base = build_policy_base()
    counties = plugin_counties(base.registry)
    return base.with_layers(county_layers(base, counties, SEED))


def documents(n: int, offset: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` stored household documents (``_id`` from ``offset + 1``)."""
    from core.households.model import household_to_json
    from core.policy.jurisdictions import load_registry
    from tests.support.bulk_households import generate_households, plugin_counties

    registry = load_registry()
    counties = plugin_counties(registry)
    places = {c: registry.prefecture_and_province(c) for c in counties}
    for i, h in enumerate(generate_households(counties, n, SEED + offset, AS_OF), start=1):
        doc = household_to_json(h)
        prefecture, province = places[h.county]
        doc.update(_id=offset + i, _version=1, _province=province, _prefecture=prefecture)
        yield doc


def snapshot(n: int) -> Any:
    """A snapshot of ``n`` generated households (cached)."""
    from core.bulk.snapshot import (
        Manifest,
        SnapshotWriter,
        document_lines,
        open_snapshot,
        read_documents,
    )

    root = cache_dir() / "snapshots"
    sid = f"gen-{n}-{SEED}-v{FORMAT}"
    path = root / "000000" / AS_OF.isoformat() / sid
    if (path / "manifest.json").is_file():
        return open_snapshot(path)
    partial = path.with_name(f".{sid}.partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    print(f"generating {n:,} households into {path} (cached for later runs)", file=sys.stderr)
    writer = SnapshotWriter(root, "000000", AS_OF, sid)
    for batch, lines in read_documents(document_lines(documents(n))):
        writer.write_documents(batch, lines)
    return writer.finish(
        Manifest(sid, "000000", "generated", AS_OF, dt.datetime.now(dt.UTC), "generated", "-")
    )


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)
