"""Wire settings, database, calendar and classifier into a routing context."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mailbot.classify import DEFAULT_THRESHOLD, load_classifier
from mailbot.config import Settings
from mailbot.db.engine import create_db_engine, create_session_factory
from mailbot.db.migrate import current_revision, head_revision, upgrade
from mailbot.errors import ConfigurationError
from mailbot.routing.context import Context
from mailbot.tickets.calendar import WorkingCalendar


@dataclasses.dataclass(frozen=True)
class Application:
    engine: Engine
    session_factory: sessionmaker[Session]
    context: Context


def working_calendar(settings: Settings) -> WorkingCalendar:
    return WorkingCalendar(tz=settings.tz, workday_end=settings.workday_end, friday_end=settings.friday_end)


def open_database(settings: Settings, *, migrate_fresh: bool = True) -> Engine:
    """Open the database; with `migrate_fresh`, create the schema in an empty one.

    A database at an older schema revision is not upgraded silently, since
    an operator may want a backup first: the ConfigurationError names the command to run.
    Without `migrate_fresh` (the read-only commands) a missing SQLite file or
    an empty database is an error too, and nothing is created.
    """
    if not migrate_fresh:
        require_sqlite_file(settings.database_url_effective)
    engine = create_db_engine(settings.database_url_effective)
    revision = current_revision(engine)
    if revision is None and migrate_fresh:
        upgrade(engine)
    elif revision is None:
        raise ConfigurationError("База данных пуста. Создайте схему командой «mailbot db upgrade».")
    elif revision != head_revision():
        raise ConfigurationError(
            "Схема базы данных устарела (версия {}, нужна {}). "
            "Сделайте резервную копию и выполните «mailbot db upgrade».".format(revision, head_revision())
        )
    return engine


def require_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    if not Path(parsed.database).is_file():
        raise ConfigurationError(
            f"База данных «{parsed.database}» не найдена. Проверьте MAILBOT_DATABASE_URL и "
            "MAILBOT_STORAGE_DIR или создайте её командой «mailbot db upgrade»."
        )


def build_application(settings: Settings) -> Application:
    engine = open_database(settings)
    threshold = settings.classify_threshold if settings.classify_threshold is not None else DEFAULT_THRESHOLD
    context = Context(
        settings=settings,
        calendar=working_calendar(settings),
        classifier=load_classifier(),
        threshold=threshold,
    )
    return Application(engine, create_session_factory(engine), context)
