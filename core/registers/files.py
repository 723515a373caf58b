"""Spreadsheets as officials keep them: CSV (UTF-8 or GBK/GB18030), XLSX and Parquet, read into
rows under their header, with every problem located in the file's own terms.

Pure of storage: bytes in, :class:`Sheet` out (or :class:`InvalidFile` naming the file, the row
as the spreadsheet numbers it and the column by its header). What this module catches before any
row is read as data:

- the encoding: UTF-8 (with or without BOM) is tried first, then GB18030 (a superset of GBK and
  GB2312, what Chinese Excel writes by default); ``encoding=`` forces one. A file neither can
  decode is refused with the line it fails on — never read with replacement characters;
- the header: the first of the first :data:`HEADER_SEARCH_ROWS` rows that holds a required
  header (a merged title row above it is fine); a merged cell that overlaps the header row is
  refused (the columns under it would have no name); a required column missing, or a header
  given twice, is refused;
- empty rows are skipped (their line numbers still count).

A cell is given as read: text for CSV; for XLSX whatever the cell holds (text, a number, a date)
so that callers can tell a number Excel made of an ID from the ID typed as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, cast

from core.errors import DoudiError, InvalidInput
from core.validation import (
    MAX_MONTHLY_YUAN,
    MAX_SHORT_TEXT,
    check_date,
    check_name,
    check_number,
    check_text,
)

HEADER_SEARCH_ROWS = 10
MAX_PROBLEMS_SHOWN = 50
FORMATS = ("csv", "xlsx", "xls", "parquet")

Cell = Any  # str, int, float, bool, datetime.date/datetime, or None


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with a file: where (row as the spreadsheet numbers it, column header) and why."""

    row: int | None
    column: str | None
    message: str

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(self.column)
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class InvalidFile(DoudiError):
    """A file that cannot be imported; ``problems`` lists every problem found (nothing is
    written)."""

    code = "INVALID_FILE"

    def __init__(self, file_name: str, problems: Sequence[Problem]) -> None:
        self.file_name = file_name
        self.problems = tuple(problems)
        n = len(self.problems)
        shown = [f"  {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if n > MAX_PROBLEMS_SHOWN:
            shown.append(f"  … and {n - MAX_PROBLEMS_SHOWN} more")
        super().__init__(
            f"{file_name}: {n} problem{'s' if n != 1 else ''}, nothing imported:\n"
            + "\n".join(shown)
        )


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # the row number the spreadsheet shows (1-based, counting the header)
    cells: dict[str, Cell]  # header → cell (None: empty)


@dataclass(frozen=True, slots=True)
class Sheet:
    file_name: str
    file_hash: str  # SHA-256 of the file's bytes
    format: str  # csv / xlsx / xls / parquet
    encoding: str | None  # for CSV: the encoding it was read with
    header_line: int
    columns: tuple[str, ...]  # the headers as the file has them (known ones)
    ignored_columns: tuple[str, ...]  # headers the reader does not know
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = field(default=())


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_format(file_name: str) -> str:
    suffix = PurePath(file_name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidFile(
            file_name,
            [Problem(None, None, f"unknown file type '.{suffix}': give .csv, .xlsx or .parquet")],
        )
    return suffix


def clean_header(value: Cell) -> str:
    """A header cell as text: spaces, line breaks and a trailing '*' (required mark) dropped."""
    if value is None:
        return ""
    text = "".join(str(value).split())
    return text.rstrip("*").rstrip("＊")


def decode_csv(file_name: str, content: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used). UTF-8 first, then GB18030, unless ``encoding`` is given."""
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    failures: list[str] = []
    for enc in tried:
        try:
            return content.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except LookupError:
            raise InvalidFile(
                file_name, [Problem(None, None, f"unknown encoding '{enc}'")]
            ) from None
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            failures.append(f"{enc} (第 {line} 行, byte {exc.start})")
    raise InvalidFile(
        file_name,
        [
            Problem(
                None,
                None,
                "the file's encoding is neither UTF-8 nor GBK/GB18030 (tried "
                + ", ".join(failures)
                + "); save it as CSV UTF-8 or pass --encoding",
            )
        ],
    )


def _csv_rows(text: str) -> Iterator[list[Cell]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        yield [c if c.strip() != "" else None for c in record]


def _xlsx_rows(file_name: str, content: bytes) -> tuple[list[list[Cell]], list[tuple[int, int]]]:
    """Rows of the first sheet and the row spans (0-based, inclusive) of its merged cells."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = book.get_sheet_by_index(0)
        rows = [
            [None if (c == "" or c is None) else c for c in r]
            for r in sheet.to_python(skip_empty_area=False)
        ]
        merged = [((r0, _c0), (r1, _c1)) for (r0, _c0), (r1, _c1) in sheet.merged_cell_ranges or ()]
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InvalidFile(
            file_name, [Problem(None, None, f"not a readable spreadsheet: {exc}")]
        ) from None
    return rows, [(a[0], b[0]) for a, b in merged]


def _parquet_rows(file_name: str, content: bytes) -> tuple[list[str], Iterator[list[Cell]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(content))
    except Exception as exc:  # pyarrow's ArrowInvalid and friends
        raise InvalidFile(file_name, [Problem(None, None, f"not a Parquet file: {exc}")]) from None
    names = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(len(names))]
    return names, (list(values) for values in zip(*columns, strict=True))


def read_sheet(
    file_name: str,
    content: bytes,
    *,
    known: Iterable[str],
    required: Iterable[str],
    encoding: str | None = None,
) -> Sheet:
    """Read ``content`` (a file called ``file_name``) into rows keyed by header.

    ``known``: every header the caller reads (others are reported as ignored); ``required``:
    the headers that must be there. Raises :class:`InvalidFile` with every problem found.
    """
    fmt = file_format(file_name)
    digest = file_hash(content)
    known_set = {clean_header(k) for k in known}
    required_list = [clean_header(r) for r in required]
    used_encoding: str | None = None
    merged: list[tuple[int, int]] = []
    if fmt == "csv":
        text, used_encoding = decode_csv(file_name, content, encoding)
        raw: Iterable[list[Cell]] = _csv_rows(text)
        first_line = 1
    elif fmt == "parquet":
        names, body = _parquet_rows(file_name, content)
        raw = iter([list(names), *body])
        first_line = 1
    else:
        rows, merged = _xlsx_rows(file_name, content)
        raw = rows
        first_line = 1
    it = iter(raw)
    problems: list[Problem] = []
    header: list[str] | None = None
    header_line = 0
    for offset in range(HEADER_SEARCH_ROWS):
        try:
            candidate = next(it)
        except StopIteration:
            break
        cleaned = [clean_header(c) for c in candidate]
        if any(r in cleaned for r in required_list):
            header, header_line = cleaned, first_line + offset
            break
    if header is None:
        raise InvalidFile(
            file_name,
            [
                Problem(
                    None,
                    None,
                    f"no header row found in the first {HEADER_SEARCH_ROWS} rows (expected "
                    "columns such as " + ", ".join(required_list[:4]) + "); download the "
                    "template and keep its header",
                )
            ],
        )
    for top, bottom in merged:
        if top <= header_line - 1 <= bottom:
            problems.append(
                Problem(
                    header_line,
                    None,
                    "the header has merged cells (合并单元格): give every column its own header "
                    "cell, as in the template",
                )
            )
            break
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        if name in seen:
            problems.append(Problem(header_line, name, "the header is given twice"))
        seen.setdefault(name, i)
    for name in required_list:
        if name not in seen:
            problems.append(Problem(header_line, name, "required column missing (缺少必填列)"))
    if problems:
        raise InvalidFile(file_name, problems)
    positions = {name: i for name, i in seen.items() if name in known_set}
    ignored = tuple(name for name in seen if name not in known_set)
    out: list[Row] = []
    for n, record in enumerate(it, start=header_line + 1):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in record):
            continue
        cells = {name: (record[i] if i < len(record) else None) for name, i in positions.items()}
        out.append(Row(n, cells))
    notes = []
    if used_encoding and used_encoding != "utf-8":
        notes.append(f"read as {used_encoding.upper()}")
    return Sheet(
        file_name=file_name,
        file_hash=digest,
        format=fmt,
        encoding=used_encoding,
        header_line=header_line,
        columns=tuple(positions),
        ignored_columns=ignored,
        rows=tuple(out),
        notes=tuple(notes),
    )


# -- cells -------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as what its column holds (the message is for the user)."""


_FIELD = "value"


def _platform_rule(check: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
    """``value`` through one of :mod:`core.validation`'s rules (the same at every entry), its
    refusal as a :class:`CellError` (the row and column say where)."""
    try:
        return check(value, _FIELD, *args, **kwargs)
    except InvalidInput as exc:
        raise CellError(str(exc).removeprefix(f"{_FIELD}: ")) from None


def text_cell(value: Cell) -> str | None:
    """A text cell: stripped, None when empty; numbers are refused elsewhere where they matter."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def id_cell(value: Cell) -> str:
    """The resident ID number of a cell, as typed. A number (Excel turns 18 digits into a
    number and keeps only 15 significant ones: 4.40121E+17) is refused: its last digits are
    gone and cannot be guessed."""
    if value is None:
        raise CellError("empty (必填)")
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not an ID number")
    if isinstance(value, int | float):
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        raise CellError(
            f"Excel stored the ID number as a number ({shown}); its last digits are lost. "
            "Format the column as text (文本) and type the numbers again"
        )
    text = str(value).strip()
    upper = text.upper()
    if "E+" in upper and upper.replace("E+", "").replace(".", "").isdigit():
        raise CellError(
            f"{text} is an ID number Excel turned into a number (科学计数法); its last digits "
            "are lost. Format the column as text (文本) and type the numbers again"
        )
    if not text:
        raise CellError("empty (必填)")
    return text


def digits_cell(value: Cell, what: str = "number") -> str | None:
    """A long number kept as text (an account number): a cell Excel stored as a number is
    refused when it may have lost digits (more than 15 significant digits)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a {what}")
    if isinstance(value, float | int):
        digits = f"{int(value)}" if float(value).is_integer() else str(value)
        if isinstance(value, float) and len(digits.lstrip("-")) > 15:
            raise CellError(
                f"Excel stored the {what} as a number ({value:.6g}); its last digits are lost. "
                "Format the column as text (文本) and type it again"
            )
        return digits
    text = str(value).strip()
    return text or None


_TRUE = {"是", "有", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "无", "n", "no", "false", "0"}


def bool_cell(value: Cell) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if not text:
        return None
    raise CellError(f"'{value}' is not 是 or 否")


def date_cell(value: Cell) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _checked_date(value.date())
    if isinstance(value, dt.date):
        return _checked_date(value)
    text = str(value).strip()
    if not text:
        return None
    for sep in ("-", "/", "."):
        parts = text.split(sep)
        if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
            try:
                y, m, d = (int(p) for p in parts)
                day = dt.date(y, m, d)
            except ValueError:
                break
            return _checked_date(day)
    if len(text) == 8 and text.isdigit():
        try:
            return _checked_date(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])))
        except ValueError:
            pass
    raise CellError(f"'{text}' is not a date (YYYY-MM-DD)")


