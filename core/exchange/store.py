"""Department data, comparisons (比对), findings (疑点) and their tasks, in the database.

- **Batches**: a department's file of one data kind, validated row by row (nothing is imported
  while one row is wrong); its records are written as a Parquet file in the data directory
  (``exchange/``, sorted by ID number, readable by the owner only) and its provenance —
  department, batch date, file hash, who imported it, when — as a ``department_batches`` row.
  The same file (hash) of the same kind at the same jurisdiction is refused the second time.
- **Who**: county approvers and province administrators import and compare; township officers
  and above (and auditors) read, within their jurisdiction; every read of records (a batch, a
  finding list) is logged in ``data_access_log``.
- **Comparison**: the people in payment and on the low-income register at a jurisdiction
  (:func:`recipients_table`) are matched with the batches that concern it on the bulk engine
  (:mod:`core.exchange.matching`, DuckDB by default); the run, its new findings, their tasks
  and the register's monitoring flags are written in ONE transaction; a finding already raised
  (same key, any earlier batch or run, open or closed) is counted as known, never raised again.
- **Tasks**: due a number of working days after the run (:func:`core.exchange.rules.
  task_deadline`), assigned to the level that verifies; closed by a case step (taken through the
  cases store with all its checks), a register change, or a dismissal with reasons.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import json.encoder as json_encoder
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.access.roles import Action, Forbidden, User, authorize, require
from core.bulk.engines import BulkEngine, open_engine
from core.calendars.workdays import WorkCalendar
from core.errors import DoudiError, InvalidInput
from core.exchange import rules as fr
from core.exchange.engines import BatchFile, compare
from core.exchange.kinds import DEPARTMENTS, Catalog
from core.exchange.matching import OUTPUT_COLUMNS, rules_of
from core.exchange.records import headers, normalise
from core.lowincome import model as li
from core.lowincome.store import exit_in, flag_in, reassess_in, tag_in
from core.policy.jurisdictions import JurisdictionRegistry, Level
from core.policy.resolution import PolicySource
from core.registers.files import InvalidFile, read_sheet
from core.registers.store import log_access
from core.storage.engine import read_unit, reading, write_unit
from core.storage.scope import within, within_by_county
from core.storage.tables import (
    CaseRow,
    ComparisonRunRow,
    DepartmentBatchRow,
    FindingRow,
    HouseholdRow,
    LowIncomePersonRow,
    MemberRow,
    utcnow,
)
from core.validation import check_text

STORAGE_DIR = "exchange"
IN_PAYMENT = ("active", "phasing_out")


class NotFound(DoudiError):
    code = "NOT_FOUND"


class AlreadyImported(DoudiError):
    code = "ALREADY_IMPORTED"


class TaskClosed(DoudiError):
    code = "TASK_CLOSED"


class VersionConflict(DoudiError):
    code = "VERSION_CONFLICT"


# -- batches -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchRecord:
    id: int
    kind: str
    department: str
    jurisdiction: str
    batch_date: dt.date
    file_name: str
    file_hash: str
    records: int
    user_id: int
    at: dt.datetime
    storage: str


@dataclass(frozen=True, slots=True)
class BatchReport:
    committed: bool
    kind: str
    department: str
    jurisdiction: str
    batch_date: dt.date
    file_name: str
    file_hash: str
    records: int
    notes: tuple[str, ...]
    batch: BatchRecord | None = None


def batch_record(row: DepartmentBatchRow) -> BatchRecord:
    return BatchRecord(
        row.id,
        row.kind,
        row.department,
        row.jurisdiction,
        row.batch_date,
        row.file_name,
        row.file_hash,
        row.records,
        row.user_id,
        row.at,
        row.storage,
    )


def _place(registry: JurisdictionRegistry, code: str) -> dict[str, str | None]:
    j = registry.get(code)
    if j.level is Level.NATIONAL:
        return {"county": None, "prefecture": None, "province": None}
    chain = {x.level: x.code for x in registry.chain(j.code)}
    return {
        "county": chain.get(Level.COUNTY),
        "prefecture": chain.get(Level.PREFECTURE),
        "province": chain.get(Level.PROVINCE),
    }


def import_batch(
    session: Session,
    user: User | None,
    catalog: Catalog,
    registry: JurisdictionRegistry,
    data_dir: Path,
    *,
    kind: str,
    department: str,
    jurisdiction: str,
    batch_date: dt.date,
    file_name: str,
    content: bytes,
    today: dt.date,
    commit: bool = False,
    encoding: str | None = None,
) -> BatchReport:
    """Validate (and with ``commit`` store) a department batch."""
    user = authorize(user, Action.IMPORT_DEPARTMENT_DATA, jurisdiction, registry)
    spec = catalog.get(kind)
    dept = catalog.department(spec, department)
    if batch_date > today:
        raise InvalidInput(f"batch date {batch_date.isoformat()} is in the future")
    code = registry.get(jurisdiction).code
    known, required = headers(spec)
    sheet = read_sheet(file_name, content, known=known, required=required, encoding=encoding)
    table, problems = normalise(sheet, spec, today)
    if problems:
        raise InvalidFile(file_name, problems)
    notes = [*sheet.notes]
    if sheet.ignored_columns:
        notes.append("columns not read: " + ", ".join(sheet.ignored_columns))
    report = BatchReport(
        False,
        spec.id,
        dept,
        code,
        batch_date,
        file_name,
        sheet.file_hash,
        table.num_rows,
        tuple(notes),
    )
    with reading(session):
        existing = session.scalar(
            select(DepartmentBatchRow.id).where(
                DepartmentBatchRow.kind == spec.id,
                DepartmentBatchRow.jurisdiction == code,
                DepartmentBatchRow.file_hash == sheet.file_hash,
            )
        )
    if existing is not None:
        raise AlreadyImported(f"{file_name}: this file was imported already (batch {existing})")
    if not commit:
        return report
    folder = data_dir / STORAGE_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    relative = f"{STORAGE_DIR}/{spec.id}-{code}-{sheet.file_hash[:24]}.parquet"
    target = data_dir / relative
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=100_000)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        with write_unit(session):
            row = DepartmentBatchRow(
                kind=spec.id,
                department=dept,
                jurisdiction=code,
                batch_date=batch_date,
                file_name=file_name[:255],
                file_hash=sheet.file_hash,
                records=table.num_rows,
                storage=relative,
                user_id=user.id,
                at=utcnow(),
                document={"encoding": sheet.encoding, "format": sheet.format, "notes": notes},
                **_place(registry, code),
            )
            session.add(row)
            session.flush()
            batch = batch_record(row)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if target.exists() and not _referenced(session, relative):
            target.unlink(missing_ok=True)
        raise
    return BatchReport(
        True,
        spec.id,
        dept,
        code,
        batch_date,
        file_name,
        sheet.file_hash,
        table.num_rows,
        tuple(notes),
        batch,
    )


def _referenced(session: Session, relative: str) -> bool:
    try:
        with reading(session):
            return (
                session.scalar(
                    select(DepartmentBatchRow.id).where(DepartmentBatchRow.storage == relative)
                )
                is not None
            )
    except Exception:  # the database is gone: keep the file rather than lose data
        return True


def batches_concerning(registry: JurisdictionRegistry, jurisdiction: str) -> Any:  # a SQL condition
    """Batches that concern ``jurisdiction``: at it or under it, or at one of its ancestors."""
    j = registry.get(jurisdiction)
    ancestors = [x.code for x in registry.chain(j.code)]
    return within(DepartmentBatchRow, j.code, registry) | DepartmentBatchRow.jurisdiction.in_(
        ancestors
    )


def list_batches(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    jurisdiction: str,
    *,
    kind: str | None = None,
) -> list[BatchRecord]:
    authorize(user, Action.READ_DEPARTMENT_DATA, jurisdiction, registry)
    q = select(DepartmentBatchRow).where(batches_concerning(registry, jurisdiction))
    if kind:
        q = q.where(DepartmentBatchRow.kind == kind)
    with reading(session):
        return [batch_record(r) for r in session.scalars(q.order_by(DepartmentBatchRow.id))]


def current_batches(batches: Sequence[BatchRecord], catalog: Catalog) -> list[BatchRecord]:
    """Every batch of an "events" kind; of a "state" kind only the newest batch (date, then id)
    of each department at each jurisdiction."""
    newest: dict[tuple[str, str, str], BatchRecord] = {}
    out = []
    for b in batches:
        spec = catalog.kinds.get(b.kind)
        if spec is None:
            continue
        if spec.mode == "events":
            out.append(b)
            continue
        k = (b.kind, b.department, b.jurisdiction)
        if k not in newest or (b.batch_date, b.id) > (newest[k].batch_date, newest[k].id):
            newest[k] = b
    return sorted([*out, *newest.values()], key=lambda b: b.id)


def read_batch(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    data_dir: Path,
    batch_id: int,
    *,
    id_number: str | None = None,
    limit: int = 100,
) -> tuple[BatchRecord, list[dict[str, Any]]]:
    """A batch's records (of one person, or the first ``limit``); the read is logged."""
    require(user, Action.READ_DEPARTMENT_DATA)
    with reading(session):
        row = session.get(DepartmentBatchRow, batch_id)
        if row is None:
            raise NotFound(f"no batch {batch_id}")
        batch = batch_record(row)
    user = authorize(user, Action.READ_DEPARTMENT_DATA, batch.jurisdiction, registry)
    table = pq.read_table(data_dir / batch.storage)
    if id_number is not None:
        import pyarrow.compute as pc

        table = table.filter(pc.equal(table["id_number"], id_number))
    rows = [
        {
            "idNumber": r["id_number"],
            "name": r["name"],
            "key": r["key"],
            "record": json.loads(r["record"]),
        }
        for r in table.slice(0, limit).to_pylist()
    ]
    log_access(
        session,
        user,
        "read_batch",
        batch.jurisdiction,
        len(rows),
        {"batch": batch.id, "kind": batch.kind, "onePerson": id_number is not None},
    )
    return batch, rows


