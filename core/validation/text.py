"""Text: bounded lengths, no control characters, and names that show something.

- :data:`MAX_NAME` (50 characters) for a person's or an official's name: Chinese names have two
  to four characters, names of minority nationalities written in Chinese characters (with
  their separating dot, ·) rarely pass 20; 50 leaves room and refuses the 1 MB name.
- :data:`MAX_SHORT_TEXT` (200) for a bank's name, a holiday's name, a document's number.
- :data:`MAX_NOTE` (2,000) for free text (notes, opinions, findings, reasons, a source): the
  length of the longest passage a document quotes, more than any form's box; a 10 MB note is
  refused.

A name made only of spaces or of invisible characters (zero-width spaces, joiners, bidi marks,
the BOM) names nobody; one with a control character (a newline in a name) is refused: it
breaks the bank's CSV and every list it appears in.
"""

from __future__ import annotations

import unicodedata

from core.errors import InvalidInput

MAX_NAME = 50
MAX_SHORT_TEXT = 200
MAX_NOTE = 2000
# Categories that show nothing on their own: separators, controls, format characters
# (zero-width space and joiners, bidi marks, BOM), surrogates, private use, unassigned, and
# combining marks with no base.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


class TextTooLong(InvalidInput):
    code = "TEXT_TOO_LONG"


class BlankText(InvalidInput):
    code = "BLANK_TEXT"


class UnreadableText(InvalidInput):
    code = "CONTROL_CHARACTER"


def shows_something(text: str) -> bool:
    """Whether ``text`` holds at least one character that is seen (not a space, control,
    format character or lone combining mark)."""
    return any(unicodedata.category(c) not in _INVISIBLE for c in text)


def check_text(
    text: str,
    field: str,
    max_length: int = MAX_NOTE,
    *,
    required: bool = False,
    multiline: bool = True,
) -> str:
    """``text`` if at most ``max_length`` characters and free of control characters (newlines
    and tabs allowed when ``multiline``); ``required``: it must also show something."""
    if len(text) > max_length:
        raise TextTooLong(f"{field}: at most {max_length:,} characters, not {len(text):,}")
    allowed = "\n\r\t" if multiline else ""
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in allowed), None)
    if bad is not None:
        raise UnreadableText(f"{field}: holds the control character U+{ord(bad):04X}")
    if required and not shows_something(text):
        raise BlankText(f"{field}: is empty or only spaces and invisible characters")
    return text


def check_name(text: str, field: str = "name", max_length: int = MAX_NAME) -> str:
    """A name: one line, at most ``max_length`` characters, showing something; spaces around
    it are dropped."""
    return check_text(text.strip(), field, max_length, required=True, multiline=False)


__all__ = [
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_SHORT_TEXT",
    "BlankText",
    "TextTooLong",
    "UnreadableText",
    "check_name",
    "check_text",
    "shows_something",
]
