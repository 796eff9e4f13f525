"""Deadlines on the Russian production calendar, checked against the official 2025 and 2026 calendars."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from mailbot.tickets.calendar import WorkingCalendar

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
D = datetime.date

# Weekdays that are days off in the official production calendars for 2025
# and 2026: the public holidays of Labour Code art. 112 plus the days off
# the government's yearly decrees transfer.
OFFICIAL_WEEKDAYS_OFF = {
    2025: [
        D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3), D(2025, 1, 6), D(2025, 1, 7), D(2025, 1, 8),
        D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 8), D(2025, 5, 9),
        D(2025, 6, 12), D(2025, 6, 13), D(2025, 11, 3), D(2025, 11, 4), D(2025, 12, 31),
    ],
    2026: [
        D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 7), D(2026, 1, 8), D(2026, 1, 9),
        D(2026, 2, 23), D(2026, 3, 9), D(2026, 5, 1), D(2026, 5, 11),
        D(2026, 6, 12), D(2026, 11, 4), D(2026, 12, 31),
    ],
}
# Saturdays made working days by the same decrees.
OFFICIAL_WORKING_WEEKENDS = {2025: [D(2025, 11, 1)], 2026: []}
# Working days per year in the official calendars (five-day week).
OFFICIAL_WORKING_DAY_COUNTS = {2025: 247, 2026: 247}


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(tz=MSK)


def _days_of(year: int) -> list[datetime.date]:
    day, days = D(year, 1, 1), []
    while day.year == year:
        days.append(day)
        day += datetime.timedelta(days=1)
    return days


@pytest.mark.parametrize("year", [2025, 2026])
def test_calendar_matches_official_year(calendar: WorkingCalendar, year: int) -> None:
    for day in _days_of(year):
        expected = (day.weekday() < 5 and day not in OFFICIAL_WEEKDAYS_OFF[year]) or (
            day in OFFICIAL_WORKING_WEEKENDS[year]
        )
        assert calendar.is_working_day(day) == expected, day


@pytest.mark.parametrize("year", [2025, 2026])
def test_working_day_count(calendar: WorkingCalendar, year: int) -> None:
    count = sum(calendar.is_working_day(day) for day in _days_of(year))
    assert count == OFFICIAL_WORKING_DAY_COUNTS[year]


@pytest.mark.parametrize(
    ("received", "expected_due"),
    [
        # 30 days after 2 Oct 2025 is Saturday 1 Nov 2025, a working day by decree.
        (datetime.datetime(2025, 10, 2, 10, 0, tzinfo=MSK), D(2025, 11, 1)),
        # Lands on 31 Dec 2025 (a transferred day off), then the New Year break.
        (datetime.datetime(2025, 12, 1, 10, 0, tzinfo=MSK), D(2026, 1, 12)),
        # Lands on Saturday 9 May 2026, Victory Day, moved to Monday 11 May: next working day 12 May.
        (datetime.datetime(2026, 4, 9, 12, 0, tzinfo=MSK), D(2026, 5, 12)),
        # Lands on Sunday 8 March 2026; Monday 9 March is the transferred holiday.
        (datetime.datetime(2026, 2, 6, 9, 0, tzinfo=MSK), D(2026, 3, 10)),
        # An ordinary Wednesday stays where it is.
        (datetime.datetime(2026, 9, 9, 9, 0, tzinfo=MSK), D(2026, 10, 9)),
    ],
)
def test_written_deadline_moves_off_days_off(
    calendar: WorkingCalendar, received: datetime.datetime, expected_due: datetime.date
) -> None:
    deadline = calendar.written_deadline(received, 30)
    assert deadline.due_date == expected_due
    assert deadline.due_at.date() == expected_due


def test_deadline_counts_from_moscow_date(calendar: WorkingCalendar) -> None:
    # 22:30 UTC on 1 Oct is already 2 Oct in Moscow.
    received = datetime.datetime(2025, 10, 1, 22, 30, tzinfo=datetime.UTC)
    assert calendar.written_deadline(received, 30).due_date == D(2025, 11, 1)


def test_deadline_ends_at_close_of_working_day(calendar: WorkingCalendar) -> None:
    friday = calendar.written_deadline(datetime.datetime(2026, 9, 11, 9, 0, tzinfo=MSK), 28)
    assert friday.due_date == D(2026, 10, 9)
    assert friday.due_at == datetime.datetime(2026, 10, 9, 16, 45, tzinfo=MSK)
    monday = calendar.written_deadline(datetime.datetime(2026, 9, 14, 9, 0, tzinfo=MSK), 28)
    assert monday.due_at == datetime.datetime(2026, 10, 12, 18, 0, tzinfo=MSK)


def test_oral_deadline_same_working_day(calendar: WorkingCalendar) -> None:
    taken = datetime.datetime(2026, 12, 3, 11, 0, tzinfo=MSK)
    assert calendar.oral_deadline(taken).due_at == datetime.datetime(2026, 12, 3, 18, 0, tzinfo=MSK)


def test_oral_deadline_after_hours_moves_on(calendar: WorkingCalendar) -> None:
    friday_evening = datetime.datetime(2026, 12, 4, 17, 0, tzinfo=MSK)
    assert calendar.oral_deadline(friday_evening).due_date == D(2026, 12, 7)
    new_year = datetime.datetime(2026, 12, 31, 10, 0, tzinfo=MSK)
    assert calendar.oral_deadline(new_year).due_date.year == 2027
