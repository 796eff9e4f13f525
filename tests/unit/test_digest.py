"""The digest's figures on a seeded database, each checked against a count made here."""

from __future__ import annotations

import dataclasses
import datetime
import random
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from mailbot.app import Application, build_application
from mailbot.config import load_settings
from mailbot.db.models import Channel, Direction, DigestRun, ThreadEntry, Ticket, TicketStatus
from mailbot.errors import ConfigurationError
from mailbot.processes import Process
from mailbot.scheduler.crontab import CrontabError, crontab_trigger, latest_fire_time
from mailbot.scheduler.digest import build_report
from mailbot.scheduler.digest_mail import DigestOutcome, render_digest, send_digest
from mailbot.scheduler.jobs import register_jobs
from mailbot.tickets.views import CHANNEL_RU, ENTRY_KIND_RU
from tests.unit.test_reminders import NO_ENV_FILE, make_settings

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
# The default schedule fires on Monday 7 December 2026 at 09:00.
NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=MSK)
MANAGERS = "chief@committee.example,deputy@committee.example"
WEEKS = 4


@dataclasses.dataclass
class Spec:
    """A seeded ticket and what happened to it."""

    number: str
    received_at: datetime.datetime
    due_date: datetime.date
    due_at: datetime.datetime
    status: TicketStatus
    process: int | None
    channel: Channel
    assignee: str | None
    answers: list[datetime.datetime]
    closed_at: datetime.datetime | None
    # (created_at, direction, kind) in the order written
    entries: list[tuple[datetime.datetime, Direction, str]]


@pytest.fixture
def application(database_url: str) -> Iterator[Application]:
    application = build_application(make_settings(database_url, managers=MANAGERS))
    yield application
    application.engine.dispose()


def random_specs(application: Application, count: int = 80) -> list[Spec]:
    calendar = application.context.calendar
    generator = random.Random(20261207)
    first = datetime.datetime(2026, 9, 20, 9, 0, tzinfo=MSK)
    span = (NOW - first).total_seconds()
    specs = []
    for index in range(count):
        received_at = first + datetime.timedelta(seconds=generator.uniform(0, span - 3600))
        due_date = calendar.next_working_day(received_at.date() + datetime.timedelta(days=generator.randint(1, 40)))
        due_at = calendar.end_of_working_day(due_date)
        status = generator.choice(list(TicketStatus))
        answers: list[datetime.datetime] = []
        closed_at = None
        answered = status in (TicketStatus.ANSWERED, TicketStatus.CLOSED) or generator.random() < 0.15
        if answered:
            answer_at = received_at + (due_at - received_at) * generator.uniform(0.1, 1.4)
            if status == TicketStatus.CLOSED and generator.random() < 0.3:
                closed_at = min(answer_at, NOW - datetime.timedelta(minutes=1))
            else:
                answers.append(min(answer_at, NOW - datetime.timedelta(minutes=1)))
                if generator.random() < 0.3:
                    answers.append(answers[0] + datetime.timedelta(hours=2))
        if status == TicketStatus.ANSWERED and not answers:
            closed_at = received_at + datetime.timedelta(days=1)
        specs.append(Spec(
            number=f"IT-2026-{index + 1:05d}",
            received_at=received_at,
            due_date=due_date,
            due_at=due_at,
            status=status,
            process=generator.choice([None, *range(1, 9)]),
            channel=generator.choice(list(Channel)),
            assignee=generator.choice([None, "petrov.it@committee.example", "sidorov.it@committee.example"]),
            answers=answers,
            closed_at=closed_at,
            entries=_entries(received_at, answers, generator),
        ))
    return specs + edge_specs(application, len(specs))


def _entries(
    received_at: datetime.datetime, answers: list[datetime.datetime], generator: random.Random
) -> list[tuple[datetime.datetime, Direction, str]]:
    entries = [
        (received_at, Direction.INBOUND, "request"),
        (received_at + datetime.timedelta(minutes=1), Direction.OUTBOUND, "acknowledgement"),
    ]
    entries.extend((moment, Direction.OUTBOUND, "answer") for moment in answers)
    if generator.random() < 0.3:
        entries.append((received_at + datetime.timedelta(days=2), Direction.INBOUND, "reply"))
    return entries


