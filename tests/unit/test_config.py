"""Settings: defaults, lists, and Russian messages that name the wrong setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailbot.config import is_loopback, load_settings
from mailbot.errors import ConfigurationError

NO_FILE = Path("/nonexistent/service.env")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MAILBOT_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings(NO_FILE)
    assert settings.imap_port_effective == 993
    assert settings.smtp_port_effective == 465
    assert settings.timezone == "Europe/Moscow"
    assert settings.answer_days == 30
    assert settings.database_url_effective.startswith("sqlite:///")
    assert settings.database_url_effective.endswith("storage/mailbot.sqlite3")


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_STAFF", " Ivanov@Committee.example, petrov@committee.example ,")
    settings = load_settings(NO_FILE)
    assert settings.staff == ("ivanov@committee.example", "petrov@committee.example")


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / "service.env"
    env_file.write_text("MAILBOT_ADDRESS=IT@committee.example\nMAILBOT_POLL_SECONDS=15\n", encoding="utf-8")
    settings = load_settings(env_file)
    assert settings.address == "it@committee.example"
    assert settings.poll_seconds == 15


def test_invalid_port_names_setting_in_russian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_PORT", "сто сорок три")
    with pytest.raises(ConfigurationError) as raised:
        load_settings(NO_FILE)
    assert "MAILBOT_IMAP_PORT" in str(raised.value)
    assert "ожидается целое число" in str(raised.value)


def test_invalid_choice_lists_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_SMTP_SECURITY", "tls")
    with pytest.raises(ConfigurationError) as raised:
        load_settings(NO_FILE)
    assert "MAILBOT_SMTP_SECURITY" in str(raised.value)
    assert "'starttls'" in str(raised.value)


def test_unknown_timezone_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigurationError, match="MAILBOT_TIMEZONE.*часовой пояс"):
        load_settings(NO_FILE)


def test_plaintext_only_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_SECURITY", "none")
    monkeypatch.setenv("MAILBOT_IMAP_HOST", "mail.committee.example")
    with pytest.raises(ConfigurationError, match="MAILBOT_IMAP_SECURITY=none"):
        load_settings(NO_FILE)
    monkeypatch.setenv("MAILBOT_IMAP_HOST", "127.0.0.1")
    assert load_settings(NO_FILE).imap_port_effective == 143


def test_password_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "s3cret-value")
    settings = load_settings(NO_FILE)
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.5.5.5", True), ("::1", True), ("localhost", True),
     ("10.0.0.1", False), ("mail.committee.example", False)],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
