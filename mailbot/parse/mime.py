"""A byte-level MIME tree: header fields, part bodies and multipart nesting.

The tree keeps every part body exactly as it appears in the message, so
attachment sizes and embedded messages are the original octets. Broken
structure (missing boundaries, no closing delimiter, parts without headers)
is recorded as defects instead of raising.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from mailbot.parse.params import HeaderValue, parse_header_value

# Python's default recursion limit is 1000 frames and each nesting level
# costs a few, so a caller's max_depth is capped here.
HARD_MAX_DEPTH = 200
MAX_HEADER_FIELDS = 2000
MAX_PARTS = 5000

_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_HEADER_NAME_RE = re.compile(rb"^[!-9;-~]+$")


@dataclasses.dataclass(frozen=True)
class MimePart:
    """One MIME entity: raw header fields, parsed Content-Type and raw body octets."""

    headers: tuple[tuple[str, bytes], ...]
    content_type: HeaderValue
    body: bytes
    children: tuple[MimePart, ...] = ()
    depth: int = 0

    @property
    def mime_type(self) -> str:
        return self.content_type.value

    @property
    def maintype(self) -> str:
        return self.content_type.value.partition("/")[0]

    def header(self, name: str) -> bytes | None:
        """Return the raw value of the first header field called `name` (lower case)."""
        for field_name, value in self.headers:
            if field_name == name:
                return value
        return None

    def header_all(self, name: str) -> list[bytes]:
        """Return the raw values of every header field called `name` (lower case)."""
        return [value for field_name, value in self.headers if field_name == name]


@dataclasses.dataclass
class _Budget:
    """Shared counters while one message is split, so hostile input stays bounded."""

    max_depth: int
    parts: int = 0
    defects: list[str] = dataclasses.field(default_factory=list)

    def defect(self, text: str) -> None:
        if text not in self.defects and len(self.defects) < 100:
            self.defects.append(text)


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """Split an entity into its header block and body at the first empty line."""
    if raw.startswith(b"\r\n"):
        return b"", raw[2:]
    if raw.startswith(b"\n"):
        return b"", raw[1:]
    match = _HEADER_END_RE.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.end():]


def parse_header_fields(head: bytes, budget: _Budget | None = None) -> tuple[tuple[str, bytes], ...]:
    """Parse a header block into (lower-case name, raw value with folding) pairs."""
    fields: list[tuple[str, bytes]] = []
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            if fields:
                name, value = fields[-1]
                fields[-1] = (name, value + b"\r\n" + line)
            continue
        name, separator, value = line.partition(b":")
        name = name.rstrip(b" \t")
        if not separator or not _HEADER_NAME_RE.match(name):
            if line.strip() and budget is not None and not line.startswith(b"From "):
                budget.defect("malformed header line skipped")
            continue
        if len(fields) >= MAX_HEADER_FIELDS:
            if budget is not None:
                budget.defect("too many header fields")
            break
        fields.append((name.decode("ascii").lower(), value.lstrip(b" \t")))
    return tuple(fields)


def _looks_like_header_line(head: bytes) -> bool:
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    name, separator, _value = first_line.partition(b":")
    return bool(separator) and bool(_HEADER_NAME_RE.match(name.rstrip(b" \t")))


def _content_type(fields: tuple[tuple[str, bytes], ...], default: str, budget: _Budget) -> HeaderValue:
    raw = next((value for name, value in fields if name == "content-type"), None)
    parsed = parse_header_value(raw)
    main = parsed.value.split("(", 1)[0].strip()
    if raw is None or not main:
        return HeaderValue(default, parsed.params)
    if main.count("/") != 1 or " " in main:
        budget.defect("invalid content type")
        return HeaderValue("application/octet-stream" if "/" in main else default, parsed.params)
    return HeaderValue(main, parsed.params)


def _delimiters(body: bytes, boundary: bytes) -> Iterator[tuple[int, int, bool]]:
    """Yield (start, end, closing) of each `--boundary` delimiter line in `body`.

    `start` includes the line break before the delimiter, which belongs to
    the delimiter (RFC 2046 section 5.1.1); `end` is where its line ends.
    A plain find is used instead of a regex because bodies are mostly long
    base64 runs that a regex would test position by position.
    """
    marker = b"--" + boundary
    position = body.find(marker)
    while position >= 0:
        if position == 0 or body[position - 1] == 0x0A:
            after = position + len(marker)
            closing = body.startswith(b"--", after)
            end = after + 2 if closing else after
            while end < len(body) and body[end] in (0x20, 0x09):
                end += 1
            if end == len(body) or body[end] in (0x0D, 0x0A):
                start = position
                if position > 0:
                    start = position - 2 if body[position - 2: position] == b"\r\n" else position - 1
                yield start, end, closing
        position = body.find(marker, position + 1)


def _skip_line_break(data: bytes, position: int) -> int:
    if data.startswith(b"\r\n", position):
        return position + 2
    if data.startswith(b"\n", position):
        return position + 1
    return position


def split_multipart(body: bytes, boundary: bytes, budget: _Budget) -> list[bytes]:
    """Return the raw bodies of a multipart's parts; an unclosed last part runs to the end."""
    parts: list[bytes] = []
    part_start: int | None = None
    closed = False
    for start, end, closing in _delimiters(body, boundary):
        if part_start is not None:
            parts.append(body[part_start:start])
        if closing:
            closed = True
            break
        part_start = _skip_line_break(body, end)
    if not closed and part_start is not None:
        parts.append(body[part_start:])
        budget.defect("multipart without closing boundary")
    return parts


