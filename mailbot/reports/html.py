"""Write a report as one self-contained HTML file: inline CSS, charts as inline SVG, tables under them.

The page templates are in templates/reports/ and can be edited like the mail
templates. Every text from the database is escaped by Jinja2's autoescape;
only the SVG that matplotlib renders here is inserted as markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mailbot.reports import charts
from mailbot.reports.survey import SurveyReport
from mailbot.reports.tables import Change, Percent, Table, russian_decimal, survey_tables, ticket_tables
from mailbot.reports.tickets import TicketReport
from mailbot.resources import TEMPLATES_DIR
from mailbot.outbound.render import russian_date, russian_datetime


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
    environment.tests["number"] = lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    return environment


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(context)


def _tables_by_key(tables: tuple[Table, ...]) -> dict[str, Table]:
    return {table.key: table for table in tables}


def render_ticket_html(report: TicketReport) -> str:
    return _render(
        "tickets.html.j2",
        {
            "report": report,
            "tables": _tables_by_key(ticket_tables(report)),
            "process_chart": Markup(charts.process_chart(report)),
            "assignee_chart": Markup(charts.assignee_chart(report)) if report.by_assignee else None,
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
