"""Guards around intake: reply limits, outside senders, oversized mail, quarantine, bounces."""

from __future__ import annotations

import dataclasses
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mailbot.classify.model import Classification
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, OutboxMessage, OutboxState, ThreadEntry, Ticket
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.routing.pipeline import process_one
from tests.app_fixtures import IT_ADDRESS, STAFF_ADDRESS, start_daemon
from tests.integration.test_daemon import REQUESTER, parse_sent, request_mail, to_requesters

pytestmark = pytest.mark.integration


def outbox_rows(daemon: Daemon, kind: str = "acknowledgement") -> list[OutboxMessage]:
    with daemon.session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        return list(session.scalars(query))


def test_reply_limit_suppresses_and_counts(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, reply_limits="2/600")
    for index in range(3):
        imap_server.append(request_mail(message_id=f"<flood-{index}@committee.example>",
                                        subject=f"Не работает принтер в кабинете {300 + index}"))
    daemon.run_once()

    states = [row.state for row in outbox_rows(daemon)]
    assert states == [OutboxState.SENT, OutboxState.SENT, OutboxState.SUPPRESSED]
    assert len(to_requesters(smtp_sink)) == 2
    with daemon.session_factory() as session:
        assert len(list(session.scalars(select(Ticket)))) == 3
        kinds = list(session.scalars(select(ThreadEntry.kind).where(ThreadEntry.kind.like("%suppressed"))))
    assert kinds == ["acknowledgement_suppressed"]


def test_outside_sender_gets_one_notice_a_day(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, outside_notice=True)
    outsider = "contractor@mail-box.example"
    for index in range(2):
        imap_server.append(request_mail(sender=outsider, message_id=f"<out-{index}@mail-box.example>"))
    daemon.run_once()

    [notice] = to_requesters(smtp_sink)
    assert notice.recipients == (outsider,)
    message = parse_sent(notice.raw)
    assert message["Auto-Submitted"] == "auto-replied"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "committee.example" in text
    with daemon.session_factory() as session:
        assert list(session.scalars(select(Ticket))) == []
        outcomes = list(session.scalars(select(InboundMessage.outcome)))
    assert outcomes == ["rejected", "rejected"]


def test_outside_sender_gets_nothing_by_default(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail(sender="contractor@mail-box.example"))
    daemon.run_once()
    assert to_requesters(smtp_sink) == []


def test_oversized_message_still_opens_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, max_message_bytes=4096)
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = REQUESTER
    message["To"] = IT_ADDRESS
    message["Subject"] = "Скан договора не открывается"
    message["Message-ID"] = "<big-1@committee.example>"
    message.set_content("Прикладываю скан, не открывается в программе просмотра PDF.")
    message.add_attachment(b"%PDF-1.4\n" + b"0" * 20_000, maintype="application", subtype="pdf", filename="скан.pdf")
    raw = message.as_bytes()
    imap_server.append(raw)
    daemon.run_once()

    with daemon.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        request = session.scalars(select(ThreadEntry).where(ThreadEntry.kind == "request")).one()
        assert request.attachments == []
        inbound = session.scalars(select(InboundMessage).options(joinedload(InboundMessage.content))).one()
    assert inbound.content.raw == raw
    assert ticket.requester_address == REQUESTER
    text = parse_sent(to_requesters(smtp_sink)[0].raw).get_body(preferencelist=("plain",)).get_content()
    assert "больше допустимых" in text
    assert "вложения не приняты" in text


def quarantine_notices(smtp: SmtpSink) -> list[ReceivedMail]:
    return [
        mail for mail in smtp.messages
        if mail.recipients == (STAFF_ADDRESS,) and "карантин" in str(parse_sent(mail.raw)["Subject"])
    ]


class _BrokenClassifier:
    """Failure injection: the classifier raises on one subject."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.version = "broken"

    def classify(self, subject: str, body: str) -> Classification:
        if "сломай" in subject:
            raise RuntimeError("classifier crashed")
        return self.real.classify(subject, body)  # type: ignore[attr-defined]


def test_failing_message_is_quarantined_and_loop_goes_on(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    healthy = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    real = healthy.context.classifier
    broken_context = dataclasses.replace(healthy.context, classifier=_BrokenClassifier(real))
    daemon = Daemon(broken_context, healthy.session_factory)
    imap_server.append(request_mail(subject="сломай классификатор", message_id="<bad@committee.example>"))
    imap_server.append(request_mail(message_id="<good@committee.example>"))
    daemon.run_once()

    with daemon.session_factory() as session:
        bad = session.scalars(select(InboundMessage).where(InboundMessage.message_id == "<bad@committee.example>")).one()
        good = session.scalars(select(InboundMessage).where(InboundMessage.message_id == "<good@committee.example>")).one()
    assert bad.state == InboundState.QUARANTINED
    assert "classifier crashed" in (bad.error or "")
    assert good.state == InboundState.PROCESSED

    notices = quarantine_notices(smtp_sink)
    assert len(notices) == 1
    assert f"quarantine retry {bad.id}" in parse_sent(notices[0].raw).get_body(("plain",)).get_content()

    # A second failure of the same message does not notify staff again.
    with daemon.session_factory.begin() as session:
        session.get(InboundMessage, bad.id).state = InboundState.STORED  # type: ignore[union-attr]
    process_one(daemon.session_factory, daemon.context, bad.id)
    daemon.run_once()
    assert len(quarantine_notices(smtp_sink)) == 1

    # With the fault gone, a retry turns it into a ticket.
    with daemon.session_factory.begin() as session:
        session.get(InboundMessage, bad.id).state = InboundState.STORED  # type: ignore[union-attr]
    outcome = process_one(healthy.session_factory, healthy.context, bad.id)
    assert outcome is not None and outcome.name == "new_ticket"


def test_bounce_marks_our_mail_failed(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail())
    daemon.run_once()
    acknowledgement = parse_sent(to_requesters(smtp_sink)[0].raw)

    report = (
        "From: MAILER-DAEMON@mx.committee.example\r\n"
        f"To: {IT_ADDRESS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.committee.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.committee.example\r\n\r\n"
        f"Final-Recipient: rfc822; {REQUESTER}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {acknowledgement['Message-ID']}\r\nSubject: x\r\n"
        "--b1--\r\n"
    ).encode()
    imap_server.append(report)
    daemon.run_once()

    [row] = outbox_rows(daemon)
    assert row.state == OutboxState.FAILED
    assert "bounced" in (row.last_error or "")
    assert len(to_requesters(smtp_sink)) == 1
    with daemon.session_factory() as session:
        kinds = list(session.scalars(select(ThreadEntry.kind)))
    assert "bounce" in kinds
