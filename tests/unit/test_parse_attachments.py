"""Attachments: RFC 2231 and RFC 2047 file names, sanitising, S/MIME, rfc822, reports."""

from __future__ import annotations

import base64

import pytest

from mailbot.parse import parse_message
from mailbot.parse.filenames import sanitize_filename
from mailbot.parse.params import parse_header_value

HEAD = b"From: ivan@committee.example\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
PAYLOAD = b"%PDF-1.4 test payload"


def with_attachment(part_headers: bytes, payload: bytes = PAYLOAD, outer: bytes = b"multipart/mixed") -> bytes:
    return (
        HEAD + b"Content-Type: " + outer + b"; boundary=X\r\n\r\n"
        + "--X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСм. вложение\r\n".encode()
        + b"--X\r\n"
        + part_headers + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(payload) + b"\r\n--X--\r\n"
    )


def test_rfc2231_continuation_split_inside_character() -> None:
    name = "Служебная записка.pdf".encode("utf-8")
    quoted = "".join("%%%02X" % byte for byte in name)
    cut = quoted.index("%", 10) + 3  # cut after the first byte of a two-byte character
    header = "filename*0*=UTF-8''%s;\r\n filename*1*=%s" % (quoted[:cut], quoted[cut:])
    parsed = parse_header_value(("attachment;\r\n " + header).encode("ascii"))
    assert parsed.value == "attachment"
    assert parsed.get("filename") == "Служебная записка.pdf"


def test_rfc2231_plain_sections_and_single_extended() -> None:
    parsed = parse_header_value(b'attachment; filename*0="part1-"; filename*1="part2.txt"')
    assert parsed.get("filename") == "part1-part2.txt"
    parsed = parse_header_value(b"application/zip; name*=windows-1251''%C6%F3%F0%ED%E0%EB.zip")
    assert parsed.get("name") == "Журнал.zip"


def test_rfc2047_in_quoted_name_folded() -> None:
    first = base64.b64encode("Приложение 2. Перечень ".encode()).decode()
    second = base64.b64encode("оргтехники.pdf".encode()).decode()
    header = 'attachment; filename="=?utf-8?B?%s?=\r\n\t=?utf-8?B?%s?="' % (first, second)
    assert parse_header_value(header.encode()).get("filename") == "Приложение 2. Перечень оргтехники.pdf"


def test_disposition_filename_wins_over_name() -> None:
    raw = with_attachment(
        b'Content-Type: application/pdf; name="from-type.pdf"\r\n'
        b'Content-Disposition: attachment; filename="from-disposition.pdf"'
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.filename == "from-disposition.pdf"
    assert attachment.content == PAYLOAD


def test_inline_cid_image_is_attachment() -> None:
    raw = with_attachment(b"Content-Type: image/png\r\nContent-ID: <image001.png@01DC>", outer=b"multipart/related")
    (attachment,) = parse_message(raw).attachments
    assert attachment.content_type == "image/png"
    assert attachment.content_id == "image001.png@01DC"
    assert attachment.inline
    assert attachment.filename == "attachment.png"


def test_smime_signature_not_listed() -> None:
    raw = with_attachment(
        b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b'Content-Disposition: attachment; filename="smime.p7s"',
        outer=b'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256',
    )
    parsed = parse_message(raw)
    assert parsed.attachments == ()
    assert "См. вложение" in parsed.body_text


def test_rfc822_size_is_raw_octets() -> None:
    embedded = b"From: a@x.example\r\nSubject: =?utf-8?B?0KLQtdGB0YI=?=\r\n\r\nbody line\r\n"
    raw = (
        HEAD + b"Content-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain\r\n\r\nnote\r\n"
        b"--X\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
        + embedded + b"\r\n--X--\r\n"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.content == embedded
    assert attachment.filename == "Тест.eml"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ivan\\Отчёт.docx", "Отчёт.docx"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("tab\tand\x00nul.txt", "tabandnul.txt"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("  .hidden. ", "hidden"),
        ("", "attachment.pdf"),
        ("...", "attachment.pdf"),
    ],
)
def test_sanitize_filename(name: str, safe: str) -> None:
    assert sanitize_filename(name, "application/pdf") == safe


def test_sanitize_long_name_keeps_extension() -> None:
    result = sanitize_filename("д" * 300 + ".pdf", "application/pdf")
    assert result.endswith(".pdf")
    assert len(result.encode("utf-8")) <= 255


def test_bounce_lists_no_attachments() -> None:
    raw = (
        b"From: MAILER-DAEMON@committee.example\r\nSubject: Undelivered Mail\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
        b"--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@committee.example\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--R\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <orig@committee.example>\r\nSubject: s\r\n\r\nb\r\n"
        b"--R\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nxx\r\n--R--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.kind.value == "bounce"
    assert parsed.attachments == ()
    assert parsed.original_message_id == "<orig@committee.example>"
    assert "Status: 5.1.1" in parsed.body_text


def test_unreadable_tnef_kept_as_file() -> None:
    raw = with_attachment(
        b'Content-Type: application/ms-tnef; name="winmail.dat"', payload=b"not a tnef container"
    )
    parsed = parse_message(raw)
    assert [item.filename for item in parsed.attachments] == ["winmail.dat"]
    assert any("TNEF" in defect for defect in parsed.defects)
