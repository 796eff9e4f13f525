"""Engine and session set-up, with the SQLite pragmas mailbot relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.problems import parse_database_url
from mailbot.errors import ConfigurationError
from mailbot.os_errors import os_error_ru

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_db_engine(url: str) -> Engine:
    """Create an engine; for SQLite, create the folder and turn on WAL mode.

    Raises ConfigurationError, in Russian, for an unsupported URL or a
    folder that cannot be created.
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        _create_folder(Path(parsed.database).parent)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _create_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"Не удалось создать папку «{folder}» для базы данных: {os_error_ru(error)}. "
            "Проверьте MAILBOT_DATABASE_URL и MAILBOT_STORAGE_DIR."
        ) from error


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite opens transactions lazily and only for DML; take control so
    # that every transaction starts with BEGIN IMMEDIATE (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes can fail with
    # "database is locked" under concurrent writers, because SQLite cannot
    # upgrade its read lock; taking the write lock up front serialises
    # writers through busy_timeout instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
