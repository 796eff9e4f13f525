"""Clarifying questions for requests the classifier is unsure about.

The requester is asked to choose between the two likeliest processes by
replying with a number, or to describe the request in more detail; the
reply settles the process. The deadline keeps running from the first
arrival.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from mailbot.classify.model import Classification
from mailbot.db.models import Direction, Ticket, TicketStatus
from mailbot.outbound.notices import queue_to_requester
from mailbot.parse import ParsedMessage
from mailbot.processes import Process
from mailbot.routing.context import Context
from mailbot.tickets.service import add_entry, change_status

_CHOICE = re.compile(r"^\D{0,20}?\b([1-8])\b")


def queue_clarification(
    session: Session, context: Context, ticket: Ticket, classification: Classification, parsed: ParsedMessage
) -> None:
    candidates = [process for process, _ in classification.ranking if process is not None][:2]
    settings = context.settings
    mail_context = {
        "ticket": ticket,
        "candidates": [{"code": int(process), "title": process.title_ru} for process in candidates],
        "received_at": ticket.received_at.astimezone(settings.tz),
        "due_date": ticket.due_date,
        "requester_name": ticket.requester_name,
        "signature": settings.display_name,
    }
    queue_to_requester(
        session, settings, ticket, "clarification", mail_context,
        in_reply_to=parsed.message_id, references=parsed.references,
    )


def chosen_process(text: str) -> Process | None:
    """Return the process code the requester chose on the first line, if any."""
    for line in text.splitlines():
        if line.strip():
            match = _CHOICE.match(line.strip())
            return Process(int(match.group(1))) if match else None
    return None


def settle_process(session: Session, context: Context, ticket: Ticket, parsed: ParsedMessage) -> None:
    """Set the ticket's process from the requester's answer and reopen it."""
    process = chosen_process(parsed.reply_text)
    how = "requester_choice"
    if process is None:
        request_text = "\n".join(entry.text for entry in ticket.entries if entry.kind == "request")
        verdict = context.classifier.classify(ticket.subject, f"{request_text}\n{parsed.reply_text}")
        process = verdict.process or (Process(ticket.process) if ticket.process else None)
        how = "reclassified"
    if process is not None:
        ticket.process = int(process)
    add_entry(
        session, ticket, direction=Direction.INTERNAL, kind="process_set",
        text=f"process {ticket.process} ({how})", author=parsed.from_address or "",
    )
    change_status(session, ticket, TicketStatus.OPEN, author=parsed.from_address or "")
