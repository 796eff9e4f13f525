"""`mailbot demo`: the whole daemon on embedded servers and sample mail.

An in-memory IMAP server (pymap) and an SMTP sink (aiosmtpd) listen on
free loopback ports. Sample Russian requests are delivered into the IMAP
mailbox while the daemon waits with IDLE. Then one requester replies to an
acknowledgement, a staff member answers the ticket and the requester rates
the answer. The survey of the year is started, two employees fill in the
form on the daemon's web pages, and the tickets and survey reports are
written to the demo's folder. Nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import socket
import tempfile
import threading
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import func, select

from mailbot.app import Application, build_application
from mailbot.config import Settings, load_settings
from mailbot.daemon import Daemon
from mailbot.cli.report import survey_report_stem, ticket_report_stem
from mailbot.db.models import InboundMessage, InboundState, Ticket, TicketFeedback, utcnow
from mailbot.demo.polling import wait_until
from mailbot.demo.samples import DemoMail, rating_reply, reply_to, sample_messages
from mailbot.demo.servers import LOOPBACK, EmbeddedImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.demo.survey_steps import SurveyOutcome, run_survey
from mailbot.cli.russian import count_of
from mailbot.reports.html import write_survey_html, write_ticket_html
from mailbot.reports.survey import build_survey_report
from mailbot.reports.tickets import build_ticket_report

IT_ADDRESS = "it@committee.example"
STAFF_ADDRESS = "admin.it@committee.example"
DATABASE_NAME = "mailbot.sqlite3"


@dataclasses.dataclass(frozen=True)
class DemoResult:
    application: Application
    settings: Settings
    delivered: list[DemoMail]
    acknowledgements: list[EmailMessage]
    staff_mail_count: int
    survey: SurveyOutcome
    # The tickets report for the current month and the survey report for the current year, both HTML.
    report_paths: tuple[Path, Path]


def demo_settings(
    imap: EmbeddedImapServer, smtp: SmtpSink, storage_dir: Path, *, database_url: str | None = None
) -> Settings:
    """Point the daemon at the embedded servers, with a SQLite file in `storage_dir` unless `database_url` is given."""
    overrides: dict[str, object] = {key.removeprefix("MAILBOT_").lower(): value for key, value in imap.env().items()}
    overrides |= {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "address": IT_ADDRESS,
        "allowed_domains": "committee.example",
        "staff": STAFF_ADDRESS,
        "storage_dir": storage_dir,
        "database_url": database_url or f"sqlite:///{storage_dir / DATABASE_NAME}",
        # NOTE: pymap reports mail appended before IDLE began only when IDLE
        # ends (dovecot reports it at once), so mail that lands during a
        # cycle waits for the next poll. 5 s bounds that wait in the demo.
        "poll_seconds": 5,
        "outbox_seconds": 2,
        "web_enabled": True,
        "web_host": LOOPBACK,
        "web_port": free_loopback_port(),
    }
    return load_settings(Path("/nonexistent/service.env"), **overrides)


def free_loopback_port() -> int:
    """Return a TCP port on loopback that the system reports free, as the embedded servers get theirs.

    The daemon binds it later from the settings, so another program could
    take the port in between, and the demo then stops with a TimeoutError.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def run_demo(
    storage_dir: Path | None, report: Callable[[str], None], *, database_url: str | None = None
) -> DemoResult:
    """Run every demo step against an empty database. The caller disposes of `DemoResult.application.engine`."""
    workdir = storage_dir or Path(tempfile.mkdtemp(prefix="mailbot-demo-"))
    with EmbeddedImapServer(user=IT_ADDRESS) as imap, SmtpSink() as smtp:
        settings = demo_settings(imap, smtp, workdir, database_url=database_url)
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        worker = threading.Thread(target=daemon.run_forever, name="mailbot-daemon", daemon=True)
        worker.start()
        report(f"IMAP-сервер: {imap.host}:{imap.port}, SMTP-сервер: {smtp.host}:{smtp.port}")
        report(f"Данные демонстрации: {workdir}")
        try:
            samples = _deliver(imap, application, report)
            _deliver_reply(imap, smtp, application, report)
            _deliver_staff_answer(imap, smtp, application, report)
            acknowledgements = _wait_for_mail(smtp, application)
            _deliver_rating(imap, acknowledgements, application, report)
            survey = run_survey(application, smtp, report)
            staff_mail_count = sum(1 for message in smtp.messages if STAFF_ADDRESS in message.recipients)
        finally:
            daemon.stop()
            worker.join(timeout=15)
    report_paths = _write_reports(application, workdir)
    return DemoResult(application, settings, samples, acknowledgements, staff_mail_count, survey, report_paths)


