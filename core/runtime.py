"""What a running doudi needs: settings, a migrated database, sessions, the merged policy and
the calendar of Chinese working days.

The API server and the CLI both open one :class:`Runtime` and share nothing else. The database
is created and migrated on first use (SQLite in the data directory by default, nothing to set
up); ``DOUDI_DATABASE_URL`` selects PostgreSQL.

The audit (:mod:`core.audit`): the runtime's sessions carry the audit key (read, or created, when
first needed: :func:`core.audit.keys.load_key`), and its :class:`~core.audit.store.Checkpointer`
writes the chain heads to the checkpoint log after audited writes (at most every
``DOUDI_AUDIT_CHECKPOINT_SECONDS``), on a timer once :meth:`Runtime.start_checkpoints` is called
(``doudi serve``), and on :meth:`Runtime.close`. Opening with ``migrate=True`` also writes the
legacy seal over data from before the keyed audit, once.

Working days: :meth:`Runtime.work_calendar` is chinese-calendar, then the plugins' holiday tables,
then the tables imported into the database (``doudi holidays import``); without a database (the
policy-only app) use :func:`policy_calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.audit.checkpoints import CheckpointLog
from core.audit.keys import AuditKey, load_key
from core.audit.store import Auditor, Checkpointer, install, seal_legacy
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
    auditor: Auditor = field(init=False, repr=False)
    _checkpointer: Checkpointer | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.calendars = CalendarProvider(self.sessions)
        self.auditor = Auditor(self._load_key, self._after_audited_commit)
        install(self.sessions, self.auditor)

    def _load_key(self) -> AuditKey:
        return load_key(self.settings)

    @property
    def audit_key(self) -> AuditKey:
        return self.auditor.key

    @property
    def checkpointer(self) -> Checkpointer:
        if self._checkpointer is None:
            log = CheckpointLog(
                self.settings.audit_checkpoints_path, self.audit_key, self.settings.audit_syslog
            )
            self._checkpointer = Checkpointer(
                self.sessions, log, self.settings.audit_checkpoint_seconds
            )
        return self._checkpointer

    def _after_audited_commit(self) -> None:
        self.checkpointer.mark()

    def checkpoint(self, *, everything: bool = False) -> int:
        """Write the chain heads that moved (``everything``: all) to the checkpoint log now."""
        return self.checkpointer.flush(everything=everything)

    def start_checkpoints(self) -> None:
        """Write checkpoints on a timer too (a long-running server)."""
        self.checkpointer.start()

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
        if self._checkpointer is not None:
            self._checkpointer.close()
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
    runtime = Runtime(settings, engine, sessions, PolicyProvider(sessions, plugin_base))
    if migrate:
        try:
            with sessions() as session:
                seal_legacy(session)
        except BaseException:
            runtime.close()
            raise
    return runtime


def policy_calendar(base: PolicyBase) -> WorkCalendar:
    """The working-day calendar without a database: chinese-calendar and the plugins' tables."""
    return default_calendar(base.holiday_tables)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
