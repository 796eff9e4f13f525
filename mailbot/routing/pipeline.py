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
from sqlalchemy.orm import Session, sessionmaker

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
        .where(InboundMessage.id == inbound_id, InboundMessage.state == InboundState.STORED)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


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
