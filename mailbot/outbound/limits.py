"""Limits on automatic replies to one address, in sliding windows.

A robot that answers every mail, or a forged sender flooding the IT
address, must not turn mailbot into a mail cannon: each window, such as
10 replies in 10 minutes, caps the automatic mail one address receives.
A suppressed reply is kept in the outbox as SUPPRESSED, so it is counted
and visible, but is never sent.
"""

from __future__ import annotations

import datetime
import functools
from typing import Unpack

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from mailbot.db.models import OutboxMessage, OutboxState, UTCDateTime, utcnow

COUNTED_STATES = (OutboxState.PENDING, OutboxState.SENT, OutboxState.FAILED)


def exceeded_window(
    session: Session,
    recipient: str,
    windows: tuple[tuple[int, int], ...],
    *,
    kind: str | None = None,
    now: datetime.datetime | None = None,
) -> tuple[int, int] | None:
    """Return the first (count, seconds) window `recipient` has used up, or None.

    With `kind`, only mail of that kind counts. Mail queued in this session
    and not yet flushed counts too; the query does not flush it, so that
    a new ticket's rows reach the database in one flush.
    """
    if not windows:
        return None
    now = now or utcnow()
    starts = [now - datetime.timedelta(seconds=seconds) for _, seconds in windows]
    address = recipient.lower()

    parameters: dict[str, object] = {f"start_{index}": start for index, start in enumerate(starts)}
    parameters |= {"recipient": address, "earliest": min(starts)}
    if kind is not None:
        parameters["kind"] = kind
    with session.no_autoflush:
        counts = session.execute(_count_statement(len(windows), kind is not None), parameters).one()
    unflushed = _unflushed(session, address, kind)

    for (limit, seconds), used in zip(windows, counts, strict=True):
        if (used or 0) + unflushed >= limit:
            return (limit, seconds)
    return None


@functools.cache
def _count_statement(window_count: int, by_kind: bool) -> Select[Unpack[tuple[int, ...]]]:
    """Build the query that counts every window in one round trip.

    It is built once per shape with bound parameters, because building it
    for every mail cost more than running it.
    """
    counters = [
        func.count().filter(OutboxMessage.created_at > bindparam(f"start_{index}", type_=UTCDateTime()))
        for index in range(window_count)
    ]
    query = select(*counters).where(
        OutboxMessage.recipient == bindparam("recipient"),
        OutboxMessage.created_at > bindparam("earliest", type_=UTCDateTime()),
        OutboxMessage.state.in_(COUNTED_STATES),
    )
    if by_kind:
        query = query.where(OutboxMessage.kind == bindparam("kind"))
    return query


def _unflushed(session: Session, address: str, kind: str | None) -> int:
    """Count mail to `address` added to the session and not yet flushed; it is all new."""
    return sum(
        1
        for row in session.new
        if isinstance(row, OutboxMessage)
        and row.recipient == address
        and row.state in COUNTED_STATES
        and (kind is None or row.kind == kind)
    )
