"""Attachments: decoded content, file names, and the files inside winmail.dat (TNEF).

A message/rfc822 part is one attachment whose content is the embedded
message exactly as it appears in the part. Outlook's application/ms-tnef
container is replaced by the files it carries, typed from their MAPI MIME
tag (PR_ATTACH_MIME_TAG).
"""

from __future__ import annotations

import dataclasses
import logging
import mimetypes
from collections.abc import Iterable
from typing import Any

import tnefparse

from mailbot.parse.body import decoded_payload, disposition_type
from mailbot.parse.charsets import decode_bytes
from mailbot.parse.filenames import declared_filename, sanitize_filename
from mailbot.parse.headers import decode_header, decode_plain
from mailbot.parse.mime import MimePart, parse_embedded_headers
from mailbot.parse.model import Attachment

logger = logging.getLogger(__name__)

TNEF_TYPES = frozenset(("application/ms-tnef", "application/vnd.ms-tnef"))
_IDENTITY_ENCODINGS = frozenset(("", "7bit", "8bit", "binary"))

# MAPI property tags (MS-OXPROPS): PidTagAttachLongFilename, PidTagAttachMimeTag.
_MAPI_ATTACH_LONG_FILENAME = 0x3707
_MAPI_ATTACH_MIME_TAG = 0x370E


@dataclasses.dataclass(frozen=True)
class AttachmentResult:
    """Attachments of a message, the text of a TNEF body, and the defects found."""

    attachments: tuple[Attachment, ...]
    tnef_text: str
    tnef_html: str
    defects: tuple[str, ...]


def _content_id(part: MimePart) -> str | None:
    value = decode_plain(part.header("content-id")).strip().strip("<>").strip()
    return value or None


def _embedded_message_name(content: bytes) -> str:
    subject = decode_header(dict(parse_embedded_headers(content)).get("subject"))
    return (subject or "message") + ".eml"


def _part_content(part: MimePart) -> tuple[bytes, str | None]:
    if part.mime_type == "message/rfc822":
        encoding = decode_plain(part.header("content-transfer-encoding")).lower()
        if encoding in _IDENTITY_ENCODINGS:
            return part.body, None
    return decoded_payload(part)


def _from_part(part: MimePart, defects: list[str]) -> Attachment:
    content, defect = _part_content(part)
    if defect:
        defects.append(defect)
    content_type = part.mime_type or "application/octet-stream"
    name = declared_filename(part)
    if not name and part.mime_type == "message/rfc822":
        name = _embedded_message_name(content)
    content_id = _content_id(part)
    disposition = disposition_type(part)
    return Attachment(
        filename=sanitize_filename(name, content_type),
        content_type=content_type,
        content=content,
        content_id=content_id,
        inline=disposition == "inline" or (not disposition and content_id is not None),
    )


def _mapi_value(attachment: Any, tag: int) -> Any:
    for attribute in getattr(attachment, "mapi_attrs", ()):
        if getattr(attribute, "name", None) == tag:
            return attribute.data
    return None


def _text_value(value: Any, codepage: str | None) -> str:
    if isinstance(value, bytes):
        text, _codec = decode_bytes(value.rstrip(b"\x00"), codepage)
        return text
    return str(value or "").rstrip("\x00")


def _tnef_file(item: Any, codepage: str | None) -> Attachment | None:
    data = getattr(item, "data", b"")
    if not isinstance(data, bytes) or not data:
        return None
    name = _text_value(_mapi_value(item, _MAPI_ATTACH_LONG_FILENAME), codepage)
    if not name:
        name = _text_value(getattr(item, "_name", b""), codepage)
    mime = _text_value(_mapi_value(item, _MAPI_ATTACH_MIME_TAG), codepage).strip().lower()
    if "/" not in mime:
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Attachment(filename=sanitize_filename(name, mime), content_type=mime, content=data)


def _unpack_tnef(part: MimePart, defects: list[str]) -> tuple[list[Attachment], str, str]:
    """Return the files inside a TNEF part and its plain and HTML bodies."""
    data, _defect = decoded_payload(part)
    try:
        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception:  # tnefparse raises assorted errors on damaged containers
        logger.debug("TNEF container could not be read", exc_info=True)
        defects.append("unreadable TNEF container kept as a file")
        return [_from_part(part, defects)], "", ""
    codepage = tnef.codepage if isinstance(tnef.codepage, str) else None
    files = [found for found in (_tnef_file(item, codepage) for item in tnef.attachments) if found]
    return files, _text_value(tnef.body, codepage), _text_value(tnef.htmlbody, codepage)


def extract_attachments(parts: Iterable[MimePart]) -> AttachmentResult:
    """Turn attachment parts into Attachment values, unpacking TNEF containers."""
    attachments: list[Attachment] = []
    defects: list[str] = []
    tnef_text = ""
    tnef_html = ""
    for part in parts:
        is_tnef = part.mime_type in TNEF_TYPES or declared_filename(part).lower() == "winmail.dat"
        if not is_tnef:
            attachments.append(_from_part(part, defects))
            continue
        files, text, html = _unpack_tnef(part, defects)
        attachments.extend(files)
        tnef_text = tnef_text or text
        tnef_html = tnef_html or html
    return AttachmentResult(tuple(attachments), tnef_text, tnef_html, tuple(dict.fromkeys(defects)))

