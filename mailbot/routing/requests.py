"""Open a ticket for a new written request, or for an oral one staff register."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session

from mailbot.classify import is_too_short
from mailbot.db.models import Channel, Direction, InboundMessage, StoredAttachment, Ticket, TicketStatus
from mailbot.outbound.notices import queue_acknowledgement
from mailbot.outbound.staff_mail import queue_staff_announcement
from mailbot.parse import ParsedMessage
from mailbot.routing.clarification import queue_clarification
from mailbot.routing.context import Context
from mailbot.routing.outcome import Outcome
from mailbot.routing.subjects import strip_prefixes
from mailbot.tickets.files import store_attachment
from mailbot.tickets.service import NewTicket, add_entry, open_ticket


def open_request(
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
    attachments = () if oversize else store_attachments(context, parsed)
    add_entry(
        session, ticket, direction=Direction.INBOUND, kind="request",
        text=parsed.reply_text, author=request.requester_address, message_id=parsed.message_id,
        inbound_id=inbound.id, attachments=attachments,
    )
    if needs_question:
        queue_clarification(session, context, ticket, classification, parsed)
    else:
        acknowledge(session, context, ticket, parsed, oversize=oversize)
    queue_staff_announcement(session, context.settings, ticket, parsed.reply_text, attachments)
    return Outcome("new_ticket", inbound, ticket=ticket, reason="oversize" if oversize else None)


def open_oral_request(
    session: Session,
    context: Context,
    inbound: InboundMessage,
    parsed: ParsedMessage,
    *,
    channel: Channel,
    who: str,
    address: str | None,
    text: str,
) -> Ticket:
    """Register a request an employee made by phone or in person.

    The staff member who writes it down takes the ticket; it is due by the
    end of the working day on which it was taken. The announcement goes to
    that staff member, as the assignee, so that the number and the thread
    to answer in reach them by mail.
    """
    taken_at = datetime.datetime.now(datetime.UTC)
    classification = context.classifier.classify(parsed.subject, text)
    staff_address = parsed.from_address or ""
    request = NewTicket(
        requester_address=address or "",
        requester_name="" if address else who,
        subject=_oral_subject(parsed.subject, text),
        received_at=taken_at,
        deadline=context.calendar.oral_deadline(taken_at),
        process=int(classification.process) if classification.process else None,
        confidence=classification.confidence,
        model_version=classification.model_version,
        channel=channel,
    )
    ticket = open_ticket(session, request, prefix=context.settings.ticket_prefix, tz=context.settings.tz)
    ticket.assignee = staff_address
    attachments = store_attachments(context, parsed)
    add_entry(
        session, ticket, direction=Direction.INBOUND, kind="oral_request", text=text,
        author=staff_address, message_id=parsed.message_id, inbound_id=inbound.id,
        attachments=attachments,
    )
    if address:
        queue_acknowledgement(session, context.settings, ticket, in_reply_to=None, references=())
    queue_staff_announcement(session, context.settings, ticket, text, attachments)
    return ticket


def _oral_subject(subject: str, text: str) -> str:
    cleaned = strip_prefixes(subject).strip()
    if cleaned:
        return cleaned
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:120] or "Устное обращение"


def _oversize(context: Context, inbound: InboundMessage) -> dict[str, str] | None:
    """Describe a message over the size limit for the acknowledgement, or None.

    The raw message stays stored whole. Only its attachments are left out
    of the ticket, and the acknowledgement explains why.
    """
    limit = context.settings.max_message_bytes
    if inbound.size <= limit:
        return None
    megabyte = 1024 * 1024
    return {"size_mb": f"{inbound.size / megabyte:.1f}".replace(".", ","), "limit_mb": f"{limit / megabyte:g}"}


def acknowledge(
    session: Session, context: Context, ticket: Ticket, parsed: ParsedMessage, *, oversize: dict[str, str] | None = None
) -> None:
    queue_acknowledgement(
        session, context.settings, ticket,
        in_reply_to=parsed.message_id, references=parsed.references, oversize=oversize,
    )


def store_attachments(context: Context, parsed: ParsedMessage) -> tuple[StoredAttachment, ...]:
    storage_dir = context.settings.storage_dir
    return tuple(store_attachment(storage_dir, attachment) for attachment in parsed.attachments)
