"""Shanxi 山西: Yangquan city 阳泉市 (140300), from the city civil-affairs notice of 2019-08-01.

The notice (阳泉市民政局, on further standardising social-assistance management) has no title line
and no number in the text; the title in ``policy/`` is descriptive and says so.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.

Read in the document but not in the catalog (so left out of ``policy/``):

- bank cards (二(三)): staff may not borrow, keep or hide a beneficiary's bank card (passbook);
  payment through the 惠民"一卡通" where it exists;
- car / flight warnings (二(五)): a warning mechanism with public security for beneficiaries who
  buy cars or fly;
- policy clean-up deadline (一): counties finish reviewing their local assistance rules by
  2019-09-02 and report to the municipal dibao centre;
- staff definition (二(二)): "assistance staff" for near-relative filing are the county and
  township staff in charge of or handling acceptance, review and approval, and the members of the
  village (community) party branch and committee;
- also: proactive discovery (二(六)), inter-department coordination (二(七)), use of the national
  dibao information system with provincial/municipal spot checks from September (三), and the rural
  dibao special campaign (四), none of which sets a catalog value.
"""

from __future__ import annotations

from core.plugin.api import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("140000", "山西省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
