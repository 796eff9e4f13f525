"""The durable outbox: mail is queued in the database and sent by SMTP later.

A mail is queued in the same transaction as the ticket change that caused
it, with its final Message-ID. Delivery claims one due row at a time with a
short lease, sends it, and records the result, so a sender that dies holds
at most one row until its lease ends. A crash between the SMTP server's
acceptance and that record sends the mail again with the same Message-ID;
no other point can send it twice. A mail the server rejects for good (5xx,
or too many attempts) is marked FAILED and the IT staff get a
`delivery_failed` notice.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import threading
from email.message import Message

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import OutboxMessage, OutboxState, Ticket, utcnow
from mailbot.errors import DeliveryError
from mailbot.outbound.compose import SMTP_POLICY
from mailbot.retention import header_block

logger = logging.getLogger(__name__)

CLAIM_MARGIN_SECONDS = 10
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
BATCH_SIZE = 50
DELIVERY_FAILED_KIND = "delivery_failed"


# Mail carrying a personal single-use link: once sent, only its headers are
# kept, so the outbox table holds no working link.
PERSONAL_LINK_KINDS = frozenset({"survey_invitation", "survey_reminder"})


def enqueue(
    session: Session,
    message: Message,
    *,
    kind: str,
    envelope_from: str,
    ticket: Ticket | None,
    state: OutboxState = OutboxState.PENDING,
) -> OutboxMessage:
    """Queue `message` inside the caller's transaction.

    The row is inserted at the caller's next flush; a caller that needs
    its id flushes first.
    """
    recipients = [address.strip() for address in str(message["To"]).split(",") if address.strip()]
    row = OutboxMessage(
        message_id=str(message["Message-ID"]),
        recipient=recipients[0].lower() if recipients else "",
        ticket=ticket,
        kind=kind,
        envelope_from=envelope_from,
        recipients=recipients,
        raw=message.as_bytes(policy=SMTP_POLICY),
        state=state,
    )
    session.add(row)
    return row


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential back-off with full jitter, capped at one hour."""
    ceiling = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def claim_lease(settings: Settings) -> datetime.timedelta:
    """How long a claimed row stays invisible to other senders.

    It covers one SMTP transaction (connect and send, each bounded by the
    SMTP timeout). A sender killed while holding a claim delays that one
    mail by this much; nothing else waits for it.
    """
    return datetime.timedelta(seconds=2 * settings.smtp_timeout_seconds + CLAIM_MARGIN_SECONDS)


def claim_next(session_factory: sessionmaker[Session], lease: datetime.timedelta) -> OutboxMessage | None:
    """Lease the oldest due row so that no other sender takes it; None when none is due."""
    now = utcnow()
    with session_factory.begin() as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = session.scalars(query).first()
        if row is not None:
            row.attempts += 1
            row.next_attempt_at = now + lease
    return row


async def deliver_due(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    limit: int = BATCH_SIZE,
    stop: threading.Event | None = None,
) -> int:
    """Send up to `limit` due rows over one SMTP session; return how many were accepted.

    Rows are claimed one at a time, so a crash or a stop request leaves at
    most the row in hand claimed. When `stop` is set, the mail in hand is
    finished and the rest stay due.
    """
    lease = claim_lease(settings)
    row = claim_next(session_factory, lease)
    if row is None:
        return 0
    sent = 0
    try:
        async with smtp_client(settings) as smtp:
            for count in range(1, limit + 1):
                sent += await _send_one(smtp, row, session_factory, settings)
                if count == limit or (stop is not None and stop.is_set()):
                    break
                row = claim_next(session_factory, lease)
                if row is None:
                    break
    except (aiosmtplib.SMTPException, OSError) as error:
        logger.warning("SMTP session failed: %s", type(error).__name__, extra={"error": str(error)})
        if row is not None:
            _postpone_due(session_factory, row, str(error))
    return sent


def deliver_due_sync(
    session_factory: sessionmaker[Session], settings: Settings, *, stop: threading.Event | None = None
) -> int:
    return asyncio.run(deliver_due(session_factory, settings, stop=stop))


def smtp_client(settings: Settings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port_effective,
        username=settings.smtp_user or None,
        password=settings.smtp_password.get_secret_value() or None,
        use_tls=settings.smtp_security == "ssl",
        start_tls=settings.smtp_security == "starttls",
        tls_context=settings.tls_context() if settings.smtp_security != "none" else None,
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
            if stored.kind in PERSONAL_LINK_KINDS:
                stored.raw = header_block(stored.raw)
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
            _tell_staff(session, settings, stored)
        else:
            stored.next_attempt_at = utcnow() + retry_delay(stored.attempts)
    log = logger.error if gave_up else logger.warning
    log(
        "delivery failed, %s: %s",
        "giving up" if gave_up else "will retry",
        failure,
        extra={"outbox_id": row.id, "message_id": row.message_id, "attempts": row.attempts},
    )


def _tell_staff(session: Session, settings: Settings, failed: OutboxMessage) -> None:
    """Queue the delivery_failed notice to the IT staff in the caller's transaction.

    A failed delivery_failed notice is not reported again, since the notice
    about it would go to the same staff addresses and fail the same way.
    """
    # Imported here because notices builds on enqueue() from this module.
    from mailbot.outbound.notices import queue_staff_notice

    if failed.kind == DELIVERY_FAILED_KIND:
        return
    ticket = session.get(Ticket, failed.ticket_id) if failed.ticket_id is not None else None
    context: dict[str, object] = {
        "outbox_id": failed.id,
        "message_id": failed.message_id,
        "kind": failed.kind,
        "recipients": ", ".join(failed.recipients),
        "attempts": failed.attempts,
        "error_line": (failed.last_error or "")[:300],
        "ticket_number": ticket.number if ticket is not None else None,
        "created_at": failed.created_at.astimezone(settings.tz),
    }
    queue_staff_notice(session, settings, DELIVERY_FAILED_KIND, context, ticket=ticket)


def _postpone_due(session_factory: sessionmaker[Session], row: OutboxMessage, reason: str) -> None:
    """Move the row in hand and every other due row to the next retry time.

    An SMTP session failure says nothing about a single mail, so it never
    gives up on one. The delay grows with the attempts of the row in hand,
    which is the oldest due row and is claimed first on every retry, so an
    outage is retried with exponential back-off instead of every outbox run.
    """
    with session_factory.begin() as session:
        stored = session.get(OutboxMessage, row.id)
        if stored is None or stored.state != OutboxState.PENDING:
            return
        retry_at = utcnow() + retry_delay(stored.attempts)
        stored.last_error = reason
        stored.next_attempt_at = retry_at
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at < retry_at)
            .values(next_attempt_at=retry_at, last_error=reason)
        )
    logger.warning(
        "SMTP unavailable, next attempt in %.0f s", (retry_at - utcnow()).total_seconds(),
        extra={"outbox_id": row.id, "attempts": row.attempts},
    )
