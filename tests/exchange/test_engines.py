"""One comparison, two engines (the bulk engine's adapters, core.bulk.engines): the Ibis
expression of core.exchange.matching gives the same matches on DuckDB and on Spark in local
mode, for every kind and program (the records and people of tests/exchange/test_kinds.py's
kinds, some matching and some not)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.bulk.engines import DuckDBEngine, SparkEngine
from core.exchange.engines import BatchFile, compare
from core.exchange.kinds import CORE_KINDS, catalog
from core.exchange.matching import OUTPUT_COLUMNS, rules_of
from core.exchange.records import headers, normalise
from core.exchange.store import RECIPIENT_ARROW
from core.registers.files import read_sheet
from core.registers.writers import csv_bytes
from tests.support.households import id_number

# py4j leaves its gateway sockets to the garbage collector (a ResourceWarning, not ours).
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

AS_OF = dt.date(2025, 6, 30)
PEOPLE = [id_number("450326", n, "19700101") for n in range(8)]
ROWS = {
    "deaths": [{"死亡日期": "2025-06-01"}, {"死亡日期": "2025-07-15"}],
    "moves": [
        {"迁移日期": "2025-05-01", "迁入地区代码": "450102"},
        {"迁移日期": "2025-05-01", "迁入地区代码": "450326"},
    ],
    "vehicles": [{"号牌号码": "桂C12345"}],
    "business": [
        {"统一社会信用代码": "9145A", "登记状态": "存续"},
        {"统一社会信用代码": "9145B", "登记状态": "注销"},
    ],
    "disability": [
        {"残疾人证号": "A1", "残疾类别": "肢体", "残疾等级": "2"},
        {"残疾人证号": "A2", "残疾类别": "视力", "残疾等级": "3"},
    ],
    "students": [
        {"学校": "广西大学", "学段": "本科", "在校状态": "在读"},
        {"学校": "永福中学", "学段": "高中", "在校状态": "毕业"},
    ],
    "large_medical": [{"结算日期": "2025-03-01", "医疗总费用": "52000"}],
    "relapse_monitoring": [{"监测类型": "突发严重困难户"}],
}


@pytest.fixture(scope="module")
def spark():
    # The bulk engine's session (local mode, this interpreter for the workers), as the bulk
    # tests take it; stopped after this module.
    from core.bulk.engines import spark_session

    session = spark_session("local[1]", shuffle_partitions="2")
    yield session
    session.stop()


def _recipients() -> pa.Table:
    rows = []
    for n, number in enumerate(PEOPLE):
        program = ("dibao", "tekun", "low_income")[n % 3]
        rows.append(
            {
                "subject": "person" if program == "low_income" else "case",
                "subject_id": n + 1,
                "case_id": None if program == "low_income" else n + 1,
                "person_id": n + 1 if program == "low_income" else None,
                "household_id": n + 1,
                "county": "450326",
                "prefecture": "450300",
                "province": "450000",
                "program": program,
                "id_number": number,
                "name": f"人{n}",
                "dead_on": dt.date(2025, 1, 1) if n == 3 else None,
                "disability_grade": 2 if n == 4 else None,
                "in_school": n == 5,
                "tags": "|住房救助|" if n == 2 else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=RECIPIENT_ARROW)


def _batches(tmp_path: Path) -> list[BatchFile]:
    out = []
    for i, (kind, variants) in enumerate(sorted(ROWS.items()), start=1):
        spec = catalog().get(kind)
        known, required = headers(spec)
        rows = [known]
        for n, number in enumerate(PEOPLE):
            cells = {"身份证号": number, "姓名": f"人{n}", **variants[n % len(variants)]}
            rows.append([cells.get(h, "") for h in known])
        sheet = read_sheet(f"{kind}.csv", csv_bytes(rows), known=known, required=required)
        table, problems = normalise(sheet, spec, AS_OF)
        assert problems == []
        path = tmp_path / f"{kind}.parquet"
        pq.write_table(table, path)
        out.append(BatchFile(i, path))
    return out


def _sorted(t: pa.Table) -> list[dict]:
    return sorted(
        t.select(list(OUTPUT_COLUMNS)).to_pylist(),
        key=lambda r: sorted((k, str(v)) for k, v in r.items()),
    )


def test_duckdb_and_spark_find_the_same(spark, tmp_path):
    people, batches, rules = _recipients(), _batches(tmp_path), rules_of(CORE_KINDS)
    duck = DuckDBEngine(threads=1)
    try:
        expected = compare(duck, people, batches, rules, AS_OF)
    finally:
        duck.close()
    on_spark = SparkEngine(spark)
    try:
        got = compare(on_spark, people, batches, rules, AS_OF)
    finally:
        on_spark.close()
    assert expected is not None and got is not None
    assert expected.num_rows > 10  # every kind has matches and non-matches here
    assert {r for r in expected.column("rule").to_pylist()} >= {
        "deaths.recipient_died",
        "vehicles.vehicle_registered",
        "disability.tag",
        "students.not_recorded",
        "relapse_monitoring.tag",
    }
    assert _sorted(got) == _sorted(expected)
