"""The tickets report: what arrived in a period and how it was answered.

A ticket belongs to the period when it was received on one of the local
days from `first_day` to `last_day` inclusive (in the committee's time
zone). "Answered", "answer time" and "on time" follow the one definition in
`mailbot.scheduler.answers`, the same as the weekly digest. The state is
taken as of the report's `now`: an answer written after `now` does not
count yet, and an unanswered ticket is overdue when its `due_at` is before
`now`.

Days to answer are calendar days from arrival to the answer time, with
fractions (36 hours is 1.5 days). The median is over the tickets answered
by `now`, rounded to one decimal.

All tickets of the period are read in one SELECT of the few columns needed
(with the first answer and the rating joined in), and counted in one pass.
"""

from __future__ import annotations

import dataclasses
import datetime
import statistics
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from mailbot.db.models import Channel, ThreadEntry, Ticket, TicketFeedback
from mailbot.processes import Process
from mailbot.scheduler.answers import answer_time, first_answer_query, is_answered, is_answered_on_time
from mailbot.tickets.views import CHANNEL_RU

NO_PROCESS_RU = "не определён"
NO_ASSIGNEE_RU = "не назначен"
SECONDS_PER_DAY = 86400


@dataclasses.dataclass(frozen=True)
class Figures:
    """The counts of one group of tickets; `median_days` is None when none was answered."""

    received: int
    on_time: int
    late: int
    open: int
    overdue: int
    median_days: float | None

    @property
    def answered(self) -> int:
        return self.on_time + self.late


@dataclasses.dataclass(frozen=True)
class ProcessRow:
    """One process (None: not determined), its tickets per channel and its ratings."""

    process: int | None
    title: str
    figures: Figures
    # Tickets received per channel, in the order of `Channel`.
    channels: tuple[int, ...]
    rating_mean: float | None
    rating_count: int

    @property
    def label(self) -> str:
        return f"{self.process}. {self.title}" if self.process else self.title


@dataclasses.dataclass(frozen=True)
class GroupRow:
    """The figures of one channel or one assignee."""

    label: str
    figures: Figures


@dataclasses.dataclass(frozen=True)
class TicketReport:
    first_day: datetime.date
    last_day: datetime.date
    # The moment the open and overdue tickets are counted at, in local time.
    generated_at: datetime.datetime
    total: Figures
    by_process: tuple[ProcessRow, ...]
    by_channel: tuple[GroupRow, ...]
    by_assignee: tuple[GroupRow, ...]
    rating_mean: float | None
    rating_count: int


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """The outcome of one ticket as of the report's `now`."""

    process: int | None
    channel: Channel
    assignee: str
    on_time: bool
    late: bool
    overdue: bool
    days: float | None
    rating: int | None


def build_ticket_report(
    session: Session,
    first_day: datetime.date,
    last_day: datetime.date,
    *,
    now: datetime.datetime,
    tz: datetime.tzinfo,
) -> TicketReport:
    """Compute the report on the tickets received from `first_day` to `last_day` (local, inclusive)."""
    if last_day < first_day:
        raise ValueError(f"period ends ({last_day}) before it starts ({first_day})")

    start = datetime.datetime.combine(first_day, datetime.time(0, 0), tzinfo=tz)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time(0, 0), tzinfo=tz)
    outcomes = list(_load_outcomes(session, start, end, now))

    ratings = [outcome.rating for outcome in outcomes if outcome.rating is not None]
    return TicketReport(
        first_day=first_day,
        last_day=last_day,
        generated_at=now.astimezone(tz),
        total=_figures(outcomes),
        by_process=tuple(_process_row(code, outcomes) for code in [*Process, None]),
        by_channel=tuple(
            GroupRow(CHANNEL_RU[channel], _figures([o for o in outcomes if o.channel == channel]))
            for channel in Channel
        ),
        by_assignee=_assignee_rows(outcomes),
        rating_mean=_mean(ratings),
        rating_count=len(ratings),
    )


def _load_outcomes(
    session: Session, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> Iterable[_Outcome]:
    in_period = (Ticket.received_at >= start, Ticket.received_at < end)
    # Only this period's answers are aggregated, so the cost follows the period, not the whole history.
    answers = first_answer_query().where(ThreadEntry.ticket_id.in_(select(Ticket.id).where(*in_period))).subquery()
    columns = (
        Ticket.process, Ticket.channel, Ticket.assignee, Ticket.status, Ticket.received_at,
        Ticket.due_at, Ticket.closed_at, Ticket.updated_at,
    )
    query = (
        select(Ticket, answers.c[1], TicketFeedback.rating)
        .options(load_only(*columns))
        .outerjoin(answers, answers.c.ticket_id == Ticket.id)
        .outerjoin(TicketFeedback, TicketFeedback.ticket_id == Ticket.id)
        .where(*in_period)
    )
    for ticket, first_answer_at, rating in session.execute(query):
        yield _outcome(ticket, answer_time(ticket, first_answer_at), rating, now)


def _outcome(ticket: Ticket, answered_at: datetime.datetime | None, rating: int | None, now: datetime.datetime) -> _Outcome:
    answered = is_answered(answered_at, now)
    on_time = answered and is_answered_on_time(ticket, answered_at)
    days = None
    if answered and answered_at is not None:
        days = (answered_at - ticket.received_at).total_seconds() / SECONDS_PER_DAY
    return _Outcome(
        process=ticket.process,
        channel=ticket.channel,
        assignee=ticket.assignee or NO_ASSIGNEE_RU,
        on_time=on_time,
        late=answered and not on_time,
        overdue=not answered and ticket.due_at < now,
        days=days,
        rating=rating,
    )


def _figures(outcomes: list[_Outcome]) -> Figures:
    days = [outcome.days for outcome in outcomes if outcome.days is not None]
    on_time = sum(outcome.on_time for outcome in outcomes)
    late = sum(outcome.late for outcome in outcomes)
    return Figures(
        received=len(outcomes),
        on_time=on_time,
        late=late,
        open=len(outcomes) - on_time - late,
        overdue=sum(outcome.overdue for outcome in outcomes),
        median_days=round(statistics.median(days), 1) if days else None,
    )


def _process_row(code: Process | None, outcomes: list[_Outcome]) -> ProcessRow:
    mine = [outcome for outcome in outcomes if outcome.process == code]
    ratings = [outcome.rating for outcome in mine if outcome.rating is not None]
    return ProcessRow(
        process=int(code) if code is not None else None,
        title=code.title_ru if code is not None else NO_PROCESS_RU,
        figures=_figures(mine),
        channels=tuple(sum(outcome.channel == channel for outcome in mine) for channel in Channel),
        rating_mean=_mean(ratings),
        rating_count=len(ratings),
    )


def _assignee_rows(outcomes: list[_Outcome]) -> tuple[GroupRow, ...]:
    """Group by assignee address, sorted, with the unassigned tickets last."""
    names = sorted({outcome.assignee for outcome in outcomes} - {NO_ASSIGNEE_RU})
    if any(outcome.assignee == NO_ASSIGNEE_RU for outcome in outcomes):
        names.append(NO_ASSIGNEE_RU)
    return tuple(GroupRow(name, _figures([o for o in outcomes if o.assignee == name])) for name in names)


def _mean(values: list[int]) -> float | None:
    """Return the mean rounded to two decimals, or None for no values."""
    return round(statistics.fmean(values), 2) if values else None
