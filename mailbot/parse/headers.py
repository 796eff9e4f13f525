"""Header field decoding: unfolding, RFC 2047 encoded-words, addresses, ids, dates.

Header values arrive as raw bytes because mailers put 8-bit text into
headers without encoding it. Every function here returns text and does not
raise on malformed input.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import re

from mailbot.parse.charsets import decode_bytes, normalize_charset
from mailbot.parse.model import Address

# An RFC 2047 encoded-word. Whitespace inside the text is not allowed by the
# RFC, and the charset may carry an RFC 2231 language suffix (utf-8*ru).
_ENCODED_WORD_RE = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_FOLD_RE = re.compile(rb"\r?\n([ \t])")
_LINE_BREAK_RE = re.compile(rb"[\r\n]+")
_Q_ESCAPE_RE = re.compile(rb"=([0-9A-Fa-f]{2})")
_MSG_ID_RE = re.compile(r"<([^<>\s]+)>")
_COMMENT_RE = re.compile(r"\([^()]*\)")

_MAX_HEADER_BYTES = 64 * 1024


def unfold(raw: bytes) -> bytes:
    """Remove header folding: a line break plus one blank becomes a single space."""
    unfolded = _FOLD_RE.sub(b" ", raw[:_MAX_HEADER_BYTES])
    return _LINE_BREAK_RE.sub(b" ", unfolded)


def _decode_b(text: bytes) -> bytes:
    padded = text + b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded)
    except (binascii.Error, ValueError):
        usable = text[: len(text) - len(text) % 4]
        try:
            return base64.b64decode(usable)
        except (binascii.Error, ValueError):
            return b""


def _decode_q(text: bytes) -> bytes:
    return _Q_ESCAPE_RE.sub(lambda match: bytes([int(match.group(1), 16)]), text.replace(b"_", b" "))


def _split_words(value: bytes) -> list[tuple[str | None, bytes]]:
    """Split a header value into (charset, payload bytes) runs; charset None marks plain text.

    Whitespace between two encoded-words is dropped, and adjacent words of one
    charset are merged so that a character cut between words joins again.
    """
    runs: list[tuple[str | None, bytes]] = []
    position = 0
    for match in _ENCODED_WORD_RE.finditer(value):
        gap = value[position:match.start()]
        previous_is_word = bool(runs) and runs[-1][0] is not None
        if gap and not (previous_is_word and not gap.strip(b" \t")):
            runs.append((None, gap))
        charset = match.group(1).decode("ascii", "replace").split("*", 1)[0].lower()
        payload = _decode_b(match.group(3)) if match.group(2) in b"Bb" else _decode_q(match.group(3))
        if runs and runs[-1][0] is not None and _same_charset(runs[-1][0], charset):
            runs[-1] = (runs[-1][0], runs[-1][1] + payload)
        else:
            runs.append((charset, payload))
        position = match.end()
    if position < len(value):
        runs.append((None, value[position:]))
    return runs


def _same_charset(first: str | None, second: str) -> bool:
    return first == second or normalize_charset(first) == normalize_charset(second)


def decode_words(value: bytes) -> str:
    """Decode a header value (already unfolded) with encoded-words and raw 8-bit text."""
    parts: list[str] = []
    for charset, payload in _split_words(value):
        text, _codec = decode_bytes(payload, charset)
        parts.append(text)
    return "".join(parts)


def decode_header(raw: bytes | None) -> str:
    """Return the decoded text of one raw header value; "" for None."""
    if not raw:
        return ""
    return decode_words(unfold(raw)).strip()


def decode_plain(raw: bytes | None) -> str:
    """Return a raw header value as text without decoding encoded-words (ids, dates)."""
    if not raw:
        return ""
    text, _codec = decode_bytes(unfold(raw))
    return text.strip()


def parse_addresses(raw: bytes | None) -> tuple[Address, ...]:
    """Parse an address list header into Address values with decoded display names."""
    if not raw:
        return ()
    text, _codec = decode_bytes(unfold(raw))
    try:
        pairs = email.utils.getaddresses([text])
    except (ValueError, IndexError, TypeError):
        return ()
    addresses: list[Address] = []
    for name, address in pairs:
        address = address.strip()
        if not address and not name:
            continue
        display = decode_words(name.encode("utf-8", "surrogateescape")).strip() if name else ""
        addresses.append(Address(name=display, address=address))
    return tuple(addresses)


def first_address(raw: bytes | None) -> Address | None:
    """Return the first mailbox of an address header, or None."""
    addresses = parse_addresses(raw)
    for address in addresses:
        if "@" in address.address:
            return address
    return addresses[0] if addresses else None


def parse_message_ids(raw: bytes | None) -> tuple[str, ...]:
    """Return the angle-bracketed message ids of a header (References, In-Reply-To)."""
    if not raw:
        return ()
    text = decode_plain(raw)
    return tuple("<%s>" % found for found in _MSG_ID_RE.findall(text))


def parse_message_id(raw: bytes | None) -> str | None:
    """Return the Message-ID in angle brackets; a bare id is bracketed, missing is None."""
    ids = parse_message_ids(raw)
    if ids:
        return ids[0]
    text = decode_plain(raw)
    if not text or any(char.isspace() for char in text):
        return None
    return "<%s>" % text.strip("<>")


def parse_date(raw: bytes | None) -> datetime.datetime | None:
    """Return the Date header as an aware datetime; None when missing or invalid.

    A date without a usable zone (RFC 5322 `-0000`) is taken as UTC.
    """
    text = decode_plain(raw)
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_COMMENT_RE.sub("", text).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def parse_return_path(raw: bytes | None) -> str | None:
    """Return the Return-Path address: None if absent, "" for the null sender `<>`."""
    if raw is None:
        return None
    text = decode_plain(raw)
    match = re.search(r"<([^<>]*)>", text)
    address = match.group(1) if match else text
    return address.strip()
