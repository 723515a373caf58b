"""core.validation: the rules every entry applies (pure)."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import pytest

from core.errors import InvalidInput
from core.validation import (
    BlankText,
    DateOutOfRange,
    NotFinite,
    NumberOutOfRange,
    TextTooLong,
    TooMany,
    UnreadableText,
    check_count,
    check_date,
    check_name,
    check_number,
    check_text,
    json_depth_exceeds,
    non_finite_in,
    parse_date,
)


def test_one_date_range_and_its_typed_error():
    assert check_date(dt.date(1900, 1, 1)) == dt.date(1900, 1, 1)
    assert check_date(dt.date(2199, 12, 31)) == dt.date(2199, 12, 31)
    for day in (dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(2200, 1, 1), dt.date.max):
        with pytest.raises(DateOutOfRange) as e:
            check_date(day, "asOf")
        assert e.value.code == "DATE_OUT_OF_RANGE" and e.value.message.startswith("asOf: ")
    assert isinstance(DateOutOfRange("x", dt.date.min), InvalidInput)
    with pytest.raises(DateOutOfRange):
        parse_date("9999-12-31", "until")
    with pytest.raises(InvalidInput, match="not a date"):
        parse_date("2021-6-1")
    with pytest.raises(InvalidInput, match="not a valid date"):
        parse_date("2021-02-30")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, Decimal("NaN"), Decimal("-Inf")])
def test_non_finite_numbers_are_refused(bad):
    with pytest.raises(NotFinite) as e:
        check_number(bad, "dibao.standard.urban")
    assert e.value.code == "NOT_A_FINITE_NUMBER"


def test_amounts_have_a_domain_bound():
    assert check_number(800) == 800 and check_number(10_000_000) == 10_000_000
    with pytest.raises(NumberOutOfRange):
        check_number(1e308)
    with pytest.raises(NumberOutOfRange):
        check_number(-1)
    with pytest.raises(InvalidInput):
        check_number(True)


def test_non_finite_values_are_found_with_their_path():
    doc = {"a": [1, math.nan], "b.c": {"d": math.inf}, "e": 1e308}
    assert list(non_finite_in(doc)) == ["$.a[1]", '$["b.c"].d']


def test_text_lengths_controls_and_names_that_show_nothing():
    assert check_name("  张三 ") == "张三"
    assert check_name("阿依古丽·买买提") == "阿依古丽·买买提"
    for blank in ("", "   ", "\u200b\u200b", "\u3000", "\u200d\ufeff", "\u0301"):
        with pytest.raises(BlankText):
            check_name(blank)
    with pytest.raises(UnreadableText):
        check_name("张\n三")
    with pytest.raises(TextTooLong):
        check_name("张" * 51)
    with pytest.raises(TextTooLong) as e:
        check_text("x" * 10_000_000, "notes")
    assert e.value.code == "TEXT_TOO_LONG" and "10,000,000" in e.value.message
    assert check_text("第一行\n第二行", "notes") == "第一行\n第二行"
    with pytest.raises(UnreadableText):
        check_text("a\x07b", "notes")


def test_counts_and_json_depth():
    with pytest.raises(TooMany) as e:
        check_count([0] * 10_001, "members", 50)
    assert e.value.code == "TOO_MANY_ITEMS"
    assert not json_depth_exceeds(json.dumps({"query": "{ a { b { c } } }" * 100, "v": [[1]]}))
    assert json_depth_exceeds("[" * 5000 + "]" * 5000)
    assert not json_depth_exceeds('{"s": "' + "[" * 5000 + '"}')  # brackets inside a string
    assert not json_depth_exceeds('{"s": "\\"[[["}')
