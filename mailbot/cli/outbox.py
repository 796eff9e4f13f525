"""`mailbot outbox list`: outgoing mail and its delivery state."""

from __future__ import annotations

import argparse
import errno
import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tabulate import tabulate

from mailbot.app import open_database
from mailbot.cli.common import print_json, settings_from, shorten
from mailbot.cli.russian import count_of
from mailbot.db.engine import create_session_factory
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import MailbotError
from mailbot.os_errors import OS_ERROR_REASONS_RU
from mailbot.outbound.render import russian_datetime
from mailbot.tickets.views import ENTRY_KIND_RU

STATE_RU = {
    OutboxState.PENDING: "ожидает",
    OutboxState.SENT: "отправлено",
    OutboxState.FAILED: "не доставлено",
    OutboxState.SUPPRESSED: "не отправлено (лимит автоответов)",
}
ERROR_WIDTH = 60

# mailbot.outbound.outbox stores `last_error` as English text in three forms:
# "550 <server text>" for a rejected mail, "recipients refused: [550, 451]"
# for rejected recipients, and str() of the aiosmtplib or OSError exception
# that ended the SMTP session, such as "(535, '<server text>')" for a failed
# login or "Error connecting to HOST on port N: [Errno 111] Connect call failed ...".
# aiosmtplib 5.1 words these texts; describe_error falls back to the
# original text when one of them does not match.
REPLY_CODE = re.compile(r"^\(?(\d{3})\b")
REFUSED_CODES = re.compile(r"^recipients refused: \[([\d, ]*)\]")
ERRNO = re.compile(r"\[Errno (-?\d+)\]")
AUTHENTICATION_CODES = frozenset({534, 535})
LOGIN_OR_TLS_REQUIRED = 530
TLS_MARKERS = ("[SSL", "SSL:", "TLS", "certificate", "upgrading transport")
TIMEOUT_MARKERS = ("Timed out", "timed out")
HOST_NOT_FOUND_MARKERS = (
    "Name or service not known", "Temporary failure in name resolution",
    "No address associated with hostname", "nodename nor servname",
)
DISCONNECTED_MARKERS = ("Connection lost", "Unexpected EOF", "Server not connected", "Connection reset")
SESSION_ERRORS_RU = {
    errno.ECONNREFUSED: "SMTP-сервер не принимает соединения: служба не запущена или порт указан неверно",
    errno.ETIMEDOUT: "SMTP-сервер не ответил вовремя",
    errno.ECONNRESET: "SMTP-сервер разорвал соединение",
    errno.EHOSTUNREACH: "SMTP-сервер недоступен по сети",
    errno.ENETUNREACH: "сеть до SMTP-сервера недоступна",
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
        help="отправить при ближайшей отправке письмо, которое ждёт повторной попытки, или недоставленное",
        description=(
            "Недоставленное письмо возвращается в очередь, и его счётчик попыток обнуляется. "
            "Письмо, которое ждёт повторной попытки после сбоя SMTP, уходит при следующей отправке, "
            "не дожидаясь её времени (при mailbot run --once или в работающей службе)."
        ),
    )
    retry_parser.add_argument("id", type=int, nargs="?", metavar="ID", help="номер письма из «mailbot outbox list»")
    retry_parser.add_argument(
        "--waiting", action="store_true", help="все письма, которые ждут повторной попытки, вместо одного ID"
    )
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
                 "error_ru": describe_error(row.last_error) if row.last_error else None,
                 "created_at": row.created_at.isoformat()}
                for row in rows
            ],
        })
        return 0
    table = [[row.id, ENTRY_KIND_RU.get(row.kind, row.kind), ", ".join(row.recipients), STATE_RU[row.state], row.attempts,
              russian_datetime(row.created_at, settings.tz), describe_error(row.last_error) if row.last_error else ""]
             for row in rows]
    if table:
        print(tabulate(table, headers=["ID", "Вид", "Кому", "Состояние", "Попыток", "Создано", "Ошибка"]))
        print()
    if any(row.last_error for row in rows):
        print("Исходный текст ошибок SMTP: mailbot outbox list --json, поле last_error.")
    if pending:
        print(f"Ожидают отправки: {len(pending)}; самое старое ждёт {round(oldest_age / 60)} мин.")
    else:
        print("Очередь отправки пуста.")
    return 0