def edge_specs(application: Application, offset: int) -> list[Spec]:
    """Answers exactly at the deadline and a minute late, in the digest's week."""
    calendar = application.context.calendar
    due_date = datetime.date(2026, 12, 2)
    due_at = calendar.end_of_working_day(due_date)
    received_at = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=MSK)
    specs = []
    for index, answer_at in enumerate((due_at, due_at + datetime.timedelta(minutes=1))):
        specs.append(Spec(
            number=f"IT-2026-{offset + index + 1:05d}", received_at=received_at, due_date=due_date, due_at=due_at,
            status=TicketStatus.ANSWERED, process=6, channel=Channel.EMAIL, assignee=None,
            answers=[answer_at], closed_at=None,
            entries=[(received_at, Direction.INBOUND, "request"), (answer_at, Direction.OUTBOUND, "answer")],
        ))
    # An inbound message the requester titled "answer" is not an answer of ours.
    specs.append(Spec(
        number=f"IT-2026-{offset + 3:05d}", received_at=received_at, due_date=due_date, due_at=due_at,
        status=TicketStatus.OPEN, process=None, channel=Channel.PHONE, assignee=None, answers=[], closed_at=None,
        entries=[(received_at, Direction.INBOUND, "request"), (due_at, Direction.INBOUND, "answer")],
    ))
    return specs


def seed(application: Application, specs: list[Spec]) -> None:
    with application.session_factory.begin() as session:
        for spec in specs:
            ticket = Ticket(
                number=spec.number, process=spec.process, status=spec.status, channel=spec.channel,
                requester_address=f"user{spec.number[-3:]}@committee.example", requester_name="",
                subject="Обращение", received_at=spec.received_at, due_date=spec.due_date, due_at=spec.due_at,
                closed_at=spec.closed_at, assignee=spec.assignee,
            )
            session.add(ticket)
            session.flush()
            for created_at, direction, kind in spec.entries:
                session.add(ThreadEntry(ticket_id=ticket.id, direction=direction, kind=kind, created_at=created_at))


# The expected figures, counted from the specs without the code under test.

def answered_at(spec: Spec) -> datetime.datetime | None:
    if spec.answers:
        return min(spec.answers)
    if spec.status in (TicketStatus.ANSWERED, TicketStatus.CLOSED):
        return spec.closed_at
    return None


def unanswered(specs: list[Spec]) -> list[Spec]:
    return [spec for spec in specs if answered_at(spec) is None]


def week_bounds(weeks_back: int) -> tuple[datetime.datetime, datetime.datetime]:
    end = datetime.datetime(2026, 12, 7, tzinfo=MSK) - datetime.timedelta(weeks=weeks_back)
    return end - datetime.timedelta(weeks=1), end


def test_report_figures_match_counts(application: Application) -> None:
    specs = random_specs(application)
    seed(application, specs)
    with application.session_factory() as session:
        report = build_report(session, NOW, tz=MSK, previous_weeks=WEEKS)

    open_specs = unanswered(specs)
    overdue = sorted((s for s in open_specs if s.due_at < NOW), key=lambda s: (s.due_at, s.number))
    due_soon = sorted(
        (s for s in open_specs if NOW <= s.due_at < NOW + datetime.timedelta(days=7)), key=lambda s: (s.due_at, s.number)
    )
    assert [line.number for line in report.overdue] == [s.number for s in overdue]
    assert [line.number for line in report.due_soon] == [s.number for s in due_soon]
    # The seed must exercise both lists.
    assert len(report.overdue) > 5
    assert len(report.due_soon) > 1
    assert report.unanswered_total == len(open_specs)

    by_number = {s.number: s for s in specs}
    for line in report.overdue + report.due_soon:
        spec = by_number[line.number]
        assert line.days_overdue == max((NOW.date() - spec.due_date).days, 0)
        assert line.assignee == spec.assignee
        assert line.process == spec.process
        assert line.due_date == spec.due_date
        assert line.channel == CHANNEL_RU[spec.channel]
        assert line.last_action_at == spec.entries[-1][0]

    for weeks_back, week in enumerate((report.week, *report.previous_weeks)):
        start, end = week_bounds(weeks_back)
        due = [s for s in specs if start <= s.due_at < end]
        on_time = [s for s in due if (answer := answered_at(s)) is not None and answer <= s.due_at]
        assert (week.first_day, week.last_day) == (start.date(), (end - datetime.timedelta(days=1)).date())
        assert (week.due, week.on_time) == (len(due), len(on_time)), weeks_back
    assert len(report.previous_weeks) == WEEKS

    previous_due = sum(week.due for week in report.previous_weeks)
    previous_on_time = sum(week.on_time for week in report.previous_weeks)
    assert report.previous_share == pytest.approx(previous_on_time / previous_due)
    assert report.trend_points == pytest.approx((report.week.on_time / report.week.due - previous_on_time / previous_due) * 100)

    week_start, week_end = week_bounds(0)
    received = [s for s in specs if week_start <= s.received_at < week_end]
    assert report.received_total == len(received)
    for rows, key, label_of in (
        (report.by_process, lambda s: s.process, lambda p: f"{p}. {Process(p).title_ru}" if p else None),
        (report.by_channel, lambda s: s.channel, lambda c: CHANNEL_RU[c]),
    ):
        expected = {
            label_of(group): (
                Counter(key(s) for s in received)[group],
                Counter(key(s) for s in open_specs)[group],
                Counter(key(s) for s in overdue)[group],
            )
            for group in {key(s) for s in received + open_specs}
        }
        assert {row.label: (row.received, row.unanswered, row.overdue) for row in rows} == expected


