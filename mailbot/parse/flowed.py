"""RFC 3676 format=flowed decoding, including DelSp=yes."""

from __future__ import annotations

_SIGNATURE_SEPARATOR = "-- "


def _split_quote(line: str) -> tuple[int, str]:
    depth = len(line) - len(line.lstrip(">"))
    content = line[depth:]
    if content.startswith(" "):
        content = content[1:]  # space-stuffing or the blank after the quote marks
    return depth, content


def _render(depth: int, text: str) -> str:
    return (">" * depth + " " + text) if depth else text


def unflow(text: str, *, delsp: bool) -> str:
    """Join soft-broken lines of format=flowed text.

    A line ending in a space continues on the next line of the same quote
    depth; with DelSp=yes that trailing space was added by the sender and is
    removed, so a word broken in the middle joins without a gap. The
    signature separator "-- " is never flowed.
    """
    output: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0
    for line in text.split("\n"):
        depth, content = _split_quote(line)
        flowed = content.endswith(" ") and content != _SIGNATURE_SEPARATOR
        if flowed and delsp:
            content = content[:-1]
        if paragraph and depth != paragraph_depth:
            output.append(_render(paragraph_depth, "".join(paragraph)))
            paragraph = []
        paragraph_depth = depth
        paragraph.append(content)
        if not flowed:
            output.append(_render(depth, "".join(paragraph)))
            paragraph = []
    if paragraph:
        output.append(_render(paragraph_depth, "".join(paragraph)))
    return "\n".join(output)
