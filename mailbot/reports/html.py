"""Write a report as one self-contained HTML file: inline CSS, charts as inline SVG, tables under them.

The page templates are in templates/reports/ and can be edited like the mail
templates. Every text from the database is escaped by Jinja2's autoescape;
only the SVG that matplotlib renders here is inserted as markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mailbot.reports import charts
from mailbot.reports.survey import SurveyReport
from mailbot.reports.tables import (
    Change,
    Percent,
    Table,
    group_texts,
    russian_decimal,
    survey_tables,
    ticket_tables,
)
from mailbot.reports.tickets import TicketReport
from mailbot.resources import TEMPLATES_DIR
from mailbot.outbound.render import russian_date, russian_datetime


EMPTY_PERIOD_RU = "За период обращений нет"

# Shorter column headings for the page, so a wide table fits a screen or an
# A4 sheet. The full heading stays in the cell's tooltip and in XLSX and CSV.
SHORT_HEADERS_RU = {
    "Получено письменно": "Письменно",
    "Получено по телефону": "По телефону",
    "Получено лично": "Лично",
    "Ответ в срок": "В срок",
    "Ответ с опозданием": "С опозданием",
    "Доля в срок, %": "В срок, %",
    "Медиана, дней до ответа": "Медиана, дней",
    "Средняя оценка": "Оценка (1–5)",
    "Число оценок": "Оценок",
    "Изменение индекса": "Изменение индекса, пункты",
}

# Long words of the headings with a soft hyphen, so that a narrow column
# breaks them at a syllable. Browsers hyphenate Russian on their own only
# when they have a dictionary for it, which headless Chromium lacks.
SOFT_HYPHENS_RU = {
    "удовлетворен": "удовлет\u00adворен",
    "Затрудняюсь": "Затруд\u00adняюсь",
    "опозданием": "опоз\u00adданием",
    "Просрочено": "Просро\u00adчено",
    "просрочено": "просро\u00adчено",
    "деятельности": "деятель\u00adности",
    "Изменение": "Изме\u00adнение",
    "Получено": "Полу\u00adчено",
}

# The per-process table has fourteen columns; the page shows it as two
# tables, outcomes and channels, each narrow enough for the screen.
PROCESS_OUTCOME_COLUMNS = (
    "Код", "Процесс", "Получено", "Ответ в срок", "Ответ с опозданием", "Доля в срок, %", "Без ответа",
    "Из них просрочено", "Медиана, дней до ответа", "Средняя оценка", "Число оценок",
)
PROCESS_CHANNEL_COLUMNS = ("Код", "Процесс", "Получено письменно", "Получено по телефону", "Получено лично",
                           "Получено")


def short_header(header: str) -> str:
    """Return the heading as the page shows it: shortened where clear, long words with soft hyphens."""
    text = SHORT_HEADERS_RU.get(header, header)
    for word, hyphenated in SOFT_HYPHENS_RU.items():
        text = text.replace(word, hyphenated)
    # Keep «п. п.» (percentage points) on one line.
    return text.replace(" п. п.", "\u00a0п.\u00a0п.")


def format_cell(value: object) -> str:
    """Format a table cell the Russian way: decimal comma, «%» after shares, a sign on changes, «—» for no value."""
    if value is None:
        return "—"
    if isinstance(value, Percent):
        return f"{value:.1f} %".replace(".", ",")
    if isinstance(value, Change):
        return russian_decimal(value, signed=True)
    if isinstance(value, float):
        return russian_decimal(value)
    return str(value)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "reports"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = format_cell
    environment.filters["ru_date"] = russian_date
    environment.filters["ru_datetime"] = russian_datetime
    environment.filters["short_header"] = short_header
    environment.filters["grouped"] = group_texts
    environment.tests["number"] = lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    return environment


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(context)


def _tables_by_key(tables: Iterable[Table]) -> dict[str, Table]:
    """Key the tables, keeping each note only under the first table that has it, since the page is read whole."""
    seen: set[str] = set()
    keyed = {}
    for table in tables:
        notes = tuple(note for note in table.notes if note not in seen)
        seen.update(notes)
        keyed[table.key] = dataclasses.replace(table, notes=notes)
    return keyed


def select_columns(table: Table, key: str, headers: tuple[str, ...]) -> Table:
    """Return a table of only the named columns, in the given order, without notes."""
    indexes = [table.headers.index(header) for header in headers]
    rows = tuple(tuple(row[index] for index in indexes) for row in table.rows)
    return Table(key, table.title, headers, rows)


def _ticket_page_tables(report: TicketReport) -> dict[str, Table]:
    tables = list(ticket_tables(report))
    by_process = next(table for table in tables if table.key == "by-process")
    tables += [
        dataclasses.replace(select_columns(by_process, "by-process-outcomes", PROCESS_OUTCOME_COLUMNS),
                            notes=by_process.notes),
        select_columns(by_process, "by-process-channels", PROCESS_CHANNEL_COLUMNS),
    ]
    return _tables_by_key(tables)


def render_ticket_html(report: TicketReport) -> str:
    """Render the page; with no tickets in the period each chart is replaced by EMPTY_PERIOD_RU."""
    has_tickets = report.total.received > 0
    return _render(
        "tickets.html.j2",
        {
            "report": report,
            "tables": _ticket_page_tables(report),
            "process_chart": Markup(charts.process_chart(report)) if has_tickets else None,
            "assignee_chart": Markup(charts.assignee_chart(report)) if has_tickets else None,
            "empty_text": EMPTY_PERIOD_RU,
        },
    )


def render_survey_html(report: SurveyReport) -> str:
    return _render(
        "survey.html.j2",
        {
            "report": report,
            "tables": _tables_by_key(survey_tables(report)),
            "q1_chart": Markup(charts.q1_chart(report)),
            "index_chart": Markup(charts.index_chart(report)),
            "q3_chart": Markup(charts.q3_shares_chart(report)),
        },
    )


def write_ticket_html(report: TicketReport, path: Path) -> None:
    path.write_text(render_ticket_html(report), encoding="utf-8")


def write_survey_html(report: SurveyReport, path: Path) -> None:
    path.write_text(render_survey_html(report), encoding="utf-8")
