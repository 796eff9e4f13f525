"""Walk the MIME tree: pick the body text parts, collect attachment and report parts.

multipart/alternative contributes its text/plain version, or text/html when
the plain one is empty. Several inline text parts of multipart/mixed are
concatenated in order, because iOS Mail puts text before and after a photo.
S/MIME signatures are dropped. The machine-readable parts of a
multipart/report are kept apart for kind detection.
"""

from __future__ import annotations

import dataclasses
import re

from mailbot.parse.charsets import decode_bytes
from mailbot.parse.flowed import unflow
from mailbot.parse.headers import decode_plain
from mailbot.parse.html import html_to_lines
from mailbot.parse.mime import MimePart
from mailbot.parse.params import parse_header_value
from mailbot.parse.textlines import TextLines
from mailbot.parse.transfer import decode_transfer

SIGNATURE_TYPES = frozenset(
    (
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
    )
)
REPORT_TYPES = frozenset(
    (
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
    )
)
RETURNED_TYPES = frozenset(("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"))
_BODY_SUBTYPES = frozenset(("plain", "html"))
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_NEWLINE_RE = re.compile(r"\r\n?")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class BodyParts:
    """The result of walking a MIME tree."""

    text: TextLines
    attachments: tuple[MimePart, ...]
    reports: tuple[MimePart, ...]
    returned: tuple[MimePart, ...]
    defects: tuple[str, ...]


def part_filename_present(part: MimePart) -> bool:
    disposition = parse_header_value(part.header("content-disposition"))
    return bool(disposition.get("filename") or part.content_type.get("name"))


def disposition_type(part: MimePart) -> str:
    return parse_header_value(part.header("content-disposition")).value


def is_body_text(part: MimePart) -> bool:
    """Tell whether a leaf part is message text rather than an attached file."""
    if part.maintype != "text" or part.mime_type.partition("/")[2] not in _BODY_SUBTYPES:
        return False
    return disposition_type(part) != "attachment" and not part_filename_present(part)


def decoded_payload(part: MimePart) -> tuple[bytes, str | None]:
    """Return the part body with its Content-Transfer-Encoding undone, and a defect or None."""
    encoding = decode_plain(part.header("content-transfer-encoding"))
    if encoding.strip().lower() == "base64":
        # Decoded straight from the message's buffer: a large attachment is
        # not copied out of the message before it is decoded.
        return decode_transfer(part.body_view(), encoding)
    return decode_transfer(part.body, encoding)


def _html_charset(data: bytes) -> str | None:
    match = _META_CHARSET_RE.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def part_text(part: MimePart) -> tuple[TextLines, list[str]]:
    """Decode one text part (plain or HTML) to lines; returns the lines and defects."""
    data, defect = decoded_payload(part)
    defects = [defect] if defect else []
    charset = part.content_type.get("charset")
    is_html = part.mime_type == "text/html"
    if is_html and not charset:
        charset = _html_charset(data)
    text, _codec = decode_bytes(data, charset)
    text = _CONTROL_RE.sub("", _NEWLINE_RE.sub("\n", text))
    if is_html:
        return html_to_lines(text), defects
    if (part.content_type.get("format") or "").lower() == "flowed":
        delsp = (part.content_type.get("delsp") or "").lower() == "yes"
        text = unflow(text, delsp=delsp)
    return TextLines.from_plain(text), defects


class _Walker:
    def __init__(self) -> None:
        self.text_blocks: list[TextLines] = []
        self.attachments: list[MimePart] = []
        self.reports: list[MimePart] = []
        self.returned: list[MimePart] = []
        self.defects: list[str] = []
        self._cache: dict[int, TextLines] = {}

    def text_of(self, part: MimePart) -> TextLines:
        key = id(part)
        if key not in self._cache:
            lines, defects = part_text(part)
            self._cache[key] = lines
            self.defects.extend(defects)
        return self._cache[key]

    def walk(self, part: MimePart, *, in_report: bool = False, text_wanted: bool = True) -> None:
        if part.maintype == "multipart":
            self._walk_multipart(part, text_wanted=text_wanted)
        elif is_body_text(part):
            if text_wanted:
                self.text_blocks.append(self.text_of(part))
        elif part.mime_type in SIGNATURE_TYPES:
            return
        elif part.mime_type in REPORT_TYPES:
            self.reports.append(part)
        elif in_report and part.mime_type in RETURNED_TYPES:
            self.returned.append(part)
        else:
            self.attachments.append(part)

    def _walk_multipart(self, part: MimePart, *, text_wanted: bool) -> None:
        children = part.children
        if part.mime_type == "multipart/alternative" and children:
            chosen = self._choose_alternative(children) if text_wanted else None
            for child in children:
                self.walk(child, text_wanted=child is chosen)
            return
        in_report = part.mime_type == "multipart/report"
        for child in children:
            self.walk(child, in_report=in_report, text_wanted=text_wanted)

    def _choose_alternative(self, children: tuple[MimePart, ...]) -> MimePart:
        """Prefer non-empty text/plain, then non-empty HTML or nested multipart, else the first."""
        for wanted in ("text/plain", "text/html", "multipart"):
            for child in children:
                if wanted == "multipart" and child.maintype == "multipart":
                    return child
                if child.mime_type == wanted and is_body_text(child) and not self.text_of(child).is_blank():
                    return child
        return children[0]


def _report_lines(parts: list[MimePart]) -> TextLines:
    blocks: list[TextLines] = []
    for part in parts:
        data, _defect = decoded_payload(part)
        text, _codec = decode_bytes(data, part.content_type.get("charset"))
        blocks.append(TextLines.from_plain(_NEWLINE_RE.sub("\n", text).strip("\n")))
    return TextLines.concat(blocks)


def walk_body(root: MimePart) -> BodyParts:
    """Collect the text, attachment parts and report parts of a message."""
    walker = _Walker()
    walker.walk(root)
    text = TextLines.concat(walker.text_blocks)
    if walker.reports:
        text = TextLines.concat([text, TextLines.from_plain(""), _report_lines(walker.reports)])
    return BodyParts(
        text=text,
        attachments=tuple(walker.attachments),
        reports=tuple(walker.reports),
        returned=tuple(walker.returned),
        defects=tuple(dict.fromkeys(walker.defects)),
    )
