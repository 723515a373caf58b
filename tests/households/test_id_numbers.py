"""Resident ID numbers (GB 11643): ASCII digits only, birth dates from 1900 to today, and region
codes of GB/T 2260 checked against two independent tables (the vendored areacodes table and
python-stdnum's), abolished codes valid for people born before the change."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest
from stdnum.cn import ric

from core.households.model import (
    EARLIEST_BIRTH_DATE,
    InvalidHousehold,
    parse_household,
    validate_id_number,
)
from core.policy.jurisdictions import load_registry, region_codes, table_source

TODAY = dt.date(2026, 12, 1)


def make_id(prefix17: str) -> str:
    return prefix17 + ric.calc_check_digit(prefix17 + "0")


def in_script(number: str, zero: int) -> str:
    """``number`` with its digits written in the script whose zero is ``zero`` (X kept)."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in number)


ASCII_X = "11010119900101004X"  # check character X
ASCII_7 = make_id("11010119900101000")


def household(*numbers: str, county: str = "110101") -> dict:
    members = [
        {"idNumber": n, "name": f"成员{i}", "relation": "head" if i == 0 else "child"}
        for i, n in enumerate(numbers)
    ]
    return {"county": county, "area": "urban", "incomeClass": "stable", "members": members}


# -- digits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "zero"),
    [("Arabic-Indic", 0x0660), ("Extended Arabic-Indic", 0x06F0), ("Devanagari", 0x0966)],
)
@pytest.mark.parametrize("number", [ASCII_X, ASCII_7])
def test_digits_of_other_scripts_are_refused_whatever_the_check_character(script, zero, number):
    # Before issue 9 a number with foreign digits and an ASCII check character passed, was stored
    # as written and escaped DUPLICATE_PERSON.
    body = in_script(number[:17], zero) + number[17]
    assert validate_id_number(body, TODAY) == (
        None,
        "must be written with the digits 0-9 (and X as the check character); "
        f"{body!r} has other characters (digits of another script?)",
    )
    # only the birth date part written otherwise: refused too
    mixed = number[:6] + in_script(number[6:14], zero) + number[14:]
    assert validate_id_number(mixed, TODAY)[0] is None


def test_a_foreign_script_number_is_a_field_error_and_nothing_is_kept(registry):
    with pytest.raises(InvalidHousehold) as err:
        parse_household(household(in_script(ASCII_X, 0x0660)), registry, TODAY)
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("members[0].idNumber", "INVALID_ID_NUMBER")
    ]


def test_fullwidth_digits_and_lower_x_are_the_same_person(registry):
    fullwidth = in_script(ASCII_X[:17], 0xFF10) + "x"
    assert validate_id_number(fullwidth, TODAY) == (ASCII_X, "")
    with pytest.raises(InvalidHousehold) as err:
        parse_household(household(ASCII_X, fullwidth), registry, TODAY)
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("members[1].idNumber", "DUPLICATE_PERSON")
    ]


# -- birth dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["0001", "1799", "1800", "1899"])
def test_birth_years_before_1900_are_refused(year):
    number = make_id(f"110101{year}0101123")
    assert validate_id_number(number, TODAY) == (
        None,
        f"birth date in the number ({year}-01-01) is before 1900-01-01: not a living "
        "resident's number",
    )


def test_the_first_and_last_birth_dates_accepted():
    assert dt.date(1900, 1, 1) == EARLIEST_BIRTH_DATE
    assert validate_id_number(make_id("11010119000101123"), TODAY)[1] == ""
    assert validate_id_number(make_id("11010118991231123"), TODAY)[0] is None
    assert validate_id_number(make_id("11010120261201123"), TODAY)[1] == ""
    assert validate_id_number(make_id("11010120261202123"), TODAY) == (
        None,
        "birth date in the number is in the future",
    )


# -- region codes --------------------------------------------------------------------------------


def test_districts_created_in_2021_are_valid_regions_and_counties(registry):
    # 杭州市临平区 and 钱塘区 (April 2021): python-stdnum's table lacks both.
    for code, name in (("330113", "临平区"), ("330114", "钱塘区")):
        number = make_id(f"{code}19900101123")
        assert validate_id_number(number, TODAY) == (number, "")
        assert registry.get(code).name == name
        assert registry.get(code).parent_code == "330100"
        h = parse_household(household(number, county=code), registry, TODAY)
        assert h.county == code


