"""The new text of a reply: the decoded text without quoted history.

Quoted history is (1) lines behind `>` or initials prefixes such as `СИ>`,
and `<blockquote>` content, and (2) a quote header with what it introduces.
When the header is followed by prefixed lines, only those lines are history
and the sender's text around them stays (interleaved and bottom-posted
replies). When it is not (Outlook, Lotus Notes), everything below it is
history, unless the message is a forward: forwarded material is part of the
request and stays. The sender's own signature after a `-- ` line and
mobile-client footers are removed too. If nothing would remain, the whole
text is returned.
"""

from __future__ import annotations

import re

from mailbot.parse.textlines import TextLines

_PREFIX_RE = re.compile(r"^[ \t]*(?:>|[A-ZА-ЯЁ][A-Za-zА-Яа-яЁё]{0,2}>)")
_ORIGINAL_MESSAGE_RE = re.compile(
    r"^\s*-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение|исходное письмо)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_WROTE_RE = re.compile(r"(?:пишет|написала?|написал\(а\)|wrote|writes)\s*:\s*$", re.IGNORECASE)
# The verb alone on a line: the client wrapped a long attribution line before it.
_WROTE_ALONE_RE = re.compile(r"^\s*(?:пишет|написала?|написал\(а\)|wrote|writes)\s*:\s*$", re.IGNORECASE)
_YOU_WROTE_RE = re.compile(r"^\s*(?:вы писали|you wrote)\b.*:\s*$", re.IGNORECASE)
_FIELD_FROM_RE = re.compile(r"^\s*\*?\s*(?:от кого|от|отправитель|from)\s*\*?\s*:", re.IGNORECASE)
_FIELD_OTHER_RE = re.compile(
    r"^\s*\*?\s*(?:отправлено|дата|кому|копия|тема|важность|sent|date|to|cc|subject|importance)\s*\*?\s*:",
    re.IGNORECASE,
)
_SEPARATOR_RE = re.compile(r"^\s*(?:_{10,}|-{10,}|={10,})\s*$")
# A client's attribution line: "чт, 12 мар. 2026 г. в 14:02, Служба ИТ <it@...>:".
# It counts only when prefixed or <blockquote> lines follow it.
_ATTRIBUTION_DATE_RE = re.compile(r"(?:19|20)\d\d|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_ATTRIBUTION_WHO_RE = re.compile(r"@|\d{1,2}:\d{2}")
_FORWARD_RE = re.compile(
    r"(?:пересылаемое сообщение|пересланное сообщение|перенаправленное сообщение|"
    r"начало переадресованного сообщения|текст исходного сообщения|"
    r"forwarded message|begin forwarded message|forwarded by)",
    re.IGNORECASE,
)
_FORWARD_SUBJECT_RE = re.compile(
    r"^\s*(?:fwd?|пересл\.?|переслано|перес\.?|wg|tr)\s*(?:\[\d+\]|\(\d+\))?\s*:", re.IGNORECASE
)
_FOOTER_RE = re.compile(
    r"^\s*(?:отправлено (?:с|из) .{1,60}|sent from (?:my )?.{1,60}|get outlook for .{1,30}|"
    r"получено с помощью .{1,60})$",
    re.IGNORECASE,
)
_MAX_HEADER_FIELDS = 8
_MAX_ATTRIBUTION_LENGTH = 300
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def is_forward_subject(subject: str) -> bool:
    """Tell whether the subject's first prefix marks a forward (FW:, Fwd:, Пересл.:)."""
    return bool(_FORWARD_SUBJECT_RE.match(subject))


def _is_forward_marker(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > 160 or not _FORWARD_RE.search(stripped):
        return False
    return stripped[:1] in "-=_<>" or stripped.endswith((":", "-", "="))


def _outlook_block_end(lines: tuple[str, ...], start: int) -> int | None:
    """Return the last line of an `От:/Отправлено:/Кому:/Тема:` block starting at `start`."""
    if not _FIELD_FROM_RE.match(lines[start]):
        return None
    fields = 0
    end = start
    for index in range(start + 1, min(len(lines), start + 1 + _MAX_HEADER_FIELDS)):
        if not _FIELD_OTHER_RE.match(lines[index]):
            break
        fields += 1
        end = index
    return end if fields >= 2 else None


def _is_attribution(line: str) -> bool:
    stripped = line.strip()
    return (
        stripped.endswith(":")
        and len(stripped) <= _MAX_ATTRIBUTION_LENGTH
        and bool(_ATTRIBUTION_DATE_RE.search(stripped))
        and bool(_ATTRIBUTION_WHO_RE.search(stripped))
    )


def _match_header(text: TextLines, index: int) -> tuple[int, int, bool] | None:
    """Match a quote header at `index`: return (first line, last line, strong) or None.

    A strong header ends the new text even without prefixed lines after it.
    """
    lines = text.lines
    line = lines[index]
    block_end = _outlook_block_end(lines, index)
    if index in text.header_starts or block_end is not None or _ORIGINAL_MESSAGE_RE.match(line):
        start = index - 1 if index > 0 and _SEPARATOR_RE.match(lines[index - 1]) else index
        return start, block_end if block_end is not None else index, True
    if _YOU_WROTE_RE.match(line):
        return index, index, True
    if _WROTE_RE.search(line) and len(line) <= _MAX_ATTRIBUTION_LENGTH:
        wrapped = bool(_WROTE_ALONE_RE.match(line)) and index > 0 and lines[index - 1].strip() != ""
        return (index - 1 if wrapped else index), index, True
    if _is_attribution(line):
        return index, index, False
    return None


def _next_content_line(lines: tuple[str, ...], after: int) -> int | None:
    for index in range(after + 1, len(lines)):
        if lines[index].strip():
            return index
    return None


def _is_signature_delimiter(line: str) -> bool:
    return line in ("--", "-- ") or line.rstrip() == "--"


def _remove_signatures(lines: tuple[str, ...], keep: list[bool], stop: int) -> None:
    """Drop the sender's signature: from a `-- ` line to the next removed line or `stop`."""
    index = 0
    while index < stop:
        if keep[index] and _is_signature_delimiter(lines[index]):
            while index < stop and keep[index]:
                keep[index] = False
                index += 1
            continue
        index += 1


def _mark_history(text: TextLines, quoted: list[bool], keep: list[bool], *, forwarded: bool) -> int:
    """Mark quoted history as not kept; return the index where forwarded material begins."""
    lines = text.lines
    index = 0
    while index < len(lines):
        if quoted[index]:
            keep[index] = False
            index += 1
            continue
        if _is_forward_marker(lines[index]):
            return index
        header = _match_header(text, index)
        if header is None:
            index += 1
            continue
        start, end, strong = header
        following = _next_content_line(lines, end)
        if following is not None and quoted[following]:
            for position in range(start, end + 1):
                keep[position] = False
            index = end + 1
            continue
        if strong:
            if forwarded:
                return start
            for position in range(start, len(lines)):
                keep[position] = False
            return len(lines)
        index += 1
    return len(lines)


def strip_quotes(text: TextLines, *, forwarded: bool = False) -> str:
    """Return the new content of a message: `text` without quoted history.

    `forwarded` is true for a forward (by subject), whose quote-style headers
    introduce the forwarded request rather than history.
    """
    lines = text.lines
    if not lines:
        return ""
    quoted = [depth > 0 or bool(_PREFIX_RE.match(line)) for line, depth in zip(lines, text.quote_depths)]
    keep = [True] * len(lines)
    stop = _mark_history(text, quoted, keep, forwarded=forwarded)
    _remove_signatures(lines, keep, stop)
    for index in range(stop):
        if keep[index] and _FOOTER_RE.match(lines[index]):
            keep[index] = False

    kept = [line for line, flag in zip(lines, keep) if flag]
    reply = _BLANK_RUN_RE.sub("\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return reply if reply else text.text.strip()
