"""Monthly payments (按月发放) of dibao and tekun: pure — no I/O, every date is an argument.

- **Who is paid for a month, and how much** (:func:`plan_payment`): dibao (低保) and tekun
  (特困供养) cases from ``benefitFrom`` (the month after confirmation) through the last paid
  month: ``exit.lastMonth`` after an exit (death included), ``phaseOut.lastMonth`` during a
  phase-out (渐退期). The amount is the case's ``amounts`` entry in effect on the month's first
  day (else ``amount`` from ``benefitFrom``). A phase-out is paid at the case's amount: no
  catalog path sets a reduced phase-out amount. Temporary assistance (临时救助) is one-off and
  never part of a monthly run.
- **Due date**: the ``payments.monthly_due_day`` of the month at the case's county (Qiannan:
  the 20th, 每月20日前完成发放). Where no layer sets it the payment has no due date and names the
  parameter — never a default day.
- **Held, never paid**: when the account holder (or, with no account, the head of household) is
  dead on the run date, the payment is created ``held`` with the reason: the head and the
  account must change first (``payments.deceased_head_update_months``; Qiannan: 次月完成户主
  变更和银行账号更换). Also held when the household has no ``paymentAccount`` (一卡通): the
  bank's batch needs an account, so no row is ever exported without one. Running the month
  again once an account held by a living member is recorded releases it (pending again).
- **Results** (:func:`next_attempt`): paid, failed (发放失败), returned (退回) or unclaimed
  (未领取: paid into the account but not collected). A failed payment is paid again by
  ``payments.failed_repay_by`` (``month_end``: the last day of the payment's month, or of the
  month it was reported failed if later; Qiannan: 当月底前补发到位); a repayment is a new
  attempt on the same payment.
- **Alerts** (:func:`payment_alerts`): unclaimed for more than
  ``payments.unclaimed_reminder_months`` consecutive months → reminder (Guizhou: 超过一定时限
  (如2个月)未领取的,要及时提醒 — 2, so from the third month); for at least
  ``payments.unclaimed_investigation_months`` → investigation (6, 半年以上(含半年)); failed
  payments not repaid by their repay date → overdue; a held payment whose dead holder was not
  replaced in time → head change overdue. Each alert carries the parameter and its source.
- **The bank's batch file** (:func:`bank_csv`, 一卡通 batch).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.eligibility import add_months, trace_entry
from core.errors import DoudiError, InvalidInput
from core.plugin.hookspecs import TraceEntry
from core.policy.resolution import ResolvedPolicy

MONTHLY_PROGRAMS = ("dibao", "tekun")  # temporary assistance is one-off: never in a monthly run
PAYABLE_STATES = ("active", "phasing_out", "exited")  # exited: up to and including lastMonth
PAYMENT_STATUSES = ("pending", "held", "paid", "failed", "returned", "unclaimed")
RESULT_STATUSES = ("paid", "failed", "returned", "unclaimed")
TO_BE_PAID = ("pending", "failed")  # what the bank's batch holds: never a held payment

P_DUE_DAY = "payments.monthly_due_day"
P_REPAY_BY = "payments.failed_repay_by"
P_REMIND = "payments.unclaimed_reminder_months"
P_INVESTIGATE = "payments.unclaimed_investigation_months"
P_DECEASED = "payments.deceased_head_update_months"

PROGRAM_NAMES_ZH = {"dibao": "最低生活保障", "tekun": "特困人员救助供养"}
CENT = Decimal("0.01")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


# -- errors ------------------------------------------------------------------------------------


class PaymentError(DoudiError):
    code = "PAYMENT_ERROR"
    field: str | None = None


class PaymentNotFound(PaymentError):
    code = "NOT_FOUND"
    field = "id"


class InvalidPaymentTransition(PaymentError):
    """The result does not follow from the payment's status (e.g. unclaimed twice)."""

    code = "INVALID_TRANSITION"
    field = "status"


class PaymentHeld(PaymentError):
    """A held payment (dead account holder) is never paid: change the head and account first."""

    code = "PAYMENT_HELD"
    field = "id"


class PaymentVersionConflict(PaymentError):
    code = "VERSION_CONFLICT"
    field = "expectedVersion"


