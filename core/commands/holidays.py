"""``doudi`` commands: holidays."""

from __future__ import annotations
