"""The household register as a spreadsheet (pure): its columns with Chinese headers, the
template, and rows → household documents, validated with the household model and reported in
the file's own terms ("第 12 行 身份证号: 校验码不符").

One row per member; rows with the same 户编号 (the file's own household number) form one
household. The household's columns (县区代码, 城乡类别, 收入类型, 财产符合当地规定, 备注) are read
from its first row and must not disagree on the others. The payment account (一卡通) is given on
the row of the member who holds it.

Import is an upsert keyed by resident ID number (:func:`plan_import`): a household whose members
are already active in one stored household updates that household (members the file no longer
lists are removed — the file's rows are the whole household); none → a new household; members
active in two different stored households → an error. Columns the file leaves out keep the stored
values (a file without the income columns changes no income); a household the file describes
exactly as stored is left alone, so re-importing a file changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.households.model import (
    AssetKind,
    DisabilityKind,
    Household,
    IncomeClass,
    IncomeKind,
    InvalidHousehold,
    LabourCapacity,
    Relation,
    compact_id_number,
    household_to_json,
    parse_household,
    validate_id_number,
)
from core.policy.jurisdictions import JurisdictionRegistry
from core.registers.files import (
    CellError,
    Problem,
    Row,
    Sheet,
    bool_cell,
    date_cell,
    digits_cell,
    id_cell,
    int_cell,
    money_cell,
    text_cell,
)

_ = AssetKind  # assets are kept as stored: the register does not carry them


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # Chinese header, as in the template
    key: str  # the JSON field it feeds
    required: bool = False
    level: str = "member"  # member / household / account / income
    help: str = ""  # what to type (the template's second row)


# Words officials write, → the model's values (the English values are accepted too).
AREAS = {"城市": "urban", "城镇": "urban", "农村": "rural"}
INCOME_CLASSES = {
    "常年收入无变化": "stable",
    "短期内收入变化不大": "slow_change",
    "收入不固定且有劳动能力": "irregular_with_labour",
}
RELATIONS = {
    "户主": "head",
    "本人": "head",
    "配偶": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "子女": "child",
    "子": "child",
    "女": "child",
    "父母": "parent",
    "父亲": "parent",
    "母亲": "parent",
    "兄弟姐妹": "sibling",
    "祖父母": "grandparent",
    "外祖父母": "grandparent",
    "孙子女": "grandchild",
    "外孙子女": "grandchild",
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
    "其他": "other",
}
RELATION_WORDS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "sibling": "兄弟姐妹",
    "grandparent": "祖父母",
    "grandchild": "孙子女",
    "child_in_law": "儿媳/女婿",
    "other": "其他",
}
DISABILITY_KINDS = {
    "肢体": "physical",
    "视力": "visual",
    "听力": "hearing",
    "言语": "speech",
    "智力": "intellectual",
    "精神": "mental",
    "多重": "multiple",
}
GRADES = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}
LABOUR = {
    "有劳动能力": "full",
    "完全": "full",
    "部分丧失劳动能力": "partial",
    "部分丧失": "partial",
    "完全丧失劳动能力": "none",
    "完全丧失": "none",
}
INCOME_COLUMNS = {
    "wages": "工资性收入(元/月)",
    "agriculture": "农业经营收入(元/月)",
    "business": "经营性收入(元/月)",
    "property": "财产性收入(元/月)",
    "pension": "养老金(元/月)",
    "transfer": "转移性收入(元/月)",
    "other": "其他收入(元/月)",
}
assert set(INCOME_COLUMNS) == {k.value for k in IncomeKind}

COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household", True, "household", "同一户的成员填同一编号"),
    Column("县区代码", "county", True, "household", "6 位行政区划代码, 如 450326"),
    Column("城乡类别", "area", True, "household", "城市 / 农村"),
    Column(
        "收入类型",
        "incomeClass",
        True,
        "household",
        "常年收入无变化 / 短期内收入变化不大 / 收入不固定且有劳动能力",
    ),
    Column(
        "财产符合当地规定", "propertyWithinLocalRules", False, "household", "是 / 否 / 空(未评估)"
    ),
    Column("姓名", "name", True),
    Column("身份证号", "idNumber", True, "member", "18 位, 单元格设为文本"),
    Column("与户主关系", "relation", True, "member", "户主 / 配偶 / 子女 / 父母 / 兄弟姐妹 / …"),
    Column("残疾类别", "disabilityKind", False, "member", "肢体/视力/听力/言语/智力/精神/多重"),
    Column("残疾等级", "disabilityGrade", False, "member", "1-4 (一级最重)"),
    Column("重病", "seriousIllness", False, "member", "是 / 否"),
    Column("获重特大疾病医疗救助", "majorIllnessMedicalAid", False, "member", "是 / 否"),
    Column(
        "劳动能力",
        "labourCapacity",
        False,
        "member",
        "有劳动能力 / 部分丧失劳动能力 / 完全丧失劳动能力",
    ),
    Column("在校", "inSchool", False, "member", "是 / 否"),
    Column("就业", "employed", False, "member", "是 / 否"),
    Column("死亡日期", "dateOfDeath", False, "member", "YYYY-MM-DD"),
    *(Column(h, f"income.{k}", False, "income", "元/月") for k, h in INCOME_COLUMNS.items()),
    Column("一卡通开户银行", "bank", False, "account", "账户持有人所在行填写"),
    Column("一卡通账号", "accountNumber", False, "account", "8-30 位数字, 单元格设为文本"),
    Column("备注", "notes", False, "household", ""),
)
BY_HEADER = {c.header: c for c in COLUMNS}
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.header for c in COLUMNS if c.required)

# The model's ID messages, in the words of the form (the model's own text otherwise).
_ID_MESSAGES = (
    ("must be 18 characters", "应为 18 位"),
    ("must be 17 digits", "应为 17 位数字加 1 位数字或 X"),
    ("check digit", "校验码不符"),
    ("not a valid date", "出生日期无效"),
    ("in the future", "出生日期晚于今天"),
    ("region code", "地区码不是 GB/T 2260 代码"),
)


def id_message(why: str) -> str:
    """The model's reason an ID number is invalid, in Chinese first."""
    for needle, zh in _ID_MESSAGES:
        if needle in why:
            return f"{zh} ({why})"
    return why