# -- recipients --------------------------------------------------------------------------------

RECIPIENT_ARROW = pa.schema(
    [
        ("subject", pa.string()),
        ("subject_id", pa.int64()),
        ("case_id", pa.int64()),
        ("person_id", pa.int64()),
        ("household_id", pa.int64()),
        ("county", pa.string()),
        ("prefecture", pa.string()),
        ("province", pa.string()),
        ("program", pa.string()),
        ("id_number", pa.string()),
        ("name", pa.string()),
        ("dead_on", pa.date32()),
        ("disability_grade", pa.int64()),
        ("in_school", pa.bool_()),
        ("tags", pa.string()),
    ]
)


def recipients_table(
    session: Session, registry: JurisdictionRegistry, jurisdiction: str
) -> pa.Table:
    """Every active member of the households with a dibao or tekun case in payment at
    ``jurisdiction`` (and under it), and every person on the low-income register there, with
    what their household already records."""
    cols: dict[str, list[Any]] = {n: [] for n in RECIPIENT_ARROW.names}

    def add(**values: Any) -> None:
        for n in RECIPIENT_ARROW.names:
            cols[n].append(values.get(n))

    with reading(session):
        cases = session.execute(
            select(CaseRow.id, CaseRow.household_id, CaseRow.program, CaseRow.county,
                   CaseRow.prefecture, CaseRow.province, HouseholdRow.document)
            .join(HouseholdRow, HouseholdRow.id == CaseRow.household_id)
            .where(
                within(CaseRow, jurisdiction, registry),
                CaseRow.state.in_(IN_PAYMENT),
                CaseRow.program.in_(("dibao", "tekun")),
            )
        ).all()  # fmt: skip
        active: dict[int, set[str]] = {}
        ids = sorted({c.household_id for c in cases})
        for i in range(0, len(ids), 500):
            for hid, number in session.execute(
                select(MemberRow.household_id, MemberRow.id_number).where(
                    MemberRow.household_id.in_(ids[i : i + 500]), MemberRow.active
                )
            ):
                active.setdefault(hid, set()).add(number)
        people = (
            session.execute(
                select(LowIncomePersonRow).where(
                    within(LowIncomePersonRow, jurisdiction, registry),
                    LowIncomePersonRow.status == "active",
                )
            )
            .scalars()
            .all()
        )
    for c in cases:
        for m in c.document["members"]:
            if m["idNumber"] not in active.get(c.household_id, ()):
                continue
            dis = m.get("disability") or {}
            add(
                subject="case",
                subject_id=c.id,
                case_id=c.id,
                household_id=c.household_id,
                county=c.county,
                prefecture=c.prefecture,
                province=c.province,
                program=c.program,
                id_number=m["idNumber"],
                name=m["name"],
                dead_on=dt.date.fromisoformat(m["dateOfDeath"]) if m.get("dateOfDeath") else None,
                disability_grade=dis.get("grade"),
                in_school=bool(m.get("inSchool")),
            )
    for p in people:
        add(
            subject="person",
            subject_id=p.id,
            person_id=p.id,
            household_id=p.household_id,
            county=p.county,
            prefecture=p.prefecture,
            province=p.province,
            program="low_income",
            id_number=p.id_number,
            name=p.name,
            tags="|" + "|".join(p.document.get("tags", {})) + "|",
        )
    return pa.table(cols, schema=RECIPIENT_ARROW)


