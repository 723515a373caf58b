"""Holiday tables in the database (core.calendars.holidays_store), on SQLite and PostgreSQL:
validation of a
notice's table (every problem with file and JSON path), import and replacement with an audit,
who may import, atomicity, concurrent imports, and the calendar following the stored tables.

The 2027 table is a TEST FIXTURE (tests/test_workdays.py), not the real notice.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.access.roles import Forbidden, Role, Unauthenticated, User
from core.access.tokens import create_user
from core.calendars.holidays_store import (
    CalendarProvider,
    HolidayImportNeedsConfirmation,
    HolidayTableInvalid,
    build_calendar,
    day_kind,
    holiday_audit,
    holidays_revision,
    import_holiday_table,
    parse_holiday_table,
    read_holiday_file,
    stored_tables,
    year_view,
)
from core.calendars.workdays import DueDate, WorkCalendar
from core.runtime import open_runtime
from core.settings import Settings
from core.storage.tables import HolidayTableAuditRow, HolidayTableRow
from tests.support.holidays import NUMBER_2027, TABLE_2027, TITLE_2027, table_2027

D = dt.date


def table(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(TABLE_2027)
    data.update(changes)
    return data


def issues_of(data: Any, file: str = "2027.yaml") -> list[tuple[str, str]]:
    with pytest.raises(HolidayTableInvalid) as info:
        parse_holiday_table(data, file)
    assert all(i.file == file for i in info.value.issues)
    assert str(info.value).startswith(f"{len(info.value.issues)} problem")
    return [(i.json_path, i.message) for i in info.value.issues]


def paths_of(data: Any) -> list[str]:
    return [p for p, _ in issues_of(data)]


# -- validation --------------------------------------------------------------------------------


def test_the_fixture_table_is_valid_without_warnings() -> None:
    t = parse_holiday_table(TABLE_2027, "2027.yaml")
    assert t.year == 2027 and t.warnings == ()
    assert t.source.title == TITLE_2027 and t.source.number == NUMBER_2027
    assert t.source.date == D(2026, 11, 20)
    assert len(t.days_off()) == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert t.holiday_table().holidays == table_2027().holidays
    assert t.holiday_table().workdays == table_2027().workdays
    assert t.names()[D(2027, 2, 8)] == "春节" and D(2027, 9, 15) not in t.names()
    # The stored form parses back to the same table.
    assert parse_holiday_table(t.to_json(), "again").holiday_table() == t.holiday_table()


def test_every_problem_is_reported_with_its_json_path() -> None:
    bad = table(
        holidays=[
            {"from": "2027-01-01", "to": "2027-01-03"},
            {"from": "2027-02-13", "to": "2027-02-05"},  # reversed
            "2028-01-01",  # another year
            {"from": "2027-03-06", "to": "2027-03-07"},  # Sat+Sun only
            "2027-13-01",  # no such month
            {"from": "2027-07-01", "to": "2027-07-31"},  # 31 days
            {"date": "2027-05-01", "to": "2027-05-02"},  # date and to
            "2027-01-02",  # listed twice
            {"from": "2027-10-01", "to": "2027-10-07", "nmae": "国庆"},  # typo
        ],
        workdays=["2027-02-08", "2027-10-02", "2027-09-26", "2027-09-26"],
    )
    bad["source"] = {"number": 7, "url": "gov.cn"}
    bad["note"] = "x"
    found = issues_of(bad)
    paths = [p for p, _ in found]
    assert paths == [
        "$.note",
        "$.source.title",
        "$.source.number",
        "$.source.url",
        "$.holidays[1].to",
        "$.holidays[2]",
        "$.holidays[4]",
        "$.holidays[5]",
        "$.holidays[6]",
        "$.holidays[8].nmae",
        "$.workdays[0]",
    ], found
    messages = dict(found)
    assert "before 2027-02-13" in messages["$.holidays[1].to"]
    assert "2028-01-01 is not in 2027" in messages["$.holidays[2]"]
    assert "'2027-13-01' is not a valid date" in messages["$.holidays[4]"]
    assert "31 days" in messages["$.holidays[5]"]
    assert "2027-02-08 is a Monday" in messages["$.workdays[0]"]
    assert "unknown key 'nmae'" in messages["$.holidays[8].nmae"]

    # Checks across items, once every item is well-formed.
    across = table(
        holidays=[
            {"from": "2027-01-01", "to": "2027-01-03"},
            {"from": "2027-03-06", "to": "2027-03-07"},
            "2027-01-02",
            {"from": "2027-10-01", "to": "2027-10-07"},
        ],
        workdays=["2027-10-02", "2027-09-26", "2027-09-26"],
    )
    found = issues_of(across)
    assert [p for p, _ in found] == [
        "$.holidays[2]",
        "$.workdays[0]",
        "$.workdays[2]",
        "$.holidays[1]",
    ], found
    assert "already listed at $.holidays[0]" in found[0][1]
    assert "both a day off" in found[1][1]
    assert "already listed at $.workdays[1]" in found[2][1]
    assert "all weekend days" in found[3][1] and "2027-03-06 (Saturday)" in found[3][1]


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([1, 2], "$", "is a mapping"),
        (table(year="2027"), "$.year", "whole number"),
        (table(year=True), "$.year", "whole number"),
        (table(year=1900), "$.year", "between"),
        ({k: v for k, v in TABLE_2027.items() if k != "source"}, "$.source", "is required"),
        (table(source={"title": " "}), "$.source.title", "must not be empty"),
        (table(source={"title": "t", "date": "2028-01-02"}), "$.source.date", "after 2027"),
        (table(holidays=[]), "$.holidays", "non-empty list"),
        (table(holidays=["2027-10-01"]), "$.holidays", "2027-01-01 (元旦) is not a day off"),
        (table(workdays="2027-02-20"), "$.workdays", "must be a list"),
        (table(workdays=[{"name": "春节"}]), "$.workdays[0]", "needs date"),
        (table(holidays=[{"name": "元旦"}]), "$.holidays[0]", "needs date"),
        (table(holidays=["2026-12-20", "2027-01-01"]), "$.holidays[0]", "last 7 days"),
    ],
)
def test_single_problems(data: Any, path: str, words: str) -> None:
    found = issues_of(data)
    assert found[0][0] == path and words in found[0][1], found


def test_the_new_year_holiday_may_begin_in_december() -> None:
    # Shaped like the 2019 notice: 2018-12-29 (Sat) worked, 2018-12-30 .. 2019-01-01 off.
    data = {
        "year": 2019,
        "source": {
            "title": "国务院办公厅关于2019年部分节假日安排的通知",
            "number": "国办发明电〔2018〕15号",
        },
        "holidays": [{"from": "2018-12-30", "to": "2019-01-01", "name": "元旦"}],
        "workdays": [{"date": "2018-12-29", "name": "元旦"}],
    }
    t = parse_holiday_table(data, "2019.yaml")
    assert t.holiday_table().holidays == frozenset({D(2019, 1, 1)})
    assert t.holiday_table().workdays == frozenset()
    assert [(c.day, c.working) for c in t.changes()] == [
        (D(2018, 12, 29), True),
        (D(2018, 12, 30), False),
        (D(2018, 12, 31), False),
    ]
    # Far from a real year: it is only one day, so the net-count warning does not apply (<2025),
    # and the table is accepted.
    assert t.warnings == ()


def test_warnings_and_what_needs_confirming() -> None:
    t = parse_holiday_table(table(workdays=["2027-08-21"]), "2027.yaml")
    assert any(
        "$.workdays[0]: 2027-08-21 is" in w and "days from the nearest" in w for w in t.warnings
    )
    assert any("18 weekday days off minus 1 make-up days is 17" in w for w in t.warnings)
    # The unusual count must be confirmed at import; a distant make-up day is only a warning.
    [unusual] = t.confirm
    assert (unusual.file, unusual.json_path) == ("2027.yaml", "$")
    assert "is 17; since 2025 there are 13" in unusual.message
    assert parse_holiday_table(TABLE_2027, "2027.yaml").confirm == ()


def test_files_yaml_json_and_broken(tmp_path: Path) -> None:
    y = tmp_path / "2027.yaml"
    y.write_text(yaml.safe_dump(TABLE_2027, allow_unicode=True), encoding="utf-8")
    j = tmp_path / "2027.json"
    j.write_text(json.dumps(TABLE_2027, ensure_ascii=False), encoding="utf-8")
    assert read_holiday_file(y) == read_holiday_file(j)
    # YAML dates unquoted stay dates as written (not timestamps) and parse the same.
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text(
        "year: 2027\nsource: {title: t}\n"
        "holidays: [2027-01-01, {from: 2027-10-01, to: 2027-10-07}]\n",
        encoding="utf-8",
    )
    assert len(read_holiday_file(unquoted).days_off()) == 8
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: 2027\nyear: 2028\n", encoding="utf-8")
    with pytest.raises(HolidayTableInvalid) as info:
        read_holiday_file(broken)
    assert str(info.value.issues[0]).startswith("broken.yaml: $: invalid YAML")
    assert "duplicate key" in str(info.value)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"year": 2027,}', encoding="utf-8")
    with pytest.raises(HolidayTableInvalid, match=r"bad.json: \$: invalid JSON at line 1"):
        read_holiday_file(bad_json)
    txt = tmp_path / "2027.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(HolidayTableInvalid, match=r"use a \.yaml, \.yml or \.json file"):
        read_holiday_file(txt)


# -- the database ------------------------------------------------------------------------------


def user(db: Any, registry: Any, role: str, name: str, code: str = "000000") -> User:
    with db.sessions() as s:
        u, _ = create_user(s, name, role, code, registry)
    return u


def counts(db: Any) -> tuple[int, int]:
    with db.sessions() as s:
        return (
            int(s.scalar(select(func.count()).select_from(HolidayTableRow)) or 0),
            int(s.scalar(select(func.count()).select_from(HolidayTableAuditRow)) or 0),
        )


def test_import_replace_and_audit(db: Any, registry: Any) -> None:
    admin = user(db, registry, "province_admin", "admin")
    national = user(db, registry, "province_admin", "national", "000000")
    first = parse_holiday_table(TABLE_2027, "2027.yaml")
    with db.sessions() as s:
        assert holidays_revision(s) == 0
        result = import_holiday_table(
            s, admin, first, file_name="2027.yaml", calendar=WorkCalendar()
        )
    assert result.replaced is None and result.warnings == ()
    assert result.stored.imported_by == "admin" and result.stored.imports == 1
    with db.sessions() as s:
        stored = stored_tables(s)
        rev1 = holidays_revision(s)
    assert [t.year for t in stored] == [2027] and rev1 > 0
    assert stored[0].table == first and stored[0].file_name == "2027.yaml"
    cal = build_calendar((), stored)
    assert cal.add_working_days(D(2026, 12, 20), 10) == DueDate(D(2027, 1, 4), False, ())

    # The notice is corrected: 2027-01-04 is added to New Year (a second import replaces).
    fixed = copy.deepcopy(TABLE_2027)
    fixed["holidays"][0] = {"from": "2027-01-01", "to": "2027-01-04", "name": "元旦"}
    fixed["workdays"].append({"date": "2027-01-09", "name": "元旦"})
    second = parse_holiday_table(fixed, "2027-fixed.json")
    with db.sessions() as s:
        result = import_holiday_table(
            s, national, second, file_name="2027-fixed.json", calendar=cal
        )
    assert result.replaced is not None and result.replaced.imported_by == "admin"
    assert result.replaced.table == first
    assert result.stored.imports == 2
    with db.sessions() as s:
        stored = stored_tables(s)
        audit = holiday_audit(s)
        assert holidays_revision(s) > rev1
    assert counts(db) == (1, 2)
    assert stored[0].imported_by == "national" and stored[0].imports == 2
    assert [(e.action, e.user, e.role, e.file_name) for e in audit] == [
        ("replaced", "national", "province_admin", "2027-fixed.json"),
        ("imported", "admin", "province_admin", "2027.yaml"),
    ]
    previous = audit[0].previous
    assert previous is not None and previous["imported_by"] == "admin"
    assert previous["file_name"] == "2027.yaml" and previous["document"] == first.to_json()
    assert dt.datetime.fromisoformat(previous["imported_at"]) == audit[1].at
    assert audit[0].document == second.to_json()
    cal = build_calendar((), stored)
    assert cal.add_working_days(D(2026, 12, 20), 10).date == D(2027, 1, 5)
    assert cal.is_working_day(D(2027, 1, 9))  # the new make-up Saturday

    view = year_view(cal, 2027, stored)
    assert view.origin == "imported" and view.stored is not None
    assert view.periods[0].name == "元旦" and view.periods[0].last == D(2027, 1, 4)
    assert day_kind(cal, D(2027, 1, 9)) == "make_up_workday"
    assert day_kind(cal, D(2027, 1, 4)) == "holiday"
    assert day_kind(cal, D(2028, 1, 1)) == "weekend"


def test_dangerous_imports_need_confirming(db: Any, registry: Any) -> None:
    admin = user(db, registry, "province_admin", "admin")
    # Like the Guangxi incident: a 2026 table that would replace chinese-calendar's data, with 8
    # weekday days off instead of 13.
    data = table(
        year=2026,
        holidays=[
            {"from": "2026-01-01", "to": "2026-01-03"},
            {"from": "2026-10-01", "to": "2026-10-08"},
        ],
        workdays=[],
    )
    t = parse_holiday_table(data, "2026.yaml")
    for calendar in (WorkCalendar(), None):  # without a calendar: chinese-calendar's years
        with db.sessions() as s, pytest.raises(HolidayImportNeedsConfirmation) as info:
            import_holiday_table(s, admin, t, file_name="2026.yaml", calendar=calendar)
        exc = info.value
        assert exc.code == "CONFIRMATION_REQUIRED" and exc.year == 2026
        assert [(r.json_path, r.message[:40]) for r in exc.reasons] == [
            ("$.year", "this table replaces chinese-calendar's d"),
            ("$", "8 weekday days off minus 0 make-up days "),
        ]
        assert "\n" not in exc.message
        assert exc.message.startswith("2026.yaml: the 2026 holiday table needs confirming")
        assert "replaces chinese-calendar's data for 2026" in exc.message
        assert "is 8; since 2025 there are 13" in exc.message and "--force" in exc.message
    assert counts(db) == (0, 0)
    # Only the count is unusual (a 2027 table one day short): refused too.
    short = copy.deepcopy(TABLE_2027)
    short["holidays"][-1] = {"from": "2027-10-01", "to": "2027-10-06"}
    with db.sessions() as s, pytest.raises(HolidayImportNeedsConfirmation) as info:
        import_holiday_table(s, admin, parse_holiday_table(short, "s.yaml"), file_name="s.yaml")
    assert [r.json_path for r in info.value.reasons] == ["$"]
    assert counts(db) == (0, 0)

    # Confirmed: imported, and both reasons stay as warnings.
    with db.sessions() as s:
        result = import_holiday_table(
            s, admin, t, file_name="2026.yaml", calendar=WorkCalendar(), force=True
        )
    assert "$.year: this table replaces chinese-calendar's data for 2026" in result.warnings
    assert any("is 8; since 2025" in w for w in result.warnings)
    assert counts(db) == (1, 1)
    # Replacing an imported year needs no confirmation.
    with db.sessions() as s:
        cal = build_calendar((), stored_tables(s))
    fixed = copy.deepcopy(data)
    fixed["holidays"][1]["to"] = "2026-10-07"
    with db.sessions() as s, pytest.raises(HolidayImportNeedsConfirmation) as info:
        import_holiday_table(s, admin, parse_holiday_table(fixed, "f"), file_name="f", calendar=cal)
    assert [r.json_path for r in info.value.reasons] == ["$"]  # only the count (7)

    plugin_cal = WorkCalendar([("holidays_2027", table_2027())])
    with (
        db.sessions() as s,
        pytest.raises(
            HolidayImportNeedsConfirmation, match="replaces plugin 'holidays_2027''s data for 2027"
        ),
    ):
        import_holiday_table(
            s, admin, parse_holiday_table(TABLE_2027, "x"), file_name="x", calendar=plugin_cal
        )
    with db.sessions() as s:
        result = import_holiday_table(
            s,
            admin,
            parse_holiday_table(TABLE_2027, "x"),
            file_name="x",
            calendar=plugin_cal,
            force=True,
        )
    assert result.warnings == (
        "$.year: this table replaces plugin 'holidays_2027''s data for 2027",
    )


def test_a_distant_make_up_day_is_only_a_warning(db: Any, registry: Any) -> None:
    admin = user(db, registry, "province_admin", "admin")
    data = table(workdays=[*TABLE_2027["workdays"][:3], "2027-08-21", TABLE_2027["workdays"][4]])
    t = parse_holiday_table(data, "2027.yaml")
    assert t.confirm == () and len(t.warnings) == 1
    with db.sessions() as s:
        result = import_holiday_table(s, admin, t, file_name="2027.yaml", calendar=WorkCalendar())
    assert result.warnings == t.warnings and "days from the nearest" in result.warnings[0]
    assert counts(db) == (1, 1)


def test_only_the_national_admin_imports_and_refusals_write_nothing(db: Any, registry: Any) -> None:
    t = parse_holiday_table(TABLE_2027, "2027.yaml")
    for role in ("village_clerk", "township_officer", "county_approver", "auditor"):
        u = user(db, registry, role, role, "530102")
        with db.sessions() as s, pytest.raises(Forbidden, match=f"a {role} may not import"):
            import_holiday_table(s, u, t, file_name="2027.yaml")
    # A province's administrator may not change the national calendar (even when confirming).
    for code in ("450000", "530000"):
        u = user(db, registry, "province_admin", f"admin-{code}", code)
        with db.sessions() as s, pytest.raises(Forbidden) as info:
            import_holiday_table(s, u, t, file_name="2027.yaml", force=True)
        assert info.value.code == "FORBIDDEN"
        assert f"a province_admin of {code} may not import holiday tables" in info.value.message
        assert "applies to the whole country" in info.value.message
        assert "only a national administrator (a province_admin of 000000)" in info.value.message
    with db.sessions() as s, pytest.raises(Unauthenticated):
        import_holiday_table(s, None, t, file_name="2027.yaml")
    assert counts(db) == (0, 0)


def test_a_failed_import_leaves_the_database_as_it_was(db: Any, registry: Any) -> None:
    admin = user(db, registry, "province_admin", "admin")
    t = parse_holiday_table(TABLE_2027, "2027.yaml")
    with db.sessions() as s:
        import_holiday_table(s, admin, t, file_name="2027.yaml")
        before = stored_tables(s), holiday_audit(s)
    # An official whose account is gone by the time the import is written: the table row is
    # updated first, then the foreign key of the audit row fails — all of it is rolled back.
    ghost = User(10_000, "ghost", Role.PROVINCE_ADMIN, "000000")
    fixed = copy.deepcopy(TABLE_2027)
    fixed["holidays"][0]["to"] = "2027-01-04"
    with db.sessions() as s, pytest.raises(IntegrityError):
        import_holiday_table(s, ghost, parse_holiday_table(fixed, "f"), file_name="f", force=True)
    with db.sessions() as s:
        assert (stored_tables(s), holiday_audit(s)) == before
    assert counts(db) == (1, 1)


def test_concurrent_imports_of_a_year_queue_and_are_all_audited(db: Any, registry: Any) -> None:
    admins = [user(db, registry, "province_admin", f"admin{i}") for i in range(4)]
    t = parse_holiday_table(TABLE_2027, "2027.yaml")
    barrier = threading.Barrier(len(admins))
    errors: list[BaseException] = []

    def run(u: User) -> None:
        try:
            barrier.wait()
            with db.sessions() as s:
                import_holiday_table(s, u, t, file_name=f"{u.name}.yaml")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(u,)) for u in admins]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert counts(db) == (1, 4)
    with db.sessions() as s:
        audit = holiday_audit(s)
        stored = stored_tables(s)
    assert sorted(e.action for e in audit) == ["imported", "replaced", "replaced", "replaced"]
    assert audit[-1].action == "imported"
    # Each replacement names the import just before it, and the newest is the one in force.
    for newer, older in itertools.pairwise(audit):
        assert newer.previous is not None and newer.previous["file_name"] == older.file_name
    assert stored[0].file_name == audit[0].file_name and stored[0].imports == 4


def test_the_provider_follows_the_database(db: Any, registry: Any) -> None:
    admin = user(db, registry, "province_admin", "admin")
    now = [0.0]
    provider = CalendarProvider(db.sessions, ttl=1.0, clock=lambda: now[0])
    cal = provider.current()
    assert not cal.covers(2027) and provider.rebuilds == 1
    assert provider.current() is cal and provider.rebuilds == 1  # nothing changed

    # Another process imports (written here with plain SQL: no in-process signal).
    doc = parse_holiday_table(TABLE_2027, "2027.yaml").to_json()
    with db.sessions() as s, s.begin():
        s.execute(
            insert(HolidayTableRow).values(
                year=2027,
                title=TITLE_2027,
                number=NUMBER_2027,
                url="",
                document=doc,
                file_name="other.yaml",
                imported_by=admin.id,
                imported_at=dt.datetime.now(dt.UTC),
            )
        )
        s.execute(
            insert(HolidayTableAuditRow).values(
                at=dt.datetime.now(dt.UTC),
                year=2027,
                action="imported",
                user_id=admin.id,
                user_name="admin",
                user_role="province_admin",
                file_name="other.yaml",
                document=doc,
                previous=None,
            )
        )
    assert provider.current() is cal  # within the ttl: not asked yet
    now[0] = 1.5
    cal2 = provider.current()
    assert cal2.covers(2027) and provider.rebuilds == 2
    assert cal2.add_working_days(D(2026, 12, 20), 10) == DueDate(D(2027, 1, 4), False, ())

    # An import by this process shows at once, whatever the clock.
    fixed = copy.deepcopy(TABLE_2027)
    fixed["holidays"][0]["to"] = "2027-01-04"
    with db.sessions() as s:
        import_holiday_table(s, admin, parse_holiday_table(fixed, "f"), file_name="f", force=True)
    cal3 = provider.current()
    assert cal3 is not cal2 and cal3.add_working_days(D(2026, 12, 20), 10).date == D(2027, 1, 5)
    # Plugin tables given to current() count too (imported ones win for the same year).
    plugin = (("p", table_2027()),)
    assert provider.current(plugin).schedule(2027).origin == "imported"  # type: ignore[union-attr]


def test_runtime_work_calendar(
    migrated_db_url: str, tmp_path: Path, base: Any, registry: Any
) -> None:
    rt = open_runtime(Settings(data_dir=tmp_path, database_url=migrated_db_url), plugin_base=base)
    try:
        cal = rt.work_calendar()
        assert rt.work_calendar() is cal  # cheap: the same object while nothing changes
        assert cal.add_working_days(D(2026, 12, 20), 10).provisional
        with rt.sessions() as s:
            admin, _ = create_user(s, "admin", "province_admin", "000000", registry)
            import_holiday_table(
                s, admin, parse_holiday_table(TABLE_2027, "2027.yaml"), file_name="2027.yaml"
            )
        after = rt.work_calendar()
        assert after is not cal
        assert after.add_working_days(D(2026, 12, 20), 10) == DueDate(D(2027, 1, 4), False, ())
        assert [t.year for t in rt.calendars.stored()] == [2027]
    finally:
        rt.close()
