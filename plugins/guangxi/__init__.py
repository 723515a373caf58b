"""Guangxi 广西: Yongfu county 永福县 (450326), from the county's 2023-07-04 campaign plan.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.
"""

from __future__ import annotations

from core.hookspecs import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("450000", "广西壮族自治区")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