# -- the template ------------------------------------------------------------------------------


def template_rows() -> list[list[str]]:
    """The template: the header row, the help row (what to type), and one example household
    (marked as an example: delete it)."""
    example = {
        "户编号": "示例1(请删除)",
        "县区代码": "450326",
        "城乡类别": "农村",
        "收入类型": "常年收入无变化",
        "财产符合当地规定": "是",
        "姓名": "张三",
        "身份证号": "450326198001010017",
        "与户主关系": "户主",
        "劳动能力": "部分丧失劳动能力",
        "工资性收入(元/月)": "300",
        "一卡通开户银行": "广西农村信用社",
        "一卡通账号": "6221000000000000001",
    }
    return [
        [c.header for c in COLUMNS],
        [("必填: " if c.required else "") + c.help for c in COLUMNS],
        [example.get(c.header, "") for c in COLUMNS],
    ]


HELP_ROW_PREFIX = "必填: "


# -- rows → households -------------------------------------------------------------------------


@dataclass
class FileHousehold:
    """One household as the file gives it (its rows, in order)."""

    key: str
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Planned:
    """What the import does to one household of the file."""

    action: str  # "create" / "update" / "unchanged"
    key: str  # 户编号
    lines: tuple[int, ...]
    household: Household
    document: dict[str, Any]
    household_id: int | None = None
    version: int | None = None
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    file_name: str
    file_hash: str
    items: tuple[Planned, ...]
    notes: tuple[str, ...] = ()

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    @property
    def members(self) -> int:
        return sum(len(i.household.members) for i in self.items)


def _word(value: Any, words: Mapping[str, str], allowed: Iterable[str], what: str) -> str | None:
    text = text_cell(value)
    if text is None:
        return None
    if text in words:
        return words[text]
    if text in set(allowed):
        return text
    raise CellError(f"'{text}' is not a {what}: one of " + " / ".join(words))


def _cells(row: Row) -> tuple[str | None, ...]:
    """A row's cells as text, to tell a repeated row from another row of the same person (read
    only then: every row of a register has some forty cells)."""
    return tuple(text_cell(v) for v in row.cells.values())


def _is_help_row(row: Row) -> bool:
    first = row.cells.get("户编号")
    return isinstance(first, str) and (first.startswith((HELP_ROW_PREFIX, "同一户", "#")))


