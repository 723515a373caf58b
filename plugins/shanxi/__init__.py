"""Shanxi 山西: Yangquan city 阳泉市 (140300), from the municipal civil-affairs notice of 2019-08-01.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.
"""

from __future__ import annotations

from core.hookspecs import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("140000", "山西省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
