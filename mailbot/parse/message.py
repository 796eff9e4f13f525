"""parse_message: raw RFC 5322 bytes to a ParsedMessage, never raising.

Each step runs on its own guard: a step that fails leaves its fields at
their empty values and adds a defect, and the other steps still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mailbot.parse.attachments import AttachmentResult, extract_attachments
from mailbot.parse.body import BodyParts, walk_body
from mailbot.parse.headers import (
    decode_header,
    decode_plain,
    first_address,
    parse_addresses,
    parse_date,
    parse_message_id,
    parse_message_ids,
    parse_return_path,
)
from mailbot.parse.html import html_to_lines
from mailbot.parse.kind import KindHeaders, detect_kind, original_message_id
from mailbot.parse.mime import MimePart, parse_tree
from mailbot.parse.model import Address, MessageKind, ParsedMessage
from mailbot.parse.quotes import is_forward_subject, strip_quotes
from mailbot.parse.tags import find_ticket_number
from mailbot.parse.textlines import TextLines

logger = logging.getLogger(__name__)

DEFAULT_MAX_DEPTH = 20
_T = TypeVar("_T")


NO_ADDRESSES: tuple[Address, ...] = ()
NO_IDS: tuple[str, ...] = ()


def _guard(defects: list[str], step: str, action: Callable[[], _T], default: _T) -> _T:
    """Run one parse step; on any error record a defect and return `default`."""
    try:
        return action()
    except Exception as error:  # the parser must degrade, never raise
        logger.warning("parse step %s failed with %s", step, type(error).__name__)
        logger.debug("parse step %s traceback", step, exc_info=True)
        defects.append("%s failed: %s" % (step, type(error).__name__))
        return default


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _joined(root: MimePart, name: str) -> bytes | None:
    values = root.header_all(name)
    return b", ".join(values) if values else None


def _optional(root: MimePart, name: str) -> str | None:
    raw = root.header(name)
    return None if raw is None else decode_plain(raw)


def _kind_headers(root: MimePart, subject: str, sender: Address | None, return_path: str | None) -> KindHeaders:
    return KindHeaders(
        subject=subject,
        sender=sender,
        return_path=return_path,
        auto_submitted=_optional(root, "auto-submitted"),
        precedence=_optional(root, "precedence"),
        x_autoreply=_optional(root, "x-autoreply"),
        x_autorespond=_optional(root, "x-autorespond"),
        ndr_marker=root.header("x-ms-exchange-message-is-ndr") is not None,
    )


def _text_with_tnef(body: BodyParts, found: AttachmentResult) -> TextLines:
    """Use the plain or HTML body carried inside winmail.dat when the MIME text is empty."""
    if not body.text.is_blank():
        return body.text
    if found.tnef_text.strip():
        return TextLines.from_plain(found.tnef_text.replace("\r\n", "\n"))
    if found.tnef_html.strip():
        return html_to_lines(found.tnef_html)
    return body.text


def _envelope_fields(root: MimePart, defects: list[str]) -> dict[str, Any]:
    """Decode the identity and threading header fields of the top-level header."""
    return {
        "message_id": _guard(defects, "message-id", lambda: parse_message_id(root.header("message-id")), None),
        "to": _guard(defects, "to", lambda: parse_addresses(_joined(root, "to")), NO_ADDRESSES),
        "cc": _guard(defects, "cc", lambda: parse_addresses(_joined(root, "cc")), NO_ADDRESSES),
        "reply_to": _guard(defects, "reply-to", lambda: parse_addresses(_joined(root, "reply-to")), NO_ADDRESSES),
        "date": _guard(defects, "date", lambda: parse_date(root.header("date")), None),
        "in_reply_to": _guard(
            defects, "in-reply-to", lambda: _first(parse_message_ids(root.header("in-reply-to"))), None
        ),
        "references": _guard(defects, "references", lambda: parse_message_ids(_joined(root, "references")), NO_IDS),
    }


def _parse(raw: bytes, ticket_prefix: str, max_depth: int) -> ParsedMessage:
    defects: list[str] = []
    root, structure_defects = parse_tree(raw, max_depth=max_depth)
    defects.extend(structure_defects)

    subject = _guard(defects, "subject", lambda: decode_header(root.header("subject")), "")
    sender = _guard(defects, "from", lambda: first_address(root.header("from")), None)
    return_path = _guard(defects, "return-path", lambda: parse_return_path(root.header("return-path")), None)

    empty_body = BodyParts(TextLines(), (), (), (), ())
    body = _guard(defects, "body", lambda: walk_body(root), empty_body)
    defects.extend(body.defects)
    found = _guard(
        defects, "attachments", lambda: extract_attachments(body.attachments), AttachmentResult((), "", "", ())
    )
    defects.extend(found.defects)
    text = _text_with_tnef(body, found)

    headers = _kind_headers(root, subject, sender, return_path)
    kind = _guard(defects, "kind", lambda: detect_kind(root, body, headers), MessageKind.HUMAN)
    reported_id = _guard(defects, "original id", lambda: original_message_id(body), None)
    attachments = () if kind in (MessageKind.BOUNCE, MessageKind.RECEIPT) else found.attachments
    forwarded = is_forward_subject(subject)
    reply_text = _guard(defects, "quotes", lambda: strip_quotes(text, forwarded=forwarded), text.text)

    return ParsedMessage(
        **_envelope_fields(root, defects),
        from_=sender,
        subject=subject,
        kind=kind,
        ticket_number=find_ticket_number(subject, ticket_prefix),
        body_text=text.text.strip("\n"),
        reply_text=reply_text,
        attachments=attachments,
        return_path=return_path,
        auto_submitted=headers.auto_submitted,
        precedence=headers.precedence,
        x_loop=tuple(decode_plain(value) for value in root.header_all("x-loop")),
        original_message_id=reported_id,
        defects=tuple(dict.fromkeys(defects)),
    )


def _first(values: tuple[str, ...]) -> str | None:
    return values[0] if values else None


def _degraded(raw: object, error: Exception) -> ParsedMessage:
    """Build the last-resort result when parsing failed outside every step guard."""
    data = _as_bytes(raw) if not isinstance(error, TypeError) else b""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return ParsedMessage(
        message_id=None,
        from_=None,
        to=(),
        cc=(),
        reply_to=(),
        subject="",
        date=None,
        in_reply_to=None,
        references=(),
        kind=MessageKind.HUMAN,
        ticket_number=None,
        body_text=text,
        reply_text=text,
        attachments=(),
        defects=("parse failed: %s" % type(error).__name__,),
    )


def parse_message(raw: bytes, *, ticket_prefix: str = "IT", max_depth: int = DEFAULT_MAX_DEPTH) -> ParsedMessage:
    """Parse a raw message into a ParsedMessage; never raises on any input.

    `ticket_prefix` is the prefix of ticket tags in subjects (`[IT-2026-00042]`).
    MIME parts nested deeper than `max_depth` (capped at 200) are not read,
    and that is recorded in `defects`.
    """
    try:
        return _parse(_as_bytes(raw), ticket_prefix, max_depth)
    except Exception as error:  # the intake must get a result for every message
        logger.warning("message parse failed with %s, returning raw text", type(error).__name__)
        logger.debug("message parse traceback", exc_info=True)
        try:
            return _degraded(raw, error)
        except Exception:  # even decoding the raw bytes failed: return an empty result
            return _degraded(b"", error)
