"""The figures of the weekly digest for management, computed at a given moment.

Everything here is a pure function of the database and `now`, so a test
controls the clock by passing `now`. "Answered" and "on time" follow the
single definition in `mailbot.scheduler.answers`.

A digest week is the seven days before the digest's day (the local date of
its schedule slot). The share answered on time counts the tickets whose
deadline (`due_at`) fell in that week and how many of them were answered
by it; the trend compares it with the same share over the earlier weeks.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.db.models import Channel, ThreadEntry, Ticket
from mailbot.processes import Process
from mailbot.scheduler.answers import (
    UNANSWERED_STATUSES,
    answer_time,
    first_answer_query,
    is_answered,
    is_answered_on_time,
)
from mailbot.tickets.views import CHANNEL_RU, ENTRY_KIND_RU, requester_label

WEEK = datetime.timedelta(days=7)
DUE_SOON = datetime.timedelta(days=7)


@dataclasses.dataclass(frozen=True)
class TicketLine:
    """One ticket as the digest lists it; times are local."""

    number: str
    requester: str
    process: int | None
    process_title: str | None
    channel: str
    received_at: datetime.datetime
    due_date: datetime.date
    days_overdue: int
    assignee: str | None
    last_action: str | None
    last_action_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class CountRow:
    """Ticket counts of one process or channel; `label` is None for tickets without a process."""

    label: str | None
    received: int
    unanswered: int
    overdue: int


@dataclasses.dataclass(frozen=True)
class WeekShare:
    """Tickets due in one week and how many of them were answered on time."""

    first_day: datetime.date
    last_day: datetime.date
    due: int
    on_time: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclasses.dataclass(frozen=True)
class DigestReport:
    """Everything the digest shows."""

    generated_at: datetime.datetime
    week: WeekShare
    previous_weeks: tuple[WeekShare, ...]
    overdue: tuple[TicketLine, ...]
    due_soon: tuple[TicketLine, ...]
    by_process: tuple[CountRow, ...]
    by_channel: tuple[CountRow, ...]
    received_total: int
    unanswered_total: int

    @property
    def previous_share(self) -> float | None:
        """The share answered on time over all the previous weeks together."""
        due = sum(week.due for week in self.previous_weeks)
        return sum(week.on_time for week in self.previous_weeks) / due if due else None

    @property
    def trend_points(self) -> float | None:
        """This week's share minus the previous weeks' share, in percentage points."""
        if self.week.share is None or self.previous_share is None:
            return None
        return (self.week.share - self.previous_share) * 100


@dataclasses.dataclass(frozen=True)
class _Row:
    ticket: Ticket
    answered_at: datetime.datetime | None


def build_report(
    session: Session,
    now: datetime.datetime,
    *,
    tz: datetime.tzinfo,
    report_day: datetime.date | None = None,
    previous_weeks: int = 4,
) -> DigestReport:
    """Compute the digest as of `now` for the week that ends before `report_day`.

    `report_day` defaults to the local date of `now`.
    """
    report_day = report_day or now.astimezone(tz).date()
    weeks = [_week_bounds(report_day, index, tz) for index in range(previous_weeks + 1)]
    week_start = weeks[0][0]
    rows = _load_rows(session, earliest=weeks[-1][0], week_start=week_start)
    open_rows = [row for row in rows if not is_answered(row.answered_at, now)]
    overdue = [row for row in open_rows if row.ticket.due_at < now]
    due_soon = [row for row in open_rows if now <= row.ticket.due_at < now + DUE_SOON]
    received = [row for row in rows if week_start <= row.ticket.received_at < weeks[0][1]]
    last_actions = _last_actions(session, [row.ticket.id for row in overdue + due_soon])
    shares = [_week_share(rows, start, end, tz) for start, end in weeks]
    return DigestReport(
        generated_at=now.astimezone(tz),
        week=shares[0],
        previous_weeks=tuple(shares[1:]),
        overdue=tuple(_line(row, now, tz, last_actions) for row in sorted(overdue, key=_by_due)),
        due_soon=tuple(_line(row, now, tz, last_actions) for row in sorted(due_soon, key=_by_due)),
        by_process=_count_by(received, open_rows, overdue, _process_group),
        by_channel=_count_by(received, open_rows, overdue, _channel_group),
        received_total=len(received),
        unanswered_total=len(open_rows),
    )


def _week_bounds(report_day: datetime.date, index: int, tz: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the local midnights that start and end the week `index` weeks before the latest."""
    end_day = report_day - WEEK * index
    end = datetime.datetime.combine(end_day, datetime.time(0, 0), tzinfo=tz)
    start = datetime.datetime.combine(end_day - WEEK, datetime.time(0, 0), tzinfo=tz)
    return start, end


