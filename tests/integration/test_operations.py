"""Operations: Prometheus metrics over loopback, secret-free logs, raw mail retention, outbox retry."""

from __future__ import annotations

import datetime
import email.policy
import socket
import threading
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from mailbot.app import build_application
from mailbot.cli import main
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, OutboxMessage, OutboxState
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from mailbot.retention import prune_raw
from tests.app_fixtures import IT_ADDRESS, make_settings
from tests.backlog import backlog
from tests.daemon_process import DaemonProcess, state_counts, write_service_env

pytestmark = pytest.mark.integration

BODY_PHRASE = "Ключ от серверной лежит под фикусом в кабинете 512"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode("utf-8")
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met within %s s" % timeout)
        time.sleep(0.1)


def test_metrics_scraped_over_loopback(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    mails = backlog(6, seed=9)
    port = free_port()
    with EmbeddedImapServer() as imap:
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage", metrics_port=port)
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        thread = threading.Thread(target=daemon.run_forever)
        thread.start()
        try:
            with imap.connect() as client:
                client.multiappend("INBOX", [mail.raw for mail in mails])
            wait_for(lambda: scrape(port).get("mailbot_messages_fetched_total") == len(mails))
            # The outbox is also empty before processing has queued anything,
            # so wait for every message to be processed first.
            wait_for(lambda: scrape(port).get('mailbot_inbound_messages{state="processed"}') == len(mails))
            wait_for(lambda: scrape(port).get('mailbot_outbox_messages{state="pending"}') == 0)
            samples = scrape(port)
        finally:
            daemon.stop()
            thread.join(timeout=30)
    application.engine.dispose()

    requests = sum(1 for mail in mails if mail.kind == "request")
    opened = sum(value for name, value in samples.items() if name.startswith("mailbot_tickets_opened_total{"))
    assert opened == requests
    assert samples['mailbot_inbound_messages{state="processed"}'] == len(mails)
    assert samples["mailbot_quarantined_messages"] == 0
    assert samples["mailbot_overdue_open_tickets"] == 0
    assert samples['mailbot_outbox_messages{state="sent"}'] >= requests
    assert samples["mailbot_outbox_oldest_pending_age_seconds"] == 0
    assert samples["mailbot_mail_sent_total"] >= requests
    assert samples["mailbot_database_up"] == 1
    polled = [value for name, value in samples.items() if name.startswith("mailbot_last_successful_poll_timestamp_seconds")]
    assert len(polled) == 1
    assert abs(polled[0] - time.time()) < 60
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_metrics_off_by_default(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    with EmbeddedImapServer() as imap:
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage")
    assert settings.metrics_port is None


def secret_mail() -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Иванова Мария <ivanova.mv@committee.example>"
    message["To"] = IT_ADDRESS
    message["Subject"] = "Не работает принтер"
    message["Message-ID"] = "<secret-body@committee.example>"
    message.set_content(f"Добрый день! Принтер в 512 не печатает.\n{BODY_PHRASE}.\n")
    return message.as_bytes()


def test_logs_hold_no_password_or_body(tmp_path: Path) -> None:
    smtp_password = "smtp-Пароль-4711"
    imap_password = "imap-secret-0815"
    with EmbeddedImapServer(password=imap_password) as imap, SmtpSink(user="it", password=smtp_password) as smtp:
        imap.append(secret_mail())
        smtp.fail_next(451)
        env_file = write_service_env(tmp_path, imap, smtp, MAILBOT_OUTBOX_SECONDS="1")
        daemon = DaemonProcess(env_file, tmp_path / "run.log")
        try:
            daemon.wait_started()
            wait_for(lambda: state_counts(tmp_path).get("processed") == 1)
            wait_for(lambda: len(smtp.messages) >= 1, timeout=90)
            assert daemon.terminate(timeout=10) == 0
        finally:
            daemon.close()
    log = daemon.log_text()
    assert "mail sent" in log
    assert "delivery failed" in log, "the 451 reply must have been logged"
    assert imap_password not in log
    assert smtp_password not in log
    assert BODY_PHRASE not in log
    assert "фикусом" not in log


def test_prune_keeps_headers_and_recent_mail(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    mails = backlog(4, seed=13)
    with EmbeddedImapServer() as imap:
        for mail in mails:
            imap.append(mail.raw)
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        Daemon(application.context, application.session_factory).run_once()
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)
    with application.session_factory.begin() as session:
        ids = list(session.scalars(select(InboundMessage.id).order_by(InboundMessage.id)))
        session.execute(update(InboundMessage).where(InboundMessage.id.in_(ids[:3])).values(received_at=old))
        session.execute(update(InboundMessage).where(InboundMessage.id == ids[2]).values(state=InboundState.QUARANTINED))

    assert prune_raw(application.session_factory, 365) == 2
    assert prune_raw(application.session_factory, 365) == 0, "a second run finds nothing new"
    with application.session_factory() as session:
        query = select(InboundMessage).options(joinedload(InboundMessage.content)).order_by(InboundMessage.id)
        rows = list(session.scalars(query))
    application.engine.dispose()
    by_id = {mail.message_id: mail.raw for mail in mails}
    for row in rows[:2]:
        assert row.content.raw.endswith(b"\r\n\r\n")
        assert by_id[row.message_id].startswith(row.content.raw)
        assert len(row.content.raw) < row.size
        assert row.message_id.encode() in row.content.raw
    for row in rows[2:]:
        assert row.content.raw == by_id[row.message_id], "quarantined and recent mail keep their bytes"


def test_outbox_retry_requeues_failed_mail(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [mail] = backlog(1, seed=3)
    with EmbeddedImapServer() as imap:
        imap.append(mail.raw)
        env_file = write_service_env(tmp_path, imap, smtp_sink, MAILBOT_DATABASE_URL=database_url)
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        smtp_sink.fail_next(550)
        Daemon(application.context, application.session_factory).run_once()
    with application.session_factory() as session:
        failed = session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)).one()

    assert main(["--env-file", str(env_file), "outbox", "retry", str(failed.id)]) == 0
    assert "возвращено в очередь" in capsys.readouterr().out
    with application.session_factory() as session:
        requeued = session.get(OutboxMessage, failed.id)
    application.engine.dispose()
    assert requeued is not None
    assert requeued.state == OutboxState.PENDING
    assert requeued.attempts == 0
    assert main(["--env-file", str(env_file), "outbox", "retry", "999999"]) == 1
