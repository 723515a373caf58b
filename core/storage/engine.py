"""Engines, sessions, units of work and migrations.

- :func:`make_engine` builds an engine for a URL. SQLite gets foreign keys, WAL, a busy timeout
  and real transactions (SQLAlchemy emits ``BEGIN`` itself; a write unit emits
  ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing half-way).
- :func:`make_session_factory` gives sessions with ``expire_on_commit=False``.
- :func:`read_unit` / :func:`write_unit`: one transaction per unit of work;
  :func:`quick_read`: reads that need no common snapshot (on PostgreSQL in autocommit: no
  ``BEGIN``/``COMMIT`` round trips).
- Connections to a server are checked with a ping only when they come out of the pool after
  being idle for more than :data:`PING_AFTER_IDLE_S` (SQLAlchemy's ``pool_pre_ping`` pings on
  every checkout: two round trips, several times per request). A connection that dies while in
  use fails its request once (``DATABASE_UNAVAILABLE``) and the pool drops every connection made
  before it.
- :func:`upgrade` creates and migrates a database to the newest schema (what ``doudi serve`` and
  ``doudi db upgrade`` run). The Alembic scripts are part of this package
  (``core.storage:migrations``)
  so an installed wheel carries them; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import load_settings, normalize_database_url

SCRIPT_LOCATION = "core.storage:migrations"
_WRITE_OPTION = "doudi_write"
SQLITE_BUSY_TIMEOUT_S = 30.0
PING_AFTER_IDLE_S = 10.0
# Connections a server keeps open. SQLAlchemy's default (5, and 10 more opened and closed on
# demand) makes a server with more than 5 requests in flight connect and disconnect on every
# request, each a new PostgreSQL backend (a fork and an authentication).
POOL_SIZE = 20
POOL_OVERFLOW = 10
_IDLE_SINCE = "doudi.idle_since"
_MIGRATION_LOCK = 0x646F756469  # "doudi"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: the configured ``DOUDI_DATABASE_URL``)."""
    url = normalize_database_url(url or load_settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        server = create_engine(url, **kwargs)
        _ping_when_idle(server)
        return server

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in url
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (its legacy mode never begins
        # a transaction for SELECT or DDL); SQLAlchemy's "begin" event below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only if it sat idle for ``PING_AFTER_IDLE_S``
    (a server restarted, a firewall dropped it); a dead one is replaced before use."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_S:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            if not getattr(dbapi_connection, "autocommit", False):
                dbapi_connection.rollback()
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):  # type: ignore[arg-type]
                raise DisconnectionError(str(exc)) from exc
            raise


def make_session_factory(
    bind: Engine | str | None = None, *, info: dict[str, Any] | None = None
) -> sessionmaker[Session]:
    """Sessions for ``bind`` (an engine or a URL); objects stay usable after commit. ``info``
    is copied into every session's ``Session.info`` (the audit key travels there)."""
    engine = bind if isinstance(bind, Engine) else make_engine(bind)
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


@contextmanager
def write_unit(session: Session) -> Iterator[Session]:
    """One write transaction: committed at the end, rolled back entirely on any error.

    On SQLite the transaction takes the write lock at once (``BEGIN IMMEDIATE``), so a second
    writer waits for the first instead of failing after it has read. ``session`` must not be in
    a transaction already.
    """
    with session.begin():
        session.connection(execution_options={_WRITE_OPTION: True})
        yield session


@contextmanager
def read_unit(session: Session) -> Iterator[Session]:
    """One read transaction (a consistent snapshot on SQLite)."""
    with session.begin():
        yield session


@contextmanager
def quick_read(session: Session) -> Iterator[Session]:
    """Reads that need no snapshot common to all of them (each statement sees the newest
    committed data): on PostgreSQL the connection runs in autocommit, so the reads cost no
    ``BEGIN`` and ``COMMIT`` round trips; elsewhere a read transaction. ``session`` must not be
    in a transaction already."""
    with session.begin():
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """Read in the caller's transaction if one is open, else in a read transaction of its own."""
    if session.in_transaction():
        yield session
    else:
        with session.begin():
            yield session


# -- migrations ------------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        # ConfigParser interpolation: a '%' in a password must be doubled.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(bind: Engine | str | None = None, revision: str = "head") -> None:
    """Create the database if needed and migrate it to ``revision`` (default: the newest)."""
    engine = bind if isinstance(bind, Engine) else make_engine(bind)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Two servers starting at once: the second waits, then finds nothing to do.
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
    finally:
        if not isinstance(bind, Engine):
            engine.dispose()


def head_revision() -> str | None:
    """The newest migration shipped with this version of doudi."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(bind: Engine | str | None = None) -> str | None:
    """The migration the database is at (None: not migrated yet)."""
    engine = bind if isinstance(bind, Engine) else make_engine(bind)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if not isinstance(bind, Engine):
            engine.dispose()


__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "current_revision",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "quick_read",
    "read_unit",
    "reading",
    "upgrade",
    "write_unit",
]
