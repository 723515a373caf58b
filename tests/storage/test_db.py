"""Storage on SQLite and PostgreSQL: migrations, households, members, duplicates, decisions."""

from __future__ import annotations

import datetime as dt
import json
import threading
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import core.households.store as store
from core.access.roles import User
from core.access.tokens import create_user
from core.errors import InvalidInput
from core.households.model import InvalidHousehold
from core.households.store import (
    DuplicatePerson,
    NotFound,
    VersionConflict,
    create_household,
    get_household,
    list_decisions,
    list_households,
    record_decision,
    remove_member,
    update_household,
)
from core.settings import load_settings, normalize_database_url, sqlite_url
from core.storage.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from core.storage.tables import (
    Base,
    DecisionRow,
    FindingRow,
    HouseholdRow,
    MemberRow,
    RevisionRow,
)
from tests.support.households import household_doc, id_number

WUHUA, PANLONG, KUNMING, YUNNAN, NANMING = "530102", "530103", "530100", "530000", "520102"
P1, P2, P3, P4 = (id_number(WUHUA, n) for n in (1, 2, 3, 4))


def user(db, registry, role: str = "village_clerk", code: str = WUHUA, name: str = "") -> User:
    with db.sessions() as s:
        u, _ = create_user(s, name or f"{role}-{code}", role, code, registry)
    return u


def count(db, model) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def active_members(db) -> list[tuple[int, str]]:
    with db.sessions() as s:
        rows = s.execute(
            select(MemberRow.household_id, MemberRow.id_number)
            .where(MemberRow.active)
            .order_by(MemberRow.household_id, MemberRow.id_number)
        )
        return [(h, n) for h, n in rows]


def _clerk_and_household(conn, now: str) -> tuple[int, int]:
    """A village clerk of 530102 and an empty household they created, written with SQL at an
    older revision (the models describe the newest schema): their ids."""
    from sqlalchemy import text

    conn.execute(
        text(
            "INSERT INTO users (name, role, jurisdiction, active, created_at, failed_signins) "
            "VALUES ('clerk', 'village_clerk', '530102', true, :t, 0)"
        ),
        {"t": now},
    )
    uid = conn.execute(text("SELECT id FROM users WHERE name = 'clerk'")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO households (county, prefecture, province, document, version, "
            "created_at, updated_at, created_by, updated_by) VALUES ('530102', "
            "'530100', '530000', '{}', 1, :t, :t, :u, :u)"
        ),
        {"t": now, "u": uid},
    )
    hid = conn.execute(text("SELECT id FROM households WHERE created_by = :u"), {"u": uid})
    return int(uid), int(hid.scalar_one())


# -- settings ----------------------------------------------------------------------------------


def test_settings_defaults_and_environment(tmp_path):
    default = load_settings({})
    assert default.data_dir.name.lower() == "doudi"
    assert default.database_url == sqlite_url(default.data_dir / "doudi.sqlite3")
    assert default.is_sqlite

    custom = load_settings({"DOUDI_DATA_DIR": str(tmp_path / "d")})
    assert custom.data_dir == tmp_path / "d"
    assert custom.database_url == f"sqlite:///{tmp_path / 'd' / 'doudi.sqlite3'}"

    pg = load_settings({"DOUDI_DATABASE_URL": "postgresql://u:p@h/db"})
    assert pg.database_url == "postgresql+psycopg://u:p@h/db"
    assert not pg.is_sqlite
    assert normalize_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"


def test_upgrade_creates_the_sqlite_file_and_its_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "fresh" / "data"))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    upgrade()  # what `doudi serve` does on a fresh machine
    assert (tmp_path / "fresh" / "data" / "doudi.sqlite3").is_file()
    assert current_revision() == head_revision()