def _checked_date(day: dt.date) -> dt.date:
    return cast(dt.date, _platform_rule(check_date, day))


def money_cell(value: Cell) -> str | None:
    """An amount in yuan as text with at most 2 decimals (exact), None when empty."""
    from decimal import Decimal, InvalidOperation

    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not an amount")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError(f"'{value}' is not an amount in yuan") from None
    _platform_rule(check_number, amount, maximum=MAX_MONTHLY_YUAN)
    q = amount.quantize(Decimal("0.01"))
    if q != amount and isinstance(value, str):
        raise CellError(f"'{value}': at most 2 decimals (分)")
    return str(q)


def int_cell(value: Cell) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a whole number")
    if isinstance(value, float):
        _platform_rule(check_number, value, maximum=MAX_MONTHLY_YUAN)
        if not value.is_integer():
            raise CellError(f"{value} is not a whole number")
        return int(value)
    if isinstance(value, int):
        return cast(int, _platform_rule(check_number, value, maximum=MAX_MONTHLY_YUAN))
    text = str(value).strip()
    if not text:
        return None
    if not text.isdigit() or not text.isascii():
        raise CellError(f"'{text}' is not a whole number")
    return cast(int, _platform_rule(check_number, int(text), maximum=MAX_MONTHLY_YUAN))


def name_cell(value: Cell) -> str | None:
    """A person's name: :func:`core.validation.check_name` (one line, showing something, at
    most MAX_NAME characters); None when empty."""
    text = text_cell(value)
    return None if text is None else cast(str, _platform_rule(check_name, text))


def short_text_cell(value: Cell) -> str | None:
    """A one-line text field (a plate, a school, a status): at most MAX_SHORT_TEXT characters,
    no control characters; None when empty."""
    text = text_cell(value)
    if text is None:
        return None
    return cast(str, _platform_rule(check_text, text, MAX_SHORT_TEXT, multiline=False))


__all__ = [
    "FORMATS",
    "CellError",
    "InvalidFile",
    "Problem",
    "Row",
    "Sheet",
    "bool_cell",
    "clean_header",
    "date_cell",
    "decode_csv",
    "digits_cell",
    "file_format",
    "file_hash",
    "id_cell",
    "int_cell",
    "money_cell",
    "name_cell",
    "read_sheet",
    "short_text_cell",
    "text_cell",
]
