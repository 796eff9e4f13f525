"""The survey campaign end to end: invitations and reminders through the outbox to a real SMTP sink."""

from __future__ import annotations

import datetime
import email.policy
import re
import socket
import threading
import zoneinfo
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import Application, build_application
from mailbot.cli import main
from mailbot.config import Settings, load_settings
from mailbot.db.models import (
    Direction,
    InboundMessage,
    InboundRaw,
    InboundState,
    OutboxMessage,
    OutboxState,
    SurveyCampaign,
    SurveyInvitation,
    ThreadEntry,
    Ticket,
    utcnow,
)
from mailbot.demo.servers import SmtpSink
from mailbot.errors import ConfigurationError
from mailbot.demo.smtp_sink import ReceivedMail
from mailbot.outbound.outbox import deliver_due_sync
from mailbot.scheduler.survey_jobs import survey_pass
from mailbot.signing import InvitationToken, read_invitation
from mailbot.survey.campaign import SurveyError, add_to_campaign, close_campaign, start_campaign
from mailbot.signing import secret_sha256
from mailbot.survey.recipients import read_employees
from mailbot.survey.reminders import SurveyReminderRun, send_due_survey_reminders

pytestmark = pytest.mark.integration

NO_ENV_FILE = Path("/nonexistent/service.env")
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
IT_ADDRESS = "it@committee.example"
STAFF = "admin.it@committee.example"
BASE_URL = "https://it.committee.example"
YEAR = 2026
# The clients who wrote to the seeded mailbox; see seed_mailbox.
CLIENTS = [
    "ivanova@committee.example",
    "kozlova@committee.example",
    "orlova@committee.example",
    "sidorov@committee.example",
]
LINK_RE = re.compile(re.escape(BASE_URL) + r"/survey/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def settings(smtp_sink: SmtpSink, database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        NO_ENV_FILE,
        address=IT_ADDRESS,
        staff=STAFF,
        allowed_domains="committee.example",
        database_url=database_url,
        storage_dir=tmp_path / "storage",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
        web_base_url=BASE_URL,
    )


@pytest.fixture
def application(settings: Settings) -> Iterator[Application]:
    application = build_application(settings)
    seed_mailbox(application.session_factory)
    yield application
    application.engine.dispose()


def add_ticket(session: Session, number: str, address: str, name: str, received_at: datetime.datetime) -> Ticket:
    ticket = Ticket(
        number=number, process=1, requester_address=address, requester_name=name, subject="Не печатает принтер",
        received_at=received_at, due_date=received_at.date(), due_at=received_at,
    )
    session.add(ticket)
    session.flush()
    return ticket


def stored_mail(session: Session, uid: int, sender: str) -> None:
    raw = f"From: {sender}\r\nSubject: =?utf-8?b?0KHQv9Cw0YHQuNCx0L4=?=\r\n\r\nThanks\r\n".encode()
    session.add(InboundMessage(
        mailbox="INBOX", uidvalidity=1, uid=uid, message_id=f"<{uid}@committee.example>", body_sha256="0" * 64,
        content=InboundRaw(raw=raw), size=len(raw), received_at=utcnow(), state=InboundState.PROCESSED, outcome="not_request",
    ))


def seed_mailbox(session_factory: sessionmaker[Session]) -> None:
    """Fill the mailbox with the clients of CLIENTS and with addresses that must not be invited."""
    january = datetime.datetime(2026, 1, 12, 10, 0, tzinfo=MSK)
    with session_factory.begin() as session:
        add_ticket(session, "IT-2026-00001", "ivanova@committee.example", "Иванова М.", january)
        add_ticket(session, "IT-2026-00002", "Ivanova@Committee.Example", "Иванова Мария Викторовна", january + datetime.timedelta(days=30))
        first = add_ticket(session, "IT-2026-00003", "Sidorov@Committee.Example", "", january)
        add_ticket(session, "IT-2026-00004", "friend@gmail.com", "Посторонний", january)
        add_ticket(session, "IT-2026-00005", STAFF, "Сотрудник ИТ", january)
        add_ticket(session, "IT-2026-00006", IT_ADDRESS, "", january)
        add_ticket(session, "IT-2026-00007", "", "Устно: Смирнов", january)
        session.add(ThreadEntry(
            ticket_id=first.id, direction=Direction.INBOUND, kind="reply", author="kozlova@committee.example", text="+1",
        ))
        stored_mail(session, 1, "=?utf-8?b?0J7RgNC70L7QstCw?= <Orlova@committee.example>")
        stored_mail(session, 2, "Outsider <outsider@example.org>")