def test_migrations_are_packaged_without_an_ini_file():
    pkg = resources.files("core.storage") / "migrations"
    assert (pkg / "env.py").is_file()
    assert any(p.name.endswith(".py") for p in (pkg / "versions").iterdir())
    cfg = alembic_config()
    assert cfg.config_file_name is None
    assert cfg.get_main_option("script_location") == "core.storage:migrations"
    assert head_revision() is not None


# -- migrations --------------------------------------------------------------------------------


def test_migrations_from_empty_match_the_models(db_url):
    assert current_revision(db_url) is None
    upgrade(db_url)
    upgrade(db_url)  # a second run finds nothing to do
    assert current_revision(db_url) == head_revision()
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(ctx, Base.metadata) == []
            insp = inspect(conn)
            index = next(
                i
                for i in insp.get_indexes("household_members")
                if i["name"] == store.ACTIVE_MEMBER_INDEX
            )
            assert index["unique"]
            assert index["column_names"] == ["id_number"]
            where = index.get("dialect_options", {}).get(f"{engine.dialect.name}_where")
            assert where is not None and "active" in str(where)  # partial: active members only
            assert conn.execute(select(RevisionRow.revision)).scalar_one() == 0
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_up_again(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        with engine.connect() as conn:
            assert "households" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_the_analyst_role_migration_keeps_users_other_rows_refer_to(db_url):
    """Migration 0010 adds the analyst role to the users' CHECK constraint on a database in
    use: users that households refer to stay (SQLite cannot rebuild ``users`` under their
    foreign keys inside the migration's transaction), the new role is accepted, others are
    still refused, and the downgrade refuses while an analyst exists."""
    from sqlalchemy import text

    upgrade(db_url, "0009")
    engine = make_engine(db_url)
    now = "2024-06-01 00:00:00"
    insert_user = text(
        "INSERT INTO users (name, role, jurisdiction, active, created_at, failed_signins) "
        "VALUES (:n, :r, '530102', true, :t, 0)"
    )
    try:
        with engine.begin() as conn:
            uid, _ = _clerk_and_household(conn, now)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            conn.execute(insert_user, {"n": "wang", "r": "analyst", "t": now})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert_user, {"n": "root", "r": "superuser", "t": now})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
            assert conn.execute(text("SELECT created_by FROM households")).scalar_one() == uid

        def downgrade() -> None:
            with engine.begin() as conn:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0009")

        with pytest.raises(RuntimeError, match="1 user\\(s\\) have the analyst role"):
            downgrade()
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE role = 'analyst'"))
        downgrade()
        assert current_revision(engine) == "0009"
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert_user, {"n": "wang", "r": "analyst", "t": now})
    finally:
        engine.dispose()


