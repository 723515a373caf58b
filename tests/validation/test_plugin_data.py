"""Issue 11: "Plugin data with .nan / .inf passes `doudi plugins check`" and "`doudi plugins check`
with such a date (a traceback)". Both are now problems named by plugin, file and JSON path."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from core.cli import cli

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ningxia_copy"
    (folder / "policy").mkdir(parents=True)
    shutil.copy(PLUGINS_DIR / "ningxia" / "source.txt", folder / "source.txt")
    shutil.copy(
        PLUGINS_DIR / "ningxia" / "policy" / "640121-yongning.yaml",
        folder / "policy" / "640121-yongning.yaml",
    )
    return folder


def _check(folder: Path):
    return CliRunner().invoke(
        cli, ["plugins", "check", str(folder), "--covers", "640000"], catch_exceptions=False
    )


def test_nan_and_inf_in_plugin_data_are_named(tmp_path):
    folder = _copy(tmp_path)
    f = folder / "policy" / "640121-yongning.yaml"
    text = f.read_text("utf-8")
    text = text.replace("      value: 18\n", "      value: .nan\n", 1)
    text = text.replace("      value: 0.3\n", "      value: .inf\n", 1)
    f.write_text(text, "utf-8")
    result = _check(folder)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        'ningxia_copy: 640121-yongning.yaml: $.parameters["dibao.phase_out.max_months"][0].value: '
        "is not a finite number (NaN or an infinity)"
    ) in lines
    assert (
        "ningxia_copy: 640121-yongning.yaml: "
        '$.parameters["tekun.self_care.county_spot_check_ratio"][0].value: is not a finite number '
        "(NaN or an infinity)"
    ) in lines
    assert "Traceback" not in result.output


def test_dates_at_the_ends_of_the_calendar_in_plugin_data_are_named(tmp_path):
    folder = _copy(tmp_path)
    f = folder / "policy" / "640121-yongning.yaml"
    text = f.read_text("utf-8")
    text = text.replace(
        '    - from: "2020-12-16"\n      value: 18\n',
        '    - from: "2020-12-16"\n      until: "9999-12-31"\n      value: 18\n',
        1,
    )
    text = text.replace('date: "2020-12-16"', 'date: "0001-01-01"', 1)
    f.write_text(text, "utf-8")
    result = _check(folder)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert (
        'ningxia_copy: 640121-yongning.yaml: $.parameters["dibao.phase_out.max_months"][0].until: '
        "9999-12-31 is outside the dates doudi accepts (1900-01-01 to 2199-12-31)"
    ) in lines
    assert (
        'ningxia_copy: 640121-yongning.yaml: $.documents["yongning-2020-138"].date: 0001-01-01 is '
        "outside the dates doudi accepts (1900-01-01 to 2199-12-31)"
    ) in lines
    assert "Traceback" not in result.output