def test_answer_at_deadline_is_on_time(application: Application) -> None:
    specs = edge_specs(application, 0)
    seed(application, specs)
    with application.session_factory() as session:
        report = build_report(session, NOW, tz=MSK, previous_weeks=1)
    # Due on 2 December: one answered at 18:00 sharp, one at 18:01, one never (its "answer" came in).
    assert (report.week.due, report.week.on_time) == (3, 1)
    assert [line.number for line in report.overdue] == ["IT-2026-00003"]
    assert report.overdue[0].days_overdue == 5
    assert report.overdue[0].last_action == ENTRY_KIND_RU.get("answer", "answer")
    assert report.trend_points is None


def test_digest_text_shows_figures(application: Application) -> None:
    specs = edge_specs(application, 0)
    seed(application, specs)
    with application.session_factory() as session:
        _, rendered = render_digest(application.context, session, NOW)
    assert rendered.subject == "Сводка ИТ-службы на 7 декабря 2026 г.: просрочено — 1, срок в ближайшие 7 дней — 0"
    assert "Просрочено: 1 обращение" in rendered.text
    assert "Неделя 30.11–06.12.2026: 1 из 3 (33,3 %)" in rendered.text
    assert "1. IT-2026-00003 — просрочено на 5 дней" in rendered.text
    assert "Процесс не определён: 0 / 1 / 1" in rendered.text
    assert "по телефону: 0 / 1 / 1" in rendered.text
    assert "<td style=\"border: 1px solid #bbb; padding: 4px 6px; vertical-align: top;\"><b>IT-2026-00003</b></td>" in rendered.html
    assert "33,3 %" in rendered.html


def test_digest_once_per_period(application: Application) -> None:
    def send(now: datetime.datetime, **options: object) -> DigestOutcome:
        return send_digest(
            application.session_factory, application.context, now=now, origin="schedule", **options  # type: ignore[arg-type]
        ).outcome

    assert send(NOW) == DigestOutcome.QUEUED
    assert send(NOW + datetime.timedelta(minutes=5)) == DigestOutcome.ALREADY_SENT
    # Sunday still belongs to Monday's slot.
    assert send(NOW + datetime.timedelta(days=6)) == DigestOutcome.ALREADY_SENT
    assert send(NOW + datetime.timedelta(days=1), force=True) == DigestOutcome.QUEUED
    assert send(NOW + datetime.timedelta(days=7, hours=13), max_delay=datetime.timedelta(hours=12)) == (
        DigestOutcome.TOO_LATE
    )
    assert send(NOW + datetime.timedelta(days=7, hours=1), max_delay=datetime.timedelta(hours=12)) == (
        DigestOutcome.QUEUED
    )
    with application.session_factory() as session:
        runs = [(run.period_key, run.origin) for run in session.query(DigestRun).order_by(DigestRun.id)]
    assert runs == [
        ("2026-12-07T09:00+0300", "schedule"),
        (None, "forced"),
        ("2026-12-14T09:00+0300", "schedule"),
    ]


