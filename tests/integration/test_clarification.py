"""Unsure routing asks the requester, and the reply settles the process."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, Ticket, TicketStatus
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.processes import Process
from tests.app_fixtures import start_daemon
from tests.integration.test_daemon import parse_sent, request_mail, to_requesters

pytestmark = pytest.mark.integration


def only_ticket(daemon: Daemon) -> Ticket:
    with daemon.session_factory() as session:
        return session.scalars(select(Ticket)).one()


def ask(imap: ImapServer, smtp: SmtpSink, daemon: Daemon, body: str) -> str:
    """Deliver an unclear request and return the clarifying question's Message-ID."""
    imap.append(request_mail(subject="Проблема", body=body))
    daemon.run_once()
    [question] = to_requesters(smtp)
    return str(parse_sent(question.raw)["Message-ID"])


@pytest.mark.parametrize("reply", ["4", "Ответ: 4\n\nС уважением, Иванова", "4 — пароль не подходит"])
def test_digit_reply_settles_process(
    reply: str, imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    # A threshold of 1.0 makes every request unclear, so the test does not
    # depend on which text the shipped model happens to doubt.
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, classify_threshold=1.0)
    arrival = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
    imap_server.append(request_mail(subject="Проблема", body="Не могу зайти, пишет ошибку."), when=arrival)
    daemon.run_once()

    ticket = only_ticket(daemon)
    assert ticket.status == TicketStatus.CLARIFICATION
    [question] = to_requesters(smtp_sink)
    message = parse_sent(question.raw)
    assert "Уточните" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    named = [process for process in Process if f"{process.value} — {process.title_ru}" in text]
    assert len(named) == 2, "the question names the two likeliest processes"
    assert ticket.number in text

    imap_server.append(request_mail(subject=f"RE: {message['Subject']}", body=reply,
                                    message_id="<answer@committee.example>",
                                    extra_headers={"In-Reply-To": message["Message-ID"]}))
    daemon.run_once()

    settled = only_ticket(daemon)
    assert settled.process == Process.INFORMATION_SECURITY
    assert settled.status == TicketStatus.OPEN
    assert settled.received_at == arrival, "the deadline still runs from the first arrival"
    assert settled.due_date == ticket.due_date
    acknowledgement = parse_sent(to_requesters(smtp_sink)[-1].raw)
    assert Process.INFORMATION_SECURITY.title_ru in acknowledgement.get_body(("plain",)).get_content()


def test_words_reply_settles_process(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, classify_threshold=1.0)
    question_id = ask(imap_server, smtp_sink, daemon, "Не работает, посмотрите.")
    imap_server.append(request_mail(
        subject="RE: уточнение",
        body="Истекает сертификат электронной подписи на Рутокене, нужно продлить до пятницы.",
        message_id="<words@committee.example>", extra_headers={"In-Reply-To": question_id},
    ))
    daemon.run_once()
    assert only_ticket(daemon).process == Process.SIGNATURE_CERTIFICATES
    assert only_ticket(daemon).status == TicketStatus.OPEN


def test_too_short_request_is_asked(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail(subject="", body="не работает"))
    daemon.run_once()
    assert only_ticket(daemon).status == TicketStatus.CLARIFICATION

    [question] = to_requesters(smtp_sink)
    message = parse_sent(question.raw)
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        assert part is not None
        text = part.get_content()
        assert "Срок ответа: до " in text
        assert "г.." not in text


def test_clear_request_is_not_asked(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail(
        subject="Продлить сертификат ЭП",
        body="Добрый день! 20 декабря истекает мой сертификат электронной подписи на Рутокене. "
        "Прошу подготовить документы в удостоверяющий центр для выпуска нового.",
    ))
    daemon.run_once()
    ticket = only_ticket(daemon)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.process == Process.SIGNATURE_CERTIFICATES


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Спасибо!", "Спасибо большое, всё заработало!"),
        ("Поздравляем с Днём рождения!", "Уважаемые коллеги! Приглашаем всех в пятницу в 16:00 в переговорную на торт."),
    ],
)
def test_not_a_request_opens_nothing_but_is_listed(
    subject: str, body: str, imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail(subject=subject, body=body))
    daemon.run_once()
    with daemon.session_factory() as session:
        assert list(session.scalars(select(Ticket))) == []
        [inbound] = session.scalars(select(InboundMessage))
    assert inbound.outcome == "not_request"
    assert to_requesters(smtp_sink) == []
