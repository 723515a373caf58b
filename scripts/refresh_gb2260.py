#!/usr/bin/env python3
"""Refresh the vendored GB/T 2260 table (core/policy/data/gb2260.csv) from yescallop/areacodes.

    git clone https://github.com/yescallop/areacodes /tmp/areacodes
    python scripts/refresh_gb2260.py /tmp/areacodes            # rewrites the table, prints changes
    python scripts/refresh_gb2260.py /tmp/areacodes --check    # only prints what would change

Why this source: yescallop/areacodes (CC0 1.0) transcribes every county-level and higher code the
Ministry of Civil Affairs has published since 1980 (中华人民共和国县级以上行政区划代码), each with
the year it came into use and the year it was changed or abolished, and follows the Ministry's
yearly list within months. doudi reads the table from the package at run time and never fetches
it: deployments sit on networks cut off from the internet.

When: once a year, after the Ministry publishes the list of the year before (areacodes adds it as
``data/<year>.txt`` and updates ``result.csv``), and whenever a resident's ID number or a
household's county is refused with a code that is real. Review the printed changes, run the tests
(tests/households, tests/policy) and commit the table with the commit it came from.

The script reads only the checkout given to it (no network). Output rows keep areacodes' rows
(a code re-used after a change has one row per period): code, name, level (province, prefecture,
county), status (in_use, changed, abolished), since (first year in use), until (first year no
longer in use; empty while in use), successors (codes that took over the area, as given).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "core" / "policy" / "data" / "gb2260.csv"
LEVELS = {"省级": "province", "地级": "prefecture", "县级": "county"}
STATUS = {"在用": "in_use", "变更": "changed", "弃用": "abolished"}
COLUMNS = ["code", "name", "level", "status", "since", "until", "successors"]


def _commit(checkout: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return out.stdout.strip()


def _read_source(checkout: Path) -> list[dict[str, str]]:
    path = checkout / "result.csv" if checkout.is_dir() else checkout
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            rows.append(
                {
                    "code": r["代码"],
                    "name": r["名称"],
                    "level": LEVELS[r["级别"]],
                    "status": STATUS[r["状态"]],
                    "since": r["启用时间"],
                    "until": r["变更/弃用时间"],
                    "successors": r["新代码"],
                }
            )
    return rows


def _read_table(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _in_use(rows: list[dict[str, str]]) -> dict[str, str]:
    return {r["code"]: r["name"] for r in rows if r["status"] == "in_use"}


def render(rows: list[dict[str, str]], commit: str, today: dt.date) -> str:
    out = io.StringIO()
    out.write(
        "# GB/T 2260 codes of every county-level and higher division the Ministry of Civil "
        "Affairs has published since 1980,\n"
        "# with the years each was in use (since: first year; until: first year no longer in "
        "use, empty while in use).\n"
        f"# source: github.com/yescallop/areacodes result.csv at commit {commit} (CC0 1.0),\n"
        "# transcribed from 中华人民共和国县级以上行政区划代码 (民政部). Refreshed with "
        f"scripts/refresh_gb2260.py on {today.isoformat()}.\n"
    )
    w = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "checkout", type=Path, help="a checkout of yescallop/areacodes (or its result.csv)"
    )
    ap.add_argument("--commit", help="the checkout's commit (default: git rev-parse HEAD)")
    ap.add_argument("--check", action="store_true", help="print the changes, write nothing")
    ap.add_argument("--out", type=Path, default=TABLE)
    args = ap.parse_args(argv)
    rows = _read_source(args.checkout)
    where = args.checkout if args.checkout.is_dir() else args.checkout.parent
    commit = args.commit or _commit(where)
    old, new = _in_use(_read_table(args.out)), _in_use(rows)
    added = sorted(set(new) - set(old))
    gone = sorted(set(old) - set(new))
    renamed = sorted(c for c in set(old) & set(new) if old[c] != new[c])
    print(f"{len(rows)} rows, {len(new)} codes in use (was {len(old)})")
    for c in added:
        print(f"  + {c} {new[c]}")
    for c in gone:
        print(f"  - {c} {old[c]} (no longer in use)")
    for c in renamed:
        print(f"  ~ {c} {old[c]} -> {new[c]}")
    if not args.check:
        args.out.write_text(render(rows, commit, dt.date.today()), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