# -- comparison runs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: int
    jurisdiction: str
    as_of: dt.date
    batches: tuple[int, ...]
    recipients: int
    matches: int
    raised: int
    known: int
    by_rule: Mapping[str, int]
    seconds: Mapping[str, float]


def run_comparison(
    session: Session,
    user: User | None,
    policies: PolicySource,
    calendar: WorkCalendar,
    catalog: Catalog,
    data_dir: Path,
    jurisdiction: str,
    as_of: dt.date,
    *,
    batch_ids: Sequence[int] | None = None,
    recipients: pa.Table | Path | None = None,
    engine: BulkEngine | None = None,
    known_categories: Mapping[str, li.Category] | None = None,
) -> RunReport:
    """Compare the current batches (or ``batch_ids``) concerning ``jurisdiction`` with its
    people on ``as_of``; write the run, the new findings and their tasks at once."""
    registry = policies.registry
    user = authorize(user, Action.RUN_COMPARISONS, jurisdiction, registry)
    code = registry.get(jurisdiction).code
    clock: dict[str, float] = {}
    t0 = time.perf_counter()
    with read_unit(session):
        rows = session.scalars(
            select(DepartmentBatchRow).where(batches_concerning(registry, code))
        ).all()
        batches = [batch_record(r) for r in rows]
    if batch_ids is not None:
        wanted = set(batch_ids)
        chosen = [b for b in batches if b.id in wanted]
        missing = wanted - {b.id for b in chosen}
        if missing:
            raise NotFound(f"no batch {', '.join(map(str, sorted(missing)))} concerning {code}")
    else:
        chosen = current_batches(batches, catalog)
    # ``recipients``: given as a snapshot (a Parquet file, as the bulk engine's snapshots are),
    # or read from the database now.
    people = recipients if recipients is not None else recipients_table(session, registry, code)
    count = pq.read_metadata(people).num_rows if isinstance(people, Path) else people.num_rows
    clock["recipients"] = time.perf_counter() - t0
    # The rules of the kinds compared only: a smaller expression, and the recipients' columns
    # only those rules test are read (:func:`core.exchange.matching.matches`).
    compared = {b.kind for b in chosen}
    rules = rules_of(k for k in catalog.kinds.values() if k.id in compared)
    t1 = time.perf_counter()
    own_engine = engine is None
    bulk = engine or open_engine("duckdb")
    try:
        found = compare(
            bulk,
            people,
            [BatchFile(b.id, data_dir / b.storage) for b in chosen],
            rules,
            as_of,
        )
    finally:
        if own_engine:
            bulk.close()
    clock["match"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    report = _write_run(
        session,
        user,
        policies,
        calendar,
        catalog,
        code,
        as_of,
        chosen,
        count,
        found,
        known_categories or li.categories(),
    )
    clock["write"] = time.perf_counter() - t2
    return RunReport(**{**report, "seconds": clock})


_FINDING_COLUMNS = (
    "key", "run_id", "batch_id", "kind", "rule", "severity", "county", "prefecture", "province",
    "case_id", "person_id", "household_id", "id_number", "name", "status", "created_at",
    "document", "task_level", "opened_on", "due_date", "task_version", "task",
)  # fmt: skip


def _bound(column: Any, dialect: Any, value: Any) -> Any:
    """``value`` as the database receives it for ``column``: SQLAlchemy's processing, then on
    SQLite the driver's own adapter (a date or time becomes the ISO text the driver would write).
    A run's rows share a few such values (the run's time, the day it opened, a county's due
    date): adapted once here instead of by the driver for every row (60,000 calls for 20,000
    findings and their tasks)."""
    if value is None:
        return None
    process = column.type.bind_processor(dialect)
    value = process(value) if process else value
    adapt = getattr(dialect.dbapi, "adapt", None) if dialect.name == "sqlite" else None
    return adapt(value, dialect.dbapi.PrepareProtocol, value) if adapt else value


# A comparison's write transaction touches more pages than SQLite's default page cache holds
# (2 MiB): 20,000 findings, their tasks, the index pages they go into and the cases and
# households their foreign keys read. Each page that no longer fits is read from the file again
# (80,000 reads instead of 27,000 for 20,000 findings).
_BULK_CACHE_KIB = 64 * 1024


@contextmanager
def _page_cache_for_bulk(session: Session) -> Iterator[None]:
    """On SQLite, a page cache of :data:`_BULK_CACHE_KIB` on the session's connection while a
    run is written (unless it has a larger one), and its own size again before the commit: a
    pooled connection does not keep 64 MiB of pages for the requests it serves next."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    page = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    kib = -before if before < 0 else before * page // 1024
    if kib >= _BULK_CACHE_KIB:
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a run's rows are built and written. They are tuples
    of strings and numbers (no cycles), but every 700 of them start a collection, and now and
    then one of the whole heap (0.1-0.2 s at 20,000 findings). Reference counting still frees
    them; collection resumes after (a pause that another thread began is left to it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _insert_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_key: bool = False,
) -> int:
    """Many rows in the session's transaction without per-row SQLAlchemy processing (the values
    are given as the driver takes them; ``document`` as JSON text); how many were inserted. A
    comparison writes tens of thousands of rows at once.

    PostgreSQL: ``COPY`` (into a temporary table first where a conflicting key must be skipped:
    ``INSERT … SELECT … ON CONFLICT (key) DO NOTHING``); SQLite: the driver's executemany."""
    if not rows:
        return 0
    conn = session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            target = table
            if ignore_key:
                target = f"doudi_copy_{table}"
                # Only the columns given, no defaults: the id comes from the real table's
                # sequence once, on the INSERT below.
                cur.execute(
                    f"CREATE TEMP TABLE {target} ON COMMIT DROP AS "
                    f"SELECT {names} FROM {table} WITH NO DATA"
                )
            with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if not ignore_key:
                return len(rows)
            cur.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} "
                "ON CONFLICT (key) DO NOTHING"
            )
            inserted = cur.rowcount
            cur.execute(f"DROP TABLE {target}")
            return int(inserted)
    places = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({places})"
    if ignore_key:
        sql += " ON CONFLICT (key) DO NOTHING"
    inserted = 0
    for i in range(0, len(rows), 10_000):
        # The driver's rowcount of an executemany: the rows changed, a skipped conflict none.
        inserted += conn.exec_driver_sql(sql, list(rows[i : i + 10_000])).rowcount
    return inserted


