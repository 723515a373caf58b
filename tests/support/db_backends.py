"""Database fixtures: every storage test runs on SQLite and on a real, throwaway PostgreSQL.

Registered for every test by ``tests/conftest.py`` (``pytest_plugins``); do not import it. A test
asks for one of:

- ``db``: a fresh database at the newest migration, with its engine and session factory;
- ``migrated_db_url``: the URL of such a database (for a runtime, the CLI or the app);
- ``db_url``: a fresh, EMPTY database (no tables) — only for tests of the migrations themselves;
- ``sqlite_template``: ``sqlite_template.clone(path)`` puts a migrated SQLite file at ``path``
  (for tests that run on SQLite only).

The first three are parametrised over ``sqlite`` and ``postgresql`` through ``backend`` (a test
asking for two of them gets two databases on the same backend).

Migrated databases are clones, not migrations: the migrations run once per test session into a
template — an SQLite file, copied per test; a PostgreSQL database marked ``IS_TEMPLATE`` and
closed to connections, cloned per test by ``CREATE DATABASE … TEMPLATE`` — so every test still
gets its own database, in the state ``upgrade`` leaves, without paying for the migrations. The
migrations themselves are still run from empty on both backends by the tests that ask for
``db_url`` (tests/storage/test_db.py and the store tests that compare tables to the models).

PostgreSQL: one cluster per test session, started from the installed binaries (``initdb``,
``pg_ctl``) in a temporary directory, listening on 127.0.0.1 on a free port with trust
authentication; each test gets its own database, dropped afterwards.

- Binaries: ``$DOUDI_PG_BIN`` if set, else ``pg_config --bindir``, else the newest
  ``/usr/lib/postgresql/*/bin``, else ``initdb`` on ``PATH``. If none is found the PostgreSQL
  cases are *skipped* with that reason; any other failure to start is an error.
- Root: ``initdb`` and ``postgres`` refuse to run as root. When the tests run as root (as in CI
  containers), the cluster runs as an unprivileged account instead — ``$DOUDI_PG_OS_USER`` if
  set, else ``postgres`` if that account exists, else ``nobody`` — by starting the binaries with
  ``subprocess``'s ``user=``/``group=`` (a setuid/setgid in the child; no sudo/runuser needed).
  The cluster's directory (data, log and socket) is made with ``mkdtemp`` in the first of
  ``$TMPDIR``, ``/tmp``, ``/var/tmp`` that every account can traverse, and handed to that
  account. The database superuser is always ``postgres`` (``initdb -U postgres``).
- ``$DOUDI_TEST_POSTGRESQL_URL`` (e.g. ``postgresql+psycopg://postgres@db:5432/postgres``): use an
  existing server instead of starting one; test databases (and the template) are created on it
  and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.settings import sqlite_url
from core.storage.engine import make_engine, make_session_factory, upgrade

BACKENDS = ("sqlite", "postgresql")
_PG_BINARIES = ("initdb", "pg_ctl", "postgres")


def find_pg_bin() -> Path | None:
    """The directory holding initdb/pg_ctl/postgres, or None."""
    candidates: list[Path] = []
    if os.environ.get("DOUDI_PG_BIN"):
        candidates.append(Path(os.environ["DOUDI_PG_BIN"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))

    def version(p: str) -> tuple[int, ...]:
        part = Path(p).parent.name
        return tuple(int(x) for x in part.split(".") if x.isdigit())

    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        candidates.append(Path(found))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for c in candidates:
        if all((c / b).is_file() and os.access(c / b, os.X_OK) for b in _PG_BINARIES):
            return c
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _shared_tmp() -> str:
    """A temporary directory every account can traverse (TMPDIR may be private to root)."""
    for d in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        p = Path(d).resolve()
        if p.is_dir() and all(q.stat().st_mode & 0o001 for q in (p, *p.parents)):
            return str(p)
    raise RuntimeError("no temporary directory that the PostgreSQL account can reach")


@dataclass
class _RunAs:
    """Run the server's binaries as this OS account (only differs from us when we are root)."""

    uid: int
    gid: int
    name: str

    @classmethod
    def choose(cls) -> _RunAs:
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)
        names = [os.environ.get("DOUDI_PG_OS_USER", ""), "postgres", "nobody"]
        for name in filter(None, names):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            if entry.pw_uid != 0:
                return cls(entry.pw_uid, entry.pw_gid, name)
        raise RuntimeError(
            "running as root and no unprivileged account (postgres, nobody) to run PostgreSQL "
            "as; set DOUDI_PG_OS_USER"
        )

    def kwargs(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "umask": 0o077}


