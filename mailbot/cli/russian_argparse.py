"""An argparse parser whose help, usage and errors read in Russian.

argparse builds its own words ("usage:", "options", error sentences) from
English templates; this parser renames the sections, adds a Russian -h, and
translates the error templates argparse uses for command-line mistakes.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

_ERROR_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^the following arguments are required: (.+)$"), r"не указаны обязательные аргументы: \1"),
    (re.compile(r"^unrecognized arguments: (.+)$"), r"неизвестные аргументы: \1"),
    (
        re.compile(r"^argument (.+?): invalid choice: (.+?) \(choose from (.+)\)$"),
        r"аргумент \1: недопустимое значение \2 (допустимы: \3)",
    ),
    (re.compile(r"^argument (.+?): invalid \S+ value: (.+)$"), r"аргумент \1: недопустимое значение \2"),
    (re.compile(r"^argument (.+?): expected one argument$"), r"аргумент \1: нужно указать значение"),
    (re.compile(r"^argument (.+?): not allowed with argument (.+)$"), r"аргумент \1 нельзя указывать вместе с \2"),
    (re.compile(r"^one of the arguments (.+) is required$"), r"укажите один из параметров: \1"),
)


def translate_error(message: str) -> str:
    for pattern, replacement in _ERROR_TRANSLATIONS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class RussianHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        # argparse passes prefix="" when it builds a subcommand's prog from the
        # parent's usage; only the default English prefix is replaced.
        super().add_usage(usage, actions, groups, prefix="Использование: " if prefix is None else prefix)


class RussianArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", RussianHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        # argparse exposes no public setter for its two default sections.
        self._positionals.title = "аргументы"
        self._optionals.title = "параметры"
        self.add_argument("-h", "--help", action="help", help="показать эту справку и выйти")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: ошибка: {translate_error(message)}\n")
