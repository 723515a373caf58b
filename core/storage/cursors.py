"""Opaque cursors for Relay connections: ``<kind>:<id>``, URL-safe base64 without padding."""

from __future__ import annotations

import base64
import binascii

from core.errors import InvalidInput


def encode_cursor(kind: str, item_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{item_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> int:
    """The id in a cursor of ``kind``; a cursor from another list is an InvalidInput."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, number = raw.partition(":")
        if found == kind and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput(f"'{cursor}' is not a cursor from this list")
