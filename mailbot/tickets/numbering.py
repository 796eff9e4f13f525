"""Ticket numbers such as IT-2026-00042, unique under concurrent writers."""

from __future__ import annotations

import re

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mailbot.db.models import TicketCounter

SEQUENCE_DIGITS = 5


def format_ticket_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def ticket_number_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(prefix)}-(\d{{4}})-(\d{{{SEQUENCE_DIGITS},}})\b")


def next_ticket_number(session: Session, prefix: str, year: int) -> str:
    """Take the next number of `year` inside the caller's transaction.

    One upsert increments the per-year counter and returns the new value.
    The row stays locked until the caller commits, so concurrent writers
    get consecutive numbers and a rolled-back transaction gives its number
    back.
    """
    statement = _upsert(session).values(prefix=prefix, year=year, last_value=1)
    statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["prefix", "year"],
        set_={"last_value": TicketCounter.last_value + 1},
    ).returning(TicketCounter.last_value)
    sequence = session.execute(statement).scalar_one()
    return format_ticket_number(prefix, year, sequence)


def _upsert(session: Session) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(TicketCounter)
    if dialect == "sqlite":
        return sqlite.insert(TicketCounter)
    raise NotImplementedError(f"ticket numbering has no upsert for dialect {dialect!r}")
