"""The `mailbot` command line: one entry point, Russian output and help."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from mailbot.cli import (
    check,
    classify,
    db,
    demo,
    digest,
    inbound,
    outbox,
    parse,
    prune,
    quarantine,
    report,
    run,
    survey,
    tickets,
    web,
)
from mailbot.cli.connection_problems import describe_connection_error
from mailbot.cli.russian_argparse import RussianArgumentParser
from mailbot.db.problems import describe_database_error, log_database_error
from mailbot.errors import ConfigurationError, FetchError, MailbotError

logger = logging.getLogger(__name__)

DESCRIPTION = """\
mailbot — ИТ-служба по электронной почте: принимает обращения сотрудников
из почтового ящика по IMAP, регистрирует их с номером и сроком ответа и
отправляет подтверждения по SMTP.

Настройки берутся из переменных окружения MAILBOT_* и файла service.env
(см. service.env.example)."""


def build_parser() -> argparse.ArgumentParser:
    parser = RussianArgumentParser(prog="mailbot", description=DESCRIPTION)
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        metavar="ФАЙЛ",
        help="файл настроек (по умолчанию service.env в текущей папке)",
    )
    commands = parser.add_subparsers(title="команды", metavar="КОМАНДА", required=True)
    for module in (
        run, demo, parse, tickets, inbound, quarantine, outbox, db, prune, check, classify, digest,
        survey, report, web,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.env_file is not None and not args.env_file.is_file():
        print(f"Файл настроек «{args.env_file}» не найден.", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except ConfigurationError as error:
        print(str(error), file=sys.stderr)
        return 2
    except FetchError as error:
        logger.error("IMAP connection failed: %s", error)
        print(
            f"Ошибка IMAP: {describe_connection_error(error)}. «mailbot check» проверит настройки и доступ к серверу.",
            file=sys.stderr,
        )
        return 1
    except MailbotError as error:
        print(f"Ошибка: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        log_database_error(error)
        print(
            f"Ошибка базы данных: {describe_database_error(error)}. "
            "«mailbot check» проверит настройки и доступ к базе.",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:
        # The reader of our output (head, less) has gone: stop quietly, and
        # point stdout at /dev/null so the interpreter's final flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
