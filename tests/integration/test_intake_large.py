"""Large messages: fetched alone in pieces, stored and parsed byte for byte."""

from __future__ import annotations

import email.policy
import hashlib
import random
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mailbot.db.models import InboundMessage, ThreadEntry
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.intake import ledger
from mailbot.routing import pipeline
from tests.app_fixtures import IT_ADDRESS, start_daemon
from tests.integration.test_daemon import REQUESTER, request_mail

CHUNK = 4096


def scan_request(message_id: str, size: int) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = REQUESTER
    message["To"] = IT_ADDRESS
    message["Subject"] = "Скан заявления на подключение к СЭД"
    message["Message-ID"] = message_id
    message.set_content("Прошу подключить к системе электронного документооборота, скан во вложении.")
    payload = random.Random(message_id).randbytes(size)
    message.add_attachment(payload, maintype="application", subtype="pdf", filename="заявление.pdf")
    return message.as_bytes()


def padded_to_chunks(raw: bytes) -> bytes:
    """Pad the header block so the message is a whole number of pieces long."""
    padding = (-len(raw)) % CHUNK
    if padding < 10:
        padding += CHUNK
    return raw.replace(b"Subject:", b"X-Pad: " + b"x" * (padding - 9) + b"\r\nSubject:", 1)


@pytest.mark.parametrize("whole_pieces", [False, True])
def test_large_message_stored_whole(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, whole_pieces: bool,
) -> None:
    monkeypatch.setattr(ledger, "LARGE_MESSAGE_BYTES", 10_000)
    monkeypatch.setattr(ledger, "FETCH_CHUNK_BYTES", CHUNK)
    # Routing reads the raw mail back in pieces of this size on PostgreSQL.
    monkeypatch.setattr(pipeline, "READ_PIECE_BYTES", CHUNK)
    large = scan_request("<scan-1@committee.example>", 30_000)
    if whole_pieces:
        large = padded_to_chunks(large)
        assert len(large) % CHUNK == 0
    sent = [
        request_mail(message_id="<before@committee.example>"),
        large,
        request_mail(subject="Не открывается почта в Outlook", message_id="<after@committee.example>"),
    ]
    for raw in sent:
        imap_server.append(raw)
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)

    assert daemon.run_once().stored == 3

    with daemon.session_factory() as session:
        query = select(InboundMessage).options(joinedload(InboundMessage.content)).order_by(InboundMessage.uid)
        stored = list(session.scalars(query))
        assert [row.content.raw for row in stored] == sent
        request = session.scalars(
            select(ThreadEntry).where(ThreadEntry.inbound_id == stored[1].id, ThreadEntry.kind == "request")
        ).one()
        files = [(item.filename, item.size, item.sha256) for item in request.attachments]
    payload = random.Random("<scan-1@committee.example>").randbytes(30_000)
    assert files == [("заявление.pdf", 30_000, hashlib.sha256(payload).hexdigest())]
