"""Build outgoing MIME messages with threading and RFC 3834 headers."""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import email.utils
import secrets
import time
from email.header import Header
from email.message import Message
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from mailbot.outbound.render import RenderedMail

# The legacy compat32 classes are used on purpose: the modern header folder
# of Python 3.11 drops the space between two encoded-words when it splits a
# long Cyrillic subject, so "МФУ в" arrived as "МФУв". email.header.Header
# keeps every space inside the encoded text.
SMTP_POLICY = email.policy.compat32.clone(linesep="\r\n")


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
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    message = alternative if not attachments else MIMEMultipart("mixed")
    for attachment in attachments:
        if not message.get_payload():
            message.attach(alternative)
        message.attach(_attachment_part(attachment))
    message["From"] = email.utils.formataddr((str(Header(envelope.sender_name, "utf-8")), envelope.sender_address))
    message["To"] = ", ".join(envelope.recipients)
    message["Subject"] = Header(rendered.subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
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


def _attachment_part(attachment: OutgoingAttachment) -> MIMEBase:
    maintype, _, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(attachment.content)
    encoders.encode_base64(part)
    # RFC 2231 file name with a UTF-8 charset, which every client of the
    # committee (Outlook 2010 and later, The Bat!, Thunderbird) reads.
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", attachment.filename))
    return part
