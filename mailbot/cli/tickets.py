"""`mailbot tickets list|show`: the tickets, as tables for people or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from tabulate import tabulate

from mailbot.app import open_database
from mailbot.cli.common import fold_choice, print_json, settings_from, shorten
from mailbot.config import Settings
from mailbot.db.engine import create_session_factory
from mailbot.db.models import ThreadEntry, Ticket, TicketFeedback, TicketStatus
from mailbot.errors import MailbotError
from mailbot.feedback.lookup import feedback_by_ticket, feedback_of
from mailbot.processes import Process
from mailbot.outbound.render import russian_date, russian_datetime
from mailbot.tickets.corrections import correct_process, export_corrections
from mailbot.tickets.service import find_by_number
from mailbot.tickets.views import (
    CHANNEL_RU,
    ENTRY_KIND_RU,
    STATUS_RU,
    describe_status_change,
    entry_json,
    rating_json,
    requester_label,
    ticket_json,
)

SUBJECT_WIDTH = 48
RATING_COMMENT_WIDTH = 80

# `tickets list --status` accepts the Russian word the table shows as well as the stored English value.
STATUS_BY_NAME: dict[str, TicketStatus] = {status.value: status for status in TicketStatus} | {
    word: status for status, word in STATUS_RU.items()
}


def register(commands: Any) -> None:
    parser = commands.add_parser("tickets", help="заявки", description="Просмотр заявок.")
    actions = parser.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)

    list_parser = actions.add_parser("list", help="список заявок", description="Список заявок, новые сверху.")
    list_parser.add_argument("--json", action="store_true", help="вывести в JSON")
    list_parser.add_argument(
        "--status", type=fold_choice, choices=sorted(STATUS_BY_NAME), metavar="СТАТУС",
        help="только заявки с этим статусом: " + ", ".join(
            f"«{STATUS_RU[status]}» ({status.value})" for status in TicketStatus
        ),
    )
    list_parser.add_argument("--limit", type=int, default=None, metavar="N", help="не больше N заявок")
    list_parser.set_defaults(handler=handle_list)

    show_parser = actions.add_parser("show", help="заявка с перепиской", description="Заявка и вся её переписка.")
    show_parser.add_argument("number", metavar="НОМЕР", help="номер заявки, например IT-2026-00042")
    show_parser.add_argument("--json", action="store_true", help="вывести в JSON")
    show_parser.set_defaults(handler=handle_show)

    process_parser = actions.add_parser(
        "set-process",
        help="исправить процесс заявки (исправление сохраняется для обучения)",
        description="Меняет процесс заявки. Исправление сохраняется и попадает в обучение классификатора.",
    )
    process_parser.add_argument("number", metavar="НОМЕР", help="номер заявки")
    process_parser.add_argument("process", type=int, choices=range(0, 9), metavar="ПРОЦЕСС",
                                help="код процесса 1-8; 0 — письмо не является обращением")
    process_parser.add_argument("--author", default="", metavar="АДРЕС", help="кто исправил (адрес сотрудника)")
    process_parser.set_defaults(handler=handle_set_process)

    export_parser = actions.add_parser(
        "export-corrections",
        help="выгрузить исправления процессов для обучения",
        description="Записывает исправления процессов в JSONL для «mailbot classify train --corrections ФАЙЛ».",
    )
    export_parser.add_argument("output", type=Path, metavar="ФАЙЛ.jsonl", help="куда записать")
    export_parser.set_defaults(handler=handle_export_corrections)


def load_tickets(settings: Settings, *, status: str | None = None, limit: int | None = None) -> list[Ticket]:
    return load_tickets_with_ratings(settings, status=status, limit=limit)[0]


def load_tickets_with_ratings(
    settings: Settings, *, status: str | None = None, limit: int | None = None
) -> tuple[list[Ticket], dict[int, TicketFeedback], int]:
    """Return the tickets, newest first, the ratings of those that have one by ticket id, and how many match.

    The count differs from the number of tickets returned only when `limit` cut the list.
    """
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    matching = [Ticket.status == TicketStatus(status)] if status else []
    with session_factory() as session:
        query = select(Ticket).where(*matching).order_by(Ticket.received_at.desc(), Ticket.id.desc())
        if limit:
            query = query.limit(limit)
        tickets = list(session.scalars(query))
        total = len(tickets)
        if limit and total == limit:
            total = int(session.scalar(select(func.count()).select_from(Ticket).where(*matching)) or 0)
        return tickets, feedback_by_ticket(session, [ticket.id for ticket in tickets]), total


def handle_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    status = STATUS_BY_NAME[args.status].value if args.status else None
    tickets, ratings, total = load_tickets_with_ratings(settings, status=status, limit=args.limit)
    if args.json:
        print_json([ticket_json(ticket) | rating_json(ratings.get(ticket.id)) for ticket in tickets])
        return 0
    status_phrase = f" со статусом «{STATUS_RU[TicketStatus(status)]}»" if status else ""
    if not tickets:
        print(f"Заявок{status_phrase} нет.")
        return 0
    print(render_table(tickets, settings))
    if len(tickets) < total:
        print(f"\nПоказано заявок{status_phrase}: {len(tickets)} из {total}")
    else:
        print(f"\nВсего заявок{status_phrase}: {total}")
    return 0


def render_table(tickets: list[Ticket], settings: Settings) -> str:
    rows = [
        [
            ticket.number,
            STATUS_RU[ticket.status],
            ticket.process or "—",
            ticket.requester_address or ticket.requester_name or "—",
            shorten(ticket.subject, SUBJECT_WIDTH),
            russian_datetime(ticket.received_at, settings.tz),
            russian_date(ticket.due_date),
        ]
        for ticket in tickets
    ]
    headers = ["Номер", "Статус", "Процесс", "Заявитель", "Тема", "Получено", "Срок ответа"]
    return str(tabulate(rows, headers=headers, tablefmt="simple"))



def handle_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory() as session:
        query = (
            select(Ticket)
            .where(Ticket.number == args.number.strip().upper())
            .options(selectinload(Ticket.entries).selectinload(ThreadEntry.attachments))
        )
        ticket = session.scalars(query).first()
        if ticket is None:
            raise MailbotError(f"заявка {args.number} не найдена")
        feedback = feedback_of(session, ticket)
        if args.json:
            thread = {"thread": [entry_json(entry) for entry in ticket.entries]}
            print_json(ticket_json(ticket) | rating_json(feedback) | thread)
        else:
            print(describe_ticket(ticket, settings, feedback))
    return 0


def describe_ticket(ticket: Ticket, settings: Settings, feedback: TicketFeedback | None = None) -> str:
    """Render a ticket and its thread; the rating line appears only when `feedback` is given."""
    process = f"{ticket.process} — {Process(ticket.process).title_ru}" if ticket.process else "не определён"
    lines = [
        f"Заявка {ticket.number}",
        f"  Статус:       {STATUS_RU[ticket.status]}",
        f"  Процесс:      {process}",
        f"  Заявитель:    {requester_label(ticket)}",
        f"  Канал:        {CHANNEL_RU[ticket.channel]}",
        f"  Тема:         {ticket.subject}",
        f"  Получено:     {russian_datetime(ticket.received_at, settings.tz)}",
        f"  Срок ответа:  до {russian_date(ticket.due_date)}",
    ]
    if feedback is not None:
        lines.append(f"  Оценка:       {_rating_line(feedback)}")
    lines += ["", "Переписка:"]
    for entry in ticket.entries:
        when = russian_datetime(entry.created_at, settings.tz)
        lines.append(f"— {when}, {ENTRY_KIND_RU.get(entry.kind, entry.kind)}, {entry.author or '—'}")
        text = describe_status_change(entry.text) if entry.kind == "status" else entry.text
        lines.extend(f"    {line}" for line in text.strip().splitlines()[:20])
        lines.extend(f"    [вложение] {item.filename} ({item.size} байт)" for item in entry.attachments)
    return "\n".join(lines)


def _rating_line(feedback: TicketFeedback) -> str:
    comment = shorten(feedback.comment, RATING_COMMENT_WIDTH)
    return f"{feedback.rating} ({comment})" if comment else str(feedback.rating)


def handle_set_process(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    process = Process(args.process) if args.process else None
    with session_factory.begin() as session:
        ticket = find_by_number(session, args.number.strip().upper())
        if ticket is None:
            raise MailbotError(f"заявка {args.number} не найдена")
        old = ticket.process
        correct_process(session, ticket, process, author=args.author)
        number = ticket.number
    new = f"{process.value} — {process.title_ru}" if process else "не является обращением"
    print(f"Заявка {number}: процесс {old or '—'} → {new}. Исправление сохранено для обучения.")
    return 0


def handle_export_corrections(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    with session_factory() as session:
        count = export_corrections(session, args.output)
    print(f"Выгружено исправлений: {count} → {args.output}")
    print(f"Обучение с ними: mailbot classify train --corrections {args.output}")
    return 0