def start(application: Application, **options: object) -> None:
    today = datetime.datetime.now(MSK).date()
    values: dict[str, object] = {"year": YEAR, "until": None, "employees": None, "today": today}
    values.update(options)
    start_campaign(application.session_factory, application.context.settings, **values)  # type: ignore[arg-type]
    deliver(application)


def deliver(application: Application) -> None:
    while deliver_due_sync(application.session_factory, application.context.settings):
        pass


def remind(application: Application, now: datetime.datetime | None = None) -> SurveyReminderRun:
    run = send_due_survey_reminders(application.session_factory, application.context.settings, now=now or utcnow())
    deliver(application)
    return run


def parse(mail: ReceivedMail) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(mail.raw)


def body(mail: ReceivedMail, kind: str = "plain") -> str:
    part = parse(mail).get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content())


def token_of(settings: Settings, mail: ReceivedMail) -> InvitationToken:
    """Return the token of the one survey link in `mail`, checking the HTML part carries the same link."""
    links = set(LINK_RE.findall(body(mail)))
    assert len(links) == 1
    assert links == set(LINK_RE.findall(body(mail, "html")))
    return read_invitation(settings, links.pop())


def invitations(application: Application) -> dict[str, SurveyInvitation]:
    with application.session_factory() as session:
        return {row.address: row for row in session.scalars(select(SurveyInvitation))}


def subjects(smtp: SmtpSink) -> list[str]:
    return [str(parse(mail)["Subject"]) for mail in smtp.messages]


def reminders_to(smtp: SmtpSink) -> list[ReceivedMail]:
    return [mail for mail in smtp.messages if str(parse(mail)["Subject"]).startswith("Напоминание")]


def move_invitations_back(application: Application, days: int, *, addresses: list[str] = CLIENTS) -> None:
    """Pretend the invitations of `addresses` went out `days` days ago."""
    with application.session_factory.begin() as session:
        for row in session.scalars(select(SurveyInvitation).where(SurveyInvitation.address.in_(addresses))):
            row.invited_at = utcnow() - datetime.timedelta(days=days, minutes=1)


def mark_answered(application: Application, address: str) -> None:
    with application.session_factory.begin() as session:
        row = session.scalars(select(SurveyInvitation).where(SurveyInvitation.address == address)).one()
        row.answered = True


def test_start_invites_each_client_once(application: Application, settings: Settings, smtp_sink: SmtpSink) -> None:
    start(application)

    assert sorted(recipient for mail in smtp_sink.messages for recipient in mail.recipients) == CLIENTS
    rows = invitations(application)
    assert sorted(rows) == CLIENTS
    for mail in smtp_sink.messages:
        token = token_of(settings, mail)
        row = rows[mail.recipients[0]]
        assert token.invitation_id == row.id
        assert secret_sha256(token.secret) == row.secret_sha256
        assert parse(mail)["Auto-Submitted"] == "auto-generated"
        assert parse(mail)["Subject"] == f"Опрос об информационно-техническом обеспечении Комитета за {YEAR} год"

    assert rows["ivanova@committee.example"].name == "Иванова Мария Викторовна"
    [ivanova] = [mail for mail in smtp_sink.messages if mail.recipients == ("ivanova@committee.example",)]
    assert body(ivanova).startswith("Здравствуйте, Мария Викторовна!")
    [sidorov] = [mail for mail in smtp_sink.messages if mail.recipients == ("sidorov@committee.example",)]
    assert body(sidorov).startswith("Здравствуйте!")

    with pytest.raises(SurveyError, match=f"Опрос за {YEAR} год уже запущен"):
        start(application)
    assert len(smtp_sink.messages) == len(CLIENTS)


def test_rows_never_hold_secret(application: Application, settings: Settings, smtp_sink: SmtpSink) -> None:
    start(application)
    move_invitations_back(application, 8)
    remind(application)
    secrets = [token_of(settings, mail).secret for mail in smtp_sink.messages]
    assert len(secrets) == 2 * len(CLIENTS)

    with application.engine.connect() as connection:
        stored = [
            str(value)
            for table in ("survey_invitation", "survey_campaign")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        ]
    assert stored
    for secret in secrets:
        assert all(secret not in value for value in stored)


