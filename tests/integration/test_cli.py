"""The command line against a real database and real loopback servers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from mailbot.classify import load_classifier
from mailbot.cli import main
from mailbot.config import Settings
from mailbot.daemon import Daemon
from mailbot.db.engine import create_db_engine
from mailbot.db.models import InboundMessage, InboundState
from mailbot.demo.servers import ImapServer, SmtpSink
from tests.integration.test_daemon import REQUESTER, request_mail

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "mail"
TICKET_KEYS = {"number", "process", "status", "requester", "subject", "channel", "received_at", "due_at", "closed_at"}


@pytest.fixture
def env_file(settings: Settings, tmp_path: Path) -> Path:
    """A service.env that points the command line at the test's servers and database."""
    values = {
        "MAILBOT_IMAP_HOST": settings.imap_host,
        "MAILBOT_IMAP_PORT": settings.imap_port,
        "MAILBOT_IMAP_USER": settings.imap_user,
        "MAILBOT_IMAP_PASSWORD": settings.imap_password.get_secret_value(),
        "MAILBOT_IMAP_SECURITY": "none",
        "MAILBOT_SMTP_HOST": settings.smtp_host,
        "MAILBOT_SMTP_PORT": settings.smtp_port,
        "MAILBOT_SMTP_SECURITY": "none",
        "MAILBOT_ADDRESS": settings.address,
        "MAILBOT_DATABASE_URL": settings.database_url,
        "MAILBOT_STORAGE_DIR": settings.storage_dir,
        "MAILBOT_ALLOWED_DOMAINS": ",".join(settings.allowed_domains),
    }
    path = tmp_path / "service.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_once_and_tickets_commands(
    imap_server: ImapServer, smtp_sink: SmtpSink, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imap_server.append(request_mail())
    code, out, err = run_cli(capsys, "--env-file", str(env_file), "run", "--once")
    assert code == 0, err
    assert "Получено писем: 1, обработано: 1, отправлено: 1." in out, err

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "list", "--json")
    assert code == 0
    [ticket] = json.loads(out)
    assert TICKET_KEYS <= set(ticket)
    assert ticket["number"] == "IT-2026-00001"
    assert ticket["status"] == "open"
    assert ticket["channel"] == "email"

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "list")
    assert "IT-2026-00001" in out
    assert "в работе" in out
    assert "Срок ответа" in out

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "show", "it-2026-00001")
    assert code == 0
    assert "Заявка IT-2026-00001" in out
    assert "подтверждение регистрации" in out

    code, _, err = run_cli(capsys, "--env-file", str(env_file), "tickets", "show", "IT-2026-09999")
    assert code == 1
    assert "заявка IT-2026-09999 не найдена" in err


def test_inbound_and_quarantine_read_raw_mail(
    imap_server: ImapServer, smtp_sink: SmtpSink, settings: Settings, env_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imap_server.append(request_mail(message_id="<cli-raw@committee.example>"))
    code, _, err = run_cli(capsys, "--env-file", str(env_file), "run", "--once")
    assert code == 0, err

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "inbound", "list", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["from"] == REQUESTER
    assert listed["subject"] == "Не печатает принтер в 305 кабинете"
    for spelling in ("new_ticket", "Новая  заявка"):
        code, out, _ = run_cli(capsys, "--env-file", str(env_file), "inbound", "list", "--outcome", spelling, "--json")
        assert code == 0
        assert [row["id"] for row in json.loads(out)] == [listed["id"]], spelling
    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "inbound", "list", "--outcome", "не обращение")
    assert code == 0
    assert "Писем нет." in out

    engine = create_db_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(update(InboundMessage).values(state=InboundState.QUARANTINED, error="RuntimeError: test"))
    engine.dispose()
    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "quarantine", "show", str(listed["id"]))
    assert code == 0
    assert "RuntimeError: test" in out
    assert "Исходный текст" not in out

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "quarantine", "show", str(listed["id"]), "--raw")
    assert code == 0
    assert "Исходный текст" in out
    assert "Message-ID: <cli-raw@committee.example>" in out


def test_check_reaches_every_server(
    imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "check")
    assert code == 0, out
    assert out.count("[  ОК  ]") == 5
    assert f"[  ОК  ] Файл настроек {env_file}: все строки понятны" in out
    assert "Все проверки пройдены." in out


