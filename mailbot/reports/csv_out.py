"""Write a report as a folder of CSV files, one per table, for further work in Excel or pandas.

Each table has its own columns, so one file per table keeps every file a
plain rectangle that loads directly. A single file with a "section" column
would mix unrelated headers. The files are named by ASCII keys
(`by-process.csv`, `q3.csv`, ...), since Cyrillic file names break in
zip archives and some mail clients.

The format is the one Excel opens directly in a Russian locale: UTF-8 with
a byte-order mark, `;` between fields, a decimal comma, shares in percent
(42,9), an empty field for no value. The notes shown under the tables in
XLSX and HTML are left out, so each file is only its table. pandas reads it with
`read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from mailbot.reports.survey import SurveyReport
from mailbot.reports.tables import Percent, Table, russian_decimal, survey_tables, ticket_tables
from mailbot.reports.tickets import TicketReport

DELIMITER = ";"


def format_csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, float):
        return russian_decimal(value)
    return str(value)


def write_tables(tables: tuple[Table, ...], folder: Path) -> list[Path]:
    """Write each table to `folder`/KEY.csv, creating the folder, and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in tables:
        path = folder / f"{table.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=DELIMITER)
            writer.writerow(table.headers)
            writer.writerows([format_csv_cell(value) for value in row] for row in table.rows)
        paths.append(path)
    return paths


def write_ticket_csv(report: TicketReport, folder: Path) -> list[Path]:
    return write_tables(ticket_tables(report), folder)


def write_survey_csv(report: SurveyReport, folder: Path) -> list[Path]:
    return write_tables(survey_tables(report), folder)