def test_the_task_migration_puts_each_task_on_its_finding_and_back(db_url):
    """Migration 0013 moves each finding's task (one to one) onto the finding's row: level,
    opened and due dates, version, who closed it and when, its document; the task's status is
    its finding's (open, or done once resolved or dismissed). The downgrade writes the tasks
    back as they were (new ids) with the indexes it dropped."""
    from sqlalchemy import text

    upgrade(db_url, "0012")
    engine = make_engine(db_url)
    now = "2025-03-10 08:00:00+00:00"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, name, role, jurisdiction, active, created_at, "
                    "failed_signins) VALUES (1, 'wang', 'county_approver', '450326', true, "
                    ":t, 0)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO department_batches (id, kind, department, jurisdiction, county, "
                    "prefecture, province, batch_date, file_name, file_hash, records, storage, "
                    "user_id, at, document) VALUES (1, 'deaths', '公安', '450326', '450326', "
                    "'450300', '450000', '2025-03-01', 'd.csv', 'h', 2, 'd.parquet', 1, :t, "
                    "'{}')"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO comparison_runs (id, jurisdiction, as_of, user_id, at, "
                    "recipients, matches, raised, known, document) VALUES (1, '450326', "
                    "'2025-03-10', 1, :t, 2, 2, 2, 0, '{}')"
                ),
                {"t": now},
            )
            for fid, status in ((7, "open"), (9, "dismissed")):
                conn.execute(
                    text(
                        "INSERT INTO findings (id, key, run_id, batch_id, kind, rule, severity, "
                        "county, prefecture, province, id_number, name, status, created_at, "
                        f"document) VALUES ({fid}, 'k{fid}', 1, 1, 'deaths', "
                        "'deaths.recipient_died', 'high', '450326', '450300', '450000', "
                        f"'45032619700101001X', '某', '{status}', :t, '{{}}')"
                    ),
                    {"t": now},
                )
            conn.execute(
                text(
                    "INSERT INTO finding_tasks (id, finding_id, county, prefecture, province, "
                    "level, opened_on, due_date, status, version, resolved_by, resolved_at, "
                    "document) VALUES (3, 7, '450326', '450300', '450000', 'township', "
                    "'2025-03-10', '2025-03-17', 'open', 1, NULL, NULL, "
                    '\'{"deadline": {"value": 5}}\'), '
                    "(4, 9, '450326', '450300', '450000', 'county', '2025-03-10', NULL, 'done', "
                    '2, 1, :t, \'{"outcome": {"outcome": "dismissed"}}\')'
                ),
                {"t": now},
            )
        upgrade(engine)
        with engine.connect() as conn:
            insp = inspect(conn)
            assert "finding_tasks" not in insp.get_table_names()
            # (PostgreSQL lists the unique key's index too)
            assert {i["name"] for i in insp.get_indexes("findings")} - {"uq_findings_key"} == {
                "ix_findings_county_status_id",
                "ix_findings_case_id",
            }
            assert {fk["name"] for fk in insp.get_foreign_keys("findings")} == {
                "fk_findings_batch_id_department_batches",
                "fk_findings_case_id_cases",
                "fk_findings_person_id_low_income_people",
                "fk_findings_resolved_by_users",
            }
        with Session(engine) as s:
            rows = {f.id: f for f in s.scalars(select(FindingRow))}
        assert (rows[7].task_level, rows[7].opened_on, rows[7].due_date) == (
            "township",
            dt.date(2025, 3, 10),
            dt.date(2025, 3, 17),
        )
        assert (rows[7].task_version, rows[7].resolved_by, rows[7].resolved_at) == (1, None, None)
        assert rows[7].task == {"deadline": {"value": 5}}
        assert (rows[9].task_level, rows[9].due_date, rows[9].task_version) == ("county", None, 2)
        assert rows[9].resolved_by == 1 and rows[9].resolved_at is not None
        assert rows[9].task == {"outcome": {"outcome": "dismissed"}}

        # a finding written after the migration: its deadline on its run, none on its row
        with engine.begin() as conn:
            conn.execute(
                text(
                    'UPDATE comparison_runs SET document = \'{"deadlines": [{"value": 3}], '
                    '"deadlineOf": {"deaths|dibao|450326": 0}}\''
                )
            )
            conn.execute(
                text(
                    "INSERT INTO findings (id, key, run_id, batch_id, kind, rule, severity, "
                    "county, prefecture, province, id_number, name, status, created_at, "
                    "document, task_level, opened_on, task_version) VALUES (11, 'k11', 1, 1, "
                    "'deaths', 'deaths.recipient_died', 'high', '450326', '450300', '450000', "
                    "'45032619700101002X', '某', 'open', :t, '{\"program\": \"dibao\"}', "
                    "'township', '2025-03-10', 1)"
                ),
                {"t": now},
            )
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
        with engine.connect() as conn:
            documents = dict(
                conn.execute(text("SELECT finding_id, document FROM finding_tasks")).all()
            )
            tasks = conn.execute(
                text(
                    "SELECT finding_id, county, prefecture, province, level, opened_on, "
                    "due_date, status, version, resolved_by FROM finding_tasks "
                    "ORDER BY finding_id"
                )
            ).all()
            names = {i["name"] for i in inspect(conn).get_indexes("findings")}
            keys = {fk["name"] for fk in inspect(conn).get_foreign_keys("findings")}
            columns = {c["name"] for c in inspect(conn).get_columns("findings")}
        assert [tuple(str(v) if isinstance(v, dt.date) else v for v in t) for t in tasks] == [
            (7, "450326", "450300", "450000", "township", "2025-03-10", "2025-03-17", "open", 1,
             None),
            (9, "450326", "450300", "450000", "county", "2025-03-10", None, "done", 2, 1),
            (11, "450326", "450300", "450000", "township", "2025-03-10", None, "open", 1,
             None),
        ]  # fmt: skip
        documents = {k: json.loads(v) if isinstance(v, str) else v for k, v in documents.items()}
        assert documents == {
            7: {"deadline": {"value": 5}},
            9: {"outcome": {"outcome": "dismissed"}},
            11: {"deadline": {"value": 3}},
        }
        assert names >= {"ix_findings_prefecture_status_id", "ix_findings_run_id"}
        assert keys >= {"fk_findings_run_id_comparison_runs", "fk_findings_household_id_households"}
        assert "task_level" not in columns and "task" not in columns
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


