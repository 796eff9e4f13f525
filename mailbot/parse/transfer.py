"""Undo Content-Transfer-Encoding on raw bytes, leniently.

Decoding works on bytes, so a quoted-printable soft line break that falls
between the bytes of one UTF-8 character joins them back before any charset
decoding happens.
"""

from __future__ import annotations

import binascii
import re

_BASE64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/]")
_UUENCODE_BEGIN_RE = re.compile(rb"^begin [0-7]{3,4} ", re.MULTILINE)


def decode_base64(data: bytes | memoryview) -> tuple[bytes, bool]:
    """Decode base64, ignoring junk and bad padding; return the bytes and whether it was clean."""
    try:
        return binascii.a2b_base64(data), True
    except binascii.Error:
        pass
    data = bytes(data)
    alphabet_only = _BASE64_JUNK_RE.sub(b"", data.split(b"=", 1)[0] if b"=" in data else data)
    usable = len(alphabet_only) - len(alphabet_only) % 4
    remainder = alphabet_only[usable:]
    if len(remainder) >= 2:
        alphabet_only = alphabet_only[:usable] + remainder + b"=" * (4 - len(remainder))
    else:
        alphabet_only = alphabet_only[:usable]
    try:
        return binascii.a2b_base64(alphabet_only), False
    except binascii.Error:
        return b"", False


def decode_quoted_printable(data: bytes) -> bytes:
    """Decode quoted-printable; soft breaks join bytes, invalid escapes stay literal."""
    return binascii.a2b_qp(data)


def decode_uuencode(data: bytes) -> tuple[bytes, bool]:
    """Decode an x-uuencode body (the lines between `begin` and `end`)."""
    match = _UUENCODE_BEGIN_RE.search(data)
    lines = data[match.end():].splitlines()[1:] if match else data.splitlines()
    output = bytearray()
    clean = True
    for line in lines:
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            output += binascii.a2b_uu(line)
        except binascii.Error:
            clean = False
    return bytes(output), clean


def decode_transfer(data: bytes | memoryview, encoding: str) -> tuple[bytes, str | None]:
    """Decode `data` by Content-Transfer-Encoding; return the bytes and a defect or None.

    Unknown encodings (and 7bit, 8bit, binary) leave the bytes as they are.
    """
    name = encoding.strip().lower()
    if name == "base64":
        decoded, clean = decode_base64(data)
        return decoded, None if clean else "invalid base64 repaired"
    if isinstance(data, memoryview):
        data = data.tobytes()
    if name == "quoted-printable":
        return decode_quoted_printable(data), None
    if name in ("x-uuencode", "uuencode", "x-uue", "uue"):
        decoded, clean = decode_uuencode(data)
        return decoded, None if clean else "invalid uuencode lines skipped"
    if name in ("", "7bit", "8bit", "binary"):
        return data, None
    return data, "unknown transfer encoding %s" % name[:40]
