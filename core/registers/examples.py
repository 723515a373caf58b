"""Example register files for trying doudi (clearly marked: the names are 示例, the ID numbers
are generated with valid check digits, no real person's). Pure: rows out."""

from __future__ import annotations

import random

from stdnum.cn import ric

from core.registers.template import COLUMNS, INCOME_COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def example_id(county: str, birth: str, seq: int) -> str:
    body = f"{county}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _unique(county: str, birth: str, serial: int, used: set[str]) -> str:
    """A generated ID number not given yet in this file (1,000 sequence numbers a birth date)."""
    for step in range(1000):
        number = example_id(county, birth, serial + step)
        if number not in used:
            used.add(number)
            return number
    raise ValueError(f"more than 1000 example people born on {birth}")


def example_rows(county: str, households: int, *, seed: int = 1) -> list[list[str]]:
    """A register of ``households`` example households in ``county`` (1 to 5 members each),
    in the template's columns; the same seed gives the same file."""
    rng = random.Random(seed)
    header = [c.header for c in COLUMNS]
    rows = [header]
    serial = 0
    used: set[str] = set()
    for h in range(1, households + 1):
        size = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        area = rng.choice(("城市", "农村"))
        klass = rng.choice(("常年收入无变化", "短期内收入变化不大", "收入不固定且有劳动能力"))
        surname = rng.choice(SURNAMES)
        relations = ["户主", "配偶", "子女", "子女", "父母"][:size]
        for i, relation in enumerate(relations):
            serial += 1
            year = {"户主": 1960, "配偶": 1962, "子女": 1990, "父母": 1940}[relation]
            year += rng.randrange(0, 10)
            birth = f"{year}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            values = {
                "户编号": f"示例{h:05d}",
                "县区代码": county,
                "城乡类别": area,
                "收入类型": klass,
                "财产符合当地规定": "是",
                "姓名": surname + rng.choice(GIVEN) + rng.choice(GIVEN) + "(示例)",
                "身份证号": _unique(county, birth, serial, used),
                "与户主关系": relation,
                "劳动能力": "有劳动能力" if relation in ("户主", "配偶") else "完全丧失劳动能力",
                "备注": "示例数据",
            }
            if relation == "户主":
                values[INCOME_COLUMNS["wages"]] = str(rng.randrange(0, 8) * 100)
                values["一卡通开户银行"] = "示例银行"
                values["一卡通账号"] = f"62210{serial:014d}"
            if i and rng.random() < 0.05:
                values["残疾类别"], values["残疾等级"] = "肢体", str(rng.randrange(1, 5))
            rows.append([values.get(c, "") for c in header])
    return rows


__all__ = ["example_id", "example_rows"]