def describe_error(text: str) -> str:
    """Describe a stored SMTP error in Russian for the operator.

    An error of no known kind is shown as its original text, cut at a word
    boundary to ERROR_WIDTH characters.
    """
    refused = REFUSED_CODES.match(text)
    if refused:
        codes = [int(code) for code in refused.group(1).replace(",", " ").split()]
        listed = ", ".join(str(code) for code in codes)
        if codes and all(code >= 500 for code in codes):
            return f"сервер отклонил адрес получателя (код {listed})"
        return f"сервер временно не принял адрес получателя (код {listed})"
    reply = REPLY_CODE.match(text)
    if reply:
        code = int(reply.group(1))
        if code in AUTHENTICATION_CODES:
            return f"SMTP-сервер не принял имя пользователя или пароль (код {code})"
        if code == LOGIN_OR_TLS_REQUIRED:
            return (f"SMTP-сервер требует входа или защищённого соединения (код {code}): "
                    "проверьте MAILBOT_SMTP_USER и MAILBOT_SMTP_SECURITY")
        if 400 <= code < 500:
            return f"сервер временно отказал в приёме (код {code})"
        if code >= 500:
            return f"сервер окончательно отклонил письмо (код {code})"
    if any(marker in text for marker in TLS_MARKERS):
        return "не удалось установить защищённое соединение (TLS) с SMTP-сервером"
    if any(marker in text for marker in TIMEOUT_MARKERS):
        return "SMTP-сервер не ответил вовремя"
    if any(marker in text for marker in HOST_NOT_FOUND_MARKERS):
        return "имя SMTP-сервера не найдено в DNS: проверьте MAILBOT_SMTP_HOST"
    number = ERRNO.search(text)
    if number:
        code = int(number.group(1))
        reason = SESSION_ERRORS_RU.get(code) or OS_ERROR_REASONS_RU.get(code)
        if reason is not None:
            return reason
    if any(marker in text for marker in DISCONNECTED_MARKERS):
        return "SMTP-сервер разорвал соединение"
    return shorten(text, ERROR_WIDTH)


def handle_retry(args: argparse.Namespace) -> int:
    if (args.id is None) == (not args.waiting):
        raise MailbotError("укажите либо ID письма, либо --waiting")
    settings = settings_from(args)
    session_factory = create_session_factory(open_database(settings, migrate_fresh=False))
    if args.waiting:
        return _retry_waiting(session_factory)
    now = utcnow()
    with session_factory.begin() as session:
        row = session.get(OutboxMessage, args.id)
        if row is None:
            raise MailbotError(f"письмо с ID {args.id} не найдено в очереди; см. «mailbot outbox list --all»")
        if row.state == OutboxState.SENT:
            raise MailbotError(f"письмо {args.id} уже отправлено {russian_datetime(row.sent_at or row.created_at, settings.tz)}")
        if row.state == OutboxState.PENDING and row.next_attempt_at <= now:
            print(f"Письмо {args.id} уже ждёт отправки.")
            return 0
        if row.state == OutboxState.PENDING:
            row.next_attempt_at = now
            message = f"Письмо {args.id} уйдёт при следующей отправке, не дожидаясь времени повторной попытки."
        else:
            row.state = OutboxState.PENDING
            row.attempts = 0
            row.next_attempt_at = now
            row.last_error = None
            message = f"Письмо {args.id} возвращено в очередь и уйдёт при следующей отправке."
    print(message)
    return 0


def _retry_waiting(session_factory: sessionmaker[Session]) -> int:
    """Make every pending row that waits for a later retry due now; failed rows stay failed."""
    # NOTE: a row a sender has claimed also looks like this (claim_next moves
    # next_attempt_at forward by the claim lease), so running this while the
    # daemon sends that row lets another sender claim it too and send it twice.
    now = utcnow()
    with session_factory.begin() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at > now)
            .values(next_attempt_at=now)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        print(f"Уйдут при следующей отправке, не дожидаясь повторной попытки: {count_of(count, 'письмо', 'письма', 'писем')}.")
    else:
        print("Писем, которые ждут повторной попытки, нет.")
    return 0
