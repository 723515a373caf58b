"""Plugin loading: built-ins through the entry-point group, an outside distribution, errors."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from core.errors import PluginLoadError
from core.plugin.hookspecs import Constraint, Coverage, PolicyFile, Program, hookimpl
from core.plugin.manager import build_plugin_manager
from core.policy.service import build_policy_base

D = dt.date
OUTSIDE = Path(__file__).parents[1] / "data" / "outside"
PROVINCES = {"guizhou", "shanxi", "yunnan", "guangxi", "ningxia"}


@pytest.fixture
def outside_dist(monkeypatch):
    """Put a separately 'installed' distribution (dist-info + package) on the path."""
    monkeypatch.syspath_prepend(str(OUTSIDE))
    yield
    sys.modules.pop("doudi_outside_plugin", None)


def test_builtin_plugins_load_through_the_entry_point_group():
    pm = build_plugin_manager(disabled=())
    infos = {p.name: p for p in pm.plugins}
    assert PROVINCES | {"national"} <= set(infos)
    for name in PROVINCES:
        assert infos[name].distribution == "doudi" and not infos[name].builtin
        assert infos[name].module == f"plugins.{name}"
    assert infos["national"].builtin


def test_outside_plugin_loads_from_its_own_distribution(outside_dist):
    pm = build_plugin_manager(disabled=())
    info = {p.name: p for p in pm.plugins}["outside"]
    assert info.distribution == "doudi-outside-plugin" and info.version == "1.0"
    b = build_policy_base(pm)
    p = b.parameter("530102", "dibao.standard.urban", D(2023, 6, 1))  # 五华区, in Kunming
    assert p.value == 900 and p.layer.origin == "outside"
    assert not b.parameter("530300", "dibao.standard.urban", D(2023, 6, 1)).is_set  # 曲靖市


def test_disable_by_environment_variable(monkeypatch, outside_dist):
    monkeypatch.setenv("DOUDI_DISABLE_PLUGINS", "outside, guizhou")
    names = {p.name for p in build_plugin_manager().plugins}
    assert "outside" not in names and "guizhou" not in names and "yunnan" in names
    b = build_policy_base(build_plugin_manager())
    assert not b.parameter("522700", "payments.monthly_due_day", D(2022, 1, 1)).is_set


def test_disabling_an_unknown_plugin_is_an_error(monkeypatch):
    monkeypatch.setenv("DOUDI_DISABLE_PLUGINS", "guizho")
    with pytest.raises(PluginLoadError, match="names no installed plugin"):
        build_plugin_manager()
    with pytest.raises(PluginLoadError, match="cannot be disabled"):
        build_plugin_manager(disabled=["national"])


def test_entry_point_import_failure_names_the_plugin(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[doudi.plugins]\nbroken = broken_plugin_mod\n")
    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginLoadError) as info:
        build_plugin_manager(disabled=())
    assert info.value.plugin == "broken"
    assert "broken_plugin_mod" in info.value.message and "boom at import" in info.value.message
    assert "broken-plugin" in info.value.message


class BadReturn:
    @hookimpl
    def doudi_jurisdictions(self):
        return [{"code": "530000"}]


class Raises:
    @hookimpl
    def doudi_programs(self):
        raise KeyError("oops")


class Misspelled:
    @hookimpl
    def doudi_policy_fiels(self):
        return []


class WrongCoverage:
    @hookimpl
    def doudi_jurisdictions(self):
        return [Coverage("999999")]


class BadConstraint:
    @hookimpl
    def doudi_constraints(self):
        return [
            Constraint(id="x", description="x", path="dibao.nothing", kind="floor", bound_value=1)
        ]


class BadProgram:
    @hookimpl
    def doudi_programs(self):
        return [
            Program(
                id="p",
                name="p",
                name_zh="p",
                scope="530000",
                parameters=(__import__("core.policy.catalog").policy.catalog.CORE_PARAMETERS[0],),
            )
        ]


@pytest.mark.parametrize(
    ("plugin", "fragment"),
    [
        (BadReturn(), "returned a dict; expected Coverage"),
        (Raises(), "doudi_programs() raised KeyError"),
        (Misspelled(), "invalid hook implementation"),
        (WrongCoverage(), "unknown jurisdiction code 999999"),
        (BadConstraint(), "unknown parameter path 'dibao.nothing'"),
        (BadProgram(), "must start with 'programs.p.'"),
    ],
)
def test_plugin_errors_name_the_plugin(plugin, fragment):
    with pytest.raises(PluginLoadError) as info:
        build_policy_base(build_plugin_manager(disabled=(), extra={"culprit": plugin}))
    assert info.value.plugin == "culprit"
    assert fragment in info.value.message
    assert str(info.value).startswith("plugin 'culprit': ")


def test_policy_data_errors_name_the_plugin_and_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('jurisdiction: "530100"\ndocuments: {}\nparameters: {nope: []}\n')

    class Shipping:
        @hookimpl
        def doudi_jurisdictions(self):
            return [Coverage("530100")]

        @hookimpl
        def doudi_policy_files(self):
            return [PolicyFile(bad)]

    from core.errors import PolicyDataError

    with pytest.raises(PolicyDataError) as info:
        build_policy_base(build_plugin_manager(disabled=(), extra={"kunming": Shipping()}))
    (issue,) = info.value.issues
    assert (issue.plugin, issue.file, issue.json_path) == (
        "kunming",
        "bad.yaml",
        "$.parameters.nope",
    )


def test_guizhou_adds_its_program_through_the_programs_hook(base):
    plugin, program = base.program("retrenched_1960s_workers")
    assert plugin == "guizhou" and program.scope == "522700"
    p = base.parameter("522701", "programs.retrenched_1960s_workers.monthly_amount", D(2021, 1, 1))
    assert p.value == 400
    assert not base.parameter(
        "522701", "programs.retrenched_1960s_workers.monthly_amount", D(2020, 12, 31)
    ).is_set


class AliasScope:
    @hookimpl
    def doudi_constraints(self):
        return [
            Constraint(
                id="alias",
                description="x",
                path="dibao.phase_out.max_months",
                kind="ceiling",
                bound_value=12,
                scope=" national ",
            )
        ]


class EnumConstraint:
    @hookimpl
    def doudi_constraints(self):
        return [
            Constraint(
                id="enum",
                description="x",
                path="dibao.approval.confirming_level",
                kind="floor",
                bound_value=1,
            )
        ]


def test_constraint_scopes_are_normalised_and_paths_must_be_numeric():
    b = build_policy_base(build_plugin_manager(disabled=(), extra={"alias": AliasScope()}))
    (rule,) = [r for r in b.rules if r.rule.id == "alias"]
    assert rule.rule.scope == "000000"
    assert [
        c.status.value for c in b.checks("640121", D(2024, 1, 1)) if c.rule.rule.id == "alias"
    ] == ["violated"]
    with pytest.raises(PluginLoadError, match="need numeric parameters"):
        build_policy_base(build_plugin_manager(disabled=(), extra={"enum": EnumConstraint()}))


def test_reserved_plugin_names_are_refused():
    class Anything:
        pass

    with pytest.raises(PluginLoadError, match="reserved for the core's own layers"):
        build_plugin_manager(disabled=(), extra={"local": Anything()})
