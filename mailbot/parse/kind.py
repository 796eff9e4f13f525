"""Message kind: a person's mail, an automatic reply, a bounce or a read receipt.

Structure decides first (RFC 6522 multipart/report with report-type
delivery-status or disposition-notification), so a bounce that also carries
Auto-Submitted is still a bounce. Then come NDR senders and subjects, then
the automatic-reply markers of RFC 3834 and the common vendor headers and
subject prefixes.
"""

from __future__ import annotations

import dataclasses
import re

from mailbot.parse.body import BodyParts
from mailbot.parse.headers import decode_plain, parse_message_id
from mailbot.parse.mime import MimePart, parse_embedded_headers
from mailbot.parse.model import Address, MessageKind
from mailbot.parse.transfer import decode_transfer

_BOUNCE_SENDERS = frozenset(("mailer-daemon", "mail-daemon", "maildaemon"))
_BOUNCE_SUBJECT_RE = re.compile(
    r"^\s*(?:не удается доставить|не удаётся доставить|не удалось доставить|недоставленное сообщение|"
    r"невозможно доставить|undeliverable|undelivered mail|delivery status notification \(failure\)|"
    r"mail delivery failed|delivery has failed|returned mail|failure notice|delivery failure)",
    re.IGNORECASE,
)
_RECEIPT_SUBJECT_RE = re.compile(r"^\s*(?:прочитано|не прочитано|read|not read)\s*:", re.IGNORECASE)
_AUTO_SUBJECT_RE = re.compile(
    r"^\s*(?:автоматический ответ|автоответ|automatic reply|auto[- ]?reply|autoreply|auto response|"
    r"out of (?:the )?office|нет на месте|отсутствую на рабочем месте|vacation reply)\b",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = frozenset(("auto_reply", "bulk", "junk", "list"))
_COMMENT_RE = re.compile(r"\([^()]*\)")


@dataclasses.dataclass(frozen=True)
class KindHeaders:
    """The header values kind detection looks at, already decoded."""

    subject: str
    sender: Address | None
    return_path: str | None
    auto_submitted: str | None
    precedence: str | None
    x_autoreply: str | None
    x_autorespond: str | None
    ndr_marker: bool


def _header_token(value: str | None) -> str:
    """Return the first token of a header value, lower case, without RFC 5322 comments."""
    if not value:
        return ""
    cleaned = _COMMENT_RE.sub(" ", value).strip().lower()
    return cleaned.split(";", 1)[0].split()[0] if cleaned.split() else ""


def _report_type(root: MimePart) -> str:
    if root.mime_type != "multipart/report":
        for child in root.children:
            if child.mime_type == "multipart/report":
                return (child.content_type.get("report-type") or "").lower()
        return ""
    return (root.content_type.get("report-type") or "").lower()


def _is_bounce_sender(headers: KindHeaders) -> bool:
    if headers.sender is None:
        return False
    local = headers.sender.address.rpartition("@")[0].lower() or headers.sender.address.lower()
    if local in _BOUNCE_SENDERS:
        return True
    return local == "postmaster" and (headers.return_path == "" or bool(_BOUNCE_SUBJECT_RE.match(headers.subject)))


def _is_auto_reply(headers: KindHeaders) -> bool:
    auto_submitted = _header_token(headers.auto_submitted)
    if auto_submitted and auto_submitted != "no":
        return True
    if headers.x_autoreply is not None and _header_token(headers.x_autoreply) not in ("no", "false", "0"):
        return True
    if headers.x_autorespond is not None:
        return True
    if _header_token(headers.precedence) in _AUTO_PRECEDENCE:
        return True
    return bool(_AUTO_SUBJECT_RE.match(headers.subject))


def detect_kind(root: MimePart, body: BodyParts, headers: KindHeaders) -> MessageKind:
    """Classify the message as human, auto_reply, bounce or receipt."""
    report_type = _report_type(root)
    report_types = {part.mime_type for part in body.reports}
    if report_type == "delivery-status" or "message/delivery-status" in report_types:
        return MessageKind.BOUNCE
    if report_type == "disposition-notification" or "message/disposition-notification" in report_types:
        return MessageKind.RECEIPT
    if headers.ndr_marker or _is_bounce_sender(headers) or _BOUNCE_SUBJECT_RE.match(headers.subject):
        return MessageKind.BOUNCE
    if _RECEIPT_SUBJECT_RE.match(headers.subject) and headers.auto_submitted:
        return MessageKind.RECEIPT
    if _is_auto_reply(headers):
        return MessageKind.AUTO_REPLY
    return MessageKind.HUMAN


def _fields_of(part: MimePart) -> dict[str, bytes]:
    data, _defect = decode_transfer(part.body, decode_plain(part.header("content-transfer-encoding")))
    fields: dict[str, bytes] = {}
    for name, value in parse_embedded_headers(data):
        fields.setdefault(name, value)
    return fields


def _disposition_fields(part: MimePart) -> dict[str, bytes]:
    """Read a message/disposition-notification body, which is one block of header-like fields."""
    data, _defect = decode_transfer(part.body, decode_plain(part.header("content-transfer-encoding")))
    fields: dict[str, bytes] = {}
    for block in data.replace(b"\r\n", b"\n").split(b"\n\n"):
        for name, value in parse_embedded_headers(block):
            fields.setdefault(name, value)
    return fields


def original_message_id(body: BodyParts) -> str | None:
    """Return the Message-ID of the message a bounce or receipt reports on, when it is named."""
    for part in body.reports:
        if "disposition-notification" in part.mime_type:
            found = parse_message_id(_disposition_fields(part).get("original-message-id"))
            if found:
                return found
    for part in body.returned:
        found = parse_message_id(_fields_of(part).get("message-id"))
        if found:
            return found
    return None
