"""`mailbot demo`: the whole daemon on embedded servers and sample mail.

An in-memory IMAP server (pymap) and an SMTP sink (aiosmtpd) listen on
free loopback ports. Sample Russian requests are delivered into the IMAP
mailbox while the daemon waits with IDLE. Then one requester replies to an
acknowledgement and a staff member answers the ticket. Nothing leaves the
machine.
"""

from __future__ import annotations

import dataclasses
import email.policy
import tempfile
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import func, select

from mailbot.app import Application, build_application
from mailbot.config import Settings, load_settings
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, Ticket
from mailbot.demo.samples import DemoMail, reply_to, sample_messages
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.cli.russian import count_of

IT_ADDRESS = "it@committee.example"
STAFF_ADDRESS = "admin.it@committee.example"
WAIT_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class DemoResult:
    application: Application
    settings: Settings
    delivered: list[DemoMail]
    acknowledgements: list[EmailMessage]
    staff_mail_count: int


def demo_settings(imap: EmbeddedImapServer, smtp: SmtpSink, storage_dir: Path) -> Settings:
    overrides: dict[str, object] = {key.removeprefix("MAILBOT_").lower(): value for key, value in imap.env().items()}
    overrides |= {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "address": IT_ADDRESS,
        "allowed_domains": "committee.example",
        "staff": STAFF_ADDRESS,
        "storage_dir": storage_dir,
        "database_url": f"sqlite:///{storage_dir / 'mailbot.sqlite3'}",
        "poll_seconds": 30,
        "outbox_seconds": 2,
    }
    return load_settings(Path("/nonexistent/service.env"), **overrides)


def run_demo(storage_dir: Path | None, report: Callable[[str], None]) -> DemoResult:
    workdir = storage_dir or Path(tempfile.mkdtemp(prefix="mailbot-demo-"))
    with EmbeddedImapServer(user=IT_ADDRESS) as imap, SmtpSink() as smtp:
        settings = demo_settings(imap, smtp, workdir)
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
            staff_mail_count = len(smtp.messages) - len(acknowledgements)
        finally:
            daemon.stop()
            worker.join(timeout=15)
    return DemoResult(application, settings, samples, acknowledgements, staff_mail_count)


def _deliver(imap: EmbeddedImapServer, application: Application, report: Callable[[str], None]) -> list[DemoMail]:
    samples = sample_messages()
    report(f"Доставляем в ящик {count_of(len(samples), 'письмо', 'письма', 'писем')}…")
    for sample in samples:
        imap.append(sample.raw)
    _wait_until(lambda: _processed_count(application) >= len(samples))
    report(f"Обработано: {count_of(_processed_count(application), 'письмо', 'письма', 'писем')}")
    return samples


def _deliver_reply(
    imap: EmbeddedImapServer, smtp: SmtpSink, application: Application, report: Callable[[str], None]
) -> None:
    _wait_until(lambda: len(_to_requesters(smtp)) > 0)
    first = _parse(_to_requesters(smtp)[0].raw)
    number = _first_ticket_number(application)
    original = str(first.get("In-Reply-To", ""))
    raw = reply_to(number, original, str(first["Message-ID"]))
    before = _processed_count(application)
    imap.append(raw)
    report(f"Заявитель отвечает на подтверждение по заявке {number}…")
    _wait_until(lambda: _processed_count(application) > before)


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
    _wait_until(lambda: _processed_count(application) > before)


def _wait_for_mail(smtp: SmtpSink, application: Application) -> list[EmailMessage]:
    # One acknowledgement per ticket, and the staff answer relayed to the first requester.
    expected = _ticket_count(application) + 1
    _wait_until(lambda: len(_to_requesters(smtp)) >= expected)
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


def _wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo condition not met within {timeout} s")
        time.sleep(0.1)
