"""Small helpers for Russian text in command-line output."""

from __future__ import annotations


def plural(count: int, one: str, few: str, many: str) -> str:
    """Pick the noun form for `count`: 1 письмо, 2 письма, 5 писем, 21 письмо."""
    tens, units = count % 100, count % 10
    if 11 <= tens <= 14:
        return many
    if units == 1:
        return one
    if 2 <= units <= 4:
        return few
    return many


def count_of(count: int, one: str, few: str, many: str) -> str:
    return f"{count} {plural(count, one, few, many)}"
