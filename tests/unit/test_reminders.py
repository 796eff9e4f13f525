"""Deadline reminders on the production calendar, with the clock passed in, on a real database."""

from __future__ import annotations

import datetime
import email.policy
import threading
import zoneinfo
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.app import Application, build_application, working_calendar
from mailbot.config import Settings, load_settings
from mailbot.db.models import Channel, OutboxMessage, ReminderSent, Ticket, TicketStatus
from mailbot.scheduler import reminders
from mailbot.scheduler.reminder_plan import ScheduledReminder, due_reminder, scheduled_reminders
from mailbot.scheduler.reminders import _Candidate, remind, send_due_reminders

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NO_ENV_FILE = Path("/nonexistent/service.env")
IT_ADDRESS = "it@committee.example"
STAFF = ("admin.it@committee.example", "second.it@committee.example")
ASSIGNEE = "petrov.it@committee.example"
# Russia Day, Friday 12 June 2026, makes 12-14 June a three-day weekend.
DUE_AFTER_HOLIDAY = datetime.date(2026, 6, 15)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=MSK)


def june(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return at(datetime.date(2026, 6, day), hour, minute)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "address": IT_ADDRESS,
        "staff": ",".join(STAFF),
        "database_url": database_url,
        "allowed_domains": "committee.example",
    }
    values.update(overrides)
    return load_settings(NO_ENV_FILE, **values)


@pytest.fixture
def application(database_url: str) -> Iterator[Application]:
    application = build_application(make_settings(database_url))
    yield application
    application.engine.dispose()


def add_ticket(
    application: Application,
    number: str,
    *,
    due_date: datetime.date,
    received_at: datetime.datetime,
    assignee: str | None = ASSIGNEE,
    status: TicketStatus = TicketStatus.OPEN,
    process: int | None = 1,
    channel: Channel = Channel.EMAIL,
    requester: str = "ivanova.mv@committee.example",
) -> int:
    calendar = application.context.calendar
    with application.session_factory.begin() as session:
        ticket = Ticket(
            number=number,
            process=process,
            status=status,
            channel=channel,
            requester_address=requester,
            requester_name="Иванова Мария Викторовна",
            subject="Не печатает принтер в 305 кабинете",
            received_at=received_at,
            due_date=due_date,
            due_at=calendar.end_of_working_day(due_date),
            assignee=assignee,
        )
        session.add(ticket)
        session.flush()
        return ticket.id


def queued_reminders(application: Application) -> list[OutboxMessage]:
    with application.session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)
        return list(session.scalars(query))


def recorded(application: Application) -> list[tuple[int, str, datetime.date]]:
    with application.session_factory() as session:
        rows = session.execute(select(ReminderSent.ticket_id, ReminderSent.kind, ReminderSent.due_date))
        return sorted((row.ticket_id, row.kind, row.due_date) for row in rows)


def parse(row: OutboxMessage) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=email.policy.default).parsebytes(row.raw))


def plain_text(row: OutboxMessage) -> str:
    part = parse(row).get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def run_at(application: Application, now: datetime.datetime) -> reminders.ReminderRun:
    return send_due_reminders(application.session_factory, application.context, now=now)


def test_plan_skips_holiday_weekend(database_url: str) -> None:
    calendar = working_calendar(make_settings(database_url))
    plan = scheduled_reminders(calendar, DUE_AFTER_HOLIDAY, (5, 1), datetime.time(9, 0))
    assert plan == [
        # 5 working days before 15 June: 11, 10, 9, 8 and 5 June.
        ScheduledReminder("before_5", june(5, 9)),
        # 12 June is a holiday and 13-14 June a weekend, so not Sunday 14 June.
        ScheduledReminder("before_1", june(11, 9)),
        ScheduledReminder("overdue", june(16, 9)),
    ]


def test_plan_after_womens_day_weekend(database_url: str) -> None:
    calendar = working_calendar(make_settings(database_url))
    # 8 March 2026 is a Sunday, so Monday 9 March is the day off in its place.
    plan = scheduled_reminders(calendar, datetime.date(2026, 3, 10), (1,), datetime.time(9, 0))
    assert plan[0] == ScheduledReminder("before_1", at(datetime.date(2026, 3, 6), 9))
    assert plan[1] == ScheduledReminder("overdue", at(datetime.date(2026, 3, 11), 9))