def test_check_finds_misspelt_settings(
    imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = env_file.read_text(encoding="utf-8").replace("MAILBOT_IMAP_PASSWORD=", "MAILBOT_IMAP_PASWORD=")
    env_file.write_text(text + "просто строка без знака равенства\nMAILBOT_POLL_SECONDS\nIMAP_FOLDER=Входящие\n",
                        encoding="utf-8")

    code, out, err = run_cli(capsys, "--env-file", str(env_file), "check")

    assert code == 1
    first_added = text.count("\n") + 1
    assert (
        f"[ОШИБКА] Файл настроек {env_file}: неизвестная настройка MAILBOT_IMAP_PASWORD: проверьте написание "
        "по service.env.example; IMAP_FOLDER: не хватает приставки MAILBOT_, без неё настройка не действует; "
        f"не разобраны строки {first_added}, {first_added + 1}: нужен вид ИМЯ=значение"
    ) in out
    assert "[ОШИБКА] Настройки: не задан MAILBOT_IMAP_PASSWORD (см. service.env.example)" in out
    assert imap_server.password not in out + err


def test_check_reports_wrong_password(
    imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = env_file.read_text(encoding="utf-8").replace(
        f"MAILBOT_IMAP_PASSWORD={imap_server.password}", "MAILBOT_IMAP_PASSWORD=wrong-password-123"
    )
    env_file.write_text(wrong, encoding="utf-8")
    code, out, err = run_cli(capsys, "--env-file", str(env_file), "check")
    assert code == 1
    assert "[ОШИБКА] IMAP" in out
    assert "сервер отклонил имя пользователя или пароль (MAILBOT_IMAP_USER, MAILBOT_IMAP_PASSWORD)" in out
    assert "wrong-password-123" not in out + err
    assert imap_server.password not in out + err


def test_run_once_explains_wrong_password(
    imap_server: ImapServer, smtp_sink: SmtpSink, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = env_file.read_text(encoding="utf-8").replace(
        f"MAILBOT_IMAP_PASSWORD={imap_server.password}", "MAILBOT_IMAP_PASSWORD=wrong-password-123"
    )
    env_file.write_text(wrong, encoding="utf-8")

    code, _, err = run_cli(capsys, "--env-file", str(env_file), "run", "--once")

    assert code == 1
    assert "Ошибка IMAP: сервер отклонил имя пользователя или пароль" in err
    assert "IMAP connection failed: IMAP 127.0.0.1" in err
    assert "wrong-password-123" not in err
    assert imap_server.password not in err


def test_check_smtp_user_without_auth(
    imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with env_file.open("a", encoding="utf-8") as env:
        env.write("MAILBOT_SMTP_USER=it@committee.example\nMAILBOT_SMTP_PASSWORD=secret-smtp-456\n")

    code, out, err = run_cli(capsys, "--env-file", str(env_file), "check")

    assert code == 1
    assert "сервер не предлагает вход по паролю: оставьте MAILBOT_SMTP_USER пустым" in out
    assert "secret-smtp-456" not in out + err


def test_check_smtp_without_login(
    imap_server: ImapServer, smtp_sink: SmtpSink, daemon: Daemon, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "check")

    assert code == 0, out
    assert "соединение установлено; вход не настроен, так как MAILBOT_SMTP_USER пуст" in out


def test_check_without_login_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / "service.env"
    env.write_text(f"MAILBOT_IMAP_HOST=127.0.0.1\nMAILBOT_STORAGE_DIR={tmp_path / 'storage'}\n", encoding="utf-8")

    code, out, _ = run_cli(capsys, "--env-file", str(env), "check")

    assert code == 1
    assert "[ОШИБКА] IMAP 127.0.0.1:993: вход не проверен: не задан MAILBOT_IMAP_USER и MAILBOT_IMAP_PASSWORD" in out
    assert "[ОШИБКА] SMTP: не задан MAILBOT_SMTP_HOST" in out
    assert "[ОШИБКА] База данных: файл базы не найден" in out


def test_missing_env_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--env-file", str(tmp_path / "absent.env"), "tickets", "list")
    assert code == 2
    assert "Файл настроек" in err
    assert "не найден" in err


def test_read_only_command_creates_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "nowhere" / "mailbot.sqlite3"
    env = tmp_path / "service.env"
    env.write_text(f"MAILBOT_DATABASE_URL=sqlite:///{database}\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "--env-file", str(env), "tickets", "list")
    assert code == 2
    assert "не найдена" in err
    assert "mailbot db upgrade" in err
    assert not database.parent.exists()


def test_run_without_settings_names_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAILBOT_IMAP_HOST", "MAILBOT_IMAP_USER", "MAILBOT_SMTP_HOST", "MAILBOT_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    code, _, err = run_cli(capsys, "--env-file", str(empty), "run", "--once")
    assert code == 2
    assert "Не заданы обязательные настройки" in err
    assert "MAILBOT_IMAP_HOST" in err


def test_parse_json_on_every_fixture(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    for expected_file in sorted(FIXTURES.glob("*.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))["expect"]
        code, out, _ = run_cli(capsys, "--env-file", str(empty), "parse",
                               str(expected_file.with_suffix(".eml")), "--json")
        assert code == 0
        parsed = json.loads(out)
        name = expected_file.stem
        assert parsed["from"]["address"].lower() == expected["from_address"].lower(), name
        assert parsed["subject"] == expected["subject"], name
        assert parsed["kind"] == expected["kind"], name
        assert parsed["ticket_number"] == expected.get("ticket_number"), name
        assert set(parsed["process"]) == {"code", "confidence"}, name


def test_parse_text_shows_confidence_percent(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    fixture = sorted(FIXTURES.glob("*.eml"))[0]

    code, out, err = run_cli(capsys, "--env-file", str(empty), "parse", str(fixture))

    assert code == 0, err
    assert re.search(r"^Процесс: .*\(уверенность \d{1,3}%\)$", out, re.MULTILINE), out
    assert "Внимание" not in err


def test_parse_empty_file_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blank = tmp_path / "blank.eml"
    blank.write_bytes(b"\r\n  \n")

    code, out, err = run_cli(capsys, "parse", str(blank))

    assert code == 1
    assert f"файл {blank} пуст: в нём нет письма" in err
    assert out == ""


def test_parse_warns_about_headerless_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    garbage = tmp_path / "photo.eml"
    garbage.write_bytes(bytes(range(256)) * 8)

    code, out, err = run_cli(capsys, "parse", str(garbage), "--json")

    assert code == 0
    assert "не найдено заголовков From, Subject, Date и Message-ID" in err
    assert json.loads(out)["from"] is None


def test_parse_folder_explained(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "parse", str(tmp_path))

    assert code == 1
    assert f"не удалось прочитать файл {tmp_path}: указана папка, а нужен файл" in err


@pytest.mark.parametrize("days", ["-5", "0"])
def test_prune_rejects_days_below_one(capsys: pytest.CaptureFixture[str], tmp_path: Path, days: str) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")

    code, _, err = run_cli(capsys, "--env-file", str(empty), "prune", "--days", days)

    assert code == 2
    assert f"--days: срок хранения должен быть больше нуля дней, указано {days}." in err


# Training takes most of this test's time and does not depend on the IMAP server.
@pytest.mark.parametrize("imap_server", ["pymap"], indirect=True)
def test_staff_correction_is_stored_and_trains(
    imap_server: ImapServer, smtp_sink: SmtpSink, env_file: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    imap_server.append(request_mail(subject="Колонки", body="Не работают колонки у компьютера, звука нет совсем."))
    run_cli(capsys, "--env-file", str(env_file), "run", "--once")

    code, out, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "set-process", "IT-2026-00001", "8",
                           "--author", "admin.it@committee.example")
    assert code == 0
    assert "→ 8" in out
    _, out, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "list", "--json")
    assert json.loads(out)[0]["process"] == 8

    corrections = tmp_path / "corrections.jsonl"
    code, _, _ = run_cli(capsys, "--env-file", str(env_file), "tickets", "export-corrections", str(corrections))
    assert code == 0
    [item] = [json.loads(line) for line in corrections.read_text(encoding="utf-8").splitlines()]
    assert item["process"] == 8
    assert item["subject"] == "Колонки"
    assert "звука нет" in item["body"]

    corpus = tmp_path / "corpus.jsonl"
    shipped = Path(__file__).resolve().parents[2] / "mailbot" / "classify" / "data" / "corpus.jsonl"
    corpus.write_text("".join(shipped.read_text(encoding="utf-8").splitlines(keepends=True)[:150]), encoding="utf-8")
    model = tmp_path / "model.joblib"
    code, _, err = run_cli(capsys, "classify", "train", "--corpus", str(corpus), "--corrections", str(corrections),
                           "--output", str(model))
    assert code == 0, err
    verdict = load_classifier(model).classify("Колонки", "Не работают колонки у компьютера, звука нет совсем.")
    assert verdict.process == 8
