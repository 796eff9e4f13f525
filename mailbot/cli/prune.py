"""`mailbot prune`: blank the raw text of processed mail older than the retention period."""

from __future__ import annotations

import argparse
from typing import Any

from mailbot.app import open_database
from mailbot.cli.common import settings_from
from mailbot.cli.russian import count_of
from mailbot.db.engine import create_session_factory
from mailbot.errors import ConfigurationError
from mailbot.retention import count_prunable, prune_raw


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "prune",
        help="стереть исходный текст старых обработанных писем",
        description=(
            "Стирает исходный текст обработанных писем старше срока хранения "
            "(MAILBOT_RAW_RETENTION_DAYS). Заголовки, Message-ID, заявки и вложения остаются. "
            "Письма в карантине и ещё не обработанные не затрагиваются."
        ),
    )
    parser.add_argument("--days", type=int, metavar="ДНЕЙ", help="срок хранения в днях вместо настройки")
    parser.add_argument("--dry-run", action="store_true", help="только показать, сколько писем будет затронуто")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.days is not None and args.days <= 0:
        raise ConfigurationError(f"--days: срок хранения должен быть больше нуля дней, указано {args.days}.")
    days = args.days if args.days is not None else settings.raw_retention_days
    if days <= 0:
        raise ConfigurationError(
            "Срок хранения не задан: укажите --days ДНЕЙ или MAILBOT_RAW_RETENTION_DAYS больше нуля."
        )
    engine = open_database(settings, migrate_fresh=False)
    session_factory = create_session_factory(engine)
    if args.dry_run:
        found = count_prunable(session_factory, days)
        print(f"Будет стёрт исходный текст: {count_of(found, 'письмо', 'письма', 'писем')} старше {days} дн.")
    else:
        pruned = prune_raw(session_factory, days)
        print(f"Стёрт исходный текст: {count_of(pruned, 'письмо', 'письма', 'писем')} старше {days} дн.")
    engine.dispose()
    return 0
