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
# The module, not its names: mailbot.demo.runner imports mailbot.cli helpers, so
# when it is imported first, this module runs while the runner is half loaded.
from mailbot.demo import runner
from mailbot.errors import ConfigurationError
from mailbot.logs import configure_logging

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "Auto-Submitted", "X-Loop")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="демонстрация на встроенных серверах",
        description=(
            "Запускает встроенные IMAP- и SMTP-серверы на локальном адресе, доставляет "
            "примеры обращений, обрабатывает их службой и показывает заявки и одно "
            "подтверждение. Заявитель оценивает ответ, сотрудники заполняют анкету "
            "на веб-странице службы, а отчёты об обращениях и об анкетировании "
            "записываются в папку демонстрации. Сеть за пределами компьютера не используется."
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
        check_storage(args.storage)
        result = runner.run_demo(args.storage, report=print)
        code = show(result)
        print("\nОтчёты (откройте в браузере):")
        for path in result.report_paths:
            print(f"  {path.resolve()}")
        return code
    with tempfile.TemporaryDirectory(prefix="mailbot-demo-") as folder:
        code = show(runner.run_demo(Path(folder), report=print))
    print(
        "\nВременная папка демонстрации удалена вместе с базой и отчётами. "
        "Чтобы сохранить данные и открыть отчёты, запустите mailbot demo --storage ПАПКА."
    )
    return code


def check_storage(folder: Path) -> None:
    """Raise ConfigurationError when `folder` contains an earlier demo, whose tickets and survey would clash."""
    if (folder / runner.DATABASE_NAME).exists():
        raise ConfigurationError(
            f"В папке {folder} уже есть данные прошлой демонстрации. Укажите в --storage новую или пустую папку."
        )


def show(result: runner.DemoResult) -> int:
    """Print the tickets, the outcome counts, one thread and two mails as received."""
    settings = result.settings
    tickets = list(reversed(load_tickets(settings)))
    print()
    print(render_table(tickets, settings))
    print()
    print(_summary(result))
    print("\nПереписка первой заявки (ответ заявителя, ответ сотрудника ИТ-службы и оценка):\n")
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
    "rated": "Оценок ответа ИТ-службы (без ответного письма)",
    "robot": "Автоматических писем (без ответа)",
    "rejected": "Писем с адресов вне домена Комитета (без заявки и ответа)",
    "not_request": "Писем, не являющихся обращениями",
    "quarantined": "Писем в карантине",
}


def _summary(result: runner.DemoResult) -> str:
    with result.application.session_factory() as session:
        query = select(InboundMessage.outcome, func.count()).group_by(InboundMessage.outcome)
        counts = {outcome: count for outcome, count in session.execute(query).all()}
    lines = [f"{title}: {counts[key]}" for key, title in OUTCOMES_RU.items() if counts.get(key)]
    lines.append(f"Писем заявителям: {len(result.acknowledgements)}")
    lines.append(f"Уведомлений сотрудникам ИТ-службы: {result.staff_mail_count}")
    return "\n".join(lines)


def _first_thread(result: runner.DemoResult) -> str:
    with result.application.session_factory() as session:
        query = (
            select(Ticket)
            .order_by(Ticket.id)
            .options(selectinload(Ticket.entries).selectinload(ThreadEntry.attachments))
        )
        ticket = session.scalars(query).first()
        return describe_ticket(ticket, result.settings) if ticket is not None else "—"


def _staff_answer(result: runner.DemoResult) -> EmailMessage | None:
    return next(
        (message for message in result.acknowledgements if "Ответ на обращение" in str(message["Subject"])), None
    )


def render_received(message: EmailMessage) -> str:
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return "\n".join(lines) + "\n\n" + text.rstrip()
