"""IMAP faults: a server restart mid-run, a dovecot UIDVALIDITY reset, moving processed mail."""

from __future__ import annotations

import glob
import os
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import Application, build_application
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, OutboxMessage, OutboxState, Ticket
from mailbot.demo.dovecot import DovecotServer
from mailbot.demo.servers import EmbeddedImapServer, ImapServer, SmtpSink
from tests.app_fixtures import make_settings
from tests.backlog import BacklogMail, backlog
from tests.servers import start_imap_server

pytestmark = pytest.mark.integration


class RestartableProxy:
    """A loopback TCP forwarder whose upstream port can change; `drop()` cuts every connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self) -> None:
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets.clear()

    def close(self) -> None:
        self.listener.close()
        self.drop()


def counts(application: Application) -> tuple[Counter[str], int, int]:
    with application.session_factory() as session:
        states = Counter(state.value for state in session.scalars(select(InboundMessage.state)))
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
        pending = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
        ) or 0
    return states, tickets, pending


def wait_until(application: Application, total: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states, _, pending = counts(application)
        if sum(states.values()) == total and states["stored"] == 0 and pending == 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"not done after {timeout} s: {counts(application)}")


def append_all(imap: ImapServer, mails: list[BacklogMail]) -> None:
    with imap.connect() as client:
        client.multiappend("INBOX", [mail.raw for mail in mails])


def requests_in(mails: list[BacklogMail]) -> int:
    return sum(1 for mail in mails if mail.kind == "request")


def test_pymap_restart_mid_run_opens_no_duplicates(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    first, later = backlog(10, seed=21), backlog(15, seed=22)[10:]
    server = EmbeddedImapServer(password="restart-secret")
    server.start()
    proxy = RestartableProxy(server.port)
    proxied = make_settings(server, smtp_sink, database_url, tmp_path / "storage", poll_seconds=1)
    settings = proxied.model_copy(update={"imap_port": proxy.port})
    application = build_application(settings)
    daemon = Daemon(application.context, application.session_factory)
    thread = threading.Thread(target=daemon.run_forever)
    thread.start()
    try:
        append_all(server, first)
        wait_until(application, len(first))

        server.stop()
        proxy.drop()
        server = EmbeddedImapServer(password="restart-secret")
        server.start()
        proxy.upstream_port = server.port
        # The new server has a new UIDVALIDITY and gets the old mail again
        # (as after a restore from backup) followed by new mail.
        append_all(server, first + later)
        wait_until(application, 2 * len(first) + len(later))
    finally:
        daemon.stop()
        thread.join(timeout=30)
        server.stop()
        proxy.close()

    states, tickets, _ = counts(application)
    application.engine.dispose()
    assert states == Counter({"processed": len(first) + len(later), "duplicate": len(first)})
    assert tickets == requests_in(first + later)
    copies = Counter(mail.message_id for mail in smtp_sink.messages)
    assert set(copies.values()) == {1}


def _reset_dovecot_uids(server: DovecotServer, *, keep_index: bool) -> None:
    # Dovecot stamps UIDVALIDITY with the current second, so wait for a new one.
    time.sleep(1.1)
    pattern = "dovecot-uidlist" if keep_index else "dovecot*"
    for path in glob.glob(str(server.root / "mail" / "**" / pattern), recursive=True):
        if os.path.isfile(path):
            os.remove(path)


@pytest.mark.dovecot
@pytest.mark.parametrize("keep_index", [True, False], ids=["uids-renumbered", "new-uidvalidity"])
def test_dovecot_uid_reset_opens_no_duplicates(
    keep_index: bool, database_url: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    first, later = backlog(6, seed=31), backlog(9, seed=32)[6:]
    server = start_imap_server("dovecot")
    try:
        settings = make_settings(server, smtp_sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        append_all(server, first)
        daemon.run_once()
        _reset_dovecot_uids(server, keep_index=keep_index)
        append_all(server, later)
        daemon.run_once()
        daemon.run_once()
    finally:
        server.stop()

    states, tickets, pending = counts(application)
    application.engine.dispose()
    assert states == Counter({"processed": len(first) + len(later), "duplicate": len(first)})
    assert tickets == requests_in(first + later)
    assert pending == 0
    assert set(Counter(mail.message_id for mail in smtp_sink.messages).values()) == {1}


@pytest.mark.parametrize("capability", ["MOVE", "UIDPLUS"])
def test_processed_mail_moved_once(
    capability: str, database_url: str, smtp_sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mails = backlog(8, seed=41)
    with EmbeddedImapServer() as server:
        settings = make_settings(
            server, smtp_sink, database_url, tmp_path / "storage", imap_processed_folder="Обработано"
        )
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        if capability == "UIDPLUS":
            _hide_move(monkeypatch)
        append_all(server, mails[:5])
        daemon.run_once()
        append_all(server, mails[5:])
        daemon.run_once()
        daemon.run_once()
        with server.connect() as client:
            inbox = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
            moved = client.select_folder("Обработано", readonly=True)[b"EXISTS"]

    states, tickets, _ = counts(application)
    application.engine.dispose()
    assert inbox == 0
    assert moved == len(mails)
    assert states == Counter({"processed": len(mails)})
    assert tickets == requests_in(mails)


def _hide_move(monkeypatch: pytest.MonkeyPatch) -> None:
    import imapclient

    original = imapclient.IMAPClient.capabilities

    def without_move(self: imapclient.IMAPClient) -> tuple[bytes, ...]:
        return tuple(item for item in original(self) if item != b"MOVE")

    monkeypatch.setattr(imapclient.IMAPClient, "capabilities", without_move)
