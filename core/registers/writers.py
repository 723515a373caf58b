"""Spreadsheets out (pure: rows in, bytes out): XLSX and CSV as officials open them.

- CSV: UTF-8 with a byte-order mark (Excel in China then reads it as UTF-8), CRLF lines.
- XLSX: every cell written as text where a column holds identifiers (ID numbers, account
  numbers: Excel would turn 18 digits into 4.40121E+17), the header row frozen.
- Both neutralise cells a spreadsheet would run as a formula (CSV injection): text starting with
  = + - @ (or a tab or carriage return) gets a leading apostrophe.
- ``footer``: lines written after the rows (who exported it and when: every export carries them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(rows: Sequence[Sequence[Any]], footer: Sequence[str] = ()) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    for line in footer:
        writer.writerow([safe_cell(line)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "Sheet1",
    footer: Sequence[str] = (),
) -> bytes:
    """An XLSX workbook of one sheet: the first row is the header; every cell is text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    if rows:
        sheet.freeze_panes = "A2"
        width = len(rows[0])
        for i in range(width):
            letter = _column_letter(i)
            sheet.column_dimensions[letter].width = max(
                10, min(40, 2 + max(len(str(r[i])) if i < len(r) else 0 for r in rows[:50]) * 2)
            )
    bold = Font(bold=True)
    for n, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            cell.number_format = "@"  # text: identifiers stay as typed
            if n == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    for line in footer:
        sheet.append([WriteOnlyCell(sheet, value=safe_cell(line))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


__all__ = ["csv_bytes", "safe_cell", "xlsx_bytes"]
