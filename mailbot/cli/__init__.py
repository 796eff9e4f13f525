"""The `mailbot` command line: one entry point, Russian output and help."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mailbot.cli import check, classify, db, demo, digest, inbound, outbox, parse, prune, quarantine, run, tickets
from mailbot.cli.russian_argparse import RussianArgumentParser
from mailbot.errors import ConfigurationError, MailbotError

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
    for module in (run, demo, parse, tickets, inbound, quarantine, outbox, db, prune, check, classify, digest):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigurationError as error:
        print(str(error), file=sys.stderr)
        return 2
    except MailbotError as error:
        print(f"Ошибка: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
