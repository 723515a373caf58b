from __future__ import annotations

import pytest

from core.errors import UnknownJurisdiction
from core.policy.jurisdictions import NATIONAL_CODE, Level


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


# Prefecture- and county-level divisions per province (GB/T 2260 as of the data's edition).
DIVISIONS = {
    "520000": (9, 88),
    "140000": (11, 117),
    "530000": (16, 129),
    "450000": (14, 111),
    "640000": (5, 22),
}


@pytest.mark.parametrize(("province", "counts"), DIVISIONS.items())
def test_every_prefecture_and_county_of_the_five_provinces_resolves(registry, province, counts):
    prefectures = registry.children(province)
    counties = [c for p in prefectures for c in registry.children(p.code)]
    assert (len(prefectures), len(counties)) == counts
    for j in [*prefectures, *counties]:
        chain = registry.chain(j.code)
        assert chain[-1].code == NATIONAL_CODE
        assert chain[-2].code == province
        assert j.name and j.name != "市辖区"


def test_real_districts_named_like_placeholders_are_kept(registry):
    # 阳泉市郊区 (140311) is a real district of Yangquan, whatever its name suggests.
    assert [j.code for j in registry.chain("140311")] == [
        "140311",
        "140300",
        "140000",
        NATIONAL_CODE,
    ]


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
