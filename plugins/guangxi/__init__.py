"""Guangxi 广西: Yongfu county 永福县 (450326), from the county's 2023-07-04 campaign plan.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.

- ``policy/450326-yongfu.yaml``: the catalog values the plan sets (verification and home visits
  every half year, township confirmation with the county's 50% online check, 100% home visits of
  new applicants, income deductions, the monthly statistics due by the 4th, ...).
- :func:`doudi_campaigns`: the campaign calendar (三、实施步骤): mobilisation 2023-07-04..07-14,
  investigation 07-15..08-14, full rectification 08-15..09-14, consolidation ongoing
  (持续推进); shown in calendars at 450326 and under it.
- :func:`doudi_report_tables`: the monthly statistics table (附件,
  全县困难群众救助保障政策落实专项治理进展情况统计表), its lines in the table's words and how
  each is counted from the month's case events (``statistics.py``); the core reads the events
  and serves it (GraphQL ``monthlyStatistics``, ``doudi reports statistics``). The lines the
  platform's data cannot support (low-income tags in the information system, poverty-relapse
  monitoring, data warnings, disciplinary measures) are reported as not available, with why.

Read in the document but not in the core catalog (so not set here):

- digital supervision (二(六)): flag dibao enrolled in two places, dibao also enrolled in tekun,
  and deceased people not exited in time (the core's supervision checks these everywhere);
- low-income tags in the information system (附件): rural-revitalisation monitoring, large
  medical spending, graduates in difficulty, housing aid, severe disability (disabled persons'
  federation), relocated households.

Also read but left unset because the document gives no figure or only restates a policy:
whole-household enrolment, phase-out (no lengths), single-person conditions (not listed), a check
of every beneficiary "within the year" (年内…开展一次以上排查, a campaign task), and placing tekun
people who need centralised care in institutions.
"""

from __future__ import annotations

import datetime as dt

from core.plugin.api import (
    Campaign,
    CampaignPhase,
    Category,
    Coverage,
    Document,
    PolicyFile,
    ReportTable,
    Source,
    hookimpl,
    policy_document,
    policy_files_in,
)

from . import statistics

YONGFU_FILE = "450326-yongfu.yaml"
YONGFU_DOCUMENT = "yongfu-mzj-2023-07-04"


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("450000", "广西壮族自治区")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)


def _document(file: str, doc_id: str) -> Document:
    """The document as ``policy/<file>`` describes it (one description for values, the campaign
    and the statistics table)."""
    return policy_document(__name__, file, doc_id)


@hookimpl
def doudi_campaigns() -> list[Campaign]:
    d = dt.date
    return [
        Campaign(
            id="guangxi.yongfu_2023_precision",
            jurisdiction="450326",
            title="Precision in social assistance: special campaign on implementing assistance "
            "policies for people in difficulty (Yongfu county, 2023)",
            title_zh="全县困难群众救助保障政策落实专项治理“精准抓、抓精准”",
            phases=(
                CampaignPhase("mobilise", d(2023, 7, 4), d(2023, 7, 14), "动员部署阶段"),
                CampaignPhase("investigate", d(2023, 7, 15), d(2023, 8, 14), "排查阶段"),
                CampaignPhase("rectify", d(2023, 8, 15), d(2023, 9, 14), "全面整治阶段"),
                CampaignPhase("consolidate", d(2023, 9, 15), None, "巩固成效阶段"),
            ),
            source=Source(
                document=_document(YONGFU_FILE, YONGFU_DOCUMENT),
                section="三",
                quote="（一）动员部署阶段（2023年7月4日-7月14日）",
                note="The four phases of 三、实施步骤: "
                "（一）动员部署阶段（2023年7月4日-7月14日）; "
                "（二）排查阶段（2023年7月15日-8月14日）; "
                "（三）全面整治阶段（2023年8月15日-9月14日）; "
                "（四）巩固成效阶段（持续推进） — no end date: the consolidation phase is ongoing.",
            ),
        )
    ]


@hookimpl
def doudi_report_tables() -> list[ReportTable]:
    return [statistics.table(_document(YONGFU_FILE, YONGFU_DOCUMENT))]


@hookimpl
def doudi_low_income_categories() -> list[Category]:
    """Yongfu 003 二(二) names 脱贫人口 beside the monitored: "及时将符合条件的脱贫人口和防止返贫
    监测对象纳入低保、特困救助供养或临时救助范围"; its table counts both (附件)."""
    return [
        Category(
            "poverty_alleviated",
            "Person lifted out of poverty",
            "脱贫人口",
            None,
            "永福 003 二(二): 及时将符合条件的脱贫人口和防止返贫监测对象纳入低保",
        )
    ]
