"""The pytest plugin of the doudi plugin kit: the conformance suite in a plugin's own CI.

Installed with doudi (entry point ``pytest11``: ``doudi = core.plugin.testing``) and inert until a
project opts in, naming the plugins to check — in its ``pyproject.toml``::

    [tool.pytest.ini_options]
    doudi_plugins = ["my_province"]

or on the command line: ``pytest --doudi-plugin my_province``. Each named plugin is loaded
through its ``doudi.plugins`` entry point and gets one test per check of
:mod:`core.plugin.conformance` and one per decision case in its ``cases/`` folder
(:mod:`core.plugin.cases`), collected beside the project's own tests::

    doudi-plugin[my_province]::quotes PASSED
    doudi-plugin[my_province]::cases/eligible.yaml PASSED

A failure lists every problem as ``plugin: file: JSON path: message``. The tests carry the
marker ``doudi_conformance`` (deselect with ``-m "not doudi_conformance"``).

For a plugin's own tests, :func:`decide` runs the eligibility engine on household JSON with
everything installed (and example standards where a test needs them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from core.errors import DataIssue
    from core.plugin.cases import CaseFile
    from core.plugin.conformance import Check, PluginUnderTest
    from core.plugin.types import Decision
    from core.policy.service import PolicyBase

INI = "doudi_plugins"
MARKER = "doudi_conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("doudi", "doudi plugin conformance (core.plugin.testing)")
    group.addoption(
        "--doudi-plugin",
        action="append",
        default=[],
        metavar="NAME",
        dest="doudi_plugins",
        help="Run the doudi conformance suite and decision cases of the installed plugin NAME "
        "(repeatable).",
    )
    parser.addini(
        INI,
        type="args",
        default=[],
        help="doudi plugins whose conformance suite and decision cases run with the tests.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the doudi plugin conformance suite (core.plugin.testing)"
    )


def _names(config: pytest.Config) -> list[str]:
    names = [*config.getini(INI), *config.getoption("doudi_plugins")]
    return list(dict.fromkeys(str(n) for n in names))


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so that they apply to these too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    for name in _names(config):
        label = f"doudi-plugin[{name}]"
        suite = PluginSuite.from_parent(session, name=label, nodeid=label, plugin_name=name)
        collected = suite.collect()
        # Reported like any collected node, so that "collected N items" counts these too.
        config.hook.pytest_collectreport(
            report=pytest.CollectReport(label, "passed", None, list(collected))
        )
        items.extend(collected)


class ConformanceFailure(Exception):
    def __init__(self, issues: list[DataIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s)")
        self.issues = issues


class PluginSuite(pytest.Collector):
    """The conformance tests of one plugin (built when collected, loaded once)."""

    def __init__(self, *, plugin_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin_name = plugin_name
        self._subject: PluginUnderTest | None = None

    @property
    def subject(self) -> PluginUnderTest:
        if self._subject is None:
            from core.plugin.conformance import PluginUnderTest

            self._subject = PluginUnderTest.installed(self.plugin_name)
        return self._subject

    def collect(self) -> list[pytest.Item]:
        from core.plugin.conformance import CHECKS

        out: list[pytest.Item] = [
            CheckItem.from_parent(self, name=check.id, check=check) for check in CHECKS
        ]
        out.extend(
            CaseItem.from_parent(self, name=case.name, case=case) for case in self.subject.cases
        )
        return out


class _Item(pytest.Item):
    parent: PluginSuite

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            return "\n".join(str(i) for i in excinfo.value.issues)
        return str(super().repr_failure(excinfo))

    def _where(self) -> Path:
        package = self.parent.subject.package
        if package is not None:
            from importlib import resources

            root = resources.files(package)
            if isinstance(root, Path):
                return root
        return Path.cwd()


class CheckItem(_Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from core.plugin.conformance import run_check

        issues = run_check(self.parent.subject, self.check)
        if issues:
            raise ConformanceFailure(issues)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self._where(), None, f"doudi plugin '{self.parent.plugin_name}': {self.check.title}"


class CaseItem(_Item):
    def __init__(self, *, case: CaseFile, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from core.plugin.conformance import check_case

        issues = check_case(self.parent.subject, self.case)
        if issues:
            raise ConformanceFailure(issues)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        title = f"doudi plugin '{self.parent.plugin_name}': decision case {self.case.title}"
        return self._where() / self.case.name, None, title


# -- for a plugin's own tests ----------------------------------------------------------------------


@cache
def installed_policy() -> PolicyBase:
    """The merged policy of everything installed (the national layer and every plugin)."""
    from core.plugin.manager import build_plugin_manager
    from core.policy.service import build_policy_base

    return build_policy_base(build_plugin_manager(disabled=()))


def decide(
    program: str,
    household: Mapping[str, Any],
    as_of: dt.date | str,
    *,
    example_standards: Mapping[str, int | float] | None = None,
    request: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide ``program`` for a household given as JSON (the API's form) on ``as_of``, with every
    installed plugin — and, where the decision needs amounts a local government sets, example
    standards at the household's county (never official figures)."""
    from core.eligibility import TemporaryRequest, evaluate
    from core.households.model import parse_household
    from core.plugin.cases import example_layers

    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    base = installed_policy()
    h = parse_household(dict(household), base.registry, day)
    if example_standards:
        raw = {"note": "example standards of a test", "values": dict(example_standards)}
        layers, problems = example_layers(base, raw, h.county, day)
        if problems:
            raise ValueError("; ".join(f"{where}: {message}" for where, message in problems))
        base = base.with_layers(layers)
    req = None
    if request is not None:
        req = TemporaryRequest(
            kind=request["kind"],
            amount=Decimal(str(request["amount"])).quantize(Decimal("0.01")),
            major_hardship=bool(request.get("majorHardship", False)),
        )
    return evaluate(
        h,
        program,
        base.resolve(h.county, day),
        day,
        request=req,
        plugin_programs=base.plugin_programs,
    )


__all__ = ["INI", "MARKER", "decide", "installed_policy"]
