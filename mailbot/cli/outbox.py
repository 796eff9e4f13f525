"""`mailbot outbox list`: outgoing mail and its delivery state."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from tabulate import tabulate

from mailbot.app import open_database
from mailbot.cli.common import print_json, settings_from
from mailbot.db.engine import create_session_factory
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import MailbotError
from mailbot.outbound.render import russian_datetime
from mailbot.tickets.views import ENTRY_KIND_RU

STATE_RU = {
    OutboxState.PENDING: "ожидает",
    OutboxState.SENT: "отправлено",
    OutboxState.FAILED: "не доставлено",
    OutboxState.SUPPRESSED: "не отправлено (лимит автоответов)",
}


def register(commands: Any) -> None:
    parser = commands.add_parser("outbox", help="очередь исходящих писем", description="Очередь исходящих писем.")
    actions = parser.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    list_parser = actions.add_parser("list", help="письма в очереди")
    list_parser.add_argument("--all", action="store_true", help="показать и отправленные письма")
    list_parser.add_argument("--json", action="store_true", help="вывести в JSON")
    list_parser.set_defaults(handler=handle_list)
    retry_parser = actions.add_parser(
        "retry",
        help="отправить недоставленное письмо ещё раз",
        description="Возвращает письмо в очередь: оно уйдёт при следующей отправке, счётчик попыток обнуляется.",
    )
    retry_parser.add_argument("id", type=int, metavar="ID", help="номер письма из «mailbot outbox list»")
    retry_parser.set_defaults(handler=handle_retry)


def handle_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if not args.all:
            query = query.where(OutboxMessage.state != OutboxState.SENT)
        rows = list(session.scalars(query))
    pending = [row for row in rows if row.state == OutboxState.PENDING]
    oldest = min((row.created_at for row in pending), default=None)
    oldest_age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    if args.json:
        print_json({
            "pending": len(pending),
            "oldest_pending_age_seconds": round(oldest_age),
            "messages": [
                {"id": row.id, "message_id": row.message_id, "kind": row.kind, "state": row.state.value,
                 "attempts": row.attempts, "recipients": row.recipients, "last_error": row.last_error,
                 "created_at": row.created_at.isoformat()}
                for row in rows
            ],
        })
        return 0
    table = [[row.id, ENTRY_KIND_RU.get(row.kind, row.kind), ", ".join(row.recipients), STATE_RU[row.state], row.attempts,
              russian_datetime(row.created_at, settings.tz), (row.last_error or "")[:50]] for row in rows]
    if table:
        print(tabulate(table, headers=["ID", "Вид", "Кому", "Состояние", "Попыток", "Создано", "Ошибка"]))
        print()
    if pending:
        print(f"Ожидают отправки: {len(pending)}; самое старое ждёт {round(oldest_age / 60)} мин.")
    else:
        print("Очередь отправки пуста.")
    return 0


def handle_retry(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory.begin() as session:
        row = session.get(OutboxMessage, args.id)
        if row is None:
            raise MailbotError(f"письмо с ID {args.id} не найдено в очереди; см. «mailbot outbox list --all»")
        if row.state == OutboxState.PENDING:
            print(f"Письмо {args.id} уже ждёт отправки.")
            return 0
        if row.state == OutboxState.SENT:
            raise MailbotError(f"письмо {args.id} уже отправлено {russian_datetime(row.sent_at or row.created_at, settings.tz)}")
        row.state = OutboxState.PENDING
        row.attempts = 0
        row.next_attempt_at = utcnow()
        row.last_error = None
    print(f"Письмо {args.id} возвращено в очередь и уйдёт при следующей отправке.")
    return 0