def group_rows(sheet: Sheet, problems: list[Problem]) -> list[FileHousehold]:
    """The file's households, in the order they first appear; the template's help row skipped;
    a row without 户编号 is a problem."""
    groups: dict[str, FileHousehold] = {}
    for row in sheet.rows:
        if _is_help_row(row):
            continue
        key = text_cell(row.cells.get("户编号"))
        if key is None:
            problems.append(Problem(row.line, "户编号", "empty (必填)"))
            continue
        groups.setdefault(key, FileHousehold(key)).rows.append(row)
    return list(groups.values())


class _Reader:
    """Reads one row's cells, collecting every problem."""

    def __init__(self, row: Row, problems: list[Problem], columns: set[str]) -> None:
        self.row, self.problems, self.columns = row, problems, columns

    def has(self, header: str) -> bool:
        return header in self.columns

    def get(self, header: str, convert: Callable[[Any], Any]) -> Any:
        if header not in self.columns:
            return None
        try:
            return convert(self.row.cells.get(header))
        except CellError as exc:
            self.problems.append(Problem(self.row.line, header, str(exc)))
            return None

    def required(self, header: str, convert: Callable[[Any], Any]) -> Any:
        value = self.get(header, convert)
        if value is None and not any(
            p.row == self.row.line and p.column == header for p in self.problems
        ):
            self.problems.append(Problem(self.row.line, header, "empty (必填)"))
        return value


def _grade(value: Any) -> int | None:
    text = text_cell(value)
    if text is None:
        return None
    if text in GRADES:
        return GRADES[text]
    grade = int_cell(text)
    if grade is None or not 1 <= grade <= 4:
        raise CellError(f"'{text}' is not a disability grade: 1 to 4")
    return grade


_HOUSEHOLD_FIELDS = ("县区代码", "城乡类别", "收入类型", "财产符合当地规定", "备注")


def _household_fields(
    group: FileHousehold, problems: list[Problem], columns: set[str]
) -> dict[str, Any]:
    first = group.rows[0]
    r = _Reader(first, problems, columns)
    out: dict[str, Any] = {
        "county": r.required("县区代码", text_cell),
        "area": r.required("城乡类别", lambda v: _word(v, AREAS, ("urban", "rural"), "城乡类别")),
        "incomeClass": r.required(
            "收入类型",
            lambda v: _word(v, INCOME_CLASSES, (c.value for c in IncomeClass), "收入类型"),
        ),
    }
    if "财产符合当地规定" in columns:
        out["propertyWithinLocalRules"] = r.get("财产符合当地规定", bool_cell)
    if "备注" in columns:
        out["notes"] = r.get("备注", text_cell) or ""
    for row in group.rows[1:]:
        for header in _HOUSEHOLD_FIELDS:
            if header not in columns:
                continue
            mine, theirs = row.cells.get(header), first.cells.get(header)
            if mine is not None and text_cell(mine) != text_cell(theirs):
                problems.append(
                    Problem(
                        row.line,
                        header,
                        f"'{text_cell(mine)}' disagrees with 第 {first.line} 行 "
                        f"('{text_cell(theirs)}') of the same household (户编号 {group.key})",
                    )
                )
    return out


