"""Mail servers on loopback for the demo and the integration tests.

`EmbeddedImapServer` runs pymap's in-memory backend in a background thread
with its own asyncio loop, so that synchronous code (the daemon uses
imapclient) can talk to it. `mailbot.demo.dovecot.DovecotServer` offers the
same `ImapServer` interface on Debian's dovecot. `SmtpSink` (defined in
`mailbot.demo.smtp_sink`) is re-exported here.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import secrets
import ssl
import threading
from argparse import Namespace
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Literal, Self

from imapclient import IMAPClient

from mailbot.demo.smtp_sink import LOOPBACK, ReceivedMail, SmtpSink

__all__ = [
    "DEFAULT_USER", "LOOPBACK", "EmbeddedImapServer", "ImapServer", "ReceivedMail", "SmtpSink",
]

log = logging.getLogger(__name__)

DEFAULT_USER = "it@committee.example"
STARTUP_TIMEOUT_SECONDS = 10.0


class ImapServer(abc.ABC):
    """An IMAP server on loopback with one mailbox user and plain (no TLS) access."""

    def __init__(self, *, user: str, password: str | None) -> None:
        self._user = user
        self._password = password or secrets.token_urlsafe(12)
        self._port: int | None = None

    @abc.abstractmethod
    def start(self) -> None:
        """Start the server; on return it accepts connections on `port`."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the server and release its port; safe to call twice."""

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the IMAP server is not started")
        return self._port

    @property
    def user(self) -> str:
        return self._user

    @property
    def password(self) -> str:
        return self._password

    def connect(self, *, timeout: float = 10.0) -> IMAPClient:
        """Open a new client connection, logged in as `user`."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            client.login(self.user, self.password)
        except Exception:
            client.shutdown()
            raise
        return client

    def append(
        self,
        raw: bytes,
        *,
        folder: str = "INBOX",
        flags: Iterable[str | bytes] = (),
        when: datetime | None = None,
    ) -> None:
        """Deliver a raw message into `folder` with the IMAP APPEND command.

        The folder is created when missing. `when` sets INTERNALDATE (the
        arrival time the daemon uses), which defaults to now.
        """
        with self.connect() as client:
            if folder.upper() != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=tuple(flags), msg_time=when)

    def env(self) -> dict[str, str]:
        """Return the MAILBOT_IMAP_* settings that point the daemon at this server."""
        return {
            "MAILBOT_IMAP_HOST": self.host,
            "MAILBOT_IMAP_PORT": str(self.port),
            "MAILBOT_IMAP_USER": self.user,
            "MAILBOT_IMAP_PASSWORD": self.password,
            "MAILBOT_IMAP_SECURITY": "none",
            "MAILBOT_IMAP_FOLDER": "INBOX",
        }

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


class EmbeddedImapServer(ImapServer):
    """pymap's in-memory (`dict`) backend on 127.0.0.1 and a free port.

    The mailbox starts empty: pymap's demo data is not loaded. Capabilities
    include IDLE, UIDPLUS and MOVE. Everything is lost on `stop()`. With a
    `certificate` (a PEM certificate chain and key file), `security`
    "ssl" wraps every connection in TLS and "starttls" offers STARTTLS.
    """

    def __init__(
        self,
        *,
        user: str = DEFAULT_USER,
        password: str | None = None,
        security: Literal["none", "ssl", "starttls"] = "none",
        certificate: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(user=user, password=password)
        if security != "none" and certificate is None:
            raise ValueError("a TLS server needs a certificate and key file")
        self.security = security
        self._certificate = certificate
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the IMAP server is already started")
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._run, name="pymap", daemon=True)
        self._thread.start()

        if not self._ready.wait(STARTUP_TIMEOUT_SECONDS):
            raise TimeoutError("pymap did not start within %s s" % STARTUP_TIMEOUT_SECONDS)
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("pymap failed to start") from self._startup_error
        log.info("pymap IMAP server listening on %s:%s", self.host, self._port)

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop_requested is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join()
        self._thread = None
        self._loop = None
        self._port = None
        log.info("pymap IMAP server stopped")

    def connect(self, *, timeout: float = 10.0) -> IMAPClient:
        """Open a logged-in client connection, over TLS when the server uses it."""
        if self.security == "none":
            return super().connect(timeout=timeout)
        # The test tooling talks to its own server, whose certificate comes
        # from a throwaway CA, so it does not verify it; mailbot itself does.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client = IMAPClient(self.host, port=self.port, ssl=self.security == "ssl", ssl_context=context, timeout=timeout)
        if self.security == "starttls":
            client.starttls(context)
        client.login(self.user, self.password)
        return client

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        try:
            server = await _start_pymap(self.user, self.password, self.security, self._certificate)
        except Exception as exc:  # reported to the caller of start()
            self._startup_error = exc
            self._ready.set()
            return

        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop_requested.wait()
            server.close()
        # Open client connections are tasks of this loop: asyncio.run()
        # cancels them when this coroutine returns.


async def _start_pymap(
    user: str, password: str, security: str = "none", certificate: tuple[str, str] | None = None
) -> asyncio.Server:
    """Build pymap's dict backend with one user and listen on a free loopback port."""
    # Imported here so that importing this module stays cheap for the daemon.
    from proxyprotocol.reader import ProxyProtocolReader
    from pymap.backend.dict import Config, DictBackend, Login
    from pymap.concurrent import Subsystem
    from pymap.imap import IMAPServer
    from pymap.user import Passwords, UserMetadata

    class LoopbackConfig(Config):
        @property
        def greeting(self) -> bytes:
            # pymap's default greeting calls socket.getfqdn(), a DNS lookup.
            return b"Server ready " + LOOPBACK.encode("ascii")

    # The attributes pymap's command line would set (pymap 0.36 main.py).
    cert_file, key_file = certificate or (None, None)
    args = Namespace(
        host=[LOOPBACK], port=0, debug=False, cert=cert_file, key=key_file, tls=security == "starttls",
        passlib_cfg=None, proxy_protocol=None, inherited_sockets=None,
        demo_data=False, demo_user=user, demo_password=password,
    )
    config = LoopbackConfig.from_args(
        args, reject_dnsbl=False, invalid_user_sleep=0.0,
        cpu_subsystem=Subsystem.for_asyncio(),
    )
    config.apply_context()

    login = Login(config)
    hashed = await Passwords(config).hash_password(password)
    await login.demo_user_identity.set(UserMetadata(config, user, password=hashed))
    backend = DictBackend(login, config)

    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(
        IMAPServer(backend.login, config)
    )
    implicit_tls = None
    if security == "ssl":
        implicit_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        implicit_tls.load_cert_chain(cert_file, key_file)  # type: ignore[arg-type]
    return await asyncio.start_server(callback, host=LOOPBACK, port=0, ssl=implicit_tls)