def test_an_abolished_code_is_valid_for_people_born_up_to_its_last_year():
    # 330103 下城区 left use in 2021 (merged into 拱墅区 330105).
    assert region_codes()["330103"].until == 2021
    assert validate_id_number(make_id("33010320210601123"), TODAY)[1] == ""
    assert validate_id_number(make_id("33010320220101123"), TODAY) == (
        None,
        "region code 330103 (下城区) was no longer in use from 2021: nobody born on "
        "2022-01-01 was given it",
    )


def test_a_code_that_never_existed_is_refused():
    assert validate_id_number(make_id("33019919900101123"), TODAY) == (
        None,
        "region code 330199 is not a GB/T 2260 code (in neither table doudi ships: "
        "yescallop/areacodes, python-stdnum)",
    )


def _stdnum_codes() -> dict[str, list[int | None]]:
    """python-stdnum's own table (an independent transcription, from Wikipedia's lists): each
    county-level code with the end year of each of its periods (None: in use)."""
    out: dict[str, list[int | None]] = {}
    province = ""
    for line in (resources.files("stdnum.cn") / "loc.dat").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        suffix, _, rest = line.strip().partition(" ")
        m = re.match(r'county="(.*)"$', rest)
        if not m:
            continue
        periods: list[int | None] = []
        for segment in m.group(1).split(","):
            p = re.match(r"^\[(\d{4})?-(\d{4})?\]", segment.strip())
            periods.append(int(p.group(2)) if p and p.group(2) else None)
        out[province + suffix] = periods
    return out


def test_every_code_python_stdnum_has_in_use_is_accepted():
    codes = _stdnum_codes()
    in_use = [c for c, periods in codes.items() if None in periods]
    assert len(in_use) > 3000
    refused = {
        c: why
        for c in in_use
        for _, why in [validate_id_number(make_id(f"{c}19900101123"), TODAY)]
        if why
    }
    assert refused == {}


def test_the_two_tables_agree_on_when_codes_left_use():
    # A bad refresh of the vendored table (a truncated file, columns moved) shows here: the two
    # independent transcriptions agree on the year nearly every abolished code left use.
    ours = region_codes()
    theirs = _stdnum_codes()
    both = [
        (c, ours[c].until, max(y for y in theirs[c] if y is not None))
        for c in ours
        if not ours[c].in_use
        and ours[c].until is not None
        and c in theirs
        and None not in theirs[c]
        and any(y is not None for y in theirs[c])
    ]
    assert len(both) > 3000
    close = [c for c, a, b in both if abs(a - b) <= 1]
    assert len(close) / len(both) > 0.95


def test_every_abolished_code_of_the_vendored_table_holds_for_its_last_year():
    ours = region_codes()
    theirs = _stdnum_codes()
    checked = 0
    for code, r in ours.items():
        if r.in_use or r.until is None or r.level.value != "county":
            continue
        if None in theirs.get(code, ()):  # still in use for python-stdnum: valid any year
            continue
        last = max([r.until, *(y for y in theirs.get(code, ()) if y is not None)])
        if last >= TODAY.year:
            continue
        assert validate_id_number(make_id(f"{code}{last}0601123"), TODAY)[1] == "", code
        assert validate_id_number(make_id(f"{code}{last + 1}0601123"), TODAY)[0] is None, code
        checked += 1
    assert checked > 3000


def test_the_registry_is_the_vendored_table_with_its_provenance():
    registry = load_registry()
    assert "yescallop/areacodes" in table_source() and "CC0" in table_source()
    in_use = [r for r in region_codes().values() if r.in_use]
    assert len(registry) == len(in_use) + 1  # and the national root
    assert registry.get("429004").parent_code == "420000"  # 仙桃市, directly under 湖北省
    assert "stdnum" not in repr(registry.get("330113"))


def test_python_stdnum_documents_its_own_example():
    # The one real-format example python-stdnum's documentation validates.
    assert validate_id_number("360426199101010071", TODAY) == ("360426199101010071", "")
