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
    now = now or utcnow()
    for limit, seconds in windows:
        since = now - datetime.timedelta(seconds=seconds)
        query = select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.recipient == recipient.lower(),
            OutboxMessage.created_at > since,
            OutboxMessage.state.in_(COUNTED_STATES),
        )
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        if (session.scalar(query) or 0) >= limit:
            return (limit, seconds)
    return None
