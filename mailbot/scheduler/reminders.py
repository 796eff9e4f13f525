"""Queue deadline reminders to the assignee, or to IT staff when unassigned.

Each reminder is recorded in `reminder_sent` under a unique key (ticket,
kind, due date) in the transaction that queues its mail. So a reminder goes
out once across restarts and across instances sharing the database: the
instance that loses the race gets an IntegrityError and queues nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import Direction, ReminderSent, Ticket
from mailbot.outbound.compose import Envelope, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.tickets.service import add_entry
from mailbot.outbound.render import render_mail
from mailbot.processes import Process
from mailbot.routing.context import Context
from mailbot.scheduler.answers import UNANSWERED_STATUSES
from mailbot.scheduler.reminder_plan import (
    ScheduledReminder,
    due_reminder,
    is_reminder_time,
    working_days_after,
    working_days_left,
)

logger = logging.getLogger(__name__)

REMINDER_MAIL_KIND = "reminder"


@dataclasses.dataclass(frozen=True)
class ReminderRun:
    """Counts of one pass over the open tickets."""

    checked: int = 0
    queued: int = 0
    # Reminders another instance queued first.
    lost_races: int = 0
    no_recipient: int = 0
    # Tickets answered or given a new due date while the pass ran.
    not_needed: int = 0
    failed: int = 0


@dataclasses.dataclass(frozen=True)
class _Candidate:
    ticket_id: int
    number: str
    reminder: ScheduledReminder
    due_date: datetime.date


def send_due_reminders(session_factory: sessionmaker[Session], context: Context, *, now: datetime.datetime) -> ReminderRun:
    """Queue every reminder due at `now`; one failing ticket does not stop the others."""
    settings = context.settings
    if not is_reminder_time(context.calendar, now, settings.workday_start):
        return ReminderRun()
    candidates, checked = _find_candidates(session_factory, context, now)
    counts = {"queued": 0, "lost_races": 0, "no_recipient": 0, "not_needed": 0, "failed": 0}
    for candidate in candidates:
        outcome = _remind_safely(session_factory, context, candidate, now)
        counts[outcome] += 1
    return ReminderRun(checked=checked, **counts)


def _find_candidates(
    session_factory: sessionmaker[Session], context: Context, now: datetime.datetime
) -> tuple[list[_Candidate], int]:
    """Return the tickets whose due reminder is not yet recorded, and how many were checked."""
    settings = context.settings
    today = context.calendar.local_date(now)
    # A ticket due later than this has no reminder due today.
    latest_due_date = working_days_after(context.calendar, today, max(settings.reminder_days, default=0))
    with session_factory() as session:
        tickets = list(
            session.execute(
                select(Ticket.id, Ticket.number, Ticket.due_date, Ticket.received_at).where(
                    Ticket.status.in_(UNANSWERED_STATUSES), Ticket.due_date <= latest_due_date
                )
            )
        )
        recorded = _recorded_reminders(session, [row.id for row in tickets])
    candidates = []
    for row in tickets:
        reminder = due_reminder(
            context.calendar, due_date=row.due_date, received_at=row.received_at, now=now,
            offsets=settings.reminder_days, start=settings.workday_start,
        )
        if reminder is not None and (row.id, reminder.kind, row.due_date) not in recorded:
            candidates.append(_Candidate(row.id, row.number, reminder, row.due_date))
    return candidates, len(tickets)


def _recorded_reminders(session: Session, ticket_ids: list[int]) -> set[tuple[int, str, datetime.date]]:
    if not ticket_ids:
        return set()
    rows = session.execute(
        select(ReminderSent.ticket_id, ReminderSent.kind, ReminderSent.due_date).where(
            ReminderSent.ticket_id.in_(ticket_ids)
        )
    )
    return {(row.ticket_id, row.kind, row.due_date) for row in rows}


def _remind_safely(
    session_factory: sessionmaker[Session], context: Context, candidate: _Candidate, now: datetime.datetime
) -> str:
    log_extra = {"ticket": candidate.number, "reminder": candidate.reminder.kind}
    try:
        outcome = remind(session_factory, context, candidate, now=now)
    except IntegrityError:
        logger.info("reminder already queued by another instance", extra=log_extra)
        return "lost_races"
    except Exception:  # noqa: BLE001 - one broken ticket must not stop the reminders of the others
        logger.exception("reminder failed", extra=log_extra)
        return "failed"
    if outcome == "no_recipient":
        logger.warning("reminder not sent: no assignee and MAILBOT_STAFF is empty", extra=log_extra)
    elif outcome == "queued":
        logger.info("reminder queued", extra=log_extra)
    return outcome


def remind(
    session_factory: sessionmaker[Session], context: Context, candidate: _Candidate, *, now: datetime.datetime
) -> str:
    """Record and queue one reminder in one transaction.

    Returns "queued", "no_recipient", or "not_needed" when the ticket was
    answered or got another due date meanwhile. Raises IntegrityError when
    another instance recorded the reminder first.
    """
    settings = context.settings
    with session_factory.begin() as session:
        ticket = session.get(Ticket, candidate.ticket_id)
        if ticket is None or ticket.status not in UNANSWERED_STATUSES or ticket.due_date != candidate.due_date:
            return "not_needed"
        recipients = (ticket.assignee,) if ticket.assignee else settings.staff
        if not recipients:
            return "no_recipient"
        record = ReminderSent(ticket_id=ticket.id, kind=candidate.reminder.kind, due_date=ticket.due_date)
        session.add(record)
        # The insert goes first so that a lost race fails before any rendering.
        session.flush()
        values = reminder_context(context, ticket, candidate.reminder, now=now)
        record.outbox_id = _queue_mail(session, settings, ticket, recipients, values)
    return "queued"


def reminder_context(
    context: Context, ticket: Ticket, reminder: ScheduledReminder, *, now: datetime.datetime
) -> dict[str, object]:
    """Build the template variables of the reminder mail."""
    calendar = context.calendar
    today = calendar.local_date(now)
    return {
        "ticket": ticket,
        "overdue": reminder.is_overdue,
        "process_title": Process(ticket.process).title_ru if ticket.process else None,
        "received_at": ticket.received_at.astimezone(calendar.tz),
        "due_date": ticket.due_date,
        "due_at": ticket.due_at.astimezone(calendar.tz),
        "working_days_left": working_days_left(calendar, today, ticket.due_date),
        "days_overdue": max((today - ticket.due_date).days, 0),
        "assigned": ticket.assignee is not None,
        "signature": context.settings.display_name,
    }


def _queue_mail(
    session: Session, settings: Settings, ticket: Ticket, recipients: tuple[str, ...], values: dict[str, object]
) -> int:
    rendered = render_mail("reminder", values)
    # Reply-To brings a staff member's reply, commands included, back to the ticket.
    envelope = Envelope(
        sender_address=settings.address, sender_name=settings.display_name, recipients=recipients,
        reply_to=settings.address,
    )
    message_id = make_message_id(ticket.number, settings.address)
    message = compose(rendered, envelope, message_id=message_id)
    row = enqueue(session, message, kind=REMINDER_MAIL_KIND, envelope_from=settings.address, ticket=ticket)
    add_entry(
        session, ticket, direction=Direction.INTERNAL, kind=REMINDER_MAIL_KIND, text=", ".join(recipients),
        author=settings.address, message_id=message_id, outbox=row,
    )
    session.flush()
    return row.id
