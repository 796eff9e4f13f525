"""When a ticket counts as answered, and whether that was on time.

The one definition the digest and its figures rely on:

- A ticket is answered once it has an outbound thread entry of kind
  "answer", or its status is "answered" or "closed".
- The answer time is the `created_at` of the first such entry; without one,
  the ticket's `closed_at`; without that, its `updated_at` (see the note in
  `answer_time`).
- The answer is on time when the answer time is at or before `due_at`.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Select, func, select

from mailbot.db.models import Direction, ThreadEntry, Ticket, TicketStatus

ANSWER_ENTRY_KIND = "answer"
ANSWERED_STATUSES = frozenset({TicketStatus.ANSWERED, TicketStatus.CLOSED})
UNANSWERED_STATUSES = (TicketStatus.OPEN, TicketStatus.CLARIFICATION)


def answer_time(ticket: Ticket, first_answer_at: datetime.datetime | None) -> datetime.datetime | None:
    """Return when `ticket` was answered, or None while it is unanswered.

    `first_answer_at` is the creation time of its first outbound "answer"
    entry, as `first_answer_query` selects it.
    """
    if first_answer_at is not None:
        return first_answer_at
    if ticket.status not in ANSWERED_STATUSES:
        return None
    if ticket.closed_at is not None:
        return ticket.closed_at
    # NOTE: a ticket set to "answered" without an answer entry has no
    # recorded answer time, so the time of its last change is used instead.
    # A later edit of the ticket moves that time.
    return ticket.updated_at


def is_answered(answered_at: datetime.datetime | None, now: datetime.datetime) -> bool:
    return answered_at is not None and answered_at <= now


def is_answered_on_time(ticket: Ticket, answered_at: datetime.datetime | None) -> bool:
    return answered_at is not None and answered_at <= ticket.due_at


def first_answer_query() -> Select[int, datetime.datetime]:
    """Select (ticket_id, created_at of the first outbound answer) per ticket."""
    return (
        select(ThreadEntry.ticket_id, func.min(ThreadEntry.created_at))
        .where(ThreadEntry.direction == Direction.OUTBOUND, ThreadEntry.kind == ANSWER_ENTRY_KIND)
        .group_by(ThreadEntry.ticket_id)
    )
