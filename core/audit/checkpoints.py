"""The checkpoint log: the heads of the audit chains, written outside the database.

A checkpoint is a few lines of JSON (at most :data:`CHAINS_PER_LINE` chains a line, so that a
line fits a syslog datagram), each authenticated with the audit key
(:func:`core.audit.chain.checkpoint_line`). They are appended to a file (default
``<data dir>/audit-checkpoints.jsonl``, ``DOUDI_AUDIT_CHECKPOINTS``), under an exclusive
``flock`` and with one ``write`` per checkpoint, then ``fsync``: several processes (server
workers, commands) may share it. When ``DOUDI_AUDIT_SYSLOG`` is set each line is also sent to
that syslog server, the copy a deployment keeps where the database's administrators cannot
reach (a log host, a SIEM, a WORM store); to verify against it, extract the lines (they start
with ``{"at":``) into a file and pass it to ``doudi audit verify --checkpoints FILE``.

Why a file and not a table: a checkpoint is evidence against someone who can write the
database. Put the file on a volume that account cannot write, or mark it append-only
(``chattr +a``), or rely on the syslog copy: a checkpoint log that the same person can rewrite
protects only up to the moment they rewrite it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import logging.handlers
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.audit.chain import BadCheckpoint, checkpoint_line, parse_checkpoint_line
from core.audit.keys import AuditKey
from core.errors import DoudiError

CHAINS_PER_LINE = 4
log = logging.getLogger("doudi.audit")


class CheckpointError(DoudiError):
    code = "AUDIT_CHECKPOINT_FAILED"


def _syslog_handler(address: str) -> logging.Handler:
    """A syslog handler for ``/dev/log`` (a socket path), ``udp://host:port`` or
    ``tcp://host:port``."""
    if address.startswith(("udp://", "tcp://")):
        scheme, rest = address.split("://", 1)
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise CheckpointError(f"DOUDI_AUDIT_SYSLOG: host:port expected in {address!r}")
        kind = socket.SOCK_DGRAM if scheme == "udp" else socket.SOCK_STREAM
        return logging.handlers.SysLogHandler(
            address=(host.strip("[]"), int(port)),
            facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV,
            socktype=kind,
        )
    return logging.handlers.SysLogHandler(
        address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
    )


@dataclass
class CheckpointLog:
    """Where checkpoints go: ``path`` (always) and a syslog server (optional)."""

    path: Path
    key: AuditKey
    syslog: str | None = None
    _syslog: logging.Logger | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.syslog:
            logger = logging.getLogger(f"doudi.audit.syslog.{id(self)}")
            logger.propagate = False
            logger.setLevel(logging.INFO)
            logger.addHandler(_syslog_handler(self.syslog))
            self._syslog = logger

    def lines(self, at: dt.datetime, heads: Mapping[str, tuple[int, str]]) -> list[str]:
        names = sorted(heads)
        return [
            checkpoint_line(
                self.key.secret,
                self.key.id,
                at,
                {c: heads[c] for c in names[i : i + CHAINS_PER_LINE]},
            )
            for i in range(0, len(names), CHAINS_PER_LINE)
        ]

    def append(self, at: dt.datetime, heads: Mapping[str, tuple[int, str]]) -> int:
        """Write a checkpoint of ``heads``; returns how many lines it took (0 for no heads)."""
        lines = self.lines(at, heads)
        if not lines:
            return 0
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)  # releases the lock
        except OSError as exc:
            raise CheckpointError(
                f"cannot write the audit checkpoint log {self.path}: {exc.strerror}"
            ) from None
        if self._syslog is not None:
            for line in lines:
                self._syslog.info("doudi-audit-checkpoint %s", line)
        return len(lines)

    def close(self) -> None:
        if self._syslog is not None:
            for h in list(self._syslog.handlers):
                self._syslog.removeHandler(h)
                h.close()


@dataclass
class CheckpointRead:
    """What a checkpoint log says: per chain, the newest head seen (and when), and the lines
    that could not be trusted."""

    path: Path
    exists: bool
    lines: int = 0
    newest: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # chain → seq, hash, at
    last_at: str | None = None
    bad: list[str] = field(default_factory=list)


def read_checkpoints(path: Path, key: AuditKey) -> CheckpointRead:
    """Read a checkpoint log (or lines extracted from the syslog copy: anything before the
    first ``{`` and after the last ``}`` of a line is ignored)."""
    if not path.exists():
        return CheckpointRead(path, exists=False)
    out = CheckpointRead(path, exists=True)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint log {path}: {exc.strerror}") from None
    for n, raw in enumerate(text.splitlines(), start=1):
        # a syslog copy: a prefix before the JSON, maybe a NUL after it
        line = raw[raw.find("{") : raw.rfind("}") + 1] if "{" in raw else raw
        if not line.strip():
            continue
        out.lines += 1
        try:
            cp = parse_checkpoint_line(key.secret, key.id, line)
        except BadCheckpoint as exc:
            out.bad.append(f"checkpoint log {path} line {n}: {exc}")
            continue
        if out.last_at is None or cp.at > out.last_at:
            out.last_at = cp.at
        for chain, (seq, h) in cp.heads.items():
            seen = out.newest.get(chain)
            if seen is None or seq > seen[0]:
                out.newest[chain] = (seq, h, cp.at)
            elif seq == seen[0] and h != seen[1]:
                out.bad.append(
                    f"checkpoint log {path} line {n}: chain {chain} #{seq} has two different "
                    "hashes in the log"
                )
    return out


def merge(reads: Iterable[CheckpointRead]) -> dict[str, tuple[int, str, str]]:
    out: dict[str, tuple[int, str, str]] = {}
    for r in reads:
        for chain, v in r.newest.items():
            if chain not in out or v[0] > out[chain][0]:
                out[chain] = v
    return out


__all__ = [
    "CHAINS_PER_LINE",
    "CheckpointError",
    "CheckpointLog",
    "CheckpointRead",
    "merge",
    "read_checkpoints",
]
