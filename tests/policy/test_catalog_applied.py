"""Every catalog path with a value somewhere is acted on by doudi's code, or says that it is not
("recorded, not yet applied by doudi"), on the catalog, the API and the CLI.

"Acted on" is checked the way a reviewer would: the path appears as a string literal (not in a
docstring or a comment) in the code under core/ or plugins/, outside the catalog's own
declaration."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from core.policy.catalog import NOT_YET_APPLIED, RECORDED_NOT_APPLIED, applied, not_applied_note

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "core" / "policy" / "catalog.py"


def valued_paths() -> dict[str, list[str]]:
    """Every path with a value in a shipped policy file, and where."""
    out: dict[str, list[str]] = {}
    for f in sorted([*ROOT.glob("core/**/policy/*.yaml"), *ROOT.glob("plugins/*/policy/*.yaml")]):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for path in doc.get("parameters") or {}:
            out.setdefault(path, []).append(f.name)
    return out


def code_literals() -> dict[str, set[str]]:
    """The string constants of each module's code (docstrings left out)."""
    out: dict[str, set[str]] = {}
    for f in sorted([*ROOT.glob("core/**/*.py"), *ROOT.glob("plugins/**/*.py")]):
        if f == CATALOG:
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        docs = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                ):
                    docs.add(id(body[0].value))
        out[str(f.relative_to(ROOT))] = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
        }
    return out


def test_every_valued_path_is_read_by_code_or_marked_not_applied():
    literals = code_literals()
    valued = valued_paths()
    assert len(valued) > 60
    silent = []
    for path, files in sorted(valued.items()):
        readers = [m for m, strings in literals.items() if path in strings]
        if not readers and applied(path):
            silent.append(f"{path} (set in {', '.join(files)})")
    assert silent == [], (
        "paths with values that no code reads and the catalog does not mark: " + "; ".join(silent)
    )


def test_a_marked_path_is_not_read_and_says_why():
    literals = code_literals()
    for path, why in NOT_YET_APPLIED.items():
        readers = [m for m, strings in literals.items() if path in strings]
        assert readers == [], f"{path} is read by {readers}: remove its NOT_YET_APPLIED mark"
        assert why and not_applied_note(path).startswith(f"{RECORDED_NOT_APPLIED}: ")
    assert not_applied_note("dibao.standard.urban") == ""
    # the three marked today: price-linkage triggers (no CPI data, no price subsidies) and the
    # hotline levels (no complaints recorded)
    assert set(NOT_YET_APPLIED) == {
        "price_linkage.cpi_trigger",
        "price_linkage.food_cpi_trigger",
        "hotline.levels",
    }


def test_the_check_finds_an_unread_path():
    # the finder itself: a path only named in a docstring is not read
    tree = ast.parse('def f():\n    """dibao.standard.urban"""\n    return "x"\n')
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert "dibao.standard.urban" in strings  # ast sees it; code_literals() drops docstrings
    literals = code_literals()
    assert any("dibao.standard.urban" in s for s in literals.values())
    assert not any("hotline.levels" in s for s in literals.values())


def test_the_command_line_says_so_beside_the_value_and_in_the_catalog():
    from click.testing import CliRunner

    from core.cli import cli

    runner = CliRunner()
    got = runner.invoke(cli, ["policy", "get", "530000", "hotline.levels", "--as-of", "2024-01-01"])
    assert got.exit_code == 0, got.output
    assert "  doudi:  recorded, not yet applied by doudi: doudi records no complaints" in got.output
    got = runner.invoke(cli, ["policy", "catalog", "--prefix", "price_linkage"])
    assert got.exit_code == 0
    header, _, *rows = got.output.splitlines()
    assert header.split() == ["PATH", "TYPE", "UNIT", "DOUDI", "LABEL"]
    assert "recorded only" in rows[0] and "recorded only" in rows[1]
    assert "recorded only = recorded, not yet applied by doudi:" in got.output
    got = runner.invoke(cli, ["policy", "catalog", "--prefix", "dibao.phase_out"])
    assert "recorded only" not in got.output and " acts " in got.output
    got = runner.invoke(cli, ["policy", "show", "530000", "--as-of", "2024-01-01"])
    assert "\nrecorded, not yet applied by doudi:\n" in got.output
    assert "\n  hotline.levels: doudi records no complaints" in got.output
    got = runner.invoke(cli, ["policy", "catalog", "--json", "--prefix", "hotline"])
    assert '"applied": false' in got.output