# -- households --------------------------------------------------------------------------------


def test_create_get_update_and_remove_member(db, registry):
    clerk = user(db, registry)
    with db.sessions() as s:
        rec = create_household(
            s,
            clerk,
            household_doc(
                WUHUA,
                (P1, "张三", "head"),
                (P2, "李四", "spouse"),
                income=[{"kind": "wages", "monthlyAmount": 900, "member": P2}],
            ),
            registry,
        )
    assert rec.version == 1
    assert [m.id_number for m in rec.members] == [P1, P2]
    assert rec.household(registry).head.id_number == P1

    with db.sessions() as s:
        got = get_household(s, clerk, rec.id, registry)
    assert got.document == rec.document
    assert got.created_at.tzinfo is not None

    # Update: rename the spouse, add a child.
    doc = household_doc(
        WUHUA, (P1, "张三", "head"), (P2, "李四四", "spouse"), (P3, "张小", "child")
    )
    with db.sessions() as s:
        upd = update_household(s, clerk, rec.id, doc, registry, expected_version=1)
    assert upd.version == 2
    assert {m.id_number: m.name for m in upd.members} == {P1: "张三", P2: "李四四", P3: "张小"}

    # A stale version is refused and changes nothing.
    with db.sessions() as s, pytest.raises(VersionConflict) as err:
        update_household(
            s, clerk, rec.id, household_doc(WUHUA, (P1, "X", "head")), registry, expected_version=1
        )
    assert err.value.code == "VERSION_CONFLICT"
    with db.sessions() as s:
        assert get_household(s, clerk, rec.id, registry).version == 2

    # Remove a member: inactive, kept as history, gone from the document with their income.
    with db.sessions() as s:
        upd2 = update_household(
            s,
            clerk,
            rec.id,
            {**doc, "income": [{"kind": "wages", "monthlyAmount": 900, "member": P2}]},
            registry,
        )
    with db.sessions() as s:
        after = remove_member(s, clerk, rec.id, P2, registry, expected_version=upd2.version)
    assert after.version == upd2.version + 1
    removed = next(m for m in after.members if m.id_number == P2)
    assert not removed.active and removed.removed_at is not None
    assert [m["idNumber"] for m in after.document["members"]] == [P1, P3]
    assert after.document["income"] == []
    assert active_members(db) == [(rec.id, P1), (rec.id, P3)]

    # The head cannot be removed; an unknown or already removed member is not found.
    with db.sessions() as s, pytest.raises(InvalidInput):
        remove_member(s, clerk, rec.id, P1, registry)
    with db.sessions() as s, pytest.raises(NotFound):
        remove_member(s, clerk, rec.id, P2, registry)
    with db.sessions() as s, pytest.raises(NotFound):
        get_household(s, clerk, 999_999, registry)


