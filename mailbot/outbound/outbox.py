"""The durable outbox: mail is queued in the database and sent by SMTP later.

A mail is queued in the same transaction as the ticket change that caused
it, with its final Message-ID. Delivery claims due rows with a lease, sends
them, and records the result. A crash between the SMTP server's acceptance
and that record sends the mail again with the same Message-ID; no other
point can send it twice.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
from email.message import Message

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import DeliveryError
from mailbot.outbound.compose import SMTP_POLICY

logger = logging.getLogger(__name__)

CLAIM_LEASE = datetime.timedelta(minutes=5)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
BATCH_SIZE = 50


def enqueue(
    session: Session,
    message: Message,
    *,
    kind: str,
    envelope_from: str,
    ticket_id: int | None,
    state: OutboxState = OutboxState.PENDING,
) -> OutboxMessage:
    """Queue `message` inside the caller's transaction."""
    recipients = [address.strip() for address in str(message["To"]).split(",") if address.strip()]
    row = OutboxMessage(
        message_id=str(message["Message-ID"]),
        recipient=recipients[0].lower() if recipients else "",
        ticket_id=ticket_id,
        kind=kind,
        envelope_from=envelope_from,
        recipients=recipients,
        raw=message.as_bytes(policy=SMTP_POLICY),
        state=state,
    )
    session.add(row)
    session.flush()
    return row


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential back-off with full jitter, capped at one hour."""
    ceiling = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def claim_due(session_factory: sessionmaker[Session], *, limit: int = BATCH_SIZE) -> list[OutboxMessage]:
    """Lease up to `limit` due rows so that no other instance sends them."""
    now = utcnow()
    with session_factory.begin() as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(session.scalars(query))
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + CLAIM_LEASE
    return rows


async def deliver_due(session_factory: sessionmaker[Session], settings: Settings) -> int:
    """Send every due outbox row; return how many were accepted by SMTP."""
    rows = claim_due(session_factory)
    if not rows:
        return 0
    sent = 0
    try:
        async with smtp_client(settings) as smtp:
            for row in rows:
                sent += await _send_one(smtp, row, session_factory, settings)
    except (aiosmtplib.SMTPException, OSError) as error:
        logger.warning("SMTP session failed: %s", type(error).__name__, extra={"error": str(error)})
        _reschedule_unsent(session_factory, rows, settings, str(error))
    return sent


def deliver_due_sync(session_factory: sessionmaker[Session], settings: Settings) -> int:
    return asyncio.run(deliver_due(session_factory, settings))


def smtp_client(settings: Settings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port_effective,
        username=settings.smtp_user or None,
        password=settings.smtp_password.get_secret_value() or None,
        use_tls=settings.smtp_security == "ssl",
        start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )


async def _send_one(
    smtp: aiosmtplib.SMTP,
    row: OutboxMessage,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> int:
    log_extra = {"outbox_id": row.id, "message_id": row.message_id}
    try:
        await smtp.sendmail(row.envelope_from, row.recipients, row.raw)
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [refusal.code for refusal in error.recipients]
        failure = DeliveryError(f"recipients refused: {codes}", permanent=all(c >= 500 for c in codes))
        _record_failure(session_factory, row, failure, settings)
        return 0
    except aiosmtplib.SMTPResponseException as error:
        failure = DeliveryError(f"{error.code} {error.message}", permanent=error.code >= 500)
        _record_failure(session_factory, row, failure, settings)
        return 0

    with session_factory.begin() as session:
        stored = session.get(OutboxMessage, row.id)
        if stored is not None:
            stored.state = OutboxState.SENT
            stored.sent_at = utcnow()
            stored.last_error = None
    logger.info("mail sent", extra=log_extra | {"kind": row.kind, "ticket_id": row.ticket_id})
    return 1


def _record_failure(
    session_factory: sessionmaker[Session],
    row: OutboxMessage,
    failure: DeliveryError,
    settings: Settings,
) -> None:
    gave_up = failure.permanent or row.attempts >= settings.outbox_max_attempts
    with session_factory.begin() as session:
        stored = session.get(OutboxMessage, row.id)
        if stored is None:
            return
        stored.last_error = str(failure)
        if gave_up:
            stored.state = OutboxState.FAILED
        else:
            stored.next_attempt_at = utcnow() + retry_delay(stored.attempts)
    log = logger.error if gave_up else logger.warning
    log(
        "delivery failed, %s: %s",
        "giving up" if gave_up else "will retry",
        failure,
        extra={"outbox_id": row.id, "message_id": row.message_id, "attempts": row.attempts},
    )


def _reschedule_unsent(
    session_factory: sessionmaker[Session],
    rows: list[OutboxMessage],
    settings: Settings,
    reason: str,
) -> None:
    with session_factory.begin() as session:
        for row in rows:
            stored = session.get(OutboxMessage, row.id)
            if stored is None or stored.state != OutboxState.PENDING:
                continue
            stored.last_error = reason
            stored.next_attempt_at = utcnow() + retry_delay(stored.attempts)
