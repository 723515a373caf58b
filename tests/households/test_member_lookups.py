"""Looking a person up among the household members reads an index, never the whole table: the
duplicate check of a household written and the
households of a register's ID numbers (a register import's plan). On SQLite the partial unique
index of active members is not used for ``active = 1`` (SQLite takes a partial index only for
its very WHERE expression): the plain index of ID numbers is. The database's own plan of every
statement that reads the members, on SQLite and on PostgreSQL (where sequential scans are
switched off for the question, so that the plan shows whether an index can serve at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from core.access.roles import Role
from core.access.tokens import create_user
from core.households.store import active_households_of, create_household
from tests.support.households import household_doc, id_number

YUNNAN = "530102"
TODAY = dt.date(2024, 1, 1)


@contextmanager
def member_reads(db: Any) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        if statement.lstrip().upper().startswith("SELECT") and "household_members" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def scans_of_members(db: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """The lines of the statements' plans that read the members' table whole."""
    out = set()
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        explain = "EXPLAIN " if db.backend == "postgresql" else "EXPLAIN QUERY PLAN "
        for statement, params in statements:
            for row in conn.exec_driver_sql(explain + statement, params):
                line = str(row[-1])
                if line.startswith("SCAN household_members") or "Seq Scan on household_me" in line:
                    out.add(line)
    return sorted(out)


def test_a_person_is_found_among_the_members_by_an_index(db, registry) -> None:
    with db.sessions() as s:
        user, _ = create_user(s, "clerk", Role.TOWNSHIP_OFFICER, YUNNAN, registry)
    people = [(id_number(YUNNAN, k), f"人{k}", "head") for k in range(1, 6)]
    with db.sessions() as s:
        for number, name, relation in people[:3]:
            create_household(s, user, household_doc(YUNNAN, (number, name, relation)), registry,
                             today=TODAY)  # fmt: skip
    with member_reads(db) as seen, db.sessions() as s:
        found = active_households_of(s, [p[0] for p in people])
        create_household(s, user, household_doc(YUNNAN, people[3]), registry, today=TODAY)
    assert set(found) == {p[0] for p in people[:3]}
    assert len(seen) >= 2  # the look-up and the duplicate check of the household created
    assert scans_of_members(db, seen) == []
