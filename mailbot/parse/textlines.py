"""Decoded body text as lines, with the quoting that HTML structure revealed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


@dataclasses.dataclass(frozen=True)
class TextLines:
    """Body text split into lines.

    `quote_depths` holds the `<blockquote>` nesting of each line (always 0 for
    text that came from text/plain), and `header_starts` the indexes of lines
    that open an HTML reply-header block such as Outlook's bordered `<div>` or
    `divRplyFwdMsg`.
    """

    lines: tuple[str, ...] = ()
    quote_depths: tuple[int, ...] = ()
    header_starts: frozenset[int] = frozenset()

    @classmethod
    def from_plain(cls, text: str) -> TextLines:
        lines = tuple(text.split("\n"))
        return cls(lines, (0,) * len(lines), frozenset())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def is_blank(self) -> bool:
        return not any(line.strip() for line in self.lines)

    @classmethod
    def concat(cls, blocks: Iterable[TextLines]) -> TextLines:
        """Join several blocks (text parts of one message) into one."""
        lines: list[str] = []
        depths: list[int] = []
        headers: set[int] = set()
        for block in blocks:
            if not block.lines:
                continue
            offset = len(lines)
            lines.extend(block.lines)
            depths.extend(block.quote_depths)
            headers.update(offset + index for index in block.header_starts)
        return cls(tuple(lines), tuple(depths), frozenset(headers))
