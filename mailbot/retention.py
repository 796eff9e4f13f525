"""Retention of raw mail: blank the stored bytes of old processed messages.

Only the raw message goes: its header block stays (so Message-ID, sender
and dates can still be read), and tickets, thread texts and attachments on
disk are untouched. STORED and QUARANTINED messages keep their bytes,
because they may still be processed or retried.
"""

from __future__ import annotations

import datetime
import logging

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import InboundMessage, InboundRaw, InboundState, utcnow

logger = logging.getLogger(__name__)

PRUNE_BATCH = 200
PRUNABLE_STATES = (InboundState.PROCESSED, InboundState.DUPLICATE)


def header_block(raw: bytes) -> bytes:
    """Return the header section of `raw`, ending with its blank line, or all of `raw` when it has none.

    The first blank line wins, whether written CRLF CRLF or LF LF. Only the
    header section is copied, however large the body.
    """
    ends = [(index, len(separator)) for separator in (b"\r\n\r\n", b"\n\n") if (index := raw.find(separator)) >= 0]
    if not ends:
        return raw
    index, length = min(ends)
    return raw[: index + length]


def prune_raw(
    session_factory: sessionmaker[Session], days: int, *, now: datetime.datetime | None = None
) -> int:
    """Cut raw messages received more than `days` days ago to their headers; return how many."""
    cutoff = (now or utcnow()) - datetime.timedelta(days=days)
    pruned = 0
    last_id = 0
    while True:
        with session_factory.begin() as session:
            batch = list(session.scalars(_prunable(cutoff).where(InboundRaw.inbound_id > last_id).limit(PRUNE_BATCH)))
            for stored in batch:
                stored.raw = header_block(stored.raw)
        pruned += len(batch)
        if len(batch) < PRUNE_BATCH:
            break
        last_id = batch[-1].inbound_id
    if pruned:
        logger.info("raw mail pruned", extra={"pruned": pruned, "retention_days": days})
    return pruned


def count_prunable(session_factory: sessionmaker[Session], days: int) -> int:
    cutoff = utcnow() - datetime.timedelta(days=days)
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(_prunable(cutoff).subquery())) or 0


def _prunable(cutoff: datetime.datetime) -> Select[InboundRaw]:
    # A pruned message's raw is shorter than its recorded size, so it is
    # not picked again.
    return (
        select(InboundRaw)
        .join(InboundMessage, InboundMessage.id == InboundRaw.inbound_id)
        .where(
            InboundMessage.state.in_(PRUNABLE_STATES),
            InboundMessage.received_at < cutoff,
            func.length(InboundRaw.raw) >= InboundMessage.size,
        )
        .order_by(InboundRaw.inbound_id)
    )
