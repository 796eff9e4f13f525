"""Attachment file names: decoding from MIME parameters and sanitising for display."""

from __future__ import annotations

import mimetypes
import unicodedata

from mailbot.parse.mime import MimePart
from mailbot.parse.params import parse_header_value

MAX_FILENAME_BYTES = 255
_FORBIDDEN = str.maketrans({char: "_" for char in '<>:"|?*'})
# Device names that Windows refuses as file names, with or without extension.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CLOCK$"]
    + ["COM%d" % number for number in range(1, 10)]
    + ["LPT%d" % number for number in range(1, 10)]
)
_FALLBACK_EXTENSIONS = {
    "message/rfc822": ".eml",
    "text/plain": ".txt",
    "image/jpeg": ".jpg",
    "application/octet-stream": ".bin",
}


def declared_filename(part: MimePart) -> str:
    """Return the file name a part declares: Content-Disposition filename wins over Content-Type name."""
    disposition = parse_header_value(part.header("content-disposition"))
    return disposition.get("filename") or part.content_type.get("name") or ""


def _strip_unsafe_chars(name: str) -> str:
    """Drop control and format characters (bidi overrides, zero-width) and forbidden punctuation."""
    kept = [char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co")]
    return "".join(kept).translate(_FORBIDDEN)


def _truncate(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    suffix = "." + extension if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    truncated = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return truncated + suffix


def fallback_filename(content_type: str, stem: str = "attachment") -> str:
    """Build a name for a part that declares none, from its content type."""
    extension = _FALLBACK_EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
    return stem + extension


def sanitize_filename(name: str, content_type: str) -> str:
    """Make a declared file name safe to show and store.

    Directory parts are dropped (both slash kinds), control, format and
    Windows-forbidden characters removed or replaced, leading and trailing
    dots and spaces trimmed, Windows device names prefixed with "_", and the
    name cut to 255 UTF-8 bytes keeping its extension. An empty result is
    replaced by a name built from the content type.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    name = " ".join(_strip_unsafe_chars(name).split())
    name = name.strip(" .")
    if not name:
        return fallback_filename(content_type)
    if name.split(".", 1)[0].strip().upper() in _RESERVED:
        name = "_" + name
    return _truncate(name)
