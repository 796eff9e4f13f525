"""Ticket tags in subjects: `[IT-2026-00042]` gives the ticket number IT-2026-00042."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=32)
def _tag_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(r"\[\s*(" + re.escape(prefix) + r")-(\d{4})-(\d{5})\s*\]", re.IGNORECASE)


def find_ticket_number(subject: str, prefix: str = "IT") -> str | None:
    """Return `PREFIX-YYYY-NNNNN` from the first `[PREFIX-YYYY-NNNNN]` tag in a decoded subject.

    The prefix is matched case-insensitively and returned as given; a number
    outside square brackets is not a tag.
    """
    if not subject or not prefix:
        return None
    match = _tag_pattern(prefix).search(subject)
    if match is None:
        return None
    return "%s-%s-%s" % (prefix, match.group(2), match.group(3))
