"""Payments in the database: monthly runs, results, reads, alerts and the bank's batch.

Every function is one unit of work with its own transaction (pass a session that is not in a
transaction); the rules are those of :mod:`core.payments.rules`. What storage adds:

- **Idempotent runs**: ``payments`` has a unique constraint on (case, month) and a run reads
  only cases without a payment of the month: running a month again, or the province after one
  of its counties, creates nothing new, and the report says how many were created and how many
  were already there. Two runs of the same month at once cannot double-pay: on PostgreSQL a run
  first takes a transaction-scoped advisory lock of its month and province, so the second waits
  for the first to commit, then reads its payments and skips them; SQLite serialises write
  units (and inserts with ``ON CONFLICT DO NOTHING`` besides). The unique constraint stays the
  last word: a violation rolls the run back.
- **Atomic runs**: the whole run is one transaction, written in bulk (PostgreSQL: one ``COPY``
  into ``payments`` for the run; SQLite: multi-row ``INSERT`` batches); if the database refuses
  anything half way everything is rolled back (``RUN_FAILED``) and nothing is written, not even
  the run.
- **Results keep history**: each result is a new ``payment_results`` row (never updated); the
  payment row carries the current status and attempt, changed under optimistic concurrency
  (``version``), and the row is locked while a result is recorded.
- **Audited** (:mod:`core.audit`): a run appends one entry per county to its ``payments:``
  chain with the number and aggregate digest of the payments it created there (and one listing
  the held payments it released); a result appends one entry with the payment's digest before
  and after and the result row's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    Text,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.audit import chain as ch
from core.audit.store import (
    Record,
    append_entry,
    payment_result_row_digest,
    payment_row_digest,
)
from core.cases.machine import first_of_next_month
from core.eligibility import trace_entry
from core.eligibility.json import trace_to_json
from core.errors import InvalidInput
from core.payments import rules as pay
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import PolicySource
from core.policy.service import today
from core.storage.engine import reading, write_unit
from core.storage.scope import within
from core.storage.tables import (
    CaseRow,
    HouseholdRow,
    PaymentResultRow,
    PaymentRow,
    PaymentRunRow,
    UserRow,
    utcnow,
)
from core.validation import check_date

log = logging.getLogger(__name__)

BATCH = 1000  # rows per INSERT or COPY statement
ALERT_LOOKBACK_MONTHS = 24  # alerts read this many months back (and every failed or held one)

_payments: Table = PaymentRow.__table__  # type: ignore[assignment]
_runs: Table = PaymentRunRow.__table__  # type: ignore[assignment]
_results: Table = PaymentResultRow.__table__  # type: ignore[assignment]
_cases: Table = CaseRow.__table__  # type: ignore[assignment]
_households: Table = HouseholdRow.__table__  # type: ignore[assignment]


# -- records -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultRecord:
    seq: int
    attempt: int
    status: str
    on: dt.date
    note: str | None
    repay_by: dt.date | None
    user_id: int
    user_name: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: int
    run_id: int
    case_id: int
    household_id: int
    program: str
    county: str
    month: str
    amount_fen: int
    due_date: dt.date | None
    status: str
    attempt: int
    repay_by: dt.date | None
    hold_reason: str | None
    payee: pay.Payee
    document: Mapping[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    results: tuple[ResultRecord, ...] = ()

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_fen) / 100

    @property
    def not_set(self) -> tuple[str, ...]:
        return tuple(self.document.get("notSet") or ())


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one run did."""

    run_id: int | None  # None when it created nothing (no run row is kept)
    jurisdiction: str
    month: str
    on: dt.date
    created: int
    already_there: int
    held: int
    created_fen: int
    released: int  # held payments of the month now paid to a living account holder
    skipped: Mapping[str, int]
    not_set: tuple[tuple[str, str], ...]  # (county, path) not set: payments without a due date
    policy: Mapping[str, Sequence[dict[str, Any]]]  # county → traces used (JSON)


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    jurisdiction: str
    month: str
    at: dt.datetime
    user_name: str
    created: int
    existing: int


@dataclass(frozen=True, slots=True)
class StatusTotal:
    status: str
    count: int
    total_fen: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    jurisdiction: str
    month: str
    count: int
    total_fen: int
    by_status: tuple[StatusTotal, ...]
    runs: tuple[RunInfo, ...]


# -- helpers -------------------------------------------------------------------------------------


