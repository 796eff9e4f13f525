"""`mailbot parse FILE.eml`: show how mailbot reads one raw message."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mailbot.classify import load_classifier
from mailbot.cli.common import print_json, settings_from
from mailbot.errors import MailbotError
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
        raise MailbotError(f"не удалось прочитать файл {args.file} ({type(error).__name__})") from error
    settings = settings_from(args)
    parsed = parse_message(raw, ticket_prefix=settings.ticket_prefix, max_depth=settings.max_mime_depth)
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
    if process["code"] is None:
        return f"Процесс:       не обращение (уверенность {process['confidence']})"
    return f"Процесс:       {process['code']} (уверенность {process['confidence']})"