def test_plan_overdue_after_friday_deadline(database_url: str) -> None:
    calendar = working_calendar(make_settings(database_url))
    plan = scheduled_reminders(calendar, datetime.date(2026, 6, 19), (), datetime.time(9, 0))
    assert plan == [ScheduledReminder("overdue", june(22, 9))]


def test_ticket_received_after_reminder_day(database_url: str) -> None:
    calendar = working_calendar(make_settings(database_url))
    common = {"due_date": DUE_AFTER_HOLIDAY, "offsets": (5, 1), "start": datetime.time(9, 0)}
    late = due_reminder(calendar, received_at=june(11, 11), now=june(11, 12), **common)  # type: ignore[arg-type]
    assert late is None
    early = due_reminder(calendar, received_at=june(1, 11), now=june(11, 12), **common)  # type: ignore[arg-type]
    assert early == ScheduledReminder("before_1", june(11, 9))


def test_reminders_follow_the_calendar(application: Application) -> None:
    ticket_id = add_ticket(application, "IT-2026-00001", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    # (moment, reminder kinds recorded so far)
    timeline = [
        (june(4, 12), []),
        (june(5, 8, 59), []),  # before working hours
        (june(5, 9, 15), ["before_5"]),
        (june(5, 11), ["before_5"]),
        (june(10, 17), ["before_5"]),
        (june(11, 9, 0), ["before_5", "before_1"]),
        (june(12, 10), ["before_5", "before_1"]),  # Russia Day
        (june(14, 10), ["before_5", "before_1"]),  # Sunday
        (june(15, 17, 59), ["before_5", "before_1"]),
        (june(16, 8, 30), ["before_5", "before_1"]),
        (june(16, 9, 30), ["before_5", "before_1", "overdue"]),
        (june(17, 9, 30), ["before_5", "before_1", "overdue"]),
    ]
    for now, expected in timeline:
        run_at(application, now)
        kinds = sorted(kind for _, kind, _ in recorded(application))
        assert kinds == sorted(expected), now

    sent = queued_reminders(application)
    assert len(sent) == 3
    assert all(row.ticket_id == ticket_id for row in sent)
    assert all(row.recipients == [ASSIGNEE] for row in sent)


def test_reminder_mail_content(application: Application) -> None:
    add_ticket(application, "IT-2026-00007", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    run_at(application, june(11, 10))
    run_at(application, june(17, 10))

    before, overdue = queued_reminders(application)
    before_mail = parse(before)
    assert before_mail["Subject"] == (
        "[IT-2026-00007] Напоминание: ответ до 15 июня 2026 г.: Не печатает принтер в 305 кабинете"
    )
    assert before_mail["Auto-Submitted"] == "auto-replied"
    before_text = plain_text(before)
    assert "остался 1 рабочий день" in before_text
    assert "ответ нужен до 15 июня 2026 г.\n" in before_text
    assert "г.." not in before_text
    assert "Заявитель: Иванова Мария Викторовна <ivanova.mv@committee.example>\nТема: " in before_text

    overdue_mail = parse(overdue)
    assert overdue_mail["Subject"].startswith("[IT-2026-00007] Просрочен срок ответа")
    overdue_text = plain_text(overdue)
    assert "истёк 15 июня 2026 г. в 18:00 (просрочено на 2 дня)" in overdue_text
    html = overdue_mail.get_body(preferencelist=("html",))
    assert html is not None
    assert "просрочено на 2 дня" in html.get_content()


def test_unassigned_ticket_goes_to_staff(application: Application) -> None:
    add_ticket(application, "IT-2026-00002", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10), assignee=None)
    result = run_at(application, june(11, 10))
    assert result.queued == 1
    [row] = queued_reminders(application)
    assert row.recipients == list(STAFF)
    assert "напоминание отправлено всем сотрудникам ИТ-службы" in plain_text(row)


def test_unassigned_without_staff_is_counted(database_url: str) -> None:
    application = build_application(make_settings(database_url, staff=""))
    try:
        add_ticket(application, "IT-2026-00003", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10), assignee=None)
        result = run_at(application, june(11, 10))
        assert (result.queued, result.no_recipient) == (0, 1)
        assert recorded(application) == []
    finally:
        application.engine.dispose()


