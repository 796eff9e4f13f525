"""IT staff work through the mail thread: announcements, answers, commands, oral requests, reopening."""

from __future__ import annotations

import datetime
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.daemon import Daemon
from mailbot.db.models import Channel, ProcessCorrection, ThreadEntry, Ticket, TicketStatus
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.outbound.render import russian_datetime
from mailbot.processes import Process
from mailbot.tickets.views import requester_label
from tests.app_fixtures import IT_ADDRESS, STAFF_ADDRESS, start_daemon
from tests.integration.test_daemon import REQUESTER, parse_sent, request_mail

pytestmark = pytest.mark.integration

STAFF_NAME = "Сидоров Алексей"


def mails_to(smtp: SmtpSink, address: str) -> list[ReceivedMail]:
    return [mail for mail in smtp.messages if address in mail.recipients]


def text_of(mail: ReceivedMail) -> str:
    return parse_sent(mail.raw).get_body(preferencelist=("plain",)).get_content()


def staff_mail(body: str, *, in_reply_to: str | None, message_id: str, subject: str = "RE: заявка",
               sender: str = STAFF_ADDRESS, attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"{STAFF_NAME} <{sender}>"
    message["To"] = IT_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return message.as_bytes()


def ticket_of(daemon: Daemon, number: str = "IT-2026-00001") -> Ticket:
    with daemon.session_factory() as session:
        return session.scalars(select(Ticket).where(Ticket.number == number)).one()


def entry_kinds(daemon: Daemon, ticket: Ticket) -> list[str]:
    with daemon.session_factory() as session:
        query = select(ThreadEntry.kind).where(ThreadEntry.ticket_id == ticket.id).order_by(ThreadEntry.id)
        return list(session.scalars(query))


@pytest.fixture
def desk(imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path) -> Daemon:
    return start_daemon(imap_server, smtp_sink, database_url, tmp_path)


def open_first_ticket(imap: ImapServer, smtp: SmtpSink, daemon: Daemon) -> str:
    """Deliver a request and return the Message-ID of the staff announcement."""
    imap.append(request_mail())
    daemon.run_once()
    [announcement] = mails_to(smtp, STAFF_ADDRESS)
    return str(parse_sent(announcement.raw)["Message-ID"])


def test_new_ticket_is_announced_to_staff(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    open_first_ticket(imap_server, smtp_sink, desk)
    [announcement] = mails_to(smtp_sink, STAFF_ADDRESS)
    message = parse_sent(announcement.raw)
    assert message["Subject"].startswith("[IT-2026-00001] Новая заявка")
    assert message["Reply-To"] == IT_ADDRESS
    text = text_of(announcement)
    assert "не печатает" in text
    assert Process.HARDWARE.title_ru in text
    assert "Срок ответа: до" in text
    assert "#взять" in text
    assert "#закрыть" in text
    assert len(mails_to(smtp_sink, REQUESTER)) == 1


def test_staff_reply_is_relayed_as_answer(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail(
        "Добрый день! Картридж заменили, принтер работает.",
        in_reply_to=announcement_id, message_id="<staff-1@committee.example>",
        attachment=("акт замены.pdf", b"%PDF-1.4 act"),
    ))
    desk.run_once()

    acknowledgement, answer = mails_to(smtp_sink, REQUESTER)
    raw = answer.raw.decode("utf-8", errors="replace")
    assert STAFF_ADDRESS not in raw, "the requester must never see internal addresses"
    message = parse_sent(answer.raw)
    assert message["From"].addresses[0].addr_spec == IT_ADDRESS
    assert message["Subject"].startswith("[IT-2026-00001] Ответ на обращение")
    assert message["Auto-Submitted"] is None
    assert message["In-Reply-To"] == parse_sent(acknowledgement.raw)["Message-ID"]
    assert "<req-1@committee.example>" in message["References"]
    text = text_of(answer)
    assert "Картридж заменили" in text
    assert STAFF_NAME in text
    [attachment] = [part for part in message.iter_attachments()]
    assert attachment.get_filename() == "акт замены.pdf"
    assert attachment.get_content() == b"%PDF-1.4 act"
    assert ticket_of(desk).status == TicketStatus.ANSWERED


def test_thanks_keeps_ticket_answered_then_close(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("Заменили картридж.", in_reply_to=announcement_id, message_id="<s-1@committee.example>"))
    desk.run_once()
    answer_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])

    imap_server.append(request_mail(subject="RE: ответ", body="Спасибо большое!", message_id="<thanks@committee.example>",
                                    extra_headers={"In-Reply-To": answer_id}))
    desk.run_once()
    assert ticket_of(desk).status == TicketStatus.ANSWERED

    imap_server.append(staff_mail("#закрыть", in_reply_to=announcement_id, message_id="<s-2@committee.example>"))
    desk.run_once()
    ticket = ticket_of(desk)
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.closed_at is not None
    assert len(mails_to(smtp_sink, REQUESTER)) == 2, "#закрыть without text sends nothing"
    assert "status" in entry_kinds(desk, ticket)


