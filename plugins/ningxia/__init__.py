"""Ningxia 宁夏: Yongning county 永宁县 (640121), from 永民发〔2020〕138号 (2020-12-16).

``source.txt`` is the document as published; every value in ``policy/`` quotes it.
"""

from __future__ import annotations

from core.plugin.api import Coverage, PolicyFile, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("640000", "宁夏回族自治区")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)
