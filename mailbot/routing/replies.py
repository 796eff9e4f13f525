"""A requester's (or participant's) message on an existing ticket's thread.

An answered ticket is reopened by a reply; a closed one too, within
MAILBOT_REOPEN_DAYS of closing, and later the reply opens a new ticket
linked to the old one. A reply that is only thanks reopens nothing, and
neither does a reply that rates the answer (see routing.ratings), unless it
is a rating of 1-2 saying the problem is not solved. Every status change is
recorded on the thread.
"""

from __future__ import annotations

import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Direction, InboundMessage, ThreadEntry, Ticket, TicketStatus
from mailbot.feedback.store import record_rating
from mailbot.outbound.staff_mail import queue_staff_reply_notice
from mailbot.parse import ParsedMessage
from mailbot.routing.clarification import settle_process
from mailbot.routing.context import Context
from mailbot.routing.outcome import Outcome
from mailbot.routing.ratings import rating_in_reply, record_rating_reply
from mailbot.routing.requests import acknowledge, open_request, store_attachments
from mailbot.tickets.service import add_entry, change_status


def add_reply(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket, rule: str
) -> Outcome:
    rating = rating_in_reply(ticket, parsed)
    if rating is not None and not rating.unresolved:
        return record_rating_reply(session, context, inbound, parsed, ticket, rating, rule)
    if rating is not None:
        # A low rating reporting that the problem is not solved counts, and
        # the reply goes on as a complaint.
        record_rating(session, ticket, rating.rating, comment=rating.comment, source="mail")

    if ticket.status == TicketStatus.CLOSED and not _within_reopen_window(context, ticket):
        return open_request(session, context, inbound, parsed, related=ticket)

    sender = parsed.from_address or ""
    add_entry(
        session, ticket, direction=Direction.INBOUND, kind="reply", text=parsed.reply_text, author=sender,
        message_id=parsed.message_id, inbound_id=inbound.id, attachments=store_attachments(context, parsed),
    )
    if ticket.status == TicketStatus.CLARIFICATION:
        return _answer_clarification(session, context, inbound, parsed, ticket, rule)

    thanks_only = rating is None and context.classifier.classify("", parsed.reply_text).process is None
    reopened = ticket.status in (TicketStatus.ANSWERED, TicketStatus.CLOSED) and not thanks_only
    if reopened:
        change_status(session, ticket, TicketStatus.OPEN, author=sender)
    if reopened or ticket.status == TicketStatus.OPEN:
        queue_staff_reply_notice(session, context.settings, ticket, sender, parsed.reply_text, reopened=reopened)
    return Outcome("reopened" if reopened else "thread_reply", inbound, ticket=ticket, reason=rule)


def _answer_clarification(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket, rule: str
) -> Outcome:
    sender = parsed.from_address or ""
    if _last_question_kind(session, ticket) == "clarification":
        # The classifier asked which process the request belongs to.
        settle_process(session, context, ticket, parsed)
        acknowledge(session, context, ticket, parsed)
    else:
        change_status(session, ticket, TicketStatus.OPEN, author=sender)
    queue_staff_reply_notice(session, context.settings, ticket, sender, parsed.reply_text, reopened=False)
    return Outcome("clarification_answer", inbound, ticket=ticket, reason=rule)


def _last_question_kind(session: Session, ticket: Ticket) -> str | None:
    query = (
        select(ThreadEntry.kind)
        .where(ThreadEntry.ticket_id == ticket.id, ThreadEntry.kind.in_(("clarification", "question")))
        .order_by(ThreadEntry.id.desc())
    )
    return session.scalars(query).first()


def _within_reopen_window(context: Context, ticket: Ticket) -> bool:
    if ticket.closed_at is None:
        return True
    age = datetime.datetime.now(datetime.UTC) - ticket.closed_at
    return age <= datetime.timedelta(days=context.settings.reopen_days)
