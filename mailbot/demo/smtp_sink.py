"""An SMTP server on loopback that keeps every message, for the demo and the tests.

`SmtpSink` runs aiosmtpd in a background thread and can play planned 4xx/5xx
replies, so that delivery retries can be tested against a real SMTP dialogue.
"""

from __future__ import annotations

import asyncio
import ssl
import logging
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from types import TracebackType
from typing import Any, Literal, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    """One message the SMTP sink accepted."""

    envelope_sender: str
    recipients: tuple[str, ...]
    raw: bytes
    received_at: datetime

    @property
    def message_id(self) -> str | None:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(self.raw)
        value = headers.get("Message-ID")
        return str(value).strip() if value is not None else None


FailureStage = Literal["mail", "rcpt", "data"]


@dataclass
class _PlannedFailure:
    code: int
    times: int
    stage: FailureStage


@dataclass
class _SinkState:
    lock: threading.Condition = field(default_factory=threading.Condition)
    messages: list[ReceivedMail] = field(default_factory=list)
    failure: _PlannedFailure | None = None


_FAILURE_TEXT = {4: "4.3.0 Temporary failure (test)", 5: "5.7.1 Rejected (test)"}


class _SinkHandler:
    """aiosmtpd handler that stores messages and plays planned failures."""

    def __init__(self, state: _SinkState) -> None:
        self._state = state

    def _planned_reply(self, stage: FailureStage) -> str | None:
        with self._state.lock:
            failure = self._state.failure
            if failure is None or failure.stage != stage:
                return None
            failure.times -= 1
            if failure.times <= 0:
                self._state.failure = None
            return "%d %s" % (failure.code, _FAILURE_TEXT[failure.code // 100])

    async def handle_MAIL(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:
        reply = self._planned_reply("mail")
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self._planned_reply("rcpt")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope,
    ) -> str:
        reply = self._planned_reply("data")
        if reply is not None:
            return reply
        raw = envelope.original_content or b""
        mail = ReceivedMail(
            envelope_sender=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            raw=bytes(raw),
            received_at=datetime.now(timezone.utc),
        )
        with self._state.lock:
            self._state.messages.append(mail)
            self._state.lock.notify_all()
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd Controller that binds port 0 and then reads the real port."""

    def factory(self) -> SMTP:
        # AUTH without TLS is the point of a loopback sink, so aiosmtpd's
        # warning about it (aiosmtpd 1.4, raised once per connection) is noise.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return cast(SMTP, super().factory())  # type: ignore[no-untyped-call]

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink:
    """An SMTP server on 127.0.0.1 (free port, no TLS) that keeps every message.

    With `user` and `password` set it offers AUTH PLAIN/LOGIN without TLS and
    requires it; otherwise it accepts mail from anyone.
    """

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        security: Literal["none", "ssl", "starttls"] = "none",
        certificate: tuple[str, str] | None = None,
    ) -> None:
        if security != "none" and certificate is None:
            raise ValueError("a TLS sink needs a certificate and key file")
        self._user = user
        self._password = password
        self.security = security
        self._certificate = certificate
        self._state = _SinkState()
        self._controller: _FreePortController | None = None

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("the SMTP sink is already started")
        controller = _FreePortController(
            _SinkHandler(self._state), hostname=LOOPBACK, port=0,
            server_hostname="sink.committee.example", **self._auth_kwargs(), **self._tls_kwargs(),
        )
        controller.start()
        self._controller = controller
        log.info("SMTP sink listening on %s:%s", self.host, self.port)

    def _tls_kwargs(self) -> dict[str, Any]:
        if self._certificate is None or self.security == "none":
            return {}
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self._certificate)
        if self.security == "ssl":
            return {"ssl_context": context}
        return {"tls_context": context, "require_starttls": True}

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None
        log.info("SMTP sink stopped")

    def _auth_kwargs(self) -> Mapping[str, Any]:
        if self._user is None:
            return {}
        return {
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (
            auth_data.login.decode("utf-8") == self._user
            and auth_data.password.decode("utf-8") == self._password
        )
        return AuthResult(success=ok)

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the SMTP sink is not started")
        return int(self._controller.port)

    @property
    def messages(self) -> list[ReceivedMail]:
        """A copy of the accepted messages, oldest first."""
        with self._state.lock:
            return list(self._state.messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least `count` messages arrived and return them all.

        Raises TimeoutError, naming how many arrived, when `timeout` seconds pass first.
        """
        with self._state.lock:
            arrived = self._state.lock.wait_for(
                lambda: len(self._state.messages) >= count, timeout
            )
            if not arrived:
                raise TimeoutError(
                    "expected %d messages in the SMTP sink, got %d after %s s"
                    % (count, len(self._state.messages), timeout)
                )
            return list(self._state.messages)

    def clear(self) -> None:
        """Forget the accepted messages and any planned failure."""
        with self._state.lock:
            self._state.messages.clear()
            self._state.failure = None

    def fail_next(self, code: int, times: int = 1, *, stage: FailureStage = "data") -> None:
        """Reply `code` (4xx or 5xx) to the next `times` MAIL, RCPT or DATA commands.

        The default stage, DATA, rejects a message after its content was sent,
        so the client sees SMTPDataError with this code.
        """
        if not 400 <= code <= 599:
            raise ValueError("SMTP failure code must be 4xx or 5xx, got %d" % code)
        if times < 1:
            raise ValueError("times must be at least 1, got %d" % times)
        with self._state.lock:
            self._state.failure = _PlannedFailure(code=code, times=times, stage=stage)

    def count_message_id(self, message_id: str) -> int:
        """Count accepted messages whose Message-ID header equals `message_id`."""
        expected = message_id.strip()
        return sum(1 for mail in self.messages if mail.message_id == expected)

    def env(self) -> dict[str, str]:
        """Return the MAILBOT_SMTP_* settings that point the daemon at this sink."""
        settings = {
            "MAILBOT_SMTP_HOST": self.host,
            "MAILBOT_SMTP_PORT": str(self.port),
            "MAILBOT_SMTP_SECURITY": "none",
        }
        if self._user is not None:
            settings["MAILBOT_SMTP_USER"] = self._user
            settings["MAILBOT_SMTP_PASSWORD"] = self._password or ""
        return settings

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
