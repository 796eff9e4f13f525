"""Limits on automatic replies to one address, in sliding windows.

A robot that answers every mail, or a forged sender flooding the IT
address, must not turn mailbot into a mail cannon: each window, such as
10 replies in 10 minutes, caps the automatic mail one address receives.
A suppressed reply is kept in the outbox as SUPPRESSED, so it is counted
and visible, but is never sent.
"""

from __future__ import annotations

import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.db.models import OutboxMessage, OutboxState, utcnow

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

    With `kind`, only mail of that kind counts.
    """
    if not windows:
        return None
    now = now or utcnow()
    starts = [now - datetime.timedelta(seconds=seconds) for _, seconds in windows]

    # One query counts every window, so a new ticket costs one round trip.
    counters = [func.count().filter(OutboxMessage.created_at > start) for start in starts]
    query = select(*counters).where(
        OutboxMessage.recipient == recipient.lower(),
        OutboxMessage.created_at > min(starts),
        OutboxMessage.state.in_(COUNTED_STATES),
    )
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    counts = session.execute(query).one()

    for (limit, seconds), used in zip(windows, counts, strict=True):
        if (used or 0) >= limit:
            return (limit, seconds)
    return None
