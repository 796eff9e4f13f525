"""When deadline reminders fall due, on the committee's working calendar.

A reminder `before_N` falls due at the start of the working day that lies
N working days before the due date (`before_0` on the due date itself).
The `overdue` reminder falls due at the start of the first working day
after the due date, the first morning on which the ticket is overdue.
Reminders go out only during working hours of working days.
"""

from __future__ import annotations

import dataclasses
import datetime

from mailbot.tickets.calendar import WorkingCalendar

OVERDUE = "overdue"
BEFORE_PREFIX = "before_"
ONE_DAY = datetime.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class ScheduledReminder:
    """One reminder of a ticket and the moment from which it is due."""

    kind: str
    due_from: datetime.datetime

    @property
    def is_overdue(self) -> bool:
        return self.kind == OVERDUE


def working_days_before(calendar: WorkingCalendar, day: datetime.date, count: int) -> datetime.date:
    """Return the working day `count` working days before `day`; `day` itself for 0."""
    while count > 0:
        day -= ONE_DAY
        if calendar.is_working_day(day):
            count -= 1
    return day


def working_days_after(calendar: WorkingCalendar, day: datetime.date, count: int) -> datetime.date:
    """Return the working day `count` working days after `day`; `day` itself for 0."""
    while count > 0:
        day += ONE_DAY
        if calendar.is_working_day(day):
            count -= 1
    return day


def working_days_left(calendar: WorkingCalendar, today: datetime.date, due_date: datetime.date) -> int:
    """Count the working days after `today` up to and including `due_date`."""
    count = 0
    day = today
    while day < due_date:
        day += ONE_DAY
        if calendar.is_working_day(day):
            count += 1
    return count


def start_of_working_day(calendar: WorkingCalendar, day: datetime.date, start: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, start, tzinfo=calendar.tz)


def is_reminder_time(calendar: WorkingCalendar, now: datetime.datetime, start: datetime.time) -> bool:
    """Tell whether `now` lies in working hours, the only time reminders are sent."""
    today = calendar.local_date(now)
    if not calendar.is_working_day(today):
        return False
    return start_of_working_day(calendar, today, start) <= now < calendar.end_of_working_day(today)


def scheduled_reminders(
    calendar: WorkingCalendar, due_date: datetime.date, offsets: tuple[int, ...], start: datetime.time
) -> list[ScheduledReminder]:
    """List the reminders of a ticket due on `due_date`, earliest first."""
    reminders = [
        ScheduledReminder(
            f"{BEFORE_PREFIX}{offset}",
            start_of_working_day(calendar, working_days_before(calendar, due_date, offset), start),
        )
        for offset in offsets
    ]
    first_overdue_day = calendar.next_working_day(due_date + ONE_DAY)
    reminders.append(ScheduledReminder(OVERDUE, start_of_working_day(calendar, first_overdue_day, start)))
    return sorted(reminders, key=lambda reminder: reminder.due_from)


def due_reminder(
    calendar: WorkingCalendar,
    *,
    due_date: datetime.date,
    received_at: datetime.datetime,
    now: datetime.datetime,
    offsets: tuple[int, ...],
    start: datetime.time,
) -> ScheduledReminder | None:
    """Return the reminder a ticket needs at `now`, or None.

    Only the latest reminder already due counts, so a daemon that was down
    for days sends one reminder, not each one it missed. A reminder that
    fell due before the ticket arrived is never sent: a ticket opened the
    day before its deadline gets no "5 days left" reminder.
    """
    due = [
        reminder
        for reminder in scheduled_reminders(calendar, due_date, offsets, start)
        if received_at <= reminder.due_from <= now
    ]
    return due[-1] if due else None
