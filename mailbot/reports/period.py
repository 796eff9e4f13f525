"""Report periods: dates typed on the command line and the default month."""

from __future__ import annotations

import datetime
import re

from mailbot.errors import ConfigurationError

_RUSSIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_day(text: str) -> datetime.date:
    """Parse a date written as ДД.ММ.ГГГГ or ГГГГ-ММ-ДД.

    Raises ConfigurationError with a Russian message for anything else,
    including an impossible day such as 31.02.2026.
    """
    value = text.strip()
    russian = _RUSSIAN_DATE.match(value)
    iso = _ISO_DATE.match(value)
    try:
        if russian:
            day, month, year = (int(part) for part in russian.groups())
            return datetime.date(year, month, day)
        if iso:
            year, month, day = (int(part) for part in iso.groups())
            return datetime.date(year, month, day)
    except ValueError:
        raise ConfigurationError(f"Дата «{text}» не существует.") from None
    raise ConfigurationError(f"Дата «{text}» не распознана: укажите её как ДД.ММ.ГГГГ или ГГГГ-ММ-ДД.")


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of the calendar month before `today`'s."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last


def is_whole_month(first_day: datetime.date, last_day: datetime.date) -> bool:
    return first_day.day == 1 and (last_day + datetime.timedelta(days=1)).day == 1 and (
        first_day.year, first_day.month) == (last_day.year, last_day.month)


def resolve_period(
    first: str | None, last: str | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """Turn the --from and --to options into a period.

    Neither: the previous calendar month. Only --from: from that day to
    `today`. Only --to: rejected, since the start cannot be guessed.
    """
    if first is None and last is None:
        return previous_month(today)
    if first is None:
        raise ConfigurationError("Укажите начало периода (--from) вместе с --to.")
    first_day = parse_day(first)
    last_day = parse_day(last) if last is not None else today
    if last_day < first_day:
        raise ConfigurationError(
            f"Конец периода ({last_day:%d.%m.%Y}) раньше его начала ({first_day:%d.%m.%Y})."
        )
    return first_day, last_day
