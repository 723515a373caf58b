"""Benchmark: how long the CLI takes to start, against an earlier revision measured in the same run.

    python benchmarks/cli_startup.py          # this tree vs 451f624 (before the redesign)
    python benchmarks/cli_startup.py --baseline REV --rounds 15

Each command runs as its own process (``python -m core.cli ...``), as a user would start it, from
a fresh data directory (no database: the policy read answers from the plugins alone). The
baseline revision is checked out with ``git worktree`` into a temporary directory and run with
the same interpreter, interleaved with this tree round by round so that the shared machine's load
hits both alike. Wall time is the median over the rounds; CPU time (user + system of the child,
from ``os.wait4``) is printed beside it, and the ratio baseline / this tree per command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "doudi --help": ["--help"],
    "doudi policy get": [
        "policy",
        "get",
        "640121",
        "dibao.phase_out.max_months",
        "--as-of",
        "2021-06-01",
    ],
    "doudi jurisdictions": ["jurisdictions", "640000"],
}


def run_once(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m core.cli ARGS`` in ``tree``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tree}: {' '.join(args)} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="451f624", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            env = dict(os.environ, DOUDI_DATA_DIR=str(Path(tmp) / "data"))
            env.pop("DOUDI_DATABASE_URL", None)
            load = os.getloadavg()[0]
            print(f"baseline {args.baseline} vs this tree, {args.rounds} rounds, load {load:.2f}")
            head = ("command", "baseline wall", "cpu", "this wall", "cpu", "ratio")
            print("{:22} {:>14} {:>6} {:>10} {:>6} {:>6}".format(*head))
            for argv in COMMANDS.values():  # warm-up: compile both trees' bytecode first
                run_once(base_tree, argv, env)
                run_once(ROOT, argv, env)
            for name, argv in COMMANDS.items():
                before: list[tuple[float, float]] = []
                after: list[tuple[float, float]] = []
                for _ in range(args.rounds):
                    before.append(run_once(base_tree, argv, env))
                    after.append(run_once(ROOT, argv, env))
                bw = statistics.median(w for w, _ in before)
                bc = statistics.median(c for _, c in before)
                aw = statistics.median(w for w, _ in after)
                ac = statistics.median(c for _, c in after)
                print(f"{name:22} {bw:13.3f}s {bc:5.3f}s {aw:9.3f}s {ac:5.3f}s  {bw / aw:.2f}×")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