def _write_run(
    session: Session,
    user: User,
    policies: PolicySource,
    calendar: WorkCalendar,
    catalog: Catalog,
    code: str,
    as_of: dt.date,
    chosen: Sequence[BatchRecord],
    recipients: int,
    found: pa.Table | None,
    known_categories: Mapping[str, li.Category],
) -> dict[str, Any]:
    """The run and its new findings, each with its task, in one transaction.

    Written in bulk: the findings with INSERT … ON CONFLICT (key) DO NOTHING (a finding raised
    before, by any run, stays as it is). When every one was new and none is about a register
    entry, nothing is read back; otherwise the new ones are (this run's rows above the highest
    id before it: a range of the primary key). What a rule means and each task's due date are
    worked out once per rule and per county, and the meanings are stored once on the run (a
    finding names its rule)."""
    meanings = {(k.id, m.program): (k, m) for k in catalog.kinds.values() for m in k.meanings}
    columns = {} if found is None else found.to_pydict()
    n = found.num_rows if found is not None else 0
    now = utcnow()
    by_rule: dict[str, int] = {}
    deadlines: dict[tuple[str, str, str], fr.Deadline] = {}
    used: dict[str, dict[str, Any]] = {}

    def deadline(kind: str, program: str, county: str) -> fr.Deadline:
        k = (kind, program, county)
        if k not in deadlines:
            meaning = meanings[(kind, program)][1]
            policy = policies.resolve(county, as_of) if meaning.deadline_path else None
            deadlines[k] = fr.task_deadline(meaning, policy, calendar, as_of)
        return deadlines[k]

    with _gc_paused(), write_unit(session), _page_cache_for_bulk(session):
        run = ComparisonRunRow(
            jurisdiction=code,
            as_of=as_of,
            user_id=user.id,
            at=now,
            recipients=recipients,
            matches=n,
            raised=0,
            known=0,
            document={"batches": [b.id for b in chosen]},
        )
        session.add(run)
        session.flush()
        run_id = run.id
        # This run's findings get ids above it (SQLite: the write lock is held; PostgreSQL:
        # the sequence only grows, and a concurrent run's rows have another run_id).
        before = session.scalar(select(func.max(FindingRow.id))) or 0
        dialect = session.get_bind().dialect
        table = FindingRow.__table__.c
        created = _bound(table.created_at, dialect, now)
        opened = _bound(table.opened_on, dialect, as_of)
        values: list[tuple[Any, ...]] = []
        about: dict[str, tuple[str, int | None]] = {}  # key → rule, register entry
        # JSON strings by the encoder's own function (what json.dumps calls for a str, without
        # building an encoder per call: 80,000 calls for 20,000 findings); what many rows share
        # (a subject's and a program's JSON, a meaning's severity) once each.
        dump = json.dumps
        text_json = json_encoder.encode_basestring
        as_of_text = dump(as_of.isoformat())
        known_json: dict[str, str] = {}
        severity: dict[tuple[str, str], str] = {}
        # A task's level and due date once per (kind, program, county); its deadline (how the
        # due date was found, with the parameter and its source) stored once per run, not on
        # each finding's row: the same few hundred characters for every finding of a county
        # and rule (on PostgreSQL, parsing them as JSONB was half the server's work of a COPY).
        tasks: dict[tuple[str, str, str], tuple[str, Any]] = {}
        deadline_list: list[dict[str, Any]] = []
        deadline_at: dict[str, int] = {}  # the deadline's index by its JSON text
        deadline_of: dict[str, int] = {}  # "kind|program|county" → the deadline's index
        finding_key = fr.finding_key
        rows = zip(*(columns[c] for c in OUTPUT_COLUMNS), strict=True) if n else iter(())
        for (subject, subject_id, case_id, person_id, household_id, county, pref, prov,
             program, id_number, name, record_name, batch_id, kind, record_key, rule,
             record) in rows:  # fmt: skip
            key = finding_key(rule, subject, subject_id, id_number, record_key)
            if key in about:
                continue  # the same record from another batch: the first one stands
            about[key] = (rule, person_id)
            sev = severity.get((kind, program))
            if sev is None:
                sev = severity[(kind, program)] = meanings[(kind, program)][1].severity
                if rule not in used:
                    used[rule] = fr.meaning_json(*meanings[(kind, program)])
            task = tasks.get((kind, program, county))
            if task is None:
                d = deadline(kind, program, county)
                text_ = json.dumps(d.to_json(), ensure_ascii=False, sort_keys=True)
                if text_ not in deadline_at:
                    deadline_at[text_] = len(deadline_list)
                    deadline_list.append(d.to_json())
                deadline_of[f"{kind}|{program}|{county}"] = deadline_at[text_]
                task = tasks[(kind, program, county)] = (
                    meanings[(kind, program)][1].level,
                    _bound(table.due_date, dialect, d.due),
                )
            subject_json = known_json.get(subject) or known_json.setdefault(subject, dump(subject))
            program_json = known_json.get(program) or known_json.setdefault(program, dump(program))
            # The record is JSON text already (as the batch stored it): written as it is.
            document = (
                f'{{"subject": {subject_json}, "program": {program_json}, '
                f'"recordName": {"null" if record_name is None else text_json(record_name)}, '
                f'"recordKey": {text_json(record_key)}, '
                f'"record": {record}, "asOf": {as_of_text}}}'
            )
            values.append(
                (key, run_id, batch_id, kind, rule, sev, county, pref, prov, case_id, person_id,
                 household_id, id_number, name, "open", created, document, task[0], opened,
                 task[1], 1, None)
            )  # fmt: skip
        inserted = _insert_rows(session, "findings", _FINDING_COLUMNS, values, ignore_key=True)
        del values
        flagged: dict[int, list[tuple[int, str]]] = {}
        register = any(person_id is not None for _rule, person_id in about.values())
        if inserted == len(about) and not register:
            for rule, _person in about.values():
                by_rule[rule] = by_rule.get(rule, 0) + 1
        else:
            new = session.execute(
                select(FindingRow.id, FindingRow.key)
                .where(FindingRow.id > before, FindingRow.run_id == run_id)
                .order_by(FindingRow.id)
            ).all()
            for fid, key in new:
                rule, person_id = about[key]
                by_rule[rule] = by_rule.get(rule, 0) + 1
                if person_id is not None:
                    flagged.setdefault(person_id, []).append((fid, rule))
        for person_id, items in flagged.items():
            row = session.get(
                LowIncomePersonRow, person_id, populate_existing=True, with_for_update=True
            )
            if row is None:
                continue
            for fid, rule in items:
                flag_in(session, row, as_of, f"finding {fid}: {rule}", known_categories,
                        finding_id=fid)  # fmt: skip
        raised = inserted
        run.raised, run.known = raised, n - raised
        run.document = {
            **run.document,
            "byRule": by_rule,
            "meanings": used,
            "deadlines": deadline_list,
            "deadlineOf": deadline_of,
        }
        session.flush()
    return {
        "run_id": run_id,
        "jurisdiction": code,
        "as_of": as_of,
        "batches": tuple(b.id for b in chosen),
        "recipients": recipients,
        "matches": n,
        "raised": raised,
        "known": n - raised,
        "by_rule": by_rule,
    }


