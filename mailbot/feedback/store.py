"""Recording a requester's rating of one ticket; the latest rating counts."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Direction, Ticket, TicketFeedback
from mailbot.tickets.service import add_entry

logger = logging.getLogger(__name__)

RATINGS = range(1, 6)


def record_rating(
    session: Session,
    ticket: Ticket,
    rating: int,
    *,
    comment: str = "",
    source: str,
) -> TicketFeedback:
    """Store `rating` (1-5) for `ticket` inside the caller's transaction.

    A later rating replaces an earlier one; an empty comment keeps the
    earlier comment, so a rating changed by link does not erase what was
    written. The change is noted on the ticket's thread.
    """
    if rating not in RATINGS:
        raise ValueError(f"rating {rating} is outside 1-5")

    feedback = session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))
    if feedback is None:
        feedback = TicketFeedback(ticket_id=ticket.id, rating=rating, comment=comment, source=source)
        session.add(feedback)
    else:
        feedback.rating = rating
        feedback.comment = comment or feedback.comment
        feedback.source = source
    feedback.process = ticket.process

    note = f"Оценка {rating}" + (f": {comment}" if comment else "")
    add_entry(
        session, ticket, direction=Direction.INTERNAL, kind="feedback", text=note, author=ticket.requester_address
    )
    logger.info(
        "ticket rated",
        extra={"ticket": ticket.number, "rating": rating, "source": source},
    )
    return feedback
