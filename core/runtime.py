"""What a running doudi needs: settings, a migrated database, sessions, the merged policy and
the calendar of Chinese working days.

The API server and the CLI both open one :class:`Runtime` and share nothing else. The database
is created and migrated on first use (SQLite in the data directory by default, nothing to set
up); ``DOUDI_DATABASE_URL`` selects PostgreSQL.

Working days: :meth:`Runtime.work_calendar` is chinese-calendar, then the plugins' holiday tables,
then the tables imported into the database (``doudi holidays import``); without a database (the
policy-only app) use :func:`policy_calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.calendars.holidays_store import CalendarProvider
from core.calendars.workdays import WorkCalendar, default_calendar
from core.errors import DoudiError
from core.policy.provider import PolicyProvider
from core.policy.service import PolicyBase
from core.settings import Settings, load_settings
from core.storage.engine import current_revision, head_revision, make_engine, make_session_factory
from core.storage.engine import upgrade as upgrade_database


class DatabaseUnavailable(DoudiError):
    code = "DATABASE_UNAVAILABLE"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    provider: PolicyProvider
    calendars: CalendarProvider = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.calendars = CalendarProvider(self.sessions)

    @property
    def policy(self) -> PolicyBase:
        """The merged policy now: plugins plus the database's local settings."""
        return self.provider.current()

    def work_calendar(self, base: PolicyBase | None = None) -> WorkCalendar:
        """The Chinese working-day calendar now: chinese-calendar, the plugins' holiday tables
        (of ``base``, default the current policy) and the tables imported into the database
        (newest wins). Cheap per call: the database is asked at most once a second (and at once
        after an import by this process); the calendar is rebuilt only when a table changed."""
        plugin_tables = (base if base is not None else self.policy).holiday_tables
        try:
            return self.calendars.current(plugin_tables)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                "the database is not reachable, so the holiday tables cannot be read; try again "
                f"later ({type(getattr(exc, 'orig', None) or exc).__name__})"
            ) from None

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
        cause = getattr(exc, "orig", None) or exc  # the driver's error, where there is one
        raise DatabaseUnavailable(
            f"cannot use the database {_redact(settings.database_url)}: "
            f"{type(cause).__name__}: {str(cause).strip().splitlines()[0]}"
        ) from None
    sessions = make_session_factory(engine)
    return Runtime(settings, engine, sessions, PolicyProvider(sessions, plugin_base))


def policy_calendar(base: PolicyBase) -> WorkCalendar:
    """The working-day calendar without a database: chinese-calendar and the plugins' tables."""
    return default_calendar(base.holiday_tables)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
