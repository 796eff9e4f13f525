"""`mailbot inbound list` and `mailbot rejected list`: what arrived and what became of it."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select
from tabulate import tabulate

from mailbot.app import open_database
from mailbot.cli.common import fold_choice, print_json, settings_from, shorten
from mailbot.config import Settings
from mailbot.db.engine import create_session_factory
from mailbot.db.models import InboundMessage, InboundRaw, Ticket
from mailbot.outbound.render import russian_datetime
from mailbot.parse import parse_message
from mailbot.retention import header_block

OUTCOME_RU = {
    "new_ticket": "новая заявка",
    "thread_reply": "в переписку заявки",
    "clarification_answer": "ответ на уточнение",
    "robot": "автоматическое письмо",
    "loop": "наше же письмо",
    "rejected": "вне домена Комитета",
    "not_request": "не обращение",
    "quarantined": "карантин",
    "reopened": "заявка открыта снова",
    "staff_reply": "ответ или команда сотрудника",
    "staff_command_error": "ошибка в команде сотрудника",
    "oral_ticket": "устное обращение",
    "rated": "оценка ответа",
}
STATE_RU = {
    "stored": "ждёт обработки",
    "processed": "обработано",
    "duplicate": "копия уже полученного",
    "quarantined": "карантин",
}
SUBJECT_WIDTH = 40

# The list reads From and Subject from this much of each raw message, so
# that a 27 MB message costs no more than a short one.
HEADER_PREFIX_BYTES = 64 * 1024

# `inbound list --outcome` accepts the Russian words the table shows as well as the stored values.
OUTCOME_BY_NAME = {outcome: outcome for outcome in OUTCOME_RU} | {word: outcome for outcome, word in OUTCOME_RU.items()}


def register(commands: Any) -> None:
    inbound = commands.add_parser(
        "inbound", help="входящие письма", description="Все сохранённые входящие письма и что с ними стало."
    )
    actions = inbound.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    list_parser = actions.add_parser(
        "list", help="список входящих писем", description="Входящие письма, новые сверху, с итогом обработки."
    )
    list_parser.add_argument(
        "--outcome", type=fold_choice, choices=sorted(OUTCOME_BY_NAME), metavar="ИТОГ",
        help="только письма с этим итогом: " + ", ".join(f"«{word}» ({outcome})" for outcome, word in OUTCOME_RU.items()),
    )
    list_parser.add_argument("--limit", type=int, default=100, metavar="N", help="не больше N писем (по умолчанию 100)")
    list_parser.add_argument("--json", action="store_true", help="вывести в JSON")
    list_parser.set_defaults(handler=handle_list)

    rejected = commands.add_parser(
        "rejected",
        help="письма с адресов вне домена Комитета",
        description="Письма с адресов вне MAILBOT_ALLOWED_DOMAINS: заявок не открыли и ответа не получили.",
    )
    rejected_actions = rejected.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    rejected_list = rejected_actions.add_parser(
        "list", help="список таких писем", description="Письма с адресов вне домена Комитета, новые сверху."
    )
    rejected_list.add_argument("--limit", type=int, default=100, metavar="N", help="не больше N писем")
    rejected_list.add_argument("--json", action="store_true", help="вывести в JSON")
    rejected_list.set_defaults(handler=handle_list, outcome="rejected")


def handle_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    outcome = OUTCOME_BY_NAME[args.outcome] if args.outcome else None
    loaded = _load(settings, outcome, args.limit)
    rows = [_describe(message, number, headers, settings) for message, number, headers in loaded]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Писем нет.")
        return 0
    table = [
        [row["id"], russian_datetime(message.received_at, settings.tz), row["from"], shorten(row["subject"], SUBJECT_WIDTH),
         OUTCOME_RU.get(row["outcome"] or "", STATE_RU.get(row["state"], row["state"])), row["ticket"] or "—"]
        for row, (message, _, _) in zip(rows, loaded, strict=True)
    ]
    print(tabulate(table, headers=["ID", "Получено", "От", "Тема", "Итог", "Заявка"]))
    print(f"\nВсего: {len(rows)}")
    return 0


def _load(settings: Settings, outcome: str | None, limit: int) -> list[tuple[InboundMessage, str | None, bytes]]:
    """Return the newest messages with their ticket numbers and the start of their raw mail."""
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory() as session:
        query = (
            select(InboundMessage, Ticket.number, func.substr(InboundRaw.raw, 1, HEADER_PREFIX_BYTES))
            .join(InboundRaw, InboundRaw.inbound_id == InboundMessage.id)
            .outerjoin(Ticket, Ticket.id == InboundMessage.ticket_id)
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        )
        if outcome:
            query = query.where(InboundMessage.outcome == outcome)
        return [(message, number, bytes(prefix)) for message, number, prefix in session.execute(query)]


def _describe(message: InboundMessage, ticket_number: str | None, prefix: bytes, settings: Settings) -> dict[str, Any]:
    parsed = parse_message(header_block(prefix), ticket_prefix=settings.ticket_prefix)
    return {
        "id": message.id,
        "uid": message.uid,
        "message_id": message.message_id,
        "received_at": message.received_at.isoformat(),
        "from": parsed.from_address or "",
        "subject": parsed.subject,
        "state": message.state.value,
        "outcome": message.outcome,
        "ticket": ticket_number,
    }
