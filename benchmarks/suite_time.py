"""Benchmark: the test suite's wall and CPU time, against an earlier revision in the same run.

    python benchmarks/suite_time.py                      # this tree vs 9346cba, 2 rounds
    python benchmarks/suite_time.py --baseline REV --rounds 3 --logs DIR

Each round runs ``pytest -q -p no:cacheprovider --durations=20`` on the baseline revision
(checked out with ``git worktree`` into a temporary directory) and then on this tree, with the
same interpreter, so that the shared machine's load hits both alike; the load average is printed
beside every run. CPU time is counted twice: the pytest process with everything it waited for
(``os.wait4``: the CLI subprocesses, ``initdb``, ``pg_ctl``), and the throwaway PostgreSQL
server, which ``pg_ctl`` detaches, so its CPU never reaches pytest's account: it is sampled
from ``/proc`` (the postmaster with the backends it has reaped, plus its live children) every
0.2 s, the server being recognised by its data directory in the run's own ``TMPDIR``. The
server's last 0.2 s and its shutdown are not counted. Each run's pytest output goes to
``--logs`` (the slowest 20 durations are there). Both trees are collected once first, so that
neither pays for compiling bytecode in its measured runs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=20"]
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


class ServerCpu(threading.Thread):
    """Samples the CPU seconds of the PostgreSQL servers whose data directory is under ``root``."""

    def __init__(self, root: str) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.done = threading.Event()
        self.seen: dict[int, float] = {}  # postmaster pid -> its last total

    def _postmasters(self) -> list[int]:
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # the server pg_ctl started, not initdb's bootstrap runs (pytest waits for those)
            server = b"-p" in cmd and not {b"--boot", b"--single"} & set(cmd)
            if cmd[0].endswith(b"/postgres") and server and self.root.encode() in b" ".join(cmd):
                found.append(int(entry.name))
        return found

    def _total(self, postmaster: int) -> float:
        fields = _stat(postmaster)
        # utime, stime, cutime, cstime (fields 14-17 of stat; 12-15 after the name and state)
        total = sum(int(x) for x in fields[11:15])
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                child = _stat(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == postmaster:  # ppid
                total += int(child[11]) + int(child[12])
        return total / TICKS

    def run(self) -> None:
        while not self.done.wait(0.2):
            for pid in self._postmasters():
                try:
                    self.seen[pid] = self._total(pid)
                except (OSError, IndexError, ValueError):
                    continue

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def run_suite(tree: Path, log: Path) -> dict[str, float | str]:
    """Wall, pytest CPU and server CPU seconds of one whole-suite run in ``tree``."""
    with tempfile.TemporaryDirectory(prefix="suite-time-") as tmp:
        os.chmod(tmp, 0o755)  # the server may run as another account (when we are root)
        env = dict(os.environ, TMPDIR=tmp, PYTHONPATH=str(tree))
        for name in ("DOUDI_DATABASE_URL", "DOUDI_DATA_DIR", "DOUDI_TOKEN"):
            env.pop(name, None)
        load = os.getloadavg()
        server = ServerCpu(tmp)
        server.start()
        start = time.perf_counter()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, *PYTEST], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        server.done.set()
        server.join()
    text = log.read_text(errors="replace")
    summary = re.findall(r"^=* ?(\d+ passed.*?) in [\d.]+s", text, re.M)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tree}: the suite failed, see {log}")
    return {
        "load": " ".join(f"{x:.2f}" for x in load),
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "server": server.seconds,
        "summary": summary[-1] if summary else "?",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="9346cba", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--logs", type=Path, default=None, help="where pytest's output goes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        logs = args.logs or Path(tmp) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        base_tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            for tree in (base_tree, ROOT):  # warm-up: bytecode and pytest's rewritten asserts
                subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"],
                    cwd=tree,
                    env=dict(os.environ, PYTHONPATH=str(tree)),
                    check=True,
                    capture_output=True,
                )
            head = ("round", "tree", "load (1/5/15 min)", "wall", "pytest cpu", "server cpu")
            print("{:>5} {:9} {:>18} {:>8} {:>11} {:>11}  result".format(*head), flush=True)
            results: dict[str, list[float]] = {"baseline": [], "this": []}
            for n in range(1, args.rounds + 1):
                for name, tree in (("baseline", base_tree), ("this", ROOT)):
                    r = run_suite(tree, logs / f"{name}-{n}.txt")
                    results[name].append(float(r["wall"]))
                    print(
                        f"{n:>5} {name:9} {r['load']:>18} {r['wall']:7.1f}s {r['cpu']:10.1f}s "
                        f"{r['server']:10.1f}s  {r['summary']}",
                        flush=True,
                    )
            ratios = [b / a for b, a in zip(results["baseline"], results["this"], strict=True)]
            print(
                "wall ratio baseline / this tree per round:", ", ".join(f"{x:.2f}×" for x in ratios)
            )
            print(f"pytest output: {logs}")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
