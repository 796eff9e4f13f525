"""The daemon end to end on real loopback servers: request, ticket, acknowledgement, threading."""

from __future__ import annotations

import datetime
import email.policy
import zoneinfo
from email.message import EmailMessage
from email.parser import BytesParser
from typing import cast

import imapclient
import pytest
from sqlalchemy import func, select

from mailbot.app import Application
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, ThreadEntry, Ticket
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.processes import Process
from tests.app_fixtures import IT_ADDRESS, STAFF_ADDRESS

pytestmark = pytest.mark.integration

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
REQUESTER = "ivanova.mv@committee.example"


def request_mail(
    *,
    subject: str = "Не печатает принтер в 305 кабинете",
    body: str = "Добрый день! Принтер HP в кабинете 305 не печатает, пишет «замятие бумаги». "
    "Бумаги внутри нет. Посмотрите, пожалуйста.\n\nИванова М. В., отдел кадров",
    sender: str = REQUESTER,
    message_id: str = "<req-1@committee.example>",
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Иванова Мария Викторовна <{sender}>"
    message["To"] = IT_ADDRESS
    message["Subject"] = subject
    message["Date"] = "Wed, 02 Dec 2026 09:15:00 +0300"
    message["Message-ID"] = message_id
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def to_requesters(sink: SmtpSink) -> list[ReceivedMail]:
    """The mail the sink received for requesters, without the staff announcements."""
    return [mail for mail in sink.messages if STAFF_ADDRESS not in mail.recipients]


def parse_sent(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=email.policy.default).parsebytes(raw))


def tickets(application: Application) -> list[Ticket]:
    with application.session_factory() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def entries(application: Application, ticket: Ticket) -> list[ThreadEntry]:
    with application.session_factory() as session:
        query = select(ThreadEntry).where(ThreadEntry.ticket_id == ticket.id).order_by(ThreadEntry.id)
        return list(session.scalars(query))


def test_request_becomes_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    # Dovecot replaces an APPEND date in the future with the current time, so
    # the arrival time lies in the past.
    arrival = datetime.datetime(2026, 12, 2, 9, 20, tzinfo=MSK)
    imap_server.append(request_mail(), when=arrival)

    result = daemon.run_once()

    assert (result.stored, result.processed, result.sent) == (1, 1, 2)  # acknowledgement and staff announcement
    [ticket] = tickets(application)
    assert ticket.number == "IT-2026-00001"
    assert ticket.process == Process.HARDWARE
    assert ticket.requester_address == REQUESTER
    assert ticket.received_at == arrival
    # 1 January 2027 is inside the New Year break; the first working day is 11 January.
    assert ticket.due_date == datetime.date(2027, 1, 11)

    [sent] = to_requesters(smtp_sink)
    assert sent.recipients == (REQUESTER,)
    acknowledgement = parse_sent(sent.raw)
    assert acknowledgement["Subject"].startswith("[IT-2026-00001]")
    assert acknowledgement["In-Reply-To"] == "<req-1@committee.example>"
    assert "<req-1@committee.example>" in acknowledgement["References"]
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert acknowledgement["X-Loop"] == IT_ADDRESS
    text = acknowledgement.get_body(preferencelist=("plain",)).get_content()
    assert "IT-2026-00001" in text
    assert Process.HARDWARE.title_ru in text
    assert "Срок ответа: до 11 января 2027 г.\n\n" in text
    assert "2 декабря 2026 г. в 09:20" in text
    assert "Письменный ответ будет направлен не позднее указанного срока.\nЧтобы дополнить" in text
    html = acknowledgement.get_body(preferencelist=("html",)).get_content()
    assert "до 11 января 2027 г." in html
    assert "указанного срока.\nЧтобы дополнить" in html


