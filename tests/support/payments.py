"""Cases in payment written straight into the tables, in the shapes core.cases writes: a
household (a head with a valid ID number and, by default, a payment account) and its case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert

from core.storage.tables import CaseRow, HouseholdRow, MemberRow, utcnow
from tests.support.households import id_number

DUYUN, LIBO = "522701", "522722"  # Qiannan (522700): payments.* set by the prefecture
QIANNAN, GUIZHOU = "522700", "520000"
WUHUA = "530102"  # Yunnan: no payments.* parameter set

NO_ACCOUNT = "no payment account (一卡通) is recorded for the household"


# -- building cases as the case machine stores them ----------------------------------------------


def head_account(id_number: str, name: str, seq: int = 0) -> dict[str, str]:
    """A valid paymentAccount (一卡通) held by the head: 19 digits."""
    return {
        "holderIdNumber": id_number,
        "holderName": name,
        "bank": "贵州省农村信用社",
        "accountNumber": f"622200{seq:013d}",
    }


def insert_case(
    engine: Any,
    registry: Any,
    county: str,
    seq: int,
    program: str = "dibao",
    state: str = "active",
    data: Mapping[str, Any] | None = None,
    members: list[dict[str, Any]] | None = None,
    account: Mapping[str, Any] | None = None,
    no_account: bool = False,
) -> int:
    """A household (a head, ``members``, ``account`` as its paymentAccount) and its case
    written straight into the tables, in the shapes core.cases writes; returns the case id.
    By default an active dibao case paid 300.00 yuan a month from 2024-01 into the head's
    account (:func:`head_account`); ``no_account``: the household has none (held, never paid).
    """
    birth = f"19{50 + seq // 1000:02d}0101"  # 1,000 ID numbers per birth date
    head_id = id_number(county, seq % 1000, birth)
    head = {"idNumber": head_id, "name": f"户主{seq}", "relation": "head"}
    people = [head, *(members or [])]
    doc: dict[str, Any] = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "members": people,
    }
    if account is None and not no_account:
        account = head_account(head_id, head["name"], seq)
    if account is not None:
        doc["paymentAccount"] = dict(account)
    prefecture, province = registry.prefecture_and_province(county)
    case_data = {
        "openedOn": "2023-12-01",
        "benefitFrom": "2024-01-01",
        "amount": "300.00",
        "membersCovered": [m["idNumber"] for m in people],
        **(data or {}),
    }
    now = utcnow()
    with engine.begin() as conn:
        hid = conn.execute(
            insert(HouseholdRow.__table__)
            .values(
                county=county,
                prefecture=prefecture,
                province=province,
                document=doc,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(HouseholdRow.__table__.c.id)
        ).scalar_one()
        conn.execute(
            insert(MemberRow.__table__),
            [
                {
                    "household_id": hid,
                    "id_number": m["idNumber"],
                    "name": m["name"],
                    "relation": m["relation"],
                    "active": True,
                    "added_at": now,
                }
                for m in people
            ],
        )
        return conn.execute(
            insert(CaseRow.__table__)
            .values(
                household_id=hid,
                program=program,
                county=county,
                prefecture=prefecture,
                province=province,
                state=state,
                version=5,
                data=case_data,
                created_at=now,
                updated_at=now,
            )
            .returning(CaseRow.__table__.c.id)
        ).scalar_one()
