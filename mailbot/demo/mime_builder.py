"""Build raw sample mail the way common mail clients encode it.

Each body part is encoded by hand (charset, then base64, quoted-printable or
8bit) so that the bytes really use the encoding the headers claim, and each
client profile adds the headers that client is known for.
"""

from __future__ import annotations

import base64
import hashlib
import html
import quopri
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from io import BytesIO
from typing import Literal

TransferEncoding = Literal["base64", "quoted-printable", "8bit"]
HtmlMode = Literal["none", "alternative", "only"]
Client = Literal["outlook16", "outlook14", "thebat", "thunderbird", "iphone", "yandex"]

_CLIENT_HEADERS: dict[Client, tuple[tuple[str, str], ...]] = {
    "outlook16": (("X-Mailer", "Microsoft Outlook 16.0"), ("Content-Language", "ru")),
    "outlook14": (("X-Mailer", "Microsoft Outlook 14.0"), ("Content-Language", "ru")),
    "thebat": (("X-Mailer", "The Bat! (v10.4.5) Professional"),),
    "thunderbird": (
        ("User-Agent", "Mozilla Thunderbird 115.12.2"),
        ("Content-Language", "ru"),
    ),
    "iphone": (("X-Mailer", "iPhone Mail (21F90)"),),
    "yandex": (("X-Mailer", "Yamail [ http://yandex.ru ] 5.0"),),
}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MailSpec:
    """What one sample message says and how its client encodes it."""

    sender_name: str
    sender_address: str
    subject: str
    text: str
    client: Client
    charset: str
    encoding: TransferEncoding
    html: HtmlMode = "none"
    attachment: Attachment | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()


def build_message(
    spec: MailSpec, *, to: tuple[str, str], sent_at: datetime, seed: str,
    in_reply_to: str | None = None, references: tuple[str, ...] = (),
) -> bytes:
    """Encode `spec` as RFC 5322 bytes with CRLF line endings.

    `to` is a (display name, address) pair. `seed` makes the Message-ID (and
    Outlook's Thread-Index) unique but repeatable.
    """
    message = _body(spec)
    message["From"] = formataddr((spec.sender_name, spec.sender_address), spec.charset)
    message["To"] = formataddr(to, spec.charset)
    # compat32 messages take Header values, though typeshed types them as str.
    message["Subject"] = _subject_header(spec.subject, spec.charset)  # type: ignore[assignment]
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = _message_id(spec.client, seed)
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)

    for name, value in _CLIENT_HEADERS[spec.client] + spec.extra_headers:
        message[name] = value
    if spec.client.startswith("outlook"):
        digest = hashlib.sha256(seed.encode("utf-8")).digest()[:22]
        message["Thread-Index"] = base64.b64encode(digest).decode("ascii")
    return _to_bytes(message)


def _subject_header(subject: str, charset: str) -> Header:
    """Keep a leading ASCII part ("Re: [IT-2026-00001]") unencoded, as most clients do."""
    words = subject.split(" ")
    ascii_count = 0
    while ascii_count < len(words) and words[ascii_count].isascii():
        ascii_count += 1
    if ascii_count == len(words):
        return Header(subject, "us-ascii", header_name="Subject")

    header = Header(header_name="Subject")
    if ascii_count:
        header.append(" ".join(words[:ascii_count]), "us-ascii")
    header.append(" ".join(words[ascii_count:]), charset)
    return header


def _body(spec: MailSpec) -> Message:
    text_html = _as_html(spec.text, spec.client)
    if spec.html == "only":
        content: Message = text_part(text_html, "html", spec.charset, spec.encoding)
    elif spec.html == "alternative":
        content = MIMEMultipart("alternative")
        content.attach(text_part(spec.text, "plain", spec.charset, spec.encoding))
        content.attach(text_part(text_html, "html", spec.charset, spec.encoding))
    else:
        content = text_part(spec.text, "plain", spec.charset, spec.encoding)
    if spec.attachment is None:
        return content

    mixed = MIMEMultipart("mixed")
    mixed.attach(content)
    mixed.attach(_attachment_part(spec.attachment))
    return mixed


def text_part(text: str, subtype: str, charset: str, encoding: TransferEncoding) -> Message:
    """Encode `text` in `charset`, then apply the transfer encoding by hand."""
    part = MIMENonMultipart("text", subtype, charset=charset)
    if encoding == "base64":
        # Text is canonically CRLF before base64 (RFC 2045 section 6.8).
        data = text.replace("\n", "\r\n").encode(charset)
        part.set_payload(base64.encodebytes(data).decode("ascii"))
    elif encoding == "quoted-printable":
        part.set_payload(quopri.encodestring(text.encode(charset)).decode("ascii"))
    else:
        # BytesGenerator writes surrogate-escaped payloads back as raw bytes.
        part.set_payload(text.encode(charset).decode("ascii", "surrogateescape"))
    part["Content-Transfer-Encoding"] = encoding
    return part


def _attachment_part(attachment: Attachment) -> Message:
    maintype, subtype = attachment.content_type.split("/", 1)
    part = MIMENonMultipart(maintype, subtype, name=attachment.filename)
    part.set_payload(base64.encodebytes(attachment.data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    part["Content-Disposition"] = "attachment"
    part.set_param("filename", attachment.filename, header="Content-Disposition")
    return part


def _as_html(text: str, client: Client) -> str:
    paragraphs = "".join(
        "<p class=MsoNormal>%s</p>\n" % (html.escape(line) or "&nbsp;")
        for line in text.splitlines()
    )
    generator = "Microsoft Word 15 (filtered medium)" if client.startswith("outlook") else client
    return (
        "<html><head><meta name=Generator content=\"%s\"></head>\n"
        "<body lang=RU><div class=WordSection1>\n%s</div></body></html>\n"
        % (generator, paragraphs)
    )


def _message_id(client: Client, seed: str) -> str:
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    if client.startswith("outlook"):
        return "<%s$%s$%s@committee.example>" % (digest[:16], digest[16:24], digest[24:32])
    if client == "thebat":
        return "<%d.%s@committee.example>" % (int(digest[:8], 16), digest[8:22])
    if client == "yandex":
        return "<%d@mail.yandex.ru>" % int(digest[:12], 16)
    uuid_text = "%s-%s-%s-%s-%s" % (
        digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32],
    )
    if client == "iphone":
        uuid_text = uuid_text.upper()
    return "<%s@committee.example>" % uuid_text


def _to_bytes(message: Message) -> bytes:
    buffer = BytesIO()
    # Folding at 76 keeps each encoded word within RFC 2047's 75 characters,
    # because the stdlib measures the line and the word starts after a space.
    policy = compat32.clone(linesep="\r\n", max_line_length=76)
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(message)
    return buffer.getvalue()


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """Draw a small PNG: a grey window with a red title bar, like an error dialog."""
    rows = []
    for y in range(height):
        colour = b"\xc8\x28\x28" if y < 4 else b"\xe6\xe6\xe6"
        rows.append(b"\x00" + colour * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"".join(rows))),
            _png_chunk(b"IEND", b""),
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)
