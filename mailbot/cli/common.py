"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mailbot.config import Settings, load_settings
from mailbot.logs import configure_logging

QUIET_LEVELS = ("WARNING", "ERROR")


def settings_from(args: argparse.Namespace, *, daemon: bool = False) -> Settings:
    """Load the settings and set up logging for one command.

    Only the daemon logs at MAILBOT_LOG_LEVEL. The other commands print
    their result for a person, so their log shows warnings and errors only.
    """
    settings = load_settings(getattr(args, "env_file", None))
    level = settings.log_level if daemon or settings.log_level in QUIET_LEVELS else "WARNING"
    configure_logging(level, settings.log_format)
    return settings


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def shorten(text: str, width: int) -> str:
    """Fold whitespace and cut `text` to at most `width` characters at a word boundary, ending with «…» when cut.

    A single word longer than `width` is cut inside the word, since there is no boundary to cut at.
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = text[: width - 1]
    boundary = head.rfind(" ")
    if boundary > 0 and text[width - 1] != " ":
        head = head[:boundary]
    return head.rstrip(" ,.;:-") + "…"


def fold_choice(text: str) -> str:
    """Lower-case a command-line choice and fold its spaces, so that «Дан  ответ» matches «дан ответ»."""
    return " ".join(text.split()).lower()
