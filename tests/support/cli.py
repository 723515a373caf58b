"""What every CLI test checks of a command's result: success with its stdout, or exactly one
``doudi: error:`` line on stderr, the expected exit code and no traceback."""

from __future__ import annotations

from typing import Any


def ok(result: Any) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return str(result.stdout)


def one_error(result: Any, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("doudi: error: ")
    assert "Traceback" not in result.output
    return lines[0]
