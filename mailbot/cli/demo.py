"""`mailbot demo`: a first look at mailbot on embedded servers and sample mail."""

from __future__ import annotations

import argparse
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from mailbot.cli.tickets import load_tickets, render_table
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
    result = run_demo(args.storage, report=print)
    tickets = load_tickets(result.settings)
    print()
    print(render_table(list(reversed(tickets)), result.settings))
    print(f"\nЗаявок: {len(tickets)}, писем отправлено: {len(result.acknowledgements)}.")
    print(_summary(result))
    print("\nОдно из подтверждений, как его получил сотрудник:\n")
    print(render_received(result.acknowledgements[0]))
    return 0


def _summary(result: DemoResult) -> str:
    robots = sum(1 for sample in result.delivered if sample.expected_process is None)
    return (
        f"Из {len(result.delivered)} писем {robots} — автоматические (им не отвечаем); "
        "ответ заявителя добавлен в переписку своей заявки без нового номера."
    )


def render_received(message: EmailMessage) -> str:
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return "\n".join(lines) + "\n\n" + text.rstrip()
