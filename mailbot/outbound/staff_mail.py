"""Mail between the ticket and the IT staff, and staff answers to requesters.

Staff mail goes to the MAILBOT_STAFF addresses (or the assignee) with
Reply-To set to the IT mailbox, so that a staff member's reply returns to
mailbot on the ticket's thread. An answer to a requester comes from the IT
mailbox and is signed with the staff member's name: the requester never
sees internal addresses or notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Direction, OutboxMessage, StoredAttachment, ThreadEntry, Ticket
from mailbot.feedback.ask import rating_links
from mailbot.outbound.compose import Envelope, OutgoingAttachment, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.outbound.render import render_mail
from mailbot.processes import Process
from mailbot.tickets.files import attachment_path
from mailbot.tickets.service import add_entry
from mailbot.tickets.views import CHANNEL_RU

MAX_REFERENCES = 10


def staff_recipients(settings: Settings, ticket: Ticket | None) -> tuple[str, ...]:
    if ticket is not None and ticket.assignee:
        return (ticket.assignee,)
    return settings.staff


def load_attachments(settings: Settings, stored: Sequence[StoredAttachment]) -> tuple[OutgoingAttachment, ...]:
    """Read stored attachment bytes back for relaying them in a mail."""
    return tuple(
        OutgoingAttachment(item.filename, item.content_type, attachment_path(settings.storage_dir, item.sha256).read_bytes())
        for item in stored
    )


def queue_staff_announcement(
    session: Session, settings: Settings, ticket: Ticket, text: str, attachments: Sequence[StoredAttachment]
) -> OutboxMessage | None:
    """Announce a new ticket to staff, with the request text and its files."""
    recipients = staff_recipients(settings, ticket)
    if not recipients:
        return None
    attached, left = _within_budget(attachments, settings.staff_attachment_max_bytes)
    context = {
        "ticket": ticket,
        "process_title": Process(ticket.process).title_ru if ticket.process else None,
        "confidence": ticket.confidence,
        "received_at": ticket.received_at.astimezone(settings.tz),
        "due_date": ticket.due_date,
        "due_at": ticket.due_at.astimezone(settings.tz),
        "text": text,
        "attachments": [item.filename for item in attached] + [_stored_file_note(settings, item) for item in left],
        "channel_title": CHANNEL_RU[ticket.channel],
    }
    return _queue_to_staff(
        session, settings, ticket, "staff_new_ticket", context, recipients, load_attachments(settings, attached)
    )


def _within_budget(
    attachments: Sequence[StoredAttachment], budget: int
) -> tuple[list[StoredAttachment], list[StoredAttachment]]:
    """Split files into those attached (in order, while the total fits `budget`) and the rest.

    Queuing a mail keeps each attached file in memory several times over (the file,
    its base64 text, the flattened mail and the database's copies): a
    17.5 MiB file raised the daemon's peak by 136 MB (bench/RESULTS-ingest.md).
    """
    attached: list[StoredAttachment] = []
    left: list[StoredAttachment] = []
    total = 0
    for item in attachments:
        if total + item.size <= budget:
            attached.append(item)
            total += item.size
        else:
            left.append(item)
    return attached, left


def _stored_file_note(settings: Settings, item: StoredAttachment) -> str:
    megabytes = f"{item.size / (1024 * 1024):.1f}".replace(".", ",")
    path = attachment_path(settings.storage_dir, item.sha256)
    return f"{item.filename} ({megabytes} МБ, не вложен в письмо, хранится в {path})"


def queue_staff_reply_notice(
    session: Session, settings: Settings, ticket: Ticket, author: str, text: str, *, reopened: bool
) -> OutboxMessage | None:
    recipients = staff_recipients(settings, ticket)
    if not recipients:
        return None
    context = {"ticket": ticket, "author": author, "text": text, "reopened": reopened}
    return _queue_to_staff(session, settings, ticket, "staff_reply_notice", context, recipients, ())


def queue_staff_low_rating(
    session: Session, settings: Settings, ticket: Ticket, rating: int, comment: str
) -> OutboxMessage | None:
    """Tell the assignee (or MAILBOT_STAFF) about a rating of 1-2 with a comment from the rating page.

    A rating given on the web page never reopens the ticket, so without this
    mail nobody would read a complaint such as «проблема не решена».
    """
    recipients = staff_recipients(settings, ticket)
    if not recipients:
        return None
    context: Mapping[str, object] = {"ticket": ticket, "rating": rating, "comment": comment}
    return _queue_to_staff(session, settings, ticket, "staff_low_rating", context, recipients, ())


def queue_command_help(
    session: Session, settings: Settings, ticket: Ticket | None, staff_address: str, errors: list[dict[str, str]],
    *, in_reply_to: str | None,
) -> OutboxMessage:
    rendered = render_mail("command_help", {"ticket": ticket, "errors": errors})
    envelope = Envelope(
        sender_address=settings.address, sender_name=settings.display_name, recipients=(staff_address,),
        in_reply_to=in_reply_to, references=(in_reply_to,) if in_reply_to else (), reply_to=settings.address,
    )
    number = ticket.number if ticket is not None else None
    message = compose(rendered, envelope, message_id=make_message_id(number, settings.address))
    return enqueue(session, message, kind="command_help", envelope_from=settings.address, ticket=ticket)


def _queue_to_staff(
    session: Session, settings: Settings, ticket: Ticket, kind: str, context: Mapping[str, object],
    recipients: tuple[str, ...], attachments: tuple[OutgoingAttachment, ...],
) -> OutboxMessage:
    rendered = render_mail(kind, context)
    in_reply_to, references = _staff_thread(session, ticket)
    envelope = Envelope(
        sender_address=settings.address, sender_name=settings.display_name, recipients=recipients,
        in_reply_to=in_reply_to, references=references, reply_to=settings.address,
    )
    message_id = make_message_id(ticket.number, settings.address)
    message = compose(rendered, envelope, message_id=message_id, attachments=attachments)
    row = enqueue(session, message, kind=kind, envelope_from=settings.address, ticket=ticket)
    add_entry(
        session, ticket, direction=Direction.INTERNAL, kind=kind, text="Кому: " + ", ".join(recipients),
        author=settings.address, message_id=message_id, outbox=row,
    )
    return row


def queue_answer(
    session: Session, settings: Settings, ticket: Ticket, *, kind: str, text: str, staff_name: str,
    staff_address: str, attachments: Sequence[StoredAttachment] = (),
) -> OutboxMessage:
    """Relay a staff member's text to the requester as the written answer.

    `kind` is "answer", "question" (a clarifying question) or "closing".
    """
    context = {"ticket": ticket, "text": text, "staff_name": staff_name, "kind": kind,
               "signature": settings.display_name, "rating_links": rating_links(session, settings, ticket, kind)}
    rendered = render_mail("answer", context)
    in_reply_to, references = requester_thread(session, ticket)
    envelope = Envelope(
        sender_address=settings.address, sender_name=settings.display_name,
        recipients=(ticket.requester_address,), in_reply_to=in_reply_to, references=references, automatic=False,
    )
    message_id = make_message_id(ticket.number, settings.address)
    message = compose(rendered, envelope, message_id=message_id, attachments=load_attachments(settings, attachments))
    row = enqueue(session, message, kind=kind, envelope_from=settings.address, ticket=ticket)
    add_entry(
        session, ticket, direction=Direction.OUTBOUND, kind=kind, text=text, author=staff_address,
        message_id=message_id, outbox=row,
    )
    return row


def requester_thread(session: Session, ticket: Ticket) -> tuple[str | None, tuple[str, ...]]:
    """Return In-Reply-To and References for a mail to the requester.

    The thread is the requester's messages and our mail to them, never the
    internal staff mail, so no internal Message-ID reaches the requester.
    """
    query = (
        select(ThreadEntry.message_id)
        .where(
            ThreadEntry.ticket_id == ticket.id,
            ThreadEntry.direction.in_((Direction.INBOUND, Direction.OUTBOUND)),
            ThreadEntry.message_id.is_not(None),
            ThreadEntry.author.in_((ticket.requester_address, "")) | (ThreadEntry.direction == Direction.OUTBOUND),
        )
        .order_by(ThreadEntry.id)
    )
    ids = [message_id for message_id in session.scalars(query) if message_id]
    ids = ids[-MAX_REFERENCES:]
    return (ids[-1] if ids else None), tuple(ids)


def _staff_thread(session: Session, ticket: Ticket) -> tuple[str | None, tuple[str, ...]]:
    if inspect(ticket).pending:
        # A ticket opened in this transaction: its whole thread is in memory.
        ids = [entry.message_id for entry in ticket.entries if entry.message_id][-MAX_REFERENCES:]
        return (ids[-1] if ids else None), tuple(ids)
    query = (
        select(ThreadEntry.message_id)
        .where(ThreadEntry.ticket_id == ticket.id, ThreadEntry.message_id.is_not(None))
        .order_by(ThreadEntry.id)
    )
    ids = [message_id for message_id in session.scalars(query) if message_id][-MAX_REFERENCES:]
    return (ids[-1] if ids else None), tuple(ids)
