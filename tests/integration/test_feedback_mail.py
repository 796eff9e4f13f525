"""Ratings by mail: the ask in the answer and closing mails, and replies that rate."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.cli import main
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, ThreadEntry, Ticket, TicketFeedback, TicketStatus
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.processes import Process
from mailbot.signing import read_ticket
from tests.app_fixtures import STAFF_ADDRESS, start_daemon
from tests.integration.test_daemon import REQUESTER, parse_sent, request_mail
from tests.integration.test_staff import mails_to, open_first_ticket, staff_mail, text_of, ticket_of

pytestmark = pytest.mark.integration

ASK = "Оцените, пожалуйста, ответ от 1 до 5"
RATING_URL = re.compile(r"https?://[^\s\"'<>]+/rating/([^/\s\"'<>]+)/(\d)")


@pytest.fixture
def desk(imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path) -> Daemon:
    return start_daemon(imap_server, smtp_sink, database_url, tmp_path)


def html_of(mail: ReceivedMail) -> str:
    return parse_sent(mail.raw).get_body(preferencelist=("html",)).get_content()


def answer_ticket(imap: ImapServer, smtp: SmtpSink, daemon: Daemon) -> tuple[str, str]:
    """Open a ticket and answer it; return the announcement's and the answer's Message-IDs."""
    announcement_id = open_first_ticket(imap, smtp, daemon)
    imap.append(staff_mail("Заменили картридж, принтер печатает.", in_reply_to=announcement_id,
                           message_id="<staff-answer@committee.example>"))
    daemon.run_once()
    answer = mails_to(smtp, REQUESTER)[-1]
    return announcement_id, str(parse_sent(answer.raw)["Message-ID"])


def reply(imap: ImapServer, daemon: Daemon, body: str, *, in_reply_to: str, message_id: str) -> None:
    imap.append(request_mail(subject="RE: ответ на обращение", body=body, message_id=message_id,
                             extra_headers={"In-Reply-To": in_reply_to}))
    daemon.run_once()


def feedback_rows(daemon: Daemon) -> list[TicketFeedback]:
    with daemon.session_factory() as session:
        return list(session.scalars(select(TicketFeedback)))


def ticket_count(daemon: Daemon) -> int:
    with daemon.session_factory() as session:
        return len(list(session.scalars(select(Ticket.id))))


def outcome_of(daemon: Daemon, message_id: str) -> str | None:
    with daemon.session_factory() as session:
        return session.scalars(select(InboundMessage.outcome).where(InboundMessage.message_id == message_id)).one()


def run_cli(capsys: pytest.CaptureFixture[str], daemon: Daemon, tmp_path: Path, *args: str) -> str:
    settings = daemon.context.settings
    env_file = tmp_path / "service.env"
    env_file.write_text(
        f"MAILBOT_DATABASE_URL={settings.database_url}\nMAILBOT_STORAGE_DIR={settings.storage_dir}\n",
        encoding="utf-8",
    )
    assert main(["--env-file", str(env_file), *args]) == 0
    return capsys.readouterr().out


def test_answer_mail_has_signed_rating_links(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    answer_ticket(imap_server, smtp_sink, desk)
    acknowledgement, answer = mails_to(smtp_sink, REQUESTER)
    number = ticket_of(desk).number
    settings = desk.context.settings

    assert ASK in text_of(answer)
    assert ASK in html_of(answer)
    assert ASK not in text_of(acknowledgement)
    for part in (text_of(answer), html_of(answer)):
        links = RATING_URL.findall(part)
        assert [int(rating) for _, rating in links] == [1, 2, 3, 4, 5]
        assert all(read_ticket(settings, token) == number for token, _ in links)
        assert all(url.startswith(settings.web_base_url_effective) for url in re.findall(r"https?://\S+", part)
                   if "/rating/" in url)


def test_question_mail_does_not_ask(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("#уточнить\nСколько компьютеров не работает?", in_reply_to=announcement_id,
                                  message_id="<staff-question@committee.example>"))
    desk.run_once()
    question = mails_to(smtp_sink, REQUESTER)[-1]
    assert "Сколько компьютеров" in text_of(question)
    assert ASK not in text_of(question)
    assert RATING_URL.search(html_of(question)) is None


def test_rating_reply_is_stored_silently(
    imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, answer_id = answer_ticket(imap_server, smtp_sink, desk)
    sent_before = len(smtp_sink.messages)

    reply(imap_server, desk, "5, спасибо", in_reply_to=answer_id, message_id="<rating-1@committee.example>")

    ticket = ticket_of(desk)
    [feedback] = feedback_rows(desk)
    assert (feedback.rating, feedback.comment, feedback.source) == (5, "спасибо", "mail")
    assert feedback.process == ticket.process == Process.HARDWARE
    assert ticket.status == TicketStatus.ANSWERED
    assert ticket_count(desk) == 1
    assert len(smtp_sink.messages) == sent_before, "a rating sends no mail to anyone"
    assert outcome_of(desk, "<rating-1@committee.example>") == "rated"
    with desk.session_factory() as session:
        entry = session.scalars(select(ThreadEntry).where(ThreadEntry.kind == "rating")).one()
    assert entry.text.strip() == "5, спасибо"
    assert entry.author == REQUESTER

    shown = run_cli(capsys, desk, tmp_path, "tickets", "show", ticket.number)
    assert "Оценка:       5 (спасибо)" in shown
    [listed] = json.loads(run_cli(capsys, desk, tmp_path, "tickets", "list", "--json"))
    assert listed["rating"] == 5
    assert listed["number"] == ticket.number
    assert listed["status"] == "answered"


def test_second_rating_replaces_first(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id, answer_id = answer_ticket(imap_server, smtp_sink, desk)
    reply(imap_server, desk, "5, спасибо", in_reply_to=answer_id, message_id="<rating-1@committee.example>")
    reply(imap_server, desk, "Оценка 3 — долго ждали", in_reply_to=answer_id,
          message_id="<rating-2@committee.example>")

    [feedback] = feedback_rows(desk)
    assert (feedback.rating, feedback.comment) == (3, "долго ждали")
    assert ticket_of(desk).status == TicketStatus.ANSWERED

    imap_server.append(staff_mail("#закрыть\nЗакрываем заявку.", in_reply_to=announcement_id,
                                  message_id="<staff-close@committee.example>"))
    desk.run_once()
    closing = mails_to(smtp_sink, REQUESTER)[-1]
    assert "Обращение закрыто" in parse_sent(closing.raw)["Subject"]
    assert ASK not in text_of(closing), "a rated ticket's closing mail does not ask again"
    assert RATING_URL.search(html_of(closing)) is None


def test_late_rating_of_closed_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("#закрыть\nЗаменили картридж.", in_reply_to=announcement_id,
                                  message_id="<staff-close@committee.example>"))
    desk.run_once()
    closing = mails_to(smtp_sink, REQUESTER)[-1]
    assert ASK in text_of(closing)
    assert len(RATING_URL.findall(html_of(closing))) == 5
    with desk.session_factory.begin() as session:
        ticket = session.scalars(select(Ticket)).one()
        ticket.closed_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=60)
    sent_before = len(smtp_sink.messages)

    reply(imap_server, desk, "Оценка 4", in_reply_to=str(parse_sent(closing.raw)["Message-ID"]),
          message_id="<late-rating@committee.example>")

    [feedback] = feedback_rows(desk)
    assert (feedback.rating, feedback.comment) == (4, "")
    assert ticket_of(desk).status == TicketStatus.CLOSED
    assert ticket_count(desk) == 1, "a late rating opens no new linked ticket"
    assert len(smtp_sink.messages) == sent_before
    shown = run_cli(capsys, desk, tmp_path, "tickets", "show", ticket_of(desk).number)
    assert "Оценка:       4\n" in shown


def test_problem_with_digit_reopens(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    _, answer_id = answer_ticket(imap_server, smtp_sink, desk)
    staff_before = len(mails_to(smtp_sink, STAFF_ADDRESS))

    reply(imap_server, desk, "5 компьютеров не работают", in_reply_to=answer_id,
          message_id="<problem@committee.example>")

    assert feedback_rows(desk) == []
    assert ticket_of(desk).status == TicketStatus.OPEN
    assert outcome_of(desk, "<problem@committee.example>") == "reopened"
    assert len(mails_to(smtp_sink, STAFF_ADDRESS)) == staff_before + 1, "staff hear of the reopening"


def test_low_rating_with_problem_rates_and_reopens(
    imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon
) -> None:
    _, answer_id = answer_ticket(imap_server, smtp_sink, desk)

    reply(imap_server, desk, "1, ничего не работает, проблема осталась", in_reply_to=answer_id,
          message_id="<low@committee.example>")

    [feedback] = feedback_rows(desk)
    assert (feedback.rating, feedback.comment) == (1, "ничего не работает, проблема осталась")
    assert ticket_of(desk).status == TicketStatus.OPEN
    assert outcome_of(desk, "<low@committee.example>") == "reopened"


def test_digit_to_staff_question_is_no_rating(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("#уточнить\nСколько компьютеров не работает?", in_reply_to=announcement_id,
                                  message_id="<staff-question@committee.example>"))
    desk.run_once()
    question_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])

    reply(imap_server, desk, "5", in_reply_to=question_id, message_id="<count@committee.example>")

    assert feedback_rows(desk) == []
    assert ticket_of(desk).status == TicketStatus.OPEN
    assert outcome_of(desk, "<count@committee.example>") == "clarification_answer"


def test_clarification_digit_still_picks_process(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    # A threshold of 1.0 makes every request unclear, so the classifier asks.
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, classify_threshold=1.0)
    imap_server.append(request_mail(subject="Проблема", body="Не могу зайти, пишет ошибку."))
    daemon.run_once()
    assert ticket_of(daemon).status == TicketStatus.CLARIFICATION
    question_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])

    reply(imap_server, daemon, "5", in_reply_to=question_id, message_id="<choice@committee.example>")

    ticket = ticket_of(daemon)
    assert ticket.process == Process(5)
    assert ticket.status == TicketStatus.OPEN
    assert feedback_rows(daemon) == []
    assert outcome_of(daemon, "<choice@committee.example>") == "clarification_answer"


def test_late_low_rating_with_problem_opens_linked_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon
) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("#закрыть\nЗаменили картридж.", in_reply_to=announcement_id,
                                  message_id="<staff-close@committee.example>"))
    desk.run_once()
    closing_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])
    with desk.session_factory.begin() as session:
        ticket = session.scalars(select(Ticket)).one()
        ticket.closed_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=60)

    reply(imap_server, desk, "1, принтер опять не печатает", in_reply_to=closing_id,
          message_id="<late-low@committee.example>")

    old = ticket_of(desk)
    [feedback] = feedback_rows(desk)
    assert (feedback.ticket_id, feedback.rating) == (old.id, 1)
    assert old.status == TicketStatus.CLOSED
    assert ticket_count(desk) == 2
    new = ticket_of(desk, "IT-2026-00002")
    assert new.parent_id == old.id
