"""Local configuration: where doudi keeps its data and which database it uses.

Environment variables, all optional:

- ``DOUDI_DATA_DIR``: the data directory (default: the per-user data directory of the platform,
  ``platformdirs.user_data_dir("doudi")``, e.g. ``~/.local/share/doudi`` on Linux);
- ``DOUDI_DATABASE_URL``: an SQLAlchemy URL (default: SQLite at ``<data dir>/doudi.sqlite3``).
  For PostgreSQL use ``postgresql+psycopg://user:password@host/dbname`` (a bare
  ``postgresql://`` URL is taken to mean the psycopg 3 driver, which doudi ships with).

The audit trail (:mod:`core.audit`) keeps two things outside the database:

- ``DOUDI_AUDIT_KEY``: the audit key itself, 64 hex digits (32 bytes), for deployments that
  inject secrets through the environment; else ``DOUDI_AUDIT_KEY_FILE``: the file holding it
  (default ``<data dir>/audit.key``, created with mode 0600 on first start);
- ``DOUDI_AUDIT_CHECKPOINTS``: the append-only checkpoint log (default
  ``<data dir>/audit-checkpoints.jsonl``); ``DOUDI_AUDIT_CHECKPOINT_SECONDS``: how often the
  chain heads are written to it (default 60; 0 writes after every audited write);
  ``DOUDI_AUDIT_SYSLOG``: also send every checkpoint to a syslog server (``/dev/log``,
  ``udp://host:514`` or ``tcp://host:601``), the external log a deployment points to.

Nothing here touches the disk: the SQLite file's directory is created when the engine is made
(:func:`core.storage.engine.make_engine`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

from core.errors import DoudiError

DATA_DIR_ENV = "DOUDI_DATA_DIR"
DATABASE_URL_ENV = "DOUDI_DATABASE_URL"
AUDIT_KEY_ENV = "DOUDI_AUDIT_KEY"
AUDIT_KEY_FILE_ENV = "DOUDI_AUDIT_KEY_FILE"
AUDIT_CHECKPOINTS_ENV = "DOUDI_AUDIT_CHECKPOINTS"
AUDIT_CHECKPOINT_SECONDS_ENV = "DOUDI_AUDIT_CHECKPOINT_SECONDS"
AUDIT_SYSLOG_ENV = "DOUDI_AUDIT_SYSLOG"
SQLITE_FILE = "doudi.sqlite3"
AUDIT_KEY_FILE = "audit.key"
AUDIT_CHECKPOINTS_FILE = "audit-checkpoints.jsonl"
DEFAULT_CHECKPOINT_SECONDS = 60.0


class InvalidSetting(DoudiError):
    """An environment variable doudi reads holds something it cannot use."""

    code = "INVALID_SETTING"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    # The audit key and checkpoints (see the module's docstring); None: under data_dir.
    audit_key_file: Path | None = None
    audit_key: str | None = field(default=None, repr=False)
    audit_checkpoints: Path | None = None
    audit_checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS
    audit_syslog: str | None = None

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.data_dir / AUDIT_KEY_FILE

    @property
    def audit_checkpoints_path(self) -> Path:
        return self.audit_checkpoints or self.data_dir / AUDIT_CHECKPOINTS_FILE

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_data_dir() -> Path:
    """The platform's per-user data directory for doudi."""
    return Path(user_data_dir("doudi", appauthor=False))


def sqlite_url(path: Path) -> str:
    """An SQLAlchemy URL for an SQLite file at ``path`` (made absolute)."""
    return f"sqlite:///{path.expanduser().resolve()}"


def normalize_database_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    raw_dir = env.get(DATA_DIR_ENV, "").strip()
    data_dir = Path(raw_dir).expanduser().resolve() if raw_dir else default_data_dir()
    raw_url = env.get(DATABASE_URL_ENV, "").strip()
    url = normalize_database_url(raw_url) if raw_url else sqlite_url(data_dir / SQLITE_FILE)
    key_file = env.get(AUDIT_KEY_FILE_ENV, "").strip()
    checkpoints = env.get(AUDIT_CHECKPOINTS_ENV, "").strip()
    raw_seconds = env.get(AUDIT_CHECKPOINT_SECONDS_ENV, "").strip()
    try:
        seconds = float(raw_seconds) if raw_seconds else DEFAULT_CHECKPOINT_SECONDS
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= 86400:  # also NaN
        raise InvalidSetting(
            f"{AUDIT_CHECKPOINT_SECONDS_ENV}: seconds between checkpoints, 0 to 86400, not "
            f"{raw_seconds!r}"
        )
    return Settings(
        data_dir=data_dir,
        database_url=url,
        audit_key_file=Path(key_file).expanduser().resolve() if key_file else None,
        audit_key=env.get(AUDIT_KEY_ENV, "").strip() or None,
        audit_checkpoints=Path(checkpoints).expanduser().resolve() if checkpoints else None,
        audit_checkpoint_seconds=seconds,
        audit_syslog=env.get(AUDIT_SYSLOG_ENV, "").strip() or None,
    )


__all__ = [
    "AUDIT_CHECKPOINTS_ENV",
    "AUDIT_CHECKPOINT_SECONDS_ENV",
    "AUDIT_KEY_ENV",
    "AUDIT_KEY_FILE_ENV",
    "AUDIT_SYSLOG_ENV",
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "SQLITE_FILE",
    "InvalidSetting",
    "Settings",
    "default_data_dir",
    "load_settings",
    "normalize_database_url",
    "sqlite_url",
]
