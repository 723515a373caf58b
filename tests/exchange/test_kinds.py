"""Each department data kind: its file validated, what a match means, and the comparison's
condition on DuckDB — a record that is a finding and one that is not, per program. Every quote
a meaning cites from a seed document is in that document."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.bulk.engines import DuckDBEngine
from core.exchange.engines import BatchFile, compare
from core.exchange.kinds import CORE_KINDS, DEPARTMENTS, catalog
from core.exchange.matching import rules_of
from core.exchange.records import headers, normalise
from core.registers.files import InvalidFile, read_sheet
from core.registers.writers import csv_bytes
from tests.support.households import id_number

SEEDS = Path("/work/shared/seeds")
AS_OF = dt.date(2025, 6, 30)
PERSON = id_number("450326", 7, "19700101")

# kind → (a row that matches a dibao recipient with nothing recorded, a row that does not)
ROWS = {
    "deaths": ({"死亡日期": "2025-06-01"}, {"死亡日期": "2025-07-15"}),
    "moves": (
        {"迁移日期": "2025-05-01", "迁入地区代码": "450102"},
        {"迁移日期": "2025-05-01", "迁入地区代码": "450326"},
    ),
    "vehicles": ({"号牌号码": "桂C12345"}, None),
    "business": (
        {"统一社会信用代码": "91450326MA5KXXXX1X", "登记状态": "存续"},
        {"统一社会信用代码": "91450326MA5KXXXX2X", "登记状态": "注销"},
    ),
    "real_estate": ({"不动产权证号": "桂(2024)永福县不动产权第0001号"}, None),
    "social_insurance": ({"险种": "企业职工基本养老保险", "月领取金额": "2100"}, None),
    "housing_fund": ({"缴存单位": "永福县某公司", "月缴存额": "300"}, None),
    "public_payroll": ({"单位名称": "永福县某局", "月工资": "4500"}, None),
    "large_medical": ({"结算日期": "2025-03-01", "医疗总费用": "52000"}, None),
    "disability": (
        {"残疾人证号": "45032619700101007742", "残疾类别": "肢体", "残疾等级": "2"},
        None,
    ),
    "students": (
        {"学校": "广西大学", "学段": "本科", "在校状态": "在读"},
        {"学校": "永福中学", "学段": "高中", "在校状态": "毕业"},
    ),
    "housing_assistance": ({"救助项目": "农村危房改造"}, None),
    "relapse_monitoring": ({"监测类型": "突发严重困难户"}, None),
    "relocation": ({"安置点": "永福县城安置区"}, None),
}


def _recipients(program: str, **facts) -> pa.Table:
    row = {
        "subject": "case" if program != "low_income" else "person",
        "subject_id": 1,
        "case_id": 1 if program != "low_income" else None,
        "person_id": 1 if program == "low_income" else None,
        "household_id": 1,
        "county": "450326",
        "prefecture": "450300",
        "province": "450000",
        "program": program,
        "id_number": PERSON,
        "name": "测试",
        "dead_on": None,
        "disability_grade": None,
        "in_school": False,
        "tags": "||",
        **facts,
    }
    from core.exchange.store import RECIPIENT_ARROW

    return pa.Table.from_pylist([row], schema=RECIPIENT_ARROW)


def _batch(tmp_path: Path, kind_id: str, cells: dict) -> list[BatchFile]:
    spec = catalog().get(kind_id)
    known, required = headers(spec)
    rows = [known, [{"身份证号": PERSON, "姓名": "测试", **cells}.get(h, "") for h in known]]
    sheet = read_sheet(f"{kind_id}.csv", csv_bytes(rows), known=known, required=required)
    table, problems = normalise(sheet, spec, AS_OF)
    assert problems == []
    path = tmp_path / f"{kind_id}-{len(list(tmp_path.iterdir()))}.parquet"
    pq.write_table(table, path)
    return [BatchFile(1, path)]


def _rules():
    return rules_of(CORE_KINDS)


@pytest.fixture(scope="module")
def engine():
    e = DuckDBEngine(threads=1)
    yield e
    e.close()


@pytest.mark.parametrize("kind_id", sorted(ROWS))
def test_each_kind_matches_what_its_rule_says_and_nothing_else(kind_id, engine, tmp_path):
    spec = catalog().get(kind_id)
    for meaning in spec.meanings:
        hit, miss = ROWS[kind_id]
        if (kind_id, meaning.program) == ("students", "low_income"):
            hit, miss = miss, hit  # the tag is for graduates (困难毕业生对象), not for students
        people = _recipients(meaning.program)
        found = compare(engine, people, _batch(tmp_path, kind_id, hit), _rules(), AS_OF)
        assert found is not None
        rules = found.column("rule").to_pylist()
        assert rules == [meaning.rule], (kind_id, meaning.program, rules)
        record = json.loads(found.column("record")[0].as_py())
        assert record["姓名"] == "测试"
        if miss is not None:
            found = compare(engine, people, _batch(tmp_path, kind_id, miss), _rules(), AS_OF)
            assert found.num_rows == 0, (kind_id, meaning.program)


def test_what_the_household_already_records_is_not_a_finding(engine, tmp_path):
    died = _recipients("dibao", dead_on=dt.date(2025, 6, 1))
    assert (
        compare(
            engine, died, _batch(tmp_path, "deaths", ROWS["deaths"][0]), _rules(), AS_OF
        ).num_rows
        == 0
    )
    graded = _recipients("dibao", disability_grade=2)
    assert (
        compare(
            engine, graded, _batch(tmp_path, "disability", ROWS["disability"][0]), _rules(), AS_OF
        ).num_rows
        == 0
    )
    tagged = _recipients("low_income", tags="|住房救助|")
    assert (
        compare(
            engine,
            tagged,
            _batch(tmp_path, "housing_assistance", ROWS["housing_assistance"][0]),
            _rules(),
            AS_OF,
        ).num_rows
        == 0
    )
    # grade 3 is not 重残: no tag
    light = dict(ROWS["disability"][0], 残疾等级="3")
    found = compare(
        engine, _recipients("low_income"), _batch(tmp_path, "disability", light), _rules(), AS_OF
    )
    assert found.num_rows == 0


def test_every_kind_is_complete_and_names_its_departments():
    for k in CORE_KINDS:
        assert k.problems() == []
        assert all(d in DEPARTMENTS for d in k.departments)
        for m in k.meanings:
            assert m.sources or m.not_set, (k.id, m.program)


def _seed(fragment: str) -> str:
    for p in SEEDS.glob("*.txt"):
        text = p.read_text(encoding="utf-8")
        if fragment in text:
            return text
    return ""


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_every_quote_from_a_seed_document_is_in_it():
    """e.g. Yongfu 003 二(六): “死亡人员未按规定及时退出社会救助” — the death rule's source."""
    seeds = {"黔南": "000", "阳泉": "001", "云南": "002", "永福": "003", "永宁": "004"}
    checked = 0
    for k in CORE_KINDS:
        for m in k.meanings:
            for c in m.sources:
                which = next((v for key, v in seeds.items() if key in c.document), None)
                if which is None:
                    continue  # national documents: not among the seeds
                text = next(SEEDS.glob(f"{which}_*.txt")).read_text(encoding="utf-8")
                for part in c.quote.split("…"):
                    assert part in text, (k.id, c.document, part)
                checked += 1
    assert checked >= 15


