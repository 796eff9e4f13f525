"""`mailbot demo`: a first look at mailbot on embedded servers and sample mail."""

from __future__ import annotations

import argparse
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mailbot.cli.tickets import describe_ticket, load_tickets, render_table
from mailbot.db.models import InboundMessage, ThreadEntry, Ticket
from mailbot.demo.runner import DemoResult, run_demo
from mailbot.logs import configure_logging

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "Auto-Submitted", "X-Loop")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="демонстрация на встроенных серверах",
        description=(
            "Запускает встроенные IMAP- и SMTP-серверы на локальном адресе, доставляет "
            "примеры обращений, обрабатывает их службой и показывает заявки и одно "
            "подтверждение. Сеть за пределами компьютера не используется."
        ),
    )
    parser.add_argument(
        "--storage", type=Path, default=None, metavar="ПАПКА",
        help="папка для базы и вложений демонстрации (по умолчанию временная)",
    )
    parser.add_argument("--verbose", action="store_true", help="показывать журнал службы")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    configure_logging("INFO" if args.verbose else "WARNING")
    if args.storage is not None:
        return show(run_demo(args.storage, report=print))
    with tempfile.TemporaryDirectory(prefix="mailbot-demo-") as folder:
        code = show(run_demo(Path(folder), report=print))
    print("\nВременная папка демонстрации удалена; чтобы сохранить данные, укажите --storage ПАПКА.")
    return code


def show(result: DemoResult) -> int:
    """Print the tickets, the outcome counts, one thread and two mails as received."""
    settings = result.settings
    tickets = list(reversed(load_tickets(settings)))
    print()
    print(render_table(tickets, settings))
    print()
    print(_summary(result))
    print("\nПереписка первой заявки (ответ заявителя и ответ сотрудника ИТ-службы):\n")
    print(_first_thread(result))
    print("\nПодтверждение, как его получил заявитель:\n")
    print(render_received(result.acknowledgements[0]))
    answer = _staff_answer(result)
    if answer is not None:
        print("\nОтвет ИТ-службы, как его получил заявитель:\n")
        print(render_received(answer))
    return 0


OUTCOMES_RU = {
    "new_ticket": "Открыто заявок",
    "thread_reply": "Ответов, добавленных в переписку заявок",
    "clarification_answer": "Ответов на уточняющий вопрос",
    "robot": "Автоматических писем (без ответа)",
    "rejected": "Писем с адресов вне домена Комитета (без заявки и ответа)",
    "not_request": "Писем, не являющихся обращениями",
    "quarantined": "Писем в карантине",
}


def _summary(result: DemoResult) -> str:
    with result.application.session_factory() as session:
        query = select(InboundMessage.outcome, func.count()).group_by(InboundMessage.outcome)
        counts = dict(session.execute(query).tuples().all())
    lines = [f"{title}: {counts[key]}" for key, title in OUTCOMES_RU.items() if counts.get(key)]
    lines.append(f"Писем заявителям: {len(result.acknowledgements)}")
    lines.append(f"Уведомлений сотрудникам ИТ-службы: {result.staff_mail_count}")
    return "\n".join(lines)


def _first_thread(result: DemoResult) -> str:
    with result.application.session_factory() as session:
        query = (
            select(Ticket)
            .order_by(Ticket.id)
            .options(selectinload(Ticket.entries).selectinload(ThreadEntry.attachments))
        )
        ticket = session.scalars(query).first()
        return describe_ticket(ticket, result.settings) if ticket is not None else "—"


def _staff_answer(result: DemoResult) -> EmailMessage | None:
    return next(
        (message for message in result.acknowledgements if "Ответ на обращение" in str(message["Subject"])), None
    )


def render_received(message: EmailMessage) -> str:
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return "\n".join(lines) + "\n\n" + text.rstrip()
