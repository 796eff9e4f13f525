"""Read the CSV files an operator exports from Excel: employee lists and earlier survey results.

Russian Excel saves CSV either as UTF-8 (often with a byte order mark) or in
windows-1251, and separates fields with «;» or «,» depending on the regional
settings. Both are detected here, so the operator never has to convert a file.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from pathlib import Path

import charset_normalizer

from mailbot.errors import MailbotError
from mailbot.os_errors import os_error_ru

# Single-byte encodings a Russian office file may be in. charset-normalizer
# chooses among these only: on short Cyrillic text an open choice often lands
# on a Baltic or Central European code page (seen with charset-normalizer 3.5).
SINGLE_BYTE_CANDIDATES = ["cp1251", "koi8_r", "cp866"]
DELIMITERS = ";,"
SNIFF_CHARS = 8192


class CsvFileError(MailbotError):
    """A CSV file that cannot be read at all; the message is Russian and names the file."""


@dataclasses.dataclass(frozen=True)
class CsvRow:
    """One record of a CSV file with the line number it starts on (1 is the header)."""

    line: int
    cells: dict[str, str]
    # Non-empty cells beyond the last header column.
    extra: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CsvTable:
    """A decoded CSV file: its header as written, and its records keyed by that header."""

    header: list[str]
    rows: list[CsvRow]
    encoding: str
    delimiter: str


def normalize_header(name: str) -> str:
    """Fold a column title for matching: lower case, «ё» as «е», single spaces, no quotes."""
    folded = name.replace("\ufeff", "").strip().strip("\"'«»").lower().replace("ё", "е")
    return " ".join(folded.split())


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and the encoding it was read in."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    # Valid UTF-8 is practically never produced by single-byte Cyrillic text,
    # so only a file that failed above is a single-byte one.
    match = charset_normalizer.from_bytes(data, cp_isolation=SINGLE_BYTE_CANDIDATES).best()
    encoding = match.encoding if match is not None else "cp1251"
    return data.decode(encoding, errors="replace"), encoding


def detect_delimiter(text: str) -> str:
    """Return «;» or «,»: what csv.Sniffer detects, else the one the header line contains more of."""
    sample = text[:SNIFF_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    header_line = sample.splitlines()[0] if sample else ""
    return "," if header_line.count(",") > header_line.count(";") else ";"


def parse_csv(data: bytes) -> CsvTable:
    """Decode and split a CSV file whose first row is the header; empty records are dropped."""
    text, encoding = decode_csv(data)
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip() for cell in next(reader, [])]
    if not any(header):
        raise CsvFileError("Файл пуст: в первой строке должны быть названия столбцов.")

    rows = []
    while True:
        # A quoted cell may span lines, so the record starts right after the previous one ended.
        start = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: (cells[index].strip() if index < len(cells) else "") for index, name in enumerate(header)}
        extra = tuple(cell.strip() for cell in cells[len(header):] if cell.strip())
        rows.append(CsvRow(start, values, extra))
    return CsvTable(header=header, rows=rows, encoding=encoding, delimiter=delimiter)


def read_csv_file(path: Path) -> CsvTable:
    """Read and parse the CSV file at `path`; raise CsvFileError when it cannot be opened."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CsvFileError(f"Не удалось прочитать файл «{path}»: {os_error_ru(error)}.") from error
    return parse_csv(data)