def _scope(table: Table, code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    return within(table.c, code, registry)


def check_day(on: dt.date, what: str = "on") -> dt.date:
    check_date(on, what)
    if on > today():
        raise InvalidInput(f"{what}: {on.isoformat()} is in the future")
    return on


# The columns that differ from one payment of a run to the next (the rest are the run's).
_VARYING = (
    ("case_id", "integer"),
    ("household_id", "integer"),
    ("program", "text"),
    ("county", "text"),
    ("prefecture", "text"),
    ("province", "text"),
    ("amount_fen", "bigint"),
    ("due_date", "date"),
    ("status", "text"),
    ("hold_reason", "text"),
    ("payee_name", "text"),
    ("payee_id_number", "text"),
    ("bank", "text"),
    ("account_number", "text"),
    ("document", "text"),
)
# PostgreSQL: each batch is COPYed straight into ``payments`` (formatted by the driver's C
# code). That needs no ON CONFLICT: a run takes a lock of its month and province first
# (:data:`_PG_RUN_LOCK`), then reads only cases without a payment of the month, so no other run
# can insert one of its rows meanwhile (a unique violation would still roll the run back).
_PG_FIXED = ("run_id", "month", "attempt", "version", "created_at", "updated_at")
_PG_COPY = "COPY payments (" + ", ".join([*_PG_FIXED, *(c for c, _ in _VARYING)]) + ") FROM STDIN"
_PG_RUN_LOCK = "SELECT pg_advisory_xact_lock(%(key)s)"
# The audit's aggregate of a run's payments per county, as core.audit.chain.aggregate over
# core.audit.chain.payment_digest computes it: json_build_array's text is json.dumps' default
# form (", " between items, the same escapes), so PostgreSQL computes what Python verifies.
_PG_RUN_DIGESTS = text(
    "SELECT county, count(*), encode(sha256(convert_to(string_agg(case_id::text || ' ' || "
    "encode(sha256(convert_to(json_build_array("
    + ", ".join(ch.PAYMENT_FIELDS)
    + ")::text, 'UTF8')), 'hex') || E'\\n', '' ORDER BY case_id), 'UTF8')), 'hex') "
    "FROM payments WHERE run_id = :run_id GROUP BY county ORDER BY county"
)


def _run_lock_key(month: str, code: str) -> int:
    """The advisory lock of a month's runs in a province (a signed 64-bit integer)."""
    digest = hashlib.sha256(f"doudi-payment-run:{month}:{code[:2]}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Refused(Exception):
    """The database refused a statement of the run (raised by the driver itself)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _PgStream:
    """One COPY into ``payments`` for the whole run, rows written as they are planned (the
    driver sends them as its buffer fills): one statement instead of one per batch."""

    def __init__(self, raw: Any, run_id: int, month: str, now: dt.datetime) -> None:
        self.raw = raw
        # the columns every row shares, formatted once (a datetime is the costliest to format)
        stamp = now.isoformat()
        self.fixed = [str(run_id), month, "1", "1", stamp, stamp]
        self.names = [c for c, _ in _VARYING]
        self.texts: dict[int, str] = {}
        self.kept: list[Any] = []  # keeps the documents alive, so that their id() stays theirs
        self.cursor: Any = None
        self.copy: Any = None
        self.stack = ExitStack()

    def __call__(self, batch: list[dict[str, Any]]) -> list[int]:
        import psycopg

        try:
            if self.copy is None:
                self.cursor = self.stack.enter_context(self.raw.cursor())
                self.copy = self.stack.enter_context(self.cursor.copy(_PG_COPY))
            for row in batch:
                values = [row[c] for c in self.names]
                doc = values[-1]
                text = self.texts.get(id(doc))
                if text is None:  # documents are shared: dump each once
                    text = self.texts[id(doc)] = json.dumps(doc, ensure_ascii=False)
                    self.kept.append(doc)
                values[-1] = text
                self.copy.write_row(self.fixed + values)
            return [row["case_id"] for row in batch]
        except psycopg.Error as exc:
            self.abort()
            raise self._error(exc) from None

    def finish(self) -> None:
        """End the COPY: the server has stored every row (or raises)."""
        import psycopg

        if self.copy is None:
            return
        self.copy = None
        try:
            self.stack.close()
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def abort(self) -> None:
        if self.copy is None:
            return
        self.copy = None
        failed = RuntimeError("the payment run failed")
        try:
            self.stack.__exit__(RuntimeError, failed, None)
        except Exception:  # the run fails anyway: the first error is the one to report
            log.debug("aborting the payments COPY", exc_info=True)

    @staticmethod
    def _error(exc: Exception) -> Exception:
        import psycopg

        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            # the connection, not the data: reported like any lost connection
            return OperationalError(_PG_COPY, None, exc)
        return _Refused(str(exc).strip().splitlines()[0])


def _inserter(session: Session, run_id: int, month: str, now: dt.datetime) -> Any:
    """A function inserting a batch of payments (dicts of the varying columns) and returning
    the case ids actually inserted (on SQLite a payment already there is skipped, never
    doubled; on PostgreSQL the run's lock leaves none there)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None  # a checked-out connection always has its driver's
        return _PgStream(raw, run_id, month, now)
    from sqlalchemy.dialects.sqlite import insert

    stmt = (
        insert(_payments)
        .on_conflict_do_nothing(index_elements=["case_id", "month"])
        .returning(_payments.c.case_id)
    )
    fixed = {
        "run_id": run_id,
        "month": month,
        "attempt": 1,
        "repay_by": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }

    def sqlite(batch: list[dict[str, Any]]) -> list[int]:
        return list(conn.execute(stmt, [{**fixed, **row} for row in batch]).scalars())

    sqlite.finish = lambda: None  # type: ignore[attr-defined]
    sqlite.abort = lambda: None  # type: ignore[attr-defined]
    return sqlite


def _record(row: Any, results: Sequence[ResultRecord] = ()) -> PaymentRecord:
    doc = dict(row.document or {})
    return PaymentRecord(
        id=row.id,
        run_id=row.run_id,
        case_id=row.case_id,
        household_id=row.household_id,
        program=row.program,
        county=row.county,
        month=row.month,
        amount_fen=int(row.amount_fen),
        due_date=row.due_date,
        status=row.status,
        attempt=row.attempt,
        repay_by=row.repay_by,
        hold_reason=row.hold_reason,
        payee=pay.Payee(
            row.payee_name,
            row.payee_id_number,
            row.bank,
            row.account_number,
            str(doc.get("payeeKind", "none")),
        ),
        document=doc,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        results=tuple(results),
    )


def _results_of(session: Session, ids: Iterable[int]) -> dict[int, list[ResultRecord]]:
    ids = list(ids)
    out: dict[int, list[ResultRecord]] = {i: [] for i in ids}
    if not ids:
        return out
    for chunk in _chunks(ids, 5000):  # SQLite allows at most 32,766 parameters
        q = (
            select(PaymentResultRow, UserRow.name)
            .join(UserRow, UserRow.id == PaymentResultRow.user_id)
            .where(PaymentResultRow.payment_id.in_(chunk))
            .order_by(PaymentResultRow.payment_id, PaymentResultRow.seq)
        )
        for r, name in session.execute(q):
            out[r.payment_id].append(
                ResultRecord(
                    r.seq,
                    r.attempt,
                    r.status,
                    r.on_date,
                    r.note,
                    r.repay_by,
                    r.user_id,
                    name,
                    r.at,
                )
            )
    return out


# -- runs ----------------------------------------------------------------------------------------


def run_payments(
    session: Session,
    policies: PolicySource,
    actor: User,
    jurisdiction: str,
    month: str,
    on: dt.date,
    *,
    batch_size: int = BATCH,
) -> RunReport:
    """Create ``month``'s payment ("YYYY-MM") of every payable dibao and tekun case at
    ``jurisdiction`` and under it, as of run date ``on`` (deaths known by then hold payments).

    County approvers and province administrators within their jurisdiction (FORBIDDEN
    otherwise). A month may be run from the month before it on. One transaction: a refusal by
    the database half way raises ``RUN_FAILED`` and nothing is written.
    """
    registry = policies.registry
    require(actor, Action.RUN_PAYMENTS)
    start = pay.parse_month(month)
    code = registry.get(jurisdiction).code
    authorize(actor, Action.RUN_PAYMENTS, code, registry)
    check_day(on)
    if start > first_of_next_month(on):
        raise InvalidInput(
            f"month: {month} cannot be run on {on.isoformat()} (at most the next month ahead)"
        )
    if batch_size < 1:
        raise InvalidInput("batch size: at least 1")
    try:
        with write_unit(session):
            return _run(session, policies, actor, code, start, on, batch_size)
    except (OperationalError, InterfaceError):
        raise
    except (DBAPIError, _Refused) as exc:
        if isinstance(exc, _Refused):
            detail = exc.detail
        else:
            detail = str(exc.orig or exc).strip().splitlines()[0]
        raise pay.PaymentRunFailed(
            f"the payment run of {month} at {code} failed and was rolled back, nothing was "
            f"written: {detail}"
        ) from None


def _run(
    session: Session,
    policies: PolicySource,
    actor: User,
    code: str,
    start: dt.date,
    on: dt.date,
    batch_size: int,
) -> RunReport:
    registry = policies.registry
    key = pay.month_text(start)
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # before reading: see what an earlier run wrote
        conn.exec_driver_sql(_PG_RUN_LOCK, {"key": _run_lock_key(key, code)})
        # the cases are read in id order: sorted in memory, not spilled to disk in pieces
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    scope_p = _scope(_payments, code, registry)
    existing = int(
        conn.scalar(
            select(func.count()).select_from(_payments).where(scope_p, _payments.c.month == key)
        )
        or 0
    )
    # Exited cases recorded before the month began cannot be paid for it (their last month is
    # earlier): leave them out of the read (the day before, for the time zone).
    cutoff = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC) - dt.timedelta(days=1)
    c, h = _cases, _households
    parts = [
        c.c.data["amounts"],
        c.c.data["membersCovered"],
        c.c.data["deaths"],
        h.c.document["members"],
        h.c.document["paymentAccount"],
    ]
    packed = conn.dialect.name == "postgresql"
    if packed:  # one JSON text per case to decode instead of five values (the run's hot loop)
        parts = [cast(func.jsonb_build_array(*parts), Text)]
    q = (
        select(
            c.c.id,
            c.c.household_id,
            c.c.program,
            c.c.county,
            c.c.prefecture,
            c.c.province,
            c.c.state,
            # only what the planner reads (core.payments.rules.CASE_FIELDS): not whole documents
            c.c.data["benefitFrom"].as_string(),
            c.c.data["amount"].as_string(),
            c.c.data["amountFrom"].as_string(),
            c.c.data[("exit", "lastMonth")].as_string(),
            c.c.data[("phaseOut", "lastMonth")].as_string(),
            *parts,
        )
        .join(h, h.c.id == c.c.household_id)
        .where(
            _scope(c, code, registry),
            c.c.program.in_(pay.MONTHLY_PROGRAMS),
            c.c.state.in_(pay.PAYABLE_STATES),
            or_(c.c.state != "exited", c.c.updated_at >= cutoff),
            ~exists().where(_payments.c.case_id == c.c.id, _payments.c.month == key),
        )
        .order_by(c.c.id)
    )
    now = utcnow()
    run_id = conn.execute(
        _runs.insert()
        .values(
            jurisdiction=code,
            month=key,
            at=now,
            user_id=actor.id,
            created=0,
            existing=existing,
            document={},
        )
        .returning(_runs.c.id)
    ).scalar_one()
    insert_batch = _inserter(session, run_id, key, now)
    month_policies: dict[str, pay.MonthPolicy] = {}
    skipped: Counter[str] = Counter()
    planned: dict[int, tuple[str, int]] = {}  # case id → (status, fen)
    created_ids: list[int] = []
    batch: list[dict[str, Any]] = []
    on_text = on.isoformat()

    # county → (case id, digest) of what was created: in Python on SQLite; PostgreSQL computes
    # the aggregates from the rows at the end (less CPU, and the same arithmetic).
    created_digests: dict[str, list[tuple[int, str]]] = {}
    digest_here = conn.dialect.name != "postgresql"

    def flush() -> None:
        if batch:
            inserted = insert_batch(batch)
            created_ids.extend(inserted)
            if inserted and digest_here:
                rows = {r["case_id"]: r for r in batch}
                for cid in inserted:
                    r = rows[cid]
                    created_digests.setdefault(r["county"], []).append(
                        (cid, _created_digest(r, key, run_id))
                    )
            batch.clear()

    docs: dict[tuple[str, str, tuple[str, ...], str | None], dict[str, Any]] = {}
    for row in conn.execute(q):
        (
            cid,
            hid,
            program,
            county,
            prefecture,
            province,
            state,
            benefit_from,
            amount,
            amount_from,
            exit_last,
            phase_out_last,
        ) = row[:12]
        json_values = json.loads(row[12]) if packed else row[12:]
        amounts, covered, deaths, members, account = json_values
        mp = month_policies.get(county)
        if mp is None:
            mp = month_policies[county] = pay.month_policy(policies.resolve(county, start), start)
        data: dict[str, Any] = {
            "benefitFrom": benefit_from,
            "amount": amount,
            "amountFrom": amount_from,
            "amounts": amounts,
            "membersCovered": covered,
            "deaths": deaths,
        }
        if exit_last is not None:
            data["exit"] = {"lastMonth": exit_last}
        if phase_out_last is not None:
            data["phaseOut"] = {"lastMonth": phase_out_last}
        household = {"members": members, "paymentAccount": account}
        plan = pay.plan_payment(
            pay.CaseFacts(cid, hid, program, county, state, data), household, mp, on
        )
        if isinstance(plan, pay.Skipped):
            skipped[plan.reason.value] += 1
            continue
        fen = pay.yuan_to_fen(plan.amount)
        planned[cid] = (plan.status, fen)
        died = None if plan.payee_died_on is None else plan.payee_died_on.isoformat()
        # Payments share few distinct documents: build each once.
        doc_key = (plan.amount_from.isoformat(), plan.payee.kind, plan.not_set, died)
        doc = docs.get(doc_key)
        if doc is None:
            doc = {"amountFrom": doc_key[0], "runOn": on_text, "payeeKind": doc_key[1]}
            if plan.not_set:
                doc["notSet"] = list(plan.not_set)
            if died is not None:
                doc["payeeDiedOn"] = died
            docs[doc_key] = doc
        batch.append(
            {
                "case_id": cid,
                "household_id": hid,
                "program": program,
                "county": county,
                "prefecture": prefecture,
                "province": province,
                "amount_fen": fen,
                "due_date": plan.due_date,
                "status": plan.status,
                "hold_reason": plan.hold_reason,
                "payee_name": plan.payee.name,
                "payee_id_number": plan.payee.id_number,
                "bank": plan.payee.bank,
                "account_number": plan.payee.account_number,
                "document": doc,
            }
        )
        if len(batch) >= batch_size:
            flush()
    try:
        flush()
        insert_batch.finish()
    except BaseException:
        insert_batch.abort()
        raise
    released = _release_held(
        session, conn, policies, actor, code, start, key, on, run_id, month_policies
    )
    if digest_here:
        batches = [
            (county, len(m), ch.aggregate(sorted(m))) for county, m in created_digests.items()
        ]
    else:
        batches = [tuple(r) for r in conn.execute(_PG_RUN_DIGESTS, {"run_id": run_id})]
    for county, count, digest in sorted(batches):
        append_entry(
            session,
            ch.chain_name(ch.PAYMENTS, county),
            "payments.run",
            actor.id,
            runId=run_id,
            month=key,
            county=county,
            count=count,
            digest=digest,
        )
    created = [planned[i] for i in created_ids]
    already = existing + len(planned) - len(created)  # the rest: inserted meanwhile by another run
    not_set = sorted((c, p) for c, mp in month_policies.items() for p in mp.not_set)
    traces = {
        county: [trace_to_json(mp.due_day), trace_to_json(mp.deceased_head_update)]
        for county, mp in sorted(month_policies.items())
    }
    report = RunReport(
        run_id=run_id if created or released else None,
        jurisdiction=code,
        month=key,
        on=on,
        created=len(created),
        already_there=already,
        held=sum(1 for status, _ in created if status == "held"),
        created_fen=sum(fen for _, fen in created),
        released=len(released),
        skipped=dict(sorted(skipped.items())),
        not_set=tuple(not_set),
        policy=traces,
    )
    if not created and not released:
        # Nothing new: keep no run row either (running again changes nothing at all).
        conn.execute(delete(_runs).where(_runs.c.id == run_id))
        return report
    conn.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(
            created=len(created),
            existing=already,
            document=_jsonable(
                {
                    "on": on_text,
                    "held": report.held,
                    "createdFen": report.created_fen,
                    "released": released,
                    "skipped": report.skipped,
                    "notSet": [list(x) for x in not_set],
                    "policy": traces,
                }
            ),
        )
    )
    return report


def _created_digest(row: Mapping[str, Any], month: str, run_id: int) -> str:
    """The digest of a payment as a run creates it (:data:`core.audit.chain.PAYMENT_FIELDS`)."""
    return ch.payment_digest(
        [
            row["case_id"],
            month,
            run_id,
            row["household_id"],
            row["program"],
            row["county"],
            row["prefecture"],
            row["province"],
            row["amount_fen"],
            row["due_date"],
            row["status"],
            1,
            None,
            row["hold_reason"],
            row["payee_name"],
            row["payee_id_number"],
            row["bank"],
            row["account_number"],
            1,
        ]
    )


def _release_held(
    session: Session,
    conn: Any,
    policies: PolicySource,
    actor: User,
    code: str,
    start: dt.date,
    key: str,
    on: dt.date,
    run_id: int,
    month_policies: dict[str, pay.MonthPolicy],
) -> list[int]:
    """Held payments of the month whose household now has a living payee with an account (the
    head and the account were changed, or the missing paymentAccount was recorded): pending
    again, to the new payee. What was held, and for whom, is kept in the payment's document
    (``released``). Returns their ids."""
    registry = policies.registry
    p, c, h = _payments, _cases, _households
    rows = conn.execute(
        select(
            p.c.id,
            p.c.version,
            p.c.document,
            p.c.hold_reason,
            p.c.payee_name,
            p.c.payee_id_number,
            p.c.bank,
            p.c.account_number,
            c.c.id.label("case_id"),
            c.c.household_id,
            c.c.program,
            c.c.county,
            c.c.state,
            c.c.data,
            h.c.document.label("household"),
        )
        .join(c, c.c.id == p.c.case_id)
        .join(h, h.c.id == c.c.household_id)
        .where(_scope(p, code, registry), p.c.month == key, p.c.status == "held")
        .order_by(p.c.id)
    ).all()
    released: list[int] = []
    audited: dict[str, list[Record]] = {}
    for r in rows:
        mp = month_policies.get(r.county)
        if mp is None:
            mp = month_policies[r.county] = pay.month_policy(
                policies.resolve(r.county, start), start
            )
        facts = pay.CaseFacts(r.case_id, r.household_id, r.program, r.county, r.state, r.data or {})
        plan = pay.plan_payment(facts, r.household, mp, on)
        if not isinstance(plan, pay.PlannedPayment) or plan.status != "pending":
            continue  # still held (or no longer payable at all: it stays held, never paid)
        doc = dict(r.document or {})
        doc.pop("payeeDiedOn", None)
        doc["payeeKind"] = plan.payee.kind
        doc["released"] = [
            *doc.get("released", []),
            {
                "on": on.isoformat(),
                "runId": run_id,
                "holdReason": r.hold_reason,
                "payee": {
                    "name": r.payee_name,
                    "idNumber": r.payee_id_number,
                    "bank": r.bank,
                    "accountNumber": r.account_number,
                },
            },
        ]
        before = conn.execute(select(p).where(p.c.id == r.id)).one()
        done = conn.execute(
            update(p)
            .where(p.c.id == r.id, p.c.version == r.version, p.c.status == "held")
            .values(
                status="pending",
                hold_reason=None,
                payee_name=plan.payee.name,
                payee_id_number=plan.payee.id_number,
                bank=plan.payee.bank,
                account_number=plan.payee.account_number,
                document=doc,
                version=r.version + 1,
                updated_at=utcnow(),
            )
        )
        if done.rowcount == 1:
            released.append(r.id)
            after = conn.execute(select(p).where(p.c.id == r.id)).one()
            audited.setdefault(after.county, []).append(
                (ch.ref("payment", r.id), payment_row_digest(before), payment_row_digest(after))
            )
    for county, records in sorted(audited.items()):
        append_entry(
            session,
            ch.chain_name(ch.PAYMENTS, county),
            "payments.released",
            actor.id,
            records,
            runId=run_id,
            month=key,
        )
    return released


def _jsonable(value: Any) -> Any:
    from core.cases.model import jsonable

    return jsonable(value)


# -- results -------------------------------------------------------------------------------------


def record_payment_result(
    session: Session,
    policies: PolicySource,
    actor: User,
    payment_id: int,
    status: str,
    on: dt.date,
    note: str | None = None,
    expected_version: int | None = None,
) -> PaymentRecord:
    """Record what the bank reported for a payment: ``paid``, ``failed`` (paid again by
    ``payments.failed_repay_by``), ``returned`` or ``unclaimed``. A result after a failed or
    returned one is a new attempt. Township officers and above within their jurisdiction.
    ``on`` is not in the future, nor before the run or the payment's last result."""
    registry = policies.registry
    require(actor, Action.RECORD_PAYMENT_RESULTS)
    if status not in pay.RESULT_STATUSES:
        raise InvalidInput(f"status: one of {', '.join(pay.RESULT_STATUSES)}, not {status!r}")
    check_day(on)
    note = (note or "").strip() or None
    with write_unit(session):
        row = session.execute(
            select(PaymentRow)
            .where(PaymentRow.id == payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None:
            raise pay.PaymentNotFound(f"no payment {payment_id}")
        authorize(actor, Action.RECORD_PAYMENT_RESULTS, row.county, registry)
        if expected_version is not None and row.version != expected_version:
            raise pay.PaymentVersionConflict(
                f"payment {payment_id} has changed since it was read (version "
                f"{expected_version}, now {row.version}); load it again"
            )
        attempt = pay.next_attempt(row.status, row.attempt, status)
        run_on = dt.date.fromisoformat(str((row.document or {}).get("runOn", "0001-01-01")))
        if on < run_on:
            raise InvalidInput(f"on: {on.isoformat()} is before the run ({run_on.isoformat()})")
        last = session.execute(
            select(PaymentResultRow.seq, PaymentResultRow.on_date)
            .where(PaymentResultRow.payment_id == payment_id)
            .order_by(PaymentResultRow.seq.desc())
            .limit(1)
        ).first()
        seq = 1 if last is None else last.seq + 1
        if last is not None and on < last.on_date:
            raise InvalidInput(
                f"on: {on.isoformat()} is before the payment's last result ({last.on_date})"
            )
        due = None
        if status == "failed":
            param = trace_entry(policies.resolve(row.county, on).get(pay.P_REPAY_BY))
            due = pay.repay_by(pay.parse_month(row.month), on, param)
        before = payment_row_digest(row)
        result_row = PaymentResultRow(
            payment_id=payment_id,
            seq=seq,
            attempt=attempt,
            status=status,
            on_date=on,
            note=note,
            repay_by=due,
            user_id=actor.id,
            at=utcnow(),
        )
        session.add(result_row)
        doc = dict(row.document or {})
        if status == "failed" and due is None:
            doc["notSet"] = sorted({*doc.get("notSet", ()), pay.P_REPAY_BY})
        result = session.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id, PaymentRow.version == row.version)
            .values(
                status=status,
                attempt=attempt,
                repay_by=due,
                document=doc,
                version=row.version + 1,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise pay.PaymentVersionConflict(
                f"payment {payment_id} was changed by someone else at the same time; try again"
            )
        session.flush()
        fresh = session.execute(select(_payments).where(_payments.c.id == payment_id)).one()
        append_entry(
            session,
            ch.chain_name(ch.PAYMENTS, fresh.county),
            "payment.result",
            actor.id,
            [
                (ch.ref("payment", payment_id), before, payment_row_digest(fresh)),
                (
                    ch.ref("payment_result", result_row.id),
                    None,
                    payment_result_row_digest(result_row),
                ),
            ],
            paymentId=payment_id,
            status=status,
        )
        return _record(fresh, _results_of(session, [payment_id])[payment_id])


# -- reads ---------------------------------------------------------------------------------------


def get_payment(
    session: Session, actor: User, payment_id: int, registry: JurisdictionRegistry
) -> PaymentRecord:
    require(actor, Action.READ_PAYMENTS)
    with reading(session):
        row = session.execute(select(_payments).where(_payments.c.id == payment_id)).first()
        if row is None:
            raise pay.PaymentNotFound(f"no payment {payment_id}")
        authorize(actor, Action.READ_PAYMENTS, row.county, registry)
        return _record(row, _results_of(session, [payment_id])[payment_id])


def list_payments(
    session: Session,
    actor: User,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    *,
    month: str | None = None,
    status: str | None = None,
    first: int = 50,
    after_id: int | None = None,
) -> tuple[list[PaymentRecord], bool]:
    """A page of payments at ``jurisdiction`` and under it, by id; (page, more after it)."""
    require(actor, Action.READ_PAYMENTS)
    code = registry.get(jurisdiction).code
    authorize(actor, Action.READ_PAYMENTS, code, registry)
    q = select(_payments).where(_scope(_payments, code, registry))
    if month is not None:
        q = q.where(_payments.c.month == pay.month_text(pay.parse_month(month)))
    if status is not None:
        if status not in pay.PAYMENT_STATUSES:
            raise InvalidInput(f"status: one of {', '.join(pay.PAYMENT_STATUSES)}")
        q = q.where(_payments.c.status == status)
    if after_id is not None:
        q = q.where(_payments.c.id > after_id)
    q = q.order_by(_payments.c.id).limit(first + 1)
    with reading(session):
        rows = session.execute(q).all()
        page = rows[:first]
        results = _results_of(session, [r.id for r in page])
        return [_record(r, results[r.id]) for r in page], len(rows) > first


def run_summary(
    session: Session, actor: User, jurisdiction: str, month: str, registry: JurisdictionRegistry
) -> RunSummary:
    """A month's payments at ``jurisdiction`` and under it: count, total and by status, and
    the runs that created them."""
    require(actor, Action.READ_PAYMENTS)
    code = registry.get(jurisdiction).code
    authorize(actor, Action.READ_PAYMENTS, code, registry)
    key = pay.month_text(pay.parse_month(month))
    with reading(session):
        rows = session.execute(
            select(
                _payments.c.status, func.count(), func.coalesce(func.sum(_payments.c.amount_fen), 0)
            )
            .where(_scope(_payments, code, registry), _payments.c.month == key)
            .group_by(_payments.c.status)
        ).all()
        runs = session.execute(
            select(PaymentRunRow, UserRow.name)
            .join(UserRow, UserRow.id == PaymentRunRow.user_id)
            .where(PaymentRunRow.month == key)
            .order_by(PaymentRunRow.id)
        ).all()
    order = {s: i for i, s in enumerate(pay.PAYMENT_STATUSES)}
    by_status = tuple(
        sorted(
            (StatusTotal(s, int(n), int(total)) for s, n, total in rows),
            key=lambda x: order.get(x.status, 99),
        )
    )
    infos = tuple(
        RunInfo(r.id, r.jurisdiction, r.month, r.at, name, r.created, r.existing)
        for r, name in runs
        if registry.is_within(r.jurisdiction, code) or registry.is_within(code, r.jurisdiction)
    )
    return RunSummary(
        jurisdiction=code,
        month=key,
        count=sum(x.count for x in by_status),
        total_fen=sum(x.total_fen for x in by_status),
        by_status=by_status,
        runs=infos,
    )


def payments_to_pay(
    session: Session, actor: User, jurisdiction: str, month: str, registry: JurisdictionRegistry
) -> list[PaymentRecord]:
    """The month's payments the bank is to pay at ``jurisdiction`` and under it: pending ones
    and failed ones awaiting repayment — never held ones. By county, then id."""
    require(actor, Action.READ_PAYMENTS)
    code = registry.get(jurisdiction).code
    authorize(actor, Action.READ_PAYMENTS, code, registry)
    key = pay.month_text(pay.parse_month(month))
    q = (
        select(_payments)
        .where(
            _scope(_payments, code, registry),
            _payments.c.month == key,
            _payments.c.status.in_(pay.TO_BE_PAID),
        )
        .order_by(_payments.c.county, _payments.c.id)
    )
    with reading(session):
        return [_record(r) for r in session.execute(q)]


def bank_csv(records: Iterable[PaymentRecord]) -> str:
    """:func:`core.payments.rules.bank_csv` of stored payments."""
    return pay.bank_csv(
        [
            pay.CsvRow(
                r.payee.name,
                r.payee.id_number,
                r.payee.bank,
                r.payee.account_number,
                r.amount_fen,
                r.month,
                r.program,
                r.case_id,
            )
            for r in records
        ]
    )


def payment_alerts(
    session: Session,
    policies: PolicySource,
    actor: User,
    jurisdiction: str,
    as_of: dt.date,
) -> pay.AlertReport:
    """Alerts at ``jurisdiction`` and under it on ``as_of`` (see :func:`core.payments.rules.
    payment_alerts`), from the payments of the last :data:`ALERT_LOOKBACK_MONTHS` months and
    every failed or held one, with the results reported by ``as_of``."""
    registry = policies.registry
    require(actor, Action.READ_PAYMENTS)
    code = registry.get(jurisdiction).code
    authorize(actor, Action.READ_PAYMENTS, code, registry)
    now = pay.month_text(as_of)
    oldest = pay.month_index(now) - ALERT_LOOKBACK_MONTHS
    since = f"{oldest // 12:04d}-{oldest % 12 + 1:02d}"
    p = _payments
    q = (
        select(p.c.id, p.c.case_id, p.c.county, p.c.month, p.c.status, p.c.document)
        .where(
            _scope(p, code, registry),
            p.c.month <= now,
            or_(p.c.month >= since, p.c.status.in_(("failed", "held"))),
        )
        .order_by(p.c.id)
    )
    with reading(session):
        rows = session.execute(q).all()
        ids = [r.id for r in rows]
        results: dict[int, list[pay.ResultView]] = {i: [] for i in ids}
        for chunk in _chunks(ids, 5000):
            for pid, status, on, due in session.execute(
                select(
                    _results.c.payment_id,
                    _results.c.status,
                    _results.c.on_date,
                    _results.c.repay_by,
                )
                .where(_results.c.payment_id.in_(chunk), _results.c.on_date <= as_of)
                .order_by(_results.c.payment_id, _results.c.seq)
            ):
                results[pid].append(pay.ResultView(status, on, due))
    views = []
    for r in rows:
        doc = r.document or {}
        # The status the payment was created with: held stays held (never paid).
        created = "held" if r.status == "held" else "pending"
        died = doc.get("payeeDiedOn")
        views.append(
            pay.PaymentView(
                r.id,
                r.case_id,
                r.county,
                r.month,
                created,
                tuple(results[r.id]),
                dt.date.fromisoformat(died) if died else None,
            )
        )
    counties = {v.county for v in views}
    resolved = {c: policies.resolve(c, as_of) for c in counties}
    return pay.payment_alerts(views, resolved, as_of)


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def count_payments(session: Session) -> int:
    """All payment rows (for tests and the benchmark)."""
    with reading(session):
        return int(session.scalar(select(func.count()).select_from(_payments)) or 0)


__all__ = [
    "ALERT_LOOKBACK_MONTHS",
    "PaymentRecord",
    "ResultRecord",
    "RunInfo",
    "RunReport",
    "RunSummary",
    "StatusTotal",
    "bank_csv",
    "check_day",
    "count_payments",
    "get_payment",
    "list_payments",
    "payment_alerts",
    "payments_to_pay",
    "record_payment_result",
    "run_payments",
    "run_summary",
]
