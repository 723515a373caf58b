"""The household model: ID numbers, every field error at once, and the JSON round trip."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from stdnum.cn import ric

from core.access.roles import mask_id_number
from core.households.model import (
    InvalidHousehold,
    household_to_json,
    parse_household,
    validate_id_number,
    with_id_numbers,
)

TODAY = dt.date(2024, 1, 1)


def make_id(prefix17: str) -> str:
    return prefix17 + ric.calc_check_digit(prefix17 + "0")


HEAD = make_id("64012119700101123")
CHILD = make_id("64012120100101124")


def household(**changes):
    data = {
        "county": "640121",
        "area": "rural",
        "incomeClass": "stable",
        "members": [
            {"idNumber": HEAD, "name": "张三", "relation": "head"},
            {
                "idNumber": CHILD,
                "name": "张四",
                "relation": "child",
                "disability": {"kind": "intellectual", "grade": 2},
            },
        ],
        "income": [{"kind": "wages", "monthlyAmount": 800.5, "member": HEAD}],
        "expenses": [{"kind": "medical", "monthlyAmount": 120, "member": CHILD}],
    }
    data.update(changes)
    return data


def test_birth_date_and_sex_come_from_the_id_number(registry):
    h = parse_household(household(), registry, TODAY)
    head, child = h.members
    assert head.birth_date == dt.date(1970, 1, 1) and head.sex == "male"
    assert child.birth_date == dt.date(2010, 1, 1) and child.sex == "female"
    assert child.age_on(TODAY) == 14 and h.head is head


def test_round_trip(registry):
    h = parse_household(household(), registry, TODAY)
    assert parse_household(household_to_json(h), registry, TODAY) == h


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("12345", "must be 18 characters"),
        ("64012119700101123A", "17 digits followed by a digit or X"),
        (HEAD[:17] + ("0" if HEAD[17] != "0" else "1"), "check digit does not match"),
        (make_id("64012119701301123"), "not a valid date"),
        (make_id("64012120300101123"), "in the future"),
        (make_id("99010219700101123"), "not a GB/T 2260 code"),
    ],
)
def test_invalid_id_numbers(number, why):
    assert validate_id_number(number, TODAY) == (None, validate_id_number(number, TODAY)[1])
    assert why in validate_id_number(number, TODAY)[1]


def test_older_residents_numbers_issued_under_later_codes_are_valid():
    # Born 1950; 五华区's code 530102 dates from 1983: numbers record where they were issued.
    number = make_id("53010219500101123")
    assert validate_id_number(number, TODAY) == (number, "")
    assert not ric.is_valid(number)  # python-stdnum alone would reject this real pattern


def test_every_problem_is_reported_with_its_field_and_code(registry):
    bad = household(
        county="640100",
        members=[
            {
                "idNumber": HEAD[:17] + "0" if HEAD[17] != "0" else HEAD[:17] + "1",
                "name": "甲",
                "relation": "spouse",
            },
            {"idNumber": make_id("99010219700101123"), "name": "乙", "relation": "child"},
        ],
    )
    with pytest.raises(InvalidHousehold) as info:
        parse_household(bad, registry, TODAY)
    found = {(e.field, e.code) for e in info.value.errors}
    assert ("county", "INVALID_INPUT") in found  # a prefecture, not a county
    assert ("members[0].idNumber", "INVALID_ID_NUMBER") in found
    assert ("members[1].idNumber", "INVALID_ID_NUMBER") in found
    assert ("members", "INVALID_INPUT") in found  # no head
    assert ("income[0].member", "NOT_FOUND") in found


def test_schema_errors_come_with_paths(registry):
    bad = household(area="suburban", members=[{"idNumber": HEAD, "name": "", "relation": "head"}])
    with pytest.raises(InvalidHousehold) as info:
        parse_household(bad, registry, TODAY)
    assert {e.field for e in info.value.errors} == {"area", "members[0].name"}


def test_the_same_person_twice_in_one_household(registry):
    dup = household(
        expenses=[],
        members=[
            {"idNumber": HEAD, "name": "张三", "relation": "head"},
            {"idNumber": HEAD, "name": "张三", "relation": "child"},
        ],
    )
    with pytest.raises(InvalidHousehold) as info:
        parse_household(dup, registry, TODAY)
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("members[1].idNumber", "DUPLICATE_PERSON")
    ]


@pytest.mark.parametrize("amount", [1e30, 1e308, 10_000_001])
def test_absurd_amounts_are_errors_never_zero(registry, amount):
    with pytest.raises(InvalidHousehold) as info:
        parse_household(
            household(income=[{"kind": "wages", "monthlyAmount": amount}]), registry, TODAY
        )
    assert [e.field for e in info.value.errors] == ["income[0].monthlyAmount"]


def test_a_date_of_death_in_the_future_is_refused(registry):
    data = household()
    data["members"][1]["dateOfDeath"] = "2099-01-01"
    with pytest.raises(InvalidHousehold) as info:
        parse_household(data, registry, TODAY)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("members[1].dateOfDeath", "is in the future")
    ]


def test_living_apart_since_before_the_birth_date_is_refused(registry):
    """Nobody lives apart from their household since before they were born."""
    data = household()
    data["members"][1]["livingApartSince"] = "1900-01-01"
    with pytest.raises(InvalidHousehold) as info:
        parse_household(data, registry, TODAY)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("members[1].livingApartSince", "is before the birth date")
    ]


# -- the payment account (一卡通) -----------------------------------------------------------------


def account(**changes):
    out = {
        "holderIdNumber": HEAD.lower(),
        "holderName": "张三",
        "bank": "宁夏黄河农村商业银行(示例)",
        "accountNumber": "6228480012345678",
    }
    out.update(changes)
    return out


def test_payment_account_round_trip(registry):
    h = parse_household(household(paymentAccount=account()), registry, TODAY)
    a = h.payment_account
    assert a is not None and (a.holder_id_number, a.account_number) == (HEAD, "6228480012345678")
    doc = household_to_json(h)
    assert doc["paymentAccount"]["holderIdNumber"] == HEAD
    assert parse_household(doc, registry, TODAY) == h
    plain = parse_household(household(), registry, TODAY)
    assert plain.payment_account is None and "paymentAccount" not in household_to_json(plain)
    assert parse_household(household(paymentAccount=None), registry, TODAY) == plain


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"accountNumber": "6228 4800 1234"}, "paymentAccount.accountNumber", "INVALID_INPUT"),
        ({"accountNumber": "1234567"}, "paymentAccount.accountNumber", "INVALID_INPUT"),
        ({"accountNumber": "1" * 31}, "paymentAccount.accountNumber", "INVALID_INPUT"),
        ({"accountNumber": "12345678\n"}, "paymentAccount.accountNumber", "INVALID_INPUT"),
        ({"holderIdNumber": make_id("64012119800101125")}, "paymentAccount.holderIdNumber",
         "NOT_FOUND"),
        ({"holderName": "李四"}, "paymentAccount.holderName", "INVALID_INPUT"),
        ({"bank": "  "}, "paymentAccount.bank", "BLANK_TEXT"),
        ({"bank": "\u200b"}, "paymentAccount.bank", "BLANK_TEXT"),
        ({"bank": "银" * 201}, "paymentAccount.bank", "TEXT_TOO_LONG"),
        ({"iban": "x"}, "paymentAccount", "INVALID_INPUT"),
    ],
)  # fmt: skip
def test_payment_account_errors_have_their_field(registry, changes, field, code):
    with pytest.raises(InvalidHousehold) as e:
        parse_household(household(paymentAccount=account(**changes)), registry, TODAY)
    assert [(x.field, x.code) for x in e.value.errors] == [(field, code)]
    if field.endswith("accountNumber"):
        assert "8 to 30 digits" in e.value.errors[0].message


def test_with_id_numbers_reaches_every_id_number_of_a_household_and_copies():
    data = household(
        income=[{"kind": "wages", "monthlyAmount": 900, "member": HEAD},
                {"kind": "transfer", "monthlyAmount": 100, "member": None}],
        expenses=[{"kind": "medical", "monthlyAmount": 50, "member": CHILD}],
        paymentAccount={"holderIdNumber": HEAD, "holderName": "张三", "bank": "农业银行",
                        "accountNumber": "6228480012345678"},
    )  # fmt: skip
    doc = copy.deepcopy(data)
    shown = with_id_numbers(doc, mask_id_number)
    masked = [mask_id_number(HEAD), mask_id_number(CHILD)]
    assert [m["idNumber"] for m in shown["members"]] == masked
    assert [x["member"] for x in shown["income"]] == [mask_id_number(HEAD), None]
    assert shown["expenses"][0]["member"] == mask_id_number(CHILD)
    assert shown["paymentAccount"]["holderIdNumber"] == mask_id_number(HEAD)
    assert HEAD not in str(shown) and CHILD not in str(shown)
    assert doc == data  # the original is kept
    assert with_id_numbers(doc, lambda n: n) == doc
