"""Build outgoing MIME messages with threading and RFC 3834 headers."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import email.base64mime
import email.charset
import email.policy
import email.quoprimime
import email.utils
import functools
import random
import secrets
import sys
import time
from collections.abc import Sequence
from email.header import Header
from email.message import Message
from email import encoders
from email.mime.base import MIMEBase

from mailbot.outbound.render import RenderedMail

# The legacy compat32 classes are used on purpose: the modern header folder
# of Python 3.11 drops the space between two encoded-words when it splits a
# long Cyrillic subject, so "МФУ в" arrived as "МФУв". email.header.Header
# keeps every space inside the encoded text.
class SmtpPolicy(email.policy.Compat32):
    """compat32 that writes a header needing neither folding nor encoding directly.

    compat32 passes every header through email.header.Header.encode, which
    dominates the time of as_bytes. For a str value of printable ASCII that
    fits on one line, Header.encode returns "Name: value" unchanged, so this
    policy writes exactly that without it and leaves every other value,
    Header objects included, to compat32.
    """

    def fold(self, name: str, value: str) -> str:
        if self._fits_unchanged(name, value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._fits_unchanged(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii", "surrogateescape")
        if isinstance(value, str):
            return self._fold_str_binary(name, value)
        return super().fold_binary(name, value)

    # Folding a str is a pure function of the policy, name and value, and
    # values such as our From or the staff To repeat in every mail. The cache
    # keeps the policy alive, which is harmless for the module-level instance.
    @functools.lru_cache(maxsize=256)  # noqa: B019
    def _fold_str_binary(self, name: str, value: str) -> bytes:
        return super().fold_binary(name, value)

    def _fits_unchanged(self, name: str, value: str) -> bool:
        return (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
        )


SMTP_POLICY = SmtpPolicy(linesep="\r\n")


# Length of the RFC 2047 chrome "=?utf-8?b?" + "?=" around an encoded-word.
_CHROME_LENGTH = len("=?utf-8?b??=")

# Length of one byte in a "Q" encoded-word, by byte value.
_QP_LENGTHS = tuple(email.quoprimime.header_length(bytes([octet])) for octet in range(256))


class Utf8Header(Header):
    """Header(text, "utf-8") with a linear-time encode for a single line of text.

    Header.encode finds where to split encoded-words by re-encoding the
    growing line after every character, which takes over 100 us for a
    100-character Cyrillic subject. Base64 and "Q" lengths grow by a fixed
    amount per character, so `encode` keeps running totals and splits at
    the same characters, returning the same text as Header.encode. Text
    with appended chunks or line breaks, and very short lines, still go to
    Header.encode.
    """

    def __init__(self, text: str, header_name: str) -> None:
        super().__init__(text, "utf-8", header_name=header_name)
        self._name_length = len(header_name) + 2
        # Set after super().__init__, whose call to append clears it.
        self._text: str | None = text

    def append(
        self, s: bytes | bytearray | str, charset: email.charset.Charset | str | None = None, errors: str = "strict"
    ) -> None:
        self._text = None
        super().append(s, charset, errors)

    def encode(self, splitchars: str = ";, \t", maxlinelen: int | None = None, linesep: str = "\n") -> str:
        lines = self._encoded_words(maxlinelen)
        if lines is None:
            return super().encode(splitchars, maxlinelen, linesep)
        return (linesep + " ").join(lines)

    def _encoded_words(self, maxlinelen: int | None) -> list[str] | None:
        text = self._text
        if maxlinelen is None:
            maxlinelen = self._maxlinelen  # type: ignore[attr-defined]
        if maxlinelen == 0:
            maxlinelen = 1_000_000
        first_room = maxlinelen - self._name_length - _CHROME_LENGTH
        next_room = maxlinelen - 1 - _CHROME_LENGTH
        # 12 is the longest a character can encode to: four bytes as "=XX".
        if not text or text.splitlines() != [text] or min(first_room, next_room) < 12:
            return None
        data = text.encode("utf-8")
        use_base64 = email.base64mime.header_length(data) < email.quoprimime.header_length(data)
        return _split_words(text, first_room, next_room, use_base64=use_base64)


def _split_words(text: str, first_room: int, next_room: int, *, use_base64: bool) -> list[str]:
    """Split `text` into encoded-words where Charset.header_encode_lines does."""
    encode = email.base64mime.header_encode if use_base64 else email.quoprimime.header_encode
    words = []
    start = 0
    room = first_room
    size = 0
    for index, character in enumerate(text):
        encoded = character.encode("utf-8")
        step = len(encoded) if use_base64 else sum(_QP_LENGTHS[octet] for octet in encoded)
        length = size + step
        if use_base64:
            length = -(-length // 3) * 4
        if length > room:
            words.append(encode(text[start:index].encode("utf-8"), charset="utf-8"))
            start = index
            size = step
            room = next_room
        else:
            size += step
    words.append(encode(text[start:].encode("utf-8"), charset="utf-8"))
    return words


@dataclasses.dataclass(frozen=True)
class Envelope:
    """Sender, recipients and threading headers of an outgoing mail."""

    sender_address: str
    sender_name: str
    recipients: tuple[str, ...]
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automatic: bool = True
    reply_to: str | None = None


@dataclasses.dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    content: bytes = dataclasses.field(repr=False)


def make_message_id(ticket_number: str | None, sender_address: str) -> str:
    """Return a new Message-ID such as <IT-2026-00042.k3x9.5f0c2a1b9e7d4c33@committee.example>.

    The ticket number makes our mail easy to find in server logs; the
    millisecond time and 64 random bits make the id unique. It stays short
    enough that the header is never folded.
    """
    domain = sender_address.rpartition("@")[2] or "mailbot.invalid"
    stamp = _base36(time.time_ns() // 1_000_000)
    return f"<{ticket_number or 'mailbot'}.{stamp}.{secrets.token_hex(8)}@{domain}>"


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        value, remainder = divmod(value, 36)
        text = digits[remainder] + text
        if value == 0:
            return text


def compose(
    rendered: RenderedMail,
    envelope: Envelope,
    *,
    message_id: str,
    attachments: tuple[OutgoingAttachment, ...] = (),
) -> Message:
    """Return a text+HTML message carrying `message_id` and the loop guards.

    Automatic mail is marked with Auto-Submitted (RFC 3834) and
    X-Auto-Response-Suppress, which Exchange and Outlook honour, so that
    out-of-office robots do not answer it; X-Loop names our address so our
    own mail coming back is recognised and dropped.
    """
    alternative_boundary = make_boundary()
    bodies = [_text_part(rendered.text, "plain"), _text_part(rendered.html, "html")]
    alternative = _multipart("alternative", alternative_boundary, bodies)
    message = alternative
    if attachments:
        parts = [alternative] + [_attachment_part(attachment) for attachment in attachments]
        message = _multipart("mixed", make_boundary(exclude=alternative_boundary), parts)
    message["From"] = _from_header(envelope.sender_name, envelope.sender_address)
    message["To"] = ", ".join(envelope.recipients)
    message["Subject"] = Utf8Header(rendered.subject, header_name="Subject")  # type: ignore[assignment]
    message["Date"] = email.utils.format_datetime(datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = message_id
    if envelope.in_reply_to:
        message["In-Reply-To"] = envelope.in_reply_to
    if envelope.references:
        message["References"] = " ".join(envelope.references)
    if envelope.automatic:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["X-Loop"] = envelope.sender_address
    return message


@functools.lru_cache(maxsize=16)
def _from_header(name: str, address: str) -> str:
    return email.utils.formataddr((str(Header(name, "utf-8")), address))


def make_boundary(exclude: str = "") -> str:
    """Return a boundary in the format of email.generator, different from `exclude`.

    Every leaf part compose writes is base64, whose lines never start with
    "--", so the only lines that could clash are the delimiters of a nested
    multipart. Setting the boundary here spares the generator the regular
    expression it compiles per multipart to search the flattened parts.
    """
    while True:
        boundary = f"==============={random.randrange(sys.maxsize):019d}=="
        if boundary != exclude:
            return boundary


def _multipart(subtype: str, boundary: str, parts: Sequence[Message]) -> Message:
    message = Message()
    message["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    message["MIME-Version"] = "1.0"
    message.set_payload(list(parts))
    return message


def _text_part(text: str, subtype: str) -> Message:
    """Build the part MIMEText(text, subtype, "utf-8") builds, without its header reparsing."""
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(text.encode("utf-8")).decode("ascii"))
    return part


def _attachment_part(attachment: OutgoingAttachment) -> MIMEBase:
    maintype, _, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(attachment.content)
    encoders.encode_base64(part)
    # RFC 2231 file name with a UTF-8 charset, which every client of the
    # committee (Outlook 2010 and later, The Bat!, Thunderbird) reads.
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", attachment.filename))
    return part
