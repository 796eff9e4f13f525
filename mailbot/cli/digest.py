"""`mailbot digest --preview|--send`: the management digest by hand."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import build_application
from mailbot.cli.common import settings_from
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import ConfigurationError
from mailbot.outbound.outbox import deliver_due_sync
from mailbot.outbound.render import russian_datetime
from mailbot.routing.context import Context
from mailbot.scheduler.digest_mail import DigestOutcome, render_digest, send_digest

DESCRIPTION = """\
Еженедельная сводка для руководства (MAILBOT_MANAGERS): просроченные
обращения, обращения со сроком в ближайшие 7 дней, число обращений по
процессам и каналам, доля ответов в срок и её изменение. Служба отправляет
сводку сама по расписанию MAILBOT_DIGEST_CRON, один раз за период."""


def register(commands: Any) -> None:
    parser = commands.add_parser("digest", help="сводка для руководства", description=DESCRIPTION)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--preview", action="store_true", help="показать текст сводки, ничего не отправляя")
    action.add_argument(
        "--send",
        action="store_true",
        help="отправить сводку сейчас, если за текущий период она ещё не отправлялась",
    )
    parser.add_argument(
        "--force", action="store_true", help="с --send: отправить, даже если сводка за период уже отправлена"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.force and not args.send:
        raise ConfigurationError("Параметр --force используется только вместе с --send.")
    settings = settings_from(args)
    application = build_application(settings)
    try:
        if args.preview:
            return _preview(application.session_factory, application.context)
        return _send(application.session_factory, application.context, force=args.force)
    finally:
        application.engine.dispose()


def _preview(session_factory: sessionmaker[Session], context: Context) -> int:
    with session_factory() as session:
        _, rendered = render_digest(context, session, utcnow())
    print(f"Тема: {rendered.subject}\n")
    print(rendered.text, end="")
    return 0


def _send(session_factory: sessionmaker[Session], context: Context, *, force: bool) -> int:
    settings = context.settings
    if not settings.managers:
        raise ConfigurationError("Не задана настройка MAILBOT_MANAGERS: некому отправлять сводку.")
    result = send_digest(session_factory, context, now=utcnow(), origin="command", force=force)
    if result.outcome == DigestOutcome.ALREADY_SENT:
        print(f"Сводка от {russian_datetime(result.slot)} уже отправлена. Чтобы отправить её ещё раз, добавьте --force.")
        return 0
    if not settings.smtp_host:
        print("Сводка поставлена в очередь: MAILBOT_SMTP_HOST не задан, письмо отправит служба.")
        return 0
    deliver_due_sync(session_factory, settings)
    with session_factory() as session:
        row = session.get(OutboxMessage, result.outbox_id)
        state, error = (row.state, row.last_error) if row is not None else (None, None)
    if state != OutboxState.SENT:
        print(f"Сводка поставлена в очередь, но пока не отправлена: {error or 'ошибка SMTP'}. Служба повторит попытку.")
        return 1
    print(f"Сводка от {russian_datetime(result.slot)} отправлена: {', '.join(settings.managers)}.")
    return 0
