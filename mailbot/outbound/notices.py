"""The automatic mails a ticket sends to its requester."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Direction, OutboxMessage, OutboxState, Ticket
from mailbot.outbound.limits import exceeded_window
from mailbot.outbound.compose import Envelope, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.outbound.render import render_mail
from mailbot.processes import Process
from mailbot.tickets.service import add_entry

logger = logging.getLogger(__name__)


def queue_acknowledgement(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    *,
    in_reply_to: str | None,
    references: tuple[str, ...],
    oversize: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue the acknowledgement of a new ticket and record it on the thread."""
    context = {
        "oversize": oversize,
        "ticket": ticket,
        "process_title": Process(ticket.process).title_ru if ticket.process else None,
        "received_at": ticket.received_at.astimezone(settings.tz),
        "due_date": ticket.due_date,
        "due_at": ticket.due_at.astimezone(settings.tz),
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
    context: Mapping[str, object],
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
    state = _limited_state(session, settings, ticket, kind, automatic=automatic)
    row = enqueue(session, message, kind=kind, envelope_from=settings.address, ticket=ticket, state=state)
    add_entry(
        session, ticket, direction=Direction.OUTBOUND,
        kind=kind if state == OutboxState.PENDING else f"{kind}_suppressed",
        text=rendered.text, author=settings.address, message_id=message_id, outbox=row,
    )
    return row


def _limited_state(session: Session, settings: Settings, ticket: Ticket, kind: str, *, automatic: bool) -> OutboxState:
    if not automatic:
        return OutboxState.PENDING
    window = exceeded_window(session, ticket.requester_address, settings.reply_limits)
    if window is None:
        return OutboxState.PENDING
    logger.warning(
        "automatic reply suppressed: %d replies in %d s reached",
        window[0], window[1],
        extra={"ticket": ticket.number, "kind": kind},
    )
    return OutboxState.SUPPRESSED


def queue_staff_notice(
    session: Session, settings: Settings, kind: str, context: Mapping[str, object], *, ticket: Ticket | None = None
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
    return enqueue(session, message, kind=kind, envelope_from=settings.address, ticket=ticket)


OUTSIDE_NOTICE_WINDOW = ((1, 86400),)


def queue_outside_notice(
    session: Session, settings: Settings, recipient: str, subject: str, *, in_reply_to: str | None
) -> OutboxMessage | None:
    """Queue the one-a-day notice to a sender outside the allowed domains."""
    if exceeded_window(session, recipient, OUTSIDE_NOTICE_WINDOW, kind="outside_notice") is not None:
        return None
    context = {"subject": subject, "allowed_domains": settings.allowed_domains, "signature": settings.display_name}
    rendered = render_mail("outside_notice", context)
    envelope = Envelope(
        sender_address=settings.address,
        sender_name=settings.display_name,
        recipients=(recipient,),
        in_reply_to=in_reply_to,
        references=(in_reply_to,) if in_reply_to else (),
    )
    message = compose(rendered, envelope, message_id=make_message_id(None, settings.address))
    return enqueue(session, message, kind="outside_notice", envelope_from=settings.address, ticket=None)
