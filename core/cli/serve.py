"""``doudi serve``: the GraphQL API under uvicorn, tokens hidden in the access log."""

from __future__ import annotations

import logging
import re
import sys
from typing import TYPE_CHECKING, Any

import click

from core.settings import load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.database import redact_url
from core.cli.output import plugin_policy

# uvicorn's event loop and HTTP parser: uvloop and httptools (dependencies of doudi; uvloop has
# no Windows build). About 1.5 ms of CPU less per request than asyncio's loop and h11, measured
# by benchmarks/cases.py; named, not "auto", so that a missing one fails the start rather than
# slowing every request.
LOOP = "asyncio" if sys.platform == "win32" else "uvloop"
HTTP = "httptools"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (on PostgreSQL, about one per CPU core; SQLite takes one writer at "
    "a time, so more workers there mostly wait).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web console and the GraphQL API with uvicorn.

    Uses the configured database, creating and migrating it if needed: on a fresh machine an
    SQLite file in the data directory ($DOUDI_DATA_DIR, or the per-user default);
    $DOUDI_DATABASE_URL selects PostgreSQL.
    """
    base = plugin_policy()  # load and validate everything first: a data error is one clear message
    import uvicorn

    from core.api.app import create_app, warm_up
    from core.runtime import open_runtime
    from core.storage.engine import current_revision

    settings = load_settings()
    runtime = open_runtime(settings, migrate=True, plugin_base=base)
    try:
        runtime.audit_key  # noqa: B018 (read or create the key now: a bad key stops the start)
        runtime.start_checkpoints()
        app = create_app(runtime=runtime)
        click.echo(f"doudi: data directory {settings.data_dir}", err=True)
        click.echo(
            f"doudi: audit key {runtime.audit_key.id} ({runtime.audit_key.origin}); checkpoints "
            f"to {settings.audit_checkpoints_path}"
            + (f" and syslog {settings.audit_syslog}" if settings.audit_syslog else ""),
            err=True,
        )
        click.echo(
            f"doudi: database {redact_url(settings.database_url)} "
            f"(migration {current_revision(runtime.engine)})",
            err=True,
        )
        click.echo(
            f"doudi: {len(base.plugins)} plugins, {len(base.index.layers)} layers, "
            f"policy version {base.version}; serving http://{host}:{port}/graphql",
            err=True,
        )
        if workers == 1:
            warm_up()
            uvicorn.run(
                app, host=host, port=port, workers=1, log_config=_log_config(), loop=LOOP, http=HTTP
            )
            return
    finally:
        runtime.close()
    # Several processes: uvicorn imports the app in each worker (core.api.app.served_app opens
    # the database the steps above migrated, keyed and sealed); this process only supervises.
    click.echo(f"doudi: {workers} worker processes", err=True)
    uvicorn.run(
        "core.api.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=_log_config(),
        loop=LOOP,
        http=HTTP,
    )


_TOKEN_IN_URL = re.compile(r"((?:^|[?&])token=)[^&\s]+")


class RedactTokens(logging.Filter):
    """Hide ``?token=`` in access-log lines: calendar apps subscribe to ``/calendar/CODE.ics``
    with the token in the URL, and a log must never hold a usable credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`RedactTokens` on the access log."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config
