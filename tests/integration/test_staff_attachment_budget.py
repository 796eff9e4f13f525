"""The staff new-ticket mail attaches the request's files up to a total size and names the rest."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from pathlib import Path

from mailbot.demo.servers import ImapServer, SmtpSink
from tests.app_fixtures import IT_ADDRESS, STAFF_ADDRESS, start_daemon
from tests.integration.test_daemon import REQUESTER, parse_sent


def request_with_files(files: dict[str, bytes]) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = REQUESTER
    message["To"] = IT_ADDRESS
    message["Subject"] = "Не открываются сканы договоров на общем диске"
    message["Message-ID"] = "<scans-1@committee.example>"
    message.set_content("Добрый день! Сканы договоров не открываются, прикладываю их. Посмотрите, пожалуйста.")
    for name, content in files.items():
        message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def test_files_over_budget_are_named(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    files = {"договор_1.pdf": b"%PDF-1.4\n" + b"1" * 3000, "договор_2.pdf": b"%PDF-1.4\n" + b"2" * 900}
    imap_server.append(request_with_files(files))
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path, staff_attachment_max_bytes=1000)

    daemon.run_once()

    staff_mail = [parse_sent(mail.raw) for mail in smtp_sink.messages if STAFF_ADDRESS in mail.recipients]
    assert len(staff_mail) == 1
    attached = {part.get_filename(): part.get_content() for part in staff_mail[0].iter_attachments()}
    assert attached == {"договор_2.pdf": files["договор_2.pdf"]}
    text = staff_mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "договор_1.pdf (0,0 МБ, не вложен в письмо, хранится в " in text
    assert str(tmp_path) in text


def test_files_within_budget_are_all_attached(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    files = {"договор_1.pdf": b"%PDF-1.4\n" + b"1" * 3000, "договор_2.pdf": b"%PDF-1.4\n" + b"2" * 900}
    imap_server.append(request_with_files(files))
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)

    daemon.run_once()

    staff_mail = [parse_sent(mail.raw) for mail in smtp_sink.messages if STAFF_ADDRESS in mail.recipients]
    assert len(staff_mail) == 1
    attached = {part.get_filename(): part.get_content() for part in staff_mail[0].iter_attachments()}
    assert attached == files
    assert "не вложен" not in staff_mail[0].get_body(preferencelist=("plain",)).get_content()
