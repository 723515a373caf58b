"""``doudi`` commands: payments."""

from __future__ import annotations
