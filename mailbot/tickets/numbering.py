"""Ticket numbers such as IT-2026-00042, unique under concurrent writers."""

from __future__ import annotations

import functools
import re

from sqlalchemy import Insert, bindparam
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
    back. The statement runs on the session's connection, outside the ORM,
    so it does not flush the caller's pending objects.
    """
    connection = session.connection()
    statement = _increment_statement(connection.dialect.name)
    sequence = connection.execute(statement, {"prefix": prefix, "year": year}).scalar_one()
    return format_ticket_number(prefix, year, sequence)


@functools.cache
def _increment_statement(dialect: str) -> Insert:
    """Build the upsert once per dialect; building it anew for every ticket cost more than running it."""
    insert = _insert_for(dialect)
    values = insert.values(prefix=bindparam("prefix"), year=bindparam("year"), last_value=1)
    return values.on_conflict_do_update(  # type: ignore[attr-defined, no-any-return]
        index_elements=["prefix", "year"],
        set_={"last_value": TicketCounter.last_value + 1},
    ).returning(TicketCounter.last_value)


def _insert_for(dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(TicketCounter)
    if dialect == "sqlite":
        return sqlite.insert(TicketCounter)
    raise NotImplementedError(f"ticket numbering has no upsert for dialect {dialect!r}")