def _member(
    row: Row, problems: list[Problem], columns: set[str], old: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The member JSON of ``row``; fields whose column the file lacks keep ``old``'s value."""
    r = _Reader(row, problems, columns)
    m: dict[str, Any] = dict(old or {})
    m["name"] = r.required("姓名", text_cell)
    m["idNumber"] = r.required("身份证号", id_cell)
    m["relation"] = r.required(
        "与户主关系", lambda v: _word(v, RELATIONS, (x.value for x in Relation), "与户主关系")
    )
    if r.has("残疾类别") or r.has("残疾等级"):
        kind = r.get(
            "残疾类别",
            lambda v: _word(v, DISABILITY_KINDS, (k.value for k in DisabilityKind), "残疾类别"),
        )
        grade = r.get("残疾等级", _grade)
        if kind is None and grade is None:
            m["disability"] = None
        elif kind is None or grade is None:
            missing = "残疾类别" if kind is None else "残疾等级"
            problems.append(Problem(row.line, missing, "give both the kind and the grade"))
        else:
            m["disability"] = {"kind": kind, "grade": grade}
    flags = (
        ("重病", "seriousIllness"),
        ("获重特大疾病医疗救助", "majorIllnessMedicalAid"),
        ("在校", "inSchool"),
        ("就业", "employed"),
    )
    for header, key in flags:
        if r.has(header):
            m[key] = bool(r.get(header, bool_cell))
    if r.has("劳动能力"):
        labour = r.get(
            "劳动能力",
            lambda v: _word(v, LABOUR, (x.value for x in LabourCapacity), "劳动能力"),
        )
        m["labourCapacity"] = labour or "full"
    if r.has("死亡日期"):
        died = r.get("死亡日期", date_cell)
        m["dateOfDeath"] = died.isoformat() if died else None
    return m


def _field_column(field: str) -> tuple[int | None, str | None]:
    """(member index, column header) of a model field path such as ``members[2].idNumber``."""
    index = None
    rest = field
    if field.startswith("members["):
        index = int(field[len("members[") : field.index("]")])
        rest = field[field.index("]") + 2 :] if "]." in field else ""
    names = {
        **{c.key: c.header for c in COLUMNS if "." not in c.key},
        "idNumber": "身份证号",
        "name": "姓名",
        "relation": "与户主关系",
        "dateOfDeath": "死亡日期",
        "disability": "残疾等级",
        "labourCapacity": "劳动能力",
        "county": "县区代码",
        "area": "城乡类别",
        "incomeClass": "收入类型",
        "paymentAccount.accountNumber": "一卡通账号",
        "paymentAccount.bank": "一卡通开户银行",
        "paymentAccount.holderName": "姓名",
        "paymentAccount.holderIdNumber": "身份证号",
        "members": "与户主关系",
    }
    key = rest.split(".")[0] if rest and not rest.startswith("paymentAccount") else rest
    return index, names.get(key) or names.get(rest) or (rest or None)


def plan_import(
    sheet: Sheet,
    registry: JurisdictionRegistry,
    today: dt.date,
    stored: Mapping[str, tuple[int, int, Mapping[str, Any]]],
    *,
    may_write: Callable[[str], str | None] = lambda county: None,
) -> tuple[Plan, list[Problem]]:
    """What importing ``sheet`` would do, and every problem (an import goes ahead only with
    none).

    ``stored``: for each ID number in the file that is an active member somewhere, (household
    id, version, document) of that household. ``may_write(county)``: None when the importing
    official may write households there, else why not.
    """
    problems: list[Problem] = []
    columns = set(sheet.columns)
    groups = group_rows(sheet, problems)
    seen: dict[str, tuple[Row, str]] = {}  # ID number → its first row and 户编号
    items: list[Planned] = []
    for group in groups:
        fields = _household_fields(group, problems, columns)
        # The stored household this file household is (by its members' ID numbers).
        # Here only the form and check digit (cheap): the model's full validation runs once,
        # in parse_household, or below for a household with other problems.
        numbers: list[str | None] = []
        typed_numbers: list[str | None] = []
        for row in group.rows:
            number = typed = None
            try:
                typed = id_cell(row.cells.get("身份证号"))
            except CellError:
                pass  # reported with the member's other cells
            else:
                number = _well_formed(typed)
            numbers.append(number)
            typed_numbers.append(typed)
        targets = sorted({stored[n][0] for n in numbers if n is not None and n in stored})
        if len(targets) > 1:
            clash = ", ".join(
                f"第 {row.line} 行 → household {stored[n][0]}"
                for row, n in zip(group.rows, numbers, strict=True)
                if n is not None and n in stored
            )
            problems.append(
                Problem(
                    group.rows[0].line,
                    "身份证号",
                    f"the members of 户编号 {group.key} are active in different stored "
                    f"households ({clash}); move them into one household first",
                )
            )
            continue
        known = [n for n in numbers if n is not None and n in stored]
        target = stored[known[0]] if known else None
        old_doc: Mapping[str, Any] = target[2] if target else {}
        old_members = {m["idNumber"]: m for m in old_doc.get("members", ())}
        members: list[dict[str, Any]] = []
        account: dict[str, Any] | None = None
        income: list[dict[str, Any]] = [
            x for x in old_doc.get("income", ()) if x.get("member") is None
        ]
        for row, number in zip(group.rows, numbers, strict=True):
            if number is not None:
                if number in seen:
                    first, other_key = seen[number]
                    if other_key != group.key:
                        msg = (
                            f"the same person is in 户编号 {other_key} (第 {first.line} 行) and "
                            f"户编号 {group.key}: a person belongs to one household"
                        )
                    elif _cells(first) == _cells(row):
                        msg = f"duplicated row: the same as 第 {first.line} 行 (重复行)"
                    else:
                        msg = f"the same person is already 第 {first.line} 行 of this household"
                    problems.append(Problem(row.line, "身份证号", msg))
                    continue
                seen[number] = (row, group.key)
            m = _member(row, problems, columns, old_members.get(number or ""))
            if number is not None:
                m["idNumber"] = number
            members.append(m)
            kept_kinds = {k for k in INCOME_COLUMNS if INCOME_COLUMNS[k] not in columns}
            for x in old_doc.get("income", ()):
                if x.get("member") == number and x["kind"] in kept_kinds:
                    income.append(dict(x))
            r = _Reader(row, problems, columns)
            for kind, header in INCOME_COLUMNS.items():
                if header in columns:
                    amount = r.get(header, money_cell)
                    if amount is not None and float(amount) > 0:
                        income.append(
                            {
                                "kind": kind,
                                "monthlyAmount": float(amount),
                                "member": number,
                                "regular": True,
                            }
                        )
            bank = r.get("一卡通开户银行", text_cell)
            acct = r.get("一卡通账号", lambda v: digits_cell(v, "account number"))
            if bank is not None or acct is not None:
                if account is not None:
                    problems.append(
                        Problem(row.line, "一卡通账号", "a household has one payment account")
                    )
                elif bank is None or acct is None:
                    problems.append(
                        Problem(
                            row.line,
                            "一卡通开户银行" if bank is None else "一卡通账号",
                            "give both the bank and the account number",
                        )
                    )
                else:
                    account = {
                        "holderIdNumber": number or "",
                        "holderName": m.get("name") or "",
                        "bank": bank,
                        "accountNumber": acct,
                    }
        if not members:
            continue
        doc: dict[str, Any] = {
            "county": fields["county"],
            "area": fields["area"],
            "incomeClass": fields["incomeClass"],
            "propertyWithinLocalRules": fields.get(
                "propertyWithinLocalRules", old_doc.get("propertyWithinLocalRules")
            ),
            "notes": fields.get("notes", old_doc.get("notes", "")),
            "members": members,
            "income": income,
            "expenses": [
                x
                for x in old_doc.get("expenses", ())
                if x.get("member") is None or x.get("member") in {m["idNumber"] for m in members}
            ],
            "assets": list(old_doc.get("assets", ())),
        }
        if account is not None:
            doc["paymentAccount"] = account
        elif old_doc.get("paymentAccount") and old_doc["paymentAccount"]["holderIdNumber"] in {
            m["idNumber"] for m in members
        }:
            doc["paymentAccount"] = dict(old_doc["paymentAccount"])
        lines_of_group = {r.line for r in group.rows}
        if any(p.row in lines_of_group for p in problems) or None in (
            fields["county"],
            fields["area"],
            fields["incomeClass"],
        ):
            # parse_household will not run: say what is wrong with the ID numbers here
            for row, typed in zip(group.rows, typed_numbers, strict=True):
                if typed is None:
                    continue
                valid, why = validate_id_number(typed, today)
                if valid is None and not any(
                    p.row == row.line and p.column == "身份证号" for p in problems
                ):
                    problems.append(Problem(row.line, "身份证号", id_message(why)))
            continue
        try:
            household = parse_household(doc, registry, today)
        except InvalidHousehold as exc:
            for e in exc.errors:
                index, column = _field_column(e.field)
                line = (
                    group.rows[index].line
                    if index is not None and index < len(group.rows)
                    else group.rows[0].line
                )
                message = id_message(e.message) if e.code == "INVALID_ID_NUMBER" else e.message
                problem = Problem(line, column, message)
                if problem not in problems:  # the model may say one thing twice (schema, rule)
                    problems.append(problem)
            continue
        denied = may_write(household.county)
        if denied:
            problems.append(Problem(group.rows[0].line, "县区代码", denied))
            continue
        document = household_to_json(household)
        lines = tuple(r.line for r in group.rows)
        if target is None:
            items.append(Planned("create", group.key, lines, household, document))
            continue
        # Stored documents are what household_to_json wrote: compared as they are.
        changes = describe_changes(target[2], document)
        items.append(
            Planned(
                "update" if changes else "unchanged",
                group.key,
                lines,
                household,
                document,
                household_id=target[0],
                version=target[1],
                changes=changes,
            )
        )
    notes = [*sheet.notes]
    if sheet.ignored_columns:
        notes.append("columns not read: " + ", ".join(sheet.ignored_columns))
    return Plan(sheet.file_name, sheet.file_hash, tuple(items), tuple(notes)), problems


def _well_formed(typed: str) -> str | None:
    """The normalised number when it has the form of an ID number and its check digit matches
    (enough to find the stored household; the model validates it fully)."""
    from stdnum.cn import ric

    number = compact_id_number(typed)
    if len(number) != 18 or not number[:17].isdigit() or not number.isascii():
        return None
    return number if ric.calc_check_digit(number) == number[17] else None


def describe_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """What differs between two household documents, in short phrases (no ID numbers)."""
    out: list[str] = []
    for key in ("county", "area", "incomeClass", "propertyWithinLocalRules", "notes"):
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key)!r} → {new.get(key)!r}")
    old_m = {m["idNumber"]: m for m in old.get("members", ())}
    new_m = {m["idNumber"]: m for m in new.get("members", ())}
    for number in old_m.keys() - new_m.keys():
        out.append(f"member removed: {old_m[number]['name']}")
    for number in new_m.keys() - old_m.keys():
        out.append(f"member added: {new_m[number]['name']}")
    for number in old_m.keys() & new_m.keys():
        a, b = old_m[number], new_m[number]
        fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if fields:
            out.append(f"{b['name']}: " + ", ".join(fields))
    if [m["idNumber"] for m in old.get("members", ())] != [
        m["idNumber"] for m in new.get("members", ())
    ] and not any(s.startswith("member ") for s in out):
        out.append("order of members")
    for key in ("income", "expenses", "assets", "paymentAccount"):
        if _canon(old.get(key)) != _canon(new.get(key)):
            out.append(f"{key} changed")
    return tuple(out)