def _deliver(imap: EmbeddedImapServer, application: Application, report: Callable[[str], None]) -> list[DemoMail]:
    samples = sample_messages()
    report(f"Доставляем в ящик {count_of(len(samples), 'письмо', 'письма', 'писем')}…")
    for sample in samples:
        imap.append(sample.raw)
    wait_until(lambda: _processed_count(application) >= len(samples))
    report(f"Обработано: {count_of(_processed_count(application), 'письмо', 'письма', 'писем')}")
    return samples


def _deliver_reply(
    imap: EmbeddedImapServer, smtp: SmtpSink, application: Application, report: Callable[[str], None]
) -> None:
    wait_until(lambda: len(_to_requesters(smtp)) > 0)
    first = _parse(_to_requesters(smtp)[0].raw)
    number = _first_ticket_number(application)
    original = str(first.get("In-Reply-To", ""))
    raw = reply_to(number, original, str(first["Message-ID"]))
    before = _processed_count(application)
    imap.append(raw)
    report(f"Заявитель отвечает на подтверждение по заявке {number}…")
    wait_until(lambda: _processed_count(application) > before)


def _deliver_staff_answer(
    imap: EmbeddedImapServer, smtp: SmtpSink, application: Application, report: Callable[[str], None]
) -> None:
    number = _first_ticket_number(application)
    announcements = [
        _parse(message.raw) for message in smtp.messages
        if STAFF_ADDRESS in message.recipients and f"[{number}] Новая заявка" in str(_parse(message.raw)["Subject"])
    ]
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = f"Сидоров Алексей <{STAFF_ADDRESS}>"
    answer["To"] = IT_ADDRESS
    answer["Subject"] = f"RE: {announcements[0]['Subject']}"
    answer["Message-ID"] = f"<demo-staff-answer.{number}@committee.example>"
    answer["In-Reply-To"] = str(announcements[0]["Message-ID"])
    answer.set_content(
        "#взять\n"
        "Добрый день! Перенастроили МФУ на новый адрес сетевой папки, "
        "сканы снова сохраняются. Проверьте, пожалуйста.\n"
    )
    before = _processed_count(application)
    imap.append(answer.as_bytes())
    report(f"Сотрудник ИТ-службы отвечает на уведомление о заявке {number} командой #взять и текстом ответа…")
    wait_until(lambda: _processed_count(application) > before)


def _deliver_rating(
    imap: EmbeddedImapServer, received: list[EmailMessage], application: Application, report: Callable[[str], None]
) -> None:
    answer = next(message for message in received if "Ответ на обращение" in str(message["Subject"]))
    number = _first_ticket_number(application)
    before = _processed_count(application)
    imap.append(rating_reply(str(answer["Subject"]), str(answer["Message-ID"])))
    report("Заявитель отвечает на ответ ИТ-службы оценкой «5, спасибо, всё работает»…")
    wait_until(lambda: _processed_count(application) > before)

    with application.session_factory() as session:
        query = select(TicketFeedback).join(Ticket, Ticket.id == TicketFeedback.ticket_id).where(Ticket.number == number)
        feedback = session.scalars(query).one()
    report(f"Оценка по заявке {number} сохранена: {feedback.rating} ({feedback.comment})")


def _write_reports(application: Application, folder: Path) -> tuple[Path, Path]:
    """Write the HTML tickets report for the current month and the survey report for the current year."""
    settings = application.context.settings
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    first_day = today.replace(day=1)
    last_day = (first_day + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    tickets_path = folder / f"{ticket_report_stem(first_day, last_day)}.html"
    survey_path = folder / f"{survey_report_stem(today.year, None)}.html"

    with application.session_factory() as session:
        write_ticket_html(build_ticket_report(session, first_day, last_day, now=now, tz=settings.tz), tickets_path)
        write_survey_html(build_survey_report(session, today.year), survey_path)
    return tickets_path, survey_path


def _wait_for_mail(smtp: SmtpSink, application: Application) -> list[EmailMessage]:
    # One acknowledgement per ticket, and the staff answer relayed to the first requester.
    expected = _ticket_count(application) + 1
    wait_until(lambda: len(_to_requesters(smtp)) >= expected)
    return [_parse(message.raw) for message in _to_requesters(smtp)]


def _to_requesters(smtp: SmtpSink) -> list[ReceivedMail]:
    """Return the sink's mail without the announcements to the IT staff."""
    return [message for message in smtp.messages if STAFF_ADDRESS not in message.recipients]


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(raw)


def _processed_count(application: Application) -> int:
    with application.session_factory() as session:
        query = select(func.count()).select_from(InboundMessage).where(InboundMessage.state != InboundState.STORED)
        return int(session.scalar(query) or 0)


def _ticket_count(application: Application) -> int:
    with application.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def _first_ticket_number(application: Application) -> str:
    with application.session_factory() as session:
        return str(session.scalars(select(Ticket.number).order_by(Ticket.id)).first())

