"""The command line speaks Russian: help, usage and argparse errors."""

from __future__ import annotations

import pytest

from mailbot.cli import build_parser
from mailbot.cli.russian_argparse import translate_error


def test_top_level_help_is_russian(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["--help"])
    output = capsys.readouterr().out
    assert raised.value.code == 0
    assert output.startswith("Использование: mailbot")
    assert "команды:" in output
    assert "показать эту справку и выйти" in output
    for command in ("run", "demo", "parse", "tickets", "db", "check", "classify"):
        assert command in output
    assert "usage:" not in output
    assert "show this help" not in output


def test_missing_command_error_is_russian(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args([])
    error = capsys.readouterr().err
    assert raised.value.code == 2
    assert "mailbot: ошибка: не указаны обязательные аргументы: КОМАНДА" in error


def test_invalid_choice_is_russian(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tickets", "list", "--status", "lost"])
    error = capsys.readouterr().err
    assert "недопустимое значение 'lost'" in error
    assert "invalid choice" not in error


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("unrecognized arguments: --fast", "неизвестные аргументы: --fast"),
        ("argument --limit: invalid int value: 'x'", "аргумент --limit: недопустимое значение 'x'"),
        ("argument --limit: expected one argument", "аргумент --limit: нужно указать значение"),
    ],
)
def test_translate_error(english: str, russian: str) -> None:
    assert translate_error(english) == russian