def _canon(value: Any) -> Any:
    if isinstance(value, list):
        return sorted((_canon(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    return value


# -- households → rows (export) ----------------------------------------------------------------


def export_rows(households: Sequence[tuple[int, Mapping[str, Any]]]) -> list[list[Any]]:
    """The register of stored households in the template's columns (a file that imports back
    unchanged): one row per active member, 户编号 = the household id."""
    rows: list[list[Any]] = [[c.header for c in COLUMNS]]
    areas = {v: k for k, v in AREAS.items() if k != "城镇"}
    classes = {v: k for k, v in INCOME_CLASSES.items()}
    kinds = {v: k for k, v in DISABILITY_KINDS.items()}
    labour = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "完全丧失劳动能力"}
    for hid, doc in households:
        account = doc.get("paymentAccount") or {}
        for m in doc["members"]:
            own = {
                x["kind"]: x["monthlyAmount"]
                for x in doc.get("income", ())
                if x.get("member") == m["idNumber"]
            }
            dis = m.get("disability") or {}
            values = {
                "户编号": str(hid),
                "县区代码": doc["county"],
                "城乡类别": areas[doc["area"]],
                "收入类型": classes[doc["incomeClass"]],
                "财产符合当地规定": {True: "是", False: "否", None: ""}[
                    doc.get("propertyWithinLocalRules")
                ],
                "姓名": m["name"],
                "身份证号": m["idNumber"],
                "与户主关系": RELATION_WORDS[m["relation"]].split("/")[0],
                "残疾类别": kinds.get(dis.get("kind", ""), ""),
                "残疾等级": dis.get("grade", ""),
                "重病": "是" if m.get("seriousIllness") else "否",
                "获重特大疾病医疗救助": "是" if m.get("majorIllnessMedicalAid") else "否",
                "劳动能力": labour[m.get("labourCapacity", "full")],
                "在校": "是" if m.get("inSchool") else "否",
                "就业": "是" if m.get("employed") else "否",
                "死亡日期": m.get("dateOfDeath") or "",
                "一卡通开户银行": account.get("bank", "")
                if account.get("holderIdNumber") == m["idNumber"]
                else "",
                "一卡通账号": account.get("accountNumber", "")
                if account.get("holderIdNumber") == m["idNumber"]
                else "",
                "备注": doc.get("notes", ""),
            }
            for kind, header in INCOME_COLUMNS.items():
                amount = own.get(kind)
                values[header] = f"{amount:.2f}" if amount else ""
            rows.append([values.get(c.header, "") for c in COLUMNS])
    return rows


__all__ = [
    "BY_HEADER",
    "COLUMNS",
    "INCOME_COLUMNS",
    "REQUIRED",
    "Column",
    "Plan",
    "Planned",
    "describe_changes",
    "export_rows",
    "id_message",
    "plan_import",
    "template_rows",
]
