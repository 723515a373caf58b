"""Guangxi 广西: Yongfu county 永福县 (450326), from the county's 2023-07-04 campaign plan.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.

Read in the document but not in the core catalog (so not set here; a later issue adds campaign
phases, digital-supervision targets, statistics-table fields and low-income tags):

- campaign calendar (三): mobilisation 2023-07-04..07-14, investigation 07-15..08-14, full
  rectification 08-15..09-14, consolidation ongoing (持续推进);
- digital supervision (二(六)): flag dibao enrolled in two places, dibao also enrolled in tekun,
  and deceased people not exited in time;
- the monthly statistics table (附件): fields on new dibao/tekun enrolments, visits, verifications,
  near-relative filings, data warnings;
- low-income tags in the information system (附件): rural-revitalisation monitoring, large
  medical spending, graduates in difficulty, housing aid, severe disability (disabled persons'
  federation), relocated households.

Also read but left unset because the document gives no figure or only restates a policy:
whole-household enrolment, phase-out (no lengths), single-person conditions (not listed), a check
of every beneficiary "within the year" (年内…开展一次以上排查, a campaign task), and placing tekun
people who need centralised care in institutions.
"""

from __future__ import annotations

from core.hookspecs import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("450000", "广西壮族自治区")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
