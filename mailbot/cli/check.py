"""`mailbot check`: diagnose configuration, database, IMAP and SMTP in Russian."""

from __future__ import annotations

import argparse
import asyncio
import logging
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosmtplib
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mailbot.cli.common import settings_from
from mailbot.cli.connection_problems import describe_connection_error
from mailbot.config import Settings
from mailbot.db.engine import create_db_engine
from mailbot.db.migrate import current_revision, head_revision
from mailbot.db.problems import describe_database_error, log_database_error, parse_database_url
from mailbot.app import require_sqlite_file
from mailbot.env_file import inspect_env_file, resolve_env_file
from mailbot.errors import ConfigurationError, FetchError
from mailbot.intake.connection import connect
from mailbot.intake.waiting import supports_idle
from mailbot.outbound.outbox import smtp_client


@dataclasses.dataclass(frozen=True)
class CheckResult:
    ok: bool
    title: str
    detail: str


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="проверить настройки и доступ к IMAP, SMTP и базе данных",
        description="Проверяет настройки, базу данных, IMAP- и SMTP-серверы и подсказывает, что исправить.",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    env_file = resolve_env_file(getattr(args, "env_file", None))
    checks: list[Callable[[Settings], CheckResult]] = [check_required, check_database, check_imap, check_smtp]
    results = [check_env_file(env_file)] if env_file.is_file() else []
    results += [check(settings) for check in checks]
    for result in results:
        mark = "  ОК  " if result.ok else "ОШИБКА"
        print(f"[{mark}] {result.title}: {result.detail}")
    failed = sum(not result.ok for result in results)
    print("\nВсе проверки пройдены." if not failed else f"\nНе пройдено проверок: {failed}.")
    return 0 if not failed else 1


def check_env_file(path: Path) -> CheckResult:
    title = f"Файл настроек {path}"
    problems = inspect_env_file(path, Settings.env_names())
    details = []
    if problems.unknown_names:
        details.append(
            f"{'неизвестная настройка' if len(problems.unknown_names) == 1 else 'неизвестные настройки'} "
            f"{', '.join(problems.unknown_names)}: проверьте написание по service.env.example"
        )
    if problems.unprefixed_names:
        details.append(
            f"{', '.join(problems.unprefixed_names)}: не хватает приставки MAILBOT_, без неё настройка не действует"
        )
    if problems.unparsed_lines:
        numbers = ", ".join(str(line) for line in problems.unparsed_lines)
        lines = "не разобрана строка" if len(problems.unparsed_lines) == 1 else "не разобраны строки"
        details.append(f"{lines} {numbers}: нужен вид ИМЯ=значение")
    if details:
        return CheckResult(False, title, "; ".join(details))
    return CheckResult(True, title, "все строки понятны")


def check_required(settings: Settings) -> CheckResult:
    missing = settings.missing_for_daemon()
    if len(missing) == 1:
        return CheckResult(False, "Настройки", f"не задан {missing[0]} (см. service.env.example)")
    if missing:
        return CheckResult(False, "Настройки", "не заданы " + ", ".join(missing) + " (см. service.env.example)")
    return CheckResult(True, "Настройки", "обязательные настройки заданы")


def check_database(settings: Settings) -> CheckResult:
    title = "База данных"
    try:
        parse_database_url(settings.database_url_effective)
    except ConfigurationError as error:
        return CheckResult(False, title, str(error))
    try:
        require_sqlite_file(settings.database_url_effective)
    except ConfigurationError:
        return CheckResult(False, title, "файл базы не найден: проверьте MAILBOT_DATABASE_URL или выполните «mailbot db upgrade»")
    try:
        engine = create_db_engine(settings.database_url_effective)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision, head = current_revision(engine), head_revision()
    except ConfigurationError as error:
        return CheckResult(False, title, str(error))
    except SQLAlchemyError as error:
        log_database_error(error, logging.WARNING)
        return CheckResult(False, title, f"нет доступа: {describe_database_error(error)}")
    if revision != head:
        return CheckResult(False, title, f"схема версии {revision or 'не создана'}, нужна {head}: выполните «mailbot db upgrade»")
    return CheckResult(True, title, f"доступна, схема актуальна ({head})")


def check_imap(settings: Settings) -> CheckResult:
    if not settings.imap_host:
        return CheckResult(False, "IMAP", "не задан MAILBOT_IMAP_HOST")
    title = f"IMAP {settings.imap_host}:{settings.imap_port_effective}"
    unset = [name for name, value in (("MAILBOT_IMAP_USER", settings.imap_user),
             ("MAILBOT_IMAP_PASSWORD", settings.imap_password.get_secret_value())) if not value]
    if unset:
        return CheckResult(False, title, f"вход не проверен: не задан {' и '.join(unset)}")
    try:
        client = connect(settings)
    except FetchError as error:
        return CheckResult(False, title, f"не удалось подключиться или войти ({describe_connection_error(error)}). Проверьте адрес, "
                           "порт, MAILBOT_IMAP_SECURITY, MAILBOT_TLS_CA_FILE, имя пользователя и пароль")
    try:
        if not client.folder_exists(settings.imap_folder):
            return CheckResult(False, title, f"папка «{settings.imap_folder}» не найдена; проверьте MAILBOT_IMAP_FOLDER")
        idle = "поддерживает IDLE" if supports_idle(client) else "без IDLE, будет опрос каждые MAILBOT_POLL_SECONDS"
        return CheckResult(True, title, f"вход выполнен, папка «{settings.imap_folder}» есть, сервер {idle}")
    finally:
        client.logout()


def check_smtp(settings: Settings) -> CheckResult:
    if not settings.smtp_host:
        return CheckResult(False, "SMTP", "не задан MAILBOT_SMTP_HOST")
    title = f"SMTP {settings.smtp_host}:{settings.smtp_port_effective}"
    try:
        asyncio.run(_smtp_handshake(settings))
    except (aiosmtplib.SMTPException, OSError) as error:
        return CheckResult(False, title, f"не удалось подключиться или войти ({describe_connection_error(error)}). Проверьте адрес, "
                           "порт, MAILBOT_SMTP_SECURITY, MAILBOT_TLS_CA_FILE, имя пользователя и пароль")
    if not settings.smtp_user:
        return CheckResult(True, title, "соединение установлено; вход не настроен, так как MAILBOT_SMTP_USER пуст")
    return CheckResult(True, title, "соединение и вход выполнены")


async def _smtp_handshake(settings: Settings) -> None:
    async with smtp_client(settings) as smtp:
        await smtp.noop()
