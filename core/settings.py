"""Local configuration: where doudi keeps its data and which database it uses.

Two environment variables, both optional:

- ``DOUDI_DATA_DIR``: the data directory (default: the per-user data directory of the platform,
  ``platformdirs.user_data_dir("doudi")``, e.g. ``~/.local/share/doudi`` on Linux);
- ``DOUDI_DATABASE_URL``: an SQLAlchemy URL (default: SQLite at ``<data dir>/doudi.sqlite3``).
  For PostgreSQL use ``postgresql+psycopg://user:password@host/dbname`` (a bare
  ``postgresql://`` URL is taken to mean the psycopg 3 driver, which doudi ships with).

Nothing here touches the disk: the SQLite file's directory is created when the engine is made
(:func:`core.storage.engine.make_engine`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

DATA_DIR_ENV = "DOUDI_DATA_DIR"
DATABASE_URL_ENV = "DOUDI_DATABASE_URL"
SQLITE_FILE = "doudi.sqlite3"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str

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
    return Settings(data_dir=data_dir, database_url=url)


__all__ = [
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "SQLITE_FILE",
    "Settings",
    "default_data_dir",
    "load_settings",
    "normalize_database_url",
    "sqlite_url",
]
