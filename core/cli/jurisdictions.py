"""``doudi jurisdictions``: GB/T 2260 divisions under a code, or its ancestors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.policy import serialize
from core.policy.jurisdictions import NATIONAL_CODE, load_registry

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.output import emit_json, fmt_place, json_option, table


@click.command()
@click.argument("code", required=False)
@click.option("--chain", is_flag=True, help="Show CODE and its ancestors instead of its children.")
@json_option
def jurisdictions(code: str | None, chain: bool, as_json: bool) -> None:
    """Children of CODE (default: the provinces), or with --chain, CODE's chain of ancestors."""
    registry = load_registry()
    if chain:
        if code is None:
            raise click.UsageError("--chain needs a jurisdiction CODE")
        found = list(registry.chain(code))
        title = f"{fmt_place(found[0])} and its ancestors"
    else:
        parent = registry.get(code or NATIONAL_CODE)
        found = registry.children(parent.code)
        title = f"{len(found)} under {fmt_place(parent)}"
    if as_json:
        emit_json([serialize.jurisdiction(j) for j in found])
        return
    click.echo(title)
    if found:
        rows = [[j.code, j.name, j.level.value, str(len(registry.children(j.code)))] for j in found]
        click.echo(table(["CODE", "NAME", "LEVEL", "CHILDREN"], rows))
