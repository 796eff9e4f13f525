"""SIGTERM and SIGINT stop `mailbot run` within 10 s, finishing the message in hand."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from tests.backlog import backlog
from tests.daemon_process import DaemonProcess, database_path, state_counts, write_service_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

BACKLOG_SIZE = 400
STOP_LIMIT_SECONDS = 10.0


def wait_for_processed(workdir: Path, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while state_counts(workdir).get("processed", 0) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("fewer than %d messages processed: %s" % (count, state_counts(workdir)))
        time.sleep(0.05)


def tickets_without_first_reply(workdir: Path) -> int:
    connection = sqlite3.connect(f"file:{database_path(workdir)}?mode=ro", uri=True)
    try:
        query = (
            "SELECT count(*) FROM ticket WHERE id NOT IN (SELECT ticket_id FROM outbox "
            "WHERE kind IN ('acknowledgement', 'clarification') AND ticket_id IS NOT NULL)"
        )
        return int(connection.execute(query).fetchone()[0])
    finally:
        connection.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_stop_signal_leaves_rest_stored(signum: signal.Signals, tmp_path: Path) -> None:
    mails = backlog(BACKLOG_SIZE, seed=7)
    with EmbeddedImapServer() as imap, SmtpSink() as smtp:
        with imap.connect() as client:
            client.multiappend("INBOX", [mail.raw for mail in mails])
        env_file = write_service_env(tmp_path, imap, smtp)
        daemon = DaemonProcess(env_file, tmp_path / "run.log")
        try:
            daemon.wait_started()
            wait_for_processed(tmp_path, 20)
            started = time.monotonic()
            daemon.process.send_signal(signum)
            code = daemon.process.wait(timeout=STOP_LIMIT_SECONDS + 5)
            elapsed = time.monotonic() - started
        finally:
            daemon.close()

        assert code == 0, daemon.log_text()
        assert elapsed < STOP_LIMIT_SECONDS
        assert "daemon stopped" in daemon.log_text()
        counts = state_counts(tmp_path)
        assert set(counts) <= {"processed", "stored", "outbox_pending"}
        assert counts["processed"] + counts["stored"] == BACKLOG_SIZE
        assert counts["stored"] > 0, "the stop must leave unprocessed messages STORED"
        assert tickets_without_first_reply(tmp_path) == 0

        finish = DaemonProcess(env_file, tmp_path / "once.log", once=True)
        assert finish.process.wait(timeout=120) == 0, finish.log_text()

    counts = state_counts(tmp_path)
    assert counts.get("stored", 0) == 0
    assert counts["processed"] == BACKLOG_SIZE
    assert tickets_without_first_reply(tmp_path) == 0
