"""``doudi schema``: export the JSON Schemas and the GraphQL SDL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.policy.schema import dumps_schema

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.output import plugin_policy


@click.group()
def schema() -> None:
    """The schemas plugin authors and API clients build against."""


@schema.command("export")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="Folder to write the JSON Schemas and schema.graphql into.",
)
def schema_export(out: Path) -> None:
    """Write the JSON Schemas (policy layer, household) and the GraphQL SDL."""
    from core.api.schema import sdl
    from core.households.model import dumps_household_schema

    catalog = plugin_policy().catalog
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "policy-layer.schema.json": dumps_schema(catalog),
        "household.schema.json": dumps_household_schema(),
        "schema.graphql": sdl(),
    }
    for name, text in files.items():
        target = out / name
        target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {target}")
