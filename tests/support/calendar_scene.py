"""The calendar scene: officials, households and cases in Yongfu (Guangxi) and Duyun (Guizhou),
for the calendar through the API and the CLI.

Cases are opened through the case store (accepted cases) or written straight into the tables in
the shapes the case machine writes (cases in payment)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert

import core.cases.store as cases_store
import core.payments.store as payments_store
from core.access.roles import CALENDAR, User
from core.access.tokens import create_user, issue_token
from core.households.store import create_household
from core.policy.service import PolicyBase
from core.runtime import Runtime
from core.storage.tables import CaseRow, HouseholdRow, MemberRow, utcnow
from tests.support.households import household_doc, id_number

D = dt.date
YONGFU, DUYUN, WUHUA = "450326", "522701", "530102"


class Scene:
    """Officials, households and cases in Yongfu (Guangxi) and Duyun (Guizhou)."""

    def __init__(self, runtime: Runtime, base: PolicyBase) -> None:
        self.runtime, self.base = runtime, base
        self.registry = base.registry
        self.seq = itertools.count(1)
        self.users: dict[str, tuple[User, str]] = {}
        for name, role, code in (
            ("yongfu_clerk", "village_clerk", YONGFU),
            ("yongfu", "township_officer", YONGFU),
            ("guangxi", "auditor", "450000"),
            ("duyun", "county_approver", DUYUN),
            ("duyun_officer", "township_officer", DUYUN),
            ("outsider", "county_approver", WUHUA),
        ):
            with runtime.sessions() as s:
                self.users[name] = create_user(s, name, role, code, self.registry)
        # Yongfu: an application accepted in the campaign's summer (its deadlines are open).
        self.accepted = self.open_case(YONGFU, "yongfu", D(2023, 7, 10))
        # Yongfu: a dibao case in payment since June 2023 (irregular income, able to work).
        self.active = self.insert_case(
            YONGFU,
            "dibao",
            {"openedOn": "2023-04-20", "decision": {"on": "2023-05-25", "level": "township"},
             "benefitFrom": "2023-06-01", "amount": "300.00"},
            income_class="irregular_with_labour",
        )  # fmt: skip
        # Duyun: an application accepted on 1 December 2026 (30 working days: into 2027).
        self.provisional = self.open_case(DUYUN, "duyun_officer", D(2026, 12, 1))
        # Duyun: tekun in dispersed care since September 2026.
        self.tekun = self.insert_case(
            DUYUN,
            "tekun",
            {"openedOn": "2026-08-03", "decision": {"on": "2026-09-10", "level": "county"},
             "benefitFrom": "2026-10-01", "amount": "600.00",
             "care": {"on": "2026-09-10", "mode": "dispersed"}},
        )  # fmt: skip

    def token(self, name: str) -> str:
        return self.users[name][1]

    def calendar_token(self, name: str) -> str:
        """A calendar token (the only kind accepted in a feed URL) of user ``name``."""
        with self.runtime.sessions() as s:
            return issue_token(s, name, CALENDAR)

    def user(self, name: str) -> User:
        return self.users[name][0]

    def household(self, county: str) -> int:
        n = next(self.seq)
        doc = household_doc(county, (id_number(county, n), f"户主{n}", "head"))
        clerk = self.user("yongfu_clerk" if county == YONGFU else "duyun")
        with self.runtime.sessions() as s:
            return create_household(s, clerk, doc, self.registry, today=D(2023, 1, 1)).id

    def open_case(self, county: str, who: str, on: dt.date) -> int:
        with self.runtime.sessions() as s:
            case, _ = cases_store.open_case(
                s, self.base, self.user(who), on, household_id=self.household(county),
                program="dibao",
            )  # fmt: skip
        return case.id

    def insert_case(
        self,
        county: str,
        program: str,
        data: Mapping[str, Any],
        income_class: str = "stable",
    ) -> int:
        """A household and its case in payment, written straight into the tables."""
        n = next(self.seq)
        head = {"idNumber": id_number(county, n), "name": f"户主{n}", "relation": "head"}
        doc = {
            "county": county,
            "area": "rural",
            "incomeClass": income_class,
            "members": [head],
            # paid into the head's 一卡通 account (without one the payment is held)
            "paymentAccount": {
                "holderIdNumber": head["idNumber"],
                "holderName": head["name"],
                "bank": "贵州农信",
                "accountNumber": f"62220000{n:010d}",
            },
        }
        prefecture, province = self.registry.prefecture_and_province(county)
        now = utcnow()
        place = {"county": county, "prefecture": prefecture, "province": province}
        with self.runtime.engine.begin() as conn:
            hid = conn.execute(
                insert(HouseholdRow.__table__)
                .values(**place, document=doc, version=1, created_at=now, updated_at=now)
                .returning(HouseholdRow.__table__.c.id)
            ).scalar_one()
            conn.execute(
                insert(MemberRow.__table__).values(
                    household_id=hid, id_number=head["idNumber"], name=head["name"],
                    relation="head", active=True, added_at=now,
                )
            )  # fmt: skip
            return int(
                conn.execute(
                    insert(CaseRow.__table__)
                    .values(
                        household_id=hid, program=program, **place, state="active", version=6,
                        data={**data, "membersCovered": [head["idNumber"]]},
                        created_at=now, updated_at=now,
                    )
                    .returning(CaseRow.__table__.c.id)
                ).scalar_one()
            )  # fmt: skip

    def failed_payment(self) -> int:
        """October 2026's payment of the tekun case, run and reported failed."""
        with self.runtime.sessions() as s:
            payments_store.run_payments(
                s, self.base, self.user("duyun"), DUYUN, "2026-10", D(2026, 10, 5)
            )
        with self.runtime.sessions() as s:
            [p], _ = payments_store.list_payments(
                s, self.user("duyun"), DUYUN, self.registry, month="2026-10"
            )
        with self.runtime.sessions() as s:
            payments_store.record_payment_result(
                s, self.base, self.user("duyun"), p.id, "failed", D(2026, 10, 21), "账户冻结"
            )
        return p.id
