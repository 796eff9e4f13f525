"""Decide what one parsed inbound message does, and do it.

Order of checks: our own mail coming back is dropped; a message continuing
a ticket's thread is matched first, so that even a robot's mail is recorded
on the thread it belongs to; robots are never answered; senders outside the
allowed domains open nothing; a requester's reply is added to its thread;
anything else is a new request.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.classify import is_too_short
from mailbot.db.models import (
    Direction,
    InboundMessage,
    OutboxMessage,
    OutboxState,
    StoredAttachment,
    Ticket,
    TicketStatus,
)
from mailbot.outbound.notices import queue_acknowledgement, queue_outside_notice
from mailbot.parse import MessageKind, ParsedMessage
from mailbot.routing.clarification import queue_clarification, settle_process
from mailbot.routing.context import Context
from mailbot.routing.robots import loop_reason, robot_reason
from mailbot.routing.thread_match import ThreadMatch, match_thread, ticket_by_message_id
from mailbot.tickets.files import store_attachment
from mailbot.tickets.service import NewTicket, add_entry, open_ticket

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one inbound message, for its ledger row and the log."""

    name: str
    inbound: InboundMessage
    ticket: Ticket | None = None
    reason: str | None = None

    @property
    def ticket_id(self) -> int | None:
        return self.ticket.id if self.ticket is not None else None

    def log_extra(self) -> dict[str, object]:
        return {
            "outcome": self.name,
            "reason": self.reason,
            "ticket": self.ticket.number if self.ticket is not None else None,
            "message_id": self.inbound.message_id,
            "uid": self.inbound.uid,
            "uidvalidity": self.inbound.uidvalidity,
        }


def handle_message(session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage) -> Outcome:
    settings = context.settings
    reason = loop_reason(parsed, settings.address)
    if reason is not None:
        return Outcome("loop", inbound, reason=reason)

    match = match_thread(session, parsed, staff=settings.staff)
    reason = robot_reason(parsed)
    if reason is not None:
        return _record_robot(session, inbound, parsed, match, reason)

    if not _sender_allowed(parsed, settings.allowed_domains):
        if settings.outside_notice and parsed.from_address:
            queue_outside_notice(
                session, settings, parsed.from_address, parsed.subject, in_reply_to=parsed.message_id
            )
        return Outcome("rejected", inbound, reason="outside_allowed_domains")

    if match.ticket is not None:
        return _add_to_thread(session, context, inbound, parsed, match.ticket, match.rule)
    return _open_request(session, context, inbound, parsed, related=match.related)


def _sender_allowed(parsed: ParsedMessage, allowed_domains: tuple[str, ...]) -> bool:
    if not allowed_domains:
        return True
    domain = (parsed.from_address or "").rpartition("@")[2]
    return domain in allowed_domains


def _record_robot(
    session: Session, inbound: InboundMessage, parsed: ParsedMessage, match: ThreadMatch, reason: str
) -> Outcome:
    ticket = match.ticket
    if parsed.kind == MessageKind.BOUNCE and parsed.original_message_id:
        ticket = _mark_bounced(session, parsed.original_message_id) or ticket
    if ticket is not None:
        add_entry(
            session, ticket, direction=Direction.INBOUND, kind=parsed.kind.value,
            text=parsed.body_text, author=parsed.from_address or "",
            message_id=parsed.message_id, inbound_id=inbound.id,
        )
    return Outcome("robot", inbound, ticket=ticket, reason=reason)


def _mark_bounced(session: Session, original_message_id: str) -> Ticket | None:
    """Mark our mail that a bounce reports on as failed; return its ticket."""
    query = select(OutboxMessage).where(OutboxMessage.message_id == original_message_id)
    row = session.scalars(query).first()
    if row is None:
        return None
    row.state = OutboxState.FAILED
    row.last_error = "bounced: the recipient's server reported non-delivery"
    return ticket_by_message_id(session, original_message_id)


def _add_to_thread(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket, rule: str
) -> Outcome:
    sender = parsed.from_address or ""
    is_staff = sender in context.settings.staff
    add_entry(
        session, ticket, direction=Direction.INBOUND,
        kind="staff_message" if is_staff else "reply",
        text=parsed.reply_text, author=sender, message_id=parsed.message_id,
        inbound_id=inbound.id, attachments=_store_attachments(context, parsed),
    )
    if ticket.status == TicketStatus.CLARIFICATION and sender == ticket.requester_address:
        settle_process(session, context, ticket, parsed)
        _acknowledge(session, context, ticket, parsed)
        return Outcome("clarification_answer", inbound, ticket=ticket, reason=rule)
    return Outcome("thread_reply", inbound, ticket=ticket, reason=rule)


def _open_request(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, *, related: Ticket | None
) -> Outcome:
    classification = context.classifier.classify(parsed.subject, parsed.reply_text)
    if classification.process is None:
        return Outcome("not_request", inbound, reason="classifier")

    needs_question = classification.confidence < context.threshold or is_too_short(
        parsed.subject, parsed.reply_text
    )
    request = NewTicket(
        requester_address=parsed.from_address or "",
        requester_name=parsed.from_.name if parsed.from_ else "",
        subject=parsed.subject,
        received_at=inbound.received_at,
        deadline=context.calendar.written_deadline(inbound.received_at, context.settings.answer_days),
        process=int(classification.process),
        confidence=classification.confidence,
        model_version=classification.model_version,
        status=TicketStatus.CLARIFICATION if needs_question else TicketStatus.OPEN,
        parent_id=related.id if related is not None else None,
    )
    ticket = open_ticket(session, request, prefix=context.settings.ticket_prefix, tz=context.settings.tz)
    oversize = _oversize(context, inbound)
    add_entry(
        session, ticket, direction=Direction.INBOUND, kind="request",
        text=parsed.reply_text, author=request.requester_address, message_id=parsed.message_id,
        inbound_id=inbound.id, attachments=() if oversize else _store_attachments(context, parsed),
    )
    if needs_question:
        queue_clarification(session, context, ticket, classification, parsed)
    else:
        _acknowledge(session, context, ticket, parsed, oversize=oversize)
    return Outcome("new_ticket", inbound, ticket=ticket, reason="oversize" if oversize else None)


def _oversize(context: Context, inbound: InboundMessage) -> dict[str, str] | None:
    """Describe a message over the size limit for the acknowledgement, or None.

    The raw message stays stored whole; only its attachments are not taken
    into the ticket, and the requester is told why.
    """
    limit = context.settings.max_message_bytes
    if inbound.size <= limit:
        return None
    megabyte = 1024 * 1024
    return {"size_mb": f"{inbound.size / megabyte:.1f}".replace(".", ","), "limit_mb": f"{limit / megabyte:g}"}


def _acknowledge(
    session: Session, context: Context, ticket: Ticket, parsed: ParsedMessage, *, oversize: dict[str, str] | None = None
) -> None:
    queue_acknowledgement(
        session, context.settings, ticket,
        in_reply_to=parsed.message_id, references=parsed.references, oversize=oversize,
    )


def _store_attachments(context: Context, parsed: ParsedMessage) -> tuple[StoredAttachment, ...]:
    storage_dir = context.settings.storage_dir
    return tuple(store_attachment(storage_dir, attachment) for attachment in parsed.attachments)
