"""HTML mail bodies to readable plain text (Outlook/Word, web mail, mobile clients).

Markup, `<head>`, `<style>`, `<script>` and comments (which include Word's
conditional comments) are dropped, entities are decoded by the parser, block
elements become line breaks, list items get markers and table cells are
separated by tabs. Lines inside `<blockquote>` keep their nesting depth and
Outlook's reply-header block is marked, so that quote stripping can use them.
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from mailbot.parse.textlines import TextLines

logger = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li "
    "main nav ol p pre section summary table tbody tfoot thead tr ul".split()
)
_SKIP_TAGS = frozenset(
    "head script style title meta link noscript template xml object embed iframe svg "
    "math select option button input textarea".split()
)
_WHITESPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
# Outlook desktop opens the quoted header with a <div> whose only border is a
# top rule (style="border:none;border-top:solid #E1E1E1 1.0pt;padding:...").
_OUTLOOK_BORDER_RE = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)
_OUTLOOK_HEADER_IDS = frozenset(("divrplyfwdmsg", "x_divrplyfwdmsg"))
_MAX_BLANK_RUN = 1

_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, remove_blank_text=False
)


class _Writer:
    """Collects text fragments into lines with their quote depth and header mark."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, int, bool]] = []
        self.fragments: list[str] = []
        self.line_depth = 0
        self.line_header = False
        self.depth = 0
        self.pending_header = False

    def write(self, text: str, *, preformatted: bool = False) -> None:
        if not text:
            return
        if not preformatted:
            self._write_line_part(_WHITESPACE_RE.sub(" ", text))
            return
        first, *rest = text.replace("\r\n", "\n").split("\n")
        self._write_line_part(first)
        for line in rest:
            self.break_line(force=True)
            self._write_line_part(line)

    def _write_line_part(self, text: str) -> None:
        if not text:
            return
        if not self.fragments:
            self.line_depth = self.depth
            self.line_header = self.pending_header and text.strip(" \t") != ""
            if self.line_header:
                self.pending_header = False
        self.fragments.append(text)

    def has_content(self) -> bool:
        return any(fragment.strip(" \t") for fragment in self.fragments)

    def break_line(self, *, force: bool = False) -> None:
        """End the current line; without `force` an empty line is not emitted."""
        if self.has_content() or force:
            text = "".join(self.fragments)
            self.lines.append((text, self.line_depth if self.fragments else self.depth, self.line_header))
        self.fragments = []
        self.line_header = False

    def result(self) -> TextLines:
        self.break_line()
        lines: list[str] = []
        depths: list[int] = []
        headers: set[int] = set()
        blank_run = 0
        for text, depth, header in self.lines:
            cleaned = text.replace("\xa0", " ").strip(" \t")
            blank_run = blank_run + 1 if not cleaned else 0
            if blank_run > _MAX_BLANK_RUN or (not cleaned and not lines):
                continue
            if header:
                headers.add(len(lines))
            lines.append(cleaned)
            depths.append(depth)
        while lines and not lines[-1]:
            lines.pop()
            depths.pop()
        return TextLines(tuple(lines), tuple(depths), frozenset(index for index in headers if index < len(lines)))


def _is_outlook_header(element: etree._Element) -> bool:
    if element.tag != "div":
        return False
    element_id = (element.get("id") or "").lower()
    if element_id in _OUTLOOK_HEADER_IDS:
        return True
    style = element.get("style") or ""
    return bool(_OUTLOOK_BORDER_RE.search(style)) and "border:none" in style.replace(" ", "").lower()


class _Renderer:
    """Walks an lxml tree once, without recursion, and feeds a _Writer."""

    def __init__(self) -> None:
        self.writer = _Writer()
        self.preformatted = 0
        self.list_counters: list[int | None] = []

    def start(self, element: etree._Element, tag: str) -> None:
        writer = self.writer
        if tag in _BLOCK_TAGS:
            writer.break_line()
        if tag == "blockquote":
            writer.depth += 1
        elif tag == "pre":
            self.preformatted += 1
        elif tag in ("ul", "ol"):
            self.list_counters.append(0 if tag == "ol" else None)
        elif tag == "li":
            self._list_marker()
        elif tag in ("td", "th") and writer.has_content():
            writer.fragments.append("\t")
        elif tag == "br":
            writer.break_line(force=True)
        if _is_outlook_header(element):
            writer.break_line()
            writer.pending_header = True
        writer.write(element.text or "", preformatted=self.preformatted > 0)

    def _list_marker(self) -> None:
        counter = self.list_counters[-1] if self.list_counters else None
        if counter is None:
            self.writer.write("- ")
            return
        self.list_counters[-1] = counter + 1
        self.writer.write("%d. " % (counter + 1))

    def end(self, tag: str) -> None:
        writer = self.writer
        if tag in _BLOCK_TAGS:
            writer.break_line()
        if tag == "blockquote":
            writer.depth = max(0, writer.depth - 1)
        elif tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)
        elif tag in ("ul", "ol") and self.list_counters:
            self.list_counters.pop()

    def render(self, root: etree._Element) -> TextLines:
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, element in walker:
            tag = element.tag if isinstance(element.tag, str) else ""
            tag = tag.rsplit("}", 1)[-1].lower()
            if event == "start":
                if tag in _SKIP_TAGS or not tag:
                    walker.skip_subtree()
                    continue
                self.start(element, tag)
            else:
                if tag and tag not in _SKIP_TAGS:
                    self.end(tag)
                self.writer.write(element.tail or "", preformatted=self.preformatted > 0)
        return self.writer.result()


def _fallback_text(html: str) -> TextLines:
    """Strip tags with a regex when lxml cannot build a tree at all."""
    text = _TAG_RE.sub(" ", html)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return TextLines.from_plain("\n".join(lines))


def html_to_lines(html: str) -> TextLines:
    """Convert an HTML body to text lines with blockquote depths and header marks."""
    html = _XML_DECLARATION_RE.sub("", html.replace("\x00", ""), count=1)
    if not html.strip():
        return TextLines()
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.LxmlError, ValueError):
        logger.debug("lxml could not parse an HTML body, stripping tags instead")
        return _fallback_text(html)
    if root is None:
        return _fallback_text(html)
    return _Renderer().render(root)


def html_to_text(html: str) -> str:
    """Convert an HTML body to readable plain text."""
    return html_to_lines(html).text
