"""`mailbot web`: serve the survey form and the rating pages without the mail daemon."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from mailbot.app import open_database
from mailbot.cli.common import settings_from
from mailbot.db.engine import create_session_factory
from mailbot.errors import ConfigurationError
from mailbot.os_errors import os_error_ru
from mailbot.web.server import WebServer

logger = logging.getLogger(__name__)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "web",
        help="запустить веб-страницы анкеты и оценок",
        description=(
            "Запускает веб-страницы анкеты (форма № 1) и оценки ответов по ссылкам из писем. "
            "По умолчанию слушает MAILBOT_WEB_HOST:MAILBOT_WEB_PORT (127.0.0.1:8080). "
            "Остановка: Ctrl+C или SIGTERM."
        ),
    )
    parser.add_argument("--host", metavar="АДРЕС", help="адрес, на котором слушать (вместо MAILBOT_WEB_HOST)")
    parser.add_argument(
        "--port", type=int, metavar="ПОРТ", help="порт, на котором слушать, 1-65535 (вместо MAILBOT_WEB_PORT)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(args, daemon=True)
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ConfigurationError(f"Порт должен быть от 1 до 65535, указан {args.port}.")

    # Never create a database here: run in the wrong folder, a new empty one and a new
    # secret key would make every link sent so far show «Ссылка недействительна».
    engine = open_database(settings, migrate_fresh=False)
    server = WebServer(settings, create_session_factory(engine), host=args.host, port=args.port)
    stop = threading.Event()
    _install_signal_handlers(stop)
    try:
        _bind(server)
        server.start()
        print(f"Страницы анкеты и оценок открыты по адресу {server.address} (остановка: Ctrl+C).", flush=True)
        stop.wait()
    finally:
        server.stop()
        engine.dispose()
    return 0


def _bind(server: WebServer) -> None:
    try:
        server.bind()
    except OSError as error:
        raise ConfigurationError(
            f"Не удалось открыть адрес {server.address}: {os_error_ru(error)}. "
            "Укажите другой адрес или порт (--host и --port или MAILBOT_WEB_HOST и MAILBOT_WEB_PORT)."
        ) from error


def _install_signal_handlers(stop: threading.Event) -> None:
    def request_stop(signum: int, frame: object) -> None:
        logger.info("stop requested by signal %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
