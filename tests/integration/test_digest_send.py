"""Digest and reminders delivered to a real SMTP sink, across restarts and from the command line."""

from __future__ import annotations

import datetime
import email.policy
import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

import pytest

from mailbot.app import Application, build_application
from mailbot.cli import main
from mailbot.config import Settings
from mailbot.demo.servers import SmtpSink
from mailbot.outbound.outbox import deliver_due_sync
from mailbot.scheduler.digest_mail import DigestOutcome, send_digest
from mailbot.scheduler.reminders import send_due_reminders
from tests.unit.test_digest import NOW, edge_specs, seed
from tests.unit.test_reminders import ASSIGNEE, DUE_AFTER_HOLIDAY, add_ticket, june, make_settings

pytestmark = pytest.mark.integration

MANAGERS = ("chief@committee.example", "deputy@committee.example")


@pytest.fixture
def settings(smtp_sink: SmtpSink, database_url: str) -> Settings:
    return make_settings(
        database_url,
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
        managers=",".join(MANAGERS),
    )


@pytest.fixture
def application(settings: Settings) -> Iterator[Application]:
    application = build_application(settings)
    yield application
    application.engine.dispose()


@pytest.fixture
def env_file(settings: Settings, tmp_path: Path) -> Path:
    values = {
        "MAILBOT_SMTP_HOST": settings.smtp_host,
        "MAILBOT_SMTP_PORT": settings.smtp_port,
        "MAILBOT_SMTP_SECURITY": "none",
        "MAILBOT_ADDRESS": settings.address,
        "MAILBOT_DATABASE_URL": settings.database_url,
        "MAILBOT_MANAGERS": ",".join(settings.managers),
        "MAILBOT_STAFF": ",".join(settings.staff),
    }
    path = tmp_path / "service.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    return path


def parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=email.policy.default).parsebytes(raw))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def send_scheduled(application: Application, now: datetime.datetime) -> DigestOutcome:
    result = send_digest(application.session_factory, application.context, now=now, origin="schedule")
    deliver_due_sync(application.session_factory, application.context.settings)
    return result.outcome


def test_digest_once_across_restart(settings: Settings, smtp_sink: SmtpSink, application: Application) -> None:
    seed(application, edge_specs(application, 0))
    assert send_scheduled(application, NOW) == DigestOutcome.QUEUED
    application.engine.dispose()

    restarted = build_application(settings)
    try:
        assert send_scheduled(restarted, NOW + datetime.timedelta(minutes=3)) == DigestOutcome.ALREADY_SENT
        assert len(smtp_sink.messages) == 1
        assert send_scheduled(restarted, NOW + datetime.timedelta(weeks=1)) == DigestOutcome.QUEUED
    finally:
        restarted.engine.dispose()

    assert len(smtp_sink.messages) == 2
    first = smtp_sink.messages[0]
    assert sorted(first.recipients) == sorted(MANAGERS)
    digest = parse(first.raw)
    assert digest["Subject"] == "Сводка ИТ-службы на 7 декабря 2026 г.: просрочено — 1, срок в ближайшие 7 дней — 0"
    assert digest.get_content_type() == "multipart/alternative"
    text = digest.get_body(preferencelist=("plain",))
    html = digest.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "1. IT-2026-00003 — просрочено на 5 дней" in text.get_content()
    assert "<table" in html.get_content()
    assert "IT-2026-00003" in html.get_content()


def test_two_instances_send_one_digest(settings: Settings, smtp_sink: SmtpSink, application: Application) -> None:
    instances = [application, build_application(settings)]
    barrier = threading.Barrier(len(instances))
    outcomes: list[DigestOutcome] = []

    def run(instance: Application) -> None:
        barrier.wait()
        outcomes.append(send_digest(instance.session_factory, instance.context, now=NOW, origin="schedule").outcome)

    threads = [threading.Thread(target=run, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    deliver_due_sync(application.session_factory, settings)
    instances[1].engine.dispose()

    assert sorted(outcome.value for outcome in outcomes) == ["already_sent", "queued"]
    assert len(smtp_sink.messages) == 1


def test_digest_command_sends_once(
    env_file: Path, smtp_sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "--env-file", str(env_file), "digest", "--send")
    assert code == 0, err
    assert "отправлена: chief@committee.example, deputy@committee.example" in out
    assert re.match(r"Сводка от \d{1,2} [а-я]+ \d{4} г\. в \d{2}:\d{2} отправлена", out), out
    assert len(smtp_sink.messages) == 1

    code, out, err = run_cli(capsys, "--env-file", str(env_file), "digest", "--send")
    assert code == 0, err
    assert "уже отправлена" in out
    assert "--force" in out
    assert len(smtp_sink.messages) == 1

    code, out, err = run_cli(capsys, "--env-file", str(env_file), "digest", "--send", "--force")
    assert code == 0, err
    assert len(smtp_sink.messages) == 2


def test_digest_preview_prints_russian(
    env_file: Path, smtp_sink: SmtpSink, application: Application, capsys: pytest.CaptureFixture[str]
) -> None:
    calendar = application.context.calendar
    today = datetime.datetime.now(calendar.tz).date()
    overdue_day = calendar.next_working_day(today - datetime.timedelta(days=10))
    received_at = datetime.datetime.combine(overdue_day - datetime.timedelta(days=20), datetime.time(10), calendar.tz)
    add_ticket(application, "IT-2026-00003", due_date=overdue_day, received_at=received_at)
    code, out, err = run_cli(capsys, "--env-file", str(env_file), "digest", "--preview")
    assert code == 0, err
    assert out.startswith("Тема: Сводка ИТ-службы на ")
    assert "ОТВЕТЫ В СРОК" in out
    assert "ПРОСРОЧЕННЫЕ ОБРАЩЕНИЯ" in out
    assert "IT-2026-00003 — просрочено на " in out
    assert "<table" not in out
    assert smtp_sink.messages == []


def test_force_needs_send(env_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--env-file", str(env_file), "digest", "--preview", "--force")
    assert code == 2
    assert "--force используется только вместе с --send" in err


def test_reminder_reaches_assignee(settings: Settings, smtp_sink: SmtpSink, application: Application) -> None:
    add_ticket(application, "IT-2026-00042", due_date=DUE_AFTER_HOLIDAY, received_at=june(1, 10))
    send_due_reminders(application.session_factory, application.context, now=june(11, 9, 30))
    deliver_due_sync(application.session_factory, settings)
    send_due_reminders(application.session_factory, application.context, now=june(11, 9, 45))
    deliver_due_sync(application.session_factory, settings)

    [sent] = smtp_sink.messages
    assert sent.recipients == (ASSIGNEE,)
    reminder = parse(sent.raw)
    assert reminder["Subject"].startswith("[IT-2026-00042] Напоминание: ответ до 15 июня 2026 г.")
    body = reminder.get_body(preferencelist=("plain",))
    assert body is not None
    assert "остался 1 рабочий день" in body.get_content()
