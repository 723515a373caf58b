"""Merge order, time travel, sibling isolation and not-set values."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from core.policy.model import Layer, LayerKind
from core.policy.resolution import PolicyIndex, resolve
from core.policy.service import build_policy_base
from tests.support.layers import doc, entry

D = dt.date
PHASE_OUT = "dibao.phase_out.max_months"


def test_the_ningxia_question(base):
    """What is Ningxia's (Yongning's) longest dibao phase-out on 2021-06-01, and says who?"""
    p = base.parameter("640121", PHASE_OUT, D(2021, 6, 1))
    assert p.value == 18 and p.is_set
    assert p.layer.jurisdiction.name == "永宁县"
    assert p.layer.jurisdiction.level == "county"
    assert p.layer.origin == "ningxia"
    assert p.effective_from == D(2020, 12, 16)
    assert p.source.document.number == "永民发〔2020〕138号"
    assert "18个月" in p.source.quote
    assert p.overrides == ()  # the national 6-month rule only starts in 2022


def test_more_specific_wins_and_explain_lists_what_it_overrides(base):
    p = base.parameter("640121", PHASE_OUT, D(2023, 6, 1))
    assert p.value == 18
    assert [o.value for o in p.overrides] == [6]
    assert p.overrides[0].layer.jurisdiction.code == "000000"


def test_sibling_and_parent_isolation(base):
    # Yongning (640121) sets 18; its siblings, its prefecture and its region do not inherit it.
    for code in ("640122", "640100", "640000", "640300"):
        p = base.parameter(code, PHASE_OUT, D(2023, 6, 1))
        assert p.value == 6 and p.layer.jurisdiction.code == "000000", code
    # Qiannan's prefecture values stay out of Guiyang and out of Guizhou province.
    due = "payments.monthly_due_day"
    assert base.parameter("522701", due, D(2022, 1, 1)).value == 20  # 都匀市, in Qiannan
    assert not base.parameter("520100", due, D(2022, 1, 1)).is_set
    assert not base.parameter("520000", due, D(2022, 1, 1)).is_set


def test_time_travel(base):
    assert not base.parameter("640121", PHASE_OUT, D(2020, 12, 15)).is_set
    assert base.parameter("640121", PHASE_OUT, D(2020, 12, 16)).value == 18
    assert not base.parameter("640100", PHASE_OUT, D(2022, 10, 19)).is_set
    assert base.parameter("640100", PHASE_OUT, D(2022, 10, 20)).value == 6


def test_not_set_is_explicit_never_zero(base):
    p = base.parameter("530102", "dibao.standard.urban", D(2024, 1, 1))
    assert p.is_set is False
    assert p.value is None and p.layer is None and p.source is None


def test_every_catalog_path_is_resolved(base):
    policy = base.resolve("450326", D(2024, 1, 1))
    assert list(policy.parameters) == list(base.catalog)


def test_history_of_a_path(base):
    h = base.history("640100", PHASE_OUT)
    assert [(e.start, e.value) for e in h] == [(D(2022, 10, 20), 6)]
    h = base.history("640121", PHASE_OUT)
    assert [(e.start, e.until, e.value) for e in h] == [(D(2020, 12, 16), None, 18)]


def test_local_setting_beats_plugin_data_at_the_same_jurisdiction(base, make_layer):
    layer = make_layer(doc("640121", {PHASE_OUT: [entry(12, "2024-01-01")]}), covers=["640121"])
    local = Layer(
        replace(layer.ref, kind=LayerKind.LOCAL, origin="local"),
        tuple(
            replace(v, layer=replace(v.layer, kind=LayerKind.LOCAL, origin="local"))
            for v in layer.values
        ),
    )
    index = PolicyIndex([*base.index.layers, local])
    policy = resolve(index, base.registry, base.catalog, "640121", D(2024, 6, 1))
    p = policy.parameters[PHASE_OUT]
    assert p.value == 12 and p.layer.kind is LayerKind.LOCAL
    assert [o.value for o in p.overrides] == [18, 6]
    before = resolve(index, base.registry, base.catalog, "640121", D(2023, 12, 31))
    assert before.parameters[PHASE_OUT].value == 18


def test_explicit_null_end_falls_back_to_the_parent(base, make_layer):
    layer = make_layer(
        doc("530100", {PHASE_OUT: [entry(9, "2023-01-01"), entry(None, "2024-01-01")]}),
        covers=["530100"],
    )
    b = build_policy_base(extra_layers=[layer])
    assert b.parameter("530102", PHASE_OUT, D(2023, 6, 1)).value == 9
    after = b.parameter("530102", PHASE_OUT, D(2024, 6, 1))
    assert after.value == 12 and after.layer.jurisdiction.code == "530000"
    h = b.history("530102", PHASE_OUT)
    assert [(e.start, e.value) for e in h] == [
        (D(2022, 6, 28), 12),
        (D(2023, 1, 1), 9),
        (D(2024, 1, 1), 12),
    ]
    assert h[1].until == D(2023, 12, 31)


def test_until_ends_a_value_on_its_last_day(base):
    cpi = "price_linkage.cpi_trigger"
    assert base.parameter("530000", cpi, D(2022, 8, 31)).value == pytest.approx(0.035)
    assert base.parameter("530000", cpi, D(2023, 3, 31)).value == pytest.approx(0.03)
    assert base.parameter("530000", cpi, D(2023, 4, 1)).value == pytest.approx(0.035)


def test_compare_five_provinces(base):
    codes = ["522700", "140300", "530000", "450326", "640121"]
    rows = {r.path: r for r in base.compare(codes, D(2024, 1, 1))}
    level = rows["dibao.approval.confirming_level"]
    assert [c.value for c in level.cells] == ["county", "county", "township", "township", "county"]
    assert level.differs
    assert not rows["dibao.approval.publicity_days"].differs
    assert not rows["dibao.standard.urban"].differs  # not set anywhere: they agree
    assert [c.value for c in rows[PHASE_OUT].cells] == [6, 6, 12, 6, 18]
    sub = base.compare(codes, D(2024, 1, 1), prefix="dibao.review")
    assert {r.path for r in sub} == {
        "dibao.review.interval_months.stable_income",
        "dibao.review.interval_months.slow_change",
        "dibao.review.interval_months.irregular_with_labour",
        "dibao.review.annual_review",
        "dibao.review.home_visit_after_change",
    }


def test_resolution_is_memoised_and_immutable(base):
    a = base.resolve("640121", D(2024, 1, 1))
    assert base.resolve("640121", D(2024, 1, 1)) is a


def test_compare_dedupes_aliases_and_honours_an_empty_path_list(base):
    rows = base.compare(["640121", "national", "000000"], D(2024, 1, 1), prefix="dibao.phase_out")
    assert len(rows) == len(base.catalog.paths("dibao.phase_out")) and all(
        len(r.cells) == 2 for r in rows
    )
    assert base.compare(["640121", "530000"], D(2024, 1, 1), paths=[]) == []
