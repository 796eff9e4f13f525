"""`mailbot run`: the daemon, or one pass over what is waiting with --once."""

from __future__ import annotations

import argparse
import datetime
import logging
import signal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import build_application
from mailbot.cli.common import settings_from
from mailbot.config import Settings
from mailbot.daemon import Daemon
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import ConfigurationError
from mailbot.outbound.render import russian_datetime

logger = logging.getLogger(__name__)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="запустить службу",
        description="Принимает письма из IMAP, регистрирует заявки и отправляет письма по SMTP.",
    )
    parser.add_argument(
        "--once", action="store_true",
        help="обработать то, что уже пришло, отправить письма, время отправки которых наступило, и завершиться",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(args, daemon=True)
    missing = settings.missing_for_daemon()
    if missing:
        raise ConfigurationError("Не заданы обязательные настройки: " + ", ".join(missing))
    application = build_application(settings)
    daemon = Daemon(application.context, application.session_factory)
    if args.once:
        result = daemon.run_once()
        print(
            f"Получено писем: {result.stored}, обработано: {result.processed}, "
            f"отправлено: {result.sent}."
        )
        waiting = describe_waiting(application.session_factory, settings)
        if waiting:
            print(waiting)
        return 0
    _install_signal_handlers(daemon)
    logger.info("daemon started", extra={"mailbox": daemon.mailbox})
    daemon.run_forever()
    return 0


def describe_waiting(session_factory: sessionmaker[Session], settings: Settings) -> str:
    """Describe the pending mail whose retry time has not come yet, or return "" when there is none.

    After an SMTP failure the outbox postpones every pending mail with
    exponential back-off, so `run --once` sends nothing until that time.
    """
    query = select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at > utcnow()
    )
    with session_factory() as session:
        count, next_attempt = session.execute(query).one()
    if not count or next_attempt is None:
        return ""
    return (
        f"Ждут повторной отправки: {count}, ближайшая попытка {_attempt_time(next_attempt, settings)}. "
        "Отправить их сейчас: mailbot outbox retry --waiting, затем mailbot run --once."
    )


def _attempt_time(moment: datetime.datetime, settings: Settings) -> str:
    """Render a retry time as «в 10:42» when it is today in settings.tz, else with its date."""
    local = moment.astimezone(settings.tz)
    if local.date() == utcnow().astimezone(settings.tz).date():
        return f"в {local:%H:%M}"
    return russian_datetime(moment, settings.tz)


def _install_signal_handlers(daemon: Daemon) -> None:
    def request_stop(signum: int, frame: object) -> None:
        logger.info("stop requested by signal %s", signal.Signals(signum).name)
        daemon.stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
