"""Staff commands written on the first lines of a reply: parsing only.

A command line starts with `#` and a Russian word or its English alias,
for example `#взять`, `#процесс 4` or `#срок 15.01.2027`. Command lines
must come first; the rest of the message is the text the commands act on.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re

from mailbot.processes import Process


class CommandName(str, enum.Enum):
    TAKE = "take"
    ASSIGN = "assign"
    PROCESS = "process"
    CLARIFY = "clarify"
    NOTE = "note"
    CLOSE = "close"
    DUE = "due"
    ORAL = "oral"


# Russian words as staff type them, with the English aliases.
ALIASES: dict[str, CommandName] = {
    "взять": CommandName.TAKE,
    "take": CommandName.TAKE,
    "назначить": CommandName.ASSIGN,
    "assign": CommandName.ASSIGN,
    "процесс": CommandName.PROCESS,
    "process": CommandName.PROCESS,
    "уточнить": CommandName.CLARIFY,
    "clarify": CommandName.CLARIFY,
    "заметка": CommandName.NOTE,
    "note": CommandName.NOTE,
    "закрыть": CommandName.CLOSE,
    "close": CommandName.CLOSE,
    "срок": CommandName.DUE,
    "due": CommandName.DUE,
    "устно": CommandName.ORAL,
    "oral": CommandName.ORAL,
}

_COMMAND_LINE = re.compile(r"^#(\S+)\s*(.*)$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
ORAL_CHANNELS = {"телефон": "phone", "phone": "phone", "лично": "in_person", "in_person": "in_person"}


@dataclasses.dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str = ""
    process: Process | None = None
    address: str | None = None
    due_date: datetime.date | None = None
    channel: str | None = None
    line: str = ""


@dataclasses.dataclass(frozen=True)
class CommandError:
    """A command line that could not be understood, with the reason in Russian."""

    line: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ParsedCommands:
    commands: tuple[Command, ...]
    errors: tuple[CommandError, ...]
    text: str

    def has(self, name: CommandName) -> bool:
        return any(command.name == name for command in self.commands)

    def get(self, name: CommandName) -> Command | None:
        return next((command for command in self.commands if command.name == name), None)


def parse_commands(text: str) -> ParsedCommands:
    """Split leading `#` command lines from the rest of the text."""
    lines = text.replace("\r\n", "\n").split("\n")
    commands: list[Command] = []
    errors: list[CommandError] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if not line and not commands and not errors:
            index += 1
            continue
        match = _COMMAND_LINE.match(line)
        if not match:
            break
        result = _parse_line(match.group(1), match.group(2).strip(), line)
        if isinstance(result, CommandError):
            errors.append(result)
        else:
            commands.append(dataclasses.replace(result, line=line))
        index += 1
    rest = "\n".join(lines[index:]).strip()
    return ParsedCommands(tuple(commands), tuple(errors), rest)


def _parse_line(word: str, argument: str, line: str) -> Command | CommandError:
    name = ALIASES.get(word.lower().rstrip(":"))
    if name is None:
        return CommandError(line, f"неизвестная команда «#{word}»")
    if name == CommandName.ASSIGN:
        if not _ADDRESS.match(argument):
            return CommandError(line, "после #назначить укажите адрес сотрудника, например #назначить petrov@committee.example")
        return Command(name, argument, address=argument.lower())
    if name == CommandName.PROCESS:
        if argument not in {str(code) for code in range(1, 9)}:
            return CommandError(line, "после #процесс укажите код процесса от 1 до 8")
        return Command(name, argument, process=Process(int(argument)))
    if name == CommandName.DUE:
        return _parse_due(line, argument)
    if name == CommandName.ORAL:
        return _parse_oral(line, argument)
    return Command(name, argument)


def _parse_due(line: str, argument: str) -> Command | CommandError:
    match = _DATE.match(argument)
    if match is None:
        return CommandError(line, "после #срок укажите дату в виде ДД.ММ.ГГГГ, например #срок 15.01.2027")

    day, month, year = (int(part) for part in match.groups())
    try:
        due_date = datetime.date(year, month, day)
    except ValueError:
        return CommandError(line, f"даты {argument} не существует: проверьте день и месяц")
    return Command(CommandName.DUE, argument, due_date=due_date)


def _parse_oral(line: str, argument: str) -> Command | CommandError:
    words = argument.split()
    channel = ORAL_CHANNELS.get(words[0].lower()) if words else None
    if channel is None:
        return CommandError(
            line, "после #устно укажите «телефон» или «лично» и сотрудника: #устно телефон ivanova@committee.example"
        )
    who = " ".join(words[1:])
    if not who:
        return CommandError(line, "после #устно укажите, кто обратился: адрес или ФИО сотрудника")
    address = who.lower() if _ADDRESS.match(who) else None
    return Command(CommandName.ORAL, who, address=address, channel=channel)
