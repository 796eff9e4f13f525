"""Property tests: parse_message never raises and always returns text, whatever the bytes.

Messages are built from random MIME trees (charsets, transfer encodings,
nesting) and then damaged: truncated, spliced, bytes flipped, boundaries
broken, headers blown up. The "ci" profile (default) runs 200 examples per
test; set HYPOTHESIS_PROFILE=deep for 5,000.
"""

from __future__ import annotations

import base64
import os
import quopri

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.parse import MessageKind, ParsedMessage, parse_message

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "deep", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CHARSETS = ["utf-8", "windows-1251", "koi8-r", "cp866", "iso-8859-5", "us-ascii", "bogus-charset", ""]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64", "x-unknown", ""]
TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x4FF, exclude_categories=("Cs",)), max_size=200
)
RUSSIAN = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ .,!?\n>-", max_size=300)


def encode_text(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset or "utf-8", errors="replace")
    except LookupError:
        return text.encode("utf-8")


def apply_transfer(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        return base64.encodebytes(data)
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def leaf_part(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    subtype = draw(st.sampled_from(["plain", "html", "calendar"]))
    text = draw(st.one_of(TEXT, RUSSIAN))
    if subtype == "html":
        text = "<div><p>%s</p><blockquote>%s</blockquote></div>" % (text, text[:40])
    headers = "Content-Type: text/%s; charset=%s\r\nContent-Transfer-Encoding: %s\r\n" % (subtype, charset, encoding)
    if draw(st.booleans()):
        headers += "Content-Disposition: attachment; filename*0*=utf-8''%D0%A1%D0; filename*1*=%BB.txt\r\n"
    body = apply_transfer(encode_text(text, charset), encoding)
    return headers.encode() + b"\r\n" + body


@st.composite
def binary_part(draw: st.DrawFn) -> bytes:
    content_type = draw(
        st.sampled_from(
            ["image/png", "application/pdf", "application/ms-tnef", "message/rfc822", "application/pkcs7-signature"]
        )
    )
    payload = draw(st.binary(max_size=300))
    name = draw(TEXT).replace('"', "").replace("\r", "").replace("\n", "")
    header = 'Content-Type: %s; name="=?utf-8?B?%s?="\r\nContent-Transfer-Encoding: base64\r\n' % (
        content_type,
        base64.b64encode(name.encode("utf-8", "replace")).decode(),
    )
    return header.encode() + b"\r\n" + base64.encodebytes(payload)


def multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    chunks = [b'Content-Type: multipart/%s; boundary="%s"\r\n\r\npreamble\r\n' % (subtype.encode(), boundary.encode())]
    for part in parts:
        chunks.append(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n")
    chunks.append(b"--" + boundary.encode() + b"--\r\nepilogue\r\n")
    return b"".join(chunks)


def mime_tree(depth: int) -> st.SearchStrategy[bytes]:
    leaves = st.one_of(leaf_part(), binary_part())
    if depth <= 0:
        return leaves
    children = st.lists(mime_tree(depth - 1), min_size=0, max_size=3)
    subtypes = st.sampled_from(["mixed", "alternative", "related", "signed", "report", "digest"])
    boundaries = st.text(alphabet="abcXYZ0123456789=_-.'", min_size=1, max_size=20)
    nested = st.builds(multipart, subtypes, boundaries, children)
    return st.one_of(leaves, nested)


@st.composite
def message_bytes(draw: st.DrawFn) -> bytes:
    subject = draw(st.one_of(TEXT, RUSSIAN)).replace("\r", " ").replace("\n", " ")
    charset = draw(st.sampled_from(CHARSETS[:4]))
    word = base64.b64encode(encode_text(subject, charset)).decode()
    headers = (
        "From: =?%s?B?%s?= <user@committee.example>\r\nTo: it@committee.example\r\n"
        "Subject: Re: [IT-2026-00001] =?%s?B?%s?=\r\nMessage-ID: <fuzz@committee.example>\r\n"
        "Date: Thu, 12 Mar 2026 10:07:09 +0300\r\nMIME-Version: 1.0\r\n" % (charset, word[:30], charset, word)
    ).encode()
    headers += draw(st.sampled_from([b"", b"Auto-Submitted: auto-replied\r\n", b"Subject: \xd0\x9f\xf0\xe8\r\n"]))
    return headers + draw(mime_tree(3))


@st.composite
def damaged_message(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(message_bytes()))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        action = draw(st.sampled_from(["truncate", "flip", "delete", "insert", "duplicate"]))
        if not data:
            break
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if action == "truncate":
            del data[position:]
        elif action == "flip":
            data[position] ^= draw(st.integers(min_value=1, max_value=255))
        elif action == "delete":
            del data[position: position + draw(st.integers(min_value=1, max_value=50))]
        elif action == "insert":
            data[position:position] = draw(
                st.sampled_from([b"\r\n--", b"=?utf-8?B?", b"\r\n\r\n", b"\x00\xff", b"=\r\n", b"boundary=", b"<p><div>"])
            )
        else:
            data += data[position:]
    return bytes(data)


def assert_usable(parsed: ParsedMessage) -> None:
    assert isinstance(parsed, ParsedMessage)
    assert isinstance(parsed.body_text, str)
    assert isinstance(parsed.reply_text, str)
    assert isinstance(parsed.subject, str)
    assert isinstance(parsed.kind, MessageKind)
    assert all(isinstance(item.filename, str) and item.filename for item in parsed.attachments)
    assert [defect for defect in parsed.defects if " failed: " in defect] == []
    parsed.to_json()


@settings(PROFILE)
@given(raw=st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert_usable(parse_message(raw))


@settings(PROFILE)
@given(raw=message_bytes())
def test_generated_mime_never_raises(raw: bytes) -> None:
    assert_usable(parse_message(raw))


@settings(PROFILE)
@given(raw=damaged_message())
def test_damaged_mime_never_raises(raw: bytes) -> None:
    assert_usable(parse_message(raw))


@settings(PROFILE)
@given(
    depth=st.integers(min_value=0, max_value=400),
    max_depth=st.integers(min_value=0, max_value=1000),
)
def test_deep_nesting_bounded(depth: int, max_depth: int) -> None:
    raw = b"Content-Type: text/plain\r\n\r\ninnermost text\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        raw = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n" + raw
        raw += b"\r\n--" + boundary + b"--\r\n"
    parsed = parse_message(b"Subject: deep\r\n" + raw, max_depth=max_depth)
    assert_usable(parsed)
    if depth > max_depth:
        assert any("nesting" in defect for defect in parsed.defects)
    elif depth <= 200:
        assert "innermost text" in parsed.body_text


@settings(PROFILE)
@given(size=st.integers(min_value=1000, max_value=300_000), fill=st.sampled_from([b"a", b"=?utf-8?B?", b" ", b"\xd0"]))
def test_huge_headers_never_raise(size: int, fill: bytes) -> None:
    raw = b"Subject: " + fill * (size // len(fill)) + b"\r\nX-Long: " + b"x" * size + b"\r\n\r\nbody\r\n"
    assert_usable(parse_message(raw))


@settings(PROFILE)
@given(garbage=st.binary(max_size=500))
def test_bad_base64_body(garbage: bytes) -> None:
    raw = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + garbage
    assert_usable(parse_message(raw))


def test_non_bytes_input_degrades() -> None:
    assert_usable(parse_message("Subject: text given as str\r\n\r\nbody"))  # type: ignore[arg-type]
    assert_usable(parse_message(None))  # type: ignore[arg-type]
