"""Write a report as an XLSX workbook: one sheet per table, with native Excel charts."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mailbot.reports.survey import SurveyReport
from mailbot.reports.tables import OUTCOME_NAMES_RU, Change, Percent, Table, survey_tables, ticket_tables
from mailbot.reports.tickets import TicketReport

PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "0.0#"
CHANGE_FORMAT = "+0.0;-0.0;0.0"
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8
# The chart colours of the HTML report: on time, late, waiting, overdue (hatched). The waiting
# grey is a shade darker, because Excel draws the bars without an outline.
OUTCOME_COLORS = ("1B5E20", "FFB74D", "BDBDBD", "C62828")


def write_ticket_xlsx(report: TicketReport, path: Path) -> None:
    """Write the workbook; a period without tickets gets no chart, since it would be empty."""
    workbook = _workbook(ticket_tables(report))
    if report.total.received:
        _add_process_chart(workbook["По процессам"], report)
    workbook.save(path)


def write_survey_xlsx(report: SurveyReport, path: Path) -> None:
    workbook = _workbook(survey_tables(report))
    _add_q1_chart(workbook["Вопрос 1"], len(report.current.q1), report.compared is not None)
    _add_index_chart(workbook["Вопрос 3"], report)
    workbook.save(path)


def _workbook(tables: tuple[Table, ...]) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        _write_sheet(workbook.create_sheet(table.title), table)
    return workbook


def _write_sheet(sheet: Worksheet, table: Table) -> None:
    """Write the table with a bold, wrapped, frozen header row and fitted column widths."""
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"

    for row in table.rows:
        sheet.append([value / 100 if isinstance(value, Percent) else value for value in row])
        for cell, value in zip(sheet[sheet.max_row], row):
            if isinstance(value, Percent):
                cell.number_format = PERCENT_FORMAT
            elif isinstance(value, Change):
                cell.number_format = CHANGE_FORMAT
            elif isinstance(value, float):
                cell.number_format = DECIMAL_FORMAT
            elif isinstance(value, str) and len(value) > MAX_COLUMN_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    if table.notes:
        sheet.append([])
    for note in table.notes:
        sheet.append([note])
        sheet.cell(sheet.max_row, 1).font = Font(italic=True)

    for index, header in enumerate(table.headers, start=1):
        lengths = [len(str(row[index - 1])) for row in table.rows if row[index - 1] is not None]
        # A header wraps, so its longest word is what must fit.
        widest = max([*lengths, *(len(word) for word in header.split())], default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, MIN_COLUMN_WIDTH),
                                                                      MAX_COLUMN_WIDTH)


def _bar_chart() -> BarChart:
    chart = BarChart()
    # openpyxl 3.1 leaves out the axes' <c:delete val="0"/>, and without it
    # some Excel versions hide both axes with their labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _set_text_categories(chart: BarChart, labels: Reference) -> None:
    """Point every series at `labels` as text; `set_categories` would declare them numbers."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))


def _write_outcome_data(sheet: Worksheet, report: TicketReport) -> tuple[int, int]:
    """Write the chart's four outcomes per process below the table and return its first and last row.

    The sheet's table has «Без ответа» with «Из них просрочено» inside it,
    while the chart stacks the waiting and the overdue tickets apart, so the
    chart reads this block: process code, then one column per outcome.
    """
    sheet.append([])
    sheet.append(["Данные диаграммы"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append(["Код", *OUTCOME_NAMES_RU])
    header_row = sheet.max_row
    for row in report.by_process:
        figures = row.figures
        code = str(row.process) if row.process is not None else "—"
        sheet.append([code, figures.on_time, figures.late, figures.open - figures.overdue, figures.overdue])
    return header_row, sheet.max_row


def _add_process_chart(sheet: Worksheet, report: TicketReport) -> None:
    """Stack on time, late, waiting and overdue per process (the codes, not the long titles)."""
    header_row, last_row = _write_outcome_data(sheet, report)
    chart = _bar_chart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Обращения по процессам"
    chart.y_axis.title = "Обращений"
    chart.x_axis.title = "Процесс"
    for column in range(2, 2 + len(OUTCOME_NAMES_RU)):
        chart.add_data(Reference(sheet, min_col=column, min_row=header_row, max_row=last_row), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    for series, color in zip(chart.series, OUTCOME_COLORS):
        series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
    overdue = chart.series[-1].graphicalProperties
    overdue.solidFill = None
    overdue.pattFill = PatternFillProperties(prst="wdUpDiag", fgClr=ColorChoice(srgbClr=OUTCOME_COLORS[-1]),
                                             bgClr=ColorChoice(srgbClr="FFFFFF"))
    chart.height, chart.width = 10, 20
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")


def _add_q1_chart(sheet: Worksheet, options: int, compared: bool) -> None:
    chart = _bar_chart()
    chart.type = "col"
    chart.title = "Общая удовлетворённость (вопрос 1), %"
    columns = (3, 5) if compared else (3,)
    for column in columns:
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=options + 1), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=2, max_row=options + 1))
    chart.y_axis.numFmt = PERCENT_FORMAT
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")


def _add_index_chart(sheet: Worksheet, report: SurveyReport) -> None:
    """Bar the satisfaction index per Q3 row, this year beside the compared one."""
    headers = [cell.value for cell in sheet[1]]
    rows = len(report.current.q3)
    chart = _bar_chart()
    chart.type = "bar"
    chart.title = "Индекс удовлетворённости по строкам вопроса 3"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    years = [report.current.year] + ([report.compared.year] if report.compared is not None else [])
    for year in years:
        column = headers.index(f"Индекс {year}") + 1
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=rows + 1), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    chart.height, chart.width = 14, 24
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")