def test_digest_without_managers(database_url: str) -> None:
    application = build_application(make_settings(database_url))
    try:
        result = send_digest(application.session_factory, application.context, now=NOW, origin="schedule")
    finally:
        application.engine.dispose()
    assert result.outcome == DigestOutcome.NO_RECIPIENTS


@pytest.mark.parametrize(
    ("expression", "weekdays"),
    [
        ("0 9 * * 1", {0}),
        ("0 9 * * 0", {6}),
        ("0 9 * * 7", {6}),
        ("0 9 * * 1-5", {0, 1, 2, 3, 4}),
        ("0 9 * * */2", {6, 1, 3, 5}),
        ("0 9 * * 1-5/2", {0, 2, 4}),
        ("0 9 * * mon,fri", {0, 4}),
        ("0 9 * * 5,0", {4, 6}),
        ("0 9 * * *", set(range(7))),
    ],
)
def test_crontab_weekdays(expression: str, weekdays: set[int]) -> None:
    trigger = crontab_trigger(expression, MSK)
    fired = set()
    moment = datetime.datetime(2026, 12, 6, 0, 0, tzinfo=MSK)
    for _ in range(14):
        fire_time = trigger.get_next_fire_time(None, moment)
        assert fire_time is not None
        assert (fire_time.hour, fire_time.minute) == (9, 0)
        fired.add(fire_time.weekday())
        moment = fire_time + datetime.timedelta(minutes=1)
    assert fired == weekdays


@pytest.mark.parametrize("expression", ["0 9 * *", "0 25 * * 1", "0 9 * * 8", "0 9 * * 5-1", "0 9 * * x-y", "0 9 * * 1/0"])
def test_crontab_rejects_invalid(expression: str) -> None:
    with pytest.raises(CrontabError):
        crontab_trigger(expression, MSK)


def test_latest_fire_time() -> None:
    trigger = crontab_trigger("0 9 * * 1", MSK)
    assert latest_fire_time(trigger, NOW) == NOW
    assert latest_fire_time(trigger, NOW - datetime.timedelta(minutes=1)) == NOW - datetime.timedelta(weeks=1)
    assert latest_fire_time(trigger, NOW + datetime.timedelta(days=6, hours=14)) == NOW
    every_minute = crontab_trigger("* * * * *", MSK)
    assert latest_fire_time(every_minute, NOW + datetime.timedelta(seconds=30)) == NOW


def test_settings_parse_new_values() -> None:
    settings = load_settings(NO_ENV_FILE, reminder_days="1, 5,5", digest_cron=" 30 8 * * 1-5 ", workday_start="08:30")
    assert settings.reminder_days == (5, 1)
    assert settings.digest_cron == "30 8 * * 1-5"
    assert settings.workday_start == datetime.time(8, 30)
    assert load_settings(NO_ENV_FILE, reminder_days="").reminder_days == ()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reminder_days": "5,завтра"}, "MAILBOT_REMINDER_DAYS: ожидаются числа рабочих дней"),
        ({"digest_cron": "0 9 * *"}, "MAILBOT_DIGEST_CRON: неверное расписание cron «0 9 * *»: ожидается 5 полей"),
        ({"workday_start": "19:00"}, "MAILBOT_WORKDAY_START должно быть раньше"),
    ],
)
def test_settings_reject_invalid(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        load_settings(NO_ENV_FILE, **overrides)
    assert message in str(error.value)


def test_register_jobs_schedules_monday(application: Application) -> None:
    scheduler = BackgroundScheduler(timezone=MSK)
    register_jobs(scheduler, application.context, application.session_factory)
    digest_job = scheduler.get_job("digest")
    reminder_job = scheduler.get_job("reminders")
    assert digest_job is not None and reminder_job is not None
    assert isinstance(digest_job.trigger, CronTrigger)
    sunday_evening = datetime.datetime(2026, 12, 6, 20, 0, tzinfo=MSK)
    assert digest_job.trigger.get_next_fire_time(None, sunday_evening) == NOW
    assert reminder_job.trigger.interval == datetime.timedelta(minutes=15)
