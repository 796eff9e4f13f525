"""Opening tickets and recording what happens on their threads."""

from __future__ import annotations

import dataclasses
import datetime
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import (
    Channel,
    Direction,
    OutboxMessage,
    StoredAttachment,
    ThreadEntry,
    Ticket,
    TicketStatus,
)
from mailbot.tickets.calendar import Deadline
from mailbot.tickets.numbering import next_ticket_number

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NewTicket:
    """The facts about a request that its new ticket is opened with."""

    requester_address: str
    requester_name: str
    subject: str
    received_at: datetime.datetime
    deadline: Deadline
    process: int | None
    confidence: float | None
    model_version: str | None
    channel: Channel = Channel.EMAIL
    status: TicketStatus = TicketStatus.OPEN
    parent_id: int | None = None


def open_ticket(session: Session, request: NewTicket, *, prefix: str, tz: datetime.tzinfo) -> Ticket:
    """Number a new ticket and add it to the caller's transaction.

    The ticket is not flushed: it reaches the database, together with
    its thread entries and queued mail, at the caller's next flush, and
    has no id until then.
    """
    year = request.received_at.astimezone(tz).year
    ticket = Ticket(
        number=next_ticket_number(session, prefix, year),
        process=request.process,
        confidence=request.confidence,
        model_version=request.model_version,
        status=request.status,
        channel=request.channel,
        requester_address=request.requester_address,
        requester_name=request.requester_name,
        subject=request.subject,
        received_at=request.received_at,
        due_date=request.deadline.due_date,
        due_at=request.deadline.due_at,
        parent_id=request.parent_id,
    )
    session.add(ticket)
    logger.info(
        "ticket opened",
        extra={"ticket": ticket.number, "process_code": ticket.process, "due_date": str(ticket.due_date)},
    )
    return ticket


def add_entry(
    session: Session,
    ticket: Ticket,
    *,
    direction: Direction,
    kind: str,
    text: str = "",
    author: str = "",
    message_id: str | None = None,
    inbound_id: int | None = None,
    outbox: OutboxMessage | None = None,
    attachments: tuple[StoredAttachment, ...] = (),
) -> ThreadEntry:
    """Record an event on the ticket's thread, to be inserted at the next flush.

    The entry refers to its ticket and queued mail as objects, so neither
    needs an id yet. The thread keeps the order in which entries are added.
    """
    entry = ThreadEntry(
        ticket=ticket,
        direction=direction,
        kind=kind,
        text=text,
        author=author,
        message_id=message_id,
        inbound_id=inbound_id,
        outbox=outbox,
    )
    entry.attachments.extend(attachments)
    session.add(entry)
    return entry


def change_status(session: Session, ticket: Ticket, status: TicketStatus, *, author: str) -> None:
    """Set a new status and record the change on the thread."""
    if ticket.status == status:
        return
    text = f"{ticket.status.value} -> {status.value}"
    ticket.status = status
    if status == TicketStatus.CLOSED:
        ticket.closed_at = datetime.datetime.now(datetime.UTC)
    add_entry(session, ticket, direction=Direction.INTERNAL, kind="status", text=text, author=author)
    logger.info("ticket status changed", extra={"ticket": ticket.number, "status": status.value})


def find_by_number(session: Session, number: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()
