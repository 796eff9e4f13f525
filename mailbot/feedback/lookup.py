"""Reading the stored ratings of tickets."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Ticket, TicketFeedback


def feedback_of(session: Session, ticket: Ticket) -> TicketFeedback | None:
    return session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))


def feedback_by_ticket(session: Session, ticket_ids: Collection[int]) -> dict[int, TicketFeedback]:
    """Return the rating of each listed ticket that has one, keyed by ticket id."""
    if not ticket_ids:
        return {}
    query = select(TicketFeedback).where(TicketFeedback.ticket_id.in_(list(ticket_ids)))
    return {feedback.ticket_id: feedback for feedback in session.scalars(query)}
