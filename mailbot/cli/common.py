"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mailbot.config import Settings, load_settings
from mailbot.logs import configure_logging


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "env_file", None))
    configure_logging(settings.log_level, settings.log_format)
    return settings


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