def test_update_dropping_a_member_marks_them_removed(db, registry):
    clerk = user(db, registry)
    with db.sessions() as s:
        rec = create_household(
            s, clerk, household_doc(WUHUA, (P1, "张三", "head"), (P2, "李四", "spouse")), registry
        )
    with db.sessions() as s:
        upd = update_household(
            s, clerk, rec.id, household_doc(WUHUA, (P1, "张三", "head")), registry
        )
    assert [(m.id_number, m.active) for m in upd.members] == [(P1, True), (P2, False)]
    # Re-adding them later gives a new active row; the old one stays as history.
    with db.sessions() as s:
        again = update_household(
            s,
            clerk,
            rec.id,
            household_doc(WUHUA, (P1, "张三", "head"), (P2, "李四", "spouse")),
            registry,
        )
    assert sorted((m.id_number, m.active) for m in again.members) == [
        (P1, True),
        (P2, False),
        (P2, True),
    ]


def test_duplicate_person_across_households(db, registry):
    clerk = user(db, registry)
    with db.sessions() as s:
        first = create_household(
            s, clerk, household_doc(WUHUA, (P1, "张三", "head"), (P2, "李四", "spouse")), registry
        )
    with db.sessions() as s, pytest.raises(DuplicatePerson) as err:
        create_household(
            s, clerk, household_doc(WUHUA, (P3, "王五", "head"), (P2, "李四", "spouse")), registry
        )
    assert err.value.code == "DUPLICATE_PERSON"
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("members[1].idNumber", "DUPLICATE_PERSON")
    ]
    assert count(db, HouseholdRow) == 1  # nothing written
    assert active_members(db) == [(first.id, P1), (first.id, P2)]

    # Adding the person to another household by an update is refused the same way.
    with db.sessions() as s:
        other = create_household(s, clerk, household_doc(WUHUA, (P3, "王五", "head")), registry)
    with db.sessions() as s, pytest.raises(DuplicatePerson):
        update_household(
            s,
            clerk,
            other.id,
            household_doc(WUHUA, (P3, "王五", "head"), (P1, "张三", "parent")),
            registry,
        )
    with db.sessions() as s:
        assert get_household(s, clerk, other.id, registry).version == 1

    # Once removed from the first household, the person may join another.
    with db.sessions() as s:
        remove_member(s, clerk, first.id, P2, registry)
    with db.sessions() as s:
        upd = update_household(
            s,
            clerk,
            other.id,
            household_doc(WUHUA, (P3, "王五", "head"), (P2, "李四", "spouse")),
            registry,
        )
    assert upd.version == 2


def test_duplicate_person_is_enforced_by_the_database(db, registry, monkeypatch):
    """Without the up-front check, the partial unique index still refuses, and rolls back all."""
    clerk = user(db, registry)
    with db.sessions() as s:
        create_household(s, clerk, household_doc(WUHUA, (P1, "张三", "head")), registry)
    monkeypatch.setattr(store, "_check_duplicates", lambda *a: None)
    with db.sessions() as s, pytest.raises(DuplicatePerson) as err:
        create_household(
            s, clerk, household_doc(WUHUA, (P2, "李四", "head"), (P1, "张三", "child")), registry
        )
    assert [e.field for e in err.value.errors] == ["members[1].idNumber"]
    assert count(db, HouseholdRow) == 1  # the household row inserted first was rolled back
    assert count(db, MemberRow) == 1


