"""Body text: transfer encodings at byte level, format=flowed, part selection, HTML."""

from __future__ import annotations

import base64

from mailbot.parse import parse_message
from mailbot.parse.flowed import unflow
from mailbot.parse.html import html_to_lines, html_to_text

HEAD = b"From: ivan@committee.example\r\nSubject: test\r\nMIME-Version: 1.0\r\n"


def single(content_type: bytes, encoding: bytes, body: bytes) -> bytes:
    return HEAD + b"Content-Type: " + content_type + b"\r\nContent-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body


def test_qp_soft_break_inside_utf8_character() -> None:
    body = b"=D0=9F=D1=80=D0=B8=D0=\r\n=B2=D0=B5=D1=82 =D0=BC=D0=B8=D1=\r\n=80\r\n"
    parsed = parse_message(single(b"text/plain; charset=utf-8", b"quoted-printable", body))
    assert parsed.body_text == "Привет мир"


def test_qp_lower_case_and_bad_escape() -> None:
    body = b"=d0=9f=d1=80=D0=B8=D0=B2=D0=B5=D1=82 =ZZ ok\r\n"
    parsed = parse_message(single(b"text/plain; charset=utf-8", b"quoted-printable", body))
    assert parsed.body_text.startswith("Привет")
    assert "=ZZ ok" in parsed.body_text


def test_base64_without_padding_and_junk() -> None:
    encoded = base64.b64encode("Сканер не работает".encode()).rstrip(b"=")
    body = encoded[:10] + b"\r\n!!" + encoded[10:]
    parsed = parse_message(single(b"text/plain; charset=utf-8", b"base64", body))
    assert "Сканер не работает" in parsed.body_text


def test_flowed_delsp_joins_word() -> None:
    text = "Путь: \\\\fs02\\Протоколы \r\n_совещаний\\Март — при открытии  \r\nпишет ошибку\r\n"
    parsed = parse_message(single(b"text/plain; charset=utf-8; format=flowed; delsp=yes", b"8bit", text.encode()))
    assert "\\\\fs02\\Протоколы_совещаний\\Март — при открытии пишет ошибку" in parsed.body_text


def test_flowed_without_delsp_keeps_space() -> None:
    assert unflow("one \ntwo \nthree\nfour", delsp=False) == "one two three\nfour"


def test_flowed_keeps_quote_depth_and_signature() -> None:
    text = "> quoted \n> more\nnew \ntext\n-- \nsig"
    assert unflow(text, delsp=False) == "> quoted more\nnew text\n-- \nsig"


def test_ios_text_parts_around_photo_concatenated() -> None:
    boundary = b"B1"
    photo = base64.b64encode(b"\xff\xd8\xff" + b"0" * 50)
    raw = (
        HEAD + b"Content-Type: multipart/mixed; boundary=B1\r\n\r\n"
        + "--B1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПервая часть\r\n".encode()
        + b"--B1\r\nContent-Type: image/jpeg; name=IMG_1.jpeg\r\nContent-Disposition: inline; filename=IMG_1.jpeg\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + photo + b"\r\n"
        + "--B1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nВторая часть\r\n--".encode() + boundary + b"--\r\n"
    )
    parsed = parse_message(raw)
    assert "Первая часть" in parsed.body_text
    assert "Вторая часть" in parsed.body_text
    assert parsed.body_text.index("Первая") < parsed.body_text.index("Вторая")
    assert [item.filename for item in parsed.attachments] == ["IMG_1.jpeg"]


def test_alternative_prefers_plain_then_html() -> None:
    raw = (
        HEAD + b"Content-Type: multipart/alternative; boundary=A\r\n\r\n"
        b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
        + "--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Текст из <b>HTML</b></p>\r\n--A--\r\n".encode()
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "Текст из HTML"
    assert parsed.attachments == ()


def test_html_strips_markup_and_keeps_structure() -> None:
    html = (
        "<html><head><title>t</title><style>p {color:red}</style></head><body>"
        "<!--[if gte mso 9]><xml>hidden</xml><![endif]--><script>alert(1)</script>"
        "<p class=MsoNormal>Строка&nbsp;один<o:p></o:p></p><div>Строка &laquo;два&raquo;</div>"
        "<ul><li>пункт</li></ul><ol><li>первый</li><li>второй</li></ol>"
        "<table><tr><td>ячейка</td><td>значение</td></tr></table>текст<br>после</body></html>"
    )
    lines = html_to_text(html).split("\n")
    assert lines == ["Строка один", "Строка «два»", "- пункт", "1. первый", "2. второй", "ячейка\tзначение", "текст", "после"]


def test_html_blockquote_and_outlook_header_marked() -> None:
    html = (
        "<div>Ответ</div><blockquote><div>Цитата</div></blockquote>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p><b>From:</b> x</p></div><p>история</p>"
    )
    result = html_to_lines(html)
    assert result.lines == ("Ответ", "Цитата", "From: x", "история")
    assert result.quote_depths == (0, 1, 0, 0)
    assert result.header_starts == frozenset({2})


def test_html_charset_from_meta_when_mime_has_none() -> None:
    html = '<html><head><meta charset="windows-1251"></head><body>Заявка</body></html>'.encode("cp1251")
    parsed = parse_message(single(b"text/html", b"8bit", html))
    assert parsed.body_text == "Заявка"


def test_empty_and_garbage_html() -> None:
    assert html_to_text("") == ""
    assert isinstance(html_to_text("<<<>>><?xml version='1.0' encoding='utf-8'?>"), str)


def test_large_attachment_part_is_not_copied_out_of_the_message() -> None:
    from mailbot.parse.body import decoded_payload
    from mailbot.parse.mime import parse_tree

    payload = base64.encodebytes(bytes(range(256)) * 64)
    raw = (
        b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + payload + b"\r\n--b1--\r\n"
    )
    root, defects = parse_tree(raw, max_depth=20)
    attached = root.children[1]
    assert defects == []
    assert root.body == b""
    assert attached.source is raw
    assert attached.body == payload
    assert decoded_payload(attached) == (bytes(range(256)) * 64, None)
