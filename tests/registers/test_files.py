"""Reading officials' spreadsheets: encodings, headers, cells Excel damaged."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core.registers.files import CellError, InvalidFile, digits_cell, id_cell, read_sheet
from core.registers.template import COLUMNS as REGISTER_COLUMNS
from core.registers.template import REQUIRED, template_rows

KNOWN = [c.header for c in REGISTER_COLUMNS]


def _csv(rows, encoding="utf-8-sig"):
    return ("\r\n".join(",".join(r) for r in rows) + "\r\n").encode(encoding)


def test_gbk_and_gb18030_files_are_read_and_say_so():
    rows = template_rows()
    for encoding in ("gbk", "gb18030"):
        sheet = read_sheet("户籍.csv", _csv(rows, encoding), known=KNOWN, required=REQUIRED)
        assert sheet.encoding == "gb18030"
        assert sheet.rows[-1].cells["姓名"] == "张三"
        assert "read as GB18030" in sheet.notes


def test_utf8_with_and_without_bom():
    for encoding in ("utf-8", "utf-8-sig"):
        sheet = read_sheet("a.csv", _csv(template_rows(), encoding), known=KNOWN, required=REQUIRED)
        assert sheet.encoding == "utf-8"
        assert sheet.columns[0] == "户编号"


def test_an_undecodable_file_is_refused_with_its_line():
    content = _csv(template_rows()) + b"\xff\xfe\xfa,\x81\r\n"
    with pytest.raises(InvalidFile) as exc:
        read_sheet("bad.csv", content, known=KNOWN, required=REQUIRED)
    assert "neither UTF-8 nor GBK/GB18030" in exc.value.message
    assert "bad.csv" in exc.value.message


def test_missing_required_columns_and_a_header_twice_are_named():
    rows = [["户编号", "姓名", "姓名", "身份证号"], ["1", "张三", "张三", "x"]]
    with pytest.raises(InvalidFile) as exc:
        read_sheet("a.csv", _csv(rows), known=KNOWN, required=REQUIRED)
    text = str(exc.value)
    assert "第 1 行 姓名: the header is given twice" in text
    for column in ("县区代码", "城乡类别", "收入类型", "与户主关系"):
        assert f"第 1 行 {column}: required column missing" in text


def test_a_title_row_above_the_header_is_skipped_but_a_merged_header_is_refused():
    book = Workbook()
    ws = book.active
    ws.append(["XX县低保家庭花名册"])
    ws.merge_cells("A1:D1")
    ws.append(template_rows()[0])
    ws.append(template_rows()[2])
    out = io.BytesIO()
    book.save(out)
    sheet = read_sheet("a.xlsx", out.getvalue(), known=KNOWN, required=REQUIRED)
    assert sheet.header_line == 2 and sheet.rows[0].line == 3

    book = Workbook()
    ws = book.active
    ws.append(template_rows()[0])
    ws.merge_cells("F1:G1")  # 姓名 and 身份证号 under one cell
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidFile) as exc:
        read_sheet("merged.xlsx", out.getvalue(), known=KNOWN, required=REQUIRED)
    assert "merged cells" in str(exc.value)


def test_an_id_number_excel_made_a_number_is_refused():
    with pytest.raises(CellError, match="Excel"):
        id_cell(4.40121e17)
    with pytest.raises(CellError, match="科学计数法"):
        id_cell("4.40121E+17")
    with pytest.raises(CellError, match="Excel"):
        id_cell(440121199001011234)
    assert id_cell(" 440121199001011234 ") == "440121199001011234"
    with pytest.raises(CellError, match="last digits are lost"):
        digits_cell(6.2210000000000004e18, "account number")
    assert digits_cell("6221000000000000001") == "6221000000000000001"


def test_unknown_file_types_are_refused():
    with pytest.raises(InvalidFile, match="unknown file type"):
        read_sheet("a.docx", b"", known=KNOWN, required=REQUIRED)
