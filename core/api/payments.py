"""GraphQL: payments (wired into :mod:`core.api.schema` by inheritance).

Mutations ``runPayments`` and ``recordPaymentResult`` answer ``userErrors`` (INVALID_INPUT,
FORBIDDEN, UNAUTHENTICATED, NOT_FOUND, INVALID_TRANSITION, PAYMENT_HELD, VERSION_CONFLICT,
RUN_FAILED) and write nothing when refused; queries ``payment``, ``payments``, ``paymentRun``,
``paymentAlerts`` and ``paymentsCsv`` answer refusals as GraphQL errors with
``extensions.code``. Everything needs a token and is never cached. The rules are those of
:mod:`core.payments.rules`; storage is :mod:`core.payments.store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from core.access.roles import User
from core.api.cases import CaseType
from core.api.common import Info, PageInfo, UserError
from core.api.context import Context
from core.api.households import Household
from core.api.policy import Jurisdiction, TraceEntry
from core.eligibility.json import trace_to_json
from core.errors import DoudiError, InvalidInput
from core.payments import rules as pay
from core.payments import store
from core.policy.service import today
from core.storage.cursors import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_PAGE = 50
MAX_PAGE = 100
ALERTS_ESTIMATE = 500

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("PaymentConnection", "edges"): MAX_PAGE,
    ("PaymentAlertReport", "alerts"): ALERTS_ESTIMATE,
    ("PaymentRunResult", "policy"): 40,
}

T = TypeVar("T")


@strawberry.enum(description="Where a payment stands.")
class PaymentStatus(Enum):
    PENDING = "pending"  # to be paid (in the bank's batch)
    HELD = "held"  # never paid: no payment account, or its holder (or the head) died
    PAID = "paid"
    FAILED = "failed"  # 发放失败: to be paid again by the repay date
    RETURNED = "returned"  # 退回
    UNCLAIMED = "unclaimed"  # 未领取: paid into the account, not collected


@strawberry.enum(description="What the bank reported for a payment.")
class PaymentResultStatus(Enum):
    PAID = "paid"
    FAILED = "failed"
    RETURNED = "returned"
    UNCLAIMED = "unclaimed"


strawberry.enum(
    pay.AlertKind,
    name="PaymentAlertKind",
    description="unclaimed_reminder, unclaimed_investigation (unclaimed for the policy's "
    "months), repayment_overdue (failed, not paid again by the repay date), "
    "head_change_overdue (a dead account holder not replaced in time).",
)


def _trace(data: dict[str, Any]) -> TraceEntry:
    return TraceEntry.from_json(data)


def payment_id(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    raise pay.PaymentNotFound(f"no payment with id {raw!r}")


def _yuan(fen: int) -> float:
    return float(pay.fen_to_yuan(fen))


# -- types ---------------------------------------------------------------------------------------


@strawberry.type(
    name="PaymentResult",
    description="One result reported for a payment (never changed). attempt 1 is the first "
    "payment; a result after a failed or returned one is a new attempt (a repayment).",
)
class PaymentResultType:
    seq: int
    attempt: int
    status: PaymentResultStatus
    on: dt.date = strawberry.field(description="The day the bank reported it.")
    note: str | None
    repay_by: dt.date | None = strawberry.field(
        description="failed: the day it must be paid again by (payments.failed_repay_by)."
    )
    recorded_by: str
    at: dt.datetime = strawberry.field(description="When it was recorded (UTC).")


@strawberry.type(
    name="Payment",
    description="One monthly payment of a dibao or tekun case (temporary assistance is one-off "
    "and never in a monthly run). Money is yuan. A phase-out (渐退期) month is paid at the "
    "case's amount: no catalog path sets a reduced phase-out amount.",
)
class PaymentType:
    id: strawberry.ID
    version: int = strawberry.field(description="Pass as expectedVersion (optional).")
    case_id: strawberry.ID
    household_id: strawberry.ID
    program: str
    month: str = strawberry.field(description="YYYY-MM.")
    amount: float = strawberry.field(description="Yuan, to the fen.")
    amount_from: dt.date | None = strawberry.field(
        description="The day the case's amount used took effect."
    )
    due_date: dt.date | None = strawberry.field(
        description="payments.monthly_due_day of the month at the county; null where it is not "
        "set (see notSet) — never a default day."
    )
    not_set: list[str] = strawberry.field(
        description="Parameters this payment needed that are not set at its county."
    )
    status: PaymentStatus
    attempt: int
    repay_by: dt.date | None = strawberry.field(
        description="While failed: the day it must be paid again by."
    )
    hold_reason: str | None = strawberry.field(description="Why a held payment is not paid.")
    payee_name: str | None = strawberry.field(
        description="The account holder (the head of household without a recorded account)."
    )
    payee_id_number: str | None
    bank: str | None
    account_number: str | None
    created_at: dt.datetime
    results: list[PaymentResultType]
    county_code: strawberry.Private[str]

    @classmethod
    def of(cls, r: store.PaymentRecord) -> PaymentType:
        amount_from = r.document.get("amountFrom")
        return cls(
            id=strawberry.ID(str(r.id)),
            version=r.version,
            case_id=strawberry.ID(str(r.case_id)),
            household_id=strawberry.ID(str(r.household_id)),
            program=r.program,
            month=r.month,
            amount=_yuan(r.amount_fen),
            amount_from=dt.date.fromisoformat(amount_from) if amount_from else None,
            due_date=r.due_date,
            not_set=list(r.not_set),
            status=PaymentStatus(r.status),
            attempt=r.attempt,
            repay_by=r.repay_by,
            hold_reason=r.hold_reason,
            payee_name=r.payee.name,
            payee_id_number=r.payee.id_number,
            bank=r.payee.bank,
            account_number=r.payee.account_number,
            created_at=r.created_at,
            results=[
                PaymentResultType(
                    seq=x.seq,
                    attempt=x.attempt,
                    status=PaymentResultStatus(x.status),
                    on=x.on,
                    note=x.note,
                    repay_by=x.repay_by,
                    recorded_by=x.user_name,
                    at=x.at,
                )
                for x in r.results
            ],
            county_code=r.county,
        )

    @strawberry.field(description="The county of the case.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @strawberry.field(name="case", description="The case paid (token required).")
    async def case_(self, info: Info) -> CaseType:
        return CaseType.of(await info.context.loaders.cases.load(int(self.case_id)))

    @strawberry.field(description="The household paid, as stored now (token required).")
    async def household(self, info: Info) -> Household:
        context = info.context
        record = await context.loaders.households.load(int(self.household_id))
        return Household.of(record, context.base.registry, await context.user())


@strawberry.type(description="One payment in a list, with its cursor.")
class PaymentEdge:
    cursor: str
    node: PaymentType


@strawberry.type(description="A page of payments, oldest first (Relay connection).")
class PaymentConnection:
    edges: list[PaymentEdge]
    page_info: PageInfo


@strawberry.type(description="How many cases a run passed over, and why.")
class SkippedCount:
    reason: str = strawberry.field(
        description="not_started (paid from a later month), ended (after the last paid month: "
        "exit or phase-out), died (everyone covered died before the month), no_amount, "
        "not_in_payment."
    )
    count: int


@strawberry.type(description="A parameter not set at a county.")
class NotSetParameter:
    county: str
    path: str


@strawberry.type(description="The payment parameters a run used at one county, with sources.")
class CountyPolicy:
    county: str
    parameters: list[TraceEntry]


@strawberry.type(
    name="PaymentRunResult",
    description="What a run did: payments created now and already there (running a month again "
    "creates nothing new), held ones among those created, the amount created, the cases passed "
    "over, and the parameters used or not set.",
)
class PaymentRunResult:
    jurisdiction: str
    month: str
    on: dt.date = strawberry.field(description="The run date (deaths known by then hold).")
    created: int
    already_there: int
    held: int
    created_total: float = strawberry.field(description="Yuan created by this run.")
    released: int = strawberry.field(
        description="Held payments of the month whose household now has a living payee (head "
        "and account changed): pending again, to the new payee (the old one is kept in the "
        "payment's history)."
    )
    skipped: list[SkippedCount]
    not_set: list[NotSetParameter] = strawberry.field(
        description="Counties where payments.monthly_due_day is not set: their payments have no "
        "due date."
    )
    policy: list[CountyPolicy]


@strawberry.type(description="The run's result, or userErrors (nothing written).")
class RunPaymentsPayload:
    run: PaymentRunResult | None
    user_errors: list[UserError]


@strawberry.type(description="The payment after the result, or userErrors (nothing written).")
class PaymentPayload:
    payment: PaymentType | None
    user_errors: list[UserError]


@strawberry.type(description="Payments of one status: how many and how much.")
class PaymentStatusTotal:
    status: PaymentStatus
    count: int
    total: float


@strawberry.type(description="One recorded run (runs that created nothing are not kept).")
class PaymentRunRecord:
    id: strawberry.ID
    jurisdiction: str
    at: dt.datetime
    by: str
    created: int
    already_there: int


@strawberry.type(description="A month's payments at a jurisdiction and under it.")
class PaymentRunSummary:
    jurisdiction: str
    month: str
    count: int
    total: float = strawberry.field(description="Yuan, every status included.")
    by_status: list[PaymentStatusTotal]
    runs: list[PaymentRunRecord]


@strawberry.type(description="Something to act on, with the parameter (and its source) behind it.")
class PaymentAlert:
    kind: pay.AlertKind
    county: str
    case_id: strawberry.ID
    payment_ids: list[strawberry.ID]
    months: list[str]
    message: str
    due: dt.date | None = strawberry.field(
        description="repayment_overdue: the repay date; head_change_overdue: the deadline."
    )
    parameter: TraceEntry


@strawberry.type(description="Payment alerts on a day, and the rules that could not be checked.")
class PaymentAlertReport:
    as_of: dt.date
    alerts: list[PaymentAlert]
    not_set: list[NotSetParameter] = strawberry.field(
        description="Parameters not set at a county: their rule was not checked there."
    )


# -- resolvers -----------------------------------------------------------------------------------


def _day(on: dt.date | None) -> dt.date:
    return store.check_day(on or today())


async def _read(context: Context, work: Callable[[Session, User], T]) -> T:
    context.mark_private()
    user = await context.user()
    return await context.in_session(lambda s: work(s, user))


def _errors(exc: DoudiError, field: str | None) -> list[UserError]:
    return [
        UserError(field=getattr(exc, "field", None) or field, message=exc.message, code=exc.code)
    ]


def _input_field(exc: DoudiError, default: str | None) -> str | None:
    if exc.code != "INVALID_INPUT":
        return getattr(exc, "field", None) or default
    head = exc.message.split(":", 1)[0]
    return head if head in ("month", "on", "status") else default


async def run_payments(
    context: Context, jurisdiction: str, month: str, on: dt.date | None
) -> RunPaymentsPayload:
    context.mark_private()
    base = context.base
    try:
        user = await context.user()
        report = await context.in_session(
            lambda s: store.run_payments(s, base, user, jurisdiction, month, _day(on))
        )
    except DoudiError as exc:
        field = _input_field(exc, "jurisdiction" if exc.code != "RUN_FAILED" else None)
        return RunPaymentsPayload(run=None, user_errors=_errors(exc, field))
    run = PaymentRunResult(
        jurisdiction=report.jurisdiction,
        month=report.month,
        on=report.on,
        created=report.created,
        already_there=report.already_there,
        held=report.held,
        created_total=_yuan(report.created_fen),
        released=report.released,
        skipped=[SkippedCount(reason=k, count=v) for k, v in report.skipped.items()],
        not_set=[NotSetParameter(county=c, path=p) for c, p in report.not_set],
        policy=[
            CountyPolicy(county=c, parameters=[_trace(t) for t in traces])
            for c, traces in report.policy.items()
        ],
    )
    return RunPaymentsPayload(run=run, user_errors=[])


async def record_payment_result(
    context: Context,
    id: str,
    status: PaymentResultStatus,
    on: dt.date | None,
    note: str | None,
    expected_version: int | None,
) -> PaymentPayload:
    context.mark_private()
    base = context.base
    try:
        user = await context.user()
        pid = payment_id(id)
        record = await context.in_session(
            lambda s: store.record_payment_result(
                s, base, user, pid, status.value, _day(on), note, expected_version
            )
        )
    except DoudiError as exc:
        return PaymentPayload(payment=None, user_errors=_errors(exc, _input_field(exc, "id")))
    return PaymentPayload(payment=PaymentType.of(record), user_errors=[])


async def list_payments(
    context: Context,
    jurisdiction: str,
    month: str | None,
    status: PaymentStatus | None,
    first: int,
    after: str | None,
) -> PaymentConnection:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    after_id = None if after is None else decode_cursor("payment", after)
    registry = context.base.registry
    found, more = await _read(
        context,
        lambda s, user: store.list_payments(
            s,
            user,
            jurisdiction,
            registry,
            month=month,
            status=None if status is None else status.value,
            first=first,
            after_id=after_id,
        ),
    )
    edges = [
        PaymentEdge(cursor=encode_cursor("payment", p.id), node=PaymentType.of(p)) for p in found
    ]
    return PaymentConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


# -- root fields ---------------------------------------------------------------------------------


@strawberry.type
class PaymentQuery:
    @strawberry.field(description="A payment by id, with every result (token required).")
    async def payment(self, info: Info, id: strawberry.ID) -> PaymentType:
        registry = info.context.base.registry
        pid = payment_id(id)
        found = await _read(info.context, lambda s, u: store.get_payment(s, u, pid, registry))
        return PaymentType.of(found)

    @strawberry.field(
        description="Payments at a jurisdiction and under it, oldest first, at most 100 a page, "
        "optionally of one month (YYYY-MM) and status (token required)."
    )
    async def payments(
        self,
        info: Info,
        jurisdiction: str,
        month: str | None = None,
        status: PaymentStatus | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> PaymentConnection:
        page = DEFAULT_PAGE if first is None else first
        return await list_payments(info.context, jurisdiction, month, status, page, after)

    @strawberry.field(
        description="A month's payments at a jurisdiction and under it: count, total, by status, "
        "and the runs that created them (token required)."
    )
    async def payment_run(self, info: Info, jurisdiction: str, month: str) -> PaymentRunSummary:
        registry = info.context.base.registry
        s_ = await _read(
            info.context, lambda s, u: store.run_summary(s, u, jurisdiction, month, registry)
        )
        return PaymentRunSummary(
            jurisdiction=s_.jurisdiction,
            month=s_.month,
            count=s_.count,
            total=_yuan(s_.total_fen),
            by_status=[
                PaymentStatusTotal(
                    status=PaymentStatus(x.status), count=x.count, total=_yuan(x.total_fen)
                )
                for x in s_.by_status
            ],
            runs=[
                PaymentRunRecord(
                    id=strawberry.ID(str(r.id)),
                    jurisdiction=r.jurisdiction,
                    at=r.at,
                    by=r.user_name,
                    created=r.created,
                    already_there=r.existing,
                )
                for r in s_.runs
            ],
        )

    @strawberry.field(
        description="Payment alerts at a jurisdiction and under it on a day (default today in "
        "China): unclaimed for payments.unclaimed_reminder_months consecutive months (reminder) "
        "or payments.unclaimed_investigation_months (investigation), failed payments not paid "
        "again by their repay date, dead account holders not replaced within "
        "payments.deceased_head_update_months; each with its parameter and source."
    )
    async def payment_alerts(
        self, info: Info, jurisdiction: str, as_of: dt.date | None = None
    ) -> PaymentAlertReport:
        base = info.context.base
        day = as_of or today()
        report = await _read(
            info.context, lambda s, u: store.payment_alerts(s, base, u, jurisdiction, day)
        )
        return PaymentAlertReport(
            as_of=report.as_of,
            alerts=[
                PaymentAlert(
                    kind=a.kind,
                    county=a.county,
                    case_id=strawberry.ID(str(a.case_id)),
                    payment_ids=[strawberry.ID(str(i)) for i in a.payment_ids],
                    months=list(a.months),
                    message=a.message,
                    due=a.due,
                    parameter=_trace(trace_to_json(a.parameter)),
                )
                for a in report.alerts
            ],
            not_set=[NotSetParameter(county=c, path=p) for c, p in report.not_set],
        )

    @strawberry.field(
        description="The bank's batch (一卡通) for a month at a jurisdiction and under it: CSV, "
        "UTF-8 starting with a byte-order mark, header 序号 (No.), 户主/账户姓名 (account "
        "holder), 身份证号 (ID number), 开户银行 (bank), 账号 (account number), 金额(元) "
        "(amount, yuan, 2 decimals), 月份 (month), 项目 (program), 案件编号 (case number). "
        "Pending payments and failed ones awaiting repayment; never held ones. Cells that a "
        "spreadsheet would run as a formula start with an apostrophe (token required)."
    )
    async def payments_csv(self, info: Info, jurisdiction: str, month: str) -> str:
        registry = info.context.base.registry
        found = await _read(
            info.context,
            lambda s, u: store.payments_to_pay(s, u, jurisdiction, month, registry),
        )
        return store.bank_csv(found)


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        description="Create a month's payments (YYYY-MM) of every payable dibao and tekun case at "
        "a jurisdiction and under it (county civil-affairs approvers and above). The amount is "
        "the case's for that month; due by payments.monthly_due_day. A payment whose account "
        "holder (or head, without an account) is dead on the run date is held. Idempotent: "
        "running a month again creates nothing new; it only releases held payments whose head "
        "and account were changed since. All or nothing: a failure writes nothing "
        "(RUN_FAILED). on: the run date (default today in China)."
    )
    async def run_payments(
        self, info: Info, jurisdiction: str, month: str, on: dt.date | None = None
    ) -> RunPaymentsPayload:
        return await run_payments(info.context, jurisdiction, month, on)

    @strawberry.mutation(
        description="Record what the bank reported for a payment: paid, failed (发放失败: paid "
        "again by payments.failed_repay_by), returned or unclaimed (未领取). A result after a "
        "failed or returned one is a new attempt; every result is kept. Township officers and "
        "above. on: the day reported (default today in China)."
    )
    async def record_payment_result(
        self,
        info: Info,
        id: strawberry.ID,
        status: PaymentResultStatus,
        on: dt.date | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> PaymentPayload:
        return await record_payment_result(info.context, id, status, on, note, expected_version)


__all__ = [
    "LIST_SIZES",
    "PaymentConnection",
    "PaymentMutation",
    "PaymentQuery",
    "PaymentType",
]
