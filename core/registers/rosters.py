"""Rosters (花名册) and publicity lists (公示名单), as rows (pure).

- A **roster** goes to another department (医保 for medical-insurance subsidies, 住建 for housing
  assistance; Qiannan 000 三: "将城乡低保、特困供养、低收入对象…数据信息书面提供给医保部门",
  "及时将纳入低收入认定管理对象书面共享给医保、住建等部门"): one row per person with the full ID
  number, which the receiving department matches on.
- A **publicity list** is posted in the village or community. It carries only what
  :data:`PUBLICITY_SOURCE` names — the applicant's name, the number of household members, the
  amount — plus the place and program it is about, and the applicant's ID number masked
  (4503**********0011) so that two people of the same name can be told apart without publishing
  the number: "信息公布应当依法保护个人隐私，不得公开无关信息".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.policy.jurisdictions import JurisdictionRegistry

PROGRAM_WORDS = {"dibao": "最低生活保障", "tekun": "特困人员救助供养", "low_income": "低收入人口"}
AREA_WORDS = {"urban": "城市", "rural": "农村"}
RELATION_WORDS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "sibling": "兄弟姐妹",
    "grandparent": "祖父母",
    "grandchild": "孙子女",
    "child_in_law": "儿媳/女婿",
    "other": "其他",
}

PUBLICITY_SOURCE = (
    "最低生活保障审核确认办法 (2021) 第二十四条: "
    "“县级人民政府民政部门应当在最低生活保障家庭所在村、社区公布最低生活保障申请人姓名、家庭成员数量、保障金额等信息。信息公布应当依法保护个人隐私，"
    "不得公开无关信息。”"
)


@dataclass(frozen=True, slots=True)
class RosterPerson:
    county: str
    case_id: int | None
    household_id: int | None
    program: str
    id_number: str
    name: str
    relation: str | None
    head_name: str | None
    household_size: int | None
    covered: bool
    area: str | None
    amount: str | None  # yuan per month, the case's current amount
    benefit_from: str | None
    categories: tuple[str, ...]


def mask_id(number: str) -> str:
    """4503**********0011: the province and prefecture digits and the last four."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _place(code: str, registry: JurisdictionRegistry) -> str:
    try:
        return f"{code} {registry.get(code).name}"
    except Exception:  # an unknown code prints as it is (the registry raises its own error)
        return code


ROSTER_HEADER = (
    "序号",
    "县区",
    "项目",
    "姓名",
    "身份证号",
    "与户主关系",
    "户主姓名",
    "家庭人数",
    "是否保障对象",
    "城乡类别",
    "户月保障金(元)",
    "起始月份",
    "类别",
    "案件编号",
)


def roster_rows(people: Sequence[RosterPerson], registry: JurisdictionRegistry) -> list[list[str]]:
    rows: list[list[str]] = [list(ROSTER_HEADER)]
    for n, p in enumerate(people, start=1):
        rows.append(
            [
                str(n),
                _place(p.county, registry),
                PROGRAM_WORDS[p.program],
                p.name,
                p.id_number,
                RELATION_WORDS.get(p.relation or "", ""),
                p.head_name or "",
                "" if p.household_size is None else str(p.household_size),
                "是" if p.covered else "否",
                AREA_WORDS.get(p.area or "", ""),
                p.amount or "",
                (p.benefit_from or "")[:7],
                "、".join(p.categories),
                "" if p.case_id is None else str(p.case_id),
            ]
        )
    return rows


PUBLICITY_HEADER = ("序号", "县区", "项目", "申请人姓名", "身份证号(隐去)", "家庭成员数量",
                    "月保障金额(元)")  # fmt: skip


def publicity_rows(
    people: Sequence[RosterPerson], registry: JurisdictionRegistry
) -> list[list[str]]:
    """One row per household (its applicant: the head), only the fields art. 24 names."""
    rows: list[list[str]] = [list(PUBLICITY_HEADER)]
    seen: set[int] = set()
    n = 0
    for p in people:
        if p.case_id is None or p.case_id in seen or p.relation != "head":
            continue
        seen.add(p.case_id)
        n += 1
        rows.append(
            [
                str(n),
                _place(p.county, registry),
                PROGRAM_WORDS[p.program],
                p.name,
                mask_id(p.id_number),
                "" if p.household_size is None else str(p.household_size),
                p.amount or "",
            ]
        )
    rows.append([f"依据: {PUBLICITY_SOURCE}"])
    return rows


__all__ = [
    "PROGRAM_WORDS",
    "PUBLICITY_SOURCE",
    "RosterPerson",
    "mask_id",
    "publicity_rows",
    "roster_rows",
]
