"""Policy data validation: every problem reported at once, each with plugin, file and JSON path."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import PolicyDataError
from core.plugin.hookspecs import PolicyFile
from core.policy.loader import PolicyLoader, SourceFile
from tests.support.layers import doc, entry


def loader(base, plugin="fixture", covers=("530000",)):
    return PolicyLoader(base.registry, base.catalog, {plugin: list(covers)})


def write(tmp_path: Path, name: str, text: str) -> SourceFile:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return SourceFile("fixture", PolicyFile(path))


BAD = """\
jurisdiction: "530100"
documents:
  fx: {title: 测试用示例文件}
parameters:
  dibao.phase_out.max_months:
    - from: "2023-01-01"
      value: "eighteen"
      source: {document: fx, section: "1", quote: 测试}
  dibao.phase_out.max_monhts:
    - from: "2023-01-01"
      value: 18
      source: {document: fx, section: "1", quote: 测试}
  dibao.approval.confirming_level:
    - from: "2023-13-01"
      value: village
      source: {document: nowhere, section: "1", quote: 测试}
  dibao.home_visit.new_applicant_ratio:
    - from: "2023-01-01"
      value: 1.5
      source: {document: fx, section: "1"}
"""


def test_every_error_is_reported_with_plugin_file_and_json_path(base, tmp_path):
    with pytest.raises(PolicyDataError) as info:
        loader(base).load([write(tmp_path, "bad.yaml", BAD)])
    issues = info.value.issues
    text = str(info.value)
    assert all(i.plugin == "fixture" and i.file == "bad.yaml" for i in issues)
    paths = {i.json_path for i in issues}
    assert '$.parameters["dibao.phase_out.max_months"][0].value' in paths
    assert '$.parameters["dibao.phase_out.max_monhts"]' in paths
    assert '$.parameters["dibao.approval.confirming_level"][0].from' in paths
    assert '$.parameters["dibao.approval.confirming_level"][0].value' in paths
    assert '$.parameters["dibao.approval.confirming_level"][0].source.document' in paths
    assert '$.parameters["dibao.home_visit.new_applicant_ratio"][0].value' in paths
    assert '$.parameters["dibao.home_visit.new_applicant_ratio"][0].source' in paths
    assert "did you mean 'dibao.phase_out.max_months'" in text
    assert "unknown document 'nowhere'" in text
    assert "fixture: bad.yaml: $." in text


def test_errors_in_several_files_are_all_reported(base, tmp_path):
    files = [
        write(tmp_path, "a.yaml", "jurisdiction: 530100\n"),
        write(tmp_path, "b.json", '{"jurisdiction": "530100", '),
        write(tmp_path, "c.yaml", "jurisdiction: '530100'\ndocuments: {}\nparameters: {}\nx: 1\n"),
    ]
    with pytest.raises(PolicyDataError) as info:
        loader(base).load(files)
    files_named = {i.file for i in info.value.issues}
    assert files_named == {"a.yaml", "b.json", "c.yaml"}
    assert any("invalid JSON at line 1" in i.message for i in info.value.issues)


def test_duplicate_yaml_keys_are_refused(base, tmp_path):
    text = BAD.replace("dibao.phase_out.max_monhts", "dibao.phase_out.max_months")
    with pytest.raises(PolicyDataError, match=r"duplicate key 'dibao\.phase_out\.max_months'"):
        loader(base).load([write(tmp_path, "dup.yaml", text)])


def test_jurisdiction_outside_coverage_and_unknown_codes(base):
    ld = loader(base, covers=("530000",))
    _, issues = ld.validate("fixture", "x.yaml", doc("640121", {}))
    assert any("outside what plugin 'fixture' covers" in i.message for i in issues)
    _, issues = ld.validate("fixture", "x.yaml", doc("520221", {}))
    assert any("abolished" in i.message and i.json_path == "$.jurisdiction" for i in issues)
    _, issues = ld.validate("fixture", "x.yaml", doc("000000", {}))
    assert any("only the core's national layer" in i.message for i in issues)


def test_overlapping_and_disordered_entries(base):
    ld = loader(base)
    data = doc(
        "530100",
        {
            "dibao.phase_out.max_months": [
                entry(12, "2023-01-01", until="2023-12-31"),
                entry(6, "2023-06-01"),
            ],
            "dibao.phase_out.min_months": [entry(3, "2023-01-01"), entry(4, "2023-01-01")],
            "dibao.refused_work.limit": [entry(3, "2023-05-01", until="2023-04-01")],
        },
    )
    _, issues = ld.validate("fixture", "x.yaml", data)
    msgs = {i.json_path: i.message for i in issues}
    assert "overlaps the next value" in msgs['$.parameters["dibao.phase_out.max_months"][0].until']
    assert (
        "two values start on 2023-01-01"
        in msgs['$.parameters["dibao.phase_out.min_months"][1].from']
    )
    assert (
        "ends (2023-04-01) before it starts"
        in msgs['$.parameters["dibao.refused_work.limit"][0].until']
    )


def test_two_files_setting_the_same_path_at_once_conflict(base, tmp_path):
    a = doc("530100", {"dibao.phase_out.max_months": [entry(12, "2023-01-01")]})
    b = doc("530100", {"dibao.phase_out.max_months": [entry(9, "2024-01-01")]})
    import json

    files = [write(tmp_path, "a.json", json.dumps(a)), write(tmp_path, "b.json", json.dumps(b))]
    with pytest.raises(PolicyDataError, match="already has a value for this path"):
        loader(base).load(files)


def test_valid_file_becomes_a_layer(base, tmp_path):
    text = """\
jurisdiction: "530100"
documents:
  fx: {title: 测试用示例文件}
parameters:
  dibao.phase_out.max_months:
    - {from: "2023-01-01", value: 9, source: {document: fx, section: "1", quote: 测试}}
    - {from: "2024-01-01", value: null, source: {document: fx, section: "2", quote: 废止}}
"""
    (layer,) = loader(base).load([write(tmp_path, "ok.yaml", text)])
    first, end = layer.values
    assert first.value == 9 and first.until is not None and first.until.isoformat() == "2023-12-31"
    assert end.value is None