# -- findings and tasks ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingRecord:
    id: int
    run_id: int
    batch_id: int
    kind: str
    rule: str
    severity: str
    county: str
    case_id: int | None
    person_id: int | None
    household_id: int | None
    id_number: str
    name: str
    status: str
    created_at: dt.datetime
    document: Mapping[str, Any]
    task_id: int
    task_status: str
    task_level: str
    task_version: int
    opened_on: dt.date
    due_date: dt.date | None
    task_document: Mapping[str, Any]

    def overdue(self, as_of: dt.date) -> bool:
        return fr.is_overdue(self.task_status, self.due_date, as_of)


def _finding(f: FindingRow, run: Mapping[str, Any] | None = None) -> FindingRecord:
    """The record of a finding and its task; its rule's meaning and its task's deadline come
    from the run that raised it (stored once per run: what the rule meant then, even if the
    catalog changed since; how the due date was found). The task is on the finding's row: its
    id is the finding's, open while the finding is; its ``task`` document holds the outcome
    (and the deadline, for tasks written before migration 0013)."""
    r = run or {}
    document = dict(f.document)
    if "meaning" not in document:
        document["meaning"] = (r.get("meanings") or {}).get(f.rule)
    task = dict(f.task or {})
    if "deadline" not in task:
        at = (r.get("deadlineOf") or {}).get(f"{f.kind}|{document.get('program')}|{f.county}")
        task = {"deadline": None if at is None else r["deadlines"][at], **task}
    return FindingRecord(
        f.id,
        f.run_id,
        f.batch_id,
        f.kind,
        f.rule,
        f.severity,
        f.county,
        f.case_id,
        f.person_id,
        f.household_id,
        f.id_number,
        f.name,
        f.status,
        f.created_at,
        document,
        f.id,
        "open" if f.status == "open" else "done",
        f.task_level,
        f.task_version,
        f.opened_on,
        f.due_date,
        task,
    )


