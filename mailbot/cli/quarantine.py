"""`mailbot quarantine list|show|retry`: messages that could not be processed."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from tabulate import tabulate

from mailbot.app import build_application, open_database
from mailbot.cli.common import print_json, settings_from
from mailbot.db.engine import create_session_factory
from mailbot.db.models import InboundMessage, InboundState
from mailbot.errors import MailbotError
from mailbot.outbound.render import russian_datetime
from mailbot.routing.pipeline import process_one


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "quarantine",
        help="письма, которые не удалось обработать",
        description="Письма в карантине: хранятся целиком, пока их не обработают повторно.",
    )
    actions = parser.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    list_parser = actions.add_parser("list", help="список писем в карантине")
    list_parser.add_argument("--json", action="store_true", help="вывести в JSON")
    list_parser.set_defaults(handler=handle_list)
    show_parser = actions.add_parser("show", help="письмо в карантине и ошибка")
    show_parser.add_argument("id", type=int, metavar="ID", help="номер письма из списка")
    show_parser.add_argument("--raw", action="store_true", help="вывести исходный текст письма")
    show_parser.set_defaults(handler=handle_show)
    retry_parser = actions.add_parser("retry", help="обработать письмо повторно")
    retry_parser.add_argument("id", type=int, metavar="ID", help="номер письма из списка")
    retry_parser.set_defaults(handler=handle_retry)


def _quarantined(args: argparse.Namespace) -> tuple[Any, list[InboundMessage]]:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory() as session:
        query = select(InboundMessage).where(InboundMessage.state == InboundState.QUARANTINED)
        return settings, list(session.scalars(query.order_by(InboundMessage.id)))


def _first_error_line(message: InboundMessage) -> str:
    lines = [line for line in (message.error or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def handle_list(args: argparse.Namespace) -> int:
    settings, messages = _quarantined(args)
    if args.json:
        print_json([
            {"id": m.id, "uid": m.uid, "message_id": m.message_id, "received_at": m.received_at.isoformat(),
             "size": m.size, "error": _first_error_line(m)}
            for m in messages
        ])
        return 0
    if not messages:
        print("Карантин пуст.")
        return 0
    rows = [[m.id, russian_datetime(m.received_at, settings.tz), m.message_id or "—", _first_error_line(m)[:60]]
            for m in messages]
    print(tabulate(rows, headers=["ID", "Получено", "Message-ID", "Ошибка"]))
    return 0


def _load(args: argparse.Namespace, *, with_raw: bool = False) -> tuple[Any, InboundMessage]:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    options = [joinedload(InboundMessage.content)] if with_raw else []
    with session_factory() as session:
        message = session.get(InboundMessage, args.id, options=options)
    if message is None or message.state != InboundState.QUARANTINED:
        raise MailbotError(f"письма с ID {args.id} в карантине нет")
    return settings, message


def handle_show(args: argparse.Namespace) -> int:
    settings, message = _load(args, with_raw=args.raw)
    print(f"Письмо {message.id}: UID {message.uid}, Message-ID {message.message_id or '—'}")
    print(f"Получено: {russian_datetime(message.received_at, settings.tz)}, размер {message.size} байт")
    print("\nОшибка:\n" + (message.error or "").rstrip())
    if args.raw:
        print("\nИсходный текст:\n" + message.content.raw.decode("utf-8", errors="replace"))
    return 0


def handle_retry(args: argparse.Namespace) -> int:
    settings, message = _load(args)
    application = build_application(settings)
    with application.session_factory.begin() as session:
        stored = session.get(InboundMessage, message.id)
        if stored is not None:
            stored.state = InboundState.STORED
            stored.error = None
    outcome = process_one(application.session_factory, application.context, message.id)
    if outcome is None:
        print(f"Письмо {message.id} снова не удалось обработать; оно осталось в карантине.")
        return 1
    ticket = f", заявка {outcome.ticket.number}" if outcome.ticket is not None else ""
    print(f"Письмо {message.id} обработано ({outcome.name}{ticket}).")
    return 0
