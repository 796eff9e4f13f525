"""`mailbot db upgrade`: apply the schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from mailbot.cli.common import settings_from
from mailbot.db.engine import create_db_engine
from mailbot.db.migrate import current_revision, upgrade


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="обслуживание базы данных", description="Обслуживание базы данных.")
    actions = parser.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    upgrade_parser = actions.add_parser(
        "upgrade",
        help="обновить схему базы данных до последней версии",
        description="Применяет миграции схемы (Alembic). Перед обновлением сделайте резервную копию.",
    )
    upgrade_parser.set_defaults(handler=handle_upgrade)


def handle_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    engine = create_db_engine(settings.database_url_effective)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    if before == after:
        print(f"Схема базы данных уже актуальна (версия {after}).")
    else:
        print(f"Схема базы данных обновлена: {before or 'пустая база'} → {after}.")
    return 0