class PgCluster:
    """A throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.run_as = _RunAs.choose()
        self.root = Path(tempfile.mkdtemp(prefix="doudi-pg-", dir=_shared_tmp()))
        os.chmod(self.root, 0o700)
        if os.geteuid() == 0:
            os.chown(self.root, self.run_as.uid, self.run_as.gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        self.started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        proc = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.root,
            timeout=120,
            **self.run_as.kwargs(),
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed (as OS user {self.run_as.name}): "
                f"{proc.stdout}\n{proc.stderr}\n{log}"
            )
        return proc

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 "
                f"-c unix_socket_directories={self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=50"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                    "-t", "60", "start",
                )  # fmt: skip
                self.started = True
                return
            except RuntimeError:
                if attempt == 4:
                    raise

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


class PgServer:
    """Creates and drops test databases on a server (ours or ``$DOUDI_TEST_POSTGRESQL_URL``)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._n = itertools.count(1)
        self._prefix = f"doudi_test_{os.getpid()}_"

    def _admin(self) -> psycopg.Connection[Any]:
        u = make_url(self.admin_url)
        return psycopg.connect(
            host=u.host,
            port=u.port,
            user=u.username,
            password=u.password,
            dbname=u.database or "postgres",
            autocommit=True,
        )

    def url_of(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (see :meth:`create_template`)."""
        name = f"{self._prefix}{next(self._n)}"
        clone = f' TEMPLATE "{template}"' if template else ""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clone}')
        return self.url_of(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_template(self) -> str:
        """A database migrated to the newest schema, closed to connections, to clone from.

        ``CREATE DATABASE … TEMPLATE`` refuses a template anyone is connected to, so the engine
        that migrated it is disposed (its pooled connections closed) and no one may connect
        afterwards (``ALLOW_CONNECTIONS false``): a stray connection fails loudly at once
        instead of making a later clone fail."""
        url = self.create_database()
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        name = make_url(url).database
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
        return str(name)

    def drop_template(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get("DOUDI_TEST_POSTGRESQL_URL")
    if external:
        yield PgServer(external)
        return
    bindir = find_pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl, postgres) not found: install PostgreSQL, "
            "set DOUDI_PG_BIN to their directory, or set DOUDI_TEST_POSTGRESQL_URL"
        )
    cluster = PgCluster(bindir)
    try:
        cluster.start()
        yield PgServer(cluster.admin_url)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """The name of the session's migrated PostgreSQL template database."""
    name = pg_server.create_template()
    try:
        yield name
    finally:
        pg_server.drop_template(name)


@dataclass(frozen=True)
class SqliteTemplate:
    """A migrated SQLite file; :meth:`clone` copies it (a fresh database per copy)."""

    path: Path

    def clone(self, to: Path) -> str:
        """Copy the template to ``to`` (which must not exist yet) and return its URL."""
        to.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("rb") as src, to.open("xb") as dst:
            shutil.copyfileobj(src, dst)
        return sqlite_url(to)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """The session's SQLite file at the newest migration."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(sqlite_url(path))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    # The engine runs in WAL mode: fold the log into the file, so that the file alone is the
    # whole database (closing the last connection checkpoints and removes the -wal file).
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's WAL was not checkpointed"
    return SqliteTemplate(path)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend of a storage test: each test asking for a database runs on both."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, EMPTY database (no tables): an SQLite file in tmp, or a new PostgreSQL
    database. Only the migrations' own tests need this; others take ``migrated_db_url``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'doudi.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def migrated_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest migration, cloned from the session's template."""
    if backend == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        yield template.clone(tmp_path / "migrated.sqlite3")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database(template=request.getfixturevalue("pg_template"))
    try:
        yield url
    finally:
        server.drop_database(url)


@dataclass
class Db:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name


@pytest.fixture
def db(migrated_db_url: str) -> Iterator[Db]:
    """A fresh database at the newest migration, with its engine and session factory."""
    engine = make_engine(migrated_db_url)
    try:
        yield Db(migrated_db_url, engine, make_session_factory(engine))
    finally:
        engine.dispose()
