"""Locations of the files mailbot ships beside its code."""

from __future__ import annotations

from pathlib import Path

# NOTE: templates/ and storage/migrations/ sit at the repository root, beside
# the package, so they are found in a source checkout or an editable install
# (what `make` sets up); a plain wheel install does not carry them yet.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MIGRATIONS_DIR = PROJECT_ROOT / "storage" / "migrations"
