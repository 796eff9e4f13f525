"""A requester's reply that rates the answer on a finished ticket.

Only the requester rates, and only an answered or closed ticket, however
long ago it closed. On an open ticket or one awaiting clarification a digit
means something else, such as the process number a clarifying question requests.
A rating reply is kept on the thread, reopens nothing, opens no ticket and
gets no mail back: it is the last step of a finished ticket, and a
confirmation would only invite another reply. A reply that is not read as
a rating is handled as before, so the requester still hears back on a
complaint.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.db.models import Direction, InboundMessage, Ticket, TicketStatus
from mailbot.feedback.replies import Rating, read_rating
from mailbot.feedback.store import record_rating
from mailbot.parse import ParsedMessage
from mailbot.routing.context import Context
from mailbot.routing.outcome import Outcome
from mailbot.routing.requests import store_attachments
from mailbot.tickets.service import add_entry

RATED_STATUSES = (TicketStatus.ANSWERED, TicketStatus.CLOSED)


def rating_in_reply(ticket: Ticket, parsed: ParsedMessage) -> Rating | None:
    """Return the rating the requester's reply gives, or None when it is not one."""
    if ticket.status not in RATED_STATUSES:
        return None
    if (parsed.from_address or "") != ticket.requester_address.lower():
        return None
    return read_rating(parsed.reply_text)


def record_rating_reply(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket,
    rating: Rating, rule: str,
) -> Outcome:
    """Keep the reply on the thread and store its rating; nothing else happens."""
    add_entry(
        session, ticket, direction=Direction.INBOUND, kind="rating", text=parsed.reply_text,
        author=parsed.from_address or "", message_id=parsed.message_id, inbound_id=inbound.id,
        attachments=store_attachments(context, parsed),
    )
    record_rating(session, ticket, rating.rating, comment=rating.comment, source="mail")
    return Outcome("rated", inbound, ticket=ticket, reason=rule)
