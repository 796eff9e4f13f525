"""Process stored inbound messages: parse, route, open or update tickets.

Messages are handled in batches of up to BATCH_MESSAGES, one transaction
per batch. Everything a message causes (ticket, thread entries, queued
mail, its own state change) is committed together with the rest of its
batch, so a crash at any point leaves the whole batch STORED for the next
run or commits it whole. The session flushes only when a query needs to
see what came before, such as a reply looking up its thread, or at the
commit, so a batch of new requests costs one flush instead of one per
message (bench/RESULTS-ingest.md).

When a message raises, or the batch fails to commit, the batch is rolled
back and its messages are handled again one per transaction: a message
that raises again is marked QUARANTINED with the error, and the others go
through. Log lines written during the rolled-back attempt then appear a
second time, and the rollback warning marks them void.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import InboundMessage, InboundRaw, InboundState
from mailbot.outbound.notices import queue_staff_notice
from mailbot.parse import parse_message
from mailbot.routing.context import Context
from mailbot.routing.handlers import Outcome, handle_message

logger = logging.getLogger(__name__)

QUARANTINED_OUTCOME = "quarantined"

# A batch ends at whichever limit comes first. The byte limit keeps the raw
# mail a batch reads near the intake's; a larger message is a batch alone.
BATCH_MESSAGES = 50
BATCH_BYTES = 8 * 1024 * 1024

# Size of the pieces in which a raw message is read from PostgreSQL.
READ_PIECE_BYTES = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class _Pending:
    id: int
    size: int


def process_pending(
    session_factory: sessionmaker[Session],
    context: Context,
    *,
    limit: int = 500,
    stop: threading.Event | None = None,
) -> int:
    """Handle up to `limit` STORED messages, oldest first; return how many.

    When `stop` is set, the message in hand is finished, its batch is
    committed and the rest stay STORED for the next run.
    """
    with session_factory() as session:
        query = (
            select(InboundMessage.id, InboundMessage.size)
            .where(InboundMessage.state == InboundState.STORED)
            .order_by(InboundMessage.id)
            .limit(limit)
        )
        pending = [_Pending(row.id, row.size) for row in session.execute(query)]
    handled = 0
    for batch in _batches(pending):
        if stop is not None and stop.is_set():
            break
        handled += process_batch(session_factory, context, [item.id for item in batch], stop=stop)
    return handled


def _batches(pending: Sequence[_Pending]) -> Iterator[list[_Pending]]:
    batch: list[_Pending] = []
    size = 0
    for item in pending:
        if batch and (len(batch) == BATCH_MESSAGES or size + item.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch


def process_batch(
    session_factory: sessionmaker[Session],
    context: Context,
    inbound_ids: Sequence[int],
    *,
    stop: threading.Event | None = None,
) -> int:
    """Handle the STORED messages among `inbound_ids` in one transaction; return how many."""
    try:
        outcomes = _run_batch(session_factory, context, inbound_ids, stop)
    except Exception as error:  # noqa: BLE001 - redo the batch one message at a time
        logger.warning(
            "batch of %d messages rolled back, handling them one at a time; "
            "lines logged for them since the batch began are void: %s",
            len(inbound_ids), type(error).__name__,
            extra={"inbound_ids": list(inbound_ids)},
        )
        return _one_at_a_time(session_factory, context, inbound_ids, stop)

    for outcome in outcomes:
        logger.info("message processed", extra=outcome.log_extra())
    return len(outcomes)


def _run_batch(
    session_factory: sessionmaker[Session],
    context: Context,
    inbound_ids: Sequence[int],
    stop: threading.Event | None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with session_factory.begin() as session:
        for inbound in _claim(session, inbound_ids):
            if outcomes and stop is not None and stop.is_set():
                break
            outcomes.append(_handle(session, context, inbound))
    return outcomes


def _one_at_a_time(
    session_factory: sessionmaker[Session],
    context: Context,
    inbound_ids: Sequence[int],
    stop: threading.Event | None,
) -> int:
    handled = 0
    for inbound_id in inbound_ids:
        if handled and stop is not None and stop.is_set():
            break
        process_one(session_factory, context, inbound_id)
        handled += 1
    return handled


def process_one(session_factory: sessionmaker[Session], context: Context, inbound_id: int) -> Outcome | None:
    """Handle one STORED message in a transaction of its own.

    Return None when the message was no longer STORED or was quarantined.
    """
    try:
        with session_factory.begin() as session:
            claimed = _claim(session, [inbound_id])
            if not claimed:
                return None
            outcome = _handle(session, context, claimed[0])
        logger.info("message processed", extra=outcome.log_extra())
        return outcome
    except Exception as error:  # noqa: BLE001 - one bad message must not stop the loop
        quarantine(session_factory, inbound_id, error, context)
        return None


def _claim(session: Session, inbound_ids: Sequence[int]) -> list[InboundMessage]:
    # FOR UPDATE SKIP LOCKED lets a second instance on PostgreSQL pass over
    # messages another instance is handling; SQLite serialises writers.
    query = (
        select(InboundMessage)
        .where(InboundMessage.id.in_(inbound_ids), InboundMessage.state == InboundState.STORED)
        .order_by(InboundMessage.id)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _handle(session: Session, context: Context, inbound: InboundMessage) -> Outcome:
    outcome = _route(session, context, inbound, _read_raw(session, inbound.id))
    inbound.state = InboundState.PROCESSED
    inbound.outcome = outcome.name
    inbound.ticket = outcome.ticket
    return outcome


def _read_raw(session: Session, inbound_id: int) -> bytes:
    """Read one raw message, on SQLite through the incremental blob API.

    SQLite's ordinary column read assembles a large value in a buffer of
    its own, which the cached statement keeps, before Python copies it: a
    27 MB message cost twice its size, and the buffer outlived it. A blob
    handle reads the pages straight into the Python bytes.
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None, "a pooled connection has its driver connection"
    if connection.dialect.name == "sqlite":
        with driver.blobopen(InboundRaw.__tablename__, "raw", inbound_id, readonly=True) as blob:
            return bytes(blob.read())
    return _read_raw_in_pieces(driver, inbound_id)


def _read_raw_in_pieces(driver: Any, inbound_id: int) -> bytes:
    """Read one raw message from PostgreSQL READ_PIECE_BYTES at a time, in psycopg's binary format.

    A whole bytea value comes back in text (hex) format by default, and
    psycopg and libpq then hold it several times over: one 27 MB message
    raised the peak by about 160 MB. In pieces, a read costs the message
    twice, the pieces and their join, plus one piece.
    """
    pieces: list[bytes] = []
    with driver.cursor(binary=True) as cursor:
        while True:
            cursor.execute(
                "SELECT substring(raw FROM %s FOR %s) FROM inbound_raw WHERE inbound_id = %s",
                (len(pieces) * READ_PIECE_BYTES + 1, READ_PIECE_BYTES, inbound_id),
            )
            row = cursor.fetchone()
            if row is None:
                raise LookupError(f"no raw mail stored for inbound message {inbound_id}")
            pieces.append(bytes(row[0]))
            if len(row[0]) < READ_PIECE_BYTES:
                return b"".join(pieces)


def _route(session: Session, context: Context, inbound: InboundMessage, raw: bytes) -> Outcome:
    settings = context.settings
    parsed = parse_message(raw, ticket_prefix=settings.ticket_prefix, max_depth=settings.max_mime_depth)
    return handle_message(session, context, inbound, parsed, raw=raw)


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