def _parse_entity(raw: bytes, depth: int, default_type: str, budget: _Budget) -> MimePart:
    budget.parts += 1
    head, body = split_head(raw)
    if head and not _looks_like_header_line(head):
        budget.defect("part without header fields")
        head, body = b"", raw
    fields = parse_header_fields(head, budget)
    content_type = _content_type(fields, default_type, budget)
    if content_type.value.startswith("multipart/"):
        return _parse_multipart(fields, content_type, body, depth, budget)
    return MimePart(fields, content_type, body, (), depth)


def _parse_multipart(
    fields: tuple[tuple[str, bytes], ...],
    content_type: HeaderValue,
    body: bytes,
    depth: int,
    budget: _Budget,
) -> MimePart:
    boundary = (content_type.get("boundary") or "").encode("utf-8", "replace")
    if depth >= budget.max_depth:
        budget.defect("MIME nesting deeper than %d not parsed" % budget.max_depth)
        return MimePart(fields, content_type, body, (), depth)
    raw_parts = split_multipart(body, boundary, budget) if boundary else []
    if not raw_parts:
        budget.defect("multipart without parts, read as text")
        return MimePart(fields, HeaderValue("text/plain", content_type.params), body, (), depth)

    child_default = "message/rfc822" if content_type.value == "multipart/digest" else "text/plain"
    children: list[MimePart] = []
    for raw_part in raw_parts:
        if budget.parts >= MAX_PARTS:
            budget.defect("too many MIME parts")
            break
        children.append(_parse_entity(raw_part, depth + 1, child_default, budget))
    return MimePart(fields, content_type, body, tuple(children), depth)


def parse_tree(raw: bytes, *, max_depth: int) -> tuple[MimePart, list[str]]:
    """Parse a whole message into its MIME tree and the structural defects found."""
    budget = _Budget(max_depth=max(0, min(max_depth, HARD_MAX_DEPTH)))
    root = _parse_entity(raw, 0, "text/plain", budget)
    return root, budget.defects


def parse_embedded_headers(raw: bytes) -> tuple[tuple[str, bytes], ...]:
    """Return the header fields of an embedded message (message/rfc822, text/rfc822-headers)."""
    head, _body = split_head(raw.lstrip(b"\r\n"))
    return parse_header_fields(head)
