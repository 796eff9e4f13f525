"""A byte-level MIME tree: header fields, part bodies and multipart nesting.

The tree keeps every leaf part body exactly as it appears in the message,
so attachment sizes and embedded messages are the original octets. Parts
are located by offsets into the message, which no part copies. Broken
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
    """One MIME entity: raw header fields, parsed Content-Type and raw body octets.

    The body is not copied out of the message: the part keeps the whole
    message and where its body lies in it, so a 27 MB attachment part costs
    nothing until it is decoded. A multipart entity with children has an
    empty body; its octets are in the children.
    """

    headers: tuple[tuple[str, bytes], ...]
    content_type: HeaderValue
    source: bytes = dataclasses.field(repr=False)
    span: tuple[int, int] = (0, 0)
    children: tuple[MimePart, ...] = ()
    depth: int = 0

    @property
    def body(self) -> bytes:
        """The raw body octets, copied out of the message on each access."""
        start, stop = self.span
        return self.source[start:stop]

    def body_view(self) -> memoryview:
        """Return the raw body octets without a copy, for decoders that take any buffer."""
        start, stop = self.span
        return memoryview(self.source)[start:stop]

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
                previous_name, previous_value = fields[-1]
                fields[-1] = (previous_name, previous_value + b"\r\n" + line)
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


def _delimiters(source: bytes, first: int, stop: int, boundary: bytes) -> Iterator[tuple[int, int, bool]]:
    """Yield (start, end, closing) of each `--boundary` delimiter line in source[first:stop].

    `start` includes the line break before the delimiter, which belongs to
    the delimiter (RFC 2046 section 5.1.1); `end` is where its line ends.
    A plain find is used instead of a regex because bodies are mostly long
    base64 runs that a regex would test position by position.
    """
    marker = b"--" + boundary
    position = source.find(marker, first, stop)
    while position >= 0:
        if position == first or source[position - 1] == 0x0A:
            after = position + len(marker)
            closing = source.startswith(b"--", after, stop)
            end = after + 2 if closing else after
            while end < stop and source[end] in (0x20, 0x09):
                end += 1
            if end == stop or source[end] in (0x0D, 0x0A):
                start = position
                if position > first:
                    crlf = position - 2 >= first and source[position - 2: position] == b"\r\n"
                    start = position - 2 if crlf else position - 1
                yield start, end, closing
        position = source.find(marker, position + 1, stop)


def _skip_line_break(data: bytes, position: int, stop: int) -> int:
    if data.startswith(b"\r\n", position, stop):
        return position + 2
    if data.startswith(b"\n", position, stop):
        return position + 1
    return position


def _part_spans(source: bytes, first: int, stop: int, boundary: bytes, budget: _Budget) -> list[tuple[int, int]]:
    """Return the (start, end) offsets in `source` of the parts of the multipart body source[first:stop].

    Offsets instead of slices, because a slice copied a 27 MB attachment
    once for every level it is nested in.
    """
    spans: list[tuple[int, int]] = []
    part_start: int | None = None
    closed = False
    for start, end, closing in _delimiters(source, first, stop, boundary):
        if part_start is not None:
            spans.append((part_start, start))
        if closing:
            closed = True
            break
        part_start = _skip_line_break(source, end, stop)
    if not closed and part_start is not None:
        spans.append((part_start, stop))
        budget.defect("multipart without closing boundary")
    return spans


def _head_span(source: bytes, start: int, stop: int) -> tuple[int, int]:
    """Return where the header block of source[start:stop] ends and where its body begins."""
    if source.startswith(b"\r\n", start, stop):
        return start, start + 2
    if source.startswith(b"\n", start, stop):
        return start, start + 1
    match = _HEADER_END_RE.search(source, start, stop)
    if match is None:
        return stop, stop
    return match.start(), match.end()


def _parse_entity(source: bytes, start: int, stop: int, depth: int, default_type: str, budget: _Budget) -> MimePart:
    budget.parts += 1
    head_end, body_start = _head_span(source, start, stop)
    head = source[start:head_end]
    if head and not _looks_like_header_line(head):
        budget.defect("part without header fields")
        head, body_start = b"", start
    fields = parse_header_fields(head, budget)
    content_type = _content_type(fields, default_type, budget)
    if content_type.value.startswith("multipart/"):
        return _parse_multipart(fields, content_type, source, body_start, stop, depth, budget)
    return MimePart(fields, content_type, source, (body_start, stop), (), depth)


def _parse_multipart(
    fields: tuple[tuple[str, bytes], ...],
    content_type: HeaderValue,
    source: bytes,
    body_start: int,
    stop: int,
    depth: int,
    budget: _Budget,
) -> MimePart:
    """Parse a multipart entity; one with children keeps an empty body, its octets live in the children."""
    boundary = (content_type.get("boundary") or "").encode("utf-8", "replace")
    if depth >= budget.max_depth:
        budget.defect("MIME nesting deeper than %d not parsed" % budget.max_depth)
        return MimePart(fields, content_type, source, (body_start, stop), (), depth)
    spans = _part_spans(source, body_start, stop, boundary, budget) if boundary else []
    if not spans:
        budget.defect("multipart without parts, read as text")
        text_type = HeaderValue("text/plain", content_type.params)
        return MimePart(fields, text_type, source, (body_start, stop), (), depth)

    child_default = "message/rfc822" if content_type.value == "multipart/digest" else "text/plain"
    children: list[MimePart] = []
    for part_start, part_stop in spans:
        if budget.parts >= MAX_PARTS:
            budget.defect("too many MIME parts")
            break
        children.append(_parse_entity(source, part_start, part_stop, depth + 1, child_default, budget))
    return MimePart(fields, content_type, source, (stop, stop), tuple(children), depth)


def parse_tree(raw: bytes, *, max_depth: int) -> tuple[MimePart, list[str]]:
    """Parse a whole message into its MIME tree and the structural defects found."""
    budget = _Budget(max_depth=max(0, min(max_depth, HARD_MAX_DEPTH)))
    root = _parse_entity(raw, 0, len(raw), 0, "text/plain", budget)
    return root, budget.defects


def parse_embedded_headers(raw: bytes) -> tuple[tuple[str, bytes], ...]:
    """Return the header fields of an embedded message (message/rfc822, text/rfc822-headers)."""
    head, _body = split_head(raw.lstrip(b"\r\n"))
    return parse_header_fields(head)
