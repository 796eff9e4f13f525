"""Message kind detection and ticket tags in subjects."""

from __future__ import annotations

import base64

import pytest

from mailbot.parse import MessageKind, parse_message
from mailbot.parse.tags import find_ticket_number


def plain(headers: str, body: str = "Текст письма.") -> bytes:
    head = "From: ivan@committee.example\r\nTo: it@committee.example\r\n" + headers
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


def subject_header(subject: str) -> str:
    return "Subject: =?utf-8?B?%s?=\r\n" % base64.b64encode(subject.encode()).decode()


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\r\nSubject: Re: x\r\n",
        "Auto-Submitted: auto-generated (vacation)\r\nSubject: x\r\n",
        "Auto-Submitted: (robot) auto-notified\r\nSubject: x\r\n",
        "X-Autoreply: yes\r\nSubject: Re: x\r\n",
        "X-Autorespond: I am away\r\nSubject: Re: x\r\n",
        "Precedence: bulk\r\nSubject: x\r\n",
        "Precedence: junk\r\nSubject: x\r\n",
        "Precedence: list\r\nSubject: x\r\n",
        "Precedence: auto_reply\r\nSubject: x\r\n",
        subject_header("Автоматический ответ: [IT-2026-00001] тест"),
        "Subject: Automatic reply: [IT-2026-00001] test\r\n",
        "Subject: Out of Office: test\r\n",
    ],
)
def test_auto_reply_signals(headers: str) -> None:
    assert parse_message(plain(headers)).kind is MessageKind.AUTO_REPLY


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: no\r\nSubject: Re: x\r\n",
        "Auto-Submitted: No (manual)\r\nSubject: x\r\n",
        "Precedence: normal\r\nSubject: x\r\n",
        subject_header("RE: Автоматический ответ: тест"),
        "Subject: Re: the office is out of paper\r\n",
    ],
)
def test_human_despite_lookalikes(headers: str) -> None:
    assert parse_message(plain(headers)).kind is MessageKind.HUMAN


def report(report_type: str, extra_headers: str, second_part: str) -> bytes:
    return (
        "From: postmaster@committee.example\r\nSubject: report\r\n" + extra_headers
        + "Content-Type: multipart/report; report-type=%s; boundary=R\r\n\r\n" % report_type
        + "--R\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nОтчёт сервера.\r\n"
        + "--R\r\n" + second_part + "\r\n--R--\r\n"
    ).encode()


def test_bounce_even_with_auto_submitted() -> None:
    raw = report(
        "delivery-status",
        "Auto-Submitted: auto-replied\r\n",
        "Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@committee.example\r\n",
    )
    assert parse_message(raw).kind is MessageKind.BOUNCE


def test_receipt_with_original_message_id() -> None:
    raw = report(
        "disposition-notification",
        "",
        "Content-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: x\r\nOriginal-Message-ID: <ack-1@committee.example>\r\nDisposition: displayed\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.kind is MessageKind.RECEIPT
    assert parsed.original_message_id == "<ack-1@committee.example>"


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Undelivered Mail Returned to Sender\r\n",
        subject_header("Не удается доставить: [IT-2026-00090] тест"),
        "X-MS-Exchange-Message-Is-Ndr:\r\nSubject: x\r\n",
    ],
)
def test_bounce_without_report_structure(headers: str) -> None:
    assert parse_message(plain(headers)).kind is MessageKind.BOUNCE


def test_mailer_daemon_sender_is_bounce() -> None:
    raw = b"From: MAILER-DAEMON@mx.committee.example\r\nSubject: failure\r\n\r\nDelivery failed\r\n"
    assert parse_message(raw).kind is MessageKind.BOUNCE


@pytest.mark.parametrize(
    ("subject", "prefix", "number"),
    [
        ("RE: [IT-2026-00042] Не печатает принтер", "IT", "IT-2026-00042"),
        ("Ответ: RE: [it-2026-00110] Wi-Fi", "IT", "IT-2026-00110"),
        ("[HD-2025-00007] test", "HD", "HD-2025-00007"),
        ("[HD-2025-00007] test", "IT", None),
        ("обращение IT-2026-00042 без скобок", "IT", None),
        ("[IT-2026-0042] short number", "IT", None),
        ("", "IT", None),
    ],
)
def test_ticket_tags(subject: str, prefix: str, number: str | None) -> None:
    assert find_ticket_number(subject, prefix) == number


def test_ticket_only_from_subject() -> None:
    raw = plain(
        "Subject: RE: картридж\r\nIn-Reply-To: <IT-2026-00042@committee.example>\r\n",
        "Картридж нужен.\r\n\r\n> [IT-2026-00042] обращение зарегистрировано",
    )
    assert parse_message(raw).ticket_number is None


def test_ticket_prefix_parameter() -> None:
    raw = plain("Subject: RE: [HD-2026-00005] test\r\n")
    assert parse_message(raw, ticket_prefix="HD").ticket_number == "HD-2026-00005"
    assert parse_message(raw).ticket_number is None