class PaymentRunFailed(PaymentError):
    """The database refused part of a run: everything was rolled back, nothing written."""

    code = "RUN_FAILED"


# -- months ------------------------------------------------------------------------------------


def parse_month(text: str, field_name: str = "month") -> dt.date:
    """The first day of month ``text`` ("YYYY-MM"); INVALID_INPUT otherwise."""
    m = _MONTH.fullmatch(str(text).strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise InvalidInput(f"{field_name}: '{text}' is not a month; use YYYY-MM (e.g. 2024-03)")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def month_text(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def month_index(text: str) -> int:
    """Months since year 0 of "YYYY-MM" (adjacent months differ by 1)."""
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def yuan_to_fen(amount: Decimal) -> int:
    return int((amount.quantize(CENT) * 100).to_integral_value())


def fen_to_yuan(fen: int) -> str:
    """Fen as yuan text with 2 decimals ("300.00")."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def cite(t: TraceEntry) -> str:
    """A short citation of a traced parameter: "path = value (document section)"."""
    if not t.is_set:
        return f"{t.path} is not set"
    where = ""
    if t.source is not None:
        doc = t.source.document
        where = " ".join(x for x in (doc.number or doc.title, t.source.section) if x)
    return f"{t.path} = {t.value}" + (f" ({where})" if where else "")


# -- which cases are paid ----------------------------------------------------------------------


class SkipReason(StrEnum):
    NOT_MONTHLY = "not_monthly"  # temporary assistance: one-off
    NOT_IN_PAYMENT = "not_in_payment"  # not confirmed (accepted, in publicity, rejected ...)
    NOT_STARTED = "not_started"  # benefitFrom after the month
    ENDED = "ended"  # after exit.lastMonth or phaseOut.lastMonth
    DIED = "died"  # everyone the case covers died before the month
    NO_AMOUNT = "no_amount"  # no amount in effect for the month


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a run reads of a stored case."""

    id: int
    household_id: int
    program: str
    county: str
    state: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Payee:
    """Who the money goes to: the household's payment account, else its head (no account)."""

    name: str | None
    id_number: str | None
    bank: str | None
    account_number: str | None
    kind: str  # "account", "head" or "none"


@dataclass(frozen=True, slots=True)
class MonthPolicy:
    """The payment parameters of one county for one month (resolved on its first day)."""

    county: str
    month: dt.date
    due_date: dt.date | None
    due_day: TraceEntry
    deceased_head_update: TraceEntry
    key: str = ""  # "YYYY-MM" of month (computed once per run, not per case)
    day: str = ""  # month's first day as ISO text
    not_set: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    case_id: int
    household_id: int
    program: str
    county: str
    month: str
    amount: Decimal
    amount_from: dt.date
    due_date: dt.date | None
    status: str  # "pending" or "held"
    hold_reason: str | None
    payee: Payee
    not_set: tuple[str, ...] = ()
    payee_died_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    case_id: int
    reason: SkipReason
    detail: str


def month_policy(policy: ResolvedPolicy, month: dt.date) -> MonthPolicy:
    """The payment parameters of ``policy`` (resolved at a county on ``month``'s first day)."""
    if policy.as_of != month:
        raise InvalidInput(
            f"the policy is resolved on {policy.as_of.isoformat()}, not on {month.isoformat()}"
        )
    due = policy.get(P_DUE_DAY)
    due_date = None
    if due.value is not None:
        last = month_end(month)
        due_date = month.replace(day=min(int(due.value), last.day))
    return MonthPolicy(
        county=policy.jurisdiction.code,
        month=month,
        due_date=due_date,
        due_day=trace_entry(due),
        deceased_head_update=trace_entry(policy.get(P_DECEASED)),
        key=month_text(month),
        day=month.isoformat(),
        not_set=() if due_date is not None else (P_DUE_DAY,),
    )


def _norm_id(text: Any) -> str:
    return "".join(str(text).split()).upper()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def amount_for_month(data: Mapping[str, Any], month: dt.date) -> tuple[Decimal, dt.date] | None:
    """The monthly amount in effect on ``month`` (a first day) and the day it applies from.

    ``amounts`` (ascending ``{"from", "amount"}``) when the case has it: the last entry from
    on or before the month. Otherwise ``amount`` from ``benefitFrom``; if the case records a
    later ``amountFrom`` (a review changed the amount) the amount before it is not known and
    None is returned rather than a wrong figure.
    """
    return _amount(data, month, month.isoformat())


def _amount(data: Mapping[str, Any], month: dt.date, day: str) -> tuple[Decimal, dt.date] | None:
    entries = data.get("amounts")
    if entries:
        found = None
        for e in entries:
            if str(e["from"]) <= day:
                found = e
            else:
                break
        if found is None or found.get("amount") is None:
            return None
        return Decimal(str(found["amount"])), dt.date.fromisoformat(str(found["from"])[:10])
    amount = data.get("amount")
    start = _date(data.get("benefitFrom"))
    if amount is None or start is None:
        return None
    changed = _date(data.get("amountFrom"))
    if changed is not None and changed > start:
        if month < changed:
            return None
        start = changed
    return Decimal(str(amount)), start


def deaths_of(household: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, dt.date]:
    """ID number → date of death, from the household's members and the case's recorded deaths
    (the earlier date where both say)."""
    out: dict[str, dt.date] = {}
    for d in data.get("deaths") or ():
        on = _date(d.get("on"))
        if on is not None and d.get("idNumber"):
            out[_norm_id(d["idNumber"])] = on
    for m in (household or {}).get("members") or ():
        died = m.get("dateOfDeath")
        if died and m.get("idNumber"):
            on = dt.date.fromisoformat(str(died)[:10])
            key = _norm_id(m["idNumber"])
            out[key] = min(on, out.get(key, on))
    return out


def payee_of(household: Mapping[str, Any] | None) -> Payee:
    """The household's ``paymentAccount`` holder, else its head (with no bank account)."""
    doc = household or {}
    account = doc.get("paymentAccount")
    if account:
        holder = account.get("holderIdNumber")
        return Payee(
            name=_text(account.get("holderName")),
            id_number=_norm_id(holder) if holder else None,
            bank=_text(account.get("bank")),
            account_number=_text(account.get("accountNumber")),
            kind="account",
        )
    for m in doc.get("members") or ():
        if m.get("relation") == "head":
            return Payee(_text(m.get("name")), _norm_id(m.get("idNumber", "")), None, None, "head")
    return Payee(None, None, None, None, "none")


# The longest payee fields stored (the columns of core.storage.tables).
PAYEE_LIMITS = {"name": 200, "id_number": 18, "bank": 200, "account_number": 64}


def payee_problem(payee: Payee) -> str | None:
    """Why the payee's data cannot be stored and sent to the bank, or None."""
    values = (payee.name, payee.id_number, payee.bank, payee.account_number)
    for (name, limit), value in zip(PAYEE_LIMITS.items(), values, strict=True):
        if value is not None and len(value) > limit:
            return f"{name.replace('_', ' ')} is longer than {limit} characters"
    return None


def plan_payment(
    case: CaseFacts,
    household: Mapping[str, Any] | None,
    policy: MonthPolicy,
    run_on: dt.date,
) -> PlannedPayment | Skipped:
    """The payment of ``case`` for ``policy.month`` (created on ``run_on``), or why there is none.

    ``household`` is the stored household document (members with ``dateOfDeath``, and
    ``paymentAccount`` when recorded).
    """
    month = policy.month
    key = policy.key or month_text(month)
    data = case.data
    if case.program not in MONTHLY_PROGRAMS:
        return Skipped(case.id, SkipReason.NOT_MONTHLY, f"{case.program} is paid once, not monthly")
    start = _date(data.get("benefitFrom"))
    if case.state not in PAYABLE_STATES or start is None:
        return Skipped(case.id, SkipReason.NOT_IN_PAYMENT, f"the case is {case.state}")
    if start > month:
        return Skipped(case.id, SkipReason.NOT_STARTED, f"paid from {start.isoformat()}")
    last: str | None = None
    for what in ("exit", "phaseOut"):
        lm = (data.get(what) or {}).get("lastMonth")
        if lm is not None and (last is None or lm < last):
            last = str(lm)
    if last is not None and key > last:
        return Skipped(case.id, SkipReason.ENDED, f"last paid month {last}")
    deaths = deaths_of(household, data)
    if deaths:  # (most households: nobody died, nothing to compare)
        covered = [_norm_id(m) for m in data.get("membersCovered") or ()]
        if covered and all(c in deaths and deaths[c] < month for c in covered):
            died = max(deaths[c] for c in covered)
            return Skipped(
                case.id,
                SkipReason.DIED,
                f"everyone the case covers died (last on {died.isoformat()})",
            )
    found = _amount(data, month, policy.day or month.isoformat())
    if found is None or found[0] <= 0:
        return Skipped(case.id, SkipReason.NO_AMOUNT, f"no amount in effect on {month}")
    amount, amount_from = found
    amount = amount.quantize(CENT)
    payee = payee_of(household)
    status, reason, died_on = "pending", None, None
    problem = payee_problem(payee)
    if problem is not None:
        status, reason = "held", f"the payment account cannot be used: {problem}"
    elif payee.id_number is not None:
        died_on = deaths.get(payee.id_number)
        if died_on is not None and died_on <= run_on:
            status = "held"
            who = "account holder" if payee.kind == "account" else "head of household"
            reason = (
                f"the {who} {payee.name or ''} ({payee.id_number}) died on {died_on.isoformat()}: "
                "a dead person's account is never paid; change the head of household and the "
                f"bank account first ({cite(policy.deceased_head_update)})"
            )
        else:
            died_on = None
    if status == "pending" and payee.kind != "account":
        # the bank's batch needs an account: never export a row without one
        status = "held"
        reason = (
            "no payment account (一卡通) is recorded for the household: record its "
            "paymentAccount (holder, bank, account number), then run the month again"
        )
    return PlannedPayment(
        case_id=case.id,
        household_id=case.household_id,
        program=case.program,
        county=case.county,
        month=key,
        amount=amount,
        amount_from=amount_from,
        due_date=policy.due_date,
        status=status,
        hold_reason=reason,
        payee=payee,
        not_set=policy.not_set,
        payee_died_on=died_on,
    )


# -- results -----------------------------------------------------------------------------------

# Which result may follow which status. failed and returned: the money is not with the person,
# so the next result is a new attempt (a repayment); paid and unclaimed: the same money.
_NEXT: dict[str, frozenset[str]] = {
    "pending": frozenset(RESULT_STATUSES),
    "failed": frozenset(RESULT_STATUSES),
    "returned": frozenset({"paid", "failed", "unclaimed"}),
    "paid": frozenset({"returned", "unclaimed"}),
    "unclaimed": frozenset({"paid", "returned"}),
    "held": frozenset(),
}
_NEW_ATTEMPT = frozenset({"failed", "returned"})


def next_attempt(status: str, attempt: int, result: str) -> int:
    """The attempt a ``result`` reported for a payment in ``status`` belongs to (refused with
    INVALID_TRANSITION, or PAYMENT_HELD for a held payment)."""
    if result not in RESULT_STATUSES:
        raise InvalidInput(f"status: one of {', '.join(RESULT_STATUSES)}, not {result!r}")
    if status == "held":
        raise PaymentHeld(
            "this payment is held (its account holder died, or the household has no payment "
            "account): it is never paid as it is; record the living head and the bank account "
            "(paymentAccount), then run the month again"
        )
    if result not in _NEXT[status]:
        allowed = ", ".join(sorted(_NEXT[status]))
        raise InvalidPaymentTransition(
            f"a {status} payment cannot be reported {result} (possible: {allowed})"
        )
    return attempt + 1 if status in _NEW_ATTEMPT else attempt


def repay_by(month: dt.date, failed_on: dt.date, param: TraceEntry) -> dt.date | None:
    """When a payment of ``month`` reported failed on ``failed_on`` must be paid again, from
    ``payments.failed_repay_by`` (None when not set)."""
    if not param.is_set:
        return None
    if param.value == "month_end":
        return max(month_end(month), month_end(failed_on))
    raise InvalidInput(f"{P_REPAY_BY}: unknown value {param.value!r}")  # the catalog's enum


# -- alerts ------------------------------------------------------------------------------------


class AlertKind(StrEnum):
    UNCLAIMED_REMINDER = "unclaimed_reminder"  # 提醒
    UNCLAIMED_INVESTIGATION = "unclaimed_investigation"  # 分析研判, 限时整改
    REPAYMENT_OVERDUE = "repayment_overdue"  # failed, not repaid by the repay date
    HEAD_CHANGE_OVERDUE = "head_change_overdue"  # dead holder not replaced in time


@dataclass(frozen=True, slots=True)
class ResultView:
    status: str
    on: dt.date
    repay_by: dt.date | None


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A stored payment with its results, for alerts."""

    id: int
    case_id: int
    county: str
    month: str
    status_at_creation: str  # "pending" or "held"
    results: tuple[ResultView, ...] = ()
    payee_died_on: dt.date | None = None

    def status_on(self, day: dt.date) -> tuple[str, dt.date | None]:
        """(status, repay-by) on ``day`` from the results reported by then."""
        status, due = self.status_at_creation, None
        for r in self.results:
            if r.on <= day:
                status, due = r.status, r.repay_by
        return status, due


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    county: str
    case_id: int
    payment_ids: tuple[int, ...]
    months: tuple[str, ...]
    message: str
    parameter: TraceEntry
    due: dt.date | None = None


@dataclass(frozen=True, slots=True)
class AlertReport:
    as_of: dt.date
    alerts: tuple[Alert, ...]
    # (county, path): a rule that could not be checked because the parameter is not set there
    not_set: tuple[tuple[str, str], ...] = field(default=())


def payment_alerts(
    payments: Iterable[PaymentView], policies: Mapping[str, ResolvedPolicy], as_of: dt.date
) -> AlertReport:
    """Alerts on ``as_of`` (the ``policies`` are resolved at each county on ``as_of``).

    Unclaimed: per case, the run of consecutive months (no gap) reported unclaimed ending at the
    newest month with a result (newer months still pending or held are passed over): at least
    the investigation months → investigation (半年以上(含半年)), else more than the reminder
    months → reminder (超过…2个月未领取: from the third month).
    """
    now = month_text(as_of)
    by_case: dict[int, list[PaymentView]] = defaultdict(list)
    for p in payments:
        if p.month <= now:
            by_case[p.case_id].append(p)
    alerts: list[Alert] = []
    not_set: set[tuple[str, str]] = set()

    def param(county: str, path: str) -> TraceEntry:
        t = trace_entry(policies[county].get(path))
        if not t.is_set:
            not_set.add((county, path))
        return t

    for case_id in sorted(by_case):
        rows = sorted(by_case[case_id], key=lambda p: p.month)
        county = rows[-1].county
        states = [(p, *p.status_on(as_of)) for p in rows]
        # repayment overdue
        for p, status, due in states:
            if status == "failed":
                t = param(p.county, P_REPAY_BY)
                if due is not None and due < as_of:
                    message = (
                        f"the {p.month} payment failed and was not paid again by "
                        f"{due.isoformat()} ({cite(t)})"
                    )
                    alerts.append(
                        Alert(
                            AlertKind.REPAYMENT_OVERDUE,
                            p.county,
                            case_id,
                            (p.id,),
                            (p.month,),
                            message,
                            t,
                            due,
                        )
                    )
        # unclaimed run
        i = len(states) - 1
        while i >= 0 and states[i][1] in ("pending", "held"):
            i -= 1
        run: list[PaymentView] = []
        while i >= 0 and states[i][1] == "unclaimed":
            if run and month_index(run[-1].month) - month_index(states[i][0].month) != 1:
                break
            run.append(states[i][0])
            i -= 1
        if run:
            run.reverse()
            remind, investigate = param(county, P_REMIND), param(county, P_INVESTIGATE)
            n = len(run)
            chosen: tuple[AlertKind, TraceEntry] | None = None
            if investigate.is_set and n >= int(investigate.value):
                chosen = (AlertKind.UNCLAIMED_INVESTIGATION, investigate)
            # "超过…2个月未领取…提醒": more than the months; "半年以上(含半年)": at least
            elif remind.is_set and n > int(remind.value):
                chosen = (AlertKind.UNCLAIMED_REMINDER, remind)
            if chosen is not None:
                kind, t = chosen
                what = "investigate" if kind is AlertKind.UNCLAIMED_INVESTIGATION else "remind"
                message = (
                    f"unclaimed for {n} consecutive month{'s' if n != 1 else ''} "
                    f"({run[0].month}..{run[-1].month}): {what} ({cite(t)})"
                )
                ids = tuple(p.id for p in run)
                months = tuple(p.month for p in run)
                alerts.append(Alert(kind, county, case_id, ids, months, message, t))
        # a dead holder not replaced in time: the newest month still held for it
        held = [p for p, status, _ in states if status == "held" and p.payee_died_on is not None]
        if held:
            p = held[-1]
            t = param(p.county, P_DECEASED)
            died = p.payee_died_on
            if t.is_set and died is not None:
                deadline = month_end(add_months(died.replace(day=1), int(t.value)))
                if deadline < as_of:
                    message = (
                        f"the account holder died on {died.isoformat()}; the head and the "
                        f"bank account were to change by {deadline.isoformat()} ({cite(t)}): "
                        f"{len(held)} payment{'s' if len(held) != 1 else ''} held"
                    )
                    ids = tuple(x.id for x in held)
                    months = tuple(x.month for x in held)
                    alerts.append(
                        Alert(
                            AlertKind.HEAD_CHANGE_OVERDUE,
                            p.county,
                            case_id,
                            ids,
                            months,
                            message,
                            t,
                            deadline,
                        )
                    )
    return AlertReport(as_of, tuple(alerts), tuple(sorted(not_set)))


# -- the bank's batch file -----------------------------------------------------------------------

# (Chinese header, English meaning)
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("序号", "No."),
    ("户主/账户姓名", "account holder's name (the head of household without an account)"),
    ("身份证号", "resident ID number"),
    ("开户银行", "bank"),
    ("账号", "account number"),
    ("金额(元)", "amount, yuan, 2 decimals"),
    ("月份", "month, YYYY-MM"),
    ("项目", "program"),
    ("案件编号", "case number"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class CsvRow:
    payee_name: str | None
    payee_id_number: str | None
    bank: str | None
    account_number: str | None
    amount_fen: int
    month: str
    program: str
    case_id: int


def safe_cell(value: Any) -> str:
    """A cell that a spreadsheet never runs as a formula: text starting with = + - @ (or a tab
    or carriage return) gets a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def bank_csv(rows: Sequence[CsvRow]) -> str:
    """The batch file for the bank (一卡通): UTF-8 text starting with a byte-order mark (so
    Excel in China opens it as UTF-8), CRLF lines, a header of Chinese column names
    (:data:`CSV_COLUMNS`), one row per payment, amounts with 2 decimals."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh for zh, _ in CSV_COLUMNS])
    for n, r in enumerate(rows, start=1):
        writer.writerow(
            [
                str(n),
                safe_cell(r.payee_name),
                safe_cell(r.payee_id_number),
                safe_cell(r.bank),
                safe_cell(r.account_number),
                fen_to_yuan(r.amount_fen),
                r.month,
                PROGRAM_NAMES_ZH.get(r.program, safe_cell(r.program)),
                str(r.case_id),
            ]
        )
    return out.getvalue()


__all__ = [
    "CSV_COLUMNS",
    "MONTHLY_PROGRAMS",
    "PAYABLE_STATES",
    "PAYMENT_STATUSES",
    "P_DECEASED",
    "P_DUE_DAY",
    "P_INVESTIGATE",
    "P_REMIND",
    "P_REPAY_BY",
    "RESULT_STATUSES",
    "TO_BE_PAID",
    "Alert",
    "AlertKind",
    "AlertReport",
    "CaseFacts",
    "CsvRow",
    "InvalidPaymentTransition",
    "MonthPolicy",
    "Payee",
    "PaymentError",
    "PaymentHeld",
    "PaymentNotFound",
    "PaymentRunFailed",
    "PaymentVersionConflict",
    "PaymentView",
    "PlannedPayment",
    "ResultView",
    "SkipReason",
    "Skipped",
    "amount_for_month",
    "bank_csv",
    "cite",
    "deaths_of",
    "fen_to_yuan",
    "month_end",
    "month_index",
    "month_policy",
    "month_text",
    "next_attempt",
    "parse_month",
    "payee_of",
    "payee_problem",
    "payment_alerts",
    "plan_payment",
    "repay_by",
    "safe_cell",
    "yuan_to_fen",
]
