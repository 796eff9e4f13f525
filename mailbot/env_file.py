"""The settings file (service.env): where it is, and the lines mailbot cannot use.

pydantic-settings reads the file and ignores what it does not know, so a
misspelt name such as MAILBOT_IMAP_PASWORD would leave a setting at its
default without a word. `mailbot check` reports such lines instead.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from dotenv.parser import parse_stream

ENV_PREFIX = "MAILBOT_"
DEFAULT_ENV_FILE = "service.env"


@dataclasses.dataclass(frozen=True)
class EnvFileProblems:
    """Lines of a settings file that set nothing: unknown MAILBOT_ names and unparsable lines."""

    unknown_names: tuple[str, ...]
    unparsed_lines: tuple[int, ...]


def resolve_env_file(env_file: Path | None) -> Path:
    """Return the settings file to read: the given one, MAILBOT_ENV_FILE, or service.env here."""
    if env_file is not None:
        return env_file
    return Path(os.environ.get("MAILBOT_ENV_FILE", DEFAULT_ENV_FILE))


def inspect_env_file(path: Path, known_names: frozenset[str]) -> EnvFileProblems:
    """Find the MAILBOT_ names not in `known_names` and the lines python-dotenv cannot parse."""
    unknown: list[str] = []
    unparsed: list[int] = []
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                unparsed.append(binding.original.line)
            elif binding.key and binding.key.upper().startswith(ENV_PREFIX) and binding.key.upper() not in known_names:
                unknown.append(binding.key)
    return EnvFileProblems(tuple(unknown), tuple(unparsed))
