"""``doudi demo``: example households and standards in the five areas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.policy.jurisdictions import load_registry

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.database import open_database
from core.cli.output import emit_json, fmt_place, fmt_value, indent_lines, json_option, table
from core.cli.users import show_token, user_json


@click.group()
def demo() -> None:
    """Example data to try doudi with (clearly marked as examples, not official figures)."""


@demo.command("load")
@json_option
def demo_load(as_json: bool) -> None:
    """Load example households (fictitious) and example standards into the database.

    Creates the database if needed, and a user 'demo' (province_admin at 000000) who writes
    the data. Every standard's source says it is an example, not an official standard. Running
    it again loads nothing twice.
    """
    from core.demo import EXAMPLE_FROM, EXAMPLE_SOURCE, load_demo

    with open_database(create=True, policy=True) as runtime:
        report = load_demo(runtime)
    registry = load_registry()
    if as_json:
        emit_json(
            {
                "user": user_json(report.user),
                "user_created": report.user_created,
                "token": report.token,
                "source_text": EXAMPLE_SOURCE,
                "settings": [
                    {
                        "jurisdiction": r.setting.code,
                        "path": r.setting.path,
                        "value": r.setting.value,
                        "effective_from": EXAMPLE_FROM.isoformat(),
                        "loaded": r.loaded,
                    }
                    for r in report.settings
                ],
                "officials": [
                    {"name": n, "role": r.value, "jurisdiction": c} for n, r, c in report.officials
                ],
                "officials_created": list(report.officials_created),
                "cases": [
                    {
                        "id": c.case_id,
                        "county": c.county,
                        "head": c.head,
                        "state": c.state,
                        "loaded": c.loaded,
                    }
                    for c in report.cases
                ],
                "payments_created": report.payments_created,
                "households": [
                    {
                        "id": h.household_id,
                        "county": h.county,
                        "area": h.area,
                        "head": h.head,
                        "members": h.members,
                        "loaded": h.loaded,
                    }
                    for h in report.households
                ],
            }
        )
        return
    u = report.user
    status = "created" if report.user_created else "exists"
    click.echo(
        f"demo user: {u.name} ({u.role.value} at {fmt_place(registry.get(u.jurisdiction))}), "
        f"{status}"
    )
    if report.token is not None:
        show_token(report.token)
    n_set = sum(r.loaded for r in report.settings)
    click.echo("")
    click.echo(
        f"example standards (local settings from {EXAMPLE_FROM}): {n_set} loaded, "
        f"{len(report.settings) - n_set} already there"
    )
    click.echo(f"  source of each: {EXAMPLE_SOURCE}")
    rows = [
        [
            fmt_place(registry.get(r.setting.code)),
            r.setting.path,
            fmt_value(r.setting.value),
            "loaded" if r.loaded else "already there",
        ]
        for r in report.settings
    ]
    click.echo(indent_lines(table(["JURISDICTION", "PATH", "VALUE", "STATUS"], rows)))
    n_hh = sum(h.loaded for h in report.households)
    click.echo("")
    click.echo(
        f"example households (fictitious people): {n_hh} loaded, "
        f"{len(report.households) - n_hh} already there"
    )
    rows = [
        [
            "-" if h.household_id is None else str(h.household_id),
            fmt_place(registry.get(h.county)),
            h.area,
            h.head,
            str(h.members),
            "loaded" if h.loaded else "already there",
        ]
        for h in report.households
    ]
    click.echo(indent_lines(table(["ID", "COUNTY", "AREA", "HEAD", "MEMBERS", "STATUS"], rows)))
    click.echo("")
    click.echo(
        "officials (sign in at http://127.0.0.1:8000/ after `doudi users passwd NAME`; "
        f"created now: {', '.join(report.officials_created) or 'none'}):"
    )
    rows = [
        [name, role.value, fmt_place(registry.get(code))] for name, role, code in report.officials
    ]
    click.echo(indent_lines(table(["NAME", "ROLE", "JURISDICTION"], rows)))
    click.echo("")
    click.echo("example cases (dibao, Shanxi's chain):")
    rows = [
        [
            "-" if c.case_id is None else str(c.case_id),
            fmt_place(registry.get(c.county)),
            c.head,
            c.state,
            "loaded" if c.loaded else "already there",
        ]
        for c in report.cases
    ]
    click.echo(indent_lines(table(["ID", "COUNTY", "HEAD", "STATE", "STATUS"], rows)))
    click.echo(f"payments of this month at 140302 created now: {report.payments_created}")
