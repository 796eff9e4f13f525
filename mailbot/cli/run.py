"""`mailbot run`: the daemon, or one pass over what is waiting with --once."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from mailbot.app import build_application
from mailbot.cli.common import settings_from
from mailbot.daemon import Daemon
from mailbot.errors import ConfigurationError

logger = logging.getLogger(__name__)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="запустить службу",
        description="Принимает письма из IMAP, регистрирует заявки и отправляет письма по SMTP.",
    )
    parser.add_argument(
        "--once", action="store_true", help="обработать то, что уже пришло, и завершиться"
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
        return 0
    _install_signal_handlers(daemon)
    logger.info("daemon started", extra={"mailbox": daemon.mailbox})
    daemon.run_forever()
    return 0


def _install_signal_handlers(daemon: Daemon) -> None:
    def request_stop(signum: int, frame: object) -> None:
        logger.info("stop requested by signal %s", signal.Signals(signum).name)
        daemon.stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
