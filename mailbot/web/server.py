"""Serving the web application with uvicorn from a background thread.

The listening socket is bound before uvicorn starts, so an address already
in use fails `bind()` at once with OSError (`start()` with MailbotError),
and port 0 picks a free port. Uvicorn's access log is off because every
survey and rating address carries its token.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.os_errors import os_error_ru
from mailbot.web.app import create_app

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
# Requests still running at shutdown get this long before they are cut.
GRACEFUL_SHUTDOWN_SECONDS = 5


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


class _DropColorMessage(logging.Filter):
    """Remove the `color_message` extra, a copy of the message with terminal colour codes.

    Uvicorn (0.55) attaches it to its own records, and our formatters print
    every extra, so log lines showed raw escape codes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def _drop_color_messages() -> None:
    """Filter each uvicorn logger that creates records.

    A logger filter does not apply to records that its child loggers create.
    """
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        if not any(isinstance(existing, _DropColorMessage) for existing in uvicorn_logger.filters):
            uvicorn_logger.addFilter(_DropColorMessage())


def _silence_access_log() -> None:
    """Drop every uvicorn access record, whatever handlers are attached to its logger.

    access_log=False alone is not enough: uvicorn 0.55 still logs each
    request when any handler is attached to "uvicorn.access", as pytest
    attaches its capture handlers. A logger filter also survives a later
    logging set-up, which resets handlers.
    """
    access_logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, _DropRecords) for existing in access_logger.filters):
        access_logger.addFilter(_DropRecords())


class WebServer:
    """The survey and rating pages on one address (MAILBOT_WEB_HOST and MAILBOT_WEB_PORT by default)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.host = host or settings.web_host
        self.port = settings.web_port if port is None else port
        config = uvicorn.Config(
            create_app(settings, session_factory),
            access_log=False,
            log_config=None,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        _silence_access_log()
        _drop_color_messages()
        self._server = uvicorn.Server(config)
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> None:
        """Open the listening socket; raise OSError when the address is in use or not on this machine.

        With port 0 the system picks a free port, and `port` is set to it.
        """
        if self._listener is not None:
            return
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._listener = listener

    def start(self) -> None:
        """Serve from a daemon thread; return once it accepts connections.

        Raise MailbotError with a Russian message when the address cannot be
        opened or uvicorn does not start within START_TIMEOUT_SECONDS.
        """
        try:
            listener = self._take_listener()
        except OSError as error:
            raise MailbotError(
                f"Не удалось открыть адрес {self.address} для веб-страниц: {os_error_ru(error)}. "
                "Проверьте MAILBOT_WEB_HOST и MAILBOT_WEB_PORT."
            ) from error
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="web-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                listener.close()
                raise MailbotError(f"Веб-сервер на адресе {self.address} не запустился; причина в журнале службы.")
            time.sleep(0.02)
        logger.info("web server started", extra={"web_address": self.address})

    def stop(self) -> None:
        """Ask uvicorn to finish the requests in hand and wait for its thread."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._thread.is_alive():
            logger.warning("web server did not stop in time", extra={"web_address": self.address})
        else:
            logger.info("web server stopped", extra={"web_address": self.address})
        self._thread = None

    def _take_listener(self) -> socket.socket:
        self.bind()
        listener, self._listener = self._listener, None
        if listener is None:
            raise RuntimeError("bind() left no listening socket")
        return listener
