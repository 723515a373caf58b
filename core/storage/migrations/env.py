"""Alembic environment for doudi's packaged migrations.

Self-contained: the migrations do not import the models (a migration must keep meaning what it
meant when it was written). :func:`core.storage.engine.upgrade` passes an open connection in
``config.attributes["connection"]``; otherwise the URL in the config (or the configured
``DOUDI_DATABASE_URL``) is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from core.storage.engine import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    from core.settings import load_settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or load_settings().database_url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