def test_each_command(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail(
        "#взять\n#процесс 4\n#срок 15.01.2027\n#заметка\nПроверить, не вирус ли.",
        in_reply_to=announcement_id, message_id="<s-1@committee.example>",
    ))
    desk.run_once()
    ticket = ticket_of(desk)
    assert ticket.assignee == STAFF_ADDRESS
    assert ticket.process == Process.INFORMATION_SECURITY
    assert ticket.due_date == datetime.date(2027, 1, 15)
    assert ticket.status == TicketStatus.OPEN
    assert len(mails_to(smtp_sink, REQUESTER)) == 1, "a note reaches nobody"
    with desk.session_factory() as session:
        correction = session.scalars(select(ProcessCorrection)).one()
        note = session.scalars(select(ThreadEntry).where(ThreadEntry.kind == "note")).one()
        due = session.scalars(select(ThreadEntry).where(ThreadEntry.kind == "due_set")).one()
    assert (correction.old_process, correction.new_process) == (1, 4)
    assert correction.author == STAFF_ADDRESS
    assert "вирус" in note.text
    assert due.author == STAFF_ADDRESS

    imap_server.append(staff_mail("#назначить petrov.it@committee.example", in_reply_to=announcement_id,
                                  message_id="<s-2@committee.example>"))
    desk.run_once()
    assert ticket_of(desk).assignee == "petrov.it@committee.example"

    imap_server.append(staff_mail("#уточнить\nУточните номер кабинета, пожалуйста.", in_reply_to=announcement_id,
                                  message_id="<s-3@committee.example>"))
    desk.run_once()
    question = mails_to(smtp_sink, REQUESTER)[-1]
    assert "Уточните номер кабинета" in text_of(question)
    assert ticket_of(desk).status == TicketStatus.CLARIFICATION

    imap_server.append(request_mail(subject="RE: уточнение", body="Кабинет 305, третий этаж.",
                                    message_id="<r-2@committee.example>",
                                    extra_headers={"In-Reply-To": str(parse_sent(question.raw)["Message-ID"])}))
    desk.run_once()
    assert ticket_of(desk).status == TicketStatus.OPEN

    imap_server.append(staff_mail("#закрыть\nПринтер заменён на новый.", in_reply_to=announcement_id,
                                  message_id="<s-4@committee.example>"))
    desk.run_once()
    closing = mails_to(smtp_sink, REQUESTER)[-1]
    assert "Обращение закрыто" in parse_sent(closing.raw)["Subject"]
    assert "Принтер заменён на новый." in text_of(closing)
    assert ticket_of(desk).status == TicketStatus.CLOSED


@pytest.mark.parametrize("line", ["#взятъ", "#процесс 12", "#срок 32.01.2027", "#устно телефон x@committee.example"])
def test_invalid_command_gets_help_and_reaches_nobody(
    line: str, imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon
) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail(f"{line}\nТекст для заявителя.", in_reply_to=announcement_id,
                                  message_id="<s-bad@committee.example>"))
    desk.run_once()

    assert len(mails_to(smtp_sink, REQUESTER)) == 1
    help_mail = mails_to(smtp_sink, STAFF_ADDRESS)[-1]
    text = text_of(help_mail)
    assert "Команда не выполнена" in str(parse_sent(help_mail.raw)["Subject"])
    assert line in text
    assert "#назначить АДРЕС" in text
    ticket = ticket_of(desk)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.assignee is None


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("RE: [IT-2026-00099] заявка", "заявка IT-2026-00099 не найдена: проверьте номер в теме письма"),
        ("Закрыть заявку", "эта команда относится к заявке: ответьте на письмо заявки"),
    ],
)
def test_command_without_ticket_explained(
    subject: str, reason: str, imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon
) -> None:
    imap_server.append(staff_mail("#закрыть\nГотово.", in_reply_to=None, message_id="<s-lost@committee.example>",
                                  subject=subject))
    desk.run_once()

    [help_mail] = mails_to(smtp_sink, STAFF_ADDRESS)
    text = text_of(help_mail)
    assert "#закрыть" in text
    assert reason in text


def test_hash_line_from_non_staff_is_plain_text(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    open_first_ticket(imap_server, smtp_sink, desk)
    acknowledgement_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[0].raw)["Message-ID"])
    imap_server.append(request_mail(subject="RE: заявка", body="#закрыть\nЭто не команда, а текст.",
                                    message_id="<r-hash@committee.example>",
                                    extra_headers={"In-Reply-To": acknowledgement_id}))
    desk.run_once()
    ticket = ticket_of(desk)
    assert ticket.status == TicketStatus.OPEN
    assert "reply" in entry_kinds(desk, ticket)


