"""The ``doudi`` command line: ask the merged policy, check plugin data, export schemas, serve,
manage the database, users and local settings, preview eligibility and load demo data.

Human-readable tables by default, ``--json`` for machines. Every expected error (unknown
jurisdiction or path, bad date, invalid data, unknown command) ends with a non-zero exit and one
line on stderr starting ``doudi: error:`` (policy data and household file errors add one line per
issue); usage errors exit 2, domain errors exit 1.

Storage: the database is the one :mod:`core.settings` configures (``DOUDI_DATA_DIR``,
``DOUDI_DATABASE_URL``). ``serve``, ``db upgrade``, ``users add`` and ``demo load`` create and
migrate it; the policy reads (get, show, compare, explain, violations, eligibility preview)
include its local settings when it exists and never create it (on a fresh machine they answer
from the plugins alone). Commands that act as a user take ``--token`` or ``$DOUDI_TOKEN``.

Each command lives in its own module of :mod:`core.cli` and is imported only when it runs, so
``doudi --help`` or ``doudi policy get`` does not pay for the GraphQL server, the database
layer or the other contexts. :data:`COMMANDS` lists them with the help ``doudi --help`` shows
(a test keeps it equal to each command's own docstring).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from core.cli.output import DoudiGroup

# name → (module under core.cli, attribute, the command's first sentence for ``doudi --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "annual-review": (
        "review",
        "annual_review",
        (
            "The annual review (年度核查): re-decide a jurisdiction's cases in bulk and open "
            "review tasks."
        ),
    ),
    "audit": (
        "audit",
        "audit",
        ("The tamper-evident audit trail of cases, households, payments and local settings."),
    ),
    "calendar": (
        "calendar",
        "calendar_command",
        (
            "What is due at CODE and under it: open case deadlines and due reviews "
            "(provisional ones marked), payment days, failed payments to pay again,"
            " report deadlines and campaign phases, by date, each with the "
            "parameter and source behind it."
        ),
    ),
    "cases": (
        "cases",
        "cases",
        ("Cases (dibao, tekun, temporary): open, act, read (token: --token or $DOUDI_TOKEN)."),
    ),
    "db": (
        "db",
        "db",
        ("The database: where it is, create and migrate it."),
    ),
    "deadlines": (
        "schedules",
        "deadlines",
        (
            "Every step's deadline of case CASE_ID: when its clock started, when it"
            " is due (working days with China's holidays and make-up days; "
            '"provisional" in a year with no holiday table), done or overdue on '
            "--as-of (default today in China), and the parameter and source behind "
            "it."
        ),
    ),
    "demo": (
        "demo",
        "demo",
        ("Example data to try doudi with (clearly marked as examples, not official figures)."),
    ),
    "eligibility": (
        "eligibility",
        "eligibility",
        ("Decide a household's eligibility for a program, with every rule traced to its source."),
    ),
    "exchange": (
        "exchange",
        "exchange",
        (
            "Department data and comparisons (比对): data kinds, batches, comparison "
            "runs, findings (疑点) and their tasks, supervision."
        ),
    ),
    "holidays": (
        "holidays",
        "holidays",
        ("Chinese working days: holiday tables (法定节假日 and 调休) and working-day arithmetic."),
    ),
    "households": (
        "households",
        "households",
        (
            "Households and their members: the register template, imports and "
            "exports, rosters and publicity lists, and single households (add, show,"
            " list, members, payment account)."
        ),
    ),
    "jurisdictions": (
        "jurisdictions",
        "jurisdictions",
        ("Children of CODE (default: the provinces), or with --chain, CODE's chain of ancestors."),
    ),
    "lowincome": (
        "lowincome",
        "lowincome",
        (
            "The low-income register (低收入人口): recognition, tags, monitoring flags,"
            " re-assessment, exits."
        ),
    ),
    "payments": (
        "payments",
        "payments",
        (
            "Monthly payments (发放) of dibao and tekun: run a month, record the "
            "bank's results, list, alerts, and the bank's batch file (一卡通)."
        ),
    ),
    "plugins": (
        "plugins",
        "plugins",
        ("Installed plugins, and checking a plugin's data before shipping it."),
    ),
    "policy": (
        "policy",
        "policy",
        ("Ask the merged policy (values, sources, comparisons, conflicts); record local settings."),
    ),
    "reports": (
        "reports",
        "reports",
        (
            "Reports officials owe: when they are due, Guangxi's monthly statistics"
            " table, and the campaigns (专项治理) plugins' documents order."
        ),
    ),
    "reviews": (
        "schedules",
        "reviews",
        (
            "Periodic checks of cases in payment (re-checks, verification, home "
            "visits, carer assessments, re-checks after a death, ends of phase-"
            "outs)."
        ),
    ),
    "schema": (
        "schema",
        "schema",
        ("The schemas plugin authors and API clients build against."),
    ),
    "serve": (
        "serve",
        "serve",
        ("Serve the web console and the GraphQL API with uvicorn."),
    ),
    "simulate": (
        "simulate",
        "simulate",
        (
            "Simulate a reform (parameter overrides at any layer, from a date) against the "
            "policy as it is, over CODE's registered households or a weighted sample: "
            "aggregates only."
        ),
    ),
    "snapshot": (
        "snapshot",
        "snapshot",
        (
            "Export the households, members, income, expenses, cases and documents at CODE "
            "and under it to Parquet (OUT/CODE/AS_OF/ID/), streamed with bounded memory in one "
            "read transaction."
        ),
    ),
    "snapshots": (
        "snapshot",
        "snapshots",
        ("Snapshots taken with `doudi snapshot`: list them, and trace one household of one."),
    ),
    "supervise": (
        "supervise",
        "supervise",
        (
            "Supervision (数字监督) of the cases at CODE and under it: people in two "
            "dibao cases, in dibao and tekun at once, the dead still covered, near-"
            "relative cases without the county's visit, spot-checks not done."
        ),
    ),
    "verification": (
        "verification",
        "verification",
        (
            "Verification (核对) of a household's economic status: request it through"
            " an adapter, record a manual report, list reports, run the periodic re-"
            "verification that is due."
        ),
    ),
    "users": (
        "users",
        "users",
        ("Officials who may use the database: a role, a jurisdiction and bearer tokens."),
    ),
}


class LazyGroup(DoudiGroup):
    """The root group: a command's module is imported when that command runs (or is asked for)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attr, _ = entry
        command = getattr(importlib.import_module(f"core.cli.{module}"), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's own, but from COMMANDS: asking for help imports no command module.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=help_).get_short_help_str(limit))
            for name, (_, _, help_) in sorted(COMMANDS.items())
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    name="doudi",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def cli() -> None:
    """兜底 doudi: Chinese social assistance policy, as data.

    Ask what applies where and when (policy), browse jurisdictions and plugins, validate a
    plugin's data before shipping it, export the schemas, and serve the GraphQL API. With a
    database ($DOUDI_DATA_DIR or $DOUDI_DATABASE_URL): add users, record local settings, preview
    a household's eligibility and load demo data.
    """


def main(args: Any = None) -> None:
    """Console entry point (``doudi``)."""
    cli.main(args, prog_name="doudi")
