"""Fetch the console's third-party browser files from the npm registry and check them.

The console has no build step: these files are committed under core/console/static/vendor
(and axe-core, used only by the browser tests, under tests/console/vendor), each with its
licence. This script is how they got there, and how to check or refresh them:

    python tools/vendor_console.py --check     # every committed file matches VERSIONS.json
    python tools/vendor_console.py             # fetch with `npm pack`, verify, copy, record

Versions are pinned below; `npm pack` checks the registry's integrity hash of each tarball,
and the SHA-256 of every copied file is written to VERSIONS.json (a test compares them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "core" / "console" / "static" / "vendor"
TESTS = ROOT / "tests" / "console" / "vendor"

# package, version, licence, [(file in the tarball, destination)]
PACKAGES: list[tuple[str, str, str, list[tuple[str, Path]]]] = [
    (
        "htm", "3.1.1", "Apache-2.0 (htm), MIT (the Preact 10 it bundles)",
        [
            ("preact/standalone.module.js", STATIC / "preact-htm" / "standalone.module.js"),
            ("LICENSE", STATIC / "preact-htm" / "LICENSE-htm"),
        ],
    ),
    ("preact", "10.4.1", "MIT", [("LICENSE", STATIC / "preact-htm" / "LICENSE-preact")]),
    (
        "echarts", "6.1.0", "Apache-2.0",
        [
            ("dist/echarts.common.min.js", STATIC / "echarts" / "echarts.common.min.js"),
            ("LICENSE", STATIC / "echarts" / "LICENSE"),
            ("NOTICE", STATIC / "echarts" / "NOTICE"),
            ("licenses/LICENSE-d3", STATIC / "echarts" / "LICENSE-d3"),
        ],
    ),
    (
        "react", "18.3.1", "MIT",
        [
            ("umd/react.production.min.js", STATIC / "graphiql" / "react.production.min.js"),
            ("LICENSE", STATIC / "graphiql" / "LICENSE-react"),
        ],
    ),
    (
        "react-dom", "18.3.1", "MIT",
        [
            (
                "umd/react-dom.production.min.js",
                STATIC / "graphiql" / "react-dom.production.min.js",
            ),
        ],
    ),
    (
        "graphiql", "3.8.3", "MIT",
        [
            ("graphiql.min.js", STATIC / "graphiql" / "graphiql.min.js"),
            ("graphiql.min.css", STATIC / "graphiql" / "graphiql.min.css"),
            ("LICENSE", STATIC / "graphiql" / "LICENSE-graphiql"),
        ],
    ),
    (
        "axe-core", "4.11.0", "MPL-2.0",
        [
            ("axe.min.js", TESTS / "axe.min.js"),
            ("LICENSE", TESTS / "LICENSE-axe-core"),
        ],
    ),
]
RECORD = {STATIC: STATIC / "VERSIONS.json", TESTS: TESTS / "VERSIONS.json"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch() -> None:
    records: dict[Path, dict[str, object]] = {STATIC: {}, TESTS: {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, licence, files in PACKAGES:
            out = subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", tmp],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            info = json.loads(out.stdout)[0]
            with tarfile.open(Path(tmp) / info["filename"]) as tar:
                tar.extractall(Path(tmp) / name, filter="data")
            for inner, dest in files:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(tmp) / name / "package" / inner, dest)
                root = TESTS if dest.is_relative_to(TESTS) else STATIC
                records[root][str(dest.relative_to(root))] = {
                    "package": name,
                    "version": version,
                    "licence": licence,
                    "from": inner,
                    "integrity": info["integrity"],
                    "sha256": sha256(dest),
                }
    for root, files in records.items():
        RECORD[root].write_text(json.dumps(files, indent=2, sort_keys=True) + "\n")


def check() -> list[str]:
    problems = []
    for root, record in RECORD.items():
        for rel, info in json.loads(record.read_text()).items():
            path = root / rel
            if not path.exists():
                problems.append(f"{path}: missing")
            elif sha256(path) != info["sha256"]:
                problems.append(f"{path}: differs from {info['package']}@{info['version']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with VERSIONS.json")
    args = parser.parse_args()
    if not args.check:
        fetch()
    problems = check()
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
