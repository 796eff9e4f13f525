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
    """Lines of a settings file that set nothing.

    They are unknown MAILBOT_ names, known names written without the
    prefix, and lines that are not NAME=value.
    """

    unknown_names: tuple[str, ...]
    unprefixed_names: tuple[str, ...]
    unparsed_lines: tuple[int, ...]


def resolve_env_file(env_file: Path | None) -> Path:
    """Return the settings file to read: the given one, MAILBOT_ENV_FILE, or service.env here."""
    if env_file is not None:
        return env_file
    return Path(os.environ.get("MAILBOT_ENV_FILE", DEFAULT_ENV_FILE))


def inspect_env_file(path: Path, known_names: frozenset[str]) -> EnvFileProblems:
    """Find the names not in `known_names` and the lines that set nothing.

    python-dotenv accepts a bare NAME without "=" and gives it no value;
    such a line sets nothing here either, so it counts as not parsed.
    """
    unknown: list[str] = []
    unprefixed: list[str] = []
    unparsed: list[int] = []
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error or (binding.key is not None and binding.value is None):
                unparsed.append(binding.original.line)
                continue
            name = (binding.key or "").upper()
            if name.startswith(ENV_PREFIX) and name not in known_names:
                unknown.append(binding.key or "")
            elif name and not name.startswith(ENV_PREFIX) and ENV_PREFIX + name in known_names:
                unprefixed.append(binding.key or "")
    return EnvFileProblems(tuple(unknown), tuple(unprefixed), tuple(unparsed))
