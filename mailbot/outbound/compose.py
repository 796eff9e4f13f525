"""Build outgoing MIME messages with threading and RFC 3834 headers."""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import email.utils
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage

from mailbot.outbound.render import RenderedMail

SMTP_POLICY = email.policy.SMTP.clone(max_line_length=78)


@dataclasses.dataclass(frozen=True)
class Envelope:
    """Who an outgoing mail is from and to, and what it threads on."""

    sender_address: str
    sender_name: str
    recipients: tuple[str, ...]
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automatic: bool = True


def make_message_id(ticket_number: str | None, sender_address: str) -> str:
    domain = sender_address.rpartition("@")[2] or "mailbot.invalid"
    return email.utils.make_msgid(idstring=ticket_number or "mailbot", domain=domain)


def compose(rendered: RenderedMail, envelope: Envelope, *, message_id: str) -> EmailMessage:
    """Return a text+HTML message carrying `message_id` and the loop guards.

    Automatic mail is marked with Auto-Submitted (RFC 3834) and
    X-Auto-Response-Suppress, which Exchange and Outlook honour, so that
    out-of-office robots do not answer it; X-Loop names our address so our
    own mail coming back is recognised and dropped.
    """
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = HeaderAddress(envelope.sender_name, addr_spec=envelope.sender_address)
    message["To"] = ", ".join(envelope.recipients)
    message["Subject"] = rendered.subject
    message["Date"] = email.utils.format_datetime(datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = message_id
    if envelope.in_reply_to:
        message["In-Reply-To"] = envelope.in_reply_to
    if envelope.references:
        message["References"] = " ".join(envelope.references)
    if envelope.automatic:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    message["X-Loop"] = envelope.sender_address
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