def test_missed_days_send_one_reminder(application: Application) -> None:
    add_ticket(application, "IT-2026-00004", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    # The daemon was down from 4 June until 11 June: before_5 is past, only before_1 goes out.
    run_at(application, june(11, 14))
    assert [kind for _, kind, _ in recorded(application)] == ["before_1"]
    run_at(application, june(11, 15))
    assert len(queued_reminders(application)) == 1


def test_answered_and_closed_need_no_reminder(application: Application) -> None:
    add_ticket(application, "IT-2026-00005", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10),
               status=TicketStatus.ANSWERED)
    add_ticket(application, "IT-2026-00006", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10),
               status=TicketStatus.CLOSED)
    clarification = add_ticket(application, "IT-2026-00008", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10),
                               status=TicketStatus.CLARIFICATION)
    result = run_at(application, june(16, 10))
    assert result.queued == 1
    assert recorded(application) == [(clarification, "overdue", DUE_AFTER_HOLIDAY)]


def test_new_due_date_allows_new_reminders(application: Application) -> None:
    ticket_id = add_ticket(application, "IT-2026-00009", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    run_at(application, june(16, 10))
    new_due = datetime.date(2026, 6, 29)
    with application.session_factory.begin() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.due_date = new_due
        ticket.due_at = application.context.calendar.end_of_working_day(new_due)

    # 5 working days before Monday 29 June: 26, 25, 24, 23 and 22 June.
    run_at(application, june(19, 10))
    run_at(application, june(22, 10))
    assert recorded(application) == [
        (ticket_id, "before_5", new_due),
        (ticket_id, "overdue", DUE_AFTER_HOLIDAY),
    ]


def test_second_run_and_second_instance_send_nothing(application: Application) -> None:
    ticket_id = add_ticket(application, "IT-2026-00010", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    first = run_at(application, june(11, 10))
    second = run_at(application, june(11, 10, 15))
    other_instance = build_application(application.context.settings)
    try:
        third = run_at(other_instance, june(11, 10, 30))
        # The other instance loses the race it would have had without the prefilter.
        candidate = _Candidate(ticket_id, "IT-2026-00010", ScheduledReminder("before_1", june(11, 9)),
                               DUE_AFTER_HOLIDAY)
        with pytest.raises(IntegrityError):
            remind(other_instance.session_factory, other_instance.context, candidate, now=june(11, 10, 30))
    finally:
        other_instance.engine.dispose()

    assert (first.queued, second.queued, third.queued) == (1, 0, 0)
    assert len(queued_reminders(application)) == 1


def test_concurrent_instances_queue_once(application: Application) -> None:
    for index in range(5):
        add_ticket(application, f"IT-2026-{index + 20:05d}", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    instances = [application, build_application(application.context.settings)]
    barrier = threading.Barrier(len(instances))
    results: list[reminders.ReminderRun] = []

    def run(instance: Application) -> None:
        barrier.wait()
        results.append(run_at(instance, june(11, 10)))

    threads = [threading.Thread(target=run, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    instances[1].engine.dispose()

    assert len(results) == 2
    assert sum(result.queued for result in results) == 5
    assert sum(result.failed for result in results) == 0
    assert len(queued_reminders(application)) == 5
    assert len(recorded(application)) == 5


def test_failing_ticket_does_not_stop_run(application: Application, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = add_ticket(application, "IT-2026-00011", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    healthy = add_ticket(application, "IT-2026-00012", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    real_queue_mail = reminders._queue_mail

    def queue_mail(session, settings, ticket, recipients, values):  # type: ignore[no-untyped-def]
        if ticket.id == broken:
            raise RuntimeError("injected template failure")
        return real_queue_mail(session, settings, ticket, recipients, values)

    monkeypatch.setattr(reminders, "_queue_mail", queue_mail)
    result = run_at(application, june(11, 10))

    assert (result.queued, result.failed) == (1, 1)
    # The broken ticket's record rolled back with its mail, so a later run retries it.
    assert recorded(application) == [(healthy, "before_1", DUE_AFTER_HOLIDAY)]


def test_nothing_sent_outside_working_hours(application: Application) -> None:
    add_ticket(application, "IT-2026-00013", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    # before_1 has been due since Thursday 11 June 09:00, but these are off hours.
    for now in (june(11, 18, 30), june(12, 10), june(13, 12), june(14, 10), june(15, 8, 45)):
        assert run_at(application, now).queued == 0, now
    assert run_at(application, june(15, 9, 5)).queued == 1
