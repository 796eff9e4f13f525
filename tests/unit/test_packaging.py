"""A wheel carries every template and migration the package reads at run time."""

from __future__ import annotations

import tomllib
from pathlib import Path

from mailbot.resources import MIGRATIONS_DIR, PACKAGE_DIR, TEMPLATES_DIR

PROJECT_ROOT = PACKAGE_DIR.parent
# Documentation for the people who edit templates; nothing reads it at run time.
NOT_SHIPPED = {"README.md"}


def _shipped_files() -> set[Path]:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["mailbot"]
    return {path for pattern in patterns for path in PACKAGE_DIR.glob(pattern) if path.is_file()}


def _files_under(folder: Path) -> set[Path]:
    return {
        path for path in folder.rglob("*")
        if path.is_file() and path.name not in NOT_SHIPPED and "__pycache__" not in path.parts
    }


def test_package_links_reach_the_top_level_folders() -> None:
    assert TEMPLATES_DIR.resolve() == PROJECT_ROOT / "templates"
    assert MIGRATIONS_DIR.resolve() == PROJECT_ROOT / "storage" / "migrations"


def test_package_data_covers_every_template_and_migration() -> None:
    needed = _files_under(TEMPLATES_DIR) | _files_under(MIGRATIONS_DIR)
    assert len(needed) > 40

    missing = sorted(str(path.relative_to(PACKAGE_DIR)) for path in needed - _shipped_files())

    assert missing == []
