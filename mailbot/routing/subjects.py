"""Subject normalisation for thread matching.

Reply and forward prefixes of Russian and English clients never matter:
Outlook writes "RE:", "FW:", "Ответ:", "НА:", "Отв:" and "Пересл.:", The Bat!
and older clients write "Re[2]:" or "Re(2):", Mail.ru and Yandex "Fwd:".
"""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"""^\s*(?:
        (?:re|fwd?|aw|wg|tr|sv|отв|ответ|пересл|переслано|на|вн)
        \.?\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*
    )+""",
    re.IGNORECASE | re.VERBOSE,
)
_TAG = re.compile(r"\[[A-Z][A-Z0-9]{0,9}-\d{4}-\d{5,}\]")


def strip_prefixes(subject: str) -> str:
    return _PREFIX.sub("", subject)


def normalize_subject(subject: str) -> str:
    """Return the subject without prefixes, ticket tags, case or extra spaces."""
    previous = None
    text = subject
    while text != previous:
        previous = text
        text = strip_prefixes(_TAG.sub(" ", text))
    return " ".join(text.split()).casefold().replace("ё", "е")


def subjects_match(first: str, second: str) -> bool:
    return normalize_subject(first) == normalize_subject(second)
