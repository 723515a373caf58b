"""Issue 11: "every transition takes SELECT … FOR UPDATE on one global chain head, so writes from
every county in a province queue on one row". Now each county has its own chain: while one
county's head is locked (a long write there, held here by a second connection), another
county's writes go through, and the locked county's write waits for it and then succeeds
(PostgreSQL: SQLite has one writer at a time by design)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from core.audit.verify import verify
from tests.support.audit_scene import PANLONG, WUHUA, Scene
from tests.support.standards import with_example_standards


@pytest.fixture(scope="module")
def example(base):
    return with_example_standards(base)


def _hold(url: str, chain: str) -> psycopg.Connection:
    """A second session holding ``chain``'s head locked until rolled back."""
    u = make_url(url)
    conn = psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    )
    row = conn.execute("SELECT seq FROM audit_heads WHERE chain = %s FOR UPDATE", (chain,))
    assert row.fetchone() is not None
    return conn


def _waiting_on_a_lock(url: str) -> int:
    u = make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
        return int(row[0]) if row else 0


def _in_thread(work) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # checked by the caller
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    return t, errors


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_county_writes_while_another_county_holds_its_chain_lock(db, example):
    @event.listens_for(db.engine, "connect")
    def _fail_fast(dbapi_connection, _record) -> None:
        # a write that should not wait fails in 8 s instead of hanging the suite
        dbapi_connection.execute("SET lock_timeout = '8s'")
        dbapi_connection.commit()

    scene = Scene(db, example)
    here, there = scene.opened(WUHUA), scene.opened(PANLONG)
    holder = _hold(db.url, f"cases:{WUHUA}")
    try:
        t0 = time.monotonic()
        scene.step(there, "record_investigation", investigators=["甲", "乙"])
        scene.household(PANLONG)  # another county's household chain: no wait either
        assert time.monotonic() - t0 < 10

        blocked, errors = _in_thread(
            lambda: scene.step(here, "record_investigation", investigators=["甲", "乙"])
        )
        blocked.join(1.5)
        assert blocked.is_alive(), "the locked county's write did not wait for its head"
        assert _waiting_on_a_lock(db.url) == 1
        # meanwhile the other county goes on
        scene.step(there, "record_first_review")
    finally:
        holder.rollback()
        holder.close()
    blocked.join(30)
    assert not blocked.is_alive() and errors == []
    with db.sessions() as s:
        assert verify(s).problems == []
