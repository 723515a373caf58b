"""``doudi`` commands: cases."""

from __future__ import annotations
