"""`mailbot parse FILE.eml`: show how mailbot reads one raw message."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mailbot.classify import load_classifier
from mailbot.cli.common import print_json, settings_from
from mailbot.errors import MailbotError
from mailbot.os_errors import os_error_ru
from mailbot.parse import ParsedMessage, parse_message

KIND_RU = {
    "human": "письмо человека",
    "auto_reply": "автоответ",
    "bounce": "отчёт о недоставке",
    "receipt": "уведомление о прочтении",
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "parse",
        help="разобрать файл .eml и показать результат",
        description="Разбирает сохранённое письмо (.eml) так же, как это делает служба.",
    )
    parser.add_argument("file", type=Path, metavar="ФАЙЛ.eml", help="письмо в формате RFC 5322")
    parser.add_argument("--json", action="store_true", help="вывести результат в JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        raw = args.file.read_bytes()
    except FileNotFoundError as error:
        raise MailbotError(f"файл {args.file} не найден") from error
    except OSError as error:
        raise MailbotError(f"не удалось прочитать файл {args.file}: {os_error_ru(error)}") from error
    if not raw.strip():
        raise MailbotError(f"файл {args.file} пуст: в нём нет письма")

    settings = settings_from(args)
    parsed = parse_message(raw, ticket_prefix=settings.ticket_prefix, max_depth=settings.max_mime_depth)
    if _has_no_headers(parsed):
        print(
            f"Внимание: в файле {args.file} не найдено заголовков From, Subject, Date и Message-ID. "
            "Возможно, это не письмо в формате .eml; ниже показано, как служба прочла бы такие данные.",
            file=sys.stderr,
        )
    verdict = load_classifier().classify(parsed.subject, parsed.reply_text)
    if args.json:
        print_json(parsed.to_json() | {"process": verdict.to_json()})
        return 0
    print(describe(parsed, verdict.to_json()))
    return 0


def describe(parsed: ParsedMessage, process: dict[str, object]) -> str:
    sender = parsed.from_.address if parsed.from_ else "—"
    lines = [
        f"От:            {sender}",
        f"Тема:          {parsed.subject}",
        f"Вид:           {KIND_RU.get(parsed.kind.value, parsed.kind.value)}",
        f"Номер заявки:  {parsed.ticket_number or '—'}",
        _process_line(process),
        f"Вложения:      {len(parsed.attachments)}",
    ]
    lines += [f"  • {item.filename} ({item.content_type}, {item.size} байт)" for item in parsed.attachments]
    lines += ["", "Новый текст:", parsed.reply_text.strip() or "—"]
    return "\n".join(lines)


def _process_line(process: dict[str, object]) -> str:
    confidence = f"уверенность {float(str(process['confidence'])):.0%}"
    if process["code"] is None:
        return f"Процесс:       не обращение ({confidence})"
    return f"Процесс:       {process['code']} ({confidence})"


def _has_no_headers(parsed: ParsedMessage) -> bool:
    return parsed.from_ is None and not parsed.subject and parsed.message_id is None and parsed.date is None
