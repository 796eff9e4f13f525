"""Header decoding: RFC 2047 words, raw 8-bit bytes, addresses, ids and dates."""

from __future__ import annotations

import base64
import datetime

from mailbot.parse import parse_message
from mailbot.parse.headers import decode_header, parse_addresses, parse_date, parse_message_ids


def b_word(data: bytes, charset: str = "utf-8") -> bytes:
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(data) + b"?="


def message(headers: bytes, body: bytes = b"text\r\n") -> bytes:
    return headers + b"\r\n\r\n" + body


def test_adjacent_words_joined_inside_character() -> None:
    encoded = "Уведомление".encode("utf-8")
    raw = b_word(encoded[:5]) + b"\r\n " + b_word(encoded[5:])
    assert decode_header(raw) == "Уведомление"


def test_q_words_joined_inside_character() -> None:
    raw = b"=?UTF-8?Q?=D0=9F=D1?= =?utf-8?q?=80=D0=B8=D0=B2=D0=B5=D1=82_=D0=BC=D0=B8=D1=80?="
    assert decode_header(raw) == "Привет мир"


def test_words_of_different_charsets_decoded_apart() -> None:
    raw = b_word("Ошибка ".encode("koi8-r"), "koi8-r") + b" " + b_word("обновления".encode("cp1251"), "windows-1251")
    assert decode_header(raw) == "Ошибка обновления"


def test_spaces_next_to_plain_text_kept() -> None:
    raw = b"RE: [IT-2026-00001] " + b_word("Ошибка".encode()) + b" 8.3.24 " + b_word("сервера".encode())
    assert decode_header(raw) == "RE: [IT-2026-00001] Ошибка 8.3.24 сервера"


def test_language_suffix_in_charset() -> None:
    raw = b"=?utf-8*ru?B?" + base64.b64encode("Тест".encode()) + b"?="
    assert decode_header(raw) == "Тест"


def test_raw_utf8_header_bytes() -> None:
    assert decode_header("Заявка с портала".encode("utf-8")) == "Заявка с портала"


def test_raw_cp1251_header_bytes() -> None:
    assert decode_header("Не работает принтер".encode("cp1251")) == "Не работает принтер"


def test_lying_label_in_encoded_word() -> None:
    raw = b_word("Подозрительное письмо с вложением".encode("cp1251"), "koi8-r")
    assert decode_header(raw) == "Подозрительное письмо с вложением"


def test_folding_removed() -> None:
    assert decode_header(b"RE: long\r\n\tsubject\r\n line") == "RE: long subject line"


def test_broken_base64_word_degrades() -> None:
    decoded = decode_header(b"=?utf-8?B?0J/RgNC4!!!?= tail")
    assert decoded.endswith("tail")


def test_address_with_split_encoded_name() -> None:
    name = "Григорьев Роман".encode("utf-8")
    raw = b_word(name[:7]) + b"\r\n " + b_word(name[7:]) + b" <grigoriev.ro@committee.example>"
    (address,) = parse_addresses(raw)
    assert address.name == "Григорьев Роман"
    assert address.address == "grigoriev.ro@committee.example"


def test_address_with_quoted_encoded_name() -> None:
    raw = b'"' + b_word("Медведева Алла".encode("cp1251"), "koi8-r") + b'" <m@committee.example>'
    (address,) = parse_addresses(raw)
    assert address.name == "Медведева Алла"


def test_address_list_with_raw_8bit_names() -> None:
    raw = "Иванов Иван <i@committee.example>, petrov@committee.example".encode("utf-8")
    addresses = parse_addresses(raw)
    assert [item.address for item in addresses] == ["i@committee.example", "petrov@committee.example"]
    assert addresses[0].name == "Иванов Иван"


def test_references_angle_bracketed() -> None:
    raw = b"<a@x.example>\r\n <b@y.example> junk <c@z.example>"
    assert parse_message_ids(raw) == ("<a@x.example>", "<b@y.example>", "<c@z.example>")


def test_date_aware_and_invalid() -> None:
    parsed = parse_date(b"Thu, 12 Mar 2026 10:07:09 +0300")
    assert parsed == datetime.datetime(2026, 3, 12, 7, 7, 9, tzinfo=datetime.timezone.utc)
    assert parsed is not None and parsed.tzinfo is not None
    assert parse_date(b"Thu, 12 Mar 2026 10:07:09 -0000") is not None
    assert parse_date(b"not a date") is None
    assert parse_date(None) is None


def test_message_fields_from_headers() -> None:
    raw = message(
        b"From: Ivan <ivan@committee.example>\r\n"
        b"To: it@committee.example\r\nCc: a@committee.example, b@committee.example\r\n"
        b"Subject: test\r\nMessage-ID: <m1@committee.example>\r\n"
        b"In-Reply-To: <p1@committee.example>\r\nReferences: <r1@x> <p1@committee.example>\r\n"
        b"Return-Path: <>\r\nX-Loop: it@committee.example\r\nX-Loop: other\r\n"
        b"Auto-Submitted: no\r\nPrecedence: normal\r\nDate: garbage"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "<m1@committee.example>"
    assert parsed.in_reply_to == "<p1@committee.example>"
    assert parsed.references == ("<r1@x>", "<p1@committee.example>")
    assert parsed.return_path == ""
    assert parsed.x_loop == ("it@committee.example", "other")
    assert parsed.auto_submitted == "no"
    assert parsed.precedence == "normal"
    assert parsed.date is None
    assert [item.address for item in parsed.cc] == ["a@committee.example", "b@committee.example"]


def test_missing_optional_headers() -> None:
    parsed = parse_message(message(b"From: ivan@committee.example\r\nSubject: test"))
    assert parsed.message_id is None
    assert parsed.date is None
    assert parsed.return_path is None
    assert parsed.in_reply_to is None
    assert parsed.references == ()
    assert parsed.x_loop == ()
