"""The Russian production calendar and the deadlines computed on it.

Working days come from the `holidays` package's Russian calendar, which
carries the government's yearly transfers of days off (for example
1 November 2025, a Saturday, was a working day and 3 November a day off).
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo
from functools import cached_property

import holidays

SATURDAY = 5
FRIDAY = 4


@dataclasses.dataclass(frozen=True)
class Deadline:
    """A due date and the moment it ends: the close of that working day."""

    due_date: datetime.date
    due_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours of the committee in its time zone."""

    tz: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("Europe/Moscow")
    workday_end: datetime.time = datetime.time(18, 0)
    friday_end: datetime.time = datetime.time(16, 45)
    country: str = "RU"

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country)

    def is_working_day(self, day: datetime.date) -> bool:
        # The holidays package covers the weekends, the public holidays, the
        # transferred days off and the Saturdays made working by decree.
        return bool(self._holidays.is_working_day(day))

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """Return `day` itself when it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += datetime.timedelta(days=1)
        return day

    def end_of_working_day(self, day: datetime.date) -> datetime.datetime:
        closing = self.friday_end if day.weekday() == FRIDAY else self.workday_end
        return datetime.datetime.combine(day, closing, tzinfo=self.tz)

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.tz).date()

    def written_deadline(self, received_at: datetime.datetime, days: int) -> Deadline:
        """Return the deadline of a written request received at `received_at`.

        The term is `days` calendar days from the day of arrival; when its
        last day is not a working day, it ends on the next working day
        (Civil Code of the Russian Federation, art. 193).
        """
        last_day = self.local_date(received_at) + datetime.timedelta(days=days)
        due_date = self.next_working_day(last_day)
        return Deadline(due_date, self.end_of_working_day(due_date))

    def oral_deadline(self, received_at: datetime.datetime) -> Deadline:
        """Return the end of the working day on which an oral request was taken.

        A request taken on a day off or after closing time is due by the end
        of the next working day.
        """
        day = self.local_date(received_at)
        if self.is_working_day(day) and received_at < self.end_of_working_day(day):
            return Deadline(day, self.end_of_working_day(day))
        due_date = self.next_working_day(day + datetime.timedelta(days=1))
        return Deadline(due_date, self.end_of_working_day(due_date))
