"""A stored world for the bulk engine's storage tests (SQLite and PostgreSQL): officials, stored
households with cases in every state an annual review looks at, made through the stores and the
case workflow exactly as officials would.

Standards are the EXAMPLE values of :mod:`tests.support.standards` (urban 800, rural 600, tekun
1040 yuan/month): test values, not official.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import core.cases.store as cases
from core.access.roles import User
from core.access.tokens import create_user
from core.households.store import create_household, get_household, update_household
from core.policy.service import PolicyBase
from tests.support.households import household_doc, id_number

YUNNAN, SHANXI = "530102", "140302"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)
TODAY = dt.date(2025, 1, 1)


class BulkWorld:
    """Officials at Wuhua (530102, Yunnan: dibao confirmed by the township) and the stores."""

    def __init__(self, db: Any, base: PolicyBase) -> None:
        self.db, self.base, self.registry = db, base, base.registry
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name, role, code in (
            ("clerk", "village_clerk", YUNNAN),
            ("officer", "township_officer", YUNNAN),
            ("approver", "county_approver", YUNNAN),
            ("admin", "province_admin", "530000"),
            ("auditor", "auditor", "530000"),
            ("analyst", "analyst", "530000"),
            ("outsider", "county_approver", SHANXI),
            ("shanxi_clerk", "village_clerk", SHANXI),
        ):
            with db.sessions() as s:
                self.users[name], self.tokens[name] = create_user(
                    s, name, role, code, self.registry
                )
        self.seq = 0

    def doc(
        self,
        county: str = YUNNAN,
        wages: float = 1500,
        *,
        size: int = 3,
        tags: tuple[str, ...] = (),
        prop: bool | None = True,
        seq: int | None = None,
    ) -> dict[str, Any]:
        """Members 甲 (earning ``wages``), 乙, 丙 ... ; urban."""
        if seq is None:
            self.seq += 10
            seq = self.seq
        numbers = [id_number(county, seq + i) for i in range(size)]
        names = ["甲", "乙", "丙", "丁", "戊"][:size]
        people = [(numbers[i], names[i], "head" if i == 0 else "other") for i in range(size)]
        doc = household_doc(
            county,
            *people,
            income=[{"kind": "wages", "monthlyAmount": wages, "member": numbers[0]}],
            propertyWithinLocalRules=prop,
        )
        doc["_seq"] = seq
        if tags:
            doc["members"][1]["tags"] = list(tags)
            if "clergy_living_apart" in tags:  # three years apart: decided (art. 8(三))
                doc["members"][1]["livingApartSince"] = "2015-01-01"
        return doc

    def household(self, doc: dict[str, Any], who: str = "clerk") -> int:
        data = {k: v for k, v in doc.items() if not k.startswith("_")}
        with self.db.sessions() as s:
            return create_household(s, self.users[who], data, self.registry, today=TODAY).id

    def change(self, hid: int, doc: dict[str, Any], who: str = "clerk") -> None:
        data = {k: v for k, v in doc.items() if not k.startswith("_")}
        with self.db.sessions() as s:
            version = get_household(s, self.users[who], hid, self.registry).version
            update_household(
                s, self.users[who], hid, data, self.registry, expected_version=version, today=TODAY
            )

    def step(self, cid: int, action: str, who: str, on: dt.date, **kw: Any) -> Any:
        with self.db.sessions() as s:
            version = cases.get_case(s, cid).version
            case, _ = cases.apply_transition(
                s, self.base, cid, version, action, self.users[who], on, **kw
            )
        return case

    def opened(self, hid: int, program: str = "dibao") -> int:
        with self.db.sessions() as s:
            case, _ = cases.open_case(
                s, self.base, self.users["officer"], DAY0, household_id=hid, program=program
            )
        return case.id

    def active(self, hid: int, program: str = "dibao") -> int:
        cid = self.opened(hid, program)
        self.step(cid, "record_investigation", "officer", DAY0, investigators=["甲", "乙"])
        if program == "tekun":
            self.step(cid, "record_self_care", "officer", DAY0, failed_indicators=0)
        self.step(cid, "record_first_review", "officer", DAY0)
        self.step(cid, "start_publicity", "officer", DAY0)
        spot = self.case(cid).data.get("spotCheck") or {}
        if program == "tekun" and spot.get("selected") and not spot.get("done"):
            # The county's spot-check of a selected tekun file comes before its confirmation.
            self.step(cid, "record_spot_check", "approver", DAY0, upheld=True)
        case = self.case(cid)
        level = self.base.resolve(case.county, AFTER).value(f"{program}.approval.confirming_level")
        self.step(cid, "confirm_case", "officer" if level == "township" else "approver", AFTER)
        return cid

    def case(self, cid: int) -> Any:
        with self.db.sessions() as s:
            return cases.get_case(s, cid)
