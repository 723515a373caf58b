"""Yunnan 云南: the province (530000), from the provincial civil-affairs notice of 2022-06-28.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.

Read in the document but not in the core catalog (so not set here):

- residence: residence-permit holders may apply for social assistance where they live
  (推动持有居住证人员在居住地申办社会救助, 二(一));
- price linkage: the social-assistance/price linkage starts when the provincial CPI or food CPI
  meets the trigger, under a unified provincial arrangement — the notice gives no figures
  (满足启动条件时…启动社会救助和保障标准与物价上涨联动机制, 三(二)), so
  ``price_linkage.*`` is left to the national layer;
- dibao standard: the local dibao standard is at least the provincial guidance standard
  (低保标准不低于省级指导标准, 三(二)); the guidance standard's amount is not in the notice, so
  no rule or value is declared for it.

The notice's own rule on standards — the tekun basic-living standard is at least 1.3 × the
local urban dibao standard from 2022-07-01 — is declared below as a constraint.
"""

from __future__ import annotations

import datetime as dt

from core.plugin.api import (
    Constraint,
    Coverage,
    Document,
    PolicyFile,
    Source,
    hookimpl,
    policy_files_in,
)

# The same document as ``yunnan-mzt-2022-06-28`` in policy/530000-yunnan.yaml.
NOTICE_2022_06_28 = Document(
    id="yunnan-mzt-2022-06-28",
    title="关于进一步做好社会救助兜底保障工作的通知",
    issuer="云南省民政厅",
    date=dt.date(2022, 6, 28),
    note=(
        "The text has no title line: the title is descriptive, taken from the opening sentence "
        "(现就进一步做好社会救助兜底保障相关事项通知如下). No document number appears in the text. "
        "Addressed to the prefecture/city civil-affairs bureaus; "
        "signed 云南省民政厅, 2022年6月28日."
    ),
)


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("530000", "云南省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)


@hookimpl
def doudi_constraints() -> list[Constraint]:
    return [
        Constraint(
            id="yunnan.tekun_basic_standard_floor",
            description=(
                "Yunnan: from 2022-07-01 the tekun basic-living standard is at least "
                "1.3 times the local urban dibao standard"
            ),
            path="tekun.standard.basic",
            kind="floor",
            bound_path="dibao.standard.urban",
            multiple_path="tekun.standard.basic_min_multiple_of_urban_dibao",
            scope="530000",
            effective_from=dt.date(2022, 7, 1),
            source=Source(
                NOTICE_2022_06_28,
                section="三(二)",
                quote="特困人员基本生活救助标准不低于当地城市低保标准的1.3倍",
                note="New standards apply from 2022-07-01 (从2022年7月1日起执行新的保障标准).",
            ),
        )
    ]
