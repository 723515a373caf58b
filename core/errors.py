"""Errors a user can act on. Each carries a stable ``code`` that the API and CLI expose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DoudiError(Exception):
    """Base of every expected error: the message is written for the person who must fix it."""

    code = "DOUDI_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownJurisdiction(DoudiError):
    code = "UNKNOWN_JURISDICTION"


class UnknownParameter(DoudiError):
    code = "UNKNOWN_PARAMETER"


class InvalidInput(DoudiError):
    code = "INVALID_INPUT"


class PluginLoadError(DoudiError):
    """A plugin could not be loaded or returned something the core cannot accept."""

    code = "PLUGIN_LOAD_ERROR"

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin '{plugin}': {message}")
        self.plugin = plugin


@dataclass(frozen=True, slots=True)
class DataIssue:
    """One problem in one policy data file, located by JSON path (``$.parameters[...]``)."""

    plugin: str
    file: str
    json_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.file}: {self.json_path}: {self.message}"


class PolicyDataError(DoudiError):
    """Policy data failed validation. Carries every issue found, not just the first."""

    code = "POLICY_DATA_INVALID"

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues = tuple(issues)
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in policy data"
        super().__init__(head + ":\n" + "\n".join(f"  - {i}" for i in self.issues))