def test_concurrent_creation_of_the_same_person_exactly_one_wins(db, registry, monkeypatch):
    """Two sessions save households with the same person at once: one wins, one gets
    DUPLICATE_PERSON. On PostgreSQL both pass the up-front check before either inserts (a
    barrier), so the unique index decides; SQLite serialises writers (BEGIN IMMEDIATE)."""
    clerk = user(db, registry)
    start = threading.Barrier(2, timeout=30)
    checked = threading.Barrier(2, timeout=30)
    if db.backend == "postgresql":
        original = store._check_duplicates

        def check_then_wait(session, h, household_id):
            original(session, h, household_id)
            checked.wait()

        monkeypatch.setattr(store, "_check_duplicates", check_then_wait)

    results: list[object] = []
    lock = threading.Lock()

    def save(head: str, seq: int) -> None:
        doc = household_doc(WUHUA, (head, "户主", "head"), (P1, "张三", "child"))
        start.wait()
        try:
            with db.sessions() as s:
                r: object = create_household(s, clerk, doc, registry)
        except Exception as exc:  # collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=save, args=(p, i)) for i, p in enumerate((P2, P3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2
    wins = [r for r in results if isinstance(r, store.HouseholdRecord)]
    losses = [r for r in results if isinstance(r, DuplicatePerson)]
    assert len(wins) == 1 and len(losses) == 1, results
    if db.backend == "postgresql":  # the index, not the up-front check, refused the loser
        assert isinstance(losses[0].__cause__, IntegrityError)
    assert count(db, HouseholdRow) == 1
    assert active_members(db) == sorted(
        [(wins[0].id, wins[0].members[0].id_number), (wins[0].id, P1)]
    )


def test_a_household_with_one_bad_member_writes_nothing(db, registry):
    clerk = user(db, registry)
    bad = P2[:-1] + ("0" if P2[-1] != "0" else "1")  # wrong check digit
    with db.sessions() as s, pytest.raises(InvalidHousehold) as err:
        create_household(
            s, clerk, household_doc(WUHUA, (P1, "张三", "head"), (bad, "李四", "spouse")), registry
        )
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("members[1].idNumber", "INVALID_ID_NUMBER")
    ]
    assert count(db, HouseholdRow) == 0
    assert count(db, MemberRow) == 0


def test_list_by_jurisdiction_with_cursor_pagination(db, registry):
    clerk_wuhua = user(db, registry, "village_clerk", WUHUA)
    clerk_panlong = user(db, registry, "village_clerk", PANLONG)
    clerk_nanming = user(db, registry, "village_clerk", NANMING)
    admin = user(db, registry, "province_admin", YUNNAN)
    ids: list[int] = []
    with db.sessions() as s:
        for i in range(5):
            r = create_household(
                s,
                clerk_wuhua,
                household_doc(WUHUA, (id_number(WUHUA, 10 + i), "户主", "head")),
                registry,
            )
            ids.append(r.id)
        r = create_household(
            s,
            clerk_panlong,
            household_doc(PANLONG, (id_number(PANLONG, 1), "户主", "head")),
            registry,
        )
        panlong_id = r.id
        create_household(
            s,
            clerk_nanming,
            household_doc(NANMING, (id_number(NANMING, 1), "户主", "head")),
            registry,
        )

    seen: list[int] = []
    after = None
    pages = 0
    with db.sessions() as s:
        while True:
            page = list_households(s, admin, KUNMING, registry, first=2, after=after)
            seen += [h.id for h in page.items]
            pages += 1
            if not page.has_next_page:
                break
            after = page.end_cursor
    assert seen == [*ids, panlong_id]  # the county and its sibling under the prefecture, in order
    assert pages == 3
    with db.sessions() as s:
        assert [h.id for h in list_households(s, admin, YUNNAN, registry, first=100).items] == seen
        only = list_households(s, clerk_wuhua, WUHUA, registry, first=10)
        assert [h.id for h in only.items] == ids and not only.has_next_page
        empty = list_households(s, admin, "532300", registry)
        assert empty.items == () and empty.end_cursor is None and not empty.has_next_page
        with pytest.raises(InvalidInput):
            list_households(s, admin, KUNMING, registry, after="not-a-cursor")
        with pytest.raises(InvalidInput):
            list_households(s, admin, KUNMING, registry, first=0)