def test_sent_survey_mail_keeps_only_headers(application: Application, smtp_sink: SmtpSink) -> None:
    start(application)
    sent = {parse(mail)["Message-ID"]: mail.raw for mail in smtp_sink.messages}
    assert len(sent) == len(CLIENTS)

    with application.session_factory() as session:
        kept = {row.message_id: row.raw for row in session.scalars(select(OutboxMessage))}
    assert kept.keys() == sent.keys()
    for message_id, raw in kept.items():
        headers, separator, body_bytes = raw.partition(b"\r\n\r\n")
        assert separator and body_bytes == b""
        assert sent[message_id].startswith(headers)


def test_add_invites_only_new(application: Application, settings: Settings, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    start(application)
    with application.session_factory.begin() as session:
        add_ticket(session, "IT-2026-00010", "new.client@committee.example", "Новиков Олег", utcnow())
    employees_file = tmp_path / "employees.csv"
    employees_file.write_bytes(
        "email;ФИО\r\nivanova@committee.example;Иванова М. В.\r\nnovikova@committee.example;Новикова Ольга Игоревна\r\n".encode("cp1251")
    )
    employees = read_employees(employees_file, settings)

    run = add_to_campaign(
        application.session_factory, settings, year=YEAR, employees=employees, today=datetime.datetime.now(MSK).date()
    )
    deliver(application)

    assert sorted(person.address for person in run.invited) == ["new.client@committee.example", "novikova@committee.example"]
    later = smtp_sink.messages[len(CLIENTS):]
    assert sorted(mail.recipients[0] for mail in later) == ["new.client@committee.example", "novikova@committee.example"]
    assert invitations(application)["novikova@committee.example"].name == "Новикова Ольга Игоревна"
    [novikova] = [mail for mail in later if mail.recipients == ("novikova@committee.example",)]
    assert body(novikova).startswith("Здравствуйте, Ольга Игоревна!")

    again = add_to_campaign(application.session_factory, settings, year=YEAR, employees=employees, today=datetime.date.today())
    assert again.invited == []
    assert len(smtp_sink.messages) == len(CLIENTS) + 2


def test_reminders_reach_only_unanswered(application: Application, settings: Settings, smtp_sink: SmtpSink) -> None:
    start(application)
    first_links = {mail.recipients[0]: token_of(settings, mail) for mail in smtp_sink.messages}
    waiting = ["ivanova@committee.example", "sidorov@committee.example"]
    # Orlova was invited only yesterday; Kozlova has answered.
    move_invitations_back(application, 1, addresses=["orlova@committee.example"])
    move_invitations_back(application, 8, addresses=waiting + ["kozlova@committee.example"])
    mark_answered(application, "kozlova@committee.example")

    assert remind(application).queued == 2
    assert remind(application).queued == 0
    sent = reminders_to(smtp_sink)
    assert sorted(mail.recipients[0] for mail in sent) == waiting

    rows = invitations(application)
    for mail in sent:
        address = mail.recipients[0]
        token = token_of(settings, mail)
        assert token.invitation_id == rows[address].id
        assert secret_sha256(token.secret) == rows[address].secret_sha256
        # The invitation's link stops working once the reminder's link replaces it.
        assert secret_sha256(first_links[address].secret) != rows[address].secret_sha256
        assert rows[address].reminders_sent == 1
        assert rows[address].last_reminded_at is not None
    assert secret_sha256(first_links["orlova@committee.example"].secret) == rows["orlova@committee.example"].secret_sha256
    assert rows["kozlova@committee.example"].reminders_sent == 0

    move_invitations_back(application, 15, addresses=waiting)
    assert remind(application).queued == 2
    assert remind(application).queued == 0
    assert len(reminders_to(smtp_sink)) == 4
    assert {row.reminders_sent for address, row in invitations(application).items() if address in waiting} == {2}

    move_invitations_back(application, 40, addresses=waiting)
    assert remind(application).queued == 0


def test_missed_reminder_days_send_one_mail(application: Application, smtp_sink: SmtpSink) -> None:
    start(application)
    move_invitations_back(application, 20)
    assert remind(application).queued == len(CLIENTS)
    assert remind(application).queued == 0
    assert len(reminders_to(smtp_sink)) == len(CLIENTS)
    assert {row.reminders_sent for row in invitations(application).values()} == {2}


def test_two_instances_send_each_reminder_once(application: Application, settings: Settings, smtp_sink: SmtpSink) -> None:
    start(application)
    move_invitations_back(application, 8)
    other = build_application(settings)
    instances = [application, other]
    barrier = threading.Barrier(len(instances))
    runs: list[SurveyReminderRun] = []

    def run(instance: Application) -> None:
        barrier.wait()
        runs.append(send_due_survey_reminders(instance.session_factory, settings, now=utcnow()))

    threads = [threading.Thread(target=run, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    other.engine.dispose()
    deliver(application)

    assert sum(item.queued for item in runs) == len(CLIENTS)
    assert sum(item.failed for item in runs) == 0
    assert sorted(mail.recipients[0] for mail in reminders_to(smtp_sink)) == CLIENTS
    with application.session_factory() as session:
        queued = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "survey_reminder"))
        assert sorted(queued) == CLIENTS
    assert {row.reminders_sent for row in invitations(application).values()} == {1}


def test_close_stops_reminders(application: Application, smtp_sink: SmtpSink) -> None:
    start(application)
    closed = close_campaign(application.session_factory, year=YEAR, now=utcnow())
    assert closed.closed_at is not None
    with pytest.raises(SurveyError, match=f"Опрос за {YEAR} год уже закрыт"):
        close_campaign(application.session_factory, year=YEAR, now=utcnow())
    with pytest.raises(SurveyError, match="уже закрыт"):
        add_to_campaign(application.session_factory, application.context.settings, year=YEAR, employees=None, today=datetime.date.today())

    move_invitations_back(application, 8)
    assert remind(application).queued == 0
    assert reminders_to(smtp_sink) == []


def test_auto_close_after_until(application: Application, smtp_sink: SmtpSink) -> None:
    today = datetime.datetime.now(MSK).date()
    start(application, until=today)
    assert "Ответы принимаются до" in body(smtp_sink.messages[0])
    move_invitations_back(application, 8)
    with application.session_factory.begin() as session:
        campaign = session.scalars(select(SurveyCampaign)).one()
        campaign.until = today - datetime.timedelta(days=1)

    run = remind(application)

    assert run.closed_years == (YEAR,)
    assert run.queued == 0
    assert reminders_to(smtp_sink) == []
    with application.session_factory() as session:
        assert session.scalars(select(SurveyCampaign.closed_at)).one() is not None
    assert remind(application).closed_years == ()


def test_scheduled_pass_waits_for_working_hours(application: Application, smtp_sink: SmtpSink) -> None:
    start(application)
    saturday_noon = datetime.datetime(2026, 12, 12, 12, 0, tzinfo=MSK)
    monday_morning = datetime.datetime(2026, 12, 14, 10, 0, tzinfo=MSK)
    with application.session_factory.begin() as session:
        for row in session.scalars(select(SurveyInvitation)):
            row.invited_at = saturday_noon - datetime.timedelta(days=7)

    assert survey_pass(application.session_factory, application.context, now=saturday_noon).queued == 0
    assert survey_pass(application.session_factory, application.context, now=monday_morning).queued == len(CLIENTS)


@pytest.fixture
def env_file(settings: Settings, tmp_path: Path) -> Path:
    values = {
        "MAILBOT_SMTP_HOST": settings.smtp_host,
        "MAILBOT_SMTP_PORT": settings.smtp_port,
        "MAILBOT_SMTP_SECURITY": "none",
        "MAILBOT_ADDRESS": settings.address,
        "MAILBOT_DATABASE_URL": settings.database_url,
        "MAILBOT_STORAGE_DIR": settings.storage_dir,
        "MAILBOT_ALLOWED_DOMAINS": "committee.example",
        "MAILBOT_STAFF": STAFF,
        "MAILBOT_WEB_BASE_URL": BASE_URL,
    }
    path = tmp_path / "service.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], env_file: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--env-file", str(env_file), "survey", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_survey_commands(
    application: Application, env_file: Path, smtp_sink: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text("Почта,ФИО\nnovikova@committee.example,Новикова Ольга Игоревна\nbad-address,Кто-то\n", encoding="utf-8")

    code, out, err = run_cli(capsys, env_file, "start", "--year", str(YEAR), "--employees", str(employees), "--dry-run")
    assert code == 0, err
    assert "novikova@committee.example — Новикова Ольга Игоревна (из списка сотрудников)" in out
    assert "ivanova@committee.example — Иванова Мария Викторовна (писал(а) в ИТ-службу)" in out
    assert "строка 3: «bad-address» не похоже на адрес" in err
    assert smtp_sink.messages == []

    code, out, err = run_cli(capsys, env_file, "start", "--year", str(YEAR), "--until", "31.13.2099")
    assert code == 2
    assert "Параметр --until: дата «31.13.2099» не распознана" in err

    code, out, err = run_cli(
        capsys, env_file, "start", "--year", str(YEAR), "--until", "31.12.2099", "--employees", str(employees)
    )
    assert code == 0, err
    assert "Все письма отправлены." in out
    assert len(smtp_sink.messages) == len(CLIENTS) + 1

    code, out, err = run_cli(capsys, env_file, "start", "--year", str(YEAR))
    assert code == 1
    assert "уже запущен" in err
    assert "--add" in err

    code, out, err = run_cli(capsys, env_file, "status", "--year", str(YEAR), "--json")
    assert code == 0, err
    assert '"invited": 5' in out
    assert '"answered": 0' in out
    assert '"state": "open"' in out
    assert '"until": "2099-12-31"' in out

    code, out, err = run_cli(capsys, env_file, "close", "--year", str(YEAR))
    assert code == 0, err
    code, out, err = run_cli(capsys, env_file, "close", "--year", str(YEAR))
    assert code == 1
    assert f"Опрос за {YEAR} год уже закрыт." in err

    code, out, err = run_cli(capsys, env_file, "status", "--year", str(YEAR))
    assert code == 0, err
    assert f"Опрос за {YEAR} год: закрыт " in out
    assert "Приглашено: 5." in out
    assert "Ответили: 0 (0,0 %)." in out


def test_survey_import_command(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "2025.csv"
    header = "q1;" + ";".join(f"q3.{key}" for key in ("hardware", "software", "maintenance", "document_flow", "hr_portal", "forms", "reports", "internet", "other_bodies"))
    results.write_text(f"{header}\nСкорее удовлетворен{';Скорее удовлетворен' * 9}\nнепонятно{';' * 9}\n", encoding="cp1251")

    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", str(results))
    assert code == 1
    assert "строка 3: в столбце q1 значение «непонятно» не подходит" in err
    assert "не загружается ни одна анкета" in err

    results.write_text(f"{header}\nСкорее удовлетворен{';Скорее удовлетворен' * 9}\n", encoding="cp1251")
    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", str(results))
    assert code == 0, err
    assert "Загружено за 2025 год: 1 анкета." in out

    code, out, err = run_cli(capsys, env_file, "status", "--year", "2025")
    assert code == 0, err
    assert "результаты загружены из файла, 1 анкета" in out


def test_start_command_reports_unsent_mail(
    application: Application, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env_file.write_text(
        env_file.read_text(encoding="utf-8").replace("MAILBOT_SMTP_PORT=", f"MAILBOT_SMTP_PORT={closed_port}\n# "),
        encoding="utf-8",
    )

    code, out, err = run_cli(capsys, env_file, "start", "--year", str(YEAR))

    assert code == 1
    assert f"Не отправлено сразу: {len(CLIENTS)} " in out
    with application.session_factory() as session:
        states = list(session.scalars(select(OutboxMessage.state).where(OutboxMessage.kind == "survey_invitation")))
    assert states == [OutboxState.PENDING] * len(CLIENTS)


def without_line(env_file: Path, name: str) -> Path:
    lines = env_file.read_text(encoding="utf-8").splitlines(keepends=True)
    env_file.write_text("".join(line for line in lines if not line.startswith(f"{name}=")), encoding="utf-8")
    return env_file


def campaign_count(application: Application) -> int:
    with application.session_factory() as session:
        return len(session.scalars(select(SurveyCampaign)).all())


@pytest.mark.parametrize("command", [["start"], ["start", "--dry-run"], ["start", "--add"], ["remind"]])
def test_mail_commands_need_sender_address(
    application: Application,
    env_file: Path,
    smtp_sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    without_line(env_file, "MAILBOT_ADDRESS")

    year = ["--year", str(YEAR)] if command[0] == "start" else []
    code, out, err = run_cli(capsys, env_file, *command, *year)

    assert code == 2
    assert "MAILBOT_ADDRESS" in err
    assert out == ""
    assert campaign_count(application) == 0
    assert smtp_sink.messages == []


def test_start_without_sender_creates_nothing(application: Application, settings: Settings) -> None:
    unsigned = settings.model_copy(update={"address": ""})

    with pytest.raises(ConfigurationError, match="MAILBOT_ADDRESS"):
        start_campaign(application.session_factory, unsigned, year=YEAR, until=None, employees=None, today=datetime.date.today())

    assert campaign_count(application) == 0
    with application.session_factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize(
    "command",
    [
        ["start", "--year", str(YEAR)],
        ["start", "--year", str(YEAR), "--dry-run"],
        ["remind"],
        ["close", "--year", str(YEAR)],
        ["status", "--year", str(YEAR)],
        ["import", "--year", "2025", "results.csv"],
    ],
)
def test_survey_commands_need_existing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "elsewhere" / "mailbot.sqlite3"
    missing.parent.mkdir()
    (tmp_path / "results.csv").write_text("q1\n", encoding="utf-8")
    env_file = tmp_path / "wrong-folder.env"
    env_file.write_text(
        f"MAILBOT_DATABASE_URL=sqlite:///{missing}\nMAILBOT_STORAGE_DIR={tmp_path / 'storage'}\n"
        f"MAILBOT_ADDRESS={IT_ADDRESS}\n",
        encoding="utf-8",
    )
    command = [str(tmp_path / part) if part == "results.csv" else part for part in command]

    code, out, err = run_cli(capsys, env_file, *command)

    assert code == 2
    assert f"База данных «{missing}» не найдена" in err
    assert "mailbot db upgrade" in err
    assert out == ""
    assert not missing.exists()


def write_results(path: Path, rows: int) -> None:
    header = "q1;" + ";".join(f"q3.{key}" for key in ("hardware", "software", "maintenance", "document_flow", "hr_portal", "forms", "reports", "internet", "other_bodies"))
    path.write_text(header + "\n" + f"Скорее удовлетворен{';Скорее удовлетворен' * 9}\n" * rows, encoding="utf-8")


def test_import_replace_command(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "2025.csv"
    write_results(results, 1)
    assert run_cli(capsys, env_file, "import", "--year", "2025", str(results))[0] == 0

    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", str(results))
    assert code == 1
    assert "Результаты за 2025 год уже загружены" in err
    assert "--replace" in err
    assert "новый опрос" not in err

    write_results(results, 3)
    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", "--replace", str(results))
    assert code == 0, err
    assert "Результаты за 2025 год заменены, загружено: 3 анкеты." in out
    code, out, err = run_cli(capsys, env_file, "status", "--year", "2025")
    assert "результаты загружены из файла, 3 анкеты" in out
    assert campaign_count(application) == 1


def test_import_replace_keeps_old_on_error(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "2025.csv"
    write_results(results, 2)
    assert run_cli(capsys, env_file, "import", "--year", "2025", str(results))[0] == 0

    results.write_text(results.read_text(encoding="utf-8") + "непонятно" + ";" * 9 + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", "--replace", str(results))

    assert code == 1
    assert "не загружается ни одна анкета" in err
    code, out, err = run_cli(capsys, env_file, "status", "--year", "2025")
    assert "результаты загружены из файла, 2 анкеты" in out


def test_import_refused_for_run_campaign(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, env_file, "start", "--year", str(YEAR))[0] == 0
    results = tmp_path / "results.csv"
    write_results(results, 1)

    for replace in ([], ["--replace"]):
        code, out, err = run_cli(capsys, env_file, "import", "--year", str(YEAR), *replace, str(results))
        assert code == 1
        assert f"За {YEAR} год опрос проводила ИТ-служба" in err
        assert "--add" not in err


def test_import_replace_needs_earlier_import(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.csv"
    write_results(results, 1)

    code, out, err = run_cli(capsys, env_file, "import", "--year", "2024", "--replace", str(results))

    assert code == 1
    assert "Результаты за 2024 год ещё не загружались" in err
    assert campaign_count(application) == 0


def test_import_missing_file_in_russian(
    application: Application, env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "нет.csv"

    code, out, err = run_cli(capsys, env_file, "import", "--year", "2025", str(missing))

    assert code == 1
    assert f"Не удалось прочитать файл «{missing}»: файл или папка не найдены." in err
    assert "No such file" not in err


def test_status_of_past_year_suggests_import(
    application: Application, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, env_file, "status", "--year", "1999")

    assert code == 1
    assert "mailbot survey import --year 1999" in err
    assert "survey start" not in err

    next_year = datetime.date.today().year + 1
    code, out, err = run_cli(capsys, env_file, "status", "--year", str(next_year))
    assert code == 1
    assert f"mailbot survey start --year {next_year}" in err