def test_ticket_numbers_follow_each_other(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    for index in range(3):
        imap_server.append(request_mail(message_id=f"<req-{index}@committee.example>",
                                        subject=f"Не работает мышь, кабинет {index + 410}"))
    daemon.run_once()
    assert [ticket.number for ticket in tickets(application)] == [
        "IT-2026-00001", "IT-2026-00002", "IT-2026-00003"]
    assert len(to_requesters(smtp_sink)) == 3


def _acknowledgement_of_first(imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon) -> EmailMessage:
    imap_server.append(request_mail())
    daemon.run_once()
    return parse_sent(to_requesters(smtp_sink)[0].raw)


def test_reply_threads_by_headers_only(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    acknowledgement = _acknowledgement_of_first(imap_server, smtp_sink, daemon)
    reply = request_mail(
        subject="Принтер снова",  # the tag is gone and the subject changed
        body="Теперь он ещё и гудит.",
        message_id="<reply-1@committee.example>",
        extra_headers={"In-Reply-To": acknowledgement["Message-ID"]},
    )
    imap_server.append(reply)
    daemon.run_once()

    [ticket] = tickets(application)
    assert len(to_requesters(smtp_sink)) == 1, "a reply must not get a second acknowledgement"
    replies = [entry for entry in entries(application, ticket) if entry.kind == "reply"]
    assert [entry.message_id for entry in replies] == ["<reply-1@committee.example>"]
    assert "гудит" in replies[0].text


def test_reply_threads_by_tag_only(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    _acknowledgement_of_first(imap_server, smtp_sink, daemon)
    imap_server.append(request_mail(
        subject="RE: [IT-2026-00001] Не печатает принтер в 305 кабинете",
        body="Забыла добавить: модель HP LaserJet 1320.",
        message_id="<reply-2@committee.example>",
    ))
    daemon.run_once()

    [ticket] = tickets(application)
    assert len(to_requesters(smtp_sink)) == 1
    assert any(entry.message_id == "<reply-2@committee.example>" for entry in entries(application, ticket))


def test_stranger_quoting_tag_opens_linked_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    _acknowledgement_of_first(imap_server, smtp_sink, daemon)
    imap_server.append(request_mail(
        subject="Fwd: [IT-2026-00001] Не печатает принтер в 305 кабинете",
        body="У нас в 306 кабинете тоже не печатает принтер, та же ошибка.",
        sender="petrov.ss@committee.example",
        message_id="<stranger-1@committee.example>",
    ))
    daemon.run_once()

    first, second = tickets(application)
    assert second.number == "IT-2026-00002"
    assert second.parent_id == first.id
    assert second.requester_address == "petrov.ss@committee.example"
    assert len(to_requesters(smtp_sink)) == 2


def test_message_seen_elsewhere_is_still_processed(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    imap_server.append(request_mail(), flags=[imapclient.SEEN])
    daemon.run_once()
    assert len(tickets(application)) == 1
    assert len(to_requesters(smtp_sink)) == 1


def test_processed_message_is_flagged_seen_and_kept(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    imap_server.append(request_mail())
    daemon.run_once()
    with imap_server.connect() as client:
        client.select_folder("INBOX", readonly=True)
        [uid] = client.search(["ALL"])
        assert imapclient.SEEN in client.get_flags([uid])[uid]


class _CrashBeforeSeen(Exception):
    pass


def test_restart_after_store_before_seen_makes_no_duplicate(
    imap_server: ImapServer,
    smtp_sink: SmtpSink,
    application: Application,
    daemon: Daemon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_server.append(request_mail())

    def crash(*args: object, **kwargs: object) -> None:
        raise _CrashBeforeSeen

    # Failure injection: the connection dies right after the commit that
    # stored the message, before \Seen reaches the server.
    with monkeypatch.context() as patch:
        patch.setattr(imapclient.IMAPClient, "add_flags", crash)
        with pytest.raises(_CrashBeforeSeen):
            daemon.run_once()

    with application.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1

    daemon.run_once()
    daemon.run_once()
    assert len(tickets(application)) == 1
    assert len(to_requesters(smtp_sink)) == 1


def test_copy_in_second_box_is_not_processed_twice(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    raw = request_mail()
    imap_server.append(b"Received: from mx1.committee.example by imap1; Wed, 2 Dec 2026 09:15:01 +0300\r\n" + raw)
    imap_server.append(b"Received: from mx2.committee.example by imap1; Wed, 2 Dec 2026 09:15:02 +0300\r\n" + raw)
    daemon.run_once()

    assert len(tickets(application)) == 1
    assert len(to_requesters(smtp_sink)) == 1
    with application.session_factory() as session:
        states = sorted(state.value for state in session.scalars(select(InboundMessage.state)))
    assert states == [InboundState.DUPLICATE.value, InboundState.PROCESSED.value]


ROBOT_CASES = {
    "auto_submitted": ({"Auto-Submitted": "auto-replied"}, {}),
    "auto_generated": ({"Auto-Submitted": "auto-generated"}, {}),
    "precedence_bulk": ({"Precedence": "bulk"}, {}),
    "precedence_junk": ({"Precedence": "junk"}, {}),
    "precedence_list": ({"Precedence": "list"}, {}),
    "precedence_auto_reply": ({"Precedence": "auto_reply"}, {}),
    "x_autoreply": ({"X-Autoreply": "yes"}, {}),
    "empty_return_path": ({"Return-Path": "<>"}, {}),
    "mailer_daemon": ({}, {"sender": "MAILER-DAEMON@committee.example"}),
    "russian_subject": ({}, {"subject": "Автоматический ответ: Не печатает принтер"}),
    "english_subject": ({}, {"subject": "Automatic reply: Не печатает принтер"}),
}


@pytest.mark.parametrize("case", sorted(ROBOT_CASES))
def test_robot_is_never_answered(
    case: str, imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    headers, fields = ROBOT_CASES[case]
    imap_server.append(request_mail(extra_headers=headers, **fields))  # type: ignore[arg-type]
    daemon.run_once()

    assert tickets(application) == []
    assert to_requesters(smtp_sink) == []
    with application.session_factory() as session:
        inbound = session.scalars(select(InboundMessage)).one()
    assert inbound.state == InboundState.PROCESSED
    assert inbound.outcome == "robot"


def test_auto_reply_recorded_on_its_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    acknowledgement = _acknowledgement_of_first(imap_server, smtp_sink, daemon)
    imap_server.append(request_mail(
        subject="Автоматический ответ: " + acknowledgement["Subject"],
        body="Я в отпуске до 14 декабря.",
        message_id="<oof-1@committee.example>",
        extra_headers={"Auto-Submitted": "auto-replied", "In-Reply-To": acknowledgement["Message-ID"]},
    ))
    daemon.run_once()

    [ticket] = tickets(application)
    assert len(to_requesters(smtp_sink)) == 1
    kinds = [entry.kind for entry in entries(application, ticket)]
    assert "auto_reply" in kinds


def test_our_own_mail_coming_back_is_dropped(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    imap_server.append(request_mail(extra_headers={"X-Loop": IT_ADDRESS}))
    daemon.run_once()
    assert tickets(application) == []
    assert to_requesters(smtp_sink) == []


def test_sender_outside_allowed_domains_opens_nothing(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    imap_server.append(request_mail(sender="someone@mail-box.example"))
    daemon.run_once()
    assert tickets(application) == []
    assert to_requesters(smtp_sink) == []


def test_deadline_on_holiday_moves_to_next_working_day(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    # 30 days after 9 April 2026 is Saturday 9 May (Victory Day); Monday 11 May
    # is the transferred day off, so the deadline is Tuesday 12 May.
    imap_server.append(request_mail(), when=datetime.datetime(2026, 4, 9, 11, 0, tzinfo=MSK))
    daemon.run_once()
    [ticket] = tickets(application)
    assert ticket.due_date == datetime.date(2026, 5, 12)
    text = parse_sent(to_requesters(smtp_sink)[0].raw).get_body(preferencelist=("plain",)).get_content()
    assert "до 12 мая 2026 г." in text
