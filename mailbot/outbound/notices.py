"""The automatic mails a ticket sends to its requester."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Direction, OutboxMessage, Ticket
from mailbot.outbound.compose import Envelope, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.outbound.render import render_mail
from mailbot.processes import Process
from mailbot.tickets.service import add_entry


def queue_acknowledgement(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    *,
    in_reply_to: str | None,
    references: tuple[str, ...],
) -> OutboxMessage:
    """Queue the acknowledgement of a new ticket and record it on the thread."""
    context = {
        "ticket": ticket,
        "process_title": Process(ticket.process).title_ru if ticket.process else None,
        "received_at": ticket.received_at.astimezone(settings.tz),
        "due_date": ticket.due_date,
        "requester_name": ticket.requester_name,
        "signature": settings.display_name,
    }
    return queue_to_requester(
        session, settings, ticket, "acknowledgement", context,
        in_reply_to=in_reply_to, references=references,
    )


def queue_to_requester(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    kind: str,
    context: dict[str, object],
    *,
    in_reply_to: str | None,
    references: tuple[str, ...],
    automatic: bool = True,
) -> OutboxMessage:
    rendered = render_mail(kind, context)
    thread = tuple(references) + ((in_reply_to,) if in_reply_to and in_reply_to not in references else ())
    envelope = Envelope(
        sender_address=settings.address,
        sender_name=settings.display_name,
        recipients=(ticket.requester_address,),
        in_reply_to=in_reply_to,
        references=thread,
        automatic=automatic,
    )
    message_id = make_message_id(ticket.number, settings.address)
    message = compose(rendered, envelope, message_id=message_id)
    row = enqueue(session, message, kind=kind, envelope_from=settings.address, ticket_id=ticket.id)
    add_entry(
        session, ticket, direction=Direction.OUTBOUND, kind=kind,
        text=rendered.text, author=settings.address, message_id=message_id, outbox_id=row.id,
    )
    return row


def queue_staff_notice(
    session: Session, settings: Settings, kind: str, context: dict[str, object], *, ticket_id: int | None = None
) -> OutboxMessage | None:
    """Queue a notice to the IT staff addresses; None when none are configured."""
    if not settings.staff:
        return None
    rendered = render_mail(kind, context)
    envelope = Envelope(
        sender_address=settings.address,
        sender_name=settings.display_name,
        recipients=settings.staff,
    )
    message = compose(rendered, envelope, message_id=make_message_id(None, settings.address))
    return enqueue(session, message, kind=kind, envelope_from=settings.address, ticket_id=ticket_id)
