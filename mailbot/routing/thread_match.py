"""Match an inbound message to the ticket whose thread it continues.

The rules, in order:

1. `In-Reply-To` names a message of a ticket's thread (ours or an inbound
   one): the message continues that ticket.
2. `References` names such a message and the subject, without reply and
   forward prefixes and tags, is still the ticket's: it continues the ticket.
3. The subject carries the ticket's tag and the sender is the requester, a
   participant of the thread, or IT staff: it continues the ticket.
4. Anything else that points at a ticket (a stranger quoting the tag, or a
   forward of an old thread under a new subject whose References still name
   our mail) opens a new ticket linked to the old one.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Direction, OutboxMessage, ThreadEntry, Ticket
from mailbot.parse import ParsedMessage
from mailbot.routing.subjects import subjects_match


@dataclasses.dataclass(frozen=True)
class ThreadMatch:
    """The outcome of matching: continue `ticket`, or open a new one linked to `related`."""

    ticket: Ticket | None
    related: Ticket | None
    rule: str


NO_MATCH = ThreadMatch(None, None, "none")


def match_thread(session: Session, parsed: ParsedMessage, *, staff: tuple[str, ...]) -> ThreadMatch:
    if parsed.in_reply_to:
        ticket = ticket_by_message_id(session, parsed.in_reply_to)
        if ticket is not None:
            return ThreadMatch(ticket, None, "in_reply_to")

    referenced = _referenced_ticket(session, parsed.references)
    if referenced is not None and subjects_match(parsed.subject, referenced.subject):
        return ThreadMatch(referenced, None, "references")

    tagged = _tagged_ticket(session, parsed.ticket_number)
    if tagged is not None:
        if is_participant(session, tagged, parsed.from_address or "", staff=staff):
            return ThreadMatch(tagged, None, "tag")
        return ThreadMatch(None, tagged, "tag_stranger")

    if referenced is not None:
        return ThreadMatch(None, referenced, "references_new_topic")
    return NO_MATCH


def ticket_by_message_id(session: Session, message_id: str) -> Ticket | None:
    """Return the ticket whose thread holds `message_id`, in or out."""
    outgoing = select(OutboxMessage.ticket_id).where(OutboxMessage.message_id == message_id)
    ticket_id = session.scalars(outgoing).first()
    if ticket_id is None:
        entries = select(ThreadEntry.ticket_id).where(ThreadEntry.message_id == message_id)
        ticket_id = session.scalars(entries).first()
    return session.get(Ticket, ticket_id) if ticket_id is not None else None


def is_participant(session: Session, ticket: Ticket, address: str, *, staff: tuple[str, ...]) -> bool:
    address = address.lower()
    if not address:
        return False
    if address == ticket.requester_address.lower() or address in staff:
        return True
    authors = select(ThreadEntry.author).where(
        ThreadEntry.ticket_id == ticket.id, ThreadEntry.direction == Direction.INBOUND
    )
    return address in {author.lower() for author in session.scalars(authors)}


def _referenced_ticket(session: Session, references: tuple[str, ...]) -> Ticket | None:
    # The newest reference is last (RFC 5322, section 3.6.4), and it is the
    # likeliest to be ours when a thread was forwarded on.
    for message_id in reversed(references):
        ticket = ticket_by_message_id(session, message_id)
        if ticket is not None:
            return ticket
    return None


def _tagged_ticket(session: Session, number: str | None) -> Ticket | None:
    if number is None:
        return None
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()
