"""The public plugin API: plugins import only core.plugin.api (and the contract saying so names
every other module of the core); what provinces own is declared by their plugins, not by the
core; the one plugin manager is the PolicyBase's."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import grimp
import pytest

import core.plugin.api as api
from core.errors import InvalidInput
from core.households.model import parse_household
from core.plugin.manager import build_plugin_manager
from core.policy.catalog import CORE_PARAMETERS, locally_settable
from core.policy.service import build_policy_base

ROOT = Path(__file__).resolve().parents[2]
PROVINCES = ("guizhou", "shanxi", "yunnan", "guangxi", "ningxia")
AMOUNT = "programs.retrenched_1960s_workers.monthly_amount"


def _contract(name: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"] == name)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("core", "plugins", exclude_type_checking_imports=True)


def test_the_plugin_contract_names_every_core_module_but_the_api(graph):
    forbidden = _contract("Plugins import only the public plugin API")["forbidden_modules"]

    def covered(module: str) -> bool:
        return any(module == f or module.startswith(f + ".") for f in forbidden)

    allowed = {"core", "core.plugin", "core.plugin.api"}
    loose = sorted(m for m in graph.modules if m.startswith("core") and m not in allowed)
    assert [m for m in loose if not covered(m)] == []
    assert not any(covered(m) for m in allowed)


def test_built_in_plugins_import_nothing_of_the_core_but_the_api(graph):
    for name in PROVINCES:
        own = f"plugins.{name}"
        modules = [m for m in graph.modules if m == own or m.startswith(own + ".")]
        imported = {
            i for m in modules for i in graph.find_modules_directly_imported_by(m)
            if i.startswith("core")
        }  # fmt: skip
        assert imported == {"core.plugin.api"}, (name, imported)


def test_every_name_the_api_exports_is_there():
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert api.Household.__module__ == "core.households.model"
    with pytest.raises(AttributeError):
        api.NoSuchName  # noqa: B018


def test_the_engine_is_handed_the_plugin_programs(graph):
    assert not graph.chain_exists("core.eligibility.engine", "core.plugin.manager")
    manager = build_plugin_manager(disabled=())
    base = build_policy_base(manager)
    # the PolicyBase's programs are decided by the manager it was built with, and no other
    assert base.plugin_programs.decide.__self__ is manager  # type: ignore[attr-defined]
    assert [p.id for _, p in base.plugin_programs.programs] == ["retrenched_1960s_workers"]
    later = base.with_layers([])
    assert later.plugin_programs is base.plugin_programs

    from core.eligibility import evaluate

    day = dt.date(2021, 3, 1)
    household = parse_household(
        {
            "county": "522701", "area": "urban", "incomeClass": "stable",
            "propertyWithinLocalRules": True,
            "members": [{"idNumber": "522701195301010132", "name": "甲", "relation": "head",
                         "tags": ["retrenched_1960s_worker"]}],
        },
        base.registry,
        day,
    )  # fmt: skip
    policy = base.resolve("522701", day)
    decided = evaluate(household, "retrenched_1960s_workers", policy, day,
                       plugin_programs=base.plugin_programs)  # fmt: skip
    assert decided.plugin == "guizhou" and decided.monthly_amount == 400
    with pytest.raises(InvalidInput, match="unknown program 'retrenched_1960s_workers'"):
        evaluate(household, "retrenched_1960s_workers", policy, day)


def test_guizhous_parameter_is_declared_by_guizhou_not_by_the_core(base):
    assert AMOUNT not in {s.path for s in CORE_PARAMETERS}
    spec = base.catalog[AMOUNT]
    plugin, program = base.program("retrenched_1960s_workers")
    assert plugin == "guizhou" and program.parameters == (spec,)
    assert (spec.type, spec.unit, spec.minimum, spec.label_zh) == (
        "number", "yuan_per_month", 0, "60年代精减退职工救济标准",
    )  # fmt: skip
    assert locally_settable(spec)  # an amount in yuan: officials may record it locally
    assert list(base.catalog)[-1] == AMOUNT  # where the catalog listed it before


def test_guangxis_statistics_table_is_guangxis(base):
    assert [(p, t.id) for p, t in base.report_tables] == [
        ("guangxi", "guangxi.yongfu_monthly_statistics")
    ]
    plugin, table = base.report_table("450326")
    assert plugin == "guangxi" and table.jurisdiction == "450000"
    assert table.title_zh == "全县困难群众救助保障政策落实专项治理进展情况统计表"
    assert len(table.rows) == 35 and table.due_report == "monthly_statistics"
    summary = next(s for s in base.plugins if s.info.name == "guangxi")
    assert summary.report_tables == ("guangxi.yongfu_monthly_statistics",)
    with pytest.raises(InvalidInput, match="no statistics table is kept at 530102 五华区"):
        base.report_table("530102")
