"""Payment runs in the database, on SQLite and PostgreSQL: one payment per payable case,
idempotent (a unique constraint), atomic (a failure injected half way leaves nothing), no
double payment by concurrent runs, results with history, alerts and the bank's batch."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

import core.cases.store as cases_store
import core.payments.rules as pay
import core.payments.store as store
from core.access.roles import Forbidden, User
from core.access.tokens import create_user
from core.errors import InvalidInput
from core.households.store import create_household
from core.storage.engine import upgrade
from core.storage.tables import (
    Base,
    CaseRow,
    HouseholdRow,
    PaymentResultRow,
    PaymentRow,
    PaymentRunRow,
)
from tests.support.households import household_doc, id_number
from tests.support.payments import (
    DUYUN,
    GUIZHOU,
    LIBO,
    NO_ACCOUNT,
    QIANNAN,
    WUHUA,
    head_account,
    insert_case,
)
from tests.support.standards import with_example_standards

MARCH = "2024-03"
RUN_ON = dt.date(2024, 3, 5)


class World:
    """Users and cases written straight into the tables (the shapes core.cases writes)."""

    def __init__(self, db: Any, registry: Any) -> None:
        self.db, self.registry = db, registry
        self.seq = itertools.count(1)
        self.users: dict[str, User] = {}
        for name, role, code in (
            ("approver", "county_approver", DUYUN),
            ("qiannan", "county_approver", QIANNAN),
            ("libo", "county_approver", LIBO),
            ("officer", "township_officer", DUYUN),
            ("clerk", "village_clerk", DUYUN),
            ("auditor", "auditor", DUYUN),
            ("admin", "province_admin", GUIZHOU),
            ("wuhua", "county_approver", WUHUA),
        ):
            with db.sessions() as s:
                self.users[name], _ = create_user(s, name, role, code, registry)

    def case(self, county: str = DUYUN, **kw: Any) -> int:
        """A household (head + members) and its case; returns the case id."""
        return insert_case(self.db.engine, self.registry, county, next(self.seq), **kw)

    def run(self, who: str = "approver", code: str = DUYUN, month: str = MARCH, **kw: Any):
        with self.db.sessions() as s:
            return store.run_payments(
                s, self.policies, self.users[who], code, month, kw.pop("on", RUN_ON), **kw
            )

    def result(self, pid: int, status: str, on: dt.date, who: str = "officer", **kw: Any):
        with self.db.sessions() as s:
            return store.record_payment_result(
                s, self.policies, self.users[who], pid, status, on, **kw
            )

    def payments(self) -> dict[int, Any]:
        """case id → payment row (month MARCH unless more)."""
        with self.db.sessions() as s:
            return {
                (r.case_id, r.month): r
                for r in s.scalars(select(PaymentRow).order_by(PaymentRow.id))
            }

    def count(self, model: Any) -> int:
        with self.db.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    policies: Any = None


def payment_of(world: World, case_id: int, month: str = MARCH) -> Any:
    return world.payments()[(case_id, month)]


@pytest.fixture
def world(db, registry, base) -> World:
    w = World(db, registry)
    w.policies = base
    return w


# -- migrations ----------------------------------------------------------------------------------


def test_migration_creates_the_payment_tables_matching_the_models(db_url):
    upgrade(db_url)
    from core.storage.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(ctx, Base.metadata) == []
            insp = inspect(conn)
            assert {"payments", "payment_runs", "payment_results"} <= set(insp.get_table_names())
            uniques = {
                u["name"]: u["column_names"] for u in insp.get_unique_constraints("payments")
            }
            assert uniques["uq_payments_case_id_month"] == ["case_id", "month"]
    finally:
        engine.dispose()


def test_the_database_itself_refuses_a_second_payment_of_a_case_for_a_month(world, db):
    cid = world.case()
    assert world.run().created == 1
    row = payment_of(world, cid)
    copy = {c.name: getattr(row, c.key) for c in PaymentRow.__table__.columns if c.name != "id"}
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(PaymentRow.__table__).values(**copy))
    assert world.count(PaymentRow) == 1


# -- runs ----------------------------------------------------------------------------------------


def test_a_run_pays_each_payable_case_once_with_its_amount_and_due_date(world):
    dead_on = "2024-02-10"
    plain = world.case()
    raised = world.case(
        data={
            "amounts": [
                {"from": "2024-01-01", "amount": "300.00"},
                {"from": "2024-03-01", "amount": "412.50"},
                {"from": "2024-04-01", "amount": "100.00"},
            ]
        }
    )
    tekun = world.case(program="tekun", data={"amount": "1040"})
    temporary = world.case(program="temporary", state="granted", data={"amount": "2000"})
    later = world.case(data={"benefitFrom": "2024-04-01"})
    exited_now = world.case(
        state="exited",
        data={"exit": {"on": "2024-03-02", "reason": "moved_away", "lastMonth": "2024-03"}},
    )
    exited_before = world.case(
        state="exited",
        data={"exit": {"on": "2024-02-02", "reason": "moved_away", "lastMonth": "2024-02"}},
    )
    phasing = world.case(
        state="phasing_out",
        data={"phaseOut": {"from": "2024-02-01", "months": 2, "lastMonth": "2024-03"}},
    )
    phased = world.case(
        state="phasing_out",
        data={"phaseOut": {"from": "2024-01-01", "months": 2, "lastMonth": "2024-02"}},
    )
    in_publicity = world.case(state="in_publicity", data={"benefitFrom": None, "amount": None})
    dead_head = world.case(
        members=[{"idNumber": id_number(DUYUN, 900), "name": "子", "relation": "child"}]
    )
    with world.db.engine.begin() as conn:  # the head died (recorded on the household)
        row = conn.execute(
            select(HouseholdRow.__table__)
            .join(CaseRow.__table__, CaseRow.household_id == HouseholdRow.id)
            .where(CaseRow.id == dead_head)
        ).one()
        doc = dict(row.document)
        doc["members"] = [dict(doc["members"][0], dateOfDeath=dead_on), doc["members"][1]]
        conn.execute(
            HouseholdRow.__table__.update().where(HouseholdRow.id == row.id).values(document=doc)
        )
    yunnan = world.case(county=WUHUA)

    report = world.run("admin", GUIZHOU)
    got = world.payments()
    paid = {cid for cid, _ in got}
    assert paid == {plain, raised, tekun, exited_now, phasing, dead_head}
    assert report.created == 6 and report.already_there == 0 and report.held == 1
    assert report.skipped == {"ended": 2, "not_started": 1}  # in publicity: not even read
    assert yunnan not in paid and temporary not in paid and in_publicity not in paid
    assert later not in paid and exited_before not in paid and phased not in paid

    assert payment_of(world, plain).amount_fen == 30000
    assert payment_of(world, raised).amount_fen == 41250  # the amounts entry from March
    assert payment_of(world, raised).document["amountFrom"] == "2024-03-01"
    assert payment_of(world, tekun).amount_fen == 104000
    assert report.created_fen == 30000 * 4 + 41250 + 104000
    # Qiannan: 每月20日前完成发放
    assert {r.due_date for r in got.values()} == {dt.date(2024, 3, 20)}
    assert report.policy[DUYUN][0]["path"] == pay.P_DUE_DAY
    assert "20日" in report.policy[DUYUN][0]["source"]["quote"]
    held = payment_of(world, dead_head)
    assert held.status == "held" and "died on 2024-02-10" in held.hold_reason
    assert "payments.deceased_head_update_months = 1" in held.hold_reason
    assert held.document["payeeDiedOn"] == dead_on
    assert all(r.status == "pending" for k, r in got.items() if k[0] != dead_head)
    assert world.count(PaymentRunRow) == 1


def test_where_the_due_day_is_not_set_the_payment_has_none_and_says_which_parameter(world):
    cid = world.case(county=WUHUA)
    report = world.run("wuhua", WUHUA)
    row = payment_of(world, cid)
    assert row.due_date is None and row.document["notSet"] == [pay.P_DUE_DAY]
    assert report.not_set == ((WUHUA, pay.P_DUE_DAY),)


def test_the_account_holder_is_paid_and_a_dead_holder_holds_the_payment(world):
    alive = world.case(
        account={
            "holderIdNumber": id_number(DUYUN, 500),
            "holderName": "王五",
            "bank": "贵州农信",
            "accountNumber": "6222000011112222",
        }
    )
    dead_holder = id_number(DUYUN, 501)
    dead = world.case(
        members=[
            {
                "idNumber": dead_holder,
                "name": "赵六",
                "relation": "spouse",
                "dateOfDeath": "2024-03-01",
            }
        ],
        account={
            "holderIdNumber": dead_holder,
            "holderName": "赵六",
            "bank": "贵州农信",
            "accountNumber": "6222000033334444",
        },
    )
    world.run()
    a, d = payment_of(world, alive), payment_of(world, dead)
    assert (a.status, a.payee_name, a.bank, a.account_number) == (
        "pending",
        "王五",
        "贵州农信",
        "6222000011112222",
    )
    assert d.status == "held" and "account holder 赵六" in d.hold_reason


def test_a_death_recorded_on_the_case_holds_the_payment_from_the_run_date(world):
    head = id_number(DUYUN, 700)
    cid = world.case(
        members=[{"idNumber": id_number(DUYUN, 701), "name": "子", "relation": "child"}],
        data={"deaths": [{"on": "2024-03-10", "idNumber": head, "head": True, "covered": True}]},
    )
    with world.db.engine.begin() as conn:  # the head of this household is ``head``
        row = conn.execute(
            select(HouseholdRow.__table__)
            .join(CaseRow.__table__, CaseRow.household_id == HouseholdRow.id)
            .where(CaseRow.id == cid)
        ).one()
        doc = dict(row.document)
        doc["members"] = [dict(doc["members"][0], idNumber=head), doc["members"][1]]
        doc["paymentAccount"] = dict(doc["paymentAccount"], holderIdNumber=head)
        conn.execute(
            HouseholdRow.__table__.update().where(HouseholdRow.id == row.id).values(document=doc)
        )
    world.run(on=dt.date(2024, 3, 5))  # still alive on the run date
    assert payment_of(world, cid).status == "pending"
    world.run(month="2024-04", on=dt.date(2024, 3, 31))
    assert payment_of(world, cid, "2024-04").status == "held"


def test_running_again_or_the_prefecture_after_a_county_creates_nothing_twice(world):
    duyun = [world.case(DUYUN) for _ in range(3)]
    libo = [world.case(LIBO) for _ in range(2)]
    first = world.run()
    assert (first.created, first.already_there) == (3, 0)
    again = world.run()
    assert (again.created, again.already_there, again.run_id) == (0, 3, None)
    prefecture = world.run("qiannan", QIANNAN)
    assert (prefecture.created, prefecture.already_there) == (2, 3)
    province = world.run("admin", GUIZHOU)
    assert (province.created, province.already_there) == (0, 5)
    assert {c for c, _ in world.payments()} == {*duyun, *libo}
    assert world.count(PaymentRow) == 5
    assert world.count(PaymentRunRow) == 2  # runs that created nothing leave no row


def test_who_may_run_and_bad_months(world):
    world.case()
    with pytest.raises(Forbidden):
        world.run("officer")  # township officers record results, they do not run
    with pytest.raises(Forbidden):
        world.run("libo", DUYUN)  # another county
    with pytest.raises(Forbidden):
        world.run("approver", QIANNAN)  # above their own county
    for bad in ("2024-13", "2024-3", "March", "2024-03-01", ""):
        with pytest.raises(InvalidInput, match="month"):
            world.run(month=bad)
    with pytest.raises(InvalidInput, match="at most the next month"):
        world.run(month="2024-05")
    with pytest.raises(InvalidInput, match="future"):
        world.run(on=dt.date.today() + dt.timedelta(days=3))
    assert world.count(PaymentRow) == 0 and world.count(PaymentRunRow) == 0


def _inject_failure(db: Any, case_id: int) -> None:
    """A trigger that makes the database refuse the payment of ``case_id``."""
    with db.engine.begin() as conn:
        if db.backend == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION fail_payment() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.case_id = {case_id} THEN RAISE EXCEPTION 'injected failure'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER fail_payment BEFORE INSERT ON payments FOR EACH ROW "
                    "EXECUTE FUNCTION fail_payment()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER fail_payment BEFORE INSERT ON payments "
                    f"WHEN NEW.case_id = {case_id} BEGIN SELECT RAISE(ABORT, 'injected failure'); "
                    "END"
                )
            )


def test_a_run_that_fails_half_way_leaves_nothing_written(world, db):
    ids = [world.case() for _ in range(10)]
    _inject_failure(db, ids[7])  # after 7 inserts, in the fourth batch of 2
    with pytest.raises(pay.PaymentRunFailed, match="injected failure") as caught:
        world.run(batch_size=2)
    assert "nothing was written" in caught.value.message and caught.value.code == "RUN_FAILED"
    assert world.count(PaymentRow) == 0 and world.count(PaymentRunRow) == 0
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER fail_payment" + (" ON payments" if db.backend == "postgresql" else "")
            )
        )
    assert world.run(batch_size=2).created == 10


def test_two_runs_of_the_same_month_at_once_never_pay_twice(world, db):
    n = 300
    for i in range(n):
        world.case(DUYUN if i % 2 else LIBO)
    barrier = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def go(who: str, code: str) -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(world.run(who, code, batch_size=25))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=go, args=("qiannan", QIANNAN)),
        threading.Thread(target=go, args=("admin", GUIZHOU)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert world.count(PaymentRow) == n
    assert sum(r.created for r in reports) == n
    assert sorted(r.already_there for r in reports)[1] == n - min(r.created for r in reports)
    with db.sessions() as s:
        dupes = s.execute(
            select(PaymentRow.case_id)
            .group_by(PaymentRow.case_id, PaymentRow.month)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


# -- the case machine's own cases ----------------------------------------------------------------


def test_a_case_confirmed_by_the_case_machine_is_paid_from_the_month_after(world, db, registry):
    base = with_example_standards(world.policies)
    world.policies = base
    clerk, officer = world.users["clerk"], world.users["officer"]
    head = id_number(DUYUN, 800)
    doc = household_doc(
        DUYUN,
        (head, "张三", "head"),
        propertyWithinLocalRules=True,
        paymentAccount=head_account(head, "张三", 800),
    )
    with db.sessions() as s:
        hid = create_household(s, clerk, doc, registry, today=dt.date(2024, 1, 1)).id
    day = dt.date(2024, 2, 5)
    with db.sessions() as s:
        case, _ = cases_store.open_case(s, base, officer, day, household_id=hid, program="dibao")
    confirmer = None
    version = 1
    for action, actor, kw in (
        ("record_investigation", officer, {"investigators": ["甲", "乙"]}),
        ("record_first_review", officer, {}),
        ("start_publicity", officer, {}),
    ):
        with db.sessions() as s:
            cases_store.apply_transition(s, base, case.id, version, action, actor, day, **kw)
        version += 1
    level = base.resolve(DUYUN, day).value("dibao.approval.confirming_level")
    confirmer = officer if level == "township" else world.users["approver"]
    with db.sessions() as s:
        confirmed, _ = cases_store.apply_transition(
            s, base, case.id, version, "confirm_case", confirmer, day + dt.timedelta(days=20)
        )
    assert confirmed.data["benefitFrom"] == "2024-03-01"
    feb = world.run(month="2024-02", on=dt.date(2024, 2, 28))
    assert feb.created == 0 and feb.skipped == {"not_started": 1}
    world.run(month="2024-03", on=dt.date(2024, 3, 1))
    row = payment_of(world, case.id)
    assert pay.fen_to_yuan(row.amount_fen) == f"{float(confirmed.data['amount']):.2f}"
    assert row.payee_name == "张三" and row.due_date == dt.date(2024, 3, 20)
    assert (
        row.status == "pending"
        and row.account_number == head_account(head, "张三", 800)["accountNumber"]
    )


# -- results -------------------------------------------------------------------------------------


def test_failed_then_repaid_keeps_every_attempt(world):
    cid = world.case()
    world.run()
    pid = payment_of(world, cid).id
    failed = world.result(pid, "failed", dt.date(2024, 3, 21), note="账户冻结")
    assert (failed.status, failed.attempt, failed.repay_by) == ("failed", 1, dt.date(2024, 3, 31))
    again = world.result(pid, "failed", dt.date(2024, 4, 2))  # reported in April: April's end
    assert (again.status, again.attempt, again.repay_by) == ("failed", 2, dt.date(2024, 4, 30))
    paid = world.result(pid, "paid", dt.date(2024, 4, 10), expected_version=again.version)
    assert (paid.status, paid.attempt, paid.repay_by, paid.version) == ("paid", 3, None, 4)
    assert [(r.seq, r.attempt, r.status, r.on, r.user_name) for r in paid.results] == [
        (1, 1, "failed", dt.date(2024, 3, 21), "officer"),
        (2, 2, "failed", dt.date(2024, 4, 2), "officer"),
        (3, 3, "paid", dt.date(2024, 4, 10), "officer"),
    ]
    assert paid.results[0].note == "账户冻结" and paid.results[0].repay_by == dt.date(2024, 3, 31)
    later = world.result(pid, "unclaimed", dt.date(2024, 5, 1), who="approver")
    assert (later.status, later.attempt) == ("unclaimed", 3)  # the same money, not collected
    assert world.count(PaymentResultRow) == 4


def test_results_that_do_not_follow_are_refused_and_write_nothing(world):
    cid = world.case()
    dead = id_number(DUYUN, 600)
    held_case = world.case(
        members=[
            {"idNumber": dead, "name": "亡", "relation": "spouse", "dateOfDeath": "2024-01-03"}
        ],
        account={"holderIdNumber": dead, "holderName": "亡", "bank": "b", "accountNumber": "1"},
    )
    world.run()
    pid, hid = payment_of(world, cid).id, payment_of(world, held_case).id
    world.result(pid, "unclaimed", dt.date(2024, 3, 21))
    with pytest.raises(pay.InvalidPaymentTransition):
        world.result(pid, "unclaimed", dt.date(2024, 4, 21))
    with pytest.raises(pay.PaymentHeld):
        world.result(hid, "paid", dt.date(2024, 3, 21))
    with pytest.raises(pay.PaymentVersionConflict):
        world.result(pid, "paid", dt.date(2024, 4, 21), expected_version=1)
    with pytest.raises(InvalidInput, match="before the run"):
        world.result(pid, "paid", dt.date(2024, 3, 1))
    with pytest.raises(InvalidInput, match="last result"):
        world.result(pid, "paid", dt.date(2024, 3, 20))
    with pytest.raises(InvalidInput, match="status"):
        world.result(pid, "lost", dt.date(2024, 3, 22))
    with pytest.raises(pay.PaymentNotFound):
        world.result(999999, "paid", dt.date(2024, 3, 22))
    with pytest.raises(Forbidden):
        world.result(pid, "paid", dt.date(2024, 3, 22), who="clerk")
    with pytest.raises(Forbidden):
        world.result(pid, "paid", dt.date(2024, 3, 22), who="libo")
    assert world.count(PaymentResultRow) == 1
    assert payment_of(world, cid).version == 2 and payment_of(world, held_case).version == 1


# -- alerts --------------------------------------------------------------------------------------


def _months(first: str, n: int) -> list[str]:
    start = pay.parse_month(first)
    return [pay.month_text(pay.add_months(start, i)) for i in range(n)]


def test_unclaimed_months_raise_a_reminder_then_an_investigation(world):
    """Guizhou: 超过一定时限(如2个月)未领取的,要及时提醒 — more than 2 months in a row (3 or
    more) → reminder; 半年以上(含半年) — 6 or more → investigation."""
    two, three, five, six, gap = (world.case() for _ in range(5))
    months = _months("2024-01", 7)
    unclaimed = {
        six: months[:-1],  # Jan..Jun: six months in a row
        five: months[1:-1],  # Feb..Jun: five
        three: months[3:-1],  # Apr..Jun: three
        two: months[4:-1],  # May, June: two (not more than 2)
        gap: [months[0], months[2], months[4]],  # never two in a row
    }
    for m in months:
        world.run(month=m, on=pay.parse_month(m))
        rows = world.payments()
        for cid in unclaimed:
            if m == months[-1]:
                continue  # July: not reported yet
            status = "unclaimed" if m in unclaimed[cid] else "paid"
            world.result(rows[(cid, m)].id, status, pay.month_end(pay.parse_month(m)))

    def alerts(on: dt.date) -> dict[int, Any]:
        with world.db.sessions() as s:
            report = store.payment_alerts(s, world.policies, world.users["auditor"], DUYUN, on)
        return {a.case_id: a for a in report.alerts}

    kinds = alerts(dt.date(2024, 7, 5))
    assert set(kinds) == {three, five, six}  # two months unclaimed: not yet a reminder
    assert kinds[three].kind is pay.AlertKind.UNCLAIMED_REMINDER
    assert kinds[three].months == ("2024-04", "2024-05", "2024-06")
    assert kinds[three].parameter.path == pay.P_REMIND and kinds[three].parameter.value == 2
    assert "如2个月" in kinds[three].parameter.source.quote
    assert "unclaimed for 3 consecutive months" in kinds[three].message
    assert kinds[five].kind is pay.AlertKind.UNCLAIMED_REMINDER and len(kinds[five].months) == 5
    assert kinds[six].kind is pay.AlertKind.UNCLAIMED_INVESTIGATION
    assert len(kinds[six].months) == 6 and kinds[six].parameter.path == pay.P_INVESTIGATE
    assert "半年以上(含半年)" in kinds[six].parameter.source.quote
    # as of earlier days, with the results known by then: the six-month case had two months
    # (Jan, Feb) on March 5 — no alert — and three (Jan..Mar) on April 5 — a reminder
    assert alerts(dt.date(2024, 3, 5)) == {}
    earlier = alerts(dt.date(2024, 4, 5))
    assert set(earlier) == {six} and earlier[six].kind is pay.AlertKind.UNCLAIMED_REMINDER
    # on June 5, five months (Jan..May) for it: still a reminder, not yet the investigation
    june = alerts(dt.date(2024, 6, 5))
    assert june[six].kind is pay.AlertKind.UNCLAIMED_REMINDER and len(june[six].months) == 5


def test_failed_payments_not_repaid_in_time_are_overdue(world):
    late, repaid = world.case(), world.case()
    world.run()
    rows = world.payments()
    world.result(rows[(late, MARCH)].id, "failed", dt.date(2024, 3, 21))
    world.result(rows[(repaid, MARCH)].id, "failed", dt.date(2024, 3, 21))
    world.result(rows[(repaid, MARCH)].id, "paid", dt.date(2024, 3, 29))
    with world.db.sessions() as s:
        on_time = store.payment_alerts(
            s, world.policies, world.users["officer"], DUYUN, dt.date(2024, 3, 31)
        )
        after = store.payment_alerts(
            s, world.policies, world.users["officer"], DUYUN, dt.date(2024, 4, 1)
        )
    assert on_time.alerts == ()
    (alert,) = after.alerts
    assert alert.kind is pay.AlertKind.REPAYMENT_OVERDUE and alert.case_id == late
    assert alert.due == dt.date(2024, 3, 31) and alert.parameter.path == pay.P_REPAY_BY
    assert "当月底前补发到位" in alert.parameter.source.quote


def test_a_dead_holder_not_replaced_by_the_month_after_raises_an_alert(world):
    dead = id_number(DUYUN, 650)
    cid = world.case(
        members=[
            {"idNumber": dead, "name": "亡", "relation": "spouse", "dateOfDeath": "2024-02-14"}
        ],
        account={"holderIdNumber": dead, "holderName": "亡", "bank": "b", "accountNumber": "1"},
    )
    world.run()
    with world.db.sessions() as s:
        in_time = store.payment_alerts(
            s, world.policies, world.users["approver"], DUYUN, dt.date(2024, 3, 31)
        )
        late = store.payment_alerts(
            s, world.policies, world.users["approver"], DUYUN, dt.date(2024, 4, 1)
        )
    assert in_time.alerts == ()
    (alert,) = late.alerts
    assert alert.kind is pay.AlertKind.HEAD_CHANGE_OVERDUE and alert.case_id == cid
    assert alert.due == dt.date(2024, 3, 31) and "次月" in alert.parameter.source.quote


def test_alerts_say_which_rules_cannot_be_checked_where_nothing_is_set(world):
    cid = world.case(county=WUHUA)
    world.run("wuhua", WUHUA)
    world.result(payment_of(world, cid).id, "unclaimed", dt.date(2024, 3, 25), who="wuhua")
    with world.db.sessions() as s:
        report = store.payment_alerts(
            s, world.policies, world.users["wuhua"], WUHUA, dt.date(2024, 4, 2)
        )
    assert report.alerts == ()
    assert (WUHUA, pay.P_REMIND) in report.not_set
    with world.db.sessions() as s, pytest.raises(Forbidden):
        store.payment_alerts(s, world.policies, world.users["wuhua"], DUYUN, dt.date(2024, 4, 2))


# -- reads and the bank's batch ------------------------------------------------------------------


def test_summary_pages_and_the_bank_batch(world):
    ids = [world.case() for _ in range(4)]
    dead = id_number(DUYUN, 660)
    world.case(
        members=[
            {"idNumber": dead, "name": "亡", "relation": "spouse", "dateOfDeath": "2024-01-03"}
        ],
        account={"holderIdNumber": dead, "holderName": "亡", "bank": "b", "accountNumber": "1"},
    )
    sneaky = world.case(
        account={
            "holderIdNumber": id_number(DUYUN, 661),
            "holderName": '=HYPERLINK("x")',
            "bank": "@SUM(A1)",
            "accountNumber": "-1+2",
        }
    )
    world.run()
    rows = world.payments()
    world.result(rows[(ids[0], MARCH)].id, "paid", dt.date(2024, 3, 20))
    world.result(rows[(ids[1], MARCH)].id, "failed", dt.date(2024, 3, 20))
    reg, auditor = world.registry, world.users["auditor"]
    with world.db.sessions() as s:
        summary = store.run_summary(s, auditor, DUYUN, MARCH, reg)
        page1, more1 = store.list_payments(s, auditor, DUYUN, reg, month=MARCH, first=4)
        page2, more2 = store.list_payments(
            s, auditor, DUYUN, reg, month=MARCH, first=4, after_id=page1[-1].id
        )
        failed, _ = store.list_payments(s, auditor, DUYUN, reg, status="failed")
        batch = store.payments_to_pay(s, auditor, DUYUN, MARCH, reg)
    assert summary.count == 6 and summary.total_fen == 6 * 30000
    assert {(x.status, x.count) for x in summary.by_status} == {
        ("pending", 3),
        ("held", 1),
        ("paid", 1),
        ("failed", 1),
    }
    assert len(summary.runs) == 1 and summary.runs[0].created == 6
    assert (len(page1), more1, len(page2), more2) == (4, True, 2, False)
    assert [p.case_id for p in failed] == [ids[1]]
    assert {p.case_id for p in batch} == {ids[1], ids[2], ids[3], sneaky}  # pending and failed
    csv_text = store.bank_csv(batch)
    assert csv_text.startswith(
        "\ufeff序号,户主/账户姓名,身份证号,开户银行,账号,金额(元),月份,项目,案件编号\r\n"
    )
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert len(lines) == 5 and all(",300.00,2024-03,最低生活保障," in line for line in lines[1:])
    evil = next(line for line in lines if str(sneaky) == line.rsplit(",", 1)[1])
    assert '"\'=HYPERLINK(""x"")"' in evil and ",'@SUM(A1)," in evil and ",'-1+2," in evil


def test_a_held_payment_is_released_once_the_head_and_account_change(world):
    spouse = id_number(DUYUN, 720)
    cid = world.case(
        members=[{"idNumber": spouse, "name": "李四", "relation": "spouse"}],
    )
    with world.db.engine.begin() as conn:  # the head died in February
        row = conn.execute(
            select(HouseholdRow.__table__)
            .join(CaseRow.__table__, CaseRow.household_id == HouseholdRow.id)
            .where(CaseRow.id == cid)
        ).one()
        doc = dict(row.document)
        doc["members"] = [dict(doc["members"][0], dateOfDeath="2024-02-03"), doc["members"][1]]
        conn.execute(
            HouseholdRow.__table__.update().where(HouseholdRow.id == row.id).values(document=doc)
        )
    assert world.run().held == 1
    held = payment_of(world, cid)
    assert held.status == "held" and world.run(on=dt.date(2024, 3, 6)).released == 0
    with world.db.engine.begin() as conn:  # the account changes to the living spouse
        doc["paymentAccount"] = {
            "holderIdNumber": spouse,
            "holderName": "李四",
            "bank": "贵州农信",
            "accountNumber": "6222000055556666",
        }
        conn.execute(
            HouseholdRow.__table__.update().where(HouseholdRow.id == row.id).values(document=doc)
        )
    report = world.run(on=dt.date(2024, 3, 12))
    assert (report.created, report.released, report.already_there) == (0, 1, 1)
    paid = payment_of(world, cid)
    assert (paid.status, paid.payee_name, paid.account_number, paid.version) == (
        "pending",
        "李四",
        "6222000055556666",
        2,
    )
    assert paid.hold_reason is None and "payeeDiedOn" not in paid.document
    [release] = paid.document["released"]
    assert release["on"] == "2024-03-12" and "died on 2024-02-03" in release["holdReason"]
    assert release["payee"]["name"] == held.payee_name
    assert world.count(PaymentRunRow) == 2  # the first run and the one that released
    again = world.run(on=dt.date(2024, 3, 13))
    assert (again.created, again.released, again.run_id) == (0, 0, None)
    assert payment_of(world, cid).version == 2


def test_a_household_without_a_payment_account_is_held_until_one_is_recorded(world, registry):
    """No paymentAccount: held (the bank's batch needs an account), never exported; recorded
    through the household store, the month's run again releases it to the account."""
    from core.households.store import update_household

    paid, bare = world.case(), world.case(no_account=True)
    report = world.run()
    assert (report.created, report.held) == (2, 1)
    held = payment_of(world, bare)
    assert held.status == "held" and held.hold_reason.startswith(NO_ACCOUNT)
    assert held.account_number is None and held.document["payeeKind"] == "head"
    assert "payeeDiedOn" not in held.document
    assert payment_of(world, paid).status == "pending"
    reg, auditor = world.registry, world.users["auditor"]
    with world.db.sessions() as s:
        batch = store.payments_to_pay(s, auditor, DUYUN, MARCH, reg)
    assert [p.case_id for p in batch] == [paid]
    lines = store.bank_csv(batch).lstrip("\ufeff").splitlines()
    assert len(lines) == 2 and lines[1].endswith(f",{paid}")
    with pytest.raises(pay.PaymentHeld):
        world.result(held.id, "paid", dt.date(2024, 3, 21))
    # no account, no dead holder: no head-change alert (nothing to count a deadline from)
    with world.db.sessions() as s:
        alerts = store.payment_alerts(s, world.policies, auditor, DUYUN, dt.date(2024, 5, 2))
    assert alerts.alerts == ()
    # running again without an account releases nothing
    assert world.run(on=dt.date(2024, 3, 6)).released == 0
    assert payment_of(world, bare).status == "held"

    with world.db.sessions() as s:
        hid = s.scalar(select(CaseRow.household_id).where(CaseRow.id == bare))
        row = s.get(HouseholdRow, hid)
        doc = dict(row.document)
    head = doc["members"][0]
    account = head_account(head["idNumber"], head["name"], 4242)
    with world.db.sessions() as s:
        update_household(s, world.users["clerk"], hid, {**doc, "paymentAccount": account}, registry)
    report = world.run(on=dt.date(2024, 3, 12))
    assert (report.created, report.released, report.already_there) == (0, 1, 2)
    released = payment_of(world, bare)
    assert (released.status, released.payee_name, released.account_number) == (
        "pending",
        head["name"],
        account["accountNumber"],
    )
    assert released.hold_reason is None and released.document["payeeKind"] == "account"
    [release] = released.document["released"]
    assert (
        release["holdReason"].startswith(NO_ACCOUNT) and release["payee"]["accountNumber"] is None
    )
    with world.db.sessions() as s:
        batch = store.payments_to_pay(s, auditor, DUYUN, MARCH, reg)
    assert [p.case_id for p in batch] == [paid, bare]
    assert f",{account['accountNumber']},300.00,2024-03," in store.bank_csv(batch)
    assert world.result(released.id, "paid", dt.date(2024, 3, 20)).status == "paid"


def test_the_case_machine_death_and_head_change_hold_then_release(world, db, registry):
    """With the case machine's own steps: the head (and account holder) dies → the next month
    is held; the household gets a living head and account, the change is recorded → the run
    releases the payment to the new holder."""
    from core.households.store import update_household

    base = with_example_standards(world.policies)
    world.policies = base
    clerk, officer = world.users["clerk"], world.users["officer"]
    head, spouse = id_number(DUYUN, 810), id_number(DUYUN, 811)
    doc = household_doc(
        DUYUN,
        (head, "张三", "head"),
        (spouse, "李四", "spouse"),
        propertyWithinLocalRules=True,
        paymentAccount={
            "holderIdNumber": head,
            "holderName": "张三",
            "bank": "贵州农信",
            "accountNumber": "6222000011112222",
        },
    )
    with db.sessions() as s:
        hid = create_household(s, clerk, doc, registry, today=dt.date(2024, 1, 1)).id
    day = dt.date(2024, 1, 8)
    with db.sessions() as s:
        case, _ = cases_store.open_case(s, base, officer, day, household_id=hid, program="dibao")
    steps = [
        ("record_investigation", {"investigators": ["甲", "乙"]}),
        ("record_first_review", {}),
        ("start_publicity", {}),
    ]
    for version, (action, kw) in enumerate(steps, start=1):
        with db.sessions() as s:
            cases_store.apply_transition(s, base, case.id, version, action, officer, day, **kw)
    level = base.resolve(DUYUN, day).value("dibao.approval.confirming_level")
    confirmer = officer if level == "township" else world.users["approver"]
    with db.sessions() as s:
        c, _ = cases_store.apply_transition(
            s, base, case.id, 4, "confirm_case", confirmer, day + dt.timedelta(days=20)
        )
    world.run(month="2024-03", on=dt.date(2024, 3, 1))
    assert payment_of(world, case.id).status == "pending"
    assert payment_of(world, case.id).account_number == "6222000011112222"
    with db.sessions() as s:
        c, _ = cases_store.apply_transition(
            s,
            base,
            case.id,
            c.version,
            "record_death",
            officer,
            dt.date(2024, 3, 10),
            id_number=head,
        )
    assert c.state.value == "active" and c.data["headChangeRequired"] is True
    world.run(month="2024-04", on=dt.date(2024, 3, 31))
    held = payment_of(world, case.id, "2024-04")
    assert held.status == "held" and "张三" in held.hold_reason
    changed = household_doc(
        DUYUN,
        (spouse, "李四", "head"),
        (head, "张三", "spouse"),
        propertyWithinLocalRules=True,
        paymentAccount={
            "holderIdNumber": spouse,
            "holderName": "李四",
            "bank": "贵州农信",
            "accountNumber": "6222000033334444",
        },
    )
    changed["members"][1]["dateOfDeath"] = "2024-03-10"
    with db.sessions() as s:
        update_household(s, clerk, hid, changed, registry)
    with db.sessions() as s:
        cases_store.apply_transition(
            s, base, case.id, c.version, "record_head_change", officer, dt.date(2024, 4, 2)
        )
    report = world.run(month="2024-04", on=dt.date(2024, 4, 2))
    assert (report.created, report.released) == (0, 1)
    paid = payment_of(world, case.id, "2024-04")
    assert (paid.status, paid.payee_name, paid.account_number) == (
        "pending",
        "李四",
        "6222000033334444",
    )
