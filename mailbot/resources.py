"""Locations of the files mailbot ships beside its code.

The templates and the migrations live at the repository root (templates/,
storage/migrations/), where the committee edits them. The package reaches
them through the links mailbot/templates and mailbot/migrations, which a
wheel build replaces with copies, so one path serves a source checkout, an
editable install and a plain `pip install`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
