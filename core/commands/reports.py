"""``doudi`` commands: reports."""

from __future__ import annotations
