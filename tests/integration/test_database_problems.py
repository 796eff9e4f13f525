"""A wrong MAILBOT_DATABASE_URL is explained in Russian by `mailbot check` and every command."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mailbot.cli import main


def env_with(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "service.env"
    path.write_text(f"MAILBOT_DATABASE_URL={database_url}\nMAILBOT_STORAGE_DIR={tmp_path / 'storage'}\n", "utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], env: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--env-file", str(env), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://user@127.0.0.1/mailbot", "база «mysql» не поддерживается"),
        ("postgres://user@127.0.0.1/mailbot", "база «postgres» не поддерживается"),
        ("postgresql+psycopg2://user@127.0.0.1/mailbot", "начните адрес с postgresql+psycopg://"),
        ("это не адрес", "не похож на адрес базы данных"),
    ],
)
def test_unusable_url_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, expected: str) -> None:
    env = env_with(tmp_path, url)

    upgrade_code, _, upgrade_err = run(capsys, env, "db", "upgrade")
    check_code, check_out, check_err = run(capsys, env, "check")

    assert upgrade_code == 2
    assert expected in upgrade_err
    assert "Traceback" not in upgrade_err
    assert check_code == 1
    assert f"[ОШИБКА] База данных: MAILBOT_DATABASE_URL" in check_out
    assert expected in check_out
    assert "Traceback" not in check_err


def test_database_folder_not_creatable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    env = env_with(tmp_path, f"sqlite:///{blocker}/inside/mailbot.sqlite3")

    code, _, err = run(capsys, env, "db", "upgrade")

    assert code == 2
    assert f"Не удалось создать папку «{blocker}/inside» для базы данных" in err
    assert "часть пути не является папкой" in err


def test_file_that_is_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "mailbot.sqlite3"
    database.write_bytes(b"this is a text file, not SQLite\n" * 100)
    env = env_with(tmp_path, f"sqlite:///{database}")

    list_code, _, list_err = run(capsys, env, "tickets", "list")
    check_code, check_out, _ = run(capsys, env, "check")

    assert list_code == 1
    assert "Ошибка базы данных: файл не является базой SQLite" in list_err
    assert "mailbot check" in list_err
    assert check_code == 1
    assert "[ОШИБКА] База данных: нет доступа: файл не является базой SQLite" in check_out


def test_postgres_not_listening(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_with(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test")

    code, out, err = run(capsys, env, "check")

    assert code == 1
    assert "нет доступа: сервер не принимает подключения по этому адресу и порту" in out
    assert "database error: OperationalError" in err


def test_postgres_database_missing(postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    absent = make_url(postgres_url).set(database=f"mailbot_absent_{uuid.uuid4().hex[:8]}")
    env = env_with(tmp_path, absent.render_as_string(hide_password=False))

    code, _, err = run(capsys, env, "tickets", "list")

    assert code == 1
    assert "такой базы данных на сервере нет" in err


def test_postgres_user_missing(postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stranger = make_url(postgres_url).set(username=f"nobody_{uuid.uuid4().hex[:8]}", password=None)
    env = env_with(tmp_path, stranger.render_as_string(hide_password=False))

    code, out, _ = run(capsys, env, "check")

    assert code == 1
    assert "такого пользователя на сервере нет" in out
