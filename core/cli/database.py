"""The configured database and policy for a command, and the user acting (``--token``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DoudiError
from core.policy.service import (
    PolicyBase,
)
from core.settings import DATABASE_URL_ENV, SQLITE_FILE, Settings, load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    from core.access.roles import User
    from core.runtime import Runtime

from core.cli.output import TOKEN_ENV, plugin_policy


def redact_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings point at (None: another database, or SQLite in memory)."""
    if not settings.is_sqlite:
        return None
    if not os.environ.get(DATABASE_URL_ENV, "").strip():
        return settings.data_dir / SQLITE_FILE
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database or ""
    if database.startswith("file:"):
        database = database[len("file:") :].partition("?")[0]
    if database in ("", ":memory:"):
        return None
    return Path(database).expanduser()


def database_exists(settings: Settings) -> bool:
    """True when there is a database to read: an SQLite file that is there, or a server URL
    (``DOUDI_DATABASE_URL``). Checking creates nothing."""
    if not settings.is_sqlite:
        return True
    found = _sqlite_file(settings)
    return found is not None and found.is_file()


def _database_place(settings: Settings) -> str:
    found = _sqlite_file(settings)
    return str(found) if found is not None else redact_url(settings.database_url)


@contextmanager
def open_database(*, create: bool, policy: bool = False) -> Iterator[Runtime]:
    """The configured database, opened. ``create``: create and migrate it if needed (else it
    must exist and be up to date). ``policy``: with the installed plugins' policy loaded first."""
    from core.runtime import DatabaseUnavailable, open_runtime

    settings = load_settings()
    if not create and not database_exists(settings):
        raise DatabaseUnavailable(
            f"no database yet at {_database_place(settings)}: create it with `doudi db upgrade` "
            "(or `doudi users add`)"
        )
    plugin_base = plugin_policy() if policy else None
    runtime = open_runtime(settings, migrate=create, plugin_base=plugin_base)
    try:
        yield runtime
    finally:
        runtime.close()


def merged_policy() -> PolicyBase:
    """The merged policy the read commands answer from: the plugins plus the local settings of
    the configured database when it exists. A read never creates a database: on a fresh machine
    this is the plugins' policy alone."""
    if not database_exists(load_settings()):
        return plugin_policy()
    with open_database(create=False, policy=True) as runtime:
        return runtime.policy


def acting_user(session: Any, token: str | None) -> User:
    from core.access.roles import Unauthenticated
    from core.access.tokens import authenticate

    if token is None or not token.strip():
        raise Unauthenticated(
            f"this command acts as a user: pass --token TOKEN or set {TOKEN_ENV} "
            "(`doudi users add` prints a token)"
        )
    return authenticate(session, token.strip())


def database_error(settings: Settings, exc: Exception) -> DoudiError:
    from core.runtime import DatabaseUnavailable

    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    where = redact_url(settings.database_url)
    return DatabaseUnavailable(f"cannot use the database {where}: {type(orig).__name__}: {first}")
