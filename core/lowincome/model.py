"""The low-income register (低收入人口), pure: categories, tags, warning marks, monitoring flags,
annual re-assessment, and the entry's document.

- **Categories** (认定类别): dibao, tekun, 低保边缘 (marginal), 支出型困难 (expenditure hardship),
  防止返贫监测对象 (monitored against relapse into poverty), and those plugins add through
  ``doudi_low_income_categories`` (Guangxi adds 脱贫人口). Yunnan 002 一(二): "持续开展低保边缘家庭
  认定,及时上传低收入人口信息"; Qiannan 000 三: dibao households count as low income directly.
- **Tags** (标记), Yongfu 003 附件: 乡村振兴防贫监测对象, 大额医疗支出对象, 困难毕业生对象,
  住房救助, 残联重残对象, 易地搬迁对象 — "当月底在社会救助信息管理系统对低收入人口共计…进行标记".
- **Warning marks** (核对数据预警标记), same table: when verification or comparison data warn
  about a person, the person is marked with their group — 低保, 特困, 低保边缘户, 支出型困难家庭.
- **Dynamic monitoring** (动态监测): a finding or a changed fact flags the person for
  re-assessment; a re-assessment (with or without a home visit) clears the flag.
- **Annual re-assessment**: each entry is due again a year after its recognition or last
  re-assessment (Qiannan 000 三: "每年低保年度核查时,同步开展低收入对象核查工作").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: str
    title_zh: str
    mark: str | None  # the warning mark of the group, where the Yongfu table names one
    source: str
    plugin: str = ""


CORE_CATEGORIES: tuple[Category, ...] = (
    Category("dibao", "Dibao recipient", "低保对象", "低保标记",
             "黔南 000 三: 对已经享受低保的对象可直接认定为低收入对象"),
    Category("tekun", "Tekun person", "特困人员", "特困标记", "永福 003 附件: 特困标记"),
    Category("marginal", "Household on the margin of dibao", "低保边缘家庭", "低保边缘户",
             "云南 002 一(二): 持续开展低保边缘家庭认定"),
    Category("expenditure_hardship", "Household in expenditure hardship", "支出型困难家庭",
             "支出型困难家庭", "永福 003 二(二): 支出型困难家庭的审核认定"),
    Category("relapse_monitoring", "Monitored against relapse into poverty",
             "防止返贫监测对象", None, "永福 003 二(二): 防止返贫监测对象"),
)  # fmt: skip

TAGS = (
    "乡村振兴防贫监测对象",
    "大额医疗支出对象",
    "困难毕业生对象",
    "住房救助",
    "残联重残对象",
    "易地搬迁对象",
)
MARKS = ("低保标记", "特困标记", "低保边缘户", "支出型困难家庭")
REASSESS_EVERY_MONTHS = 12


def categories(extra: Iterable[Category] = ()) -> dict[str, Category]:
    out = {c.id: c for c in CORE_CATEGORIES}
    for c in extra:
        if c.id in out:
            raise InvalidInput(f"plugin {c.plugin or '?'}: category {c.id!r} exists already")
        out[c.id] = c
    return out


def check_categories(values: Sequence[str], known: Mapping[str, Category]) -> list[str]:
    if not values:
        raise InvalidInput("categories: at least one (认定类别)")
    unknown = [v for v in values if v not in known]
    if unknown:
        raise InvalidInput(f"categories: unknown {', '.join(unknown)}; one of {', '.join(known)}")
    return list(dict.fromkeys(values))


def check_tag(tag: str) -> str:
    if tag not in TAGS:
        raise InvalidInput(f"tag: one of {', '.join(TAGS)}, not {tag!r}")
    return tag


def next_assessment(on: dt.date) -> dt.date:
    """A year after ``on`` (29 February → 28 February)."""
    assert REASSESS_EVERY_MONTHS == 12
    try:
        return on.replace(year=on.year + 1)
    except ValueError:
        return on.replace(year=on.year + 1, day=28)


def mark_for(categories_: Sequence[str], known: Mapping[str, Category]) -> list[str]:
    """The warning marks of a person's groups (those the table names)."""
    return [m for m in (known[c].mark for c in categories_ if c in known) if m]


@dataclass(frozen=True, slots=True)
class Entry:
    """A register entry as the rules see it."""

    id: int
    id_number: str
    name: str
    county: str
    status: str
    recognised_on: dt.date
    next_assessment: dt.date | None
    flagged: bool
    version: int
    document: Mapping[str, Any]

    @property
    def categories(self) -> list[str]:
        return list(self.document.get("categories", ()))

    @property
    def tags(self) -> dict[str, Any]:
        return dict(self.document.get("tags", {}))


def due_for_reassessment(entry: Entry, as_of: dt.date) -> bool:
    return (
        entry.status == "active"
        and entry.next_assessment is not None
        and entry.next_assessment <= as_of
    )


__all__ = [
    "CORE_CATEGORIES",
    "MARKS",
    "REASSESS_EVERY_MONTHS",
    "TAGS",
    "Category",
    "Entry",
    "categories",
    "check_categories",
    "check_tag",
    "due_for_reassessment",
    "mark_for",
    "next_assessment",
]
