"""A small world written through the stores, for the audit tests (with
:func:`tests.support.standards.with_example_standards`): two Yunnan counties, officials,
households with a payment account, cases taken to active, a payment run, a result and a local
standard. Everything goes through the code paths a user's request takes, so every write is in the
audit chains."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from stdnum.cn import ric

import core.cases.store as cases_store
import core.payments.store as payments_store
from core.access.roles import User
from core.access.tokens import create_user
from core.households.store import create_household
from core.policy.local_store import set_local_parameter
from core.policy.service import PolicyBase

WUHUA, PANLONG, YUNNAN = "530102", "530103", "530000"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)
MONTH, RUN_ON = "2024-03", dt.date(2024, 3, 5)


def id_number(county: str, seq: int, birth: str = "19700101") -> str:
    body = f"{county}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


class Scene:
    def __init__(self, db: Any, base: PolicyBase) -> None:
        self.db, self.base, self.registry = db, base, base.registry
        self._seq = itertools.count(1)
        self.clerk = {c: self.user("village_clerk", f"clerk{c}", c) for c in (WUHUA, PANLONG)}
        self.officer = {
            c: self.user("township_officer", f"officer{c}", c) for c in (WUHUA, PANLONG)
        }
        self.approver = self.user("county_approver", "approver", WUHUA)
        self.admin = self.user("province_admin", "admin", YUNNAN)

    def user(self, role: str, name: str, code: str) -> User:
        with self.db.sessions() as s:
            u, _ = create_user(s, name, role, code, self.registry)
        return u

    def household(self, county: str = WUHUA) -> int:
        n = next(self._seq)
        head = id_number(county, n)
        doc = {
            "county": county,
            "area": "urban",
            "incomeClass": "stable",
            "propertyWithinLocalRules": True,
            "members": [{"idNumber": head, "name": f"户主{n}", "relation": "head"}],
            "income": [{"kind": "wages", "monthlyAmount": 300.0, "member": head}],
            "paymentAccount": {
                "holderIdNumber": head,
                "holderName": f"户主{n}",
                "bank": "中国农业银行",
                "accountNumber": f"6228{n:015d}",
            },
        }
        with self.db.sessions() as s:
            return create_household(
                s, self.clerk[county], doc, self.registry, today=dt.date(2024, 1, 1)
            ).id

    def step(self, cid: int, action: str, on: dt.date = DAY0, **kw: Any) -> Any:
        with self.db.sessions() as s:
            case = cases_store.get_case(s, cid)
        who = self.officer[case.county]
        with self.db.sessions() as s:
            return cases_store.apply_transition(
                s, self.base, cid, case.version, action, who, on, **kw
            )

    def opened(self, county: str = WUHUA) -> int:
        hid = self.household(county)
        with self.db.sessions() as s:
            case, _ = cases_store.open_case(
                s, self.base, self.officer[county], DAY0, household_id=hid, program="dibao"
            )
        return case.id

    def active(self, county: str = WUHUA) -> int:
        cid = self.opened(county)
        self.step(cid, "record_investigation", investigators=["甲", "乙"])
        self.step(cid, "record_first_review")
        self.step(cid, "start_publicity")
        self.step(cid, "confirm_case", AFTER)
        return cid

    def run_payments(self) -> payments_store.RunReport:
        with self.db.sessions() as s:
            return payments_store.run_payments(s, self.base, self.admin, YUNNAN, MONTH, RUN_ON)

    def result(self, payment_id: int, status: str = "paid") -> None:
        with self.db.sessions() as s:
            payments_store.record_payment_result(
                s, self.base, self.officer[WUHUA], payment_id, status, dt.date(2024, 3, 10)
            )

    def standard(self, value: float = 780) -> None:
        with self.db.sessions() as s:
            set_local_parameter(
                s, self.approver, WUHUA, "dibao.standard.urban", value, dt.date(2024, 1, 1),
                None, "某县民政局关于调整城市低保标准的通知(测试)", self.base,
            )  # fmt: skip
