"""Guizhou 贵州: Qiannan prefecture 黔南州 (522700), from the prefecture's 2021 annual-review notice.

``source.txt`` is the document as published; every value in ``policy/`` quotes it.
"""

from __future__ import annotations

from core.hookspecs import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("520000", "贵州省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
