"""What a running doudi needs: settings, a migrated database, sessions and the merged policy.

The API server and the CLI both open one :class:`Runtime` and share nothing else. The database
is created and migrated on first use (SQLite in the data directory by default, nothing to set
up); ``DOUDI_DATABASE_URL`` selects PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db.engine import current_revision, head_revision, make_engine, make_session_factory
from core.db.engine import upgrade as upgrade_database
from core.errors import DoudiError
from core.policy_provider import PolicyProvider
from core.policy_service import PolicyBase
from core.settings import Settings, load_settings


class DatabaseUnavailable(DoudiError):
    code = "DATABASE_UNAVAILABLE"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    provider: PolicyProvider

    @property
    def policy(self) -> PolicyBase:
        """The merged policy now: plugins plus the database's local settings."""
        return self.provider.current()

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    plugin_base: PolicyBase | None = None,
) -> Runtime:
    """Connect to the configured database, migrating it to the newest schema if ``migrate``
    (otherwise refuse a database that is not up to date), and set up the policy provider."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade_database(engine)
        else:
            have, want = current_revision(engine), head_revision()
            if have != want:
                raise DatabaseUnavailable(
                    f"the database is at migration {have or 'none'}, this doudi needs {want}: "
                    "run `doudi db upgrade`"
                )
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot use the database {_redact(settings.database_url)}: "
            f"{type(exc.orig or exc).__name__}: {str(exc.orig or exc).strip().splitlines()[0]}"
        ) from None
    sessions = make_session_factory(engine)
    return Runtime(settings, engine, sessions, PolicyProvider(sessions, plugin_base))


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
