"""The plugin kit end to end, as a provincial IT team uses it: ``doudi plugins new`` writes a
distribution; pip installs it (not editable) into a fresh environment; its own tests and the
conformance suite pass; a broken quote and a missing evaluator fail both the suite (run on the
installed copy) and ``doudi plugins check`` (on the folder), naming the file and JSON path, or
the program.

The fresh environment is a venv without pip whose only link to this one is a ``.pth`` line
adding this environment's site-packages (doudi, pytest, setuptools): doudi itself is not
reinstalled, so the test stays fast; the plugin is built and installed by pip, for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from core.cli.main import cli

NAME, COVERS = "kit_demo", "430100"  # 长沙市
PROGRAM = f"{NAME}_example_allowance"
POLICY_FILE = f"src/doudi_{NAME}/policy/{COVERS}-{NAME}.yaml"
QUOTE = "每人每月发放示例补贴100元"


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOUDI_DISABLE_PLUGINS"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _fresh_venv(where: Path) -> Path:
    """A new venv seeing this environment's packages (and no copy of the plugin)."""
    done = _run(sys.executable, "-m", "venv", "--without-pip", where)
    assert done.returncode == 0, done.stderr
    python = where / "bin" / "python"
    inner = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    outer = sysconfig.get_paths()["purelib"]
    # An "import" line in a .pth runs at start-up: addsitedir also reads the .pth files there
    # (an editable doudi's finder among them).
    Path(inner.stdout.strip(), "_doudi_kit_test.pth").write_text(
        f"import site; site.addsitedir({outer!r})\n", encoding="utf-8"
    )
    return python


def _install(python: Path, dist: Path) -> None:
    done = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
        "--no-deps", "--no-build-isolation", "--force-reinstall", dist,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _pytest(python: Path, dist: Path) -> subprocess.CompletedProcess[str]:
    return _run(python, "-m", "pytest", "-p", "no:cacheprovider", "-q", cwd=dist)


def _check(dist: Path) -> Result:
    """``doudi plugins check DIST`` (in this process: it imports the plugin from the folder)."""
    for name in [m for m in sys.modules if m == f"doudi_{NAME}" or m.startswith(f"doudi_{NAME}.")]:
        del sys.modules[name]  # the folder changed since the last check
    return CliRunner().invoke(cli, ["plugins", "check", str(dist)], catch_exceptions=False)


def test_a_new_plugin_installs_passes_and_fails_where_it_should(tmp_path):
    started = time.perf_counter()
    dist = tmp_path / "doudi-kit-demo"
    made = CliRunner().invoke(
        cli, ["plugins", "new", NAME, "--covers", COVERS, "--out", str(dist)],
        catch_exceptions=False,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert (dist / "pyproject.toml").is_file() and (dist / "README.md").is_file()

    python = _fresh_venv(tmp_path / "venv")
    _install(python, dist)
    site = _run(python, "-c", f"import doudi_{NAME}; print(doudi_{NAME}.__file__)")
    assert "site-packages" in site.stdout, site  # the installed copy, not the source folder

    passed = _pytest(python, dist)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # its own 2 tests, the 7 checks and its 2 decision cases
    assert "11 passed" in passed.stdout, passed.stdout
    assert _check(dist).exit_code == 0

    # A quote that is not the document's words fails the suite and the check, named by file
    # and JSON path.
    policy = dist / POLICY_FILE
    good = policy.read_text(encoding="utf-8")
    policy.write_text(good.replace(f"quote: {QUOTE}", "quote: 每人每月发放示例补贴120元"), "utf-8")
    _install(python, dist)
    where = (
        f'{NAME}: {COVERS}-{NAME}.yaml: $.parameters["programs.{PROGRAM}.monthly_amount"][0]'
        ".source.quote: not found verbatim in source.txt"
    )
    failed = _pytest(python, dist)
    assert failed.returncode == 1 and where in failed.stdout, failed.stdout
    assert f"FAILED doudi-plugin[{NAME}]::quotes" in failed.stdout
    checked = _check(dist)
    assert checked.exit_code == 1 and where in checked.stdout, checked.output
    assert f"plugin '{NAME}': 1 problem in quotes" in checked.stderr

    # Without its evaluator the program is named.
    policy.write_text(good, encoding="utf-8")
    init = dist / f"src/doudi_{NAME}" / "__init__.py"
    code = init.read_text(encoding="utf-8")
    init.write_text(code[: code.index("@hookimpl\ndef doudi_evaluate_program")], "utf-8")
    _install(python, dist)
    no_evaluator = f"program '{PROGRAM}' has no evaluator"
    failed = _pytest(python, dist)
    assert failed.returncode == 1 and no_evaluator in failed.stdout, failed.stdout
    assert f"FAILED doudi-plugin[{NAME}]::programs" in failed.stdout
    checked = _check(dist)
    assert checked.exit_code == 1 and no_evaluator in checked.stdout, checked.output
    # Brief's budget for this test: well under a minute on the shared 2-core machine.
    assert time.perf_counter() - started < 120


def _new(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["plugins", "new", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_new_writes_every_part_and_refuses_what_it_cannot_do(tmp_path):
    code, out, _ = _new("hunan_demo", "--covers", "430000", "--out", str(tmp_path / "d"))
    assert code == 0 and "wrote plugin 'hunan_demo' (430000 湖南省)" in out
    root = tmp_path / "d"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/doudi_hunan_demo/__init__.py",
        "src/doudi_hunan_demo/cases/eligible.yaml",
        "src/doudi_hunan_demo/cases/ineligible.yaml",
        "src/doudi_hunan_demo/policy/430000-hunan_demo.yaml",
        "src/doudi_hunan_demo/source.txt",
        "tests/test_hunan_demo.py",
    ]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."doudi.plugins"]\nhunan_demo = "doudi_hunan_demo"' in pyproject
    assert 'doudi_plugins = ["hunan_demo"]' in pyproject
    assert "{{" not in "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.*"))
    # the example says it is one, in Chinese and English
    source = (root / "src/doudi_hunan_demo/source.txt").read_text(encoding="utf-8")
    assert "示例文件（非政策文件）" in source and "not a policy document" in source

    refusals = [
        (("Bad-Name", "--covers", "430000"), "lower-case letters"),
        (("national", "--covers", "430000"), "reserved"),
        (("guizhou", "--covers", "520000"), "already installed"),
        (("other_demo", "--covers", "999999"), "999999"),
        (("other_demo", "--covers", "000000"), "province or below"),
        (("other_demo", "--covers", "430000", "--out", str(root)), "not an empty folder"),
    ]
    for args, words in refusals:
        code, _, err = _new(*args)
        assert code == 1 and words in err, (args, err)
        assert err.count("doudi: error:") == 1 and "Traceback" not in err


@pytest.mark.parametrize("covers", ["640121", "530100"])
def test_new_places_the_example_household_in_a_county_it_covers(tmp_path, covers):
    code, _, _ = _new(f"demo_{covers}", "--covers", covers, "--out", str(tmp_path / "d"))
    case = (tmp_path / "d" / f"src/doudi_demo_{covers}/cases/eligible.yaml").read_text("utf-8")
    county = case.split('county: "')[1][:6]
    assert code == 0 and county.startswith(covers.rstrip("0")[:4])
