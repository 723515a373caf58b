"""Reform simulation on SQLite and PostgreSQL: baseline against overrides at any layer from a
date, over a jurisdiction's registered households or an imported weighted sample; eligible
households and persons, monthly and yearly cost per county, winners and losers, the change;
notes where a reform does not reach; exports; and the analyst, who sees aggregates only.

Standards are the EXAMPLE values of tests.support.standards (Yunnan urban 800, tekun 1040 yuan
per month, set at the province): test values, not official.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import pytest

import core.bulk.service as service
from core.access.roles import Forbidden
from core.bulk import export
from core.bulk.reform import Override, Reform
from core.bulk.review_store import list_runs
from core.bulk.snapshot import MemorySnapshot, Snapshot
from core.errors import InvalidInput
from core.plugin.types import Document, Source
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from tests.support.bulk_world import YUNNAN, BulkWorld
from tests.support.standards import with_example_standards

AS_OF = dt.date(2024, 6, 1)
FROM = dt.date(2024, 1, 1)
PANLONG = "530103"
PROGRAMS = ("dibao", "low_income", "tekun")


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


@pytest.fixture
def w(db, base) -> BulkWorld:
    return BulkWorld(db, base)


def _population(w: BulkWorld) -> None:
    # Per-capita income (3 members): 500, 700, 850, 950 (urban standard 800).
    for wages in (1500, 2100, 2550, 2850):
        w.household(w.doc(wages=wages))


def _simulate(w, reforms, who="analyst", code=YUNNAN, **kw):
    base = kw.pop("base", w.base)
    snap = service.take_snapshot(w.db.engine, base, w.users["admin"], code, AS_OF, w.tmp)
    return service.simulate(base, w.users[who], reforms, AS_OF, snapshot=snap, **kw)


@pytest.fixture
def sw(w, tmp_path):
    w.tmp = tmp_path
    _population(w)
    return w


def test_a_higher_standard_costs_more_and_reaches_more_households(sw):
    reform = Reform("900", (Override("dibao.standard.urban", YUNNAN, FROM, value=900),))
    sim = _simulate(sw, [reform])
    (row,) = [r for r in sim.rows if r.county == YUNNAN]
    # Baseline: 500 → (800 − 500) × 3 = 900; 700 → 300: 1200 yuan a month, 2 households, 6
    # people. Reform at 900: 1200, 600, 150 (850 < 900): 1950 yuan, 3 households, 9 people.
    assert (row.households, row.eligible_baseline, row.eligible_reform) == (4, 2, 3)
    assert (row.persons_baseline, row.persons_reform, row.persons_change) == (6, 9, 3)
    assert (row.monthly_cost_baseline, row.monthly_cost_reform) == (
        Decimal("1200.00"),
        Decimal("1950.00"),
    )
    assert row.monthly_cost_change == Decimal("750.00")
    assert row.yearly_cost_change == Decimal("9000.00")
    assert (row.winners, row.losers, row.newly_eligible, row.no_longer_eligible) == (3, 0, 1, 0)
    (total,) = sim.totals
    assert total.county == "total" and total.monthly_cost_change == Decimal("750.00")
    assert "snapshot" in sim.population and sim.weighted is False
    # The reform breaks Yunnan's rule: tekun ≥ 1.3 × the urban dibao standard (1040 < 1170).
    assert any("breaks a rule" in n for n in sim.notes), sim.notes


def test_a_scaled_override_at_the_province_and_several_reforms(sw):
    cheaper = Reform("lower", (Override("dibao.standard.urban", "530000", FROM, value=600),))
    scaled = Reform(
        "plus10", (Override("dibao.standard.urban", "530000", FROM, scale=Decimal("1.1")),)
    )
    sim = _simulate(sw, [cheaper, scaled], code="530000")
    by = {r.scenario: r for r in sim.totals}
    # 880: 380 × 3 + 180 × 3 + 30 × 3 = 1770 yuan; 600: only 500 is below it (100 × 3).
    assert by["plus10"].monthly_cost_reform == Decimal("1770.00")
    assert by["lower"].monthly_cost_reform == Decimal("300.00")
    assert (by["lower"].losers, by["lower"].no_longer_eligible) == (2, 1)


def test_an_override_hidden_by_a_more_specific_layer_says_so(sw):
    # Wuhua sets its own standard (a local setting): a province override does not reach it.
    j = sw.registry.get(YUNNAN)
    ref = LayerRef(j, "local", LayerKind.LOCAL, "")
    source = Source(Document("x", "Wuhua's own standard (test value)"))
    local = Layer(ref, (DatedValue("dibao.standard.urban", 800, FROM, None, source, ref),))
    base = sw.base.with_layers([local])
    province = Reform("province", (Override("dibao.standard.urban", "530000", FROM, value=1000),))
    sim = _simulate(sw, [province], base=base)
    notes = [n for n in sim.notes if "no effect" in n]
    assert notes and "530102" in notes[0] and "more specific layer" in notes[0]
    assert sim.totals[0].monthly_cost_change == 0
    # At the county itself the override wins over the local setting.
    county = Reform("county", (Override("dibao.standard.urban", YUNNAN, FROM, value=1000),))
    sim = _simulate(sw, [county], base=base)
    assert not [n for n in sim.notes if "no effect" in n] and sim.totals[0].winners == 4
    future = Reform(
        "later", (Override("dibao.standard.urban", YUNNAN, dt.date(2025, 1, 1), value=9),)
    )
    sim = _simulate(sw, [future])
    assert any("not in force on 2024-06-01" in n for n in sim.notes)
    assert sim.totals[0].monthly_cost_change == 0


def test_bad_reforms_are_refused_with_the_override_named(sw):
    for reform, words in (
        (
            Reform("x", (Override("dibao.standard.urbn", YUNNAN, FROM, value=1),)),
            "unknown parameter",
        ),
        (
            Reform("x", (Override("dibao.standard.urban", YUNNAN, FROM, value="a"),)),
            "must be a number",
        ),
        (
            Reform("x", (Override("dibao.benefit.method", YUNNAN, FROM, scale=Decimal(2)),)),
            "only numbers",
        ),
        (Reform("x", (Override("dibao.standard.urban", "999999", FROM, value=1),)), "override 1"),
        (
            Reform("baseline", (Override("dibao.standard.urban", YUNNAN, FROM, value=1),)),
            "baseline",
        ),
    ):
        with pytest.raises(Exception, match=words):
            _simulate(sw, [reform])


def test_an_imported_sample_is_weighted(w, tmp_path):
    lines = [
        {"weight": 10.5, "household": {k: v for k, v in w.doc(wages=1500).items() if k[0] != "_"}},
        {"weight": 2, "household": {k: v for k, v in w.doc(wages=2550).items() if k[0] != "_"}},
    ]
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    snap, weights = service.import_sample(path, w.base, AS_OF, tmp_path / "s")
    reform = Reform("900", (Override("dibao.standard.urban", YUNNAN, FROM, value=900),))
    sim = service.simulate(
        w.base, w.users["analyst"], [reform], AS_OF, snapshot=snap, weights=weights
    )
    (t,) = sim.totals
    assert sim.weighted and (t.households, t.eligible_baseline, t.eligible_reform) == (
        Decimal("12.5"), Decimal("10.5"), Decimal("12.5"),
    )  # fmt: skip
    # 10.5 × 900 yuan, then 10.5 × 1200 + 2 × 150.
    assert (t.monthly_cost_baseline, t.monthly_cost_reform) == (
        Decimal("9450.00"),
        Decimal("12900.00"),
    )
    assert t.persons_reform == Decimal("37.5")

    before = sorted(p.name for p in (tmp_path / "s").rglob("*"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(lines[0])
        + "\n"
        + json.dumps({"weight": 1, "household": {"county": "530102"}})
        + "\n"
    )
    with pytest.raises(InvalidInput, match=r"bad.jsonl line 2: .*members"):
        service.import_sample(bad, w.base, AS_OF, tmp_path / "s")
    bad.write_text(json.dumps({**lines[0], "weight": 0.0001}) + "\n")
    with pytest.raises(InvalidInput, match="line 1: weight: at most three decimals"):
        service.import_sample(bad, w.base, AS_OF, tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").rglob("*")) == before  # nothing left behind


def test_the_analyst_sees_aggregates_only(sw):
    reform = Reform("900", (Override("dibao.standard.urban", YUNNAN, FROM, value=900),))
    sim = _simulate(sw, [reform], who="analyst")
    assert sim.rows and all(not hasattr(r, "household_id") for r in sim.rows)
    with pytest.raises(Forbidden):
        service.take_snapshot(sw.db.engine, sw.base, sw.users["analyst"], YUNNAN, AS_OF, sw.tmp)
    with sw.db.sessions() as s, pytest.raises(Forbidden):
        list_runs(s, sw.users["analyst"], YUNNAN, sw.registry)
    with pytest.raises(Forbidden):
        _simulate(sw, [reform], who="outsider")  # Shanxi's approver: not over Yunnan
    # Exports: CSV (UTF-8, BOM), XLSX and a chart drawn offline.
    export.write(sim, sw.tmp / "r.csv")
    rows = list(csv.reader((sw.tmp / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "情景 scenario" and [r[2] for r in rows[1:]] == [YUNNAN, "total"]
    assert rows[1][13] == "750"
    export.write(sim, sw.tmp / "r.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(sw.tmp / "r.xlsx")
    assert wb["simulation"]["N2"].value == 750 and wb["about"]["A1"].value == "population"
    export.write(sim, sw.tmp / "r.png")
    assert (sw.tmp / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    export.write(sim, sw.tmp / "r.svg")
    svg = (sw.tmp / "r.svg").read_text()
    assert "<svg" in svg and 'href="http' not in svg and "@import" not in svg
    with pytest.raises(InvalidInput):
        export.write(sim, sw.tmp / "r.pdf")


def test_the_registers_now_in_memory_answer_as_a_snapshot_on_disk(sw, monkeypatch):
    """A small population is read into memory for the simulation (no files written, hashed or
    deleted), a large one exported to Parquet: the same figures either way."""
    reforms = [
        Reform("900", (Override("dibao.standard.urban", YUNNAN, FROM, value=900),)),
        Reform("plus10", (Override("dibao.standard.urban", "530000", FROM, scale=Decimal("1.1")),)),
    ]
    engine, admin = sw.db.engine, sw.users["admin"]
    on_disk = service.take_snapshot(engine, sw.base, admin, "530000", AS_OF, sw.tmp / "disk")
    now = service.registers_now(engine, sw.base, "530000", AS_OF, sw.tmp / "scratch")
    assert isinstance(now, MemorySnapshot) and not (sw.tmp / "scratch").exists()
    assert now.manifest.rows["households"] == on_disk.manifest.rows["households"] == 4
    assert now.manifest.counties == on_disk.manifest.counties
    analyst = sw.users["analyst"]
    a = service.simulate(sw.base, analyst, reforms, AS_OF, snapshot=on_disk, programs=PROGRAMS)
    b = service.simulate(sw.base, analyst, reforms, AS_OF, snapshot=now, programs=PROGRAMS)
    assert (a.rows, a.totals) == (b.rows, b.totals) and a.totals[0].winners == 3
    assert "snapshot" in a.population and "as stored at" in b.population
    monkeypatch.setattr(service, "MEMORY_HOUSEHOLDS", 3)  # more: exported, with bounded memory
    big = service.registers_now(engine, sw.base, "530000", AS_OF, sw.tmp / "scratch")
    assert isinstance(big, Snapshot) and big.path.is_relative_to(sw.tmp / "scratch")
    c = service.simulate(sw.base, analyst, reforms, AS_OF, snapshot=big, programs=PROGRAMS)
    assert (c.rows, c.totals) == (a.rows, a.totals)
