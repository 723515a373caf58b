"""What doudi accepts at every entry (GraphQL, the command line, plugin files, imports): one rule
per kind of value, the same words at every door, each refusal a typed error.

- :mod:`core.validation.dates`: every date between 1900-01-01 and 2199-12-31.
- :mod:`core.validation.numbers`: finite numbers; amounts in yuan within the domain's bounds.
- :mod:`core.validation.text`: bounded lengths, no control characters, names that show something.
- :mod:`core.validation.sizes`: how many of a thing one request may carry.

Pure: no I/O, no clock. The limits are the domain's, each with its reason next to it.
"""

from core.validation.dates import (
    FIRST_DATE,
    LAST_DATE,
    DateOutOfRange,
    check_date,
    dates_in,
    parse_date,
)
from core.validation.numbers import (
    MAX_ASSET_YUAN,
    MAX_MONTHLY_YUAN,
    NotFinite,
    NumberOutOfRange,
    check_finite,
    check_number,
    non_finite_in,
)
from core.validation.sizes import (
    MAX_BODY_BYTES,
    MAX_HOUSEHOLD_ITEMS,
    MAX_HOUSEHOLD_MEMBERS,
    MAX_JSON_DEPTH,
    MAX_LIST_ITEMS,
    TooMany,
    check_count,
    json_depth_exceeds,
)
from core.validation.text import (
    MAX_NAME,
    MAX_NOTE,
    MAX_SHORT_TEXT,
    BlankText,
    TextTooLong,
    UnreadableText,
    check_name,
    check_text,
    shows_something,
)

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "MAX_ASSET_YUAN",
    "MAX_BODY_BYTES",
    "MAX_HOUSEHOLD_ITEMS",
    "MAX_HOUSEHOLD_MEMBERS",
    "MAX_JSON_DEPTH",
    "MAX_LIST_ITEMS",
    "MAX_MONTHLY_YUAN",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_SHORT_TEXT",
    "BlankText",
    "DateOutOfRange",
    "NotFinite",
    "NumberOutOfRange",
    "TextTooLong",
    "TooMany",
    "UnreadableText",
    "check_count",
    "check_date",
    "check_finite",
    "check_name",
    "check_number",
    "check_text",
    "dates_in",
    "json_depth_exceeds",
    "non_finite_in",
    "parse_date",
    "shows_something",
]
