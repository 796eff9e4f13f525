"""Parsing staff commands from the first lines of a reply."""

from __future__ import annotations

import datetime

import pytest

from mailbot.processes import Process
from mailbot.routing.commands import CommandName, parse_commands


def test_plain_text_has_no_commands() -> None:
    parsed = parse_commands("Добрый день!\nПринтер заменили.")
    assert parsed.commands == ()
    assert parsed.errors == ()
    assert parsed.text == "Добрый день!\nПринтер заменили."


@pytest.mark.parametrize(
    ("line", "name"),
    [("#взять", CommandName.TAKE), ("#take", CommandName.TAKE), ("#Заметка", CommandName.NOTE),
     ("#note", CommandName.NOTE), ("#уточнить", CommandName.CLARIFY), ("#закрыть", CommandName.CLOSE),
     ("#close", CommandName.CLOSE)],
)
def test_simple_commands_and_aliases(line: str, name: CommandName) -> None:
    parsed = parse_commands(f"{line}\nТекст")
    assert [command.name for command in parsed.commands] == [name]
    assert parsed.text == "Текст"


def test_commands_with_arguments() -> None:
    parsed = parse_commands(
        "\n#взять\n#назначить Petrov@Committee.example\n#процесс 4\n#срок 15.01.2027\n\nОтвет сотруднику."
    )
    assert [command.name for command in parsed.commands] == [
        CommandName.TAKE, CommandName.ASSIGN, CommandName.PROCESS, CommandName.DUE]
    assert parsed.get(CommandName.ASSIGN).address == "petrov@committee.example"  # type: ignore[union-attr]
    assert parsed.get(CommandName.PROCESS).process == Process.INFORMATION_SECURITY  # type: ignore[union-attr]
    assert parsed.get(CommandName.DUE).due_date == datetime.date(2027, 1, 15)  # type: ignore[union-attr]
    assert parsed.text == "Ответ сотруднику."


@pytest.mark.parametrize(
    ("line", "reason_part"),
    [("#взятъ", "неизвестная команда"), ("#процесс 9", "от 1 до 8"), ("#процесс", "от 1 до 8"),
     ("#срок 31.02.2027", "даты 31.02.2027 не существует"), ("#срок 15.13.2027", "не существует"),
     ("#срок завтра", "ДД.ММ.ГГГГ"), ("#назначить Петрову", "адрес"),
     ("#устно", "телефон"), ("#устно телефон", "кто обратился")],
)
def test_invalid_commands_are_errors(line: str, reason_part: str) -> None:
    parsed = parse_commands(f"{line}\nТекст")
    assert parsed.commands == ()
    [error] = parsed.errors
    assert error.line == line
    assert reason_part in error.reason


def test_oral_registration() -> None:
    parsed = parse_commands("#устно телефон ivanova.mv@committee.example\nНе печатает принтер в 305.")
    command = parsed.get(CommandName.ORAL)
    assert command is not None
    assert command.channel == "phone"
    assert command.address == "ivanova.mv@committee.example"
    assert parsed.text == "Не печатает принтер в 305."

    by_name = parse_commands("#устно лично Иванова Мария Викторовна, отдел кадров\nНужен доступ к папке.")
    command = by_name.get(CommandName.ORAL)
    assert command is not None and command.channel == "in_person"
    assert command.address is None
    assert command.argument == "Иванова Мария Викторовна, отдел кадров"


def test_hash_inside_text_is_not_a_command() -> None:
    parsed = parse_commands("Добрый день, #взять не пишите.\n#заметка")
    assert parsed.commands == ()
    assert parsed.text.startswith("Добрый день")
