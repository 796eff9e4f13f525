"""Decide what one parsed inbound message does, and do it.

Order of checks: our own mail coming back is dropped; a message continuing
a ticket's thread is matched first, so that even a robot's mail is recorded
on the thread it belongs to; robots are never answered; senders outside the
allowed domains open nothing; IT staff answer and command on a ticket's
thread or register oral requests; a requester's reply is added to its
thread; anything else is a new request.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Direction, InboundMessage, OutboxMessage, OutboxState, Ticket
from mailbot.outbound.notices import queue_outside_notice
from mailbot.parse import MessageKind, ParsedMessage
from mailbot.routing.context import Context
from mailbot.routing.outcome import Outcome
from mailbot.routing.replies import add_reply
from mailbot.routing.requests import open_request
from mailbot.routing.robots import loop_reason, robot_reason
from mailbot.routing.staff import handle_staff_new_mail, handle_staff_reply
from mailbot.routing.staff_auth import is_staff_sender
from mailbot.routing.thread_match import ThreadMatch, match_thread, ticket_by_message_id
from mailbot.tickets.service import add_entry

logger = logging.getLogger(__name__)

__all__ = ["Outcome", "handle_message"]


def handle_message(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, *, raw: bytes
) -> Outcome:
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

    if is_staff_sender(raw, parsed.from_address or "", settings):
        outcome = _handle_staff(session, context, inbound, parsed, match)
        if outcome is not None:
            return outcome
    if match.ticket is not None:
        return add_reply(session, context, inbound, parsed, match.ticket, match.rule)
    return open_request(session, context, inbound, parsed, related=match.related)


def _handle_staff(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, match: ThreadMatch
) -> Outcome | None:
    """Route a staff message; None when it is an ordinary request of their own."""
    ticket = match.ticket
    if ticket is not None and ticket.requester_address != parsed.from_address:
        return handle_staff_reply(session, context, inbound, parsed, ticket)
    return handle_staff_new_mail(session, context, inbound, parsed)


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


