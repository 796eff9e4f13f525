"""Process stored inbound messages: parse, route, open or update tickets.

Each message is handled in its own transaction together with everything it
causes (ticket, thread entries, queued mail, its own state change), so a
crash at any point either leaves the message STORED for the next run or
finishes it completely. A message whose handling raises is rolled back and
marked QUARANTINED with the error, and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
import traceback

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from mailbot.db.models import InboundMessage, InboundState
from mailbot.outbound.notices import queue_staff_notice
from mailbot.parse import parse_message
from mailbot.routing.context import Context
from mailbot.routing.handlers import Outcome, handle_message

logger = logging.getLogger(__name__)

QUARANTINED_OUTCOME = "quarantined"


def process_pending(
    session_factory: sessionmaker[Session],
    context: Context,
    *,
    limit: int = 500,
    stop: threading.Event | None = None,
) -> int:
    """Handle up to `limit` STORED messages, oldest first; return how many.

    When `stop` is set, the message in hand is finished and the rest stay
    STORED for the next run.
    """
    with session_factory() as session:
        query = (
            select(InboundMessage.id)
            .where(InboundMessage.state == InboundState.STORED)
            .order_by(InboundMessage.id)
            .limit(limit)
        )
        pending = list(session.scalars(query))
    handled = 0
    for inbound_id in pending:
        if stop is not None and stop.is_set():
            break
        process_one(session_factory, context, inbound_id)
        handled += 1
    return handled


def process_one(session_factory: sessionmaker[Session], context: Context, inbound_id: int) -> Outcome | None:
    try:
        with session_factory.begin() as session:
            inbound = _claim(session, inbound_id)
            if inbound is None:
                return None
            outcome = _route(session, context, inbound)
            # Drop the raw bytes before the state change is flushed: SQLite
            # rewrites the whole row for it, which takes twice the message's
            # size on top of whatever Python still holds.
            session.expire(inbound, ["raw"])
            inbound.state = InboundState.PROCESSED
            inbound.outcome = outcome.name
            inbound.ticket_id = outcome.ticket_id
        logger.info("message processed", extra=outcome.log_extra())
        return outcome
    except Exception as error:  # noqa: BLE001 - one bad message must not stop the loop
        quarantine(session_factory, inbound_id, error, context)
        return None


def _claim(session: Session, inbound_id: int) -> InboundMessage | None:
    # FOR UPDATE SKIP LOCKED lets a second instance on PostgreSQL pass over
    # a message another instance is handling; SQLite serialises writers.
    query = (
        select(InboundMessage)
        .options(defer(InboundMessage.raw))
        .where(InboundMessage.id == inbound_id, InboundMessage.state == InboundState.STORED)
        .with_for_update(skip_locked=True)
    )
    inbound = session.scalars(query).first()
    if inbound is not None:
        # Set as loaded, not as changed, so the row is never written back.
        set_committed_value(inbound, "raw", _read_raw(session, inbound_id))
    return inbound


def _read_raw(session: Session, inbound_id: int) -> bytes:
    """Read one raw message, on SQLite through the incremental blob API.

    SQLite's ordinary column read assembles a large value in a buffer of
    its own, which the cached statement keeps, before Python copies it: a
    27 MB message cost twice its size, and the buffer outlived it. A blob
    handle reads the pages straight into the Python bytes.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None, "a pooled SQLite connection has its sqlite3 connection"
        with driver.blobopen(InboundMessage.__tablename__, "raw", inbound_id, readonly=True) as blob:
            return bytes(blob.read())
    return bytes(session.scalars(select(InboundMessage.raw).where(InboundMessage.id == inbound_id)).one())


def _route(session: Session, context: Context, inbound: InboundMessage) -> Outcome:
    settings = context.settings
    parsed = parse_message(inbound.raw, ticket_prefix=settings.ticket_prefix, max_depth=settings.max_mime_depth)
    return handle_message(session, context, inbound, parsed)


def quarantine(
    session_factory: sessionmaker[Session], inbound_id: int, error: BaseException, context: Context
) -> None:
    """Keep the raw message, mark it QUARANTINED, record the error, tell staff once."""
    detail = "".join(traceback.format_exception(error, limit=8))
    with session_factory.begin() as session:
        inbound = session.get(InboundMessage, inbound_id)
        if inbound is None:
            return
        first_time = inbound.outcome != QUARANTINED_OUTCOME
        inbound.state = InboundState.QUARANTINED
        inbound.outcome = QUARANTINED_OUTCOME
        inbound.error = detail
        if first_time:
            _notify_staff(session, context, inbound, error)
        log_extra = {"inbound_id": inbound_id, "message_id": inbound.message_id, "uid": inbound.uid}
    logger.error("message quarantined: %s", type(error).__name__, extra=log_extra, exc_info=error)


def _notify_staff(session: Session, context: Context, inbound: InboundMessage, error: BaseException) -> None:
    notice = {
        "inbound_id": inbound.id,
        "message_id": inbound.message_id,
        "received_at": inbound.received_at.astimezone(context.settings.tz),
        "size": inbound.size,
        "error_line": f"{type(error).__name__}: {error}"[:300],
    }
    queue_staff_notice(session, context.settings, "quarantine_notice", notice)