def test_a_batch_with_bad_rows_reports_them_all(tmp_path):
    spec = catalog().get("deaths")
    known, required = headers(spec)
    rows = [
        known,
        [PERSON, "甲", "2025-02-30", "", ""],
        ["4.50326E+17", "乙", "2025-01-01", "", ""],
        [PERSON, "", "2025-01-01", "", ""],
        [PERSON, "甲", "2025-01-05", "", ""],
        [PERSON, "甲", "2025-01-05", "", ""],
    ]
    sheet = read_sheet("d.csv", csv_bytes(rows), known=known, required=required)
    _table, problems = normalise(sheet, spec, AS_OF)
    text = [str(p) for p in problems]
    assert "第 2 行 死亡日期: '2025-02-30' is not a date (YYYY-MM-DD)" in text
    assert any(t.startswith("第 3 行 身份证号: 4.50326E+17") for t in text)
    assert "第 4 行 姓名: empty (必填)" in text
    assert "第 6 行 身份证号: duplicated row: the same record as 第 5 行 (重复行)" in text
    with pytest.raises(InvalidFile):
        read_sheet("d.csv", csv_bytes([["姓名"]]), known=known, required=required)


def test_department_values_are_held_to_the_platforms_rules():
    """Dates, amounts and text of department records by core.validation's rules, per row and
    column (1e308 is refused, not a crash; a name with a control character is refused)."""
    spec = catalog().get("large_medical")
    known, required = headers(spec)
    rows = [
        ["身份证号", "姓名", "结算日期", "医疗总费用", "病种"],
        [PERSON, "甲\x01", "1899-12-31", "1e308", "肺癌"],
        [PERSON, "乙", "2025-01-01", "52000", "x" * 201],
    ]
    sheet = read_sheet("m.csv", csv_bytes(rows), known=known, required=required)
    _table, problems = normalise(sheet, spec, AS_OF)
    text = [str(p) for p in problems]
    assert "第 2 行 姓名: holds the control character U+0001" in text
    assert any(t.startswith("第 2 行 结算日期: 1899-12-31 is outside the dates") for t in text)
    assert "第 2 行 医疗总费用: 1e+308 is above 10,000,000 (the most doudi accepts)" in text
    assert "第 3 行 病种: at most 200 characters, not 201" in text
