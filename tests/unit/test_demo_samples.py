"""The demo's sample mail is valid MIME and encoded as its headers claim."""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from mailbot.demo.samples import DemoMail, reply_to, sample_messages
from mailbot.processes import Process

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
ENCODED_WORD = re.compile(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=")


@pytest.fixture(scope="module")
def samples() -> list[DemoMail]:
    return sample_messages(NOW)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_maintype() == "text"]


def test_samples_count_and_processes(samples: list[DemoMail]) -> None:
    processes = {sample.expected_process for sample in samples}

    assert 20 <= len(samples) <= 25
    assert processes - {None} == {process.value for process in Process}
    assert None in processes


def test_samples_parse_without_defects(samples: list[DemoMail]) -> None:
    for sample in samples:
        message = parse(sample.raw)
        for part in message.walk():
            assert part.defects == [], (sample.description, part.defects)
        assert message["Message-ID"], sample.description
        assert message["Date"].datetime <= NOW, sample.description
        assert message["To"].addresses[0].addr_spec == "it@committee.example"


def test_samples_use_crlf_line_endings(samples: list[DemoMail]) -> None:
    for sample in samples:
        assert b"\n" not in sample.raw.replace(b"\r\n", b""), sample.description


def test_samples_text_decodes_in_declared_charset(samples: list[DemoMail]) -> None:
    for sample in samples:
        for part in text_parts(parse(sample.raw)):
            charset = part.get_content_charset()
            assert charset is not None, sample.description
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes), sample.description
            text = payload.decode(charset)
            assert re.search("[а-яА-ЯёЁ]{4}", text), sample.description


def test_samples_cover_charsets_and_encodings(samples: list[DemoMail]) -> None:
    seen = set()
    for sample in samples:
        for part in text_parts(parse(sample.raw)):
            seen.add((part.get_content_charset(), part["Content-Transfer-Encoding"]))

    assert ("utf-8", "base64") in seen
    assert ("windows-1251", "quoted-printable") in seen
    assert ("koi8-r", "8bit") in seen
    assert {charset for charset, _ in seen} == {"utf-8", "windows-1251", "koi8-r"}


def test_samples_8bit_bodies_are_raw_bytes(samples: list[DemoMail]) -> None:
    koi8 = [s for s in samples if b'charset="koi8-r"' in s.raw and b"8bit" in s.raw]

    assert koi8
    body = koi8[0].raw.split(b"\r\n\r\n", 1)[1]
    assert "Здравствуйте".encode("koi8-r") in body


def test_samples_encoded_words_within_rfc2047_limit(samples: list[DemoMail]) -> None:
    for sample in samples:
        head = sample.raw.split(b"\r\n\r\n", 1)[0]
        for word in ENCODED_WORD.findall(head):
            assert len(word) <= 75, (sample.description, word)


def test_samples_mail_clients_vary(samples: list[DemoMail]) -> None:
    mailers = set()
    for sample in samples:
        message = parse(sample.raw)
        mailers.add(str(message.get("X-Mailer") or message.get("User-Agent")).split()[0])

    assert {"Microsoft", "The", "Mozilla", "iPhone", "Yamail"} <= mailers


def test_samples_html_only_message(samples: list[DemoMail]) -> None:
    html_only = [s for s in samples if parse(s.raw).get_content_type() == "text/html"]

    assert len(html_only) == 1
    assert "ГИС ЖКХ" in parse(html_only[0].raw).get_content()


def test_samples_attachment_is_png(samples: list[DemoMail]) -> None:
    attachments = [
        part for sample in samples for part in parse(sample.raw).iter_attachments()
    ]

    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "image/png"
    assert attachments[0].get_filename() == "ошибка_1С.png"
    assert attachments[0].get_content().startswith(b"\x89PNG\r\n\x1a\n")


def test_samples_auto_reply(samples: list[DemoMail]) -> None:
    auto = [s for s in samples if parse(s.raw)["Auto-Submitted"] == "auto-replied"]

    assert len(auto) == 1
    assert auto[0].expected_process is None
    assert parse(auto[0].raw)["Subject"].startswith("Автоматический ответ: ")


def test_samples_message_ids_unique(samples: list[DemoMail]) -> None:
    ids = [parse(sample.raw)["Message-ID"] for sample in samples]

    assert len(set(ids)) == len(ids)


def test_samples_repeatable_for_same_time() -> None:
    first = [sample.raw for sample in sample_messages(NOW)]
    second = [sample.raw for sample in sample_messages(NOW)]
    # Boundaries are random, so compare everything but them.
    strip = re.compile(rb"=+\d+==")

    assert [strip.sub(b"", raw) for raw in first] == [strip.sub(b"", raw) for raw in second]


def test_reply_threads_to_acknowledgement(samples: list[DemoMail]) -> None:
    original = parse(samples[0].raw)
    ack_id = "<ack.1@committee.example>"

    reply = parse(reply_to("IT-2026-00001", original["Message-ID"], ack_id, now=NOW))

    assert reply["Subject"] == "Re: [IT-2026-00001] %s" % original["Subject"]
    assert reply["In-Reply-To"] == ack_id
    assert reply["References"].split() == [original["Message-ID"], ack_id]
    assert reply["From"].addresses[0].addr_spec == original["From"].addresses[0].addr_spec
    assert b"Subject: Re: [IT-2026-00001] =?" in reply_to("IT-2026-00001", "<a@b>", ack_id)
    body = reply.get_body(("plain",))
    assert body is not None
    assert "сканирование" in body.get_content()
