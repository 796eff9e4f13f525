"""The loopback servers behave as the daemon expects real ones to."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest
import sqlalchemy
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from mailbot.demo.servers import EmbeddedImapServer, ImapServer, SmtpSink

pytestmark = pytest.mark.integration

SEEN = b"\\Seen"


def russian_message(subject: str = "Не печатает принтер в 305 кабинете") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ирина Соколова <i.sokolova@committee.example>"
    msg["To"] = "it@committee.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="committee.example")
    msg.set_content("Добрый день! Принтер пишет «замятие бумаги», бумаги внутри нет.\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def fetch_one(client: IMAPClient, items: list[str]) -> tuple[int, dict[bytes, Any]]:
    uids = client.search("ALL")
    assert len(uids) == 1
    return uids[0], client.fetch(uids, items)[uids[0]]


def test_imap_append_then_peek_keeps_unseen(imap_server: ImapServer) -> None:
    raw = russian_message()
    arrived = datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)
    imap_server.append(raw, when=arrived)

    with imap_server.connect() as client:
        client.normalise_times = False
        client.select_folder("INBOX")
        _, data = fetch_one(client, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])
        _, after = fetch_one(client, ["FLAGS"])

    assert data[b"BODY[]"] == raw
    assert SEEN not in data[b"FLAGS"]
    assert SEEN not in after[b"FLAGS"]
    assert data[b"INTERNALDATE"] == arrived


def test_imap_store_seen_survives_reconnect(imap_server: ImapServer) -> None:
    imap_server.append(russian_message())

    with imap_server.connect() as client:
        client.select_folder("INBOX")
        uid, _ = fetch_one(client, ["FLAGS"])
        client.add_flags([uid], [SEEN])

    with imap_server.connect() as client:
        client.select_folder("INBOX", readonly=True)
        _, data = fetch_one(client, ["FLAGS"])
        unseen = client.search("UNSEEN")

    assert SEEN in data[b"FLAGS"]
    assert unseen == []


def test_imap_uidvalidity_stable_and_uids_grow(imap_server: ImapServer) -> None:
    imap_server.append(russian_message("Первое"))
    with imap_server.connect() as client:
        first = client.select_folder("INBOX")
        first_uids = client.search("ALL")

    imap_server.append(russian_message("Второе"))
    with imap_server.connect() as client:
        second = client.select_folder("INBOX")
        second_uids = client.search("ALL")

    assert first[b"UIDVALIDITY"] == second[b"UIDVALIDITY"]
    assert len(second_uids) == 2
    assert second_uids[0] == first_uids[0]
    assert second_uids[1] > first_uids[0]


def test_imap_idle_reports_new_message(imap_server: ImapServer) -> None:
    with imap_server.connect() as client:
        assert client.has_capability("IDLE")
        client.select_folder("INBOX")
        client.idle()
        imap_server.append(russian_message())
        responses = client.idle_check(timeout=10)
        client.idle_done()

    assert (1, b"EXISTS") in responses


def test_imap_append_creates_missing_folder(imap_server: ImapServer) -> None:
    imap_server.append(russian_message(), folder="Обработано", flags=[SEEN])

    with imap_server.connect() as client:
        assert client.folder_exists("Обработано")
        client.select_folder("Обработано")
        _, data = fetch_one(client, ["FLAGS"])

    assert SEEN in data[b"FLAGS"]


def test_imap_wrong_password_rejected(imap_server: ImapServer) -> None:
    client = IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=10)
    try:
        with pytest.raises(LoginError):
            client.login(imap_server.user, imap_server.password + "-wrong")
    finally:
        client.shutdown()


def test_imap_new_mailbox_is_empty(imap_server: ImapServer) -> None:
    with imap_server.connect() as client:
        selected = client.select_folder("INBOX")
        folders = [name for _, _, name in client.list_folders()]

    assert selected[b"EXISTS"] == 0
    assert folders == ["INBOX"]


def test_imap_env_points_at_server(imap_server: ImapServer) -> None:
    env = imap_server.env()

    assert env["MAILBOT_IMAP_HOST"] == "127.0.0.1"
    assert env["MAILBOT_IMAP_PORT"] == str(imap_server.port)
    assert env["MAILBOT_IMAP_PASSWORD"] == imap_server.password


def test_pymap_stop_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with EmbeddedImapServer() as server:
        client = server.connect()
        client.select_folder("INBOX")
    client.shutdown()

    assert set(threading.enumerate()) == before
    with pytest.raises(RuntimeError):
        _ = server.port


def send(sink: SmtpSink, raw: bytes, recipients: list[str]) -> None:
    asyncio.run(
        aiosmtplib.send(
            raw, sender="it@committee.example", recipients=recipients,
            hostname=sink.host, port=sink.port, start_tls=False, timeout=10,
        )
    )


def test_smtp_sink_stores_message(smtp_sink: SmtpSink) -> None:
    raw = russian_message("[IT-2026-00001] Ваше обращение зарегистрировано")
    send(smtp_sink, raw, ["i.sokolova@committee.example"])

    received = smtp_sink.wait_for(1, timeout=10)

    assert len(received) == 1
    assert received[0].envelope_sender == "it@committee.example"
    assert received[0].recipients == ("i.sokolova@committee.example",)
    assert received[0].raw.rstrip(b"\r\n") == raw.rstrip(b"\r\n")
    message_id = received[0].message_id
    assert message_id is not None
    assert smtp_sink.count_message_id(message_id) == 1
    assert smtp_sink.count_message_id("<other@committee.example>") == 0


def test_smtp_sink_temporary_failure(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(451, times=2)

    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPDataError) as failure:
            send(smtp_sink, russian_message(), ["a@committee.example"])
        assert failure.value.code == 451
    send(smtp_sink, russian_message(), ["a@committee.example"])

    assert len(smtp_sink.wait_for(1)) == 1


def test_smtp_sink_permanent_failure_at_rcpt(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(550, stage="rcpt")

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as failure:
        send(smtp_sink, russian_message(), ["nobody@committee.example"])

    assert failure.value.recipients[0].code == 550
    assert smtp_sink.messages == []


def test_smtp_sink_wait_for_times_out(smtp_sink: SmtpSink) -> None:
    with pytest.raises(TimeoutError, match="got 0"):
        smtp_sink.wait_for(1, timeout=0.2)


def test_smtp_sink_clear_forgets_messages(smtp_sink: SmtpSink) -> None:
    send(smtp_sink, russian_message(), ["a@committee.example"])
    smtp_sink.wait_for(1)

    smtp_sink.clear()

    assert smtp_sink.messages == []


def test_smtp_sink_requires_auth_when_configured() -> None:
    with SmtpSink(user="robot", password="секрет-1") as sink:
        with pytest.raises(aiosmtplib.SMTPResponseException):
            send(sink, russian_message(), ["a@committee.example"])
        asyncio.run(
            aiosmtplib.send(
                russian_message(), sender="it@committee.example",
                recipients=["a@committee.example"], hostname=sink.host, port=sink.port,
                username="robot", password="секрет-1", start_tls=False, timeout=10,
            )
        )
        assert len(sink.wait_for(1)) == 1


def test_database_url_is_writable(database_url: str) -> None:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE probe (value TEXT)"))
            connection.execute(sqlalchemy.text("INSERT INTO probe VALUES ('проверка')"))
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT value FROM probe")).all()
    finally:
        engine.dispose()

    assert rows == [("проверка",)]
