"""MIME header parameters (Content-Type, Content-Disposition), including RFC 2231.

RFC 2231 sections (`name*0*=utf-8''%D0%A1...; name*1*=...`) are joined as
bytes before charset decoding, because clients cut a multibyte character
between sections. Plain values may carry RFC 2047 encoded-words (Outlook's
non-standard `name="=?utf-8?B?...?="`) or raw 8-bit bytes.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from mailbot.parse.charsets import decode_bytes
from mailbot.parse.headers import decode_words, unfold

_SECTION_RE = re.compile(r"^(?P<base>[^*]+)(?:\*(?P<number>\d+))?(?P<extended>\*)?$")
_MAX_SECTIONS = 1000


@dataclasses.dataclass(frozen=True)
class HeaderValue:
    """A parsed structured header: its main value (lower case) and decoded parameters."""

    value: str
    params: dict[str, str]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a quoted-string starting after its opening quote; return content and end index."""
    chars: list[str] = []
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    return "".join(chars), index


def _split_raw_params(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split `value; a=1; b="2"` into the value and (name, raw value) pairs."""
    main, _, rest = text.partition(";")
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(rest):
        equals = rest.find("=", index)
        if equals < 0:
            break
        name = rest[index:equals].strip(" \t;").lower()
        value_start = equals + 1
        while value_start < len(rest) and rest[value_start] in " \t":
            value_start += 1
        if value_start < len(rest) and rest[value_start] == '"':
            value, index = _read_quoted(rest, value_start + 1)
            semicolon = rest.find(";", index)
            index = len(rest) if semicolon < 0 else semicolon + 1
        else:
            semicolon = rest.find(";", value_start)
            end = len(rest) if semicolon < 0 else semicolon
            value = rest[value_start:end].strip()
            index = end + 1
        if name and " " not in name:
            pairs.append((name, value))
    return main.strip().lower(), pairs


def _decode_extended(sections: list[tuple[int, bool, str]]) -> str:
    """Join RFC 2231 sections as bytes and decode them with the declared charset."""
    sections.sort(key=lambda section: section[0])
    charset: str | None = None
    data = bytearray()
    for position, (_number, extended, value) in enumerate(sections[:_MAX_SECTIONS]):
        if extended:
            if position == 0 and value.count("'") >= 2:
                charset, _language, value = value.split("'", 2)
            data += urllib.parse.unquote_to_bytes(value)
        else:
            data += value.encode("latin-1", "replace")
    text, _codec = decode_bytes(bytes(data), charset or None)
    return text


def parse_header_value(raw: bytes | None) -> HeaderValue:
    """Parse a structured header value into its main value and decoded parameters."""
    if not raw:
        return HeaderValue("", {})
    text = unfold(raw).decode("latin-1")
    main, pairs = _split_raw_params(text)

    plain: dict[str, str] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for name, value in pairs:
        match = _SECTION_RE.match(name)
        if match is None:
            continue
        base = match.group("base")
        if match.group("number") is None and match.group("extended") is None:
            plain.setdefault(base, value)
            continue
        number = int(match.group("number") or 0)
        extended.setdefault(base, []).append((number, match.group("extended") is not None, value))

    params: dict[str, str] = {}
    for name, value in plain.items():
        params[name] = decode_words(value.encode("latin-1", "replace"))
    for name, sections in extended.items():
        params[name] = _decode_extended(sections)
    return HeaderValue(main, params)
