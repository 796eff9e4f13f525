"""Russian descriptions of database problems, for `mailbot check` and every command.

SQLAlchemy and the drivers report problems in English and by exception
class. An operator needs to know what to change: the URL, the server, the
password or the folder. An error of an open PostgreSQL session carries a
SQLSTATE code. psycopg 3 reports a failed connection as text only, even
when the server refused it, so the common causes are found in that text.
"""

from __future__ import annotations

import importlib.util
import logging

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from mailbot.errors import ConfigurationError

logger = logging.getLogger(__name__)

SUPPORTED_URLS_RU = "sqlite:///путь/к/файлу.sqlite3 или postgresql+psycopg://пользователь@сервер:5432/база"

# Driver module that each supported dialect imports.
DRIVER_MODULES = {"sqlite": "sqlite3", "postgresql": "psycopg"}

# PostgreSQL SQLSTATE codes an operator meets when the URL is wrong.
SQLSTATE_REASONS_RU = {
    "3D000": "такой базы данных на сервере нет: создайте её или исправьте имя в MAILBOT_DATABASE_URL",
    "28P01": "сервер отклонил пароль: проверьте пароль в MAILBOT_DATABASE_URL",
    "28000": "сервер не пускает этого пользователя: проверьте имя пользователя и pg_hba.conf",
    "42501": "у пользователя нет прав на эту базу: выдайте права или укажите другого пользователя",
    "53300": "на сервере заняты все подключения: попробуйте позже или увеличьте max_connections",
}

# Fragments of connection messages from libpq and SQLite: a reason applies
# when the message contains every fragment of its row. Rows are tried in order.
MESSAGE_REASONS_RU = (
    (("password authentication failed",), "сервер отклонил пароль: проверьте пароль в MAILBOT_DATABASE_URL"),
    (("role", "does not exist"), "такого пользователя на сервере нет: проверьте имя пользователя в MAILBOT_DATABASE_URL"),
    (("database", "does not exist"), "такой базы данных на сервере нет: создайте её или исправьте имя в MAILBOT_DATABASE_URL"),
    (("connection refused",), "сервер не принимает подключения по этому адресу и порту: запущен ли PostgreSQL?"),
    (("could not translate host name",), "имя сервера не найдено: проверьте адрес в MAILBOT_DATABASE_URL"),
    (("name or service not known",), "имя сервера не найдено: проверьте адрес в MAILBOT_DATABASE_URL"),
    (("timeout expired",), "сервер не ответил вовремя"),
    (("unable to open database file",), "файл базы не удаётся открыть: проверьте путь и права на папку"),
    (("file is not a database",), "файл не является базой SQLite: проверьте путь в MAILBOT_DATABASE_URL"),
    (("database is locked",), "база занята другой программой: повторите позже"),
    (("readonly database",), "база открыта только для чтения: проверьте права на файл и папку"),
)


def parse_database_url(url: str) -> URL:
    """Parse MAILBOT_DATABASE_URL; raise ConfigurationError in Russian for an unusable one."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigurationError(
            f"MAILBOT_DATABASE_URL не похож на адрес базы данных. Укажите {SUPPORTED_URLS_RU}."
        ) from error

    # The names are read from the URL text, because asking SQLAlchemy for
    # them imports the dialect, which fails for an unknown one.
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in DRIVER_MODULES:
        raise ConfigurationError(
            f"MAILBOT_DATABASE_URL: база «{parsed.drivername}» не поддерживается. Укажите {SUPPORTED_URLS_RU}."
        )
    try:
        driver = driver or parsed.get_driver_name()
    except NoSuchModuleError:
        driver = ""
    if importlib.util.find_spec(DRIVER_MODULES[backend]) is None or (backend == "postgresql" and driver != "psycopg"):
        raise ConfigurationError(
            f"MAILBOT_DATABASE_URL: драйвер «{parsed.drivername}» не установлен вместе с mailbot. "
            "Для PostgreSQL начните адрес с postgresql+psycopg://."
        )
    return parsed


def describe_database_error(error: SQLAlchemyError) -> str:
    """Return what went wrong with the database, in Russian, with what to check."""
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in SQLSTATE_REASONS_RU:
        return SQLSTATE_REASONS_RU[sqlstate]

    message = str(original if original is not None else error).lower()
    for fragments, reason in MESSAGE_REASONS_RU:
        if all(fragment in message for fragment in fragments):
            return reason
    return f"ошибка {type(original or error).__name__}; подробности в журнале"



def log_database_error(error: SQLAlchemyError, level: int = logging.ERROR) -> None:
    """Log the driver's own message, which names the cause, without the SQL or its bound values."""
    original = getattr(error, "orig", None)
    if original is None:
        logger.log(level, "database error: %s", type(error).__name__)
    else:
        logger.log(level, "database error: %s: %s", type(original).__name__, original)
