"""The audit key: 32 random bytes the database never holds.

Where it comes from, first match wins:

1. ``DOUDI_AUDIT_KEY`` (64 hex digits), for deployments that inject secrets through the
   environment (a secrets manager, systemd ``LoadCredential=``, a Kubernetes secret);
2. the key file, ``DOUDI_AUDIT_KEY_FILE`` or ``<data dir>/audit.key``: one line of 64 hex
   digits. When it does not exist it is created (mode 0600, ``O_EXCL`` so two processes starting
   at once cannot both write one) on first start.

The key must live apart from the database and its backups: whoever holds both can rewrite
history undetected. With the default SQLite database, the key file sits beside it in the data
directory, which protects against someone who gets a copy of the database, not against someone
who owns the data directory: a deployment sets ``DOUDI_AUDIT_KEY_FILE`` to a path on another
volume (readable only by the service account) or passes the key in ``DOUDI_AUDIT_KEY``, and
keeps a copy offline (without it, ``doudi audit verify`` cannot check anything). A key file
readable by others is refused.

The key id (the first 16 hex digits of a SHA-256 of the key) is recorded in every entry, so
verification can tell "written with another key" from "tampered with".
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DoudiError
from core.settings import AUDIT_KEY_ENV, Settings

KEY_BYTES = 32


class AuditKeyError(DoudiError):
    code = "AUDIT_KEY_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class AuditKey:
    secret: bytes = field(repr=False)
    id: str  # first 16 hex digits of SHA-256("doudi-audit-key-id" + secret)
    origin: str  # where it came from, for messages (never the key itself)

    @classmethod
    def of(cls, secret: bytes, origin: str) -> AuditKey:
        if len(secret) < KEY_BYTES:
            raise AuditKeyError(f"the audit key ({origin}) must be at least {KEY_BYTES} bytes")
        ident = hashlib.sha256(b"doudi-audit-key-id" + secret).hexdigest()[:16]
        return cls(secret, ident, origin)


def _parse_hex(text: str, origin: str) -> AuditKey:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise AuditKeyError(
            f"the audit key ({origin}) must be {2 * KEY_BYTES} hex digits"
        ) from None
    return AuditKey.of(secret, origin)


def _check_mode(path: Path) -> None:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(
            f"the audit key file {path} can be read by other accounts (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
        )


def _read_file(path: Path) -> AuditKey:
    _check_mode(path)
    return _parse_hex(path.read_text(encoding="ascii", errors="replace"), str(path))


def _create_file(path: Path) -> AuditKey | None:
    """Write a new key to ``path``; None when another process created it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    secret = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return AuditKey.of(secret, str(path))


_cache: dict[tuple[str, str], AuditKey] = {}
_cache_lock = threading.Lock()


def load_key(settings: Settings, *, create: bool = True) -> AuditKey:
    """The audit key of ``settings`` (see the module's docstring), creating the key file when
    ``create`` and there is none. Read once per process and place."""
    if settings.audit_key:
        return _parse_hex(settings.audit_key, AUDIT_KEY_ENV)
    path = settings.audit_key_path
    where = (str(path), "file")
    with _cache_lock:
        try:
            cached = _cache.get(where)
            if cached is not None and path.exists():
                _check_mode(path)
                return cached
            if path.exists():
                key = _read_file(path)
            elif not create:
                raise AuditKeyError(
                    f"no audit key: {path} does not exist (set DOUDI_AUDIT_KEY_FILE or "
                    f"{AUDIT_KEY_ENV} to the key the database was written with)"
                )
            else:
                key = _create_file(path) or _read_file(path)
        except OSError as exc:
            raise AuditKeyError(f"cannot use the audit key file {path}: {exc.strerror}") from None
        _cache[where] = key
        return key


__all__ = ["KEY_BYTES", "AuditKey", "AuditKeyError", "load_key"]
