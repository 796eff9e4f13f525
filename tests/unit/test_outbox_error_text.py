"""Russian descriptions of stored SMTP errors in `mailbot outbox list`, and word-boundary shortening."""

from __future__ import annotations

import pytest

from mailbot.cli.common import shorten
from mailbot.cli.outbox import ERROR_WIDTH, describe_error


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("Error connecting to 127.0.0.1 on port 8026: [Errno 111] Connect call failed ('127.0.0.1', 8026)",
         "SMTP-сервер не принимает соединения"),
        ("Timed out connecting to mail.committee.example on port 587", "SMTP-сервер не ответил вовремя"),
        ("Timed out waiting for server response", "SMTP-сервер не ответил вовремя"),
        ("Error connecting to mail.invalid on port 25: [Errno -2] Name or service not known",
         "имя SMTP-сервера не найдено в DNS"),
        ("Error connecting to mail on port 25: [Errno -3] Temporary failure in name resolution",
         "имя SMTP-сервера не найдено в DNS"),
        ("Error connecting to mail on port 465: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
         "защищённое соединение (TLS)"),
        ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", "защищённое соединение (TLS)"),
        ("(535, '5.7.8 Authentication credentials invalid')", "не принял имя пользователя или пароль (код 535)"),
        ("(530, '5.7.0 Must issue a STARTTLS command first')", "MAILBOT_SMTP_SECURITY"),
        ("451 4.3.0 Mail server temporarily rejected message", "временно отказал в приёме (код 451)"),
        ("(421, 'Service not available, closing transmission channel')", "временно отказал в приёме (код 421)"),
        ("550 5.1.1 User unknown", "окончательно отклонил письмо (код 550)"),
        ("recipients refused: [550]", "отклонил адрес получателя (код 550)"),
        ("recipients refused: [450, 550]", "временно не принял адрес получателя (код 450, 550)"),
        ("Connection lost", "SMTP-сервер разорвал соединение"),
    ],
)
def test_known_error_described_russian(stored: str, expected: str) -> None:
    assert expected in describe_error(stored)


def test_unknown_error_cut_at_word() -> None:
    stored = "Something unexpected happened while talking to the server about the message and its recipients"
    described = describe_error(stored)
    assert described.endswith("…")
    assert len(described) <= ERROR_WIDTH
    assert stored.startswith(described.removesuffix("…"))
    assert stored[len(described) - 1] == " ", "the cut falls on a word boundary"


def test_shorten_cases() -> None:
    assert shorten("короткий текст", 20) == "короткий текст"
    assert shorten("Error connecting to 127.0.0.1 on port 8026: [Errno 111]", 50) == (
        "Error connecting to 127.0.0.1 on port 8026…"
    )
    assert shorten("один два три", 8) == "один…"
    assert shorten("один два три", 9) == "один два…"
    assert shorten("слишкомдлинноеслово", 6) == "слишк…", "a single long word is cut inside"
    assert shorten("  много   пробелов  ", 40) == "много пробелов"