def _records(session: Session, rows: Sequence[FindingRow]) -> list[FindingRecord]:
    """The records of ``rows``, with the document of each run they come from read once."""
    ids = sorted({f.run_id for f in rows})
    runs: dict[int, Mapping[str, Any]] = {}
    for i in range(0, len(ids), 500):
        q = select(ComparisonRunRow.id, ComparisonRunRow.document).where(
            ComparisonRunRow.id.in_(ids[i : i + 500])
        )
        runs.update((rid, doc) for rid, doc in session.execute(q))
    return [_finding(f, runs.get(f.run_id)) for f in rows]


def list_findings(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    jurisdiction: str,
    *,
    status: str | None = None,
    overdue_on: dt.date | None = None,
    case_id: int | None = None,
    kind: str | None = None,
    limit: int = 200,
    after: int | None = None,
) -> list[FindingRecord]:
    """Findings at ``jurisdiction`` and under it (newest first); the read is logged."""
    user = authorize(user, Action.READ_DEPARTMENT_DATA, jurisdiction, registry)
    q = (
        select(FindingRow)
        .where(within_by_county(FindingRow, jurisdiction, registry))
        .order_by(FindingRow.id.desc())
        .limit(limit)
    )
    if status:
        q = q.where(FindingRow.status == status)
    if overdue_on is not None:
        q = q.where(
            FindingRow.status == "open",
            FindingRow.due_date.is_not(None),
            FindingRow.due_date < overdue_on,
        )
    if case_id is not None:
        q = q.where(FindingRow.case_id == case_id)
    if kind:
        q = q.where(FindingRow.kind == kind)
    if after is not None:
        q = q.where(FindingRow.id < after)
    with reading(session):
        out = _records(session, session.scalars(q).all())
    log_access(
        session,
        user,
        "read_findings",
        registry.get(jurisdiction).code,
        len(out),
        {"status": status, "caseId": case_id, "kind": kind},
    )
    return out


