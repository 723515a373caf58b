from __future__ import annotations

import pytest

from core.errors import UnknownJurisdiction
from core.jurisdictions import NATIONAL_CODE, Level


def test_chain_of_a_county(registry):
    chain = [j.code for j in registry.chain("530102")]
    assert chain == ["530102", "530100", "530000", NATIONAL_CODE]
    assert registry.get("530102").name == "五华区"
    assert registry.get("530102").level is Level.COUNTY


@pytest.mark.parametrize(
    ("code", "name", "ancestors"),
    [
        ("522700", "黔南布依族苗族自治州", ["520000", NATIONAL_CODE]),
        ("140300", "阳泉市", ["140000", NATIONAL_CODE]),
        ("450326", "永福县", ["450300", "450000", NATIONAL_CODE]),
        ("640121", "永宁县", ["640100", "640000", NATIONAL_CODE]),
        ("530000", "云南省", [NATIONAL_CODE]),
    ],
)
def test_plugin_jurisdictions_resolve(registry, code, name, ancestors):
    assert registry.get(code).name == name
    assert [j.code for j in registry.ancestors(code)] == ancestors


@pytest.mark.parametrize("province", ["520000", "140000", "530000", "450000", "640000"])
def test_every_prefecture_and_county_of_the_five_provinces_resolves(registry, province):
    prefectures = registry.children(province)
    assert len(prefectures) >= 5
    counties = [c for p in prefectures for c in registry.children(p.code)]
    assert len(counties) >= 10
    for j in [*prefectures, *counties]:
        chain = registry.chain(j.code)
        assert chain[-1].code == NATIONAL_CODE
        assert any(a.code == province for a in chain)
        assert j.name and j.name != "市辖区"


def test_counties_of_qiannan_include_duyun(registry):
    names = {j.name for j in registry.children("522700")}
    assert {"都匀市", "福泉市", "荔波县"} <= names
    assert len(names) == 12


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("999999", "unknown jurisdiction code 999999"),
        ("52", "not a jurisdiction code"),
        ("abcdef", "not a jurisdiction code"),
        ("520221", "abolished in 2020"),  # 水城县 became 水城区 in 2020
    ],
)
def test_unknown_codes_are_rejected_clearly(registry, code, fragment):
    with pytest.raises(UnknownJurisdiction, match=fragment):
        registry.get(code)


def test_national_alias(registry):
    assert registry.get("national").code == NATIONAL_CODE
    assert registry.get(NATIONAL_CODE).level is Level.NATIONAL
    assert registry.chain(NATIONAL_CODE) == (registry.get(NATIONAL_CODE),)


def test_municipality_county_belongs_to_the_province(registry):
    # 110101 东城区: Beijing has no real prefecture level (110100 市辖区 is a placeholder).
    assert [j.code for j in registry.chain("110101")] == ["110101", "110000", NATIONAL_CODE]
