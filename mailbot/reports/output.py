"""Report output: the --output path checked up front, and files replaced only when complete.

A report is first written next to its target under a hidden temporary name
and renamed over the target only when complete, so a failed run leaves
neither a truncated file nor a half-filled new CSV folder. The temporary names
are made here and opened by the writers with ordinary `open`, so the
report gets the same permissions as any file the user creates.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from mailbot.errors import ConfigurationError

FILE_SUFFIXES = {".xlsx": "xlsx", ".html": "html", ".htm": "html"}
CSV_SUFFIX = ".csv"

UNKNOWN_SUFFIX_RU = (
    "Не удалось понять формат отчёта по имени «{path}»: укажите файл .xlsx или .html, "
    "а для CSV — папку с --format csv (или задайте формат явно через --format)."
)

def output_format(requested: str | None, output: Path | None) -> str:
    """Pick the format: as requested, else by the extension of --output, else xlsx.

    Without --format, a name that is not .xlsx, .html or .htm is rejected
    rather than written as XLSX under a misleading name. With --format the
    name is kept as written, except a .csv name for the CSV folder.
    """
    suffix = output.suffix.lower() if output is not None else ""
    if requested is not None:
        if requested == "csv" and suffix == CSV_SUFFIX:
            raise ConfigurationError(
                f"Отчёт в CSV — это папка с несколькими файлами; укажите в --output папку, а не «{output}»."
            )
        return requested

    if output is None:
        return "xlsx"
    if suffix in FILE_SUFFIXES:
        return FILE_SUFFIXES[suffix]
    if suffix == CSV_SUFFIX:
        raise ConfigurationError(
            f"Отчёт в CSV — это папка с несколькими файлами; укажите --format csv и папку вместо «{output}»."
        )
    raise ConfigurationError(UNKNOWN_SUFFIX_RU.format(path=output))


def check_output(format_name: str, path: Path) -> None:
    """Reject a --output path the report cannot be written to, before any work is done."""
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ConfigurationError(
            f"Папка «{parent}» для отчёта «{path}» не существует: создайте её или укажите в --output другой путь."
        )

    if format_name == "csv":
        if path.exists() and not path.is_dir():
            raise ConfigurationError(
                f"«{path}» — это файл, а отчёт в CSV записывается в папку: укажите в --output папку "
                "(новую или существующую)."
            )
        return

    if path.is_dir():
        raise ConfigurationError(
            f"«{path}» — это папка: укажите в --output имя файла, например «{path / ('otchet.' + format_name)}»."
        )


def write_file(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write` on a temporary file beside `path`, then rename it over `path`.

    On any error the temporary file is removed and the error re-raised, so
    `path` keeps what it had before.
    """
    temporary = _temporary_sibling(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_folder(folder: Path, write: Callable[[Path], object]) -> None:
    """Call `write` on a temporary folder beside `folder`, then move its files into `folder`.

    A new folder is renamed into place in one step. Into an existing folder
    the files are moved one by one, replacing files of the same name and
    keeping any others. On any error the temporary folder is removed and the
    error re-raised.
    """
    temporary = _temporary_sibling(folder)
    try:
        temporary.mkdir()
        write(temporary)
        if not folder.exists():
            os.rename(temporary, folder)
            return
        for item in sorted(temporary.iterdir()):
            os.replace(item, folder / item.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _temporary_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