def _read_finding(session: Session, finding_id: int) -> FindingRecord:
    """A finding with its task and its run's document, or NOT_FOUND."""
    with reading(session):
        found = session.execute(
            select(FindingRow).where(FindingRow.id == finding_id)
        ).scalar_one_or_none()
        if found is None:
            raise NotFound(f"no finding {finding_id}")
        return _records(session, [found])[0]


def get_finding(
    session: Session, user: User | None, registry: JurisdictionRegistry, finding_id: int
) -> FindingRecord:
    require(user, Action.READ_DEPARTMENT_DATA)
    record = _read_finding(session, finding_id)
    user = authorize(user, Action.READ_DEPARTMENT_DATA, record.county, registry)
    log_access(session, user, "read_finding", record.county, 1, {"finding": finding_id})
    return record


def resolve_finding(
    session: Session,
    user: User | None,
    policies: PolicySource,
    finding_id: int,
    outcome: str,
    on: dt.date,
    *,
    reasons: str = "",
    action: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    case_version: int | None = None,
    expected_version: int | None = None,
    tag: str | None = None,
    not_after: dt.date | None = None,
) -> FindingRecord:
    """Close a finding's task with ``outcome`` (:data:`core.exchange.rules.OUTCOMES`).

    ``case_step``: the case step ``action`` is taken on the finding's case through the cases
    store (its own checks: roles, state, version ``case_version``, the eligibility engine);
    a death takes the finding's person and the record's date of death unless ``inputs`` say
    otherwise. ``household_updated``: the household must now record what the department's record
    says. ``tag`` / ``exit_register`` / ``reassessed``: the register entry changes in the same
    transaction. ``dismissed``: with the reasons found on verification.
    """
    registry = policies.registry
    user = require(user, Action.RESOLVE_FINDINGS)
    if not_after is not None and on > not_after:
        raise InvalidInput(f"on: {on.isoformat()} is in the future")
    record = _read_finding(session, finding_id)
    authorize(user, Action.RESOLVE_FINDINGS, record.county, registry)
    if record.task_level == "county" and user.role.value != "county_approver":
        raise Forbidden("this finding is verified by the county")
    if record.task_status != "open":
        raise TaskClosed(f"the task of finding {finding_id} is closed already")
    if expected_version is not None and expected_version != record.task_version:
        raise VersionConflict(
            f"the task of finding {finding_id} has changed (version {expected_version}, now "
            f"{record.task_version})"
        )
    check_text(reasons, "reasons")
    meaning = record.document["meaning"]
    fr.check_outcome(meaning, outcome, reasons=reasons, action=action)
    detail: dict[str, Any] = {"outcome": outcome, "on": on.isoformat(), "reasons": reasons}
    written: list[FindingRecord] = []

    def close(session: Session) -> None:
        written.append(_close_task(session, user, record, outcome, on, detail, reasons, tag))

    # One transaction: the case step (with its audit event) and the task's closing stand or
    # fall together; a task changed meanwhile (VERSION_CONFLICT) leaves the case as it was.
    if outcome == "case_step":
        _take_case_step(session, user, policies, record, action or "", on, inputs or {},
                        case_version, not_after, detail, close)  # fmt: skip
    else:
        if outcome == "household_updated":
            _check_household_records(session, record)
        with write_unit(session):
            close(session)
    return written[0]


