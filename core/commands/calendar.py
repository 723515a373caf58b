"""``doudi`` commands: calendar."""

from __future__ import annotations
