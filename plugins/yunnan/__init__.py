"""Yunnan 云南: the province (530000), from the provincial civil-affairs notice of 2022-06-28.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.
"""

from __future__ import annotations

from core.hookspecs import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("530000", "云南省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