def _close_task(
    session: Session,
    user: User,
    record: FindingRecord,
    outcome: str,
    on: dt.date,
    detail: dict[str, Any],
    reasons: str,
    tag: str | None,
) -> FindingRecord:
    """The task done and the finding resolved or dismissed, and the register entry changed for
    ``tag`` / ``exit_register`` / ``reassessed``, in the caller's write transaction."""
    meaning = record.document["meaning"]
    # Locked (PostgreSQL): of two officials closing one task, the second waits, then finds the
    # version moved.
    # populate_existing: the session kept the rows it read before the step (expire_on_commit is
    # off); what counts is the row as it is now.
    finding = session.scalars(
        select(FindingRow)
        .where(FindingRow.id == record.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if finding.task_version != record.task_version or finding.status != "open":
        raise VersionConflict(f"the task of finding {record.id} changed meanwhile")
    if outcome in ("tag", "exit_register", "reassessed"):
        person = session.get(
            LowIncomePersonRow, record.person_id or 0, populate_existing=True, with_for_update=True
        )
        if person is None:
            raise InvalidInput("this finding has no register entry")
        if outcome == "tag":
            wanted = tag or meaning.get("tag")
            if not wanted:
                raise InvalidInput("tag: which tag")
            tag_in(session, person, user, wanted, on, {"finding": record.id})
            detail["tag"] = wanted
        elif outcome == "exit_register":
            exit_in(session, person, user, on, reasons or meaning["summary"])
        else:
            reassess_in(session, person, user, on, finding_id=record.id, note=reasons)
    finding.status = "dismissed" if outcome == "dismissed" else "resolved"
    finding.task_version += 1
    finding.resolved_by = user.id
    finding.resolved_at = utcnow()
    finding.task = {**(finding.task or {}), "outcome": detail}
    session.flush()
    closed = _finding(finding, {"meanings": {record.rule: meaning}})
    deadline = record.task_document.get("deadline")
    return replace(closed, task_document={**closed.task_document, "deadline": deadline})


def _take_case_step(
    session: Session,
    user: User,
    policies: PolicySource,
    record: FindingRecord,
    action: str,
    on: dt.date,
    inputs: Mapping[str, Any],
    case_version: int | None,
    not_after: dt.date | None,
    detail: dict[str, Any],
    close: Callable[[Session], None],
) -> None:
    """The case step, with the task closed (``close``) in the step's write transaction; what
    the step wrote goes into ``detail`` before."""
    from core.cases import Case
    from core.cases.actions import SPECS, snake
    from core.cases.store import EventRecord, apply_transition, get_case

    if record.case_id is None:
        raise InvalidInput("this finding has no case")
    spec = SPECS.get(action)
    if spec is None or spec.opens:
        raise InvalidInput(f"action: not a step on a case: {action!r}")
    # The inputs come as JSON or command-line text: typed by the step's spec, as the case
    # mutations and `doudi cases` type them (a date of death written "2024-05-01" is a date).
    given = {snake(k): v for k, v in inputs.items()}
    if action == "record_death":
        given.setdefault("id_number", record.id_number)
        died = record.document["record"].get("死亡日期")
        if died and given.get("date_of_death") is None:
            given["date_of_death"] = dt.date.fromisoformat(died)
    step_inputs = spec.prepare_loose(given)
    case = get_case(session, record.case_id)

    def then(session: Session, new_case: Case, event: EventRecord) -> None:
        detail.update(
            {
                "action": action,
                "caseId": new_case.id,
                "event": {"seq": event.seq, "hash": event.hash},
                "caseState": new_case.state.value,
            }
        )
        close(session)

    apply_transition(
        session,
        policies,
        record.case_id,
        case_version if case_version is not None else case.version,
        action,
        user,
        on,
        not_after=not_after,
        then=then,
        **step_inputs,
    )


def _check_household_records(session: Session, record: FindingRecord) -> None:
    with reading(session):
        doc = session.scalar(
            select(HouseholdRow.document).where(HouseholdRow.id == record.household_id)
        )
    member = next(
        (m for m in (doc or {}).get("members", ()) if m["idNumber"] == record.id_number), None
    )
    if member is None:
        raise InvalidInput("the person is no longer a member of the household")
    rec = record.document["record"]
    if record.kind == "disability":
        grade = int(rec.get("残疾等级") or 0)
        if (member.get("disability") or {}).get("grade") != grade:
            raise InvalidInput(
                f"the household still does not record the disability (grade {grade}): update "
                "the household first (doudi households ...), then close the finding"
            )
    if record.kind == "students" and not member.get("inSchool"):
        raise InvalidInput(
            "the household still does not record the person in school: update it first"
        )


# -- supervision -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supervision:
    jurisdiction: str
    as_of: dt.date
    open: int
    overdue: int
    no_due_date: int
    by_kind: Mapping[str, Mapping[str, int]]  # kind → {open, overdue}
    overdue_tasks: tuple[FindingRecord, ...]


def supervision(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    jurisdiction: str,
    as_of: dt.date,
    *,
    limit: int = 100,
) -> Supervision:
    """Open and overdue findings at ``jurisdiction`` and under it (数字监督)."""
    user = authorize(user, Action.READ_DEPARTMENT_DATA, jurisdiction, registry)
    inside = within_by_county(FindingRow, jurisdiction, registry)
    overdue_cond = FindingRow.due_date.is_not(None) & (FindingRow.due_date < as_of)
    with reading(session):
        counts = session.execute(
            select(
                FindingRow.kind,
                func.count(),
                func.sum(case((overdue_cond, 1), else_=0)),
                func.sum(case((FindingRow.due_date.is_(None), 1), else_=0)),
            )
            .where(inside, FindingRow.status == "open")
            .group_by(FindingRow.kind)
        ).all()
        late = _records(
            session,
            session.scalars(
                select(FindingRow)
                .where(inside, FindingRow.status == "open", overdue_cond)
                .order_by(FindingRow.due_date, FindingRow.id)
                .limit(limit)
            ).all(),
        )
    by_kind = {k: {"open": int(n), "overdue": int(o or 0)} for k, n, o, _nd in counts}
    report = Supervision(
        registry.get(jurisdiction).code,
        as_of,
        sum(v["open"] for v in by_kind.values()),
        sum(v["overdue"] for v in by_kind.values()),
        sum(int(nd or 0) for *_r, nd in counts),
        by_kind,
        tuple(late),
    )
    log_access(
        session, user, "supervise_findings", report.jurisdiction, len(report.overdue_tasks), {}
    )
    return report


__all__ = [
    "DEPARTMENTS",
    "AlreadyImported",
    "BatchRecord",
    "BatchReport",
    "FindingRecord",
    "NotFound",
    "RunReport",
    "Supervision",
    "TaskClosed",
    "batch_record",
    "batches_concerning",
    "current_batches",
    "get_finding",
    "import_batch",
    "list_batches",
    "list_findings",
    "read_batch",
    "recipients_table",
    "resolve_finding",
    "run_comparison",
    "supervision",
]
