"""The pure payment rules (core.payments.rules): months, who is paid and how much, due dates from
the
merged policy, held payments, result transitions, repay dates, alerts and the bank's CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

import core.payments.rules as pay
from core.errors import InvalidInput
from tests.support.households import id_number
from tests.support.layers import doc, entry

DUYUN, WUHUA = "522701", "530102"
MARCH = dt.date(2024, 3, 1)
RUN_ON = dt.date(2024, 3, 5)
HEAD = id_number(DUYUN, 1)
# the head's 一卡通 account: without one a payment is held, never exported
HEAD_ACCOUNT = {
    "holderIdNumber": HEAD,
    "holderName": "张三",
    "bank": "贵州农信",
    "accountNumber": "6222000011110000",
}
NO_ACCOUNT = "no payment account (一卡通) is recorded for the household"


def case(program: str = "dibao", state: str = "active", **data: Any) -> pay.CaseFacts:
    base = {"benefitFrom": "2024-01-01", "amount": "300.00", "membersCovered": [HEAD]}
    base.update(data)
    return pay.CaseFacts(7, 3, program, DUYUN, state, base)


def household(
    *extra: dict[str, Any], account: dict[str, Any] | None = HEAD_ACCOUNT, **head: Any
) -> dict[str, Any]:
    """The head 张三 (``head``: more of their fields), ``extra`` members and ``account`` as the
    paymentAccount (by default the head's; None: no account)."""
    members = [{"idNumber": HEAD, "name": "张三", "relation": "head", **head}, *extra]
    out: dict[str, Any] = {"county": DUYUN, "members": members}
    if account is not None:
        out["paymentAccount"] = account
    return out


@pytest.fixture(scope="module")
def march(base) -> pay.MonthPolicy:
    return pay.month_policy(base.resolve(DUYUN, MARCH), MARCH)


def test_months():
    assert pay.parse_month("2024-03") == MARCH
    assert pay.parse_month(" 2024-12 ") == dt.date(2024, 12, 1)
    for bad in ("2024-13", "2024-00", "2024-3", "24-03", "2024-03-01", "", "march", "0999-01"):
        with pytest.raises(InvalidInput, match="month"):
            pay.parse_month(bad)
    assert pay.month_end(dt.date(2024, 2, 10)) == dt.date(2024, 2, 29)
    assert pay.month_end(dt.date(2023, 12, 31)) == dt.date(2023, 12, 31)
    assert pay.month_index("2024-01") - pay.month_index("2023-12") == 1
    assert pay.fen_to_yuan(41250) == "412.50" and pay.fen_to_yuan(5) == "0.05"
    assert pay.yuan_to_fen(Decimal("412.5")) == 41250


def test_due_date_from_the_merged_policy(base, make_layer, march):
    assert march.due_date == dt.date(2024, 3, 20) and march.not_set == ()
    assert march.due_day.source is not None and "20日" in march.due_day.source.quote
    unset = pay.month_policy(base.resolve(WUHUA, MARCH), MARCH)
    assert unset.due_date is None and unset.not_set == (pay.P_DUE_DAY,)
    # a day the month does not have: its last day
    late = base.with_layers([make_layer(doc("530000", {pay.P_DUE_DAY: [entry(31, "2020-01-01")]}))])
    feb = dt.date(2024, 2, 1)
    assert pay.month_policy(late.resolve(WUHUA, feb), feb).due_date == dt.date(2024, 2, 29)
    with pytest.raises(InvalidInput):
        pay.month_policy(base.resolve(DUYUN, RUN_ON), MARCH)  # resolved on another day


def test_amounts_in_effect_for_a_month():
    history = [
        {"from": "2024-01-01", "amount": "300.00"},
        {"from": "2024-03-01", "amount": "412.50"},
        {"from": "2024-05-01", "amount": "100"},
    ]
    data = {"benefitFrom": "2024-01-01", "amount": "100", "amounts": history}
    assert pay.amount_for_month(data, dt.date(2024, 2, 1)) == (
        Decimal("300.00"),
        dt.date(2024, 1, 1),
    )
    assert pay.amount_for_month(data, MARCH) == (Decimal("412.50"), MARCH)
    assert pay.amount_for_month(data, dt.date(2024, 6, 1))[0] == Decimal("100")
    assert pay.amount_for_month(data, dt.date(2023, 12, 1)) is None
    plain = {"benefitFrom": "2024-01-01", "amount": "300"}
    assert pay.amount_for_month(plain, MARCH) == (Decimal("300"), dt.date(2024, 1, 1))
    # a review changed the amount from April and no history says what it was before
    reviewed = {"benefitFrom": "2024-01-01", "amount": "350", "amountFrom": "2024-04-01"}
    assert pay.amount_for_month(reviewed, MARCH) is None
    assert pay.amount_for_month(reviewed, dt.date(2024, 4, 1))[0] == Decimal("350")


def test_who_is_paid_for_a_month(march):
    def plan(c: pay.CaseFacts, h: dict[str, Any] | None = None) -> Any:
        return pay.plan_payment(c, h or household(), march, RUN_ON)

    p = plan(case())
    assert isinstance(p, pay.PlannedPayment)
    assert (p.month, p.amount, p.due_date, p.status) == (
        "2024-03",
        Decimal("300.00"),
        dt.date(2024, 3, 20),
        "pending",
    )
    assert (p.payee.name, p.payee.id_number, p.payee.kind) == ("张三", HEAD, "account")
    assert p.payee.account_number == HEAD_ACCOUNT["accountNumber"] and p.hold_reason is None
    # no paymentAccount: held (the bank's batch needs an account), to the head, never pending
    bare = plan(case(), household(account=None))
    assert (bare.status, bare.payee.kind, bare.payee.name) == ("held", "head", "张三")
    assert bare.hold_reason.startswith(NO_ACCOUNT) and bare.payee_died_on is None
    assert bare.payee.account_number is None and bare.amount == Decimal("300.00")

    def skipped(c: pay.CaseFacts, h: dict[str, Any] | None = None) -> str:
        out = plan(c, h)
        assert isinstance(out, pay.Skipped), out
        return out.reason.value

    assert skipped(case("temporary", "granted")) == "not_monthly"
    assert skipped(case(state="in_publicity", benefitFrom=None)) == "not_in_payment"
    assert skipped(case(benefitFrom="2024-04-01")) == "not_started"
    assert skipped(case(state="exited", exit={"lastMonth": "2024-02"})) == "ended"
    assert isinstance(plan(case(state="exited", exit={"lastMonth": "2024-03"})), pay.PlannedPayment)
    assert skipped(case(state="phasing_out", phaseOut={"lastMonth": "2024-02"})) == "ended"
    phasing = plan(case(state="phasing_out", phaseOut={"lastMonth": "2024-03"}))
    assert phasing.amount == Decimal("300.00")  # no reduced phase-out amount is set anywhere
    assert skipped(case(amount=None)) == "no_amount"
    # the person a tekun case covers died in February: it stops from March
    died = household(dateOfDeath="2024-02-15")
    assert skipped(case("tekun"), died) == "died"
    # ... died in March: March is still paid, but never to the dead person's account
    held = plan(case("tekun"), household(dateOfDeath="2024-03-02"))
    assert held.status == "held" and held.payee_died_on == dt.date(2024, 3, 2)
    assert "payments.deceased_head_update_months = 1" in held.hold_reason
    assert "account holder 张三" in held.hold_reason
    # ... with no account either: the death is the reason (the head changes first)
    dead_bare = plan(case("tekun"), household(account=None, dateOfDeath="2024-03-02"))
    assert dead_bare.status == "held" and "head of household 张三" in dead_bare.hold_reason
    assert dead_bare.payee_died_on == dt.date(2024, 3, 2)
    # ... after the run date: paid
    assert plan(case("tekun"), household(dateOfDeath="2024-03-10")).status == "pending"


def test_the_account_holder_and_bad_account_data(march):
    spouse = id_number(DUYUN, 2)
    wife = {"idNumber": spouse, "name": "李四", "relation": "spouse"}
    account = {
        "holderIdNumber": spouse.lower(),
        "holderName": "李四",
        "bank": "农行",
        "accountNumber": "6228",
    }
    c = case(membersCovered=[HEAD, spouse])
    p = pay.plan_payment(
        c, household(wife, account=account, dateOfDeath="2024-02-01"), march, RUN_ON
    )
    assert p.status == "pending" and p.payee == pay.Payee(
        "李四", spouse.upper(), "农行", "6228", "account"
    )
    dead_wife = dict(wife, dateOfDeath="2024-03-01")
    p = pay.plan_payment(c, household(dead_wife, account=account), march, RUN_ON)
    assert p.status == "held" and "account holder 李四" in p.hold_reason
    # a recorded death on the case counts too
    recorded = case(deaths=[{"on": "2024-02-20", "idNumber": HEAD}], membersCovered=[HEAD, spouse])
    assert pay.plan_payment(recorded, household(wife), march, RUN_ON).status == "held"
    too_long = dict(account, accountNumber="9" * 65)
    p = pay.plan_payment(c, household(wife, account=too_long), march, RUN_ON)
    assert p.status == "held" and "account number is longer than 64" in p.hold_reason


def test_result_transitions():
    assert pay.next_attempt("pending", 1, "paid") == 1
    assert pay.next_attempt("pending", 1, "failed") == 1
    assert pay.next_attempt("failed", 1, "paid") == 2  # a repayment: a new attempt
    assert pay.next_attempt("failed", 2, "failed") == 3
    assert pay.next_attempt("returned", 1, "paid") == 2
    assert pay.next_attempt("paid", 1, "unclaimed") == 1
    assert pay.next_attempt("unclaimed", 1, "paid") == 1  # collected later
    for status, result in (("paid", "paid"), ("unclaimed", "unclaimed"), ("paid", "failed")):
        with pytest.raises(pay.InvalidPaymentTransition):
            pay.next_attempt(status, 1, result)
    with pytest.raises(pay.PaymentHeld):
        pay.next_attempt("held", 1, "paid")
    with pytest.raises(InvalidInput):
        pay.next_attempt("pending", 1, "lost")


def test_repay_by_month_end(base):
    param = pay.trace_entry(base.resolve(DUYUN, MARCH).get(pay.P_REPAY_BY))
    assert pay.repay_by(MARCH, dt.date(2024, 3, 21), param) == dt.date(2024, 3, 31)
    assert pay.repay_by(MARCH, dt.date(2024, 4, 3), param) == dt.date(2024, 4, 30)
    unset = pay.trace_entry(base.resolve(WUHUA, MARCH).get(pay.P_REPAY_BY))
    assert pay.repay_by(MARCH, dt.date(2024, 3, 21), unset) is None


def view(pid: int, month: str, *results: tuple[str, str], case_id: int = 1, **kw: Any):
    rs = tuple(
        pay.ResultView(
            s,
            dt.date.fromisoformat(on),
            pay.month_end(dt.date.fromisoformat(on)) if s == "failed" else None,
        )
        for s, on in results
    )
    return pay.PaymentView(
        pid,
        case_id,
        kw.get("county", DUYUN),
        month,
        kw.get("created", "pending"),
        rs,
        kw.get("died"),
    )


def test_alerts(base):
    day = dt.date(2024, 7, 10)
    policies = {DUYUN: base.resolve(DUYUN, day), WUHUA: base.resolve(WUHUA, day)}
    views = [
        # case 1: unclaimed Apr..Jun, July still pending → reminder (3 > 2, < 6)
        view(1, "2024-03", ("paid", "2024-03-20")),
        *(view(2 + i, f"2024-0{4 + i}", ("unclaimed", f"2024-0{4 + i}-25")) for i in range(3)),
        view(5, "2024-07"),
        # case 2: unclaimed in Jan..Jun → investigation
        *(
            view(10 + i, f"2024-0{1 + i}", ("unclaimed", f"2024-0{1 + i}-25"), case_id=2)
            for i in range(6)
        ),
        # case 9: unclaimed May, Jun: two months, not more than 2 → no reminder yet
        *(
            view(70 + i, f"2024-0{5 + i}", ("unclaimed", f"2024-0{5 + i}-25"), case_id=9)
            for i in range(2)
        ),
        # case 3: a gap (no payment in May) breaks the run
        view(20, "2024-04", ("unclaimed", "2024-04-25"), case_id=3),
        view(21, "2024-06", ("unclaimed", "2024-06-25"), case_id=3),
        # case 4: failed in June, repay by June 30, not repaid
        view(30, "2024-06", ("failed", "2024-06-21"), case_id=4),
        # case 5: failed then repaid
        view(31, "2024-06", ("failed", "2024-06-21"), ("paid", "2024-06-28"), case_id=5),
        # case 6: unclaimed in Wuhua where no parameter is set
        *(
            view(
                40 + i,
                f"2024-0{4 + i}",
                ("unclaimed", f"2024-0{4 + i}-25"),
                case_id=6,
                county=WUHUA,
            )
            for i in range(3)
        ),
        # case 7: held since the holder died in April: change due by May 31
        view(50, "2024-05", case_id=7, created="held", died=dt.date(2024, 4, 20)),
        view(51, "2024-06", case_id=7, created="held", died=dt.date(2024, 4, 20)),
        # a later month is never judged
        view(60, "2024-08", ("failed", "2024-08-02"), case_id=8),
    ]
    report = pay.payment_alerts(views, policies, day)
    found = {(a.case_id, a.kind.value): a for a in report.alerts}
    assert set(found) == {
        (1, "unclaimed_reminder"),
        (2, "unclaimed_investigation"),
        (4, "repayment_overdue"),
        (7, "head_change_overdue"),
    }
    assert found[(1, "unclaimed_reminder")].months == ("2024-04", "2024-05", "2024-06")
    assert found[(1, "unclaimed_reminder")].payment_ids == (2, 3, 4)
    assert "unclaimed for 3 consecutive months" in found[(1, "unclaimed_reminder")].message
    assert found[(1, "unclaimed_reminder")].parameter.value == 2
    assert found[(2, "unclaimed_investigation")].parameter.value == 6
    assert found[(4, "repayment_overdue")].due == dt.date(2024, 6, 30)
    assert found[(7, "head_change_overdue")].due == dt.date(2024, 5, 31)
    assert found[(7, "head_change_overdue")].payment_ids == (50, 51)
    assert "2024-04-20" in found[(7, "head_change_overdue")].message
    assert (WUHUA, pay.P_REMIND) in report.not_set and (WUHUA, pay.P_INVESTIGATE) in report.not_set
    # on an earlier day, with what was reported by then: case 2 had five months, not six (a
    # reminder); case 1 two (Apr, May): not more than 2, no reminder
    early = pay.payment_alerts(views, policies, dt.date(2024, 5, 30))
    assert {(a.case_id, a.kind.value) for a in early.alerts} == {(2, "unclaimed_reminder")}


def test_bank_csv_and_formula_injection():
    rows = [
        pay.CsvRow("张三", HEAD, "贵州农信", "6222000011112222", 30000, "2024-03", "dibao", 7),
        pay.CsvRow("=cmd|' /C calc'!A0", "+1", "-2", "@x", 5, "2024-03", "tekun", 8),
        pay.CsvRow(None, None, None, None, 104000, "2024-03", "tekun", 9),
    ]
    text = pay.bank_csv(rows)
    assert text.startswith("\ufeff") and "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == [zh for zh, _ in pay.CSV_COLUMNS]
    assert parsed[1] == [
        "1",
        "张三",
        HEAD,
        "贵州农信",
        "6222000011112222",
        "300.00",
        "2024-03",
        "最低生活保障",
        "7",
    ]
    assert parsed[2][1:6] == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@x", "0.05"]
    assert parsed[2][7] == "特困人员救助供养"
    assert parsed[3][1:6] == ["", "", "", "", "1040.00"]
    assert pay.safe_cell("\tx") == "'\tx" and pay.safe_cell("ok") == "ok"