def _load_rows(session: Session, *, earliest: datetime.datetime, week_start: datetime.datetime) -> list[_Row]:
    """Load the tickets any figure can count: unanswered, due since `earliest`, or received this week."""
    answers = first_answer_query().subquery()
    query = (
        select(Ticket, answers.c[1])
        .outerjoin(answers, answers.c.ticket_id == Ticket.id)
        .where(
            or_(
                Ticket.status.in_(UNANSWERED_STATUSES),
                Ticket.due_at >= earliest,
                Ticket.received_at >= week_start,
            )
        )
        .order_by(Ticket.id)
    )
    return [_Row(ticket, answer_time(ticket, first_answer_at)) for ticket, first_answer_at in session.execute(query)]


def _week_share(rows: list[_Row], start: datetime.datetime, end: datetime.datetime, tz: datetime.tzinfo) -> WeekShare:
    due = [row for row in rows if start <= row.ticket.due_at < end]
    on_time = [row for row in due if is_answered_on_time(row.ticket, row.answered_at)]
    return WeekShare(
        first_day=start.date(),
        last_day=(end - datetime.timedelta(days=1)).date(),
        due=len(due),
        on_time=len(on_time),
    )


def _last_actions(session: Session, ticket_ids: list[int]) -> dict[int, ThreadEntry]:
    if not ticket_ids:
        return {}
    entries = session.scalars(
        select(ThreadEntry).where(ThreadEntry.ticket_id.in_(ticket_ids)).order_by(ThreadEntry.id)
    )
    # Entries come oldest first, so the last one written per ticket wins.
    return {entry.ticket_id: entry for entry in entries}


def _line(row: _Row, now: datetime.datetime, tz: datetime.tzinfo, last_actions: dict[int, ThreadEntry]) -> TicketLine:
    ticket = row.ticket
    last = last_actions.get(ticket.id)
    return TicketLine(
        number=ticket.number,
        requester=requester_label(ticket),
        process=ticket.process,
        process_title=Process(ticket.process).title_ru if ticket.process else None,
        channel=CHANNEL_RU[ticket.channel],
        received_at=ticket.received_at.astimezone(tz),
        due_date=ticket.due_date,
        days_overdue=max((now.astimezone(tz).date() - ticket.due_date).days, 0),
        assignee=ticket.assignee,
        last_action=ENTRY_KIND_RU.get(last.kind, last.kind) if last else None,
        last_action_at=last.created_at.astimezone(tz) if last else None,
    )


def _by_due(row: _Row) -> tuple[datetime.datetime, str]:
    return row.ticket.due_at, row.ticket.number


def _process_group(ticket: Ticket) -> tuple[int, str | None]:
    if ticket.process is None:
        return len(Process) + 1, None
    return ticket.process, f"{ticket.process}. {Process(ticket.process).title_ru}"


def _channel_group(ticket: Ticket) -> tuple[int, str | None]:
    return list(Channel).index(ticket.channel), CHANNEL_RU[ticket.channel]


def _count_by(
    received: list[_Row],
    unanswered: list[_Row],
    overdue: list[_Row],
    group_of: Callable[[Ticket], tuple[int, str | None]],
) -> tuple[CountRow, ...]:
    """Count each group's tickets in order; groups without any ticket are left out."""
    counts: dict[tuple[int, str | None], list[int]] = {}
    for position, rows in enumerate((received, unanswered, overdue)):
        for row in rows:
            counts.setdefault(group_of(row.ticket), [0, 0, 0])[position] += 1
    return tuple(CountRow(group[1], *values) for group, values in sorted(counts.items(), key=_group_order))


def _group_order(item: tuple[tuple[int, str | None], list[int]]) -> int:
    return item[0][0]