def test_decisions_are_stored_with_household_program_date_and_user(db, registry):
    clerk = user(db, registry)
    with db.sessions() as s:
        h = create_household(s, clerk, household_doc(WUHUA, (P1, "张三", "head")), registry)
    decision = {"eligible": True, "monthlyAmount": 123.5, "reasons": ["低于标准"]}
    with db.sessions() as s:
        d = record_decision(s, clerk, h.id, "dibao", dt.date(2024, 6, 1), decision, registry)
    assert (d.household_id, d.program, d.as_of, d.user) == (
        h.id,
        "dibao",
        dt.date(2024, 6, 1),
        clerk.name,
    )
    assert d.created_at.tzinfo is not None
    with db.sessions() as s:
        record_decision(s, clerk, h.id, "tekun", dt.date(2024, 6, 2), {"eligible": False}, registry)
    with db.sessions() as s:
        got = list_decisions(s, clerk, h.id, registry)
        assert [x.program for x in got] == ["tekun", "dibao"]
        assert got[1].document == decision
        assert [x.program for x in list_decisions(s, clerk, h.id, registry, program="dibao")] == [
            "dibao"
        ]
    with db.sessions() as s, pytest.raises(NotFound):
        record_decision(s, clerk, 424242, "dibao", dt.date(2024, 6, 1), decision, registry)
    assert count(db, DecisionRow) == 2


def test_sqlite_engine_has_foreign_keys_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'x' / 'y.sqlite3'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
    assert Path(tmp_path / "x").is_dir()


def test_the_spot_check_migration_counts_the_decisions_already_made(db_url):
    """Migration 0008 starts each county's and month's running count from the cases already
    decided, so the minimum (不低于30%) holds for the month the upgrade falls in: a dibao
    confirmed by a township in the month of its decision, a tekun file in the month of its first
    review, with the selection recorded; a county's confirmation and a case without a
    spot-check drawn are not counted."""
    import json

    from sqlalchemy import text

    upgrade(db_url, "0007")
    engine = make_engine(db_url)
    now = "2024-06-01 00:00:00"
    township = {"level": "township"}
    cases = [
        ("dibao", WUHUA, {"decision": {**township, "on": "2024-03-04"},
                          "spotCheck": {"selected": True, "ratio": "0.3"}}),
        ("dibao", WUHUA, {"decision": {**township, "on": "2024-03-20"},
                          "spotCheck": {"selected": False, "ratio": "0.3"}}),
        ("dibao", WUHUA, {"decision": {**township, "on": "2024-04-01"},
                          "spotCheck": {"selected": False, "ratio": "0.3"}}),
        ("dibao", PANLONG, {"decision": {"level": "county", "on": "2024-03-04"},
                            "spotCheck": {"selected": True, "ratio": "0.3"}}),
        ("dibao", PANLONG, {"decision": {**township, "on": "2024-03-04"}}),
        ("tekun", WUHUA, {"firstReview": {"on": "2024-03-11"},
                          "spotCheck": {"selected": True, "ratio": "0.3"}}),
    ]  # fmt: skip
    try:
        with engine.begin() as conn:
            _, hid = _clerk_and_household(conn, now)
            for program, county, data in cases:
                conn.execute(
                    text(
                        "INSERT INTO cases (household_id, program, county, prefecture, province, "
                        "state, version, data, created_at, updated_at) VALUES (:h, :p, :c, "
                        "'530100', '530000', 'active', 1, :d, :t, :t)"
                    ),
                    {"h": hid, "p": program, "c": county, "d": json.dumps(data), "t": now},
                )
        upgrade(engine, "0008")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pool, county, month, decisions, selected, ratio "
                    "FROM spot_check_tallies ORDER BY pool, county, month"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("dibao_township_confirmation", WUHUA, "2024-03", 2, 1, "0.3"),
        ("dibao_township_confirmation", WUHUA, "2024-04", 1, 0, "0.3"),
        ("tekun_file", WUHUA, "2024-03", 1, 1, "0.3"),
    ]
