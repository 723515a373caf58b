"""``doudi db``: create, migrate and inspect the configured database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.settings import load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.database import database_error, database_exists, redact_url
from core.cli.output import emit_json, json_option


@click.group()
def db() -> None:
    """The database: where it is, create and migrate it."""


@db.command("upgrade")
@json_option
def db_upgrade(as_json: bool) -> None:
    """Create the configured database if needed and migrate it to the newest schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.audit.store import seal_legacy
    from core.storage.engine import current_revision, make_engine, make_session_factory, upgrade

    settings = load_settings()
    existed = database_exists(settings)
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine) if existed else None
        upgrade(engine)
        after = current_revision(engine)
        with make_session_factory(engine)() as session:
            sealed = seal_legacy(session)
    except SQLAlchemyError as exc:
        raise database_error(settings, exc) from None
    finally:
        engine.dispose()
    if as_json:
        emit_json(
            {
                "database": redact_url(settings.database_url),
                "data_dir": str(settings.data_dir),
                "previous_revision": before,
                "revision": after,
                "sealed": sealed,
            }
        )
        return
    what = "already at" if before == after else f"migrated from {before or 'empty'} to"
    click.echo(f"database {redact_url(settings.database_url)}: {what} {after} (newest)")
    if sealed:
        click.echo("audit: the data written before the keyed audit is sealed with the audit key")


@db.command("current")
@json_option
def db_current(as_json: bool) -> None:
    """The migration the database is at and the newest this doudi has (creates nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.storage.engine import current_revision, head_revision, make_engine

    settings = load_settings()
    head = head_revision()
    exists = database_exists(settings)
    current: str | None = None
    if exists:
        engine = make_engine(settings.database_url)
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            raise database_error(settings, exc) from None
        finally:
            engine.dispose()
    if not exists:
        status = "no database yet: `doudi db upgrade` creates it"
    elif current == head:
        status = "up to date"
    else:
        status = "behind: run `doudi db upgrade`"
    if as_json:
        emit_json(
            {
                "database": redact_url(settings.database_url),
                "data_dir": str(settings.data_dir),
                "exists": exists,
                "current": current,
                "head": head,
                "up_to_date": exists and current == head,
            }
        )
        return
    click.echo(f"database: {redact_url(settings.database_url)}")
    click.echo(f"data dir: {settings.data_dir}")
    click.echo(f"current:  {current or 'none'}")
    click.echo(f"head:     {head}")
    click.echo(f"status:   {status}")