def test_staff_needs_authentication_when_authserv_is_set(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, authserv_id="mx.committee.example")
    announcement_id = open_first_ticket(imap_server, smtp_sink, daemon)
    forged = staff_mail("#закрыть", in_reply_to=announcement_id, message_id="<forged@committee.example>")
    imap_server.append(forged)
    daemon.run_once()
    assert ticket_of(daemon).status == TicketStatus.OPEN

    signed = b"Authentication-Results: mx.committee.example; dkim=pass header.d=committee.example\r\n" + staff_mail(
        "#закрыть", in_reply_to=announcement_id, message_id="<signed@committee.example>")
    imap_server.append(signed)
    daemon.run_once()
    assert ticket_of(daemon).status == TicketStatus.CLOSED


def test_oral_request_registered_by_staff(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    imap_server.append(staff_mail(
        "#устно телефон ivanova.mv@committee.example\nНе печатает принтер в кабинете 305.",
        in_reply_to=None, message_id="<oral-1@committee.example>", subject="Принтер в 305",
    ))
    desk.run_once()
    ticket = ticket_of(desk)
    assert ticket.channel == Channel.PHONE
    assert ticket.requester_address == "ivanova.mv@committee.example"
    assert ticket.assignee == STAFF_ADDRESS
    assert ticket.subject == "Принтер в 305"
    local_due = ticket.due_at.astimezone(desk.context.settings.tz)
    assert local_due.time() in (datetime.time(18, 0), datetime.time(16, 45))
    assert desk.context.calendar.is_working_day(local_due.date())
    assert (local_due.date() - datetime.datetime.now(desk.context.settings.tz).date()).days <= 4
    [acknowledgement] = mails_to(smtp_sink, "ivanova.mv@committee.example")
    acknowledgement_text = text_of(acknowledgement)
    assert ticket.number in acknowledgement_text
    assert "Ваше устное обращение зарегистрировано" in acknowledgement_text
    assert "Ответ будет дан до конца рабочего дня.\nЧтобы дополнить" in acknowledgement_text
    assert "Письменный ответ" not in acknowledgement_text
    assert f"Срок ответа: до {russian_datetime(local_due)}" in acknowledgement_text
    [announcement] = mails_to(smtp_sink, STAFF_ADDRESS)
    assert parse_sent(announcement.raw)["Subject"].startswith(f"[{ticket.number}] Новая заявка")
    assert "Обращение: по телефону" in text_of(announcement)
    assert f"Срок ответа: до {russian_datetime(local_due)}\n" in text_of(announcement)


def test_oral_request_by_name_only(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    imap_server.append(staff_mail(
        "#устно лично Белова Анна Петровна\nНужна учётная запись для нового сотрудника.",
        in_reply_to=None, message_id="<oral-2@committee.example>", subject="Учётная запись",
    ))
    desk.run_once()
    ticket = ticket_of(desk)
    assert ticket.channel == Channel.IN_PERSON
    assert ticket.requester_address == ""
    assert requester_label(ticket) == "Белова Анна Петровна"
    [announcement] = mails_to(smtp_sink, STAFF_ADDRESS)
    text = text_of(announcement)
    assert ticket.number in text
    assert "Заявитель: Белова Анна Петровна\n" in text
    assert "<>" not in text
    assert len(smtp_sink.messages) == 1


def test_reopen_rules(imap_server: ImapServer, smtp_sink: SmtpSink, desk: Daemon) -> None:
    announcement_id = open_first_ticket(imap_server, smtp_sink, desk)
    imap_server.append(staff_mail("Заменили картридж.", in_reply_to=announcement_id, message_id="<s-1@committee.example>"))
    desk.run_once()
    answer_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])

    imap_server.append(request_mail(subject="RE: ответ", body="Принтер опять не печатает, та же ошибка.",
                                    message_id="<r-again@committee.example>", extra_headers={"In-Reply-To": answer_id}))
    desk.run_once()
    assert ticket_of(desk).status == TicketStatus.OPEN

    imap_server.append(staff_mail("#закрыть\nЗаменили принтер.", in_reply_to=announcement_id,
                                  message_id="<s-2@committee.example>"))
    desk.run_once()
    closing_id = str(parse_sent(mails_to(smtp_sink, REQUESTER)[-1].raw)["Message-ID"])
    imap_server.append(request_mail(subject="RE: закрыто", body="Новый принтер тоже не печатает.",
                                    message_id="<r-closed@committee.example>",
                                    extra_headers={"In-Reply-To": closing_id}))
    desk.run_once()
    assert ticket_of(desk).status == TicketStatus.OPEN, "a reply soon after closing reopens"

    imap_server.append(staff_mail("#закрыть", in_reply_to=announcement_id, message_id="<s-3@committee.example>"))
    desk.run_once()
    with desk.session_factory.begin() as session:
        old = session.scalars(select(Ticket).where(Ticket.number == "IT-2026-00001")).one()
        old.closed_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    imap_server.append(request_mail(subject="RE: закрыто", body="Принтер снова сломался, не печатает вообще.",
                                    message_id="<r-late@committee.example>",
                                    extra_headers={"In-Reply-To": closing_id}))
    desk.run_once()
    assert ticket_of(desk).status == TicketStatus.CLOSED
    new = ticket_of(desk, "IT-2026-00002")
    assert new.parent_id == ticket_of(desk).id
