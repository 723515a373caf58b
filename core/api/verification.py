"""GraphQL: verification (核对) of a case's household and the low-income register (wired into
:mod:`core.api.schema`). Storage: :mod:`core.verification.store`, :mod:`core.lowincome.store`.
Mutations answer expected failures as ``userErrors`` and write nothing then."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from core.api.common import Info, UserError, database_id, user_errors
from core.errors import DoudiError, InvalidInput
from core.exchange.installed import data_kinds, low_income_categories, verification_adapters
from core.lowincome import store as li_store
from core.lowincome.model import Entry
from core.policy.service import today
from core.verification import store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _id(raw: str, what: str) -> int:
    found = database_id(raw)
    if found is None:
        raise InvalidInput(f"no {what} {raw!r}")
    return found


@strawberry.type(description="A verification report (核对报告), stored on its case.")
class VerificationReport:
    id: strawberry.ID
    number: str
    source: str = strawberry.field(description="platform (an adapter) or manual.")
    adapter: str
    case_id: strawberry.ID | None
    household_id: strawberry.ID
    county: str
    on: dt.date
    passed: bool
    report: JSON = strawberry.field(
        description="Per person and data kind: records found, the batches, warnings."
    )

    @classmethod
    def of(cls, r: store.VerificationRecord) -> VerificationReport:
        return cls(
            id=strawberry.ID(str(r.id)),
            number=r.number,
            source=r.source,
            adapter=r.adapter,
            case_id=None if r.case_id is None else strawberry.ID(str(r.case_id)),
            household_id=strawberry.ID(str(r.household_id)),
            county=r.county,
            on=r.on,
            passed=r.passed,
            report=JSON(dict(r.document)),
        )


@strawberry.input(description="A legal supporter (赡养、抚养、扶养义务人) outside the household.")
class SupporterInput:
    id_number: str
    name: str
    relation: str = ""


@strawberry.type(description="The report, or userErrors (nothing written).")
class VerificationPayload:
    report: VerificationReport | None
    user_errors: list[UserError]


@strawberry.type(description="A person on the low-income register (低收入人口).")
class LowIncomePerson:
    id: strawberry.ID
    id_number: str
    name: str
    county: str
    status: str
    recognised_on: dt.date
    next_assessment: dt.date | None
    flagged: bool
    version: int
    categories: list[str]
    tags: list[str]
    document: JSON = strawberry.field(description="Source decision, marks, flags, assessments.")

    @classmethod
    def of(cls, e: Entry) -> LowIncomePerson:
        return cls(
            id=strawberry.ID(str(e.id)),
            id_number=e.id_number,
            name=e.name,
            county=e.county,
            status=e.status,
            recognised_on=e.recognised_on,
            next_assessment=e.next_assessment,
            flagged=e.flagged,
            version=e.version,
            categories=e.categories,
            tags=list(e.tags),
            document=JSON(dict(e.document)),
        )


@strawberry.type(description="The entry, or userErrors (nothing written).")
class LowIncomePayload:
    person: LowIncomePerson | None
    user_errors: list[UserError]


@strawberry.type
class VerificationQuery:
    @strawberry.field(description="The verification reports of a case (logged).")
    async def verification_reports(
        self, info: Info, case_id: strawberry.ID
    ) -> list[VerificationReport]:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        cid = _id(case_id, "case")
        found = await context.in_session(
            lambda s: store.list_reports(s, user, registry, case_id=cid)
        )
        return [VerificationReport.of(r) for r in found]

    @strawberry.field(description="People on the low-income register at a jurisdiction.")
    async def low_income_people(
        self,
        info: Info,
        jurisdiction: str,
        category: str | None = None,
        tag: str | None = None,
        flagged: bool | None = None,
        due_by: dt.date | None = None,
    ) -> list[LowIncomePerson]:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        found = await context.in_session(
            lambda s: li_store.list_entries(
                s,
                user,
                registry,
                jurisdiction,
                category=category,
                tag_=tag,
                flagged=flagged,
                due_by=due_by,
            )
        )
        return [LowIncomePerson.of(e) for e in found]


@strawberry.type
class VerificationMutation:
    @strawberry.mutation(
        description="Verify a case's household (members and legal supporters) through an "
        "adapter (default: the imported department data) and record the report on the case "
        "(record_verification, what VERIFICATION_REQUIRED waits for)."
    )
    async def request_verification(
        self,
        info: Info,
        case_id: strawberry.ID,
        supporters: list[SupporterInput] | None = None,
        adapter: str = "department_data",
        on: dt.date | None = None,
        expected_version: int | None = None,
    ) -> VerificationPayload:
        context = info.context
        context.mark_private()
        base = context.base
        try:
            runtime = context.require_runtime()
            user = await context.user()
            cid = _id(case_id, "case")
            people = [(p.id_number, p.name, p.relation) for p in supporters or ()]
            record, _ = await context.in_session(
                lambda s: store.request_verification(
                    s,
                    user,
                    base,
                    data_kinds(),
                    runtime.settings.data_dir,
                    cid,
                    on or today(),
                    supporters=people,
                    adapter=adapter,
                    adapters=verification_adapters(),
                    expected_version=expected_version,
                    not_after=today(),
                )
            )
        except DoudiError as exc:
            return VerificationPayload(
                report=None, user_errors=user_errors(exc, "caseId", info=info)
            )
        context.loaders.clear()
        return VerificationPayload(report=VerificationReport.of(record), user_errors=[])

    @strawberry.mutation(description="Record a verification report made outside doudi.")
    async def record_manual_verification(
        self,
        info: Info,
        case_id: strawberry.ID,
        number: str,
        passed: bool,
        notes: str = "",
        on: dt.date | None = None,
        expected_version: int | None = None,
    ) -> VerificationPayload:
        context = info.context
        context.mark_private()
        base = context.base
        try:
            user = await context.user()
            cid = _id(case_id, "case")
            record = await context.in_session(
                lambda s: store.record_manual_report(
                    s,
                    user,
                    base,
                    cid,
                    on or today(),
                    number=number,
                    passed=passed,
                    notes=notes,
                    expected_version=expected_version,
                    not_after=today(),
                )
            )
        except DoudiError as exc:
            return VerificationPayload(
                report=None, user_errors=user_errors(exc, "caseId", info=info)
            )
        context.loaders.clear()
        return VerificationPayload(report=VerificationReport.of(record), user_errors=[])

    @strawberry.mutation(description="Record a low-income recognition (认定).")
    async def recognise_low_income(
        self,
        info: Info,
        id_number: str,
        name: str,
        county: str,
        categories: list[str],
        decision: str,
        decision_number: str = "",
        tags: list[str] | None = None,
        on: dt.date | None = None,
    ) -> LowIncomePayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            user = await context.user()
            e = await context.in_session(
                lambda s: li_store.recognise(
                    s,
                    user,
                    registry,
                    low_income_categories(),
                    id_number=id_number,
                    name=name,
                    county=county,
                    categories=categories,
                    on=on or today(),
                    decision=decision,
                    decision_number=decision_number,
                    tags=tags or [],
                )
            )
        except DoudiError as exc:
            return LowIncomePayload(person=None, user_errors=user_errors(exc, info=info))
        return LowIncomePayload(person=LowIncomePerson.of(e), user_errors=[])

    @strawberry.mutation(
        description="Change a register entry: tag (one of the six tags), flag (a changed fact: "
        "reason), reassess (categories, homeVisit), or exit (reason)."
    )
    async def change_low_income(
        self,
        info: Info,
        id: strawberry.ID,
        change: str,
        tag: str | None = None,
        reason: str = "",
        categories: list[str] | None = None,
        home_visit: bool = False,
        on: dt.date | None = None,
    ) -> LowIncomePayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            user = await context.user()
            pid = _id(id, "register entry")
            day = on or today()
            known = low_income_categories()

            def work(s: Session) -> Entry:
                if change == "tag":
                    return li_store.tag(s, user, registry, pid, tag or "", day)
                if change == "flag":
                    return li_store.flag(s, user, registry, known, pid, day, reason)
                if change == "reassess":
                    return li_store.reassess(
                        s,
                        user,
                        registry,
                        known,
                        pid,
                        day,
                        categories=categories,
                        home_visit=home_visit,
                    )
                if change == "exit":
                    return li_store.exit_register(s, user, registry, pid, day, reason)
                raise InvalidInput("change: tag, flag, reassess or exit")

            e = await context.in_session(work)
        except DoudiError as exc:
            return LowIncomePayload(person=None, user_errors=user_errors(exc, info=info))
        return LowIncomePayload(person=LowIncomePerson.of(e), user_errors=[])


LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "verificationReports"): 100,
    ("Query", "lowIncomePeople"): 1000,
}
